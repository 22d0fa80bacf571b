"""Figures counted once and kept in the database until a change reaches what they read.

The monthly follow-up counts the ladder on twelve month ends and the
programme on three days; the dashboard the ladder on its twelve months; the
service review ten years of measurements month by month. A past month's end
stays the same until a change of citizens, cases or their facts reaches back
to it, and a closed month's measurements until a score of that month
changes; most changes are of today. So figures are kept in the database
(``KeptFigures``) with the snapshot they were counted in and what they read
(case data up to a day, or scores between two days), and every change
records, in its own transaction, what it changed and the days it may move
(``FiguresChange``, written by ``services.access_log_write``; a change that
does not say moves everything).

A kept row is read while no change it does not include reaches it: none
committed outside its snapshot (``pg_visible_in_snapshot``) of what it reads
and on the days it reads. The rule needs no lock and no order between
writers and readers: a row counted while a change was being committed does
not include it, and is not read once the change is visible. A row stale for
one reader is counted again and replaced.

Only on PostgreSQL: elsewhere (SQLite, for a newcomer's demo) the figures
are counted every time, as before. ``tidy`` drops what no kept row needs any
more; the nightly ``manage.py prepare_figures`` runs it, and counts ahead
what the papers read.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Callable, Iterable, Mapping
from typing import Any

from django.db import connection, models
from django.db.models import Min

from common import dates, snapshot
from integration import standing
from integration.models import FiguresChange, FiguresRead, KeptFigures, User
from integration.report_selectors import _check

# The first day of a change that does not say: every day.
EVERY_DAY = dt.date(1, 1, 1)

_KEPT = KeptFigures._meta.db_table
_CHANGES = FiguresChange._meta.db_table

# A kept row (``s``) that includes every change reaching what it reads.
_STILL_TRUE = f"""
    NOT EXISTS (
        SELECT 1 FROM {_CHANGES} c
        WHERE c.transaction_id >= pg_snapshot_xmin(s.snapshot::pg_snapshot)::text::bigint
            AND (c.kind = s.reads OR c.kind = '{FiguresRead.ALL.value}')
            AND c.from_day <= s.reads_until
            AND (c.until_day IS NULL OR c.until_day >= s.reads_from)
            AND NOT pg_visible_in_snapshot(c.transaction_id::text::xid8, s.snapshot::pg_snapshot)
    )"""


def enabled() -> bool:
    return connection.vendor == "postgresql"


def changed(kind: str, from_day: dt.date | None, until_day: dt.date | None = None) -> None:
    """Record, in the changing transaction, that a change of ``kind`` may move
    the figures of the days from ``from_day`` (None: every day) to
    ``until_day`` (None: every day after)."""
    if not enabled():
        return
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_CHANGES} (kind, from_day, until_day, transaction_id) "
            "VALUES (%s, %s, %s, pg_current_xact_id()::text::bigint)",
            [kind, from_day or EVERY_DAY, until_day],
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


def _wanted(name: str, day: dt.date, key: str, reads: str, reads_from, reads_until):
    """A row to look for, and to keep once counted (its value and snapshot then)."""
    return KeptFigures(
        name=name, day=day, key=key, reads=reads, reads_from=reads_from, reads_until=reads_until
    )


def _found(wanted: list[KeptFigures]) -> dict[tuple, Any]:
    """The values of the kept rows that still hold, by (name, day, key)."""
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT s.name, s.day, s.key, s.value FROM {_KEPT} s "
            "WHERE (s.name, s.day, s.key) IN "
            f"(SELECT * FROM unnest(%s::text[], %s::date[], %s::text[])) AND {_STILL_TRUE}",
            [[w.name for w in wanted], [w.day for w in wanted], [w.key for w in wanted]],
        )
        rows = cursor.fetchall()
    # Django has the driver hand over jsonb as text.
    return {(name, day, key): json.loads(value) for name, day, key, value in rows}


def _counted(wanted: list[KeptFigures], count: Callable[[], list]) -> list:
    """``count()`` (one value per wanted row, JSON-ready), kept once the
    caller's read-only snapshot is over.

    Not kept when counted inside a transaction that may write (a service's, a
    test's): PostgreSQL leaves a transaction's own id out of its snapshots, so
    once a later transaction has ended the snapshot would pass for including
    a change this transaction makes after it."""
    if connection.in_atomic_block and not snapshot.in_read_only():
        return count()
    with connection.cursor() as cursor:
        # Taken before counting: a change committed between the two is then
        # seen as not included, and the row is counted again.
        cursor.execute("SELECT pg_current_snapshot()::text")
        (taken,) = cursor.fetchone()
    values = count()
    for row, value in zip(wanted, values, strict=True):
        row.value, row.snapshot = value, taken
    snapshot.after(lambda: _keep(wanted))
    return values


def _keep(rows: list[KeptFigures]) -> None:
    KeptFigures.objects.bulk_create(
        rows,
        update_conflicts=True,
        unique_fields=["name", "day", "key"],
        update_fields=["reads", "reads_from", "reads_until", "value", "snapshot", "counted_at"],
    )


def _kept(wanted: Mapping[Any, KeptFigures], count: Callable[[list], Mapping]) -> dict:
    """Each of ``wanted`` (``{id: row}``) from the kept rows when one still
    holds; the ids missing counted together by ``count(missing)`` (``{id:
    JSON-ready value}``) and kept."""
    held = _found(list(wanted.values()))
    found = {
        id_: held[row.name, row.day, row.key]
        for id_, row in wanted.items()
        if (row.name, row.day, row.key) in held
    }
    missing = [id_ for id_ in wanted if id_ not in found]
    if missing:
        counted: dict = {}

        def count_missing() -> list:
            counted.update(count(missing))
            return [counted[id_] for id_ in missing]

        _counted([wanted[id_] for id_ in missing], count_missing)
        found.update(counted)
    return {id_: found[id_] for id_ in wanted}


def kept_periods(
    name: str,
    periods: list[tuple[dt.date, dt.date]],
    count: Callable[[list[tuple[dt.date, dt.date]]], Mapping[tuple[dt.date, dt.date], Any]],
    *,
    reads: str,
) -> dict[tuple[dt.date, dt.date], Any]:
    """``count(periods)`` (``{(first, last): JSON-ready value}`` of what the
    figures read between the two days), each period from the kept rows when
    one still holds; the periods missing are counted together."""
    if not enabled():
        return dict(count(periods))
    wanted = {
        (first, last): _wanted(name, last, first.isoformat(), reads, first, last)
        for first, last in periods
    }
    return _kept(wanted, count)


def counted_days(
    name: str,
    count: Callable[..., dict[dt.date, Mapping]],
    user: User | None,
    days: Iterable[dt.date],
    **narrow,
) -> dict[dt.date, dict]:
    """``count(user, days, **narrow)`` (``{day: {key: n}}`` of case data up to
    each day), each day from the kept rows when one still holds; the days
    missing are counted together. Kept as pairs: the keys may be numbers or
    null, which JSON's objects cannot hold."""
    _check(user)
    days = sorted(set(days))
    if not enabled() or not days:
        return count(user, days, **narrow)
    key = narrow_key(narrow)
    wanted = {day: _wanted(name, day, key, FiguresRead.CASES, EVERY_DAY, day) for day in days}

    def as_pairs(missing: list[dt.date]) -> dict:
        counted = count(user, missing, **narrow)
        return {day: [[k, n] for k, n in counted[day].items()] for day in missing}

    return {day: dict(map(tuple, pairs)) for day, pairs in _kept(wanted, as_pairs).items()}


def on_day(name: str, count: Callable[[User | None, dt.date], Mapping], user, day: dt.date):
    """``count(user, day)`` (``{key: n}`` of case data up to ``day``), kept as
    ``counted_days`` keeps a day."""
    counted = counted_days(name, lambda u, days: {d: count(u, d) for d in days}, user, [day])
    return counted[day]


def months_of_year(
    name: str,
    count: Callable[[User | None, int, int], list],
    user: User | None,
    year: int,
    last_month: int,
) -> list:
    """``count(user, year, last_month)`` (one JSON-ready value a month from
    January, of case data up to each month's end), each month kept until a
    change reaches back to it; a month missing is counted with the year up
    to it."""
    _check(user)
    months = [
        (dt.date(year, m, 1), dates.month_end(dt.date(year, m, 1)))
        for m in range(1, last_month + 1)
    ]

    def count_missing(missing: list[tuple[dt.date, dt.date]]) -> dict:
        counted = count(user, year, missing[-1][0].month)
        return {month: counted[month[0].month - 1] for month in missing}

    found = kept_periods(name, months, count_missing, reads=FiguresRead.CASES)
    return [found[month] for month in months]


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
        cursor.execute(f"DELETE FROM {_KEPT} s WHERE NOT {_STILL_TRUE}")
        stale = cursor.rowcount
        # A row that holds now counts what the data counts now: the changes
        # it misses all fall on days it does not read.
        cursor.execute(
            f"UPDATE {_KEPT} s SET snapshot = pg_current_snapshot()::text WHERE {_STILL_TRUE}"
        )
        cursor.execute(
            f"""DELETE FROM {_CHANGES}
                WHERE recorded_at < now() - interval '1 day'
                    AND transaction_id < COALESCE(
                        (SELECT MIN(pg_snapshot_xmin(snapshot::pg_snapshot)::text::bigint)
                         FROM {_KEPT}),
                        pg_snapshot_xmin(pg_current_snapshot())::text::bigint)"""
        )
        changes = cursor.rowcount
    return {"stale": stale, "changes": changes}


def ladder_on_days(user: User | None, days: Iterable[dt.date], **narrow) -> dict:
    """``report_days.ladder_on_days``, each day kept until a change reaches it
    (the day the cases' standing is for summed from it)."""
    return counted_days("ladder", standing.ladder_on_days, user, days, **narrow)


def programme_counts_on_days(user: User | None, days: Iterable[dt.date], **narrow) -> dict:
    """``report_days.programme_counts_on_days``, each day kept until a change
    reaches it (the day the cases' standing is for summed from it)."""
    count = standing.programme_counts_on_days
    return counted_days("programme", count, user, days, **narrow)
