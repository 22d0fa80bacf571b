"""Citizen and employment-status imports from CSV files.

One code path for ``manage.py import_citizens``/``import_employment`` and the
upload page. Every row is checked before anything is written, with no query
per row, and the writes run in one transaction: one bad row and nothing
changes. CPR numbers appear in messages only masked.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from integration import cpr, services
from integration.countries import parse_country
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

# Queries with ``__in`` stay below every database's limit on parameters.
CHUNK = 500
_CPR_LIKE = re.compile(r"(?<![0-9])([0-9]{6})-?[0-9]{4}(?![0-9])")


class ImportKind(models.TextChoices):
    CITIZENS = "citizens", gettext_lazy("Citizens")
    EMPLOYMENT = "employment", gettext_lazy("Employment status (DREAM)")


CITIZEN_COLUMNS = ("cpr", "first_name", "last_name", "nationality", "residence_basis")
CITIZEN_REQUIRED = (*CITIZEN_COLUMNS, "arrival_date")
CITIZEN_OPTIONAL = ("sex", "team", "household")
EMPLOYMENT_REQUIRED = ("cpr", "start_date", "end_date", "category")


@dataclass(frozen=True)
class RowError:
    """A reason a file cannot be imported; ``line`` None means the whole file."""

    line: int | None
    column: str
    reason: str

    def __post_init__(self) -> None:
        # Whatever a cell held, a CPR number never reaches a message unmasked.
        object.__setattr__(self, "reason", _CPR_LIKE.sub(r"\1-xxxx", self.reason))

    def __str__(self) -> str:
        where = _("line %(line)s") % {"line": self.line} if self.line else _("file")
        if self.column:
            where = _("%(where)s, column %(column)s") % {"where": where, "column": self.column}
        return f"{where}: {self.reason}"


@dataclass
class ImportReport:
    """What an import did, or would do when it was only checked."""

    kind: str
    filename: str = ""
    rows: int = 0
    created: int = 0
    updated: int = 0
    unchanged: int = 0
    errors: list[RowError] = field(default_factory=list)
    written: bool = False

    @property
    def ok(self) -> bool:
        return not self.errors

    def summary(self) -> str:
        rows = ngettext("%(n)s row", "%(n)s rows", self.rows) % {"n": self.rows}
        return _("%(rows)s: %(created)s created, %(updated)s updated, %(unchanged)s unchanged.") % {
            "rows": rows,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
        }


# --- reading the file ---------------------------------------------------------

# Rows per file: every row is held in memory until the whole file is checked.
MAX_ROWS = 500_000
# A cell a spreadsheet would run as a formula when the data is exported again.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
# Control characters (NUL, line breaks inside a cell ...), a byte-order mark
# inside the text, and Unicode line and paragraph separators.
_UNPRINTABLE = re.compile("[\x00-\x1f\x7f\ufeff\u2028\u2029]")


class ImportFileError(Exception):
    """The file as a whole cannot be read."""

    def __init__(self, error: RowError):
        super().__init__(error.reason)
        self.error = error


def _delimiter(header_line: str) -> str:
    return ";" if header_line.count(";") > header_line.count(",") else ","


def _locate(text: str, position: int) -> tuple[int, str]:
    """The line and the header's column name at a character of ``text``."""
    lines = text.splitlines(keepends=True)
    line = text.count("\n", 0, position) + 1
    header = lines[0] if lines else ""
    delimiter = _delimiter(header)
    names = next(csv.reader([header], delimiter=delimiter), [])
    offset = sum(len(x) for x in lines[: line - 1])
    before = text[offset:position]
    index = len(next(csv.reader([before], delimiter=delimiter), None) or [""]) - 1
    column = _normalise(names[index]) if 0 <= index < len(names) and line > 1 else ""
    return line, column


def decode(data: bytes | str) -> str:
    """The file's text without a byte-order mark; raises ImportFileError if not UTF-8."""
    if isinstance(data, str):
        return data.removeprefix("\ufeff")
    reason = _("The file is not UTF-8 text. Save it as CSV UTF-8 and try again.")
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        readable = data.decode("utf-8-sig", errors="replace")
        position = len(data[: exc.start].decode("utf-8-sig", errors="replace"))
        line, column = _locate(readable, position)
        raise ImportFileError(RowError(line, column, reason)) from exc
    if "\x00" in text:  # UTF-16 without a byte-order mark decodes, with a NUL per letter
        line, column = _locate(text, text.index("\x00"))
        raise ImportFileError(RowError(line, column, reason))
    return text


@dataclass
class _Table:
    rows: list[tuple[int, dict[str, str]]]


