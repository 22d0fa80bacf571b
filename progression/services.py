"""Every write of the progression app."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
import uuid
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from common import bulk
from integration import services as case_services
from integration.models import AccessAction, Case, ProviderOrganisation, User
from integration.services import ConcurrentEditError
from progression.divergence import divergent_items
from progression.models import (
    ITEM_COUNT,
    LANGUAGES,
    SCALE,
    SCORE_FIELDS,
    CitizenLink,
    DialogueTopic,
    Item,
    Measurement,
    Questionnaire,
    Rater,
    Round,
)

Scores = Mapping[int, int | None]

# Ids per ``__in`` query, below every database's limit on parameters.
_CHUNK = 500


class LinkNotUsable(Exception):
    """The link is unknown, expired or already used; nothing is written.

    ``language`` is the link's language when the link exists, so the refusal
    can be said in it.
    """

    def __init__(self, reason: str, language: str | None = None):
        super().__init__(reason)
        self.reason = reason  # "unknown", "expired" or "used"
        self.language = language


def questionnaire_current() -> Questionnaire:
    current = (
        Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )
    if current is None:
        raise Questionnaire.DoesNotExist("No questionnaire has been published.")
    return current


def _check_scores(scores: Scores) -> dict[int, int | None]:
    clean: dict[int, int | None] = {}
    for n in range(1, ITEM_COUNT + 1):
        value = scores.get(n)
        if value is not None and value not in SCALE:
            raise ValidationError(_("Item %(n)s: a score is 1 to 5 or not answered.") % {"n": n})
        clean[n] = value
    return clean


def _measurement_put(
    *,
    round_: Round,
    rater: str,
    scores: Scores,
    entered_by: User | None,
    provider: ProviderOrganisation | None = None,
    via_link: bool = False,
) -> Measurement | None:
    """Create, change or (when every item is empty) leave out one rater's scores."""
    scores = _check_scores(scores)
    existing = Measurement.objects.filter(round=round_, rater=rater).first()
    if all(v is None for v in scores.values()):
        if existing is not None:
            existing._history_user = entered_by
            existing.delete()
        return None
    measurement = existing or Measurement(
        round=round_,
        rater=rater,
        measured_on=round_.measured_on,
        questionnaire=round_.questionnaire,
    )
    if existing is not None and existing.scores() == scores:
        return existing
    measurement.set_scores(scores)
    measurement.entered_by = entered_by
    measurement.via_link = via_link
    if provider is not None:
        measurement.provider = provider
    measurement._history_user = entered_by
    # The constraints are checked here and by the database, not by Django,
    # which would ask the database once per constraint, with a savepoint, for
    # each rater (a grid save took 153 queries; make bench). The round is
    # locked and this rater's measurement was looked up above.
    if any(score is not None and not 1 <= score <= 5 for score in scores.values()):
        raise ValidationError(_("Write 1 to 5, or leave it empty."))
    measurement.full_clean(
        exclude=["round", "questionnaire", "provider", "entered_by"], validate_constraints=False
    )
    measurement.save()
    return measurement


def _round_claim(round_: Round) -> None:
    """Count a rater's own save (provider, citizen link) as a change of the round.

    A grid opened before then carries an old version and is refused, instead
    of saving its empty column over those scores. The UPDATE also locks the
    round until commit, so two writers of one round take turns: each sees the
    other's scores when it looks for an existing measurement and when it works
    out the dialogue topics.
    """
    Round.objects.filter(pk=round_.pk).update(version=F("version") + 1)
    round_.version = Round.objects.values_list("version", flat=True).get(pk=round_.pk)


