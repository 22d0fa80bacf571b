"""Cases and their citizens: create, edit, assign, close and reopen, and the stored deadlines."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping
from typing import Any

from django.core.exceptions import ValidationError
from django.db import transaction
from django.db.models import Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from common import bulk
from common.csvimport import chunks
from common.lookups import among
from integration import deadlines
from integration.models import (
    ALLOWED_TRANSITIONS,
    Case,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    FollowUp,
    HealthAssessment,
    Household,
    IntegrationContract,
    LadderPlacement,
    Team,
    User,
)
from integration.services.access_log import log_change
from integration.services.versions import (
    ConcurrentEditError,
    actor_id,
    save_versioned,
    set_history_user,
)

# What ``case_refresh_deadlines`` stores on a case.
DEADLINE_FIELDS = ("first_placement_on", "next_deadline", "next_deadline_kind")


def case_refresh_deadlines(*, case: Case, today: dt.date | None = None) -> bool:
    """Recompute the stored first placement and next deadline of a case; True
    if they moved.

    Runs inside the caller's transaction. The case row is locked first, and its
    status and the citizen's arrival are read again under the lock: two saves
    of one case at once (the case form and a new placement, say) take turns
    here, and the later one works from both instead of from what it read
    before the other committed.
    """
    status, *stored = (
        Case.objects.select_for_update().values_list("status", *DEADLINE_FIELDS).get(pk=case.pk)
    )
    # A statement of its own: one that waited for the lock would still see
    # the citizen as it was when it began.
    arrival, adult_at_arrival = Citizen.objects.values_list("arrival_date", "adult_at_arrival").get(
        pk=case.citizen_id
    )
    facts = {
        "first_placement": LadderPlacement.objects.filter(case=case).aggregate(d=Min("start_date"))[
            "d"
        ],
        "health_offered": HealthAssessment.objects.filter(case=case).aggregate(d=Min("offered_on"))[
            "d"
        ],
        "last_follow_up": FollowUp.objects.filter(case=case).aggregate(d=Max("held_on"))["d"],
        "contract_signed": IntegrationContract.objects.filter(case=case).aggregate(
            d=Min("signed_on")
        )["d"],
    }
    case.first_placement_on = facts["first_placement"]
    if status == CaseStatus.OPEN:
        nxt = deadlines.next_deadline(arrival=arrival, adult_at_arrival=adult_at_arrival, **facts)
        case.next_deadline, case.next_deadline_kind = nxt.due, nxt.kind
    else:
        case.next_deadline, case.next_deadline_kind = None, ""
    now = {name: getattr(case, name) for name in DEADLINE_FIELDS}
    if list(now.values()) == stored:
        return False
    Case.objects.filter(pk=case.pk).update(**now)
    return True


def check_caseworker_in_team(*, team: Team, caseworker: User | None) -> None:
    if caseworker is not None and caseworker.team_id != team.pk:
        raise ValidationError({"caseworker": _("The caseworker must belong to the case's team.")})


def new_citizen(fields: Mapping[str, Any]) -> Citizen:
    """An unsaved citizen of a new case from ``case_create``'s citizen arguments,
    with the names trimmed and the country code upper-case."""
    return Citizen(
        **{
            **fields,
            "first_name": fields["first_name"].strip(),
            "last_name": fields["last_name"].strip(),
            "nationality": fields["nationality"].upper(),
        }
    )


@transaction.atomic
def case_create(
    *,
    actor: User | None,
    team: Team,
    caseworker: User | None = None,
    cpr: str,
    first_name: str,
    last_name: str,
    nationality: str,
    residence_basis: str,
    arrival_date: dt.date,
    sex: str = "",
    languages: str = "",
    household: Household | None = None,
    household_reference: str = "",
    unaccompanied_minor: bool = False,
) -> Case:
    """Open a case for a new citizen.

    A household is given as an instance or by its reference; a new reference
    creates the household here, so a refused case leaves none behind.
    """
    check_caseworker_in_team(team=team, caseworker=caseworker)
    if household_reference.strip():
        if household is not None:
            raise ValueError("Give the household or its reference, not both.")
        household = _household_of(actor, household_reference)
    citizen = new_citizen(
        {
            "cpr": cpr,
            "first_name": first_name,
            "last_name": last_name,
            "nationality": nationality,
            "residence_basis": residence_basis,
            "arrival_date": arrival_date,
            "sex": sex,
            "languages": languages,
            "household": household,
            "unaccompanied_minor": unaccompanied_minor,
        }
    )
    citizen.full_clean()
    set_history_user(citizen, actor)
    citizen.save()
    case = Case(citizen=citizen, team=team, caseworker=caseworker, status=CaseStatus.OPEN)
    case.full_clean(exclude=["citizen"])
    set_history_user(case, actor)
    case.save()
    CaseStatusChange.objects.create(
        case=case,
        from_status="",
        to_status=CaseStatus.OPEN,
        changed_on=arrival_date,
        changed_by=actor,
    )
    case_refresh_deadlines(case=case)
    log_change(actor, citizen, "case created", cases_from=arrival_date, new_cases=[case.pk])
    return case


CITIZEN_EDITABLE = [
    "first_name",
    "last_name",
    "sex",
    "nationality",
    "languages",
    "household",
    "unaccompanied_minor",
    "residence_basis",
    "arrival_date",
]


@transaction.atomic
def households_get_or_create(
    *, actor: User | None, references: Iterable[str]
) -> dict[str, Household]:
    """The households with these references, creating the missing ones."""
    wanted = sorted({r.strip() for r in references if r and r.strip()})
    found: dict[str, Household] = {}
    for households in among(Household.objects.all(), "reference", wanted):
        found.update((h.reference, h) for h in households)
    new = [Household(reference=r) for r in wanted if r not in found]
    for household in new:
        household.full_clean(validate_unique=False)
    bulk.create_with_history(new, user_id=actor_id(actor))
    found.update((h.reference, h) for h in new)
    return found


def _household_of(actor: User | None, reference: str) -> Household | None:
    """The household with this reference, created if new; None for a blank reference.

    Runs inside the caller's transaction, so the household goes if the case is refused.
    """
    return households_get_or_create(actor=actor, references=[reference]).get(reference.strip())


def citizen_change_first_day(citizen: Citizen, changes: Mapping[str, Any]) -> dt.date:
    """The first day ``changes`` to a citizen (not yet set) may move figures
    from (``kept_figures``): the citizen counts from arrival, old or new."""
    return min(citizen.arrival_date, changes.get("arrival_date") or citizen.arrival_date)


@transaction.atomic
def citizen_update(
    *,
    actor: User | None,
    case: Case,
    version: int,
    household_reference: str | None = None,
    **changes: Any,
) -> Case:
    """Change the citizen's facts; the case's version guards both.

    ``household_reference`` sets the household by its reference (blank: none),
    creating a new one inside this transaction.
    """
    unknown = set(changes) - set(CITIZEN_EDITABLE)
    if unknown:
        raise ValueError(f"Not editable: {sorted(unknown)}")
    if household_reference is not None:
        if "household" in changes:
            raise ValueError("Give the household or its reference, not both.")
        changes["household"] = _household_of(actor, household_reference)
    citizen = case.citizen
    first_day = citizen_change_first_day(citizen, changes)
    for name, value in changes.items():
        setattr(citizen, name, value)
    citizen.full_clean()
    save_versioned(case, expected_version=version, fields=[])
    set_history_user(citizen, actor)
    citizen.save(update_fields=[*changes, *Citizen.DERIVED_FIELDS])
    case_refresh_deadlines(case=case)
    log_change(actor, citizen, "citizen changed", cases_from=first_day)
    return case


@transaction.atomic
def case_assign(
    *, actor: User | None, case: Case, version: int, team: Team, caseworker: User | None
) -> Case:
    check_caseworker_in_team(team=team, caseworker=caseworker)
    case.team, case.caseworker = team, caseworker
    case.full_clean(exclude=["citizen"])
    set_history_user(case, actor)
    save_versioned(case, expected_version=version, fields=["team", "caseworker"])
    # Counted by team from arrival on.
    log_change(actor, case.citizen, "case assigned", cases_from=case.citizen.arrival_date)
    return case


@transaction.atomic
def case_transition(
    *,
    actor: User | None,
    case: Case,
    version: int,
    to_status: str,
    on: dt.date,
    reason: str = "",
    note: str = "",
) -> Case:
    """Close or reopen a case; closing needs a closing reason, reopening a note."""
    if case.version != version:
        # Someone saved the case after this user read it: say that, rather than
        # judge the transition against a status the user has not seen.
        raise ConcurrentEditError()
    if to_status not in ALLOWED_TRANSITIONS.get(case.status, set()):
        raise ValidationError(
            _("A case cannot go from %(from)s to %(to)s.")
            % {"from": CaseStatus(case.status).label, "to": CaseStatus(to_status).label}
        )
    if to_status == CaseStatus.CLOSED and not reason:
        raise ValidationError({"reason": _("Choose why the case is closed.")})
    if to_status == CaseStatus.OPEN and not note.strip():
        raise ValidationError({"note": _("Write why the case is reopened.")})
    if on > timezone.localdate():
        raise ValidationError({"on": _("The date cannot be in the future.")})
    from_status = case.status
    # Figures move from the old closing (a reopening) or the new one.
    first_day = min(case.closed_on or on, on)
    case.status = to_status
    case.closing_reason = reason if to_status == CaseStatus.CLOSED else ""
    case.closed_on = on if to_status == CaseStatus.CLOSED else None
    set_history_user(case, actor)
    save_versioned(case, expected_version=version, fields=["status", "closing_reason", "closed_on"])
    CaseStatusChange.objects.create(
        case=case,
        from_status=from_status,
        to_status=to_status,
        reason=case.closing_reason,
        note=note,
        changed_on=on,
        changed_by=actor,
    )
    case_refresh_deadlines(case=case)
    log_change(actor, case.citizen, f"case {to_status}", cases_from=first_day)
    return case


def case_set_open_topics(*, case: Case, count: int) -> None:
    """Record how many progression dialogue topics await an agreement."""
    Case.objects.filter(pk=case.pk).update(open_topics=count)
    case.open_topics = count


def cases_set_open_topics(*, counts: dict[int, int]) -> None:
    """``case_set_open_topics`` for many cases, by id: one UPDATE per distinct count."""
    by_count: dict[int, list[int]] = {}
    for case_id, count in counts.items():
        by_count.setdefault(count, []).append(case_id)
    for count, ids in by_count.items():
        for chunk in chunks(ids):
            Case.objects.filter(pk__in=chunk).update(open_topics=count)
