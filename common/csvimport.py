"""Reading and checking CSV files for every import of the product.

Every import (citizens, employment status, progression measurements,
benchmarks) reads its file here: UTF-8 with or without a byte-order mark,
comma or semicolon separated, a header row, one error per bad cell with its
line and column, CPR numbers masked in every message, and a hard limit on
rows. The import itself checks every row before it writes anything.
"""

from __future__ import annotations

import csv
import datetime as dt
import functools
import io
import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TypeVar

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError
from django.db import connection, models
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common import cpr
from common.csv_export import SafeWriter
from common.text import fold

# Queries with ``__in`` stay below every database's limit on parameters.
CHUNK = 500
# Where the database sets no limit (PostgreSQL), a 10,000-row file asks in one
# query instead of twenty: each round trip was about 5 ms (make bench, size L).
UNLIMITED_CHUNK = 10_000
T = TypeVar("T")

_CPR_LIKE = re.compile(r"(?<![0-9])([0-9]{6})-?[0-9]{4}(?![0-9])")


def chunks(values: Sequence[T]) -> Iterator[Sequence[T]]:
    """The values in slices, one ``__in`` query each: of at most CHUNK, or
    UNLIMITED_CHUNK where the database has no limit on parameters."""
    size = CHUNK if connection.features.max_query_params else UNLIMITED_CHUNK
    for i in range(0, len(values), size):
        yield values[i : i + size]


# A page lists this many errors of a file; the full list is a download.
ERRORS_SHOWN = 1000


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

    @property
    def shown_errors(self) -> list[RowError]:
        """The errors a page lists; the rest are counted and downloaded."""
        return self.errors[:ERRORS_SHOWN]

    @property
    def more_errors(self) -> int:
        return max(0, len(self.errors) - ERRORS_SHOWN)

    def errors_csv(self) -> str:
        """Every error as CSV (line;column;reason), for the download."""
        out = io.StringIO()
        writer = SafeWriter(out)
        writer.writerow(["line", "column", "reason"])
        writer.writerows([error.line or "", error.column, error.reason] for error in self.errors)
        return out.getvalue()

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


# A file's dates repeat (a DREAM extract has a few hundred in 20,000 cells):
# cached, checking a 10,000-row extract took 32 ms instead of 50. A refused
# text raises, and is not cached.
@functools.lru_cache(maxsize=4096)
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


def max_length(model: type[models.Model], name: str) -> int:
    return model._meta.get_field(name).max_length


@functools.cache
def _values(choices: type[models.TextChoices]) -> frozenset[str]:
    # TextChoices.values builds its list anew on every call: 20 µs a row.
    return frozenset(choices.values)


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

    def parsed(self, column: str, parse: Callable[[str], T], *, required: bool = True) -> T | None:
        """The column's value as ``parse`` reads it; None when the cell is empty
        or ``parse`` refuses it with a ValueError, whose message is the error."""
        value = self.required(column) if required else self.values.get(column, "")
        if not value:
            return None
        try:
            return parse(value)
        except ValueError as exc:
            self.error(column, str(exc))
            return None

    def date(self, column: str, *, required: bool = True) -> dt.date | None:
        return self.parsed(column, parse_date, required=required)

    def up_to_today(
        self,
        column: str,
        day: dt.date | None,
        today: dt.date,
        *,
        future: str,
        before_birth: str | None = None,
    ) -> None:
        """Refuse the column's ``day`` after ``today`` with ``future`` and, given
        ``before_birth`` and a valid CPR number, before the person was born
        (``before_birth`` is formatted with the masked number as ``cpr``).

        The messages may be lazy (``gettext_lazy``, made once for a whole
        file): translating them on every row cost 6 µs a row."""
        if day and day > today:
            self.error(column, str(future))
        # "is not None": the truth of a lazy message translates it, on every row.
        if before_birth is not None and self.number and day and day < cpr.birth_date(self.number):
            self.error(column, str(before_birth) % {"cpr": cpr.masked(self.number)})

    def choice(
        self,
        column: str,
        choices: type[models.TextChoices],
        words: Mapping[str, str] | None = None,
    ) -> str:
        """The column's value among ``choices``; ``words`` maps other spellings
        (folded: case and accents do not matter) to a value, such as the Danish
        and English words a register export writes."""
        value = self.required(column)
        if not value:
            return ""
        if value.lower() in _values(choices):
            return value.lower()
        found = {fold(word): v for word, v in (words or {}).items()}.get(fold(value))
        if found is None:
            self.error(
                column,
                _("Unknown value “%(value)s”; use one of: %(choices)s.")
                % {"value": value[:40], "choices": ", ".join(choices.values)},
            )
            return ""
        return found


def read_report_table(
    data: bytes | str,
    report: ImportReport,
    *,
    required: Iterable[str],
    optional: Iterable[str] = (),
) -> _Table | None:
    """The file's rows, counted in the report; None, with the reason in the
    report's errors, if the file is not UTF-8 or not a usable table."""
    try:
        text = decode(data)
    except ImportFileError as exc:
        report.errors.append(exc.error)
        return None
    table = read_table(text, required=required, optional=optional, errors=report.errors)
    if table is not None:
        report.rows = len(table.rows)
    return table


def unknown_citizen(line: int, number: str) -> RowError:
    """The error for a row whose CPR number no citizen has."""
    return RowError(
        line,
        "cpr",
        _("No citizen has the CPR number %(cpr)s; import the citizen first.")
        % {"cpr": cpr.masked(number)},
    )


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


# --- for management commands ----------------------------------------------------


def read_file(path: str) -> bytes:
    """The bytes of an import file named on the command line."""
    try:
        return Path(path).read_bytes()
    except OSError as exc:
        raise CommandError(f"Cannot read {path}: {exc.strerror or exc}") from exc


def finish_command(command: BaseCommand, report: ImportReport, *, dry_run: bool) -> None:
    """Print an import's report the way every import command does; fail on any error."""
    for error in report.errors:
        command.stderr.write(str(error))
    if not report.ok:
        raise CommandError(
            f"{len(report.errors)} error(s) in {report.filename}; nothing was imported."
        )
    prefix = "Checked only, nothing written: " if dry_run else ""
    command.stdout.write(prefix + report.summary())


class ImportCommand(BaseCommand):
    """``manage.py <import> FILE [--dry-run] …``: one CSV file, all or nothing.

    A subclass adds its own options in ``add_import_arguments`` and runs its
    import in ``run_import``; reading the file, the dry run and the printed
    report are the same for every import.
    """

    def add_arguments(self, parser) -> None:
        parser.add_argument("file", help="CSV file, UTF-8, comma or semicolon separated")
        self.add_import_arguments(parser)
        parser.add_argument(
            "--dry-run", action="store_true", help="check the file and report, write nothing"
        )

    def add_import_arguments(self, parser) -> None:
        """Options beyond FILE and --dry-run."""

    # An import that needs no options: called as
    # ``import_function(data, filename=..., user=None, commit=...)``.
    import_function: Callable[..., ImportReport] | None = None

    def run_import(self, data: bytes, *, filename: str, commit: bool, options) -> ImportReport:
        if self.import_function is None:
            raise NotImplementedError
        return self.import_function(data, filename=filename, user=None, commit=commit)

    def handle(self, *args, **options) -> None:
        path = options["file"]
        report = self.run_import(
            read_file(path),
            filename=Path(path).name,
            commit=not options["dry_run"],
            options=options,
        )
        finish_command(self, report, dry_run=options["dry_run"])