def topics_refresh(*, round_: Round) -> list[DialogueTopic]:
    """Create a topic for every divergent item; drop open ones that no longer diverge.

    A topic with a recorded agreement is history and stays.
    """
    scores = {m.rater: m.scores() for m in round_.measurements.all()}
    divergent = divergent_items(scores, settings.PROGRESSION_DIVERGENCE)
    topics = {t.item_number: t for t in round_.topics.all()}
    for number, topic in topics.items():
        if number not in divergent and topic.is_open:
            topic.delete()
        elif number in divergent and topic.spread != divergent[number]:
            topic.spread = divergent[number]
            topic.save(update_fields=["spread"])
    for number, spread in divergent.items():
        if number not in topics:
            DialogueTopic.objects.create(round=round_, item_number=number, spread=spread)
    open_count = DialogueTopic.objects.filter(round__case=round_.case, agreement="").count()
    case_services.case_set_open_topics(case=round_.case, count=open_count)
    return list(round_.topics.all())


@transaction.atomic
def topics_refresh_bulk(*, round_ids: Iterable[int], actor: User | None) -> None:
    """``topics_refresh`` for many rounds (an import): a few queries per 500 rounds.

    The same topics, history rows and open-topic counts as one call per round.
    """
    round_ids = sorted(set(round_ids))
    scores: dict[int, dict[str, dict[int, int | None]]] = {}
    topics: dict[int, dict[int, DialogueTopic]] = {}
    case_ids: set[int] = set()
    for i in range(0, len(round_ids), _CHUNK):
        chunk = round_ids[i : i + _CHUNK]
        case_ids.update(Round.objects.filter(pk__in=chunk).values_list("case_id", flat=True))
        measurements = Measurement.objects.filter(round_id__in=chunk)
        for m in measurements.only("round", "rater", *SCORE_FIELDS):
            scores.setdefault(m.round_id, {})[m.rater] = m.scores()
        for topic in DialogueTopic.objects.filter(round_id__in=chunk):
            topics.setdefault(topic.round_id, {})[topic.item_number] = topic
    created: list[dict] = []
    dropped: list[DialogueTopic] = []
    respread: list[DialogueTopic] = []
    for round_id in round_ids:
        divergent = divergent_items(scores.get(round_id, {}), settings.PROGRESSION_DIVERGENCE)
        existing = topics.get(round_id, {})
        for number, topic in existing.items():
            if number not in divergent and topic.is_open:
                dropped.append(topic)
            elif number in divergent and topic.spread != divergent[number]:
                topic.spread = divergent[number]
                respread.append(topic)
        created += [
            {"round_id": round_id, "item_number": number, "spread": spread}
            for number, spread in divergent.items()
            if number not in existing
        ]
    user_id = actor.pk if actor is not None else None
    if dropped:
        pks = [t.pk for t in dropped]
        bulk.insert_history(DialogueTopic, pks, user_id=user_id, history_type="-")
        bulk.delete(DialogueTopic, pks)
    if respread:
        bulk.update(respread, ["spread"])
        bulk.insert_history(
            DialogueTopic, [t.pk for t in respread], user_id=user_id, history_type="~"
        )
    bulk.insert(DialogueTopic, created)
    bulk.insert_history(DialogueTopic, [row["id"] for row in created], user_id=user_id)
    counts = dict.fromkeys(case_ids, 0)
    ids = sorted(case_ids)
    for i in range(0, len(ids), _CHUNK):
        counts.update(
            DialogueTopic.objects.filter(round__case_id__in=ids[i : i + _CHUNK], agreement="")
            .order_by()
            .values("round__case_id")
            .annotate(n=Count("pk"))
            .values_list("round__case_id", "n")
        )
    case_services.cases_set_open_topics(counts=counts)


