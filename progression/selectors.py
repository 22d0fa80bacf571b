"""Reads of progression data, scoped to the user.

``evaluation`` builds its figures from the aggregate functions at the end of
this module; each takes a period and, optionally, a set of citizens.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from uuid import UUID

from django.conf import settings
from django.db.models import Avg, Count, Prefetch, Q, QuerySet
from django.http import Http404

from integration import selectors as case_selectors
from integration.models import Case, User
from progression.models import (
    INDEX_ITEMS,
    ITEM_COUNT,
    OPEN_TOPIC,
    CitizenLink,
    DialogueTopic,
    Item,
    Measurement,
    Questionnaire,
    Rater,
    Round,
)


def rounds_visible_to(user: User) -> QuerySet[Round]:
    if not user.is_authenticated or not user.has_perm("progression.view_round"):
        return Round.objects.none()
    return Round.objects.filter(case__in=case_selectors.cases_visible_to(user))


def can_score(user: User, case: Case) -> bool:
    return (
        user.has_perm("progression.change_round")
        and case_selectors.cases_editable_by(user).filter(pk=case.pk).exists()
    )


def get_round_for_user(user: User, round_uuid: UUID | str, *, for_edit: bool = False) -> Round:
    qs = rounds_visible_to(user)
    if for_edit:
        if not user.has_perm("progression.change_round"):
            raise Http404
        qs = qs.filter(case__in=case_selectors.cases_editable_by(user))
    try:
        return qs.select_related("case", "case__citizen", "questionnaire").get(uuid=round_uuid)
    except (Round.DoesNotExist, ValueError) as exc:
        raise Http404 from exc


def rounds_of_case(case: Case) -> list[Round]:
    """Every round of a case, newest first, with measurements and topics and
    who agreed them (3 queries)."""
    return list(
        Round.objects.filter(case=case)
        .select_related("questionnaire")
        .prefetch_related(
            "measurements",
            Prefetch("topics", queryset=DialogueTopic.objects.select_related("agreed_by")),
        )
        .order_by("-measured_on")
    )


def has_citizen_scores(round_: Round) -> bool:
    return round_.measurements.filter(rater=Rater.CITIZEN).exists()


# --- questionnaire versions -----------------------------------------------------


def questionnaire_current_or_none() -> Questionnaire | None:
    """The published version new rounds use, or None before the first is published."""
    return (
        Questionnaire.objects.filter(status=Questionnaire.Status.PUBLISHED)
        .order_by("-version")
        .first()
    )


def questionnaire_current() -> Questionnaire:
    """The published version new rounds use; DoesNotExist before the first is published."""
    current = questionnaire_current_or_none()
    if current is None:
        raise Questionnaire.DoesNotExist("No questionnaire has been published.")
    return current


def questionnaire_versions() -> list[Questionnaire]:
    """Every version, newest first, with its publisher (one query)."""
    return list(Questionnaire.objects.select_related("published_by").order_by("-version"))


def get_questionnaire(version: int) -> Questionnaire:
    try:
        return Questionnaire.objects.select_related("published_by").get(version=version)
    except Questionnaire.DoesNotExist as exc:
        raise Http404 from exc


def get_draft_item(version: int, number: int) -> Item:
    """An item of a draft; a published version's items answer 404 (they are never edited)."""
    try:
        return Item.objects.select_related("questionnaire").get(
            questionnaire__version=version,
            questionnaire__status=Questionnaire.Status.DRAFT,
            number=number,
        )
    except Item.DoesNotExist as exc:
        raise Http404 from exc


def items_of(questionnaire: Questionnaire):
    return list(questionnaire.items.order_by("number"))


def open_topics_of_case(case: Case) -> QuerySet[DialogueTopic]:
    return DialogueTopic.objects.filter(OPEN_TOPIC, round__case=case).select_related("round")


def agreements_of_case(case: Case) -> QuerySet[DialogueTopic]:
    """The agreed topics of a case, newest round first, with who agreed (one query)."""
    return (
        DialogueTopic.objects.filter(round__case=case)
        .exclude(agreement="")
        .select_related("round", "agreed_by")
        .order_by("-round__measured_on", "item_number")
    )


# --- a provider's column ----------------------------------------------------


def provider_of_date(case: Case, day: dt.date) -> int | None:
    """The provider organisation the citizen was referred to on ``day``, when
    there was exactly one: the organisation a provider column of that date is
    for."""
    active = {
        provider_id
        for provider_id, start, end in case_selectors.provider_spells([case.pk]).get(case.pk, [])
        if start <= day and (end is None or end >= day)
    }
    return active.pop() if len(active) == 1 else None


