"""Counts side by side in one snapshot (common/snapshot.py).

On PostgreSQL the tasks run on worker threads, each with its own connection
that sees the database as the caller saw it when the block began, read-only.
Elsewhere, and inside a transaction, they run in order on the caller's
connection. The PostgreSQL tests skip on SQLite, except under CI=true (CI runs
the suite on PostgreSQL), where they fail.
"""

from __future__ import annotations

import os
import threading
import time
from collections.abc import Callable

import pytest
from django.db import DatabaseError, connection
from django.utils import translation
from django.utils.translation import gettext

from common.snapshot import one_snapshot
from integration.models import Team


def _postgresql() -> None:
    if connection.vendor != "postgresql":
        if os.environ.get("CI") == "true":
            pytest.fail("CI runs the suite on PostgreSQL; these tests must run there.")
        pytest.skip("needs PostgreSQL")


def _commit_a_team_elsewhere(name: str) -> None:
    """A write committed on another connection, as another user's request would."""

    def write() -> None:
        try:
            Team.objects.create(name=name)
        finally:
            connection.close()

    thread = threading.Thread(target=write)
    thread.start()
    thread.join()


@pytest.mark.django_db
def test_inside_a_transaction_the_tasks_run_in_order_on_the_callers_thread(settings):
    settings.REPORT_QUERY_THREADS = 4
    Team.objects.create(name="Nord")  # not committed: only this connection sees it
    ran = []
    with one_snapshot() as together:
        found = together(
            {
                "teams": lambda: (ran.append(threading.current_thread()), Team.objects.count())[1],
                "names": lambda: sorted(Team.objects.values_list("name", flat=True)),
            }
        )
    assert found == {"teams": 1, "names": ["Nord"]}
    assert ran == [threading.current_thread()]


@pytest.mark.django_db(transaction=True)
def test_with_one_thread_the_tasks_run_in_order(settings):
    settings.REPORT_QUERY_THREADS = 1
    ran = []
    with one_snapshot() as together:
        together({"a": lambda: ran.append(threading.current_thread()), "b": lambda: None})
    assert ran == [threading.current_thread()]


@pytest.mark.django_db(transaction=True)
def test_the_tasks_run_side_by_side_and_all_see_the_moment_the_block_began(settings):
    _postgresql()
    settings.REPORT_QUERY_THREADS = 3
    Team.objects.create(name="Nord")
    threads = set()

    def side_by_side() -> Callable[[], int]:
        """A count whose first run waits until a second has begun: run one
        after the other, the first would wait in vain (and fail the test).
        Without the wait, one worker could take every task before the
        others had connected."""
        begun = []
        second = threading.Event()
        lock = threading.Lock()

        def count() -> int:
            with lock:
                threads.add(threading.current_thread().name)
                begun.append(1)
                first = len(begun) == 1
            if first:
                assert second.wait(timeout=10), "the tasks ran one after the other"
            else:
                second.set()
            return Team.objects.count()

        return count

    with one_snapshot() as together:
        _commit_a_team_elsewhere("Syd")  # after the snapshot: seen by no task
        count = side_by_side()
        found = together({"a": count, "b": count, "c": count})
        count = side_by_side()
        later = together({"a": count, "b": count})
        mine = Team.objects.count()  # the caller is in the snapshot too
    assert found == {"a": 1, "b": 1, "c": 1}
    assert later == {"a": 1, "b": 1}
    assert mine == 1
    assert threading.current_thread().name not in threads and len(threads) >= 2
    assert Team.objects.count() == 2  # after the block: now


@pytest.mark.django_db(transaction=True)
def test_a_task_that_writes_is_refused_and_the_error_reaches_the_caller(settings):
    _postgresql()
    settings.REPORT_QUERY_THREADS = 2
    with pytest.raises(DatabaseError, match="read-only transaction"):
        with one_snapshot() as together:
            together({"count": Team.objects.count, "write": lambda: Team.objects.create(name="X")})
    assert not Team.objects.exists()


@pytest.mark.django_db(transaction=True)
def test_the_tasks_speak_the_callers_language_and_leave_no_connection_open(settings):
    _postgresql()
    settings.REPORT_QUERY_THREADS = 2

    def backends() -> int:
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT COUNT(*) FROM pg_stat_activity WHERE datname = current_database()"
            )
            return cursor.fetchone()[0]

    before = backends()
    with translation.override("da"), one_snapshot() as together:
        found = together({"a": lambda: gettext("Caseload"), "b": lambda: gettext("Tasks")})
    assert found == {"a": "Sagsliste", "b": "Opgaver"}
    # A closed connection's server process leaves pg_stat_activity a moment
    # after the client hangs up; one left open would stay.
    deadline = time.monotonic() + 5
    while backends() != before and time.monotonic() < deadline:
        time.sleep(0.05)
    assert backends() == before


@pytest.mark.django_db(transaction=True)
def test_each_worker_opens_one_connection_for_all_the_tasks_it_takes(settings):
    _postgresql()
    settings.REPORT_QUERY_THREADS = 2

    both = threading.Barrier(2)

    def backend() -> int:
        both.wait(timeout=10)  # two workers at a time, each on its own task
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_backend_pid()")
            return cursor.fetchone()[0]

    with one_snapshot() as together:
        found = together({f"task {n}": backend for n in range(8)})
    assert len(found) == 8
    assert len(set(found.values())) == 2
