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
    SCALE,
    SCORE_FIELDS,
    DialogueTopic,
    Measurement,
    Rater,
    Round,
)
from progression.selectors import questionnaire_current

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


def measurement_put(
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
    for chunk in chunks(round_ids):
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
    for chunk in chunks(ids):
        counts.update(
            DialogueTopic.objects.filter(round__case_id__in=chunk, agreement="")
            .order_by()
            .values("round__case_id")
            .annotate(n=Count("pk"))
            .values_list("round__case_id", "n")
        )
    case_services.cases_set_open_topics(counts=counts)


def _scores_saved(*, actor: User, case: Case, round_: Round, what: str) -> None:
    """What follows any change of a round's scores: its dialogue topics are
    found again, and the change is logged against the citizen."""
    topics_refresh(round_=round_)
    case_services.log_change(actor, case.citizen, what)


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
        round_.measured_on = measured_on
        round_.complete = complete
        round_._history_user = actor
        round_.save(update_fields=["measured_on", "complete", "version"])
        round_.measurements.update(measured_on=measured_on)
    for rater, rater_scores in scores.items():
        measurement_put(
            round_=round_,
            rater=rater,
            scores=rater_scores,
            entered_by=actor,
            provider=provider if rater == Rater.PROVIDER else None,
        )
    _scores_saved(actor=actor, case=case, round_=round_, what="progression round saved")
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
    round_claim(round_)
    measurement_put(
        round_=round_,
        rater=Rater.PROVIDER,
        scores=scores,
        entered_by=actor,
        provider=actor.provider_organisation,
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
    topic.save(update_fields=["agreement", "agreed_on", "agreed_by"])
    case = topic.round.case
    open_count = DialogueTopic.objects.filter(round__case=case, agreement="").count()
    case_services.case_set_open_topics(case=case, count=open_count)
    case_services.log_change(actor, case.citizen, "dialogue topic agreed")
    return topic