@transaction.atomic
def round_save(
    *,
    actor: User | None,
    case: Case,
    measured_on: dt.date,
    scores: Mapping[str, Scores],
    complete: bool,
    round_: Round | None = None,
    version: int | None = None,
    submission: uuid.UUID | None = None,
    provider: ProviderOrganisation | None = None,
) -> Round:
    """Save a round entered on the caseworker's grid (new, or changed at ``version``).

    A second submit of the same new-round form (same ``submission``) returns
    the round the first one made, unchanged.
    """
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("The date cannot be in the future.")})
    if round_ is None:
        if submission is not None:
            earlier = Round.objects.filter(submission=submission, case=case).first()
            if earlier is not None:
                return earlier
        if Round.objects.filter(case=case, measured_on=measured_on).exists():
            raise ValidationError(
                {"measured_on": _("There is already a round on this date; open it instead.")}
            )
        round_ = Round(
            case=case,
            measured_on=measured_on,
            questionnaire=questionnaire_current(),
            created_by=actor,
            submission=submission,
            complete=complete,
        )
        round_._history_user = actor
        try:
            with transaction.atomic():
                round_.save()
        except IntegrityError:
            earlier = Round.objects.filter(submission=submission).first()
            if earlier is not None and submission is not None:
                return earlier
            raise ValidationError(
                {"measured_on": _("There is already a round on this date; open it instead.")}
            ) from None
    else:
        if round_.case_id != case.pk:
            raise ValidationError("The round belongs to another case.")
        if version is None:
            raise ValueError("Changing a round needs the version it was read at.")
        claimed = Round.objects.filter(pk=round_.pk, version=version).update(
            version=F("version") + 1
        )
        if not claimed:
            raise ConcurrentEditError()
        round_.version = version + 1
        if (
            round_.measured_on != measured_on
            and Round.objects.filter(case=case, measured_on=measured_on)
            .exclude(pk=round_.pk)
            .exists()
        ):
            raise ValidationError(
                {"measured_on": _("There is already a round on this date; open it instead.")}
            )
        round_.measured_on = measured_on
        round_.complete = complete
        round_._history_user = actor
        round_.save(update_fields=["measured_on", "complete", "version"])
        round_.measurements.update(measured_on=measured_on)
    for rater, rater_scores in scores.items():
        _measurement_put(
            round_=round_,
            rater=rater,
            scores=rater_scores,
            entered_by=actor,
            provider=provider if rater == Rater.PROVIDER else None,
        )
    topics_refresh(round_=round_)
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen=case.citizen,
        what="progression round saved",
    )
    return round_


@transaction.atomic
def provider_scores_save(*, actor: User, case: Case, measured_on: dt.date, scores: Scores) -> Round:
    """A provider's own scores, in the round of that date (made if missing)."""
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("The date cannot be in the future.")})
    round_, _created = Round.objects.get_or_create(
        case=case,
        measured_on=measured_on,
        defaults={"questionnaire": questionnaire_current(), "created_by": actor},
    )
    _round_claim(round_)
    _measurement_put(
        round_=round_,
        rater=Rater.PROVIDER,
        scores=scores,
        entered_by=actor,
        provider=actor.provider_organisation,
    )
    topics_refresh(round_=round_)
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen=case.citizen,
        what="provider scores saved",
    )
    return round_


@transaction.atomic
def topic_agree(*, actor: User, topic: DialogueTopic, agreement: str, on: dt.date) -> DialogueTopic:
    if not agreement.strip():
        raise ValidationError({"agreement": _("Write what was agreed.")})
    topic.agreement = agreement.strip()
    topic.agreed_on = on
    topic.agreed_by = actor
    topic._history_user = actor
    topic.save(update_fields=["agreement", "agreed_on", "agreed_by"])
    case = topic.round.case
    open_count = DialogueTopic.objects.filter(round__case=case, agreement="").count()
    case_services.case_set_open_topics(case=case, count=open_count)
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen=case.citizen,
        what="dialogue topic agreed",
    )
    return topic


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


@transaction.atomic
def citizen_link_create(*, actor: User, round_: Round, language: str) -> tuple[CitizenLink, str]:
    """A new one-time link; the token is returned once and only its hash kept."""
    token = secrets.token_urlsafe(24)
    link = CitizenLink.objects.create(
        round=round_,
        token_hash=_hash(token),
        language=language,
        created_by=actor,
        expires_at=timezone.now() + dt.timedelta(days=settings.CITIZEN_LINK_DAYS),
    )
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen=round_.case.citizen,
        what="citizen link made",
    )
    return link, token


