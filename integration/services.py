"""Every write that matters in the integration app.

Views, imports and commands call these functions; nothing else writes cases,
citizens or their facts. Each runs in a transaction, validates with
``full_clean`` and writes the access log.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from typing import Any

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import models, transaction
from django.db.models import F, Max, Min
from django.utils import timezone
from django.utils.translation import gettext as _

from common import bulk, data_version
from integration import deadlines
from integration.models import (
    ALLOWED_TRANSITIONS,
    AccessAction,
    AccessLog,
    Case,
    CaseFact,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    FollowUp,
    HealthAssessment,
    Household,
    LadderPlacement,
    ProviderOrganisation,
    Team,
    User,
)

SYSTEM_USERNAME = "(system)"


class ConcurrentEditError(Exception):
    """Someone else saved the record after this user opened it."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "Someone else saved this record while you were editing it. "
                "Your changes were not saved; reopen the record to see the new version."
            )
        )


# --- access log -----------------------------------------------------------


def access_log_write(
    *,
    user: User | None,
    action: str,
    citizen: Citizen | None = None,
    citizens: Iterable[Citizen] = (),
    citizen_ids: Iterable[int] = (),
    search_term: str = "",
    what: str = "",
    path: str = "",
) -> None:
    """Add one row per citizen shown or changed (or one row for a search).

    A list page passes every citizen it shows, written in one query; an import
    may pass the citizens' ids instead.
    """
    # "(system)" cannot be a username (Django allows no brackets), so it never
    # mistakes an import or command for a person.
    username = user.get_username() if user is not None else SYSTEM_USERNAME
    user_id = user.pk if user is not None else None
    base = {
        "user_id": user_id,
        "username": username,
        "action": action,
        "search_term": search_term[:200],
        "what": what[:200],
        "path": path[:500],
    }
    # Plain rows rather than instances: an import logs 10,000 citizens at once.
    rows = [{**base, "citizen_id": c.pk} for c in citizens]
    rows += [{**base, "citizen_id": pk} for pk in citizen_ids]
    if citizen is not None:
        rows.append({**base, "citizen_id": citizen.pk})
    if not rows:
        rows.append({**base, "citizen_id": None})
    bulk.insert(AccessLog, rows, returning=False)
    if action in (AccessAction.CHANGE, AccessAction.IMPORT):
        data_version.bump()  # cached figures (the managers' dashboard) are stale now


def _log_change(actor: User | None, citizen: Citizen, what: str) -> None:
    access_log_write(user=actor, action=AccessAction.CHANGE, citizen=citizen, what=what)


def _set_history_user(instance: Any, actor: User | None) -> None:
    # simple_history takes the user from the request; outside one (imports,
    # commands) it is set on the instance.
    instance._history_user = actor


# --- versioned saves ------------------------------------------------------


def _save_versioned(instance: Case | CaseFact, *, expected_version: int, fields: list[str]) -> None:
    """Save ``fields`` only if nobody saved the row since ``expected_version``.

    The version is claimed with a conditional UPDATE first, so that of two
    concurrent saves exactly one succeeds on every database.
    """
    model = type(instance)
    claimed = model.objects.filter(pk=instance.pk, version=expected_version).update(
        version=F("version") + 1
    )
    if not claimed:
        raise ConcurrentEditError()
    instance.version = expected_version + 1
    instance.save(update_fields=[*fields, "version"])


# --- cases ----------------------------------------------------------------