def _normalise(name: str) -> str:
    return name.strip().lower()


def _unsafe(raw: str) -> str:
    """Why a cell cannot be imported as it is, or ""."""
    if raw.lstrip(" ").startswith(FORMULA_STARTS):
        start = raw.lstrip(" ")[0]
        shown = {"\t": _("a tab"), "\r": _("a carriage return")}.get(start, f"“{start}”")
        return _(
            "A value cannot begin with %(start)s: a spreadsheet would take it for a formula."
        ) % {"start": shown}
    if m := _UNPRINTABLE.search(raw):
        return _("The value contains an invisible control character (U+%(code)04X); remove it.") % {
            "code": ord(m.group())
        }
    return ""


def read_table(
    text: str, *, required: Iterable[str], optional: Iterable[str], errors: list[RowError]
) -> _Table | None:
    """The data rows as (line, {column: stripped value}); None if the file is unusable.

    The delimiter is whichever of ; and , the header line has more of. A
    column the import does not know, a value under a column without a name,
    a cell that begins like a spreadsheet formula or holds a control
    character, and more than MAX_ROWS rows are refused.
    """
    if not text.strip():
        errors.append(RowError(None, "", _("The file is empty.")))
        return None
    header_line = re.split(r"\r\n|\r|\n", text, maxsplit=1)[0]
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(header_line))
    # The csv module refuses fields over 128 KiB (a process-wide setting); let
    # any field through, so that a long one is reported under its column.
    field_limit = csv.field_size_limit(max(csv.field_size_limit(), len(text)))
    try:
        return _read_rows(reader, required=required, optional=optional, errors=errors)
    finally:
        csv.field_size_limit(field_limit)


def _read_rows(reader, *, required, optional, errors: list[RowError]) -> _Table | None:
    try:
        header = next(reader)
    except csv.Error as exc:
        errors.append(RowError(1, "", _("The header is not valid CSV: %(e)s") % {"e": exc}))
        return None
    names = [_normalise(h) for h in header]
    known = {*required, *optional}
    for name in sorted({n for n in names if n in known and names.count(n) > 1}):
        errors.append(RowError(1, name, _("The column appears more than once.")))
    for raw, name in zip(header, names, strict=True):
        if name and name not in known:
            errors.append(
                RowError(
                    1,
                    raw.strip()[:40],
                    _("Unknown column; the file may have only the columns: %(columns)s.")
                    % {"columns": ", ".join([*required, *optional])},
                )
            )
    missing = [c for c in required if c not in names]
    if missing:
        errors.append(
            RowError(
                1,
                ", ".join(missing),
                ngettext(
                    "A required column is missing. The file needs the columns: %(columns)s.",
                    "Required columns are missing. The file needs the columns: %(columns)s.",
                    len(missing),
                )
                % {"columns": ", ".join(required)},
            )
        )
    if errors:
        return None
    width = len(names)
    wanted = {name: i for i, name in enumerate(names) if name in known}
    unnamed = [i for i, name in enumerate(names) if not name]
    table = _Table(rows=[])
    previous_end = reader.line_num
    count = 0
    try:
        for record in reader:
            line = previous_end + 1
            previous_end = reader.line_num
            if not any(value.strip() for value in record):
                continue
            count += 1
            if count > MAX_ROWS:
                errors.append(
                    RowError(
                        line,
                        "",
                        _("The file has more than %(max)s rows; split it into smaller files.")
                        % {"max": f"{MAX_ROWS:,}".replace(",", ".")},
                    )
                )
                return None
            if len(record) < width or any(v.strip() for v in record[width:]):
                errors.append(
                    RowError(
                        line,
                        "",
                        _("The row has %(n)s fields; the header has %(m)s.")
                        % {"n": len(record), "m": width},
                    )
                )
                continue
            failed = False
            for i in unnamed:
                if record[i].strip():
                    failed = True
                    errors.append(
                        RowError(line, str(i + 1), _("A value under a column without a name."))
                    )
            for name, i in wanted.items():
                if reason := _unsafe(record[i]):
                    failed = True
                    errors.append(RowError(line, name, reason))
            if not failed:
                table.rows.append((line, {name: record[i].strip() for name, i in wanted.items()}))
    except csv.Error as exc:
        errors.append(
            RowError(reader.line_num, "", _("The file is not valid CSV: %(e)s") % {"e": exc})
        )
    if not table.rows and not errors:
        errors.append(RowError(None, "", _("The file has a header but no rows.")))
        return None
    return table


# --- checking values ------------------------------------------------------------


