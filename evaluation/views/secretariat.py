"""The secretariat's figures page: arrivals and citizens in the programme by
arrival year, counts only, through the one disclosure rule; and the form that
makes the monthly follow-up for a month that has ended."""

from __future__ import annotations

import datetime as dt
import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from common import dates
from evaluation import disclosure, selectors
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from integration import report_selectors as rs
from integration import selectors as case_selectors
from integration.models import ResidenceBasis


def current_year_through(today: dt.date, min_cell: int) -> tuple[dict, dt.date | None]:
    """This year's arrivals as the monthly reports may print them: through the
    last closed month that ``disclosure.series_anchor`` closes for the total,
    the refugees and the family-reunified together. Counted as of today, the
    row would differ from day to day and from one monthly report to the next
    by a month's (or a day's) small count."""
    last_closed = today.replace(day=1) - dt.timedelta(days=1)
    if last_closed.year != today.year:
        return {"refugees": 0, "family": 0}, None
    start = today.replace(month=1, day=1)

    def by_month(basis: str | None) -> list[int]:
        rows = rs.arrivals_by_month(None, start, last_closed, residence_basis=basis)
        counts = {row["month"].month: row["n"] for row in rows}
        return [counts.get(m, 0) for m in range(1, last_closed.month + 1)]

    refugees = by_month(ResidenceBasis.REFUGEE)
    family = by_month(ResidenceBasis.FAMILY_REUNIFIED)
    total = by_month(None)
    through = disclosure.series_anchor(total, refugees, family, min_cell=min_cell)
    if through < 0:
        return {"refugees": 0, "family": 0}, None
    counts = {"refugees": sum(refugees[: through + 1]), "family": sum(family[: through + 1])}
    return counts, dates.month_end(dt.date(today.year, through + 1, 1))


@login_required
@permission_required("integration.view_aggregates", raise_exception=True)
def secretariat_home(request: HttpRequest) -> HttpResponse:
    """Counts only, each shown as ``<N`` below the minimum cell size; this
    year's arrivals through the month the monthly reports print."""
    min_cell = settings.REPORT_MIN_CELL
    today = timezone.localdate()

    def shown(count: int) -> str:
        return disclosure.page_count(count, min_cell=min_cell)

    this_year, through = current_year_through(today, min_cell)
    rows = []
    for r in case_selectors.arrivals_by_year():
        current = r["year"] == today.year
        counts = this_year if current else r
        rows.append(
            {
                "year": r["year"],
                "through": through if current else None,
                "refugees": shown(counts["refugees"]) if not current or through else "..",
                "family": shown(counts["family"]) if not current or through else "..",
                "in_programme": shown(r["in_programme"]),
            }
        )
    context = {
        "rows": rows,
        "today": today,
        "min_cell": min_cell,
        "can_make_monthly": request.user.has_perm("evaluation.add_reportjob"),
        "default_month": ReportPeriod.month_before(today).text,
        "submission": uuid.uuid4(),
        "latest_monthly": selectors.archives_by_period(ReportKind.MONTHLY)[:3],
    }
    return render(request, "evaluation/secretariat_home.html", context)
