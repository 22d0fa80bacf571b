"""Read-only queries run side by side, all seeing the database as of one moment.

A report's figures are many independent counts. Run one after the other, the
database works on one core while the other waits, and each count sees the
data as of its own moment: a case closed between two of them is counted by
one and not by the other. Inside :func:`one_snapshot` every query sees the
same moment, and the counts handed to ``together`` run in worker threads, each
on its own connection that imports the caller's snapshot
(PostgreSQL's ``pg_export_snapshot`` and ``SET TRANSACTION SNAPSHOT``, as
``pg_dump --jobs`` does).

Elsewhere (SQLite), with ``REPORT_QUERY_THREADS`` at 1, or when the caller is
already inside a transaction (a test's, or a write's: other connections
could not see what it has not committed), the counts run in order on the
caller's connection, and the result is the same.

Inside the snapshot nothing can be written (its transactions are read-only):
``after(write)`` keeps a write for when it is over, in the caller's thread.
"""

from __future__ import annotations

import queue
import threading
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.utils import translation

Together = Callable[[Mapping[str, Callable[[], Any]]], dict[str, Any]]

_READ_ONLY_SNAPSHOT = "SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY"

# The writes kept for the end of the read-only snapshot this thread is in.
_local = threading.local()


def in_read_only() -> bool:
    """Is this thread counting inside a read-only snapshot of :func:`one_snapshot`?"""
    return getattr(_local, "pending", None) is not None


def after(write: Callable[[], Any]) -> None:
    """Run ``write`` once this thread's read-only snapshot is over, in the
    thread that opened it; outside one (or where the counts run in order on
    the caller's own transaction), now."""
    pending = getattr(_local, "pending", None)
    if pending is None:
        write()
    else:
        pending.append(write)


def _in_order(tasks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
    return {name: task() for name, task in tasks.items()}


def _threads() -> int:
    return max(1, int(getattr(settings, "REPORT_QUERY_THREADS", 1)))


def _can_share() -> bool:
    return connection.vendor == "postgresql" and _threads() > 1 and not connection.in_atomic_block


def _serve(
    snapshot: str,
    language: str | None,
    tasks: queue.SimpleQueue,
    results: dict[str, Any],
    errors: list[BaseException],
    pending: list[Callable[[], Any]],
) -> None:
    """Take tasks until none is left, on this thread's own connection, in one
    read-only transaction inside the shared snapshot; then close it.

    The tasks side by side already keep the cores busy: a query that started
    worker processes of its own as well (PostgreSQL's parallel query) would
    add their start and the gathering of their rows, and little else."""
    _local.pending = pending
    try:
        with translation.override(language), transaction.atomic():
            with connection.cursor() as cursor:
                cursor.execute(_READ_ONLY_SNAPSHOT)
                cursor.execute("SET TRANSACTION SNAPSHOT %s", [snapshot])
                cursor.execute("SET LOCAL max_parallel_workers_per_gather = 0")
            while not errors:
                try:
                    name, task = tasks.get_nowait()
                except queue.Empty:
                    return
                results[name] = task()
    except BaseException as exc:  # noqa: BLE001 - handed to the caller, who raises it
        errors.append(exc)
    finally:
        _local.pending = None
        connection.close()


@contextmanager
def one_snapshot() -> Iterator[Together]:
    """A read-only view of the database as of now, and ``together(tasks)``,
    which runs ``{name: callable}`` in it and returns ``{name: result}``.

    The callables must only read, and take nothing from the calling thread
    but their arguments and the active language (each worker's connection is
    its own; the cache is shared). They are taken in the order given, so the
    longest should come first. A worker opens one connection for all the
    tasks it takes.
    """
    if not _can_share():
        yield _in_order
        return
    language = translation.get_language()
    pending: list[Callable[[], Any]] = []
    _local.pending = pending
    try:
        with transaction.atomic():
            yield from _shared(language, pending)
    finally:
        _local.pending = None
    for write in pending:
        write()


def _shared(language: str | None, pending: list[Callable[[], Any]]) -> Iterator[Together]:
    """``together`` in the caller's read-only transaction, its snapshot exported."""
    with connection.cursor() as cursor:
        cursor.execute(_READ_ONLY_SNAPSHOT)
        cursor.execute("SELECT pg_export_snapshot()")
        (snapshot,) = cursor.fetchone()

    def together(tasks: Mapping[str, Callable[[], Any]]) -> dict[str, Any]:
        if len(tasks) < 2:
            return _in_order(tasks)
        waiting: queue.SimpleQueue = queue.SimpleQueue()
        for item in tasks.items():
            waiting.put(item)
        results: dict[str, Any] = {}
        errors: list[BaseException] = []
        workers = [
            threading.Thread(
                target=_serve,
                args=(snapshot, language, waiting, results, errors, pending),
                name=f"snapshot-{n}",
            )
            for n in range(min(_threads(), len(tasks)))
        ]
        for worker in workers:
            worker.start()
        for worker in workers:
            worker.join()
        if errors:
            raise errors[0]
        return {name: results[name] for name in tasks}

    yield together
