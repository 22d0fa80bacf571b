"""Counts of the programme on a day, counted once and kept until a change reaches that day.

The monthly follow-up counts the ladder on twelve month ends and the
programme on three days; the dashboard the ladder on its twelve months. A
past month's end stays the same until a change of citizens, cases or their
facts reaches back to it, and most changes are of today: a ladder step
begun, a course ended, a case closed. So each day's counts are kept in the
database (``StoredDayFigures``) with the snapshot they were counted in, and
every such change records, in its own transaction, the first day it may
move (``CaseFiguresChange``, written by ``services.access_log_write``; a
change that does not say moves every day).

A kept row is read while no change it does not include reaches its day:
none committed outside its snapshot (``pg_visible_in_snapshot``) with a
first day on or before the last day the counts read. The rule needs no
lock and no order between writers and readers: a row counted while a change
was being committed does not include it, and is not read once the change is
visible. A row stale for one reader is counted again and replaced.

Only on PostgreSQL: elsewhere (SQLite, for a newcomer's demo) the counts are
made every time, as before. ``manage.py day_figures`` counts the month ends
ahead of the reports and drops what no kept row needs any more; a nightly run
keeps the list of changes short.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping

from django.db import connection, models
from django.db.models import Min

from common import snapshot
from integration import report_days
from integration.models import CaseFiguresChange, StoredDayFigures, User
from integration.report_selectors import _check

# The first day a change that does not say moves: every day.
EVERY_DAY = dt.date(1, 1, 1)

_STORED = StoredDayFigures._meta.db_table
_CHANGES = CaseFiguresChange._meta.db_table

# A kept row (``s``) that includes every change reaching its days.
_STILL_TRUE = f"""
    NOT EXISTS (
        SELECT 1 FROM {_CHANGES} c
        WHERE c.transaction_id >= pg_snapshot_xmin(s.snapshot::pg_snapshot)::text::bigint
            AND c.from_day <= s.reads_until
            AND NOT pg_visible_in_snapshot(c.transaction_id::text::xid8, s.snapshot::pg_snapshot)
    )"""


def enabled() -> bool:
    return connection.vendor == "postgresql"


def changed_from(day: dt.date | None) -> None:
    """Record, in the changing transaction, that a change may move the figures
    of ``day`` and every day after it (None: of every day)."""
    if not enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_CHANGES} (from_day, transaction_id) "
            "VALUES (%s, pg_current_xact_id()::text::bigint)",
            [day or EVERY_DAY],
        )


def first_day(*days: dt.date | None) -> dt.date | None:
    """The earliest of the days given (None among them: every day)."""
    if not days or any(day is None for day in days):
        return None
    return min(days)


def _date_fields(model: type[models.Model]) -> list[str]:
    return [
        f.attname
        for f in model._meta.concrete_fields
        if isinstance(f, models.DateField) and not isinstance(f, models.DateTimeField)
    ]


def first_day_of(rows: Iterable[models.Model], *, stored: Iterable[int] = ()) -> dt.date | None:
    """The first day a change of ``rows`` (facts of cases, all of one model)
    may move: the earliest of their dates, as they are now and, for those
    already ``stored`` (their ids), as they were. None (every day) when they
    have no date to go by."""
    rows = list(rows)
    if not rows:
        return None
    model = type(rows[0])
    names = _date_fields(model)
    found = [getattr(row, name) for row in rows for name in names]
    stored = list(stored)
    if stored:
        before = model._default_manager.filter(pk__in=stored).aggregate(
            **{name: Min(name) for name in names}
        )
        found += before.values()
    found = [day for day in found if day is not None]
    return min(found) if found else None


def narrow_key(narrow: Mapping[str, object]) -> str:
    return "&".join(f"{k}={v}" for k, v in sorted(narrow.items()) if v not in (None, ""))


def counted_days(
    name: str,
    count: Callable[..., dict[dt.date, Mapping]],
    user: User | None,
    days: Iterable[dt.date],
    *,
    reads_until: Callable[[dt.date], dt.date] = lambda day: day,
    **narrow,
) -> dict[dt.date, dict]:
    """``count(user, days, **narrow)`` (``{day: {key: n}}``), each day from the
    kept rows when one still holds; the days missing are counted together and
    kept once the caller's read-only snapshot is over. ``reads_until(day)``:
    the last day the counts of ``day`` read."""
    _check(user)
    days = sorted(set(days))
    if not enabled() or not days:
        return count(user, days, **narrow)
    key = narrow_key(narrow)
    found = _kept(name, key, days)
    missing = [day for day in days if day not in found]
    if missing:
        with connection.cursor() as cursor:
            # Taken before counting: a change committed between the two is
            # then seen as not included, and the row is counted again.
            cursor.execute("SELECT pg_current_snapshot()::text")
            (taken,) = cursor.fetchone()
        counted = count(user, missing, **narrow)
        rows = [
            StoredDayFigures(
                name=name,
                day=day,
                narrow=key,
                reads_until=reads_until(day),
                counts=[[k, n] for k, n in counted[day].items()],
                snapshot=taken,
            )
            for day in missing
        ]
        snapshot.after(lambda: _keep(rows))
        found.update({day: dict(counted[day]) for day in missing})
    return {day: found[day] for day in days}


def _kept(name: str, key: str, days: list[dt.date]) -> dict[dt.date, dict]:
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.day, s.counts FROM {_STORED} s "
            f"WHERE s.name = %s AND s.narrow = %s AND s.day = ANY(%s) AND {_STILL_TRUE}",
            [name, key, days],
        )
        rows = cursor.fetchall()
    # Django has the driver hand over jsonb as text: [[key, n], ...]
    return {day: {k: n for k, n in json.loads(counts)} for day, counts in rows}


def _keep(rows: list[StoredDayFigures]) -> None:
    StoredDayFigures.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["name", "day", "narrow"],
        update_fields=["reads_until", "counts", "snapshot", "counted_at"],
    )


def tidy() -> dict[str, int]:
    """Drop the kept rows a change has made stale (they will not hold again),
    mark the others as counted now, and drop the changes no kept row can miss
    any more. Returns how many of each went.

    Each is one statement, so each sees one moment. A change is dropped only
    when every kept row's snapshot includes it and it is a day old: a report
    that took its snapshot before the change keeps its counts a moment after
    (``snapshot.after``), never a day.
    """
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {_STORED} s WHERE NOT {_STILL_TRUE}")
        stale = cursor.rowcount
        # A row that holds now counts what the data counts now: the changes
        # it misses all begin after its last day.
        cursor.execute(
            f"UPDATE {_STORED} s SET snapshot = pg_current_snapshot()::text WHERE {_STILL_TRUE}"
        )
        cursor.execute(
            f"""DELETE FROM {_CHANGES}
                WHERE recorded_at < now() - interval '1 day'
                    AND transaction_id < COALESCE(
                        (SELECT MIN(pg_snapshot_xmin(snapshot::pg_snapshot)::text::bigint)
                         FROM {_STORED}),
                        pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"""
        )
        changes = cursor.rowcount
    return {"stale": stale, "changes": changes}


def ladder_on_days(user: User | None, days: Iterable[dt.date], **narrow) -> dict:
    """``report_days.ladder_on_days``, each day kept until a change reaches it."""
    return counted_days("ladder", report_days.ladder_on_days, user, days, **narrow)


def programme_counts_on_days(user: User | None, days: Iterable[dt.date], **narrow) -> dict:
    """``report_days.programme_counts_on_days``, each day kept until a change reaches it."""
    count = report_days.programme_counts_on_days
    return counted_days("programme", count, user, days, **narrow)
