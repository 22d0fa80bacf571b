"""The managers' dashboard: figures and charts for a period, a team and a
residence basis, cached until the case data changes.

Two cache entries per choice of filters, both keyed by the filters, today's
date and ``common.data_version.current()`` (which every change or import
bumps, so a changed figure is never served from the cache):

- the figures (``evaluation.figures.dashboard_figures``); those of the cases
  (the ladder, the programme, arrivals, deadlines, cohorts) are cached apart
  by ``integration.report_cache`` under the narrower cases version, and the
  progression's measurements month by month by ``progression.report_cache``,
  so after a new score only its month's measurements are counted again;
- the charts drawn from them with matplotlib (no query, but ~0.1 s each),
  per language because their legends are translated; each chart is also
  cached under a digest of what it is drawn from, so a chart whose numbers
  did not change is not drawn again.

Every reader with ``evaluation.view_dashboard`` (manager, administrator) also
reads every team's cases, so the figures do not depend on who asks and one
entry serves them all. Counts are exact: managers may open the cases anyway.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable
from dataclasses import dataclass

from django.core.cache import cache
from django.utils.formats import date_format
from django.utils.translation import get_language
from django.utils.translation import gettext as _

from common import data_version, dates
from evaluation import figures
from integration import report_cache
from integration.models import LadderStep, User

# An entry is dropped after this long even without a change, so figures from
# data that changed without the version noticing (a team renamed in the admin)
# age out, and so does an entry in another process's local cache.
CACHE_SECONDS = 15 * 60
# The ladder chart counts each month with one query; keep the page bounded.
MAX_MONTHS = 36
DEFAULT_MONTHS = 12


@dataclass(frozen=True)
class DashboardFilters:
    """``start`` and ``end`` are both inclusive."""

    start: dt.date
    end: dt.date
    team_id: int | None = None
    residence_basis: str | None = None

    @classmethod
    def default(cls, today: dt.date) -> DashboardFilters:
        """The last 12 calendar months: this month so far and the 11 before it."""
        return cls(start=dates.add_months(today.replace(day=1), 1 - DEFAULT_MONTHS), end=today)

    def key(self) -> str:
        return (
            f"{self.start.isoformat()}:{self.end.isoformat()}:"
            f"{self.team_id or 'all'}:{self.residence_basis or 'all'}"
        )


def _key(kind: str, filters: DashboardFilters | None, today: dt.date, version: int) -> str:
    part = filters.key() if filters is not None else "-"
    return f"evaluation:dashboard:{kind}:v{version}:{today.isoformat()}:{part}"


def _cached(key: str, build):
    result = cache.get(key)
    if result is None:
        result = build()
        cache.set(key, result, CACHE_SECONDS)
    return result


def teams(user: User, today: dt.date) -> list[dict]:
    """Every team (id and name, with its deadline counts), for the team filter."""
    return report_cache.overdue_by_team(user, today)


def dashboard(user: User, filters: DashboardFilters, today: dt.date) -> tuple[dict, dict]:
    """The figures and the charts drawn from them, each from the cache when it can."""
    # One version for both, so charts are never cached beside other figures.
    version = data_version.current()
    data = _cached(
        _key("figures", filters, today, version),
        lambda: figures.dashboard_figures(
            user,
            start=filters.start,
            end=filters.end,
            today=today,
            team_id=filters.team_id,
            residence_basis=filters.residence_basis,
        ),
    )
    images = _cached(
        _key(f"charts:{get_language()}", filters, today, version), lambda: build_charts(data)
    )
    return data, images


# --- the charts -----------------------------------------------------------------


def month_label(month: str, format_: str = "YEAR_MONTH_FORMAT") -> str:
    """The month "2026-10" as "oktober 2026" (or "October 2026"), in the current language."""
    year, number = month.split("-")
    return date_format(dt.date(int(year), int(number), 1), format_)


def _axis_labels(months: list[str]) -> list[str]:
    """Month labels for a chart's axis, on two lines: at most 12 written, the others blank."""
    every = -(-len(months) // 12)
    return [month_label(m, "N\nY") if i % every == 0 else "" for i, m in enumerate(months)]


def build_charts(data: dict) -> dict[str, str]:
    """The charts as data: URIs: the CSP forbids the inline styles in matplotlib's SVG.

    Drawn by the reports' own chart functions, so the dashboard and the council
    PDF look alike; nothing is hidden here (managers see exact counts).
    """
    from evaluation import charts

    ladder = data["ladder_months"]
    months = _axis_labels([row["month"] for row in ladder])
    steps = [
        (str(step.label), [row["counts"][str(step.value)] for row in ladder]) for step in LadderStep
    ]
    steps.append((_("No placement"), [row["counts"]["none"] for row in ladder]))
    trend = data["progression"]
    arrivals = data["arrivals_by_month"]
    return {
        "ladder": _chart(charts.ladder_months_svg, months, steps, [0] * len(ladder)),
        "progression": _chart(
            charts.trend_svg,
            _axis_labels([row["month"] for row in trend]),
            [
                (
                    _("Caseworker index (items 1–12)"),
                    [row["caseworker_index_mean"] for row in trend],
                ),
                (_("Citizens, item 13"), [row["citizen_item_13_mean"] for row in trend]),
            ],
            y_label=_("Mean (1–5)"),
        ),
        "arrivals": _chart(
            charts.grouped_bars_svg,
            _axis_labels([row["month"] for row in arrivals]),
            [(_("Arrivals"), [row["n"] for row in arrivals])],
            percent=False,
        ),
    }


def _chart(draw: Callable[..., str], *args, **kwargs) -> str:
    """``draw(*args, **kwargs)`` as a data: URI, cached under a digest of
    everything it is drawn from (the labels, in the current language, too):
    after a new score only the progression chart changes, and only it is
    drawn again (each takes ~0.1 s)."""
    from evaluation import charts

    drawn_from = repr((draw.__qualname__, args, sorted(kwargs.items())))
    digest = hashlib.sha256(drawn_from.encode()).hexdigest()
    return _cached(
        f"evaluation:dashboard:chart:{digest}", lambda: charts.data_uri(draw(*args, **kwargs))
    )
