"""The task list: every deadline and to-do of the user's open cases, overdue
first, then the next DEADLINE_SOON_DAYS by day, then the to-dos with no date."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from itertools import groupby
from uuid import UUID

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_safe

from common import addresses
from integration import selectors, services
from integration.forms import TaskFilterForm
from integration.models import AccessAction, Team, User


@dataclass(frozen=True)
class TaskGroup:
    """One section of the page: the overdue tasks, one day's, or the undated to-dos."""

    key: str
    heading: str
    day: dt.date | None
    tasks: list[selectors.Task]

    def rows(self, case_address: Callable[[UUID], str]) -> list[tuple[selectors.Task, str]]:
        """Each task with the address of its case page."""
        return [(task, case_address(task.case_uuid)) for task in self.tasks]


def show_choices(user: User, teams: list[Team]) -> list[tuple[str, str]]:
    """What the filter offers: one's cases or team, or (seeing every team) a team."""
    if selectors.can_see_all_cases(user):
        return [(str(team.uuid), team.name) for team in teams]
    return [("mine", _("My cases")), ("team", _("My team"))]


def default_show(user: User, teams: list[Team]) -> str:
    if not selectors.can_see_all_cases(user):
        return "mine"
    own = [team for team in teams if team.pk == user.team_id] or teams[:1]
    return str(own[0].uuid) if own else ""


def group_tasks(tasks: list[selectors.Task], today: dt.date) -> list[TaskGroup]:
    groups = []
    overdue = [t for t in tasks if t.due is not None and t.due < today]
    if overdue:
        groups.append(TaskGroup("overdue", _("Overdue"), None, overdue))
    coming = [t for t in tasks if t.due is not None and t.due >= today]
    for day, items in groupby(coming, key=lambda t: t.due):
        if day == today:
            heading = _("Today")
        elif day == today + dt.timedelta(days=1):
            heading = _("Tomorrow")
        else:
            heading = ""
        groups.append(TaskGroup(day.isoformat(), heading, day, list(items)))
    undated = [t for t in tasks if t.due is None]
    if undated:
        groups.append(TaskGroup("undated", _("To-dos without a date"), None, undated))
    return groups


@login_required
@permission_required("integration.view_case", raise_exception=True)
@require_safe
def task_list(request: HttpRequest) -> HttpResponse:
    user = request.user
    teams = list(selectors.teams()) if selectors.can_see_all_cases(user) else []
    choices = show_choices(user, teams)
    form = TaskFilterForm(request.GET, choices=choices)
    if not form.is_valid():
        return render(request, "400.html", {"back_url": request.path}, status=400)
    show = form.cleaned_data["show"] or default_show(user, teams)
    team = next((t for t in teams if str(t.uuid) == show), None)
    cases = selectors.open_cases_for_tasks(
        user, scope="mine" if show == "mine" else "team", team=team
    )
    today = timezone.localdate()
    until = today + dt.timedelta(days=settings.DEADLINE_SOON_DAYS)
    tasks = selectors.tasks_due(cases, until=until) if show else []
    if tasks:
        services.access_log_request(
            request,
            action=AccessAction.VIEW,
            citizen_ids=sorted({t.citizen_id for t in tasks}),
            what="task list",
        )
    groups = group_tasks(tasks, today)
    case_address = addresses.by_uuid("integration:case_detail")
    return render(
        request,
        "integration/tasks.html",
        {
            "groups": [(group, group.rows(case_address)) for group in groups],
            "choices": choices,
            "show": show,
            "show_caseworker": show != "mine",
            "overdue": sum(len(g.tasks) for g in groups if g.key == "overdue"),
            "coming": sum(len(g.tasks) for g in groups if g.day is not None),
            "undated": sum(len(g.tasks) for g in groups if g.key == "undated"),
            "days": settings.DEADLINE_SOON_DAYS,
        },
    )
