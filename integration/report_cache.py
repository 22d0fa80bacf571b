"""The case figures of the managers' dashboard, cached until a case changes.

The ladder, the programme counts, arrivals, 96-hour placements, deadlines by
team and the cohort counts read only citizens, their cases and the cases'
facts (placements, courses, employment...), and the days they are asked
about, never the day they are asked on: the ladder on a past month's end
stays the same until one of those rows changes. So they are cached under
``common.data_version.cases_current(reads)``, which only a change of such
rows moves: a new score, a journal note or a dialogue topic
(``access_log_write(..., only_scores_on=...)``) leaves them cached, and a
dashboard after a score counts only the progression figures again.

Each figure names the parts of the case data it reads besides citizens and
cases (``READS``): the kinds of fact by their model, and the deadlines a case
stores. A change that names its parts (``fact_save``: the fact's kind, and the
deadlines if they moved) voids only the figures that read one of them: after
a ladder placement the cohorts, which read employment, and the arrivals stay
cached.

The ladder and the programme are cached day by day: the days not in the
cache are counted together, in one query, as ``report_days`` counts them.
Each function takes the arguments of the function it caches (the dashboard's
narrowing by team and residence basis), and checks the user's permission
before the cache is read, so a refused user is refused whether the figures
are cached or not.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import inspect
from collections.abc import Callable, Iterable
from typing import Any

from django.core.cache import cache
from django.db import models

from common import data_version
from integration import kept_figures
from integration import report_selectors as rs
from integration.models import DanishCourse, EmploymentSpell, LadderPlacement, User
from integration.report_selectors import _check

# As long as the dashboard keeps its figures: a process with its own memory
# cache does not see another process's version move, and a team renamed in
# the admin moves no version, so a figure may be this old at most.
CACHE_SECONDS = 15 * 60

# The part of the case data that is the first placement and the next
# deadline a case stores (``case_refresh_deadlines``).
DEADLINES = "deadlines"


def fact_part(model: type[models.Model]) -> str:
    """The part of the case data that is the facts of ``model``'s kind."""
    return model._meta.label_lower


def changed_parts(kinds: Iterable[type[models.Model]], *, deadlines_moved: bool) -> list[str]:
    """The parts of the case data a change of facts of these kinds moved, for
    ``access_log_write(cases_parts=...)``: the cached figures that read none
    of them stay."""
    parts = [fact_part(kind) for kind in kinds]
    if deadlines_moved:
        parts.append(DEADLINES)
    return parts


# What each figure reads besides citizens and cases (``report_days``,
# ``report_selectors``): a change of none of these leaves it cached.
READS: dict[str, tuple[str, ...]] = {
    "ladder": (fact_part(LadderPlacement),),
    "programme": tuple(fact_part(m) for m in (LadderPlacement, DanishCourse, EmploymentSpell)),
    "arrivals": (),
    "arrivals_by_month": (),
    "placement_delays": (DEADLINES,),
    "overdue_by_team": (DEADLINES,),
    "cohort_counts": (fact_part(EmploymentSpell),),
}


def _prefix(name: str) -> str:
    """The start of the cache keys of figure ``name`` under the current versions."""
    return f"integration:case-figures:{name}:v{data_version.cases_current(READS[name])}"


def _key(prefix: str, *args) -> str:
    return f"{prefix}:{hashlib.sha256(repr(args).encode()).hexdigest()[:32]}"


def _cached_days(name: str, count: Callable[..., dict], user: User | None, days, **narrow) -> dict:
    """``count(user, days, **narrow)`` (``{day: figures}``) day by day from the
    cache, the days missing counted together."""
    _check(user)
    days = sorted(set(days))
    prefix = _prefix(name)
    keys = {day: _key(prefix, day, sorted(narrow.items())) for day in days}
    found = cache.get_many(keys.values())
    missing = [day for day in days if keys[day] not in found]
    if missing:
        counted = count(user, missing, **narrow)
        cache.set_many({keys[day]: counted[day] for day in missing}, CACHE_SECONDS)
        found.update({keys[day]: counted[day] for day in missing})
    return {day: found[keys[day]] for day in days}


def ladder_on_days(
    user: User | None, days: Iterable[dt.date], **narrow
) -> dict[dt.date, dict[int | None, int]]:
    """``report_days.ladder_on_days`` (narrowed as it), each day from the cache when it can."""
    narrow = {"team_id": None, "residence_basis": None, **narrow}
    return _cached_days("ladder", kept_figures.ladder_on_days, user, days, **narrow)


def programme_counts(user: User | None, day: dt.date, **narrow) -> dict[str, int]:
    """``report_days.programme_counts_on_days`` for one day (narrowed as it), from
    the cache when it can."""
    narrow = {"team_id": None, "residence_basis": None, **narrow}
    count = kept_figures.programme_counts_on_days
    return _cached_days("programme", count, user, [day], **narrow)[day]


def _cached_selector(name: str) -> Callable[..., Any]:
    """``report_selectors.<name>``, taking the same arguments, from the cache
    when it can: keyed by every argument but the user, defaults filled in, so
    that two callers who say the same in other words share one entry."""

    def cached(user: User | None, *args, **kwargs):
        _check(user)
        selector = getattr(rs, name)
        bound = inspect.signature(selector).bind(user, *args, **kwargs)
        bound.apply_defaults()
        key = _key(_prefix(name), *list(bound.arguments.items())[1:])
        result = cache.get(key)
        if result is None:
            result = selector(user, *args, **kwargs)
            cache.set(key, result, CACHE_SECONDS)
        return result

    cached.__name__ = cached.__qualname__ = name
    cached.__doc__ = f"``report_selectors.{name}``, from the cache when it can."
    return cached


arrivals = _cached_selector("arrivals")
arrivals_by_month = _cached_selector("arrivals_by_month")
placement_delays = _cached_selector("placement_delays")
overdue_by_team = _cached_selector("overdue_by_team")
cohort_counts = _cached_selector("cohort_counts")
