"""The caseload: every case the user may see, filtered, searched and sorted."""

from __future__ import annotations

import dataclasses
import datetime as dt
from dataclasses import dataclass
from urllib.parse import urlencode

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Page, Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_http_methods

from accounts.roles import Role
from common import cpr
from integration import deadlines, selectors, services
from integration.forms import CaseloadFilterForm
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


def _default_scope(user) -> str:
    return "mine" if user.role == Role.CASEWORKER else "all"


def _filters_from(user, data) -> selectors.CaseloadFilters | None:
    """The filters of a query (GET) or a search (POST); None when a value is bad."""
    form = CaseloadFilterForm(data, sorts=selectors.CASELOAD_SORTS)
    if not form.is_valid():
        return None
    d = form.cleaned_data
    # A missing status means open cases; an empty one, every case.
    status = d["status"] if "status" in data else CaseStatus.OPEN
    return selectors.CaseloadFilters(
        scope=d["scope"] or _default_scope(user),
        status=status,
        residence_basis=d["basis"],
        ladder_step=d["step"],
        overdue=d["overdue"] == "1",
        query=d["q"].strip(),
        team_id=d["team"] if selectors.can_see_all_cases(user) else None,
        sort=d["sort"] or "urgency",
    )


def _is_cpr_search(query: str) -> bool:
    """A full CPR number or its first six digits: both name a birth date, so
    both are posted, searched in every case the user may see and logged masked."""
    return cpr.looks_like_cpr(query) or cpr.looks_like_birth_date(query)


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
        services.access_log_search(request, term=term, citizens=citizens, what="caseload search")
    elif cases:
        services.access_log_request(
            request, action=AccessAction.VIEW, citizens=citizens, what="caseload"
        )


def _filters_in_use(user, filters) -> int:
    """How many of the folded filters narrow the list, for the phone's button."""
    return sum(
        [
            filters.scope != _default_scope(user),
            filters.status != CaseStatus.OPEN,
            bool(filters.residence_basis),
            filters.ladder_step is not None,
            filters.overdue,
            filters.team_id is not None,
        ]
    )


def _labels(teams) -> dict[str, str]:
    """The table's headings by column, in their order (the team column only for
    those who see several teams); on a phone each cell says its own."""
    labels = {
        "name": _("Name"),
        "cpr": _("CPR"),
        "arrival": _("Arrival"),
        "step": _("Ladder step"),
        "deadline": _("Next deadline"),
        "caseworker": _("Caseworker"),
    }
    if teams:
        labels["team"] = _("Team")
    labels["status"] = _("Status")
    return labels


def _render_caseload(
    request: HttpRequest, page: Page, rows: list[CaseRow], filters, query_string: str
) -> HttpResponse:
    user = request.user
    if filters.query and not _is_cpr_search(filters.query):
        query_string = "&".join(filter(None, [query_string, urlencode({"q": filters.query})]))
    teams = selectors.teams() if selectors.can_see_all_cases(user) else []
    labels = _labels(teams)
    return render(
        request,
        "integration/caseload.html",
        {
            "page": page,
            "columns": list(labels.values()),
            "labels": labels,
            "rows": rows,
            "filters": filters,
            "filters_in_use": _filters_in_use(user, filters),
            "query_string": query_string,
            "cpr_searched": cpr.masked(filters.query) if _is_cpr_search(filters.query) else "",
            "status_choices": CaseStatus.choices,
            "basis_choices": ResidenceBasis.choices,
            "step_choices": LadderStep.choices,
            "teams": teams,
            "can_create": user.has_perm("integration.add_case") and user.team_id is not None,
            "sorts": SORTS,
            "scopes": _scopes_for(user),
        },
    )


FILTER_FIELDS = ("q", "scope", "team", "status", "basis", "step", "overdue", "sort")


def _query_of(data, *, without=()) -> str:
    query = QueryDict(mutable=True)
    for name in FILTER_FIELDS:
        if name in data and name not in without:
            query[name] = data[name]
    return query.urlencode()


@login_required
@permission_required("integration.view_case", raise_exception=True)
@require_http_methods(["GET", "POST"])
def caseload(request: HttpRequest) -> HttpResponse:
    """Filters travel in the address; a search by CPR number is posted, so the
    number stays out of the address bar, the browser history and proxy logs."""
    data = request.POST if request.method == "POST" else request.GET
    filters = _filters_from(request.user, data)
    if filters is None:
        return render(request, "400.html", {"back_url": request.path}, status=400)
    cpr_search = _is_cpr_search(filters.query)
    if cpr_search and request.method == "GET":
        messages.info(request, _("Search for a CPR number with the search field."))
        return redirect(f"{request.path}?{_query_of(data, without=['q'])}")
    if request.method == "POST" and not cpr_search:
        return redirect(f"{request.path}?{_query_of(data)}")
    today = timezone.localdate()
    if cpr_search:
        # A CPR number, or its first six digits, looks in every case the user
        # may see, open or closed.
        scope = "all" if selectors.can_see_all_cases(request.user) else "team"
        filters = dataclasses.replace(filters, scope=scope, status="")
    qs = selectors.caseload(request.user, filters, today=today)
    page = Paginator(qs, settings.CASELOAD_PAGE_SIZE).get_page(data.get("page"))
    cases = list(page.object_list)
    _log_shown(request, cases, filters, cpr_search)
    if cpr.looks_like_cpr(filters.query) and len(cases) == 1:
        return redirect("integration:case_detail", case_uuid=cases[0].uuid)
    rows = [_case_row(case, today) for case in cases]
    return _render_caseload(request, page, rows, filters, _query_of(data, without=["q"]))
