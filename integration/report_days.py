"""Counts of the programme on several days, each in one query.

The monthly follow-up and the dashboard count the ladder on twelve month
ends, and the follow-up's headline the programme on three days. Asked one day
at a time, every day is a scan of the citizens with a correlated subquery per
citizen (at 100,000 citizens about 0,15 s a day). Here the days are a small
table joined to the citizens in the programme on each, and to the spells
active on each, so the database makes one pass for all of them.

The counts are those of the one-day definitions, exactly: in the programme
as ``report_selectors.in_programme_q`` says, adult as ``_adult_cutoff``, a
spell active as ``_active`` (both ends inclusive, an empty end ongoing), the
same permission check (``_check``) and narrowing by team and residence basis.
``tests/integration/test_report_days.py`` holds the one-day ORM queries and
proves these equal to them on random histories.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.db import connection

from integration.models import (
    EMPLOYED_OR_SELF_SUPPORTING,
    Case,
    CaseStatus,
    Citizen,
    DanishCourse,
    EmploymentSpell,
    LadderPlacement,
    ResidenceBasis,
    User,
)
from integration.report_selectors import WORK_OR_INTERNSHIP_STEPS, _adult_cutoff, _check

# Who is in the programme: everyone, by age and by residence basis.
IN_PROGRAMME_KEYS = (
    "total",
    "adults",
    "children",
    "refugees",
    "family_reunified",
    "displaced_ukraine",
)
# The keys of programme_counts, in the order of the query's columns: who is
# in the programme, then the adults employed, in a course, in both.
PROGRAMME_KEYS = (
    *IN_PROGRAMME_KEYS,
    "adults_employed",
    "adults_in_course",
    "adults_course_and_work",
)


def _days(days: list[dt.date]) -> tuple[str, list]:
    """The days as a table: their number, the day, and the adult birth cutoff."""
    rows = ", ".join(["(%s, %s, %s)"] * len(days))
    params = [value for n, day in enumerate(days) for value in (n, day, _adult_cutoff(day))]
    return f"days (n, day, cutoff) AS (VALUES {rows})", params


def _population(
    days: list[dt.date],
    *,
    adults_only: bool,
    team_id: int | None,
    residence_basis: str | None,
    case_ids: list[int] | None = None,
) -> tuple[str, list]:
    """The citizens in the programme on each day (``in_programme_q``), one row
    per day and citizen with the citizen's case, birth date and basis.

    ``candidates`` are the cases that may be counted on some day (a bound the
    database applies in one scan); ``population`` checks each of them on each
    day. The spells below are read only for the candidates' cases.
    ``case_ids`` narrows them to those cases (``integration.standing``)."""
    sql = f"""
        candidates AS (
            SELECT kase.id AS case_id, kase.team_id, kase.status, kase.closed_on,
                   citizen.arrival_date, citizen.birth_date, citizen.residence_basis
            FROM {Citizen._meta.db_table} citizen
            INNER JOIN {Case._meta.db_table} kase ON kase.citizen_id = citizen.id
            WHERE citizen.arrival_date <= %s
                AND ((kase.status = %s AND kase.closed_on IS NULL) OR kase.closed_on > %s)"""
    params: list = [days[-1], CaseStatus.OPEN.value, days[0]]
    if adults_only:
        sql += " AND citizen.birth_date <= %s"
        params.append(_adult_cutoff(days[-1]))
    if team_id is not None:
        sql += " AND kase.team_id = %s"
        params.append(team_id)
    if residence_basis:
        sql += " AND citizen.residence_basis = %s"
        params.append(residence_basis)
    if case_ids is not None:
        sql += " AND kase.id = ANY(%s)"
        params.append(list(case_ids))
    sql += """),
        population AS (
            SELECT days.n, days.cutoff, candidates.birth_date, candidates.residence_basis,
                   candidates.case_id, candidates.team_id
            FROM candidates
            INNER JOIN days ON candidates.arrival_date <= days.day
                AND ((candidates.status = %s AND candidates.closed_on IS NULL)
                     OR candidates.closed_on > days.day)"""
    params.append(CaseStatus.OPEN.value)
    if adults_only:
        sql += " AND candidates.birth_date <= days.cutoff"
    return sql + ")", params


# The spells of the candidates' cases (a join, not ``IN``: the database then
# hashes them rather than probing each case's index) that are active on one
# of the days at least: ``%s`` are the last day and the first.
_SPELLS_OF_CANDIDATES = """
    INNER JOIN candidates ON candidates.case_id = spell.case_id
    INNER JOIN days ON spell.start_date <= days.day
        AND (spell.end_date IS NULL OR spell.end_date >= days.day)
    WHERE spell.start_date <= %s AND (spell.end_date IS NULL OR spell.end_date >= %s)"""


def _active_on_days(table: str, name: str, condition: str = "") -> str:
    """The spells of ``table`` active on each day (``_active``): day and case."""
    return f"""
        {name} AS (
            SELECT days.n, spell.case_id FROM {table} spell {_SPELLS_OF_CANDIDATES} {condition}
            GROUP BY days.n, spell.case_id)"""


def _latest_step() -> str:
    """``latest``: each candidate's ladder step on each day, from the spell that
    started last (the higher id when two started the same day).

    PostgreSQL takes ``DISTINCT ON`` and estimates its rows as the (day, case)
    pairs. Filtering ``ROW_NUMBER() = 1`` instead, it guessed a couple of rows,
    and on a municipality's own size (make bench, S: 1,000 citizens) it then
    joined the population in nested loops: 390 ms for twelve month ends
    instead of 5. Elsewhere (SQLite) the row number it is."""
    spells = f"{LadderPlacement._meta.db_table} spell {_SPELLS_OF_CANDIDATES}"
    if connection.vendor == "postgresql":
        return f"""latest AS (
            SELECT DISTINCT ON (days.n, spell.case_id) days.n, spell.case_id, spell.step
            FROM {spells}
            ORDER BY days.n, spell.case_id, spell.start_date DESC, spell.id DESC)"""
    return f"""latest AS (
            SELECT n, case_id, step FROM (
                SELECT days.n, spell.case_id, spell.step,
                       ROW_NUMBER() OVER (
                           PARTITION BY days.n, spell.case_id
                           ORDER BY spell.start_date DESC, spell.id DESC
                       ) AS place
                FROM {spells}) numbered
            WHERE place = 1)"""


def _placeholders(values: Iterable) -> tuple[str, list]:
    values = sorted(values)
    return ", ".join(["%s"] * len(values)), values


def _fetch(sql: str, params: list) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return cursor.fetchall()


def ladder_on_days(
    user: User | None,
    days: Iterable[dt.date],
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict[dt.date, dict[int | None, int]]:
    """Adults in the programme on each day by their ladder step then (None = no
    placement), in one query: ``{day: {step: n}}`` with the steps that occur.

    A citizen with two spells that day counts once, at the spell that started
    last (the higher id when two started the same day).
    """
    _check(user)
    days = sorted(set(days))
    counts: dict[dt.date, dict[int | None, int]] = {day: {} for day in days}
    if not days:
        return counts
    days_sql, params = _days(days)
    population, population_params = _population(
        days, adults_only=True, team_id=team_id, residence_basis=residence_basis
    )
    sql = f"""
        WITH {days_sql}, {population},
        {_latest_step()}
        SELECT population.n, latest.step, COUNT(*)
        FROM population
        LEFT OUTER JOIN latest
            ON latest.n = population.n AND latest.case_id = population.case_id
        GROUP BY population.n, latest.step"""
    for n, step, count in _fetch(sql, [*params, *population_params, days[-1], days[0]]):
        counts[days[n]][step] = count
    return counts


def programme_counts_on_days(
    user: User | None,
    days: Iterable[dt.date],
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict[dt.date, dict[str, int]]:
    """Citizens in the programme on each day, in one query: adults/children,
    refugee/family reunified, and the adults employed or self-supporting, in a
    Danish course, and in a course together with work or an internship
    (ladder steps 1–5) or employment. ``{day: {key: n}}``, keys as
    ``PROGRAMME_KEYS``."""
    _check(user)
    days = sorted(set(days))
    counts = {day: dict.fromkeys(PROGRAMME_KEYS, 0) for day in days}
    if not days:
        return counts
    ctes, params = flagged(days, team_id=team_id, residence_basis=residence_basis)
    sql = f"WITH {ctes} SELECT n, {PROGRAMME_COUNTS} FROM flagged GROUP BY n"
    for n, *values in _fetch(sql, [*params, *PROGRAMME_COUNTS_PARAMS]):
        counts[days[n]] = dict(zip(PROGRAMME_KEYS, values, strict=True))
    return counts


# The counts of ``PROGRAMME_KEYS`` over rows of ``flagged`` (or of
# ``CaseStanding``, which keeps them), with ``PROGRAMME_COUNTS_PARAMS``.
PROGRAMME_COUNTS = """COUNT(*),
    COUNT(CASE WHEN adult THEN 1 END),
    COUNT(CASE WHEN NOT adult THEN 1 END),
    COUNT(CASE WHEN residence_basis = %s THEN 1 END),
    COUNT(CASE WHEN residence_basis = %s THEN 1 END),
    COUNT(CASE WHEN residence_basis = %s THEN 1 END),
    COUNT(CASE WHEN adult AND employed THEN 1 END),
    COUNT(CASE WHEN adult AND course THEN 1 END),
    COUNT(CASE WHEN adult AND course AND (work OR employed) THEN 1 END)"""
PROGRAMME_COUNTS_PARAMS = (
    ResidenceBasis.REFUGEE.value,
    ResidenceBasis.FAMILY_REUNIFIED.value,
    ResidenceBasis.UKRAINE.value,
)


def flagged(
    days: list[dt.date],
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
    case_ids: list[int] | None = None,
    with_step: bool = False,
    spells: bool = True,
) -> tuple[str, list]:
    """The common table expressions that end in ``flagged``: each citizen in
    the programme on each of ``days`` (sorted), one row per day and case with
    the day's number ``n``, the case, its team, the citizen's basis, and
    whether the citizen was an adult, in a Danish course, at work or in an
    internship (ladder steps 1–5), and employed or self-supporting that day;
    ``with_step``, also the ladder ``step`` (``ladder_on_days``: None, no
    placement).

    ``spells=False`` is for cases that have none yet (``case_ids`` just
    made): no spell table is read, and every flag and step is empty."""
    days_sql, params = _days(days)
    population, population_params = _population(
        days,
        adults_only=False,
        team_id=team_id,
        residence_basis=residence_basis,
        case_ids=case_ids,
    )
    params += population_params
    ctes = [days_sql, population]
    flags = ["FALSE AS course", "FALSE AS work", "FALSE AS employed"]
    step = "NULL::integer AS step"
    joins = []
    if spells:
        steps, step_params = _placeholders(WORK_OR_INTERNSHIP_STEPS)
        categories, category_params = _placeholders(str(c) for c in EMPLOYED_OR_SELF_SUPPORTING)
        in_range = [days[-1], days[0]]
        ctes += [
            _active_on_days(DanishCourse._meta.db_table, "course"),
            _active_on_days(LadderPlacement._meta.db_table, "work", f"AND spell.step IN ({steps})"),
            _active_on_days(
                EmploymentSpell._meta.db_table,
                "employed",
                f"AND spell.category IN ({categories})",
            ),
        ]
        params += [*in_range, *in_range, *step_params, *in_range, *category_params]
        names = ["course", "work", "employed"]
        flags = [f"{name}.n IS NOT NULL AS {name}" for name in names]
        if with_step:
            ctes.append(_latest_step())
            params += in_range
            step = "latest.step"
            names.append("latest")
        joins = [
            f"LEFT OUTER JOIN {name} "
            f"ON {name}.n = population.n AND {name}.case_id = population.case_id"
            for name in names
        ]
    step_column = f", {step}" if with_step else ""
    sql = f"""
        {", ".join(ctes)},
        flagged AS (
            SELECT population.n, population.case_id, population.team_id,
                   population.residence_basis,
                   population.birth_date <= population.cutoff AS adult,
                   {", ".join(flags)}{step_column}
            FROM population
            {" ".join(joins)}
        )"""
    return sql, params
