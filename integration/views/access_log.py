"""Administrator pages: the access log and its per-citizen export.

The export answers a citizen's access request (indsigtsanmodning): who has
seen or changed their case, and when.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field

from django.contrib.auth.decorators import login_required, permission_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, QueryDict
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from common import cpr, csv_export
from integration import selectors, services
from integration.access_log_text import what_display
from integration.forms import AccessLogFilterForm
from integration.models import AccessAction, AccessLog, Citizen

PAGE_SIZE = 50
# A name that matches more citizens than this asks the administrator to refine it.
MAX_CITIZEN_CHOICES = 20
COLUMNS = [
    gettext_lazy("Time"),
    gettext_lazy("User"),
    gettext_lazy("Action"),
    gettext_lazy("Citizen"),
    gettext_lazy("Search term"),
    gettext_lazy("What"),
    gettext_lazy("Address"),
]


@dataclass(frozen=True)
class LogRow:
    """One line of the log page, with everything the template shows worked out."""

    at: dt.datetime
    username: str
    action: str
    citizen_name: str
    citizen_masked_cpr: str
    citizen_url: str
    search_term: str
    what: str
    path: str


@dataclass(frozen=True)
class CitizenChoice:
    name: str
    masked_cpr: str
    url: str


def _with_citizen(query: QueryDict, citizen: Citizen) -> str:
    """The filter's query string narrowed to one citizen, on the first page."""
    query = query.copy()
    query.pop("page", None)
    query["citizen"] = str(citizen.uuid)
    return query.urlencode()


def _log_row(entry: AccessLog, query: QueryDict) -> LogRow:
    citizen = entry.citizen
    return LogRow(
        at=entry.at,
        username=entry.username,
        action=entry.get_action_display(),
        citizen_name=citizen.full_name if citizen else "",
        citizen_masked_cpr=cpr.masked(citizen.cpr) if citizen else "",
        citizen_url="?" + _with_citizen(query, citizen) if citizen else "",
        search_term=entry.search_term,
        what=what_display(entry.what),
        path=entry.path,
    )


def _redirect_without_cpr(request: HttpRequest, term: str) -> HttpResponse:
    """The same filter with the citizen's UUID, or the masked number if none has it.

    A full CPR number must not stay in the address bar, the browser history,
    the pagination links or the language switch (which repeats the path).
    """
    match = selectors.access_log_citizens_matching(request.user, term).first()
    query = request.GET.copy()
    query.pop("page", None)
    query["citizen"] = str(match.uuid) if match else cpr.masked(term)
    return redirect(f"{request.path}?{query.urlencode()}")


@dataclass(frozen=True)
class CitizenFilter:
    """The citizen a filter singles out, or the choices when a name fits several."""

    citizen: Citizen | None = None
    choices: list[CitizenChoice] = field(default_factory=list)
    more_choices: bool = False
    not_found: bool = False


def _citizen_filter(request: HttpRequest, term: str, query: QueryDict) -> CitizenFilter:
    if not term:
        return CitizenFilter()
    found = list(
        selectors.access_log_citizens_matching(request.user, term)[: MAX_CITIZEN_CHOICES + 1]
    )
    if len(found) == 1:
        return CitizenFilter(citizen=found[0])
    shown = found[:MAX_CITIZEN_CHOICES]
    # The choices show names and CPR numbers: a search, logged like the
    # caseload's, with the citizens it showed.
    services.access_log_search(request, term=term, citizens=shown, what="access log citizen search")
    return CitizenFilter(
        choices=[
            CitizenChoice(c.full_name, cpr.masked(c.cpr), "?" + _with_citizen(query, c))
            for c in shown
        ],
        more_choices=len(found) > MAX_CITIZEN_CHOICES,
        not_found=not found,
    )


