"""Bulk writes for imports.

The same validation and records (history, status changes, access log,
deadlines) as the one-by-one services (``cases``, ``facts``), in a few statements for
thousands of rows: what comes from the caller is full_clean()ed, and the rows
go in and change through ``common.bulk``. Foreign keys are passed as
saved instances or ids and uniqueness is left to the database constraints, so
that validating a row costs no query; a clash raises IntegrityError, and a
version saved meanwhile ConcurrentEditError, and everything rolls back.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.db import transaction
from django.db.models import Max, Min
from django.utils import translation

from common import bulk
from common.csvimport import chunks
from integration import deadlines, kept_figures, models, report_cache, standing
from integration.services.access_log import access_log_write
from integration.services.cases import (
    CITIZEN_EDITABLE,
    DEADLINE_FIELDS,
    case_refresh_deadlines,
    check_caseworker_in_team,
    citizen_change_first_day,
    new_citizen,
)
from integration.services.versions import actor_id, claim_versions


def _citizens_of(case_ids: Iterable[int], known: Mapping[int, int] | None = None) -> dict[int, int]:
    """Case id → its citizen's id; from ``known`` where it holds every case."""
    ids = sorted(set(case_ids))
    if known is not None and all(pk in known for pk in ids):
        return {pk: known[pk] for pk in ids}
    found: dict[int, int] = {}
    for chunk in chunks(ids):
        found.update(models.Case.objects.filter(pk__in=chunk).values_list("pk", "citizen_id"))
    return found


@transaction.atomic
def cases_create_bulk(
    *,
    actor: models.User | None,
    entries: Iterable[dict[str, Any]],
    log_action: str = models.AccessAction.CHANGE,
    log_what: str = "case created",
) -> list[int]:
    """``case_create`` for many citizens; each entry holds its keyword arguments.

    Returns the new cases' ids. An import logs its own action instead of a
    second row per citizen.
    """
    entries = list(entries)
    citizens: list[models.Citizen] = []
    for entry in entries:
        check_caseworker_in_team(team=entry["team"], caseworker=entry.get("caseworker"))
        citizens.append(
            new_citizen(
                {name: value for name, value in entry.items() if name not in ("team", "caseworker")}
            )
        )
    # The uuid is the model's own (a fresh uuid4), not the caller's: cleaning
    # 10,000 of them cost 30 ms and could refuse none.
    bulk.full_clean_many(citizens, exclude=["household", "uuid"], validate_constraints=True)
    cases: list[dict[str, Any]] = []
    first_deadlines: dict[tuple[dt.date, bool], deadlines.Deadline] = {}
    for entry, citizen in zip(entries, citizens, strict=True):
        team, caseworker = entry["team"], entry.get("caseworker")
        # A new case has no facts yet, so its deadlines follow from the arrival
        # alone: once per arrival date and age group.
        key = (citizen.arrival_date, citizen.adult_at_arrival)
        if key not in first_deadlines:
            first_deadlines[key] = deadlines.next_deadline(
                arrival=citizen.arrival_date,
                adult_at_arrival=citizen.adult_at_arrival,
                first_placement=None,
                health_offered=None,
                last_follow_up=None,
                contract_signed=None,
            )
        nxt = first_deadlines[key]
        # Every value of a new case is fixed or derived here, none comes from
        # the caller but the team and caseworker checked above, so it is a
        # plain row: an instance and its full_clean() cost 30 µs a citizen.
        cases.append(
            {
                "team_id": team.pk,
                "caseworker_id": caseworker.pk if caseworker is not None else None,
                "status": models.CaseStatus.OPEN.value,
                "next_deadline": nxt.due,
                "next_deadline_kind": nxt.kind,
            }
        )
    user_id = actor_id(actor)
    bulk.create_with_history(citizens, user_id=user_id)
    for case, citizen in zip(cases, citizens, strict=True):
        case["citizen_id"] = citizen.pk
    bulk.insert(models.Case, cases)
    bulk.insert_history(models.Case, [case["id"] for case in cases], user_id=user_id)
    bulk.insert(
        models.CaseStatusChange,
        [
            {
                "case_id": case["id"],
                "from_status": "",
                "to_status": models.CaseStatus.OPEN.value,
                "reason": "",
                "note": "",
                "changed_on": citizen.arrival_date,
                "changed_by_id": user_id,
            }
            for case, citizen in zip(cases, citizens, strict=True)
        ],
        returning=False,
    )
    if citizens:  # with none, access_log_write would log a row about nobody
        access_log_write(
            user=actor,
            action=log_action,
            citizens=citizens,
            what=log_what,
            cases_from=min(citizen.arrival_date for citizen in citizens),
            new_cases=[case["id"] for case in cases],
        )
    return [case["id"] for case in cases]