def provider_referral_covers(case: Case, provider_id: int, day: dt.date) -> bool:
    """Whether ``day`` lies in one of the organisation's referrals of the citizen."""
    return any(
        pid == provider_id and start <= day and (end is None or end >= day)
        for pid, start, end in case_selectors.provider_spells([case.pk]).get(case.pk, [])
    )


@dataclass(frozen=True)
class ProviderColumn:
    """What a provider organisation may see of the provider column on a date.

    ``state`` is "none" (no column yet), "own" (its own, or one the
    caseworker entered on its behalf) or "other" (another organisation's,
    whose scores it never sees).
    """

    state: str
    scores: dict[int, int | None]
    entered_by_caseworker: bool = False


def provider_column(case: Case, provider_id: int, day: dt.date) -> ProviderColumn:
    empty = dict.fromkeys(range(1, ITEM_COUNT + 1))
    measurement = (
        Measurement.objects.filter(round__case=case, measured_on=day, rater=Rater.PROVIDER)
        .only("provider_id", "source", *[f"item_{n}" for n in range(1, ITEM_COUNT + 1)])
        .first()
    )
    if measurement is None:
        return ProviderColumn("none", empty)
    owner = measurement.provider_id or provider_of_date(case, day)
    if owner != provider_id:
        return ProviderColumn("other", empty)
    return ProviderColumn(
        "own", measurement.scores(), entered_by_caseworker=measurement.source != "provider"
    )


def links_of_round(round_: Round) -> QuerySet[CitizenLink]:
    return round_.links.order_by("-created_at")


@dataclass(frozen=True)
class ProgressPoint:
    measured_on: dt.date
    rater: str
    index: float | None
    item_13: int | None
    too_few: bool = False


def progress_of_case(case: Case) -> list[ProgressPoint]:
    """Each rater's index (items 1–12) and item 13 per date, oldest first; one query.

    An index from fewer than ``PROGRESSION_MIN_ANSWERED`` answers is None and
    the point says ``too_few``."""
    rows = (
        Measurement.objects.filter(round__case=case)
        .order_by("measured_on", "rater")
        .values_list("measured_on", "rater", "index", "item_13", "index_answered")
    )
    points = []
    for day, rater, index, item_13, index_answered in rows:
        too_few = index_answered < settings.PROGRESSION_MIN_ANSWERED
        points.append(ProgressPoint(day, rater, None if too_few else index, item_13, too_few))
    return points


# --- aggregates for evaluation ---------------------------------------------


def _period(
    user: User | None, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None
) -> QuerySet[Measurement]:
    """Measurements in [start, end] (both inclusive) of cases the user may see."""
    qs = Measurement.objects.filter(measured_on__gte=start, measured_on__lte=end)
    # ``user`` None is the system itself (a command run by cron).
    if user is not None and not (
        user.has_perm("integration.view_all_cases") or user.has_perm("integration.view_aggregates")
    ):
        qs = qs.filter(round__case__in=case_selectors.cases_visible_to(user))
    if citizen_ids is not None:
        qs = qs.filter(round__case__citizen_id__in=list(citizen_ids))
    return qs


def _answered(
    user: User,
    start: dt.date,
    end: dt.date,
    citizen_ids: Iterable[int] | None,
    *,
    rater: str,
    column: str,
) -> QuerySet:
    """One row per measurement by ``rater`` with ``column`` filled in, by date:
    date, citizen id and the column."""
    return (
        _period(user, start, end, citizen_ids)
        .filter(rater=rater, **{f"{column}__isnull": False})
        .values("measured_on", "round__case__citizen_id", column)
        .order_by("measured_on")
    )


def _enough() -> Q:
    """Measurements whose index counts: enough of items 1–12 answered."""
    return Q(index_answered__gte=settings.PROGRESSION_MIN_ANSWERED)


