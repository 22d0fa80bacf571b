"""Rounds, measurements and dialogue topics: the grid, a provider's scores, agreements."""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Count, F
from django.utils import timezone
from django.utils.translation import gettext as _

from common import bulk
from common.csvimport import chunks
from integration import services as case_services
from integration.models import Case, ProviderOrganisation, User
from integration.services import ConcurrentEditError
from progression.divergence import divergent_items
from progression.models import (
    ITEM_COUNT,
    OPEN_TOPIC,
    SCALE,
    SCORE_FIELDS,
    DialogueTopic,
    Measurement,
    Rater,
    Round,
    Source,
)
from progression.selectors import (
    provider_column,
    provider_of_date,
    provider_referral_covers,
    questionnaire_current,
)

Scores = Mapping[int, int | None]

# Ids per ``__in`` query, below every database's limit on parameters.


def _check_scores(scores: Scores) -> dict[int, int | None]:
    clean: dict[int, int | None] = {}
    for n in range(1, ITEM_COUNT + 1):
        value = scores.get(n)
        if value is not None and value not in SCALE:
            raise ValidationError(_("Item %(n)s: a score is 1 to 5 or not answered.") % {"n": n})
        clean[n] = value
    return clean


class EmptyColumn(ValidationError):
    """An empty column was sent where the rater's scores are saved: refused,
    the stored scores stay."""


def _empty_refusal(rater: str) -> EmptyColumn:
    return EmptyColumn(
        _("The %(rater)s column has scores; an empty column does not remove them.")
        % {"rater": Rater(rater).label.lower()},
        code="empty",
        params={"rater": rater},
    )


def measurement_put(
    *,
    round_: Round,
    rater: str,
    scores: Scores,
    entered_by: User | None,
    source: str,
    provider: ProviderOrganisation | None = None,
) -> Measurement | None:
    """Create or replace one rater's column; never remove one.

    An empty column makes nothing where there is nothing and is refused
    (``EmptyColumn``) where the rater has scores. A replacement is a new
    history row: the one before it holds the old scores.
    """
    scores = _check_scores(scores)
    existing = Measurement.objects.filter(round=round_, rater=rater).first()
    if all(v is None for v in scores.values()):
        if existing is not None and existing.answered:
            raise _empty_refusal(rater)
        return existing
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
    measurement.source = source
    measurement.via_link = source == Source.LINK
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


def round_claim(round_: Round) -> None:
    """Count a rater's own save (provider, citizen link) as a change of the round.

    A grid opened before then carries an old version and is refused, instead
    of saving its empty column over those scores. The UPDATE also locks the
    round until commit, so two writers of one round take turns: each sees the
    other's scores when it looks for an existing measurement and when it works
    out the dialogue topics.
    """
    Round.objects.filter(pk=round_.pk).update(version=F("version") + 1)
    round_.version = Round.objects.values_list("version", flat=True).get(pk=round_.pk)


def _topic_scores(topic: DialogueTopic, scores: Mapping[str, Mapping[int, int | None]]) -> bool:
    """Copy the raters' current scores of the topic's item onto it; True if one changed."""
    changed = False
    for rater in Rater.values:
        value = scores.get(rater, {}).get(topic.item_number)
        if getattr(topic, f"{rater}_score") != value:
            setattr(topic, f"{rater}_score", value)
            changed = True
    return changed


TOPIC_SCORE_FIELDS = ["citizen_score", "caseworker_score", "provider_score"]


def _topics_plan(
    scores: Mapping[str, Mapping[int, int | None]],
    existing: Mapping[int, DialogueTopic],
    round_id: int,
    now: dt.datetime,
) -> tuple[list[DialogueTopic], list[DialogueTopic], list[DialogueTopic]]:
    """(new topics, changed topics, topics closed now) for one round's scores.

    An open topic that no longer diverges is closed as resolved, not deleted;
    a closed one that diverges again is opened again. An agreed topic is
    history and keeps the scores it was agreed on.
    """
    divergent = divergent_items(scores, settings.PROGRESSION_DIVERGENCE)
    created, changed, closed = [], [], []
    for number, topic in existing.items():
        if topic.agreement:
            continue
        if number not in divergent:
            if not topic.closed_reason:
                topic.closed_reason = DialogueTopic.Closed.RESOLVED
                topic.closed_at = now
                closed.append(topic)
            continue
        touched = _topic_scores(topic, scores)
        if topic.closed_reason:
            topic.closed_reason, topic.closed_at = "", None
            touched = True
        if topic.spread != divergent[number]:
            topic.spread = divergent[number]
            touched = True
        if touched:
            changed.append(topic)
    for number, spread in divergent.items():
        if number not in existing:
            topic = DialogueTopic(round_id=round_id, item_number=number, spread=spread)
            _topic_scores(topic, scores)
            created.append(topic)
    return created, changed, closed