# Only these facts move a case's deadlines (see case_refresh_deadlines).
_DEADLINE_FACTS = (
    models.LadderPlacement,
    models.HealthAssessment,
    models.FollowUp,
    models.IntegrationContract,
)


@transaction.atomic
def facts_create_bulk(
    *,
    actor: models.User | None,
    facts: Iterable[models.CaseFact],
    log_action: str = models.AccessAction.CHANGE,
    log_what: str = "facts added",
    citizen_of: Mapping[int, int] | None = None,
) -> list[models.CaseFact]:
    """``fact_save`` for many new facts, each with its case set (``case_id`` will do).

    One access-log row per citizen, not per fact. ``citizen_of`` (case id →
    its citizen's id), where the caller has read it already, saves asking.
    """
    by_model: dict[type, list[models.CaseFact]] = {}
    for fact in facts:
        if fact.pk is not None:
            raise ValueError("facts_create_bulk only adds new facts.")
        by_model.setdefault(type(fact), []).append(fact)
    user_id = actor_id(actor)
    for group in by_model.values():
        # As cases_create_bulk: the uuid is the model's own.
        bulk.full_clean_many(group, exclude=["case", "uuid"])
        for fact in group:
            # The id: the relation's descriptor took 3 µs a fact.
            fact.created_by_id = user_id
    case_ids: set[int] = set()
    for group in by_model.values():
        bulk.create_with_history(group, user_id=user_id)
        case_ids.update(fact.case_id for fact in group)
    moved = False
    if any(issubclass(model, _DEADLINE_FACTS) for model in by_model):
        moved = _refresh_deadlines(case_ids)
    created = [fact for group in by_model.values() for fact in group]
    if case_ids:
        first_days = [kept_figures.first_day_of(group) for group in by_model.values()]
        citizens = _citizens_of(case_ids, citizen_of)
        access_log_write(
            user=actor,
            action=log_action,
            citizen_ids=citizens.values(),
            what=log_what,
            cases_from=kept_figures.first_day(*first_days),
            cases_parts=report_cache.changed_parts(by_model, deadlines_moved=moved),
            added_spells=standing.new_spells(created, citizens),
        )
    return created


@transaction.atomic
def facts_update_bulk(
    *, actor: models.User | None, changes: Iterable[tuple[models.CaseFact, int]], fields: list[str]
) -> None:
    """``fact_save`` for changed facts of one model, each at the version it was read at.

    Saves ``fields``. If anyone saved one of the facts since it was read, nothing
    is saved (ConcurrentEditError). One access-log row per fact, as one by one.
    """
    changes = list(changes)
    if not changes:
        return
    model = type(changes[0][0])
    by_version: dict[int, list[int]] = {}
    for fact, version in changes:
        fact.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        by_version.setdefault(version, []).append(fact.pk)
    first_day = kept_figures.first_day_of(
        [fact for fact, _version in changes], stored=[fact.pk for fact, _version in changes]
    )
    claim_versions(model, by_version)
    facts = []
    for fact, version in changes:
        fact.version = version + 1
        facts.append(fact)
    bulk.update(facts, [*fields, "version"])
    bulk.insert_history(
        model, [fact.pk for fact in facts], user_id=actor_id(actor), history_type="~"
    )
    moved = False
    if issubclass(model, _DEADLINE_FACTS):
        moved = _refresh_deadlines({fact.case_id for fact in facts})
    citizens = _citizens_of(fact.case_id for fact in facts)
    access_log_write(
        user=actor,
        action=models.AccessAction.CHANGE,
        citizen_ids=[citizens[fact.case_id] for fact in facts],
        # In English whoever imports: the log's phrases are shown translated
        # (integration.access_log_text).
        what=f"{_english_name(model)} changed",
        cases_from=first_day,
        cases_parts=report_cache.changed_parts([model], deadlines_moved=moved),
    )


