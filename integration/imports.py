"""Citizen and employment-status imports from CSV files.

One code path for ``manage.py import_citizens``/``import_employment`` and the
upload page. Every row is checked before anything is written, with no query
per row, and the writes run in one transaction: one bad row and nothing
changes. CPR numbers appear in messages only masked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from common import bulk, cpr
from common.countries import parse_country
from common.csvimport import (
    ImportReport,
    RowChecker,
    RowError,
    max_length,
    read_report_table,
    unknown_citizen,
    write_failed,
)
from common.lookups import among
from integration import services
from integration.models import (
    AccessAction,
    Case,
    Citizen,
    EmploymentCategory,
    EmploymentSource,
    EmploymentSpell,
    Household,
    ResidenceBasis,
    Sex,
    Team,
    User,
)
from integration.selectors import CaseRef, case_refs_by_cpr, cases_by_cpr


class ImportKind(models.TextChoices):
    CITIZENS = "citizens", gettext_lazy("Citizens")
    EMPLOYMENT = "employment", gettext_lazy("Employment status (DREAM)")


CITIZEN_COLUMNS = ("cpr", "first_name", "last_name", "nationality", "residence_basis")
CITIZEN_REQUIRED = (*CITIZEN_COLUMNS, "arrival_date")
CITIZEN_OPTIONAL = ("sex", "team", "household")
EMPLOYMENT_REQUIRED = ("cpr", "start_date", "end_date", "category")
# The words for a residence basis that a register export or a caseworker's
# spreadsheet writes, in Danish and English, besides the codes themselves.
RESIDENCE_BASIS_WORDS = {
    "flygtning": ResidenceBasis.REFUGEE,
    "refugee": ResidenceBasis.REFUGEE,
    "familiesammenført": ResidenceBasis.FAMILY_REUNIFIED,
    "familiesammenført til flygtning": ResidenceBasis.FAMILY_REUNIFIED,
    "family reunified": ResidenceBasis.FAMILY_REUNIFIED,
    "family reunified with a refugee": ResidenceBasis.FAMILY_REUNIFIED,
    "særloven": ResidenceBasis.UKRAINE,
    "saerloven": ResidenceBasis.UKRAINE,
    "fordrevet fra ukraine": ResidenceBasis.UKRAINE,
    "ukrainsk særlov": ResidenceBasis.UKRAINE,
    "displaced from ukraine": ResidenceBasis.UKRAINE,
    "ukraine": ResidenceBasis.UKRAINE,
}


# Made once for a whole file, translated where a row is refused.
ARRIVAL_FUTURE = gettext_lazy("The arrival date cannot be in the future.")
ARRIVAL_BEFORE_BIRTH = gettext_lazy("Arrival cannot be before birth (%(cpr)s).")
START_FUTURE = gettext_lazy("The start cannot be in the future.")
START_BEFORE_BIRTH = gettext_lazy("The start cannot be before birth (%(cpr)s).")


# --- citizens -------------------------------------------------------------------


@dataclass
class _CitizenRow:
    line: int
    cpr: str
    first_name: str
    last_name: str
    nationality: str
    residence_basis: str
    arrival_date: dt.date
    sex: str
    team: Team | None
    household: str


def _check_citizen(
    check: RowChecker, *, teams: dict[str, Team], default_team: Team | None, today: dt.date
) -> _CitizenRow | None:
    number = check.cpr()
    first_name = check.text("first_name", max_length(Citizen, "first_name"))
    last_name = check.text("last_name", max_length(Citizen, "last_name"))
    nationality = ""
    country = check.required("nationality")
    if country:
        nationality = parse_country(country) or ""
        if not nationality:
            check.error(
                "nationality",
                _("Unknown country “%(value)s”; write a Danish or English name or an ISO code.")
                % {"value": country[:40]},
            )
    basis = check.choice("residence_basis", ResidenceBasis, RESIDENCE_BASIS_WORDS)
    arrival = check.date("arrival_date")
    check.up_to_today(
        "arrival_date", arrival, today, future=ARRIVAL_FUTURE, before_birth=ARRIVAL_BEFORE_BIRTH
    )
    sex = check.values.get("sex", "").upper()
    if sex and sex not in Sex.values:
        check.error("sex", _("Write F or M, or leave it empty to take it from the CPR number."))
    team_name = check.values.get("team", "")
    team = default_team
    if team_name:
        team = teams.get(team_name.casefold())
        if team is None:
            check.error("team", _("There is no team named “%(name)s”.") % {"name": team_name[:100]})
    household = check.text("household", max_length(Household, "reference"), required=False)
    if check.failed:
        return None
    return _CitizenRow(
        line=check.line,
        cpr=number,
        first_name=first_name,
        last_name=last_name,
        nationality=nationality,
        residence_basis=basis,
        arrival_date=arrival,
        sex=sex,
        team=team,
        household=household,
    )


def _citizen_changes(row: _CitizenRow, citizen: Citizen) -> dict[str, Any]:
    """The fields the row changes; an empty household or sex cell keeps what is stored."""
    wanted: dict[str, Any] = {
        "first_name": row.first_name,
        "last_name": row.last_name,
        "nationality": row.nationality,
        "residence_basis": row.residence_basis,
        "arrival_date": row.arrival_date,
    }
    if row.sex:
        wanted["sex"] = row.sex
    changes = {name: value for name, value in wanted.items() if getattr(citizen, name) != value}
    current = citizen.household.reference if citizen.household_id else ""
    if row.household and row.household != current:
        changes["household"] = row.household  # a reference until the write resolves it
    return changes


def _log_named(user: User | None, what: str, **citizens: list) -> None:
    """The access-log row for the citizens an import named besides those it
    added (``citizens=`` or ``citizen_ids=``). Those it changed were logged,
    with what the change moved, by the service that changed them; this row
    moves no figure (``only_scores_on=()``): a repeated monthly extract
    leaves every kept figure kept."""
    if any(citizens.values()):
        services.access_log_write(
            user=user, action=AccessAction.IMPORT, what=what, only_scores_on=(), **citizens
        )


@bulk.collector_paused()
def import_citizens(
    data: bytes | str,
    *,
    filename: str = "",
    default_team: Team | None = None,
    user: User | None = None,
    commit: bool = True,
) -> ImportReport:
    """Create or update the citizens of a CSV file, matched by CPR number.

    With ``commit=False`` the file is only checked and the report counts what
    an import would do. A citizen's team is used only when the case is made;
    an existing case keeps its team.
    """
    report = ImportReport(kind=ImportKind.CITIZENS, filename=filename)
    table = read_report_table(data, report, required=CITIZEN_REQUIRED, optional=CITIZEN_OPTIONAL)
    if table is None:
        return report

    teams: dict[str, Team] = {}
    for team in Team.objects.order_by("name"):
        teams.setdefault(team.name.casefold(), team)
    today = timezone.localdate()
    rows: list[_CitizenRow] = []
    first_line: dict[str, int] = {}
    for line, values in table.rows:
        check = RowChecker(line, values, report.errors)
        row = _check_citizen(check, teams=teams, default_team=default_team, today=today)
        if check.number in first_line:
            check.error(
                "cpr",
                _("%(cpr)s is also on line %(line)s.")
                % {"cpr": cpr.masked(check.number), "line": first_line[check.number]},
            )
            continue
        if check.number:
            first_line[check.number] = line
        if row is not None:
            rows.append(row)

    existing = cases_by_cpr(row.cpr for row in rows)
    creates: list[_CitizenRow] = []
    updates: list[tuple[_CitizenRow, Case, dict[str, Any]]] = []
    unchanged: list[Case] = []
    for row in rows:
        case = existing.get(row.cpr)
        if case is None and row.team is None:
            # Only a new case needs a team; an existing one keeps its own.
            report.errors.append(
                RowError(
                    row.line,
                    "team",
                    _("No team: fill in the team column or choose a default team."),
                )
            )
        elif case is None:
            creates.append(row)
        elif changes := _citizen_changes(row, case.citizen):
            updates.append((row, case, changes))
        else:
            unchanged.append(case)
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        return report
    report.created, report.updated, report.unchanged = len(creates), len(updates), len(unchanged)
    if not commit:
        return report

    try:
        with transaction.atomic():
            households = services.households_get_or_create(
                actor=user, references=[row.household for row in rows]
            )
            what = f"citizen import {filename}"
            services.cases_create_bulk(
                actor=user,
                log_action=AccessAction.IMPORT,
                log_what=what,
                entries=[
                    {
                        "team": row.team,
                        "cpr": row.cpr,
                        "first_name": row.first_name,
                        "last_name": row.last_name,
                        "nationality": row.nationality,
                        "residence_basis": row.residence_basis,
                        "arrival_date": row.arrival_date,
                        "sex": row.sex,
                        "household": households.get(row.household),
                    }
                    for row in creates
                ],
            )
            for _row, _case, changes in updates:
                if "household" in changes:
                    changes["household"] = households[changes["household"]]
            services.citizens_update_bulk(
                actor=user,
                changes=[(case, case.version, changes) for _row, case, changes in updates],
            )
            # The new citizens were logged as they were created.
            touched = [case.citizen for case in unchanged]
            touched += [case.citizen for _row, case, _changes in updates]
            _log_named(user, what, citizens=touched)
    except (ValidationError, DatabaseError, services.ConcurrentEditError) as exc:
        return write_failed(report, exc, None)
    report.written = True
    return report


# --- employment status --------------------------------------------------------


@dataclass
class _SpellRow:
    line: int
    cpr: str
    start: dt.date
    end: dt.date | None
    category: str


def _check_spell(check: RowChecker, *, today: dt.date) -> _SpellRow | None:
    number = check.cpr()
    start = check.date("start_date")
    end = check.date("end_date", required=False)
    check.up_to_today(
        "start_date", start, today, future=START_FUTURE, before_birth=START_BEFORE_BIRTH
    )
    if start and end and end < start:
        check.error("end_date", _("The end cannot be before the start."))
    category = check.choice("category", EmploymentCategory)
    if check.failed:
        return None
    return _SpellRow(check.line, number, start, end, category)


def _existing_spells(
    case_ids: list[int], starts: set[dt.date]
) -> tuple[set[tuple], dict[tuple, list[EmploymentSpell]]]:
    """The stored spells of these cases that start within ``starts`` as
    (case, start, end, category) keys, and their ongoing DREAM spells as
    instances, the only ones an extract may end.

    Keys come as plain tuples, from one query: building a model instance for
    each of a large file's stored spells took a third of the import (make
    bench, size L). Only a spell with a row's start can match the row:
    reading every spell of the cases was 45,000 rows for a 10,000-row extract
    of one month. The starts' range, not the starts, keeps a query within
    SQLite's parameters.
    """
    known: set[tuple] = set()
    ongoing: dict[tuple, list[EmploymentSpell]] = {}
    names = [field.attname for field in EmploymentSpell._meta.concrete_fields]
    at = {name: i for i, name in enumerate(names)}
    key = [at["case_id"], at["start_date"], at["end_date"], at["category"]]
    spells = EmploymentSpell.objects.filter(start_date__range=(min(starts), max(starts)))
    for stored in among(spells.values_list(*names), "case_id", case_ids):
        for values in stored:
            case_id, start, end, category = (values[i] for i in key)
            known.add((case_id, start, end, category))
            if end is None and values[at["source"]] == EmploymentSource.DREAM:
                spell = EmploymentSpell.from_db(stored.db, names, values)
                ongoing.setdefault((case_id, start, category), []).append(spell)
    return known, ongoing


@bulk.collector_paused()
def import_employment(
    data: bytes | str,
    *,
    filename: str = "",
    user: User | None = None,
    commit: bool = True,
) -> ImportReport:
    """Add the employment-status spells of a DREAM extract to existing citizens.

    A spell identical to a stored one (same case, start, end and category) is
    left alone. When the file gives an end to a stored ongoing DREAM spell
    with the same start and category, that spell is ended ("updated"), so
    that re-importing a later extract does not leave the spell open twice.
    """
    report = ImportReport(kind=ImportKind.EMPLOYMENT, filename=filename)
    table = read_report_table(data, report, required=EMPLOYMENT_REQUIRED)
    if table is None:
        return report

    today = timezone.localdate()
    checked = [
        _check_spell(RowChecker(line, values, report.errors), today=today)
        for line, values in table.rows
    ]
    cases = case_refs_by_cpr(row.cpr for row in checked if row is not None)
    rows: list[tuple[_SpellRow, CaseRef]] = []
    first_line: dict[tuple, int] = {}
    for row in checked:
        if row is None:
            continue
        # One spell per citizen, start and category: a second line is either a
        # repeat or a contradiction (two ends), and the file is refused.
        key = (row.cpr, row.start, row.category)
        if key in first_line:
            report.errors.append(
                RowError(
                    row.line,
                    "start_date",
                    _("%(cpr)s: a %(category)s spell from %(start)s is also on line %(line)s.")
                    % {
                        "cpr": cpr.masked(row.cpr),
                        "category": row.category,
                        "start": row.start.strftime("%d-%m-%Y"),
                        "line": first_line[key],
                    },
                )
            )
            continue
        first_line[key] = row.line
        case = cases.get(row.cpr)
        if case is None:
            report.errors.append(unknown_citizen(row.line, row.cpr))
            continue
        rows.append((row, case))
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        return report

    known, ongoing = _existing_spells(
        sorted({case.pk for _row, case in rows}), {row.start for row, _case in rows}
    )
    added: list[dict[str, Any]] = []
    ends: list[tuple[_SpellRow, EmploymentSpell]] = []
    for row, case in rows:
        key = (case.pk, row.start, row.end, row.category)
        open_spells = ongoing.get((case.pk, row.start, row.category), [])
        if key in known:
            report.unchanged += 1
        elif row.end is not None and len(open_spells) == 1:
            ends.append((row, open_spells.pop()))
            report.updated += 1
        else:
            added.append(
                {
                    "case_id": case.pk,
                    "start_date": row.start,
                    "end_date": row.end,
                    "category": row.category,
                    "source": EmploymentSource.DREAM.value,
                }
            )
            report.created += 1
        known.add(key)
    if not commit:
        return report

    new = bulk.new_objects(EmploymentSpell, added)
    try:
        with transaction.atomic():
            what = f"employment import {filename}"
            services.facts_create_bulk(
                actor=user,
                facts=new,
                log_action=AccessAction.IMPORT,
                log_what=what,
                citizen_of={case.pk: case.citizen_id for _row, case in rows},
            )
            changes = []
            for row, spell in ends:
                spell.end_date = row.end
                changes.append((spell, spell.version))
            services.facts_update_bulk(actor=user, changes=changes, fields=["end_date"])
            # Citizens with new spells were logged as the spells were added.
            logged = {spell.case_id for spell in new}
            touched = {case.pk: case.citizen_id for _row, case in rows if case.pk not in logged}
            _log_named(user, what, citizen_ids=list(touched.values()))
    except (ValidationError, DatabaseError, services.ConcurrentEditError) as exc:
        return write_failed(report, exc, None)
    report.written = True
    return report
