"""The case figures of the managers' dashboard, cached until a case changes.

The ladder, the programme counts, arrivals, 96-hour placements, deadlines by
team and the cohort counts read only citizens, their cases and the cases'
facts (placements, courses, employment...), and the days they are asked
about, never the day they are asked on: the ladder on a past month's end
stays the same until one of those rows changes. So they are cached under
``common.data_version.cases_current()``, which only a change of such rows
moves: a new score, a journal note or a dialogue topic
(``access_log_write(..., only_scores_on=...)``) leaves them cached, and a
dashboard after a score counts only the progression figures again.

The ladder and the programme are cached day by day: the days not in the
cache are counted together, in one query, as ``report_days`` counts them.
Each function takes the arguments of the selector it caches, and checks the
user's permission before the cache is read, so a refused user is refused
whether the figures are cached or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
from collections.abc import Callable, Iterable

from django.core.cache import cache

from common import data_version
from integration import report_days
from integration import report_selectors as rs
from integration.models import User
from integration.report_selectors import _check

# As long as the dashboard keeps its figures: a process with its own memory
# cache does not see another process's version move, and a team renamed in
# the admin moves no version, so a figure may be this old at most.
CACHE_SECONDS = 15 * 60


def _key(name: str, *args) -> str:
    digest = hashlib.sha256(repr(args).encode()).hexdigest()[:32]
    return f"integration:case-figures:{name}:v{data_version.cases_current()}:{digest}"


def _cached(name: str, count: Callable, user: User | None, *args, **kwargs):
    _check(user)
    key = _key(name, args, sorted(kwargs.items()))
    result = cache.get(key)
    if result is None:
        result = count(user, *args, **kwargs)
        cache.set(key, result, CACHE_SECONDS)
    return result


def _cached_days(
    name: str,
    count: Callable[..., dict],
    user: User | None,
    days: Iterable[dt.date],
    team_id: int | None,
    residence_basis: str | None,
) -> dict:
    _check(user)
    days = sorted(set(days))
    keys = {day: _key(name, day, team_id, residence_basis) for day in days}
    found = cache.get_many(keys.values())
    missing = [day for day in days if keys[day] not in found]
    if missing:
        counted = count(user, missing, team_id=team_id, residence_basis=residence_basis)
        cache.set_many({keys[day]: counted[day] for day in missing}, CACHE_SECONDS)
        found.update({keys[day]: counted[day] for day in missing})
    return {day: found[keys[day]] for day in days}


def ladder_on_days(
    user: User | None,
    days: Iterable[dt.date],
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict[dt.date, dict[int | None, int]]:
    """``report_days.ladder_on_days``, each day from the cache when it can."""
    return _cached_days("ladder", report_days.ladder_on_days, user, days, team_id, residence_basis)


def programme_counts(
    user: User | None,
    day: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict[str, int]:
    """``report_days.programme_counts``, from the cache when it can."""
    return _cached_days(
        "programme", report_days.programme_counts_on_days, user, [day], team_id, residence_basis
    )[day]


def arrivals(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    return _cached(
        "arrivals", rs.arrivals, user, start, end, team_id=team_id, residence_basis=residence_basis
    )


def arrivals_by_month(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    return _cached(
        "arrivals_by_month",
        rs.arrivals_by_month,
        user,
        start,
        end,
        team_id=team_id,
        residence_basis=residence_basis,
    )


def placement_delays(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    today: dt.date,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    return _cached(
        "placement_delays",
        rs.placement_delays,
        user,
        start,
        end,
        today=today,
        team_id=team_id,
        residence_basis=residence_basis,
    )


def overdue_by_team(
    user: User | None,
    today: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    return _cached(
        "overdue_by_team",
        rs.overdue_by_team,
        user,
        today,
        team_id=team_id,
        residence_basis=residence_basis,
    )


def cohort_counts(
    user: User | None,
    *,
    as_of: dt.date,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    """``report_selectors.cohort_counts`` of the dashboard's table (refugees,
    or the basis chosen), from the cache when it can."""
    return _cached(
        "cohort_counts",
        rs.cohort_counts,
        user,
        as_of=as_of,
        team_id=team_id,
        residence_basis=residence_basis,
    )
