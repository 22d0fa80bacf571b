"""The secretariat's landing page."""

from __future__ import annotations

from django.conf import settings
from django.contrib.auth.decorators import login_required, permission_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils import timezone

from integration import selectors


def suppress(count: int, minimum: int | None = None) -> str:
    """A count for an aggregate page: below the minimum cell it shows as <N."""
    minimum = settings.REPORT_MIN_CELL if minimum is None else minimum
    if 0 < count < minimum:
        return f"<{minimum}"
    return str(count)


@login_required
@permission_required("integration.view_aggregates", raise_exception=True)
def secretariat_home(request: HttpRequest) -> HttpResponse:
    """Counts only, each suppressed below the minimum cell size."""
    today = timezone.localdate()
    by_year = selectors.arrivals_by_year()
    rows = [
        {
            "year": r["year"],
            "refugees": suppress(r["refugees"]),
            "family": suppress(r["family"]),
            "in_programme": suppress(r["in_programme"]),
        }
        for r in by_year
    ]
    return render(
        request,
        "integration/secretariat_home.html",
        {
            "rows": rows,
            "today": today,
            "min_cell": settings.REPORT_MIN_CELL,
        },
    )