def citizen_link_get(token: str) -> CitizenLink:
    """The usable link for a token, or LinkNotUsable saying why not."""
    link = (
        CitizenLink.objects.select_related("round", "round__questionnaire")
        .filter(token_hash=_hash(token))
        .first()
    )
    if link is None:
        raise LinkNotUsable("unknown")
    if link.used_at is not None:
        raise LinkNotUsable("used", link.language)
    if link.expires_at <= timezone.now():
        raise LinkNotUsable("expired", link.language)
    return link


@transaction.atomic
def citizen_link_answer(*, token: str, scores: Scores) -> Round:
    """Store the citizen's scores and spend the link, or write nothing at all."""
    link = citizen_link_get(token)
    # Spend the link first: of two submits at once, only one may write.
    spent = CitizenLink.objects.filter(pk=link.pk, used_at__isnull=True).update(
        used_at=timezone.now()
    )
    if not spent:
        raise LinkNotUsable("used", link.language)
    round_ = link.round
    _round_claim(round_)
    _measurement_put(
        round_=round_, rater=Rater.CITIZEN, scores=scores, entered_by=None, via_link=True
    )
    topics_refresh(round_=round_)
    case_services.access_log_write(
        user=None,
        action=AccessAction.CHANGE,
        citizen=round_.case.citizen,
        what="citizen answered through link",
    )
    return round_


# --- questionnaire versions ---------------------------------------------------
#
# A version is edited only while it is a draft. Publishing freezes it; rounds
# and measurements point at the version they were made with, so a new version
# never changes an old measurement.


def item_languages_missing(item: Item) -> list[str]:
    """The language codes in which an item lacks its label, its question or a scale step.

    Item.clean's rule, and also every one of the five scale steps non-blank.
    """
    missing = []
    for code, _name in LANGUAGES:
        entry = item.texts.get(code) if isinstance(item.texts, dict) else None
        entry = entry if isinstance(entry, dict) else {}
        scale = entry.get("scale")
        scale = scale if isinstance(scale, list) else []
        complete = (
            str(entry.get("label") or "").strip()
            and str(entry.get("question") or "").strip()
            and len(scale) == len(SCALE)
            and all(str(step or "").strip() for step in scale)
        )
        if not complete:
            missing.append(code)
    return missing


def _language_names(codes: list[str]) -> str:
    names = dict(LANGUAGES)
    return ", ".join(f"{names[code]} ({code})" for code in codes)


def texts_fingerprint(texts: Mapping) -> str:
    """A digest of an item's texts: the edit form carries it to notice a save in between."""
    import json

    canonical = json.dumps(texts, sort_keys=True, ensure_ascii=False)
    return hashlib.sha256(canonical.encode()).hexdigest()


@transaction.atomic
def questionnaire_new_draft(*, actor: User) -> Questionnaire:
    """Version (latest + 1) as a draft, with a copy of the latest version's items.

    There is at most one draft at a time.
    """
    if Questionnaire.objects.filter(status=Questionnaire.Status.DRAFT).exists():
        raise ValidationError(_("There is already a draft. Edit and publish it first."))
    latest = Questionnaire.objects.order_by("-version").first()
    if latest is None:
        raise ValidationError(_("There is no questionnaire to copy."))
    draft = Questionnaire(version=latest.version + 1, status=Questionnaire.Status.DRAFT)
    draft.full_clean(exclude=["published_by"])
    try:
        with transaction.atomic():
            draft.save()
    except IntegrityError:
        # Two administrators pressed the button at once; the other one won.
        raise ValidationError(_("There is already a draft. Edit and publish it first.")) from None
    Item.objects.bulk_create(
        Item(
            questionnaire=draft,
            number=item.number,
            texts=item.texts,
            municipal_wording=item.municipal_wording,
        )
        for item in latest.items.order_by("number")
    )
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        what=f"questionnaire v{draft.version} drafted from v{latest.version}",
    )
    return draft