def topics_refresh(*, round_: Round, actor: User | None = None) -> list[DialogueTopic]:
    """Open a topic for every divergent item; close open ones that no longer diverge."""
    scores = {m.rater: m.scores() for m in round_.measurements.all()}
    topics = {t.item_number: t for t in round_.topics.all()}
    created, changed, closed = _topics_plan(scores, topics, round_.pk, timezone.now())
    for topic in [*changed, *closed]:
        topic._history_user = actor
        topic.save(update_fields=["spread", *TOPIC_SCORE_FIELDS, "closed_reason", "closed_at"])
    for topic in created:
        topic._history_user = actor
        topic.save()
    open_count = DialogueTopic.objects.filter(OPEN_TOPIC, round__case=round_.case).count()
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
    for chunk in chunks(round_ids):
        case_ids.update(Round.objects.filter(pk__in=chunk).values_list("case_id", flat=True))
        measurements = Measurement.objects.filter(round_id__in=chunk)
        for m in measurements.only("round", "rater", *SCORE_FIELDS):
            scores.setdefault(m.round_id, {})[m.rater] = m.scores()
        for topic in DialogueTopic.objects.filter(round_id__in=chunk):
            topics.setdefault(topic.round_id, {})[topic.item_number] = topic
    created: list[DialogueTopic] = []
    changed: list[DialogueTopic] = []
    now = timezone.now()
    for round_id in round_ids:
        new, touched, closed = _topics_plan(
            scores.get(round_id, {}), topics.get(round_id, {}), round_id, now
        )
        created += new
        changed += touched + closed
    user_id = actor.pk if actor is not None else None
    if changed:
        bulk.update(changed, ["spread", *TOPIC_SCORE_FIELDS, "closed_reason", "closed_at"])
        bulk.insert_history(
            DialogueTopic, [t.pk for t in changed], user_id=user_id, history_type="~"
        )
    rows = [
        {
            "round_id": t.round_id,
            "item_number": t.item_number,
            "spread": t.spread,
            **{f: getattr(t, f) for f in TOPIC_SCORE_FIELDS},
        }
        for t in created
    ]
    bulk.insert(DialogueTopic, rows)
    bulk.insert_history(DialogueTopic, [row["id"] for row in rows], user_id=user_id)
    counts = dict.fromkeys(case_ids, 0)
    ids = sorted(case_ids)
    for chunk in chunks(ids):
        counts.update(
            DialogueTopic.objects.filter(OPEN_TOPIC, round__case_id__in=chunk)
            .order_by()
            .values("round__case_id")
            .annotate(n=Count("pk"))
            .values_list("round__case_id", "n")
        )
    case_services.cases_set_open_topics(counts=counts)


def _scores_saved(
    *, actor: User, case: Case, round_: Round, what: str, moved_from: dt.date | None = None
) -> None:
    """What follows any change of a round's scores: its dialogue topics are
    found again, and the change is logged against the citizen (as a change of
    the scores of the round's date, and of ``moved_from`` if it moved)."""
    topics_refresh(round_=round_, actor=actor)
    days = [round_.measured_on] if moved_from is None else [round_.measured_on, moved_from]
    case_services.log_change(actor, case.citizen, what, only_scores_on=days)


def _date_taken() -> ValidationError:
    return ValidationError(
        {"measured_on": _("There is already a round on this date; open it instead.")}
    )


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
) -> Round:
    """Save a round entered on the caseworker's grid (new, or changed at ``version``).

    A second submit of the same new-round form (same ``submission``) returns
    the round the first one made, unchanged.
    """
    if measured_on > timezone.localdate():
        raise ValidationError({"measured_on": _("The date cannot be in the future.")})
    moved_from = None
    if round_ is None:
        if submission is not None:
            earlier = Round.objects.filter(submission=submission, case=case).first()
            if earlier is not None:
                return earlier
        taken = Round.objects.filter(case=case, measured_on=measured_on).first()
        if taken is not None:
            # The same form's first submit may have committed since the
            # submission was looked for: then this is its round.
            if submission is not None and taken.submission == submission:
                return taken
            raise _date_taken()
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
            raise _date_taken() from None
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
            raise _date_taken()
        moved_from = round_.measured_on
        round_.measured_on = measured_on
        round_.complete = complete
        round_._history_user = actor
        round_.save(update_fields=["measured_on", "complete", "version"])
        round_.measurements.update(measured_on=measured_on)
    _grid_columns_put(actor=actor, case=case, round_=round_, scores=scores)
    _scores_saved(
        actor=actor, case=case, round_=round_, what="progression round saved", moved_from=moved_from
    )
    return round_