def caseworker_indices(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> QuerySet:
    """One row per caseworker measurement with an index from enough answers
    (``PROGRESSION_MIN_ANSWERED`` of items 1–12): date, citizen id, index."""
    return _answered(user, start, end, citizen_ids, rater=Rater.CASEWORKER, column="index").filter(
        _enough()
    )


def citizen_self_assessments(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> QuerySet:
    """One row per citizen measurement with item 13 answered: date, citizen id, item 13."""
    return _answered(user, start, end, citizen_ids, rater=Rater.CITIZEN, column="item_13")


def caseworker_summary(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> dict:
    """The caseworkers' half of :func:`progression_summary`, in one query."""
    enough = Q(index__isnull=False) & _enough()
    caseworker = (
        _period(user, start, end, citizen_ids)
        .filter(rater=Rater.CASEWORKER)
        .aggregate(
            caseworker_measurements=Count("id", filter=enough),
            caseworker_too_few=Count("id", filter=~_enough()),
            caseworker_index_mean=Avg("index", filter=enough),
            **{f"mean_{n}": Avg(f"item_{n}") for n in INDEX_ITEMS},
        )
    )
    means = {n: caseworker[f"mean_{n}"] for n in INDEX_ITEMS if caseworker[f"mean_{n}"] is not None}
    return {
        "caseworker_measurements": caseworker["caseworker_measurements"],
        "caseworker_too_few": caseworker["caseworker_too_few"],
        "caseworker_index_mean": caseworker["caseworker_index_mean"],
        "caseworker_item_means": means,
    }


def citizen_summary(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> dict:
    """The citizens' half of :func:`progression_summary`, in one query."""
    return (
        _period(user, start, end, citizen_ids)
        .filter(rater=Rater.CITIZEN)
        .aggregate(
            citizen_self_assessment_mean=Avg("item_13"),
            citizen_measurements=Count("id", filter=Q(item_13__isnull=False)),
        )
    )


def progression_summary(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> dict:
    """The figures of the service review's section 5.1, aggregated in the database.

    ``caseworker_measurements`` counts caseworker measurements whose index
    rests on at least ``PROGRESSION_MIN_ANSWERED`` of items 1–12;
    ``caseworker_index_mean`` is the mean of their indices;
    ``caseworker_too_few`` counts the caseworker measurements with too few
    answers, which are left out of the index and counted apart;
    ``citizen_self_assessment_mean`` the mean of the citizens' item 13;
    ``caseworker_item_means`` the caseworkers' mean per item 1–12 (item 13 is
    the citizen's question and is not ranked among the caseworker's items).
    The two halves are :func:`caseworker_summary` and :func:`citizen_summary`.
    """
    return {
        **caseworker_summary(user, start, end, citizen_ids),
        **citizen_summary(user, start, end, citizen_ids),
    }


def measurement_counts_by_month(
    user: User, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> QuerySet:
    """Measurements per month and rater, with the mean index of those with
    enough answers and, apart, how many had too few: for trends over time."""
    from django.db.models.functions import TruncMonth

    return (
        _period(user, start, end, citizen_ids)
        # Every rater, said aloud: PostgreSQL then reads a month through the
        # (rater, measured_on) index instead of the whole table (at 3 million
        # measurements 0,03 s for this month so far, not 0,3 s).
        .filter(rater__in=Rater.values)
        .annotate(month=TruncMonth("measured_on"))
        .values("month", "rater")
        .annotate(
            n=Count("id"),
            too_few=Count("id", filter=~_enough()),
            index_mean=Avg("index", filter=_enough()),
            item_13_mean=Avg("item_13"),
        )
        .order_by("month", "rater")
    )


def _questionnaire_texts(questionnaire: Questionnaire) -> dict:
    return {
        "version": questionnaire.version,
        "published_at": (
            questionnaire.published_at.date().isoformat() if questionnaire.published_at else None
        ),
        "items": [
            {
                "number": item.number,
                "label": item.text("label"),
                "question": item.text("question"),
                "municipal_wording": item.municipal_wording,
            }
            for item in sorted(questionnaire.items.all(), key=lambda i: i.number)
        ],
    }


def questionnaires_used(user: User | None, start: dt.date, end: dt.date) -> list[dict]:
    """The questionnaire versions measurements in [start, end] were made with,
    newest first, each with its items' Danish texts and whether an item is the
    municipality's own wording or the default (the service review's annex).
    No person is in it."""
    # A handful of versions, each asked apart whether a measurement in the
    # period used it: the database stops at the first one it finds through the
    # version's index, instead of reading every measurement since the review's
    # start (3 million at 100,000 citizens, 0,9 s). Asked in one query, the
    # planner reads them all.
    measured = _period(user, start, end, None)
    questionnaires = Questionnaire.objects.prefetch_related("items").order_by("-version")
    return [
        _questionnaire_texts(q) for q in questionnaires if measured.filter(questionnaire=q).exists()
    ]


def questionnaire_current_texts() -> dict | None:
    """The published version new rounds use, as :func:`questionnaires_used` gives it."""
    current = questionnaire_current_or_none()
    return _questionnaire_texts(current) if current is not None else None
