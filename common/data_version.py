"""A number that changes whenever case data changes, for cache keys.

Figures built from case data are cached under a key that includes
``current()``; ``services.access_log_write`` calls ``bump()`` after every
change or import, so those entries are simply never read again.
"""

from __future__ import annotations

import time

from django.core.cache import cache
from django.db import transaction

KEY = "integration:data_version"


def _start() -> int:
    # Milliseconds, not 0: if the cache loses the key (eviction, restart of a
    # shared cache), the version starts above every number handed out before,
    # so no entry cached under an old version can match again.
    return int(time.time() * 1000)


def current() -> int:
    version = cache.get(KEY)
    if version is None:
        cache.add(KEY, _start(), timeout=None)
        version = cache.get(KEY, 0)
    return int(version)


def _increment() -> None:
    try:
        cache.incr(KEY)
    except ValueError:  # the key is gone: start again above every old version
        cache.add(KEY, _start(), timeout=None)


def bump() -> None:
    """Invalidate every figure cached under the current version.

    Bumped now, so the next read in this request misses, and again when the
    transaction commits: a page built by another request between these two
    moments read the data before the commit and must not stay cached.
    """
    _increment()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(_increment)