def _refresh_deadlines(case_ids: Iterable[int]) -> bool:
    """``case_refresh_deadlines`` for these cases; True if any case's moved."""
    moved = False
    for chunk in chunks(sorted(case_ids)):
        for case in models.Case.objects.filter(pk__in=chunk).select_related("citizen"):
            moved = case_refresh_deadlines(case=case) or moved
    return moved


def _english_name(model: type) -> str:
    with translation.override("en"):
        return str(model._meta.verbose_name)


def _cases_refresh_deadlines(cases: list[models.Case]) -> None:
    """``case_refresh_deadlines`` for cases whose rows this transaction has locked
    (by claiming their versions) and whose citizens it has just saved."""
    first: dict[int, dt.date] = {}
    offered: dict[int, dt.date] = {}
    followed: dict[int, dt.date] = {}
    signed: dict[int, dt.date] = {}
    ids = sorted(case.pk for case in cases)
    for chunk in chunks(ids):
        for model, found, aggregate in (
            (models.LadderPlacement, first, Min("start_date")),
            (models.HealthAssessment, offered, Min("offered_on")),
            (models.FollowUp, followed, Max("held_on")),
            (models.IntegrationContract, signed, Min("signed_on")),
        ):
            found.update(
                model.objects.filter(case_id__in=chunk)
                .order_by()
                .values("case_id")
                .annotate(d=aggregate)
                .values_list("case_id", "d")
            )
    for case in cases:
        case.first_placement_on = first.get(case.pk)
        if case.status == models.CaseStatus.OPEN:
            nxt = deadlines.next_deadline(
                arrival=case.citizen.arrival_date,
                adult_at_arrival=case.citizen.adult_at_arrival,
                first_placement=case.first_placement_on,
                health_offered=offered.get(case.pk),
                last_follow_up=followed.get(case.pk),
                contract_signed=signed.get(case.pk),
            )
            case.next_deadline, case.next_deadline_kind = nxt.due, nxt.kind
        else:
            case.next_deadline, case.next_deadline_kind = None, ""
    bulk.update(cases, list(DEADLINE_FIELDS))


@transaction.atomic
def citizens_update_bulk(
    *, actor: models.User | None, changes: Iterable[tuple[models.Case, int, dict[str, Any]]]
) -> None:
    """``citizen_update`` for many cases: (case with its citizen, version read, changes).

    If anyone saved one of the cases since it was read, nothing is saved
    (ConcurrentEditError). The same history rows, deadlines and access-log
    rows as one call per case.
    """
    items = list(changes)
    if not items:
        return
    first_day = min(
        citizen_change_first_day(case.citizen, change) for case, _version, change in items
    )
    fields: set[str] = set()
    by_version: dict[int, list[int]] = {}
    for case, version, change in items:
        unknown = set(change) - set(CITIZEN_EDITABLE)
        if unknown:
            raise ValueError(f"Not editable: {sorted(unknown)}")
        citizen = case.citizen
        for name, value in change.items():
            setattr(citizen, name, value)
        citizen.full_clean(validate_unique=False)
        fields.update(change)
        by_version.setdefault(version, []).append(case.pk)
    claim_versions(models.Case, by_version)
    cases = []
    for case, version, _change in items:
        case.version = version + 1
        cases.append(case)
    citizens = [case.citizen for case in cases]
    bulk.update(citizens, sorted(fields | set(models.Citizen.DERIVED_FIELDS)))
    user_id = actor_id(actor)
    bulk.insert_history(models.Case, [case.pk for case in cases], user_id=user_id, history_type="~")
    bulk.insert_history(
        models.Citizen, [citizen.pk for citizen in citizens], user_id=user_id, history_type="~"
    )
    _cases_refresh_deadlines(cases)
    access_log_write(
        user=actor,
        action=models.AccessAction.CHANGE,
        citizen_ids=[citizen.pk for citizen in citizens],
        what="citizen changed",
        cases_from=first_day,
    )