def _grid_columns_put(
    *, actor: User | None, case: Case, round_: Round, scores: Mapping[str, Scores]
) -> None:
    """The grid's columns. A column the citizen sent through a link, or the
    provider through its own form, is that rater's own: the grid leaves it
    as it is and refuses a change to it."""
    stored = {m.rater: m for m in round_.measurements.all()}
    for rater, rater_scores in scores.items():
        existing = stored.get(rater)
        if existing is not None and existing.source in (Source.LINK, Source.PROVIDER):
            if existing.scores() != _check_scores(rater_scores):
                raise ValidationError(
                    _("The %(rater)s column was entered by the %(rater)s and changes only by them.")
                    % {"rater": Rater(rater).label.lower()}
                )
            continue
        provider = None
        if rater == Rater.PROVIDER and (existing is None or existing.provider_id is None):
            provider_id = provider_of_date(case, round_.measured_on)
            provider = ProviderOrganisation.objects.filter(pk=provider_id).first()
        measurement_put(
            round_=round_,
            rater=rater,
            scores=rater_scores,
            entered_by=actor,
            source=Source.GRID,
            provider=provider,
        )


class StaleProviderColumn(ValidationError):
    """The provider column of the date is not what the provider's form showed."""


def _provider_date_check(*, case: Case, organisation: ProviderOrganisation, day: dt.date) -> None:
    if day > timezone.localdate():
        raise ValidationError({"measured_on": _("The date cannot be in the future.")})
    arrival = case.citizen.arrival_date
    if arrival is not None and day < arrival:
        raise ValidationError(
            {"measured_on": _("The date cannot be before the citizen's arrival.")}
        )
    if not provider_referral_covers(case, organisation.pk, day):
        raise ValidationError(
            {"measured_on": _("Choose a date on which the citizen was referred to you.")}
        )


@transaction.atomic
def provider_scores_save(
    *,
    actor: User,
    case: Case,
    measured_on: dt.date,
    scores: Scores,
    shown: Scores | None = None,
) -> Round:
    """A provider organisation's own column, in the round of that date (made if missing).

    The date lies in one of the organisation's referrals of the citizen, on
    or after arrival and not in the future. Only the organisation's own
    column (or one the caseworker entered on its behalf) is replaced, and
    only when it is still what the form showed (``shown``, None for a form
    that showed nothing); an empty column
    is refused. The replaced scores stay in the history.
    """
    organisation = actor.provider_organisation
    if organisation is None:
        raise ValidationError(_("Only a provider organisation's user scores as provider."))
    _provider_date_check(case=case, organisation=organisation, day=measured_on)
    scores = _check_scores(scores)
    if all(v is None for v in scores.values()):
        raise ValidationError(_("Score at least one item. Scores are never removed here."))
    column = provider_column(case, organisation.pk, measured_on)
    if column.state == "other":
        raise ValidationError(
            {"measured_on": _("Another organisation has scored the citizen on this date.")}
        )
    if column.scores != _check_scores(shown or {}):
        raise StaleProviderColumn(
            _(
                "The scores of this date are not the ones your form showed: "
                "they are shown now. Check them and save again."
            ),
            code="stale",
        )
    round_, _created = Round.objects.get_or_create(
        case=case,
        measured_on=measured_on,
        defaults={"questionnaire": questionnaire_current(), "created_by": actor},
    )
    round_claim(round_)
    measurement_put(
        round_=round_,
        rater=Rater.PROVIDER,
        scores=scores,
        entered_by=actor,
        source=Source.PROVIDER,
        provider=organisation,
    )
    _scores_saved(actor=actor, case=case, round_=round_, what="provider scores saved")
    return round_


@transaction.atomic
def topic_agree(*, actor: User, topic: DialogueTopic, agreement: str, on: dt.date) -> DialogueTopic:
    if not agreement.strip():
        raise ValidationError({"agreement": _("Write what was agreed.")})
    topic.agreement = agreement.strip()
    topic.agreed_on = on
    topic.agreed_by = actor
    topic._history_user = actor
    # The agreement keeps the scores that differed as they are now.
    _topic_scores(topic, {m.rater: m.scores() for m in topic.round.measurements.all()})
    topic.save(update_fields=["agreement", "agreed_on", "agreed_by", *TOPIC_SCORE_FIELDS])
    case = topic.round.case
    open_count = DialogueTopic.objects.filter(OPEN_TOPIC, round__case=case).count()
    case_services.case_set_open_topics(case=case, count=open_count)
    case_services.log_change(actor, case.citizen, "dialogue topic agreed", only_scores_on=())
    return topic
