"""Today's ladder and programme, read from a roll-up kept current by the services.

The dashboard counts the ladder and the programme on its period's last day,
which is nearly always today, and a change of a case voids today's counts: at
100,000 citizens counting them again took 0.1 and 0.2 s of the first
dashboard after the change. So for one day (``StandingDay``: the day
``prepare_figures`` made it for) every case in the programme that day has a
row (``CaseStanding``) with all those counts read of it, and the counts for
that day are sums over these rows.

The rows are kept true by the writers:

- ``refresh(citizen_ids)``, in the transaction of every change of citizens,
  cases or their facts (``services.access_log_write``), makes the rows of
  those citizens' cases again from the data as the transaction sees it;
  ``add(case_ids)`` makes the rows of new cases, which have no facts yet;
- a change that does not say whose data it changed makes every row again
  (``make_again``);
- ``make(day)`` makes every row for a new day.

Why this holds without a lock between readers: a reader reads the rows in
its own snapshot, and a writer changes its cases' rows in the transaction
that changes their data, so the two are seen together or not at all. Why
writers do not undo each other: a change of a case's facts holds the case's
row lock (``case_refresh_deadlines``; a change of the case itself updates
it), so two changes of one case take turns, and the later one's refresh, a
statement of its own after the lock, sees the earlier one. ``make`` takes the
table in EXCLUSIVE mode: it waits for the writers that have refreshed rows to
commit, counts after them, and the writers that come after it wait for it.
Each writer takes the table in ROW EXCLUSIVE mode before it reads the day,
so it never refreshes rows for the day that ``make`` is replacing.

Only on PostgreSQL (as ``integration.kept_figures``): elsewhere the counts are
counted from the data every time.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterable, Mapping

from django.db import connection, transaction

from common.lookups import among
from integration import report_days
from integration.models import (
    Case,
    CaseFact,
    CaseStanding,
    DanishCourse,
    EmploymentSpell,
    LadderPlacement,
    StandingDay,
    User,
)
from integration.report_selectors import _check

# What a case's row reads besides its citizen and case (``report_days.flagged``):
# these spells, when they are active on the row's day.
SPELLS = (DanishCourse, LadderPlacement, EmploymentSpell)
Spell = tuple[dt.date, dt.date | None]  # start, end (None: ongoing)

_ROWS = CaseStanding._meta.db_table
_COLUMNS = "case_id, team_id, residence_basis, adult, step, course, work, employed"


def enabled() -> bool:
    return connection.vendor == "postgresql"


def day() -> dt.date | None:
    """The day the rows stand on (None: none)."""
    return StandingDay.objects.values_list("day", flat=True).first()


def _insert(on: dt.date, case_ids: list[int] | None = None, *, spells: bool = True) -> int:
    """Insert the rows of these cases (None: every case) for ``on``; how many.
    ``spells=False``: the cases have none yet (``report_days.flagged``)."""
    ctes, params = report_days.flagged([on], case_ids=case_ids, with_step=True, spells=spells)
    with connection.cursor() as cursor:
        cursor.execute(
            f"WITH {ctes} INSERT INTO {_ROWS} ({_COLUMNS}) SELECT {_COLUMNS} FROM flagged", params
        )
        return cursor.rowcount


@transaction.atomic
def make(on: dt.date) -> int:
    """Make the rows for the day ``on``: every case in the programme then.
    Returns how many."""
    if not enabled():
        return 0
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {_ROWS} IN EXCLUSIVE MODE")
        cursor.execute(f"DELETE FROM {_ROWS}")
    rows = _insert(on)
    StandingDay.objects.all().delete()
    StandingDay.objects.create(day=on)
    return rows


def _lock_for_rows() -> dt.date | None:
    """Wait for a ``make`` under way, then the day the rows stand on."""
    with connection.cursor() as cursor:
        cursor.execute(f"LOCK TABLE {_ROWS} IN ROW EXCLUSIVE MODE")
    return day()


def new_spells(facts: Iterable[CaseFact], citizen_of: Mapping[int, int]) -> dict[int, list[Spell]]:
    """New facts as ``refresh`` narrows by them: by citizen (``citizen_of``
    their case), the spells among them that a row reads. A fact of another
    kind moves no row."""
    found: dict[int, list[Spell]] = {}
    for fact in facts:
        if isinstance(fact, SPELLS):
            spell = (fact.start_date, fact.end_date)
            found.setdefault(citizen_of[fact.case_id], []).append(spell)
    return found


def _active(spells: Iterable[Spell], on: dt.date) -> bool:
    """Whether one of the spells is active on the day (as ``report_days`` reads them)."""
    return any(start <= on and (end is None or end >= on) for start, end in spells)


def refresh(citizen_ids: Iterable[int], *, added: Mapping[int, list[Spell]] | None = None) -> None:
    """Make the rows of these citizens' cases again, in the caller's
    transaction, from the data as it sees it now.

    ``added``: the change only added facts, and these are the spells among
    them by citizen (``new_spells``); only the citizens with one active on
    the rows' day are made again. A monthly employment extract of past
    months moves no row, and makes none again."""
    if not enabled():
        return
    citizen_ids = list(citizen_ids)
    if not citizen_ids:
        return
    with transaction.atomic():
        on = _lock_for_rows()
        if on is None:
            return
        if added is not None:
            # The day is read under the lock: a make for a new day has
            # committed before it, or waits for this transaction.
            citizen_ids = [pk for pk in citizen_ids if _active(added.get(pk, ()), on)]
            if not citizen_ids:
                return
        # Arrays (``among``), not the 10,000 parameters each an import would
        # send: the two statements took about 80 ms for 10,000 citizens, 45 as
        # arrays (size L).
        cases = Case.objects.values_list("pk", flat=True)
        case_ids = [pk for part in among(cases, "citizen_id", citizen_ids) for pk in part]
        for rows in among(CaseStanding.objects.all(), "case_id", case_ids):
            rows.delete()
        if case_ids:
            _insert(on, case_ids)


def add(case_ids: Iterable[int]) -> None:
    """Add the rows of cases just made, in the caller's transaction: they
    have no row yet and no spell to read. An import of 10,000 new citizens
    made their rows in 148 ms through ``refresh``, which looks for both, and
    in 48–70 ms here (three statements against one; size L)."""
    if not enabled():
        return
    case_ids = list(case_ids)
    if not case_ids:
        return
    with transaction.atomic():
        on = _lock_for_rows()
        if on is not None:
            _insert(on, case_ids, spells=False)


def make_again() -> None:
    """A change that does not say whose data it changed: every row is made
    again for the day they stand on, in the caller's transaction (0.4 s at
    100,000 citizens; such changes are an administrator's, and rare)."""
    if not enabled():
        return
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute(f"LOCK TABLE {_ROWS} IN EXCLUSIVE MODE")
        # Read under the lock: a make for a new day may have just committed.
        on = day()
        if on is not None:
            make(on)


