"""The secretariat's figures page: arrivals and citizens in the programme by
arrival year, counts only, through the one disclosure rule; and the form that
makes the monthly follow-up for a month that has ended."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from evaluation import disclosure, selectors
from evaluation.models import ReportKind
from evaluation.period import ReportPeriod
from integration import selectors as case_selectors


@login_required
@permission_required("integration.view_aggregates", raise_exception=True)
def secretariat_home(request: HttpRequest) -> HttpResponse:
    """Counts only, each shown as ``<N`` below the minimum cell size."""
    min_cell = settings.REPORT_MIN_CELL

    def shown(count: int) -> str:
        return disclosure.page_count(count, min_cell=min_cell)

    rows = [
        {
            "year": r["year"],
            "refugees": shown(r["refugees"]),
            "family": shown(r["family"]),
            "in_programme": shown(r["in_programme"]),
        }
        for r in case_selectors.arrivals_by_year()
    ]
    today = timezone.localdate()
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
