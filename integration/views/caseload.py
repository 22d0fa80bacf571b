"""The caseload: every case the user may see, filtered, searched and sorted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from accounts.roles import Role
from common import cpr
from integration import deadlines, selectors, services
from integration.models import (
    AccessAction,
    Case,
    CaseStatus,
    DeadlineKind,
    LadderStep,
    ResidenceBasis,
)

SORTS = [
    ("urgency", gettext_lazy("Most urgent first")),
    ("name", gettext_lazy("Name")),
    ("arrival", gettext_lazy("Newest arrival")),
    ("arrival_asc", gettext_lazy("Oldest arrival")),
]


@dataclass(frozen=True)
class CaseRow:
    """One caseload line, with everything the template shows worked out."""

    uuid: str
    name: str
    masked_cpr: str
    arrival: dt.date
    days_since_arrival: int
    status: str
    caseworker: str
    team: str
    step: str
    next_deadline: dt.date | None
    deadline_label: str
    overdue: bool
    due_soon: bool
    placement_breach: bool
    open_topics: int


def placement_breach(case: Case, today: dt.date) -> bool:
    """Whether the first placement came (or is) too late; a case closed unplaced does not count."""
    if case.status != CaseStatus.OPEN and not case.first_placement_on:
        return False
    citizen = case.citizen
    return deadlines.is_placement_breach(
        citizen.arrival_date,
        case.first_placement_on,
        today,
        adult_at_arrival=citizen.adult_at_arrival,
    )


def deadline_label(case: Case) -> str:
    return DeadlineKind(case.next_deadline_kind).label if case.next_deadline_kind else ""


def _case_row(case: Case, today: dt.date) -> CaseRow:
    citizen = case.citizen
    nd = case.next_deadline
    return CaseRow(
        uuid=str(case.uuid),
        name=citizen.full_name,
        masked_cpr=cpr.masked(citizen.cpr),
        arrival=citizen.arrival_date,
        days_since_arrival=(today - citizen.arrival_date).days,
        status=case.get_status_display(),
        caseworker=(case.caseworker.get_full_name() or case.caseworker.username)
        if case.caseworker_id
        else "",
        team=case.team.name,
        step=str(LadderStep(case.current_step).label) if case.current_step else "",
        next_deadline=nd,
        deadline_label=deadline_label(case),
        overdue=bool(nd and nd < today),
        due_soon=bool(nd and today <= nd <= today + dt.timedelta(days=settings.DEADLINE_SOON_DAYS)),
        open_topics=case.open_topics,
        placement_breach=placement_breach(case, today),
    )


def _choice(value: str, allowed, default: str) -> str:
    return value if value in allowed else default


def _step_from(raw: str) -> int | None:
    try:
        step = int(raw or 0) or None
    except ValueError:
        return None
    return step if step in LadderStep.values else None


def _filters_from(request: HttpRequest) -> selectors.CaseloadFilters:
    g = request.GET
    user = request.user
    default_scope = "mine" if user.role == Role.CASEWORKER else "all"
    team_id = None
    if selectors.can_see_all_cases(user) and g.get("team", "").isdigit():
        team_id = int(g["team"])
    return selectors.CaseloadFilters(
        scope=_choice(g.get("scope", default_scope), {"mine", "team", "all"}, default_scope),
        status=_choice(g.get("status", CaseStatus.OPEN), {*CaseStatus.values, ""}, CaseStatus.OPEN),
        residence_basis=_choice(g.get("basis", ""), ResidenceBasis.values, ""),
        ladder_step=_step_from(g.get("step")),
        overdue=g.get("overdue") == "1",
        query=g.get("q", "").strip()[:100],
        team_id=team_id,
        sort=_choice(g.get("sort", "urgency"), selectors.CASELOAD_SORTS, "urgency"),
    )


def _scopes_for(user) -> list[tuple[str, str]]:
    scopes = []
    if user.role == Role.CASEWORKER:
        scopes += [("mine", _("My cases")), ("team", _("My team"))]
    if selectors.can_see_all_cases(user):
        scopes.append(("all", _("All teams")))
    return scopes


def _log_shown(request: HttpRequest, cases: list[Case], filters, cpr_search: bool) -> None:
    """Log the citizens a page shows: as a search when there is a query."""
    citizens = [c.citizen for c in cases]
    if filters.query:
        term = cpr.masked(filters.query) if cpr_search else filters.query
        services.access_log_request(
            request,
            action=AccessAction.SEARCH,
            search_term=term,
            citizens=citizens,
            what="caseload search",
        )
    elif cases:
        services.access_log_request(
            request, action=AccessAction.VIEW, citizens=citizens, what="caseload"
        )


def _render_caseload(request: HttpRequest, page: Page, rows: list[CaseRow], filters):
    user = request.user
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "integration/caseload.html",
        {
            "page": page,
            "rows": rows,
            "filters": filters,
            "query_string": query.urlencode(),
            "status_choices": CaseStatus.choices,
            "basis_choices": ResidenceBasis.choices,
            "step_choices": LadderStep.choices,
            "teams": selectors.teams() if selectors.can_see_all_cases(user) else [],
            "can_create": user.has_perm("integration.add_case") and user.team_id is not None,
            "sorts": SORTS,
            "scopes": _scopes_for(user),
        },
    )


@login_required
@permission_required("integration.view_case", raise_exception=True)
def caseload(request: HttpRequest) -> HttpResponse:
    today = timezone.localdate()
    filters = _filters_from(request)
    cpr_search = cpr.looks_like_cpr(filters.query)
    if cpr_search:
        # A full CPR number looks in every case the user may see, open or closed.
        scope = "all" if selectors.can_see_all_cases(request.user) else "team"
        filters = dataclasses.replace(filters, scope=scope, status="")
    qs = selectors.caseload(request.user, filters, today=today)
    page = Paginator(qs, settings.CASELOAD_PAGE_SIZE).get_page(request.GET.get("page"))
    cases = list(page.object_list)
    _log_shown(request, cases, filters, cpr_search)
    if cpr_search and len(cases) == 1:
        # Straight to the case, so the full number leaves the address bar.
        return redirect("integration:case_detail", case_uuid=cases[0].uuid)
    return _render_caseload(request, page, [_case_row(case, today) for case in cases], filters)
