"""The progression measurements of the managers' dashboard, month by month,
cached until a score of that month changes.

``selectors.measurement_counts_by_month`` aggregates each month apart, so a
month's rows can be cached alone: under the number of that month's scores
(``common.data_version.scores_current``), which a round saved moves for its
own month only, and, when narrowed, under the cases version, since the team
and residence basis that narrow the citizens are case data (the whole
municipality's counts read no case data: a case changed leaves them). After
a new score today the dashboard counts this month's measurements again and
takes the others from the cache.
"""

from __future__ import annotations

import datetime as dt

from django.core.cache import cache

from common import data_version, dates
from integration import kept_figures
from integration import selectors as case_selectors
from integration.models import FiguresRead, User
from progression import selectors

# As the dashboard's other figures (``integration.report_cache``).
CACHE_SECONDS = 15 * 60


def _citizen_ids(user: User | None, team_id: int | None, residence_basis: str | None):
    """The citizens of a team and residence basis (None: no narrowing)."""
    if team_id is None and not residence_basis:
        return None
    cases = case_selectors.cases_visible_to(user)
    if team_id is not None:
        cases = cases.filter(team_id=team_id)
    if residence_basis:
        cases = cases.filter(citizen__residence_basis=residence_basis)
    return cases.values_list("citizen_id", flat=True)


def _sees_everyone(user: User | None) -> bool:
    return (
        user is None
        or user.has_perm("integration.view_all_cases")
        or user.has_perm("integration.view_aggregates")
    )


def _months(start: dt.date, end: dt.date) -> list[tuple[dt.date, dt.date]]:
    """The months [start, end] touches, each as (first day, last day) within it."""
    return [(max(start, m), min(dates.month_end(m), end)) for m in dates.month_starts(start, end)]


def _count_months(
    user: User | None, months: list[tuple[dt.date, dt.date]], citizen_ids=None
) -> dict[tuple[dt.date, dt.date], list[dict]]:
    """The rows of each of ``months`` (parts of :func:`_months`), in one query
    from the first to the last; the rows of months between them not asked
    for are left out."""
    rows: dict[tuple[int, int], list[dict]] = {}
    for row in selectors.measurement_counts_by_month(
        user, months[0][0], months[-1][1], citizen_ids
    ):
        rows.setdefault((row["month"].year, row["month"].month), []).append(row)
    return {part: rows.get((part[0].year, part[0].month), []) for part in months}


def measurement_counts_by_month(
    user: User,
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    """``selectors.measurement_counts_by_month`` in [start, end] for the
    citizens of a team and residence basis, as rows, each month from the cache
    when it can (a user who sees only some cases gets them counted afresh)."""
    citizen_ids = _citizen_ids(user, team_id, residence_basis)
    if not _sees_everyone(user):
        return list(selectors.measurement_counts_by_month(user, start, end, citizen_ids))
    parts = _months(start, end)
    versions = data_version.scores_current([first.replace(day=1) for first, _last in parts])
    cases = "all" if citizen_ids is None else data_version.cases_current()
    narrow = f"{team_id or 'all'}:{residence_basis or 'all'}"
    keys = {}
    for first, last in parts:
        every, own = versions[first.replace(day=1)]
        keys[(first, last)] = (
            f"progression:month-counts:c{cases}:s{every}.{own}:{first}:{last}:{narrow}"
        )
    found = cache.get_many(keys.values())
    missing = [part for part in parts if keys[part] not in found]
    if missing:
        by_part = _count_months(user, missing, citizen_ids)
        counted = {keys[part]: rows for part, rows in by_part.items()}
        cache.set_many(counted, CACHE_SECONDS)
        found.update(counted)
    return [row for part in parts for row in found[keys[part]]]


# --- kept in the database, for the reports -----------------------------------------


def _month_rows_out(rows: list[dict]) -> list[dict]:
    return [{**row, "month": row["month"].isoformat()} for row in rows]


def _month_rows_in(rows: list[dict]) -> list[dict]:
    return [{**row, "month": dt.date.fromisoformat(row["month"])} for row in rows]


def kept_measurement_counts_by_month(user: User | None, start: dt.date, end: dt.date) -> list:
    """``selectors.measurement_counts_by_month`` in [start, end] for everyone,
    each month kept in the database until a score of that month changes
    (``integration.kept_figures``): ten years of a review are read, not
    counted, but for the months whose scores changed since."""
    if not _sees_everyone(user):
        return list(selectors.measurement_counts_by_month(user, start, end))
    parts = _months(start, end)

    def count(missing: list[tuple[dt.date, dt.date]]) -> dict:
        return {part: _month_rows_out(rows) for part, rows in _count_months(user, missing).items()}

    found = kept_figures.kept_periods(
        "measurements_by_month", parts, count, reads=FiguresRead.SCORES
    )
    return [row for part in parts for row in _month_rows_in(found[part])]


def _summary_out(summary: dict) -> dict:
    means = summary.get("caseworker_item_means")
    if means is None:
        return summary
    return {**summary, "caseworker_item_means": [[n, mean] for n, mean in means.items()]}


def _summary_in(summary: dict) -> dict:
    means = summary.get("caseworker_item_means")
    if means is None:
        return summary
    return {**summary, "caseworker_item_means": {n: mean for n, mean in means}}


def kept_summary(name: str, user: User | None, start: dt.date, end: dt.date) -> dict:
    """``selectors.<name>`` (``caseworker_summary`` or ``citizen_summary``) of
    everyone in [start, end], kept in the database until a score of those
    days changes."""
    selector = getattr(selectors, name)
    if not _sees_everyone(user):
        return selector(user, start, end)
    found = kept_figures.kept_periods(
        name,
        [(start, end)],
        lambda periods: {(start, end): _summary_out(selector(user, start, end))},
        reads=FiguresRead.SCORES,
    )
    return _summary_in(found[(start, end)])