def case_refresh_deadlines(*, case: Case, today: dt.date | None = None) -> None:
    """Recompute the stored first placement and next deadline of a case.

    Runs inside the caller's transaction. The case row is locked first, and its
    status and the citizen's arrival are read again under the lock: two saves
    of one case at once (the case form and a new placement, say) take turns
    here, and the later one works from both instead of from what it read
    before the other committed.
    """
    status = Case.objects.select_for_update().values_list("status", flat=True).get(pk=case.pk)
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
    }
    case.first_placement_on = facts["first_placement"]
    if status == CaseStatus.OPEN:
        nxt = deadlines.next_deadline(arrival=arrival, adult_at_arrival=adult_at_arrival, **facts)
        case.next_deadline, case.next_deadline_kind = nxt.due, nxt.kind
    else:
        case.next_deadline, case.next_deadline_kind = None, ""
    Case.objects.filter(pk=case.pk).update(
        first_placement_on=case.first_placement_on,
        next_deadline=case.next_deadline,
        next_deadline_kind=case.next_deadline_kind,
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
    if caseworker is not None and caseworker.team_id != team.pk:
        raise ValidationError({"caseworker": _("The caseworker must belong to the case's team.")})
    if household_reference.strip():
        if household is not None:
            raise ValueError("Give the household or its reference, not both.")
        household = _household_of(actor, household_reference)
    citizen = Citizen(
        cpr=cpr,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        nationality=nationality.upper(),
        residence_basis=residence_basis,
        arrival_date=arrival_date,
        sex=sex,
        languages=languages,
        household=household,
        unaccompanied_minor=unaccompanied_minor,
    )
    citizen.full_clean()
    _set_history_user(citizen, actor)
    citizen.save()
    case = Case(citizen=citizen, team=team, caseworker=caseworker, status=CaseStatus.OPEN)
    case.full_clean(exclude=["citizen"])
    _set_history_user(case, actor)
    case.save()
    CaseStatusChange.objects.create(
        case=case,
        from_status="",
        to_status=CaseStatus.OPEN,
        changed_on=arrival_date,
        changed_by=actor,
    )
    case_refresh_deadlines(case=case)
    _log_change(actor, citizen, "case created")
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


def _household_of(actor: User | None, reference: str) -> Household | None:
    """The household with this reference, created if new; None for a blank reference.

    Runs inside the caller's transaction, so the household goes if the case is refused.
    """
    reference = reference.strip()
    if not reference:
        return None
    household = Household.objects.filter(reference=reference).first()
    if household is None:
        household = Household(reference=reference)
        household.full_clean()
        _set_history_user(household, actor)
        household.save()
    return household


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
    for name, value in changes.items():
        setattr(citizen, name, value)
    citizen.full_clean()
    _save_versioned(case, expected_version=version, fields=[])
    _set_history_user(citizen, actor)
    # clean() derives these from the CPR number and the arrival date.
    citizen.save(
        update_fields=[
            *changes,
            "sex",
            "adult_at_arrival",
            "horizon_3m",
            "horizon_6m",
            "horizon_12m",
        ]
    )
    case_refresh_deadlines(case=case)
    _log_change(actor, citizen, "citizen changed")
    return case


@transaction.atomic
def case_assign(
    *, actor: User | None, case: Case, version: int, team: Team, caseworker: User | None
) -> Case:
    if caseworker is not None and caseworker.team_id != team.pk:
        raise ValidationError({"caseworker": _("The caseworker must belong to the case's team.")})
    case.team, case.caseworker = team, caseworker
    case.full_clean(exclude=["citizen"])
    _set_history_user(case, actor)
    _save_versioned(case, expected_version=version, fields=["team", "caseworker"])
    _log_change(actor, case.citizen, "case assigned")
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
    case.status = to_status
    case.closing_reason = reason if to_status == CaseStatus.CLOSED else ""
    case.closed_on = on if to_status == CaseStatus.CLOSED else None
    _set_history_user(case, actor)
    _save_versioned(
        case, expected_version=version, fields=["status", "closing_reason", "closed_on"]
    )
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
    _log_change(actor, case.citizen, f"case {to_status}")
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
        for i in range(0, len(ids), _IMPORT_CHUNK):
            Case.objects.filter(pk__in=ids[i : i + _IMPORT_CHUNK]).update(open_topics=count)


# --- facts ----------------------------------------------------------------


@transaction.atomic
def fact_save(
    *, actor: User | None, case: Case, fact: CaseFact, version: int | None = None
) -> CaseFact:
    """Create a fact (``version`` None) or save changes to one at ``version``."""
    if fact.pk is not None and fact.case_id != case.pk:
        raise PermissionDenied("The fact belongs to another case.")
    fact.case = case
    fact.full_clean(exclude=["case"])
    _set_history_user(fact, actor)
    label = fact._meta.verbose_name
    if fact.pk is None:
        fact.created_by = actor
        fact.save()
        what = f"{label} added"
    else:
        if version is None:
            raise ValueError("Saving an existing fact needs the version it was read at.")
        fields = [
            f.name
            for f in fact._meta.concrete_fields
            if f.editable and not f.primary_key and f.name not in {"case", "uuid"}
        ]
        _save_versioned(fact, expected_version=version, fields=fields)
        what = f"{label} changed"
    case_refresh_deadlines(case=case)
    _log_change(actor, case.citizen, what)
    return fact


# --- provider organisations ---------------------------------------------


@transaction.atomic
def provider_organisation_save(
    *, actor: User | None, organisation: ProviderOrganisation
) -> ProviderOrganisation:
    organisation.full_clean()
    organisation.save()
    return organisation


# --- bulk writes for imports ------------------------------------------------
#
# The same validation and records (history, status changes, access log,
# deadlines) as the one-by-one services above, in a few statements for
# thousands of rows: what comes from the caller is full_clean()ed, and the rows
# go in and change through ``common.bulk``. Foreign keys are passed as
# saved instances or ids and uniqueness is left to the database constraints, so
# that validating a row costs no query; a clash raises IntegrityError, and a
# version saved meanwhile ConcurrentEditError, and everything rolls back.

_IMPORT_CHUNK = 500


def _user_id(actor: User | None) -> int | None:
    return actor.pk if actor is not None else None


def _citizens_of(case_ids: Iterable[int]) -> dict[int, int]:
    """Case id → its citizen's id."""
    ids = sorted(set(case_ids))
    found: dict[int, int] = {}
    for i in range(0, len(ids), _IMPORT_CHUNK):
        chunk = ids[i : i + _IMPORT_CHUNK]
        found.update(Case.objects.filter(pk__in=chunk).values_list("pk", "citizen_id"))
    return found


@transaction.atomic
def households_get_or_create(
    *, actor: User | None, references: Iterable[str]
) -> dict[str, Household]:
    """The households with these references, creating the missing ones."""
    wanted = sorted({r.strip() for r in references if r and r.strip()})
    found: dict[str, Household] = {}
    for i in range(0, len(wanted), _IMPORT_CHUNK):
        chunk = wanted[i : i + _IMPORT_CHUNK]
        found.update((h.reference, h) for h in Household.objects.filter(reference__in=chunk))
    new = [Household(reference=r) for r in wanted if r not in found]
    for household in new:
        household.full_clean(validate_unique=False)
    bulk.create_with_history(new, user_id=_user_id(actor))
    found.update((h.reference, h) for h in new)
    return found


@transaction.atomic
def cases_create_bulk(
    *,
    actor: User | None,
    entries: Iterable[dict[str, Any]],
    log_action: str = AccessAction.CHANGE,
    log_what: str = "case created",
) -> list[int]:
    """``case_create`` for many citizens; each entry holds its keyword arguments.

    Returns the new cases' ids. An import logs its own action instead of a
    second row per citizen.
    """
    citizens: list[Citizen] = []
    cases: list[dict[str, Any]] = []
    for entry in entries:
        team, caseworker = entry["team"], entry.get("caseworker")
        if caseworker is not None and caseworker.team_id != team.pk:
            raise ValidationError(
                {"caseworker": _("The caseworker must belong to the case's team.")}
            )
        citizen = Citizen(
            cpr=entry["cpr"],
            first_name=entry["first_name"].strip(),
            last_name=entry["last_name"].strip(),
            nationality=entry["nationality"].upper(),
            residence_basis=entry["residence_basis"],
            arrival_date=entry["arrival_date"],
            sex=entry.get("sex", ""),
            languages=entry.get("languages", ""),
            household=entry.get("household"),
            unaccompanied_minor=entry.get("unaccompanied_minor", False),
        )
        citizen.full_clean(exclude=["household"], validate_unique=False)
        # A new case has no facts yet, so its deadlines follow from the arrival alone.
        nxt = deadlines.next_deadline(
            arrival=citizen.arrival_date,
            adult_at_arrival=citizen.adult_at_arrival,
            first_placement=None,
            health_offered=None,
            last_follow_up=None,
        )
        # Every value of a new case is fixed or derived here, none comes from
        # the caller but the team and caseworker checked above, so it is a
        # plain row: an instance and its full_clean() cost 30 µs a citizen.
        cases.append(
            {
                "team_id": team.pk,
                "caseworker_id": caseworker.pk if caseworker is not None else None,
                "status": CaseStatus.OPEN.value,
                "next_deadline": nxt.due,
                "next_deadline_kind": nxt.kind,
            }
        )
        citizens.append(citizen)
    user_id = _user_id(actor)
    bulk.create_with_history(citizens, user_id=user_id)
    for case, citizen in zip(cases, citizens, strict=True):
        case["citizen_id"] = citizen.pk
    bulk.insert(Case, cases)
    bulk.insert_history(Case, [case["id"] for case in cases], user_id=user_id)
    bulk.insert(
        CaseStatusChange,
        [
            {
                "case_id": case["id"],
                "from_status": "",
                "to_status": CaseStatus.OPEN.value,
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
        access_log_write(user=actor, action=log_action, citizens=citizens, what=log_what)
    return [case["id"] for case in cases]


# Only these facts move a case's deadlines (see case_refresh_deadlines).
_DEADLINE_FACTS = (LadderPlacement, HealthAssessment, FollowUp)


@transaction.atomic
def facts_create_bulk(
    *,
    actor: User | None,
    facts: Iterable[CaseFact],
    log_action: str = AccessAction.CHANGE,
    log_what: str = "facts added",
) -> list[CaseFact]:
    """``fact_save`` for many new facts, each with its case set (``case_id`` will do).

    One access-log row per citizen, not per fact.
    """
    by_model: dict[type, list[CaseFact]] = {}
    for fact in facts:
        if fact.pk is not None:
            raise ValueError("facts_create_bulk only adds new facts.")
        fact.full_clean(exclude=["case"], validate_unique=False, validate_constraints=False)
        fact.created_by = actor
        by_model.setdefault(type(fact), []).append(fact)
    case_ids: set[int] = set()
    for group in by_model.values():
        bulk.create_with_history(group, user_id=_user_id(actor))
        case_ids.update(fact.case_id for fact in group)
    if any(issubclass(model, _DEADLINE_FACTS) for model in by_model):
        ids = sorted(case_ids)
        for i in range(0, len(ids), _IMPORT_CHUNK):
            chunk = ids[i : i + _IMPORT_CHUNK]
            for case in Case.objects.filter(pk__in=chunk).select_related("citizen"):
                case_refresh_deadlines(case=case)
    if case_ids:
        access_log_write(
            user=actor,
            action=log_action,
            citizen_ids=_citizens_of(case_ids).values(),
            what=log_what,
        )
    return [fact for group in by_model.values() for fact in group]


def _claim_versions(model: type[models.Model], by_version: dict[int, list[int]]) -> None:
    """Claim each row at the version it was read at, as _save_versioned does one
    by one: the conditional UPDATE bumps the version and locks the row, and a row
    changed meanwhile refuses the whole import."""
    for version, pks in by_version.items():
        for i in range(0, len(pks), _IMPORT_CHUNK):
            chunk = pks[i : i + _IMPORT_CHUNK]
            claimed = model.objects.filter(pk__in=chunk, version=version).update(
                version=F("version") + 1
            )
            if claimed != len(chunk):
                raise ConcurrentEditError()


@transaction.atomic
def facts_update_bulk(
    *, actor: User | None, changes: Iterable[tuple[CaseFact, int]], fields: list[str]
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
    _claim_versions(model, by_version)
    facts = []
    for fact, version in changes:
        fact.version = version + 1
        facts.append(fact)
    bulk.update(facts, [*fields, "version"])
    bulk.insert_history(
        model, [fact.pk for fact in facts], user_id=_user_id(actor), history_type="~"
    )
    if issubclass(model, _DEADLINE_FACTS):
        ids = sorted({fact.case_id for fact in facts})
        for i in range(0, len(ids), _IMPORT_CHUNK):
            chunk = ids[i : i + _IMPORT_CHUNK]
            for case in Case.objects.filter(pk__in=chunk).select_related("citizen"):
                case_refresh_deadlines(case=case)
    citizens = _citizens_of(fact.case_id for fact in facts)
    access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen_ids=[citizens[fact.case_id] for fact in facts],
        what=f"{model._meta.verbose_name} changed",
    )


def _cases_refresh_deadlines(cases: list[Case]) -> None:
    """``case_refresh_deadlines`` for cases whose rows this transaction has locked
    (by claiming their versions) and whose citizens it has just saved."""
    first: dict[int, dt.date] = {}
    offered: dict[int, dt.date] = {}
    followed: dict[int, dt.date] = {}
    ids = sorted(case.pk for case in cases)
    for i in range(0, len(ids), _IMPORT_CHUNK):
        chunk = ids[i : i + _IMPORT_CHUNK]
        for model, found, aggregate in (
            (LadderPlacement, first, Min("start_date")),
            (HealthAssessment, offered, Min("offered_on")),
            (FollowUp, followed, Max("held_on")),
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
        if case.status == CaseStatus.OPEN:
            nxt = deadlines.next_deadline(
                arrival=case.citizen.arrival_date,
                adult_at_arrival=case.citizen.adult_at_arrival,
                first_placement=case.first_placement_on,
                health_offered=offered.get(case.pk),
                last_follow_up=followed.get(case.pk),
            )
            case.next_deadline, case.next_deadline_kind = nxt.due, nxt.kind
        else:
            case.next_deadline, case.next_deadline_kind = None, ""
    bulk.update(cases, ["first_placement_on", "next_deadline", "next_deadline_kind"])


@transaction.atomic
def citizens_update_bulk(
    *, actor: User | None, changes: Iterable[tuple[Case, int, dict[str, Any]]]
) -> None:
    """``citizen_update`` for many cases: (case with its citizen, version read, changes).

    If anyone saved one of the cases since it was read, nothing is saved
    (ConcurrentEditError). The same history rows, deadlines and access-log
    rows as one call per case.
    """
    items = list(changes)
    if not items:
        return
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
    _claim_versions(Case, by_version)
    cases = []
    for case, version, _change in items:
        case.version = version + 1
        cases.append(case)
    citizens = [case.citizen for case in cases]
    # clean() derives these from the CPR number and the arrival date.
    derived = ["sex", "adult_at_arrival", "horizon_3m", "horizon_6m", "horizon_12m"]
    bulk.update(citizens, sorted(fields | set(derived)))
    user_id = _user_id(actor)
    bulk.insert_history(Case, [case.pk for case in cases], user_id=user_id, history_type="~")
    bulk.insert_history(
        Citizen, [citizen.pk for citizen in citizens], user_id=user_id, history_type="~"
    )
    _cases_refresh_deadlines(cases)
    access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        citizen_ids=[citizen.pk for citizen in citizens],
        what="citizen changed",
    )