@transaction.atomic
def item_texts_update(
    *,
    actor: User,
    item: Item,
    texts: Mapping[str, Mapping],
    municipal_wording: bool | None = None,
    read_fingerprint: str | None = None,
) -> Item:
    """Replace an item's texts in every language; only a draft's items can change.

    ``texts`` maps each language code to ``{"label", "question", "scale"}``;
    every text must be filled in. With ``read_fingerprint`` (the
    ``texts_fingerprint`` of the texts the editor was shown), a save by someone
    else in between raises ConcurrentEditError instead of being overwritten.
    """
    # Lock the version first, as publishing does, so an edit and a publish
    # of the same draft cannot interleave.
    questionnaire = Questionnaire.objects.select_for_update().get(pk=item.questionnaire_id)
    if questionnaire.status != Questionnaire.Status.DRAFT:
        raise ValidationError(
            _("Version %(version)s is published and can no longer be changed.")
            % {"version": questionnaire.version}
        )
    current = Item.objects.select_for_update().get(pk=item.pk)
    if read_fingerprint is not None and texts_fingerprint(current.texts) != read_fingerprint:
        raise ConcurrentEditError()
    new_texts = dict(current.texts) if isinstance(current.texts, dict) else {}
    for code, _name in LANGUAGES:
        entry = texts.get(code) or {}
        new_texts[code] = {
            "label": str(entry.get("label") or "").strip(),
            "question": str(entry.get("question") or "").strip(),
            "scale": [str(step or "").strip() for step in entry.get("scale") or []],
        }
    current.texts = new_texts
    if municipal_wording is not None:
        current.municipal_wording = municipal_wording
    missing = item_languages_missing(current)
    if missing:
        raise ValidationError(
            _("Fill in the label, the question and all five scale steps in: %(languages)s.")
            % {"languages": _language_names(missing)}
        )
    current.full_clean(exclude=["questionnaire"], validate_unique=False)
    current.save(update_fields=["texts", "municipal_wording"])
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        what=f"questionnaire v{questionnaire.version} item {current.number} texts changed",
    )
    return current


@transaction.atomic
def questionnaire_publish(
    *, actor: User, questionnaire: Questionnaire, note: str | None = None
) -> Questionnaire:
    """Publish a draft once all 13 items are complete in every language.

    The version becomes the one new rounds use; earlier rounds and
    measurements keep the version they were made with.
    """
    locked = Questionnaire.objects.select_for_update().get(pk=questionnaire.pk)
    if locked.status != Questionnaire.Status.DRAFT:
        raise ValidationError(
            _("Version %(version)s is already published.") % {"version": locked.version}
        )
    items = list(Item.objects.filter(questionnaire=locked).order_by("number"))
    errors: list[str] = []
    numbers = [item.number for item in items]
    if numbers != list(range(1, ITEM_COUNT + 1)):
        errors.append(
            _("A questionnaire has items 1 to %(count)s; this draft has %(found)s items.")
            % {"count": ITEM_COUNT, "found": len(items)}
        )
    for item in items:
        missing = item_languages_missing(item)
        if missing:
            errors.append(
                _("Item %(n)s is missing its label, question or scale steps in: %(languages)s.")
                % {"n": item.number, "languages": _language_names(missing)}
            )
            continue
        try:
            item.clean()
        except ValidationError as exc:
            errors.extend(exc.messages)
    if errors:
        raise ValidationError(errors)
    locked.status = Questionnaire.Status.PUBLISHED
    locked.published_at = timezone.now()
    locked.published_by = actor
    if note is not None:
        locked.note = note.strip()
    locked.full_clean(validate_unique=False)
    locked.save(update_fields=["status", "published_at", "published_by", "note"])
    case_services.access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        what=f"questionnaire v{locked.version} published",
    )
    return locked