_ISO_DATE = re.compile(r"([0-9]{4})-([0-9]{2})-([0-9]{2})")
_DANISH_DATE = re.compile(r"([0-9]{2})-([0-9]{2})-([0-9]{4})")


def parse_date(text: str) -> dt.date:
    """A date written YYYY-MM-DD or DD-MM-YYYY; raises ValueError with a reason."""
    if m := _ISO_DATE.fullmatch(text):
        year, month, day = m.groups()
    elif m := _DANISH_DATE.fullmatch(text):
        day, month, year = m.groups()
    else:
        raise ValueError(
            _("Write the date as YYYY-MM-DD or DD-MM-YYYY, not “%(value)s”.") % {"value": text[:40]}
        )
    try:
        return dt.date(int(year), int(month), int(day))
    except ValueError:
        raise ValueError(_("%(value)s is not a date that exists.") % {"value": text}) from None


def _max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


class RowChecker:
    """Collects the errors of one row, each under its column."""

    def __init__(self, line: int, values: dict[str, str], errors: list[RowError]):
        self.line, self.values, self.errors = line, values, errors
        self.failed = False
        self.number = ""  # the row's valid CPR number, once checked

    def error(self, column: str, reason: str) -> None:
        self.failed = True
        self.errors.append(RowError(self.line, column, reason))

    def required(self, column: str) -> str:
        value = self.values.get(column, "")
        if not value:
            self.error(column, _("This value is required."))
        return value

    def text(self, column: str, max_length: int, *, required: bool = True) -> str:
        value = self.required(column) if required else self.values.get(column, "")
        if len(value) > max_length:
            self.error(
                column,
                _("Too long: %(n)s characters, at most %(max)s.")
                % {"n": len(value), "max": max_length},
            )
        return value

    def cpr(self) -> str:
        raw = self.required("cpr")
        if not raw:
            return ""
        try:
            self.number = cpr.validate(raw)
        except ValidationError as exc:
            self.error("cpr", f"{cpr.masked(raw)}: {' '.join(exc.messages)}")
        return self.number

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        value = self.required(column) if required else self.values.get(column, "")
        if not value:
            return None
        try:
            return parse_date(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return None

    def choice(self, column: str, choices: type[models.TextChoices]) -> str:
        value = self.required(column)
        if value and value.lower() not in choices.values:
            self.error(
                column,
                _("Unknown value “%(value)s”; use one of: %(choices)s.")
                % {"value": value[:40], "choices": ", ".join(choices.values)},
            )
            return ""
        return value.lower()


def cases_by_cpr(numbers: Iterable[str]) -> dict[str, Case]:
    numbers = sorted(set(numbers))
    cases: dict[str, Case] = {}
    for i in range(0, len(numbers), CHUNK):
        qs = Case.objects.filter(citizen__cpr__in=numbers[i : i + CHUNK]).select_related(
            "citizen", "citizen__household"
        )
        cases.update((case.citizen.cpr, case) for case in qs)
    return cases


@dataclass(frozen=True)
class CaseRef:
    """What the employment and measurement imports need of a stored case."""

    pk: int
    citizen_id: int
    arrival_date: dt.date


def case_refs_by_cpr(numbers: Iterable[str]) -> dict[str, CaseRef]:
    """The cases of these CPR numbers as plain values: for 10,000 numbers a
    tenth of the time that building Case and Citizen instances takes."""
    numbers = sorted(set(numbers))
    refs: dict[str, CaseRef] = {}
    for i in range(0, len(numbers), CHUNK):
        rows = Case.objects.filter(citizen__cpr__in=numbers[i : i + CHUNK]).values_list(
            "citizen__cpr", "pk", "citizen_id", "citizen__arrival_date"
        )
        refs.update((number, CaseRef(*values)) for number, *values in rows)
    return refs


def write_failed(report: ImportReport, exc: Exception, line: int | None) -> ImportReport:
    # Only a change made by someone else since the check, or a bug, gets here.
    if isinstance(exc, ValidationError):
        detail = " ".join(exc.messages)
    else:  # a database error's text may quote the row's values
        detail = _("The database refused a row (perhaps someone saved the same data meanwhile).")
    reason = _("Nothing was written: %(reason)s") % {"reason": detail}
    report.errors.append(RowError(line, "", reason))
    report.created = report.updated = report.unchanged = 0
    return report


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
    first_name = check.text("first_name", _max_length(Citizen, "first_name"))
    last_name = check.text("last_name", _max_length(Citizen, "last_name"))
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
    basis = check.choice("residence_basis", ResidenceBasis)
    arrival = check.date("arrival_date")
    if arrival and arrival > today:
        check.error("arrival_date", _("The arrival date cannot be in the future."))
    if number and arrival and arrival < cpr.birth_date(number):
        check.error(
            "arrival_date",
            _("Arrival cannot be before birth (%(cpr)s).") % {"cpr": cpr.masked(number)},
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
    household = check.text("household", _max_length(Household, "reference"), required=False)
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
    try:
        text = decode(data)
    except ImportFileError as exc:
        report.errors.append(exc.error)
        return report
    table = read_table(
        text, required=CITIZEN_REQUIRED, optional=CITIZEN_OPTIONAL, errors=report.errors
    )
    if table is None:
        return report
    report.rows = len(table.rows)

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
            if touched:
                services.access_log_write(
                    user=user, action=AccessAction.IMPORT, citizens=touched, what=what
                )
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
    if start and start > today:
        check.error("start_date", _("The start cannot be in the future."))
    if number and start and start < cpr.birth_date(number):
        check.error(
            "start_date",
            _("The start cannot be before birth (%(cpr)s).") % {"cpr": cpr.masked(number)},
        )
    if start and end and end < start:
        check.error("end_date", _("The end cannot be before the start."))
    category = check.choice("category", EmploymentCategory)
    if check.failed:
        return None
    return _SpellRow(check.line, number, start, end, category)


def _existing_spells(case_ids: list[int]) -> tuple[set[tuple], dict[tuple, list[EmploymentSpell]]]:
    """The stored spells of these cases as (case, start, end, category) keys, and
    their ongoing DREAM spells as instances, the only ones an extract may end.

    Keys come as plain tuples: building a model instance for each of a large
    file's stored spells took a third of the import (make bench, size L).
    """
    known: set[tuple] = set()
    ongoing: dict[tuple, list[EmploymentSpell]] = {}
    for i in range(0, len(case_ids), CHUNK):
        chunk = EmploymentSpell.objects.filter(case_id__in=case_ids[i : i + CHUNK])
        known.update(chunk.values_list("case_id", "start_date", "end_date", "category"))
        for spell in chunk.filter(end_date__isnull=True, source=EmploymentSource.DREAM):
            ongoing.setdefault((spell.case_id, spell.start_date, spell.category), []).append(spell)
    return known, ongoing


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
    try:
        text = decode(data)
    except ImportFileError as exc:
        report.errors.append(exc.error)
        return report
    table = read_table(text, required=EMPLOYMENT_REQUIRED, optional=(), errors=report.errors)
    if table is None:
        return report
    report.rows = len(table.rows)

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
            report.errors.append(
                RowError(
                    row.line,
                    "cpr",
                    _("No citizen has the CPR number %(cpr)s; import the citizen first.")
                    % {"cpr": cpr.masked(row.cpr)},
                )
            )
            continue
        rows.append((row, case))
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        return report

    known, ongoing = _existing_spells(sorted({case.pk for _row, case in rows}))
    new: list[EmploymentSpell] = []
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
            new.append(
                EmploymentSpell(
                    case_id=case.pk,
                    start_date=row.start,
                    end_date=row.end,
                    category=row.category,
                    source=EmploymentSource.DREAM,
                )
            )
            report.created += 1
        known.add(key)
    if not commit:
        return report

    try:
        with transaction.atomic():
            what = f"employment import {filename}"
            services.facts_create_bulk(
                actor=user, facts=new, log_action=AccessAction.IMPORT, log_what=what
            )
            changes = []
            for row, spell in ends:
                spell.end_date = row.end
                changes.append((spell, spell.version))
            services.facts_update_bulk(actor=user, changes=changes, fields=["end_date"])
            # Citizens with new spells were logged as the spells were added.
            logged = {spell.case_id for spell in new}
            touched = {case.pk: case.citizen_id for _row, case in rows if case.pk not in logged}
            if touched:
                services.access_log_write(
                    user=user, action=AccessAction.IMPORT, citizen_ids=touched.values(), what=what
                )
    except (ValidationError, DatabaseError, services.ConcurrentEditError) as exc:
        return write_failed(report, exc, None)
    report.written = True
    return report


def run_import(
    kind: str,
    data: bytes | str,
    *,
    filename: str = "",
    user: User | None = None,
    default_team: Team | None = None,
    commit: bool = True,
) -> ImportReport:
    """The import of ``kind`` (an ImportKind value), for callers that offer both."""
    if kind == ImportKind.CITIZENS:
        return import_citizens(
            data, filename=filename, default_team=default_team, user=user, commit=commit
        )
    if kind == ImportKind.EMPLOYMENT:
        return import_employment(data, filename=filename, user=user, commit=commit)
    raise ValueError(f"Unknown import kind: {kind!r}")
