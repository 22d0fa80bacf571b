"""Numbers that change whenever case data changes, for cache keys.

Figures built from case data are cached under a key that includes
``current()``; ``services.access_log_write`` calls ``bump()`` after every
change or import, so those entries are simply never read again.

Two narrower numbers let most of the dashboard outlive a new score:

- ``cases_current(reads)``, for the case figures (the ladder, the programme,
  arrivals, deadlines, cohorts: ``integration.report_cache``), which read
  citizens, cases and their facts and nothing of the progression: one number
  for citizens and cases, and one for each part of their data named in
  ``reads`` (a kind of fact, say), so that a figure outlives a change of a
  part it does not read;
- ``scores_current(months)``, for the progression's figures month by month:
  one number per month of measurement dates, and one for every month.

``bump()`` moves them all, unless the change says it touched only the scores
measured on some days (``bump(only_scores_on=[day, ...])``: a round saved
moves its month alone), nothing counted at all (``only_scores_on=()``: a
journal note, a dialogue topic agreed), citizens, cases and their facts and
no score (``bump(cases_only=True)``), or only some parts of the case data
(``bump(cases_parts=[...])``: a ladder placement moves the figures that read
placements, not the cohorts, which read employment). A change that says
nothing moves everything, so a write nobody classified voids every figure as
before.
"""

from __future__ import annotations

import datetime as dt
import time
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

KEY = "integration:data_version"
# Moved by changes to citizens, cases and their facts (ladder placements,
# Danish courses, employment...): everything integration.report_cache reads.
CASES_KEY = "integration:cases_version"
# Moved by a change that may touch scores of any date; a month's own key by
# a change of scores measured in that month.
SCORES_KEY = "integration:scores_version"


def _start() -> int:
    # Milliseconds, not 0: if the cache loses the key (eviction, restart of a
    # shared cache), the version starts above every number handed out before,
    # so no entry cached under an old version can match again.
    return int(time.time() * 1000)


def _current(key: str) -> int:
    version = cache.get(key)
    if version is None:
        cache.add(key, _start(), timeout=None)
        version = cache.get(key, 0)
    return int(version)


def current() -> int:
    return _current(KEY)


def _part_key(part: str) -> str:
    return f"{CASES_KEY}:{part}"


def cases_current(reads: Iterable[str] = ()) -> str:
    """The version of the case data a figure reads, for its cache key: the
    number every change of citizens and cases moves, and the number of each
    part in ``reads``, in one read of the cache."""
    keys = [CASES_KEY, *(_part_key(part) for part in sorted(set(reads)))]
    found = cache.get_many(keys)
    return "-".join(str(int(found.get(key) or _current(key))) for key in keys)


def _month_key(month: dt.date) -> str:
    return f"{SCORES_KEY}:{month:%Y-%m}"


def scores_current(months: Iterable[dt.date]) -> dict[dt.date, tuple[int, int]]:
    """For each month (its first day): the number of every month's scores and
    the month's own, in one read of the cache."""
    keys = {month: _month_key(month) for month in months}
    found = cache.get_many([SCORES_KEY, *keys.values()])
    every = found.get(SCORES_KEY) or _current(SCORES_KEY)
    return {
        month: (int(every), int(found.get(key) or _current(key))) for month, key in keys.items()
    }


def _increment(keys: tuple[str, ...]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # the key is gone: start again above every old version
            cache.add(key, _start(), timeout=None)


def bump(
    *,
    only_scores_on: Iterable[dt.date] | None = None,
    cases_only: bool = False,
    cases_parts: Iterable[str] | None = None,
) -> None:
    """Invalidate every figure cached under the current version, and, unless
    ``only_scores_on`` says the change touched no more than the scores
    measured on those days, the case figures, and unless ``cases_only`` says
    it touched no score, the scores of every month. ``cases_parts`` says the
    change touched no score and of the case data only those parts: only the
    case figures that read one of them are invalidated.

    Bumped now, so the next read in this request misses, and again when the
    transaction commits: a page built by another request between these two
    moments read the data before the commit and must not stay cached.
    """
    if cases_parts is not None:
        keys: tuple[str, ...] = (KEY, *(_part_key(part) for part in sorted(set(cases_parts))))
    elif only_scores_on is None:
        keys = (KEY, CASES_KEY) if cases_only else (KEY, CASES_KEY, SCORES_KEY)
    else:
        months = {day.replace(day=1) for day in only_scores_on}
        keys = (KEY, *(_month_key(month) for month in sorted(months)))
    _increment(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _increment(keys))
