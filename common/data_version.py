"""Numbers that change whenever case data changes, for cache keys.

Figures built from case data are cached under a key that includes
``current()``; ``services.access_log_write`` calls ``bump()`` after every
change or import, so those entries are simply never read again.

The case figures (the ladder, the programme, arrivals, deadlines, cohorts:
``integration.report_cache``) are cached under a narrower number,
``cases_current()``: ``bump()`` moves it too unless the change is said to
leave citizens, cases and their facts alone (``bump(cases=False)``: a score,
a note, a dialogue topic), so a new score does not void the ladder figures.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

KEY = "integration:data_version"
# Moved by changes to citizens, cases and their facts (ladder placements,
# Danish courses, employment...): everything integration.report_cache reads.
CASES_KEY = "integration:cases_version"


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


def cases_current() -> int:
    return _current(CASES_KEY)


def _increment(keys: tuple[str, ...]) -> None:
    for key in keys:
        try:
            cache.incr(key)
        except ValueError:  # the key is gone: start again above every old version
            cache.add(key, _start(), timeout=None)


def bump(*, cases: bool = True) -> None:
    """Invalidate every figure cached under the current version, and the
    case figures too unless ``cases`` is False (the change touched no
    citizen, case or fact of a case).

    Bumped now, so the next read in this request misses, and again when the
    transaction commits: a page built by another request between these two
    moments read the data before the commit and must not stay cached.
    """
    keys = (KEY, CASES_KEY) if cases else (KEY,)
    _increment(keys)
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(lambda: _increment(keys))
