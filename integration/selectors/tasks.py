"""The tasks of open cases: every pending deadline and to-do (integration.deadlines),
as the task page and the morning e-mail read them.

One query whatever the number of cases: the facts the rules need come as
subqueries of the case rows, and the rules run in Python. Only cases whose
stored next deadline falls by the horizon can have a dated task by then (the
stored deadline is the earliest of them, and a to-do on a follow-up falls on a
deadline's day), so the database narrows the rows first.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from uuid import UUID

from django.db.models import Exists, OuterRef, Q, QuerySet, Subquery

from accounts.roles import Role
from integration import deadlines
from integration.models import (
    Case,
    CaseStatus,
    FollowUp,
    HealthAssessment,
    IntegrationContract,
    IntegrationPlan,
    PlanStatus,
    Team,
    User,
)
from integration.selectors.cases import cases_visible_to

# The plan events that follow an offer: any of them meets the to-do.
PLAN_OFFERED = (PlanStatus.OFFERED, PlanStatus.ACCEPTED, PlanStatus.DECLINED)


@dataclass(frozen=True)
class Task:
    """One deadline or to-do of one case; ``due`` None for a to-do with no date."""

    kind: str
    label: str
    todo: bool
    due: dt.date | None
    case_uuid: UUID
    citizen_id: int
    name: str
    arrival: dt.date
    caseworker_id: int | None
    caseworker: str


def open_cases_for_tasks(user: User, *, scope: str, team: Team | None = None) -> QuerySet[Case]:
    """The open cases of the task page: the user's own (``mine``), their team's
    (``team``), or ``team``'s when the user may see every team. Always within
    ``cases_visible_to``: a team the user may not see gives no case."""
    qs = cases_visible_to(user).filter(status=CaseStatus.OPEN)
    if scope == "mine":
        return qs.filter(caseworker=user)
    if team is not None:
        return qs.filter(team=team)
    if user.team_id is None:
        return qs.none()
    return qs.filter(team_id=user.team_id)


def digest_cases() -> QuerySet[Case]:
    """The open cases of every active caseworker who wants the morning e-mail."""
    return Case.objects.filter(
        status=CaseStatus.OPEN,
        caseworker__is_active=True,
        caseworker__deadline_digest=True,
        caseworker__groups__name=Role.CASEWORKER,
    )


def _plan_pending() -> Q:
    offered = IntegrationPlan.objects.filter(case=OuterRef("pk"), status__in=PLAN_OFFERED)
    return Q(citizen__adult_at_arrival=True) & ~Exists(offered)


def tasks_due(cases: QuerySet[Case], *, until: dt.date, undated: bool = True) -> list[Task]:
    """Every deadline and dated to-do of ``cases`` due on or before ``until``
    (overdue ones included), earliest first, then, with ``undated``, the to-dos
    that have no date (oldest arrival first). Cases must be open."""
    first = {"case": OuterRef("pk")}
    wanted = Q(next_deadline__lte=until)
    if undated:
        wanted |= _plan_pending()
        # A team's cases first (through the team's or caseworker's index),
        # then the condition on each: asked in one, PostgreSQL reads every
        # offered plan of the municipality to test a few hundred cases
        # (at 100,000 citizens 66 ms instead of 8).
        cases = Case.objects.filter(pk__in=list(cases.values_list("pk", flat=True)))
    rows = (
        cases.filter(wanted)
        .annotate(
            health_offered=Exists(HealthAssessment.objects.filter(**first)),
            contract_signed=Exists(IntegrationContract.objects.filter(**first)),
            plan_offered=Exists(IntegrationPlan.objects.filter(**first, status__in=PLAN_OFFERED)),
            last_follow_up=Subquery(
                FollowUp.objects.filter(**first).order_by("-held_on").values("held_on")[:1]
            ),
            # Two follow-ups on one day: guidance at either counts.
            last_guided=Subquery(
                FollowUp.objects.filter(**first)
                .order_by("-held_on", "-repatriation_guidance_given")
                .values("repatriation_guidance_given")[:1]
            ),
        )
        .select_related("citizen", "caseworker")
        .only(
            "uuid",
            "first_placement_on",
            "caseworker_id",
            "citizen__id",
            "citizen__first_name",
            "citizen__last_name",
            "citizen__arrival_date",
            "citizen__adult_at_arrival",
            "caseworker__first_name",
            "caseworker__last_name",
            "caseworker__username",
        )
    )
    dated: list[Task] = []
    open_ended: list[Task] = []
    for case in rows:
        for task in _case_tasks(case):
            if task.due is None:
                if undated:
                    open_ended.append(task)
            elif task.due <= until:
                dated.append(task)
    dated.sort(key=lambda t: (t.due, t.todo, t.name, str(t.case_uuid), t.kind))
    open_ended.sort(key=lambda t: (t.arrival, t.name, str(t.case_uuid)))
    return dated + open_ended


def _case_tasks(case: Case) -> list[Task]:
    citizen = case.citizen
    adult = citizen.adult_at_arrival
    pending = deadlines.pending_deadlines(
        arrival=citizen.arrival_date,
        adult_at_arrival=adult,
        first_placement=case.first_placement_on,
        # The rules ask only whether these exist: the arrival stands in for the date.
        health_offered=citizen.arrival_date if case.health_offered else None,
        contract_signed=citizen.arrival_date if case.contract_signed else None,
        last_follow_up=case.last_follow_up,
    )
    todos = deadlines.open_todos(
        arrival=citizen.arrival_date,
        adult_at_arrival=adult,
        last_follow_up=case.last_follow_up,
        last_follow_up_guided=bool(case.last_guided),
        plan_offered=case.plan_offered,
    )
    worker = case.caseworker
    common = {
        "case_uuid": case.uuid,
        "citizen_id": citizen.pk,
        "name": citizen.full_name,
        "arrival": citizen.arrival_date,
        "caseworker_id": case.caseworker_id,
        "caseworker": (worker.get_full_name() or worker.username) if worker else "",
    }
    tasks = [
        Task(d.kind, str(deadlines.DeadlineKind(d.kind).label), False, d.due, **common)
        for d in pending
    ]
    tasks += [
        Task(t.kind, str(deadlines.TodoKind(t.kind).label), True, t.due, **common) for t in todos
    ]
    return tasks