def _entries(user, data: dict, citizen_term: str, citizen: Citizen | None):
    if citizen_term and citizen is None:
        # A citizen was asked for but not singled out: show no rows rather than
        # everybody's.
        return selectors.access_log_entries(user).none()
    return selectors.access_log_entries(
        user,
        username=data.get("user") or None,
        username_exact=bool(data.get("exact")),
        citizen=citizen,
        action=data.get("action") or None,
        date_from=data.get("date_from"),
        date_to=data.get("date_to"),
    )


def _log_citizen_read(request: HttpRequest, citizen: Citizen, citizen_term: str) -> None:
    """Reading one citizen's log is an access to that citizen.

    An unfiltered page also shows citizens, but logging a row for each of them
    would make the log grow every time somebody reads it, and bury the real
    accesses; the administrator's own reads of single citizens are logged.
    """
    # A UUID says nothing the citizen column does not; a name is kept.
    by_uuid = selectors.access_log_citizen_uuid(citizen_term) is not None
    services.access_log_request(
        request,
        action=AccessAction.VIEW,
        citizen=citizen,
        search_term="" if by_uuid else citizen_term,
        what="access log",
    )


def _citizen_context(citizen_term: str, found: CitizenFilter) -> dict:
    citizen = found.citizen
    return {
        "citizen_value": citizen_term,
        "citizen": citizen,
        "citizen_masked_cpr": cpr.masked(citizen.cpr) if citizen else "",
        "export_url": reverse("integration:access_log_export", args=[citizen.uuid])
        if citizen
        else "",
        "citizen_choices": found.choices,
        "more_choices": found.more_choices,
        "no_citizen_found": found.not_found,
    }


@login_required
@permission_required("integration.view_accesslog", raise_exception=True)
@require_GET
def access_log(request: HttpRequest) -> HttpResponse:
    form = AccessLogFilterForm(request.GET)
    form.is_valid()
    form.mark_errors()
    data = form.cleaned_data
    query = request.GET.copy()
    citizen_term = data.get("citizen", "")
    if cpr.looks_like_cpr(citizen_term):
        return _redirect_without_cpr(request, citizen_term)
    found = _citizen_filter(request, citizen_term, query)
    if found.citizen is not None:
        query["citizen"] = str(found.citizen.uuid)
    entries = _entries(request.user, data, citizen_term, found.citizen)
    page = Paginator(entries, PAGE_SIZE).get_page(request.GET.get("page"))
    rows = [_log_row(entry, query) for entry in page.object_list]
    if found.citizen is not None:
        _log_citizen_read(request, found.citizen, citizen_term)
    query.pop("page", None)
    return render(
        request,
        "integration/access_log.html",
        {
            "form": form,
            "page": page,
            "columns": COLUMNS,
            "rows": rows,
            "query_string": query.urlencode(),
            **_citizen_context(citizen_term, found),
            "clear_url": reverse("integration:access_log"),
        },
    )


@login_required
@permission_required("integration.view_accesslog", raise_exception=True)
@require_GET
def access_log_export(request: HttpRequest, citizen_uuid) -> HttpResponse:
    """Every log row about one citizen as CSV, for an access request."""
    user = request.user
    citizen = selectors.get_citizen_for_access_log(user, citizen_uuid)
    # Logged before the rows are read, so the file shows its own export too.
    services.access_log_write(
        user=user,
        action=AccessAction.EXPORT,
        citizen=citizen,
        what="access log export",
        path=request.path,
    )
    local = timezone.get_current_timezone()
    entries = selectors.access_log_entries(user, citizen=citizen)
    rows = (
        [
            timezone.localtime(e.at, local).strftime("%d-%m-%Y %H:%M:%S"),
            e.username,
            e.get_action_display(),
            what_display(e.what),
            e.search_term,
            e.path,
        ]
        for e in entries.iterator(chunk_size=2000)
    )
    birth_digits = cpr.masked(citizen.cpr).split("-")[0]
    filename = f"adgangslog-{birth_digits}-{timezone.localdate():%Y-%m-%d}.csv"
    return csv_export.csv_response(
        filename=filename,
        header=[_("Time"), _("User"), _("Action"), _("What"), _("Search term"), _("Address")],
        rows=rows,
    )