# --- the counts ------------------------------------------------------------------------


def _narrowed(team_id: int | None, residence_basis: str | None) -> tuple[str, list]:
    where, params = ["TRUE"], []
    if team_id is not None:
        where.append("team_id = %s")
        params.append(team_id)
    if residence_basis:
        where.append("residence_basis = %s")
        params.append(residence_basis)
    return " AND ".join(where), params


def _ladder(team_id: int | None = None, residence_basis: str | None = None) -> dict:
    where, params = _narrowed(team_id, residence_basis)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT step, COUNT(*) FROM {_ROWS} WHERE adult AND {where} GROUP BY step", params
        )
        return dict(cursor.fetchall())


def _programme(team_id: int | None = None, residence_basis: str | None = None) -> dict:
    where, params = _narrowed(team_id, residence_basis)
    with connection.cursor() as cursor:
        cursor.execute(
            f"SELECT {report_days.PROGRAMME_COUNTS} FROM {_ROWS} WHERE {where}",
            [*report_days.PROGRAMME_COUNTS_PARAMS, *params],
        )
        values = cursor.fetchone()
    return dict(zip(report_days.PROGRAMME_KEYS, values, strict=True))


def _or_counted(from_rows: Callable[..., dict], name: str) -> Callable[..., dict]:
    """``report_days.<name>(user, days, **narrow)`` (``{day: figures}``), the
    day the rows stand on summed from them, the other days counted."""

    def counted(user: User | None, days: Iterable[dt.date], **narrow) -> dict:
        _check(user)
        days = sorted(set(days))
        on = day() if enabled() and days else None
        count = getattr(report_days, name)
        if on not in days:
            return count(user, days, **narrow)
        found = {on: from_rows(**narrow)}
        others = [d for d in days if d != on]
        if others:
            found.update(count(user, others, **narrow))
        return {d: found[d] for d in days}

    return counted


ladder_on_days = _or_counted(_ladder, "ladder_on_days")
programme_counts_on_days = _or_counted(_programme, "programme_counts_on_days")
