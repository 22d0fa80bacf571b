"""Benchmark figures from outside the system, from CSV exports: ``manage.py
import_benchmark`` and the upload page share this one code path.

One row is one published figure: ``municipality, period, indicator, value``
(a Jobindsats.dk-style export). The file is read and checked with the citizen
import's helpers: UTF-8 with or without a byte-order mark, comma or semicolon
separated, every bad row reported with its line and column, and nothing
written unless every row is right. A figure is matched on source, indicator,
municipality and period: the same value is left alone, a new one replaces it.

Also here: the year's expected arrivals (kvote), which an administrator sets.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass
from decimal import Decimal

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.csvimport import (
    ImportFileError,
    ImportReport,
    RowChecker,
    RowError,
    decode,
    read_table,
    write_failed,
)
from evaluation.models import ArrivalQuota, BenchmarkIndicator, BenchmarkSource, BenchmarkValue
from integration.models import User

BENCHMARKS = "benchmarks"
REQUIRED = ("municipality", "period", "indicator", "value")

# The indicators each source publishes.
SOURCE_INDICATORS: dict[str, tuple[str, ...]] = {
    BenchmarkSource.JOBINDSATS: (BenchmarkIndicator.REFUGEES_ORDINARY_EMPLOYMENT,),
    BenchmarkSource.WELLBEING: (
        BenchmarkIndicator.WELLBEING_BILINGUAL,
        BenchmarkIndicator.WELLBEING_DANISH,
    ),
    BenchmarkSource.DANISH_ABSENCE: (BenchmarkIndicator.DANISH_ABSENCE,),
}

NATIONAL = "Hele landet"

# 2018, 2018-12, 2018-1, 2018M12 (Jobindsats), 2018m01
_PERIOD = re.compile(r"([0-9]{4})(?:(?:-|[Mm])([0-9]{1,2}))?")
_VALUE = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_FIRST_YEAR, _LAST_YEAR = 1990, 2100


def normalise_period(text: str) -> str:
    """ "2018" or "2018-12"; raises ValueError with a reason."""
    m = _PERIOD.fullmatch(text.strip())
    if not m:
        raise ValueError(
            _("Write the period as a year (2018) or a month (2018-12 or 2018M12), not “%(value)s”.")
            % {"value": text[:40]}
        )
    year, month = int(m.group(1)), m.group(2)
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(
            _("The year must be from %(first)s to %(last)s.")
            % {"first": _FIRST_YEAR, "last": _LAST_YEAR}
        )
    if month is None:
        return f"{year:04d}"
    if not 1 <= int(month) <= 12:
        raise ValueError(_("%(value)s is not a month that exists.") % {"value": text[:40]})
    return f"{year:04d}-{int(month):02d}"


def parse_value(text: str) -> Decimal:
    """A figure with a decimal comma or point ("35,2", "35.2"); raises ValueError."""
    if not _VALUE.fullmatch(text):
        raise ValueError(
            _(
                "Write the value as a number with a decimal comma or point (35,2), "
                "without thousands separators, not “%(value)s”."
            )
            % {"value": text[:40]}
        )
    whole, _sep, decimals = text.replace(",", ".").partition(".")
    field = BenchmarkValue._meta.get_field("value")
    if len(decimals) > field.decimal_places:
        raise ValueError(
            _("At most %(n)s decimals, not “%(value)s”.")
            % {"n": field.decimal_places, "value": text[:40]}
        )
    if len(whole.lstrip("0")) > field.max_digits - field.decimal_places:
        raise ValueError(_("The value %(value)s is too large.") % {"value": text[:40]})
    return Decimal(f"{whole}.{decimals or '0'}")


@dataclass
class _BenchmarkRow:
    line: int
    municipality: str
    period: str
    indicator: str
    value: Decimal

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator, self.municipality, self.period)


def _check_row(check: RowChecker, *, source: str) -> _BenchmarkRow | None:
    max_name = BenchmarkValue._meta.get_field("municipality").max_length
    municipality = " ".join(check.text("municipality", max_name).split())
    period = ""
    raw_period = check.required("period")
    if raw_period:
        try:
            period = normalise_period(raw_period)
        except ValueError as exc:
            check.error("period", str(exc))
    indicator = check.required("indicator").lower()
    allowed = SOURCE_INDICATORS[source]
    if indicator and indicator not in allowed:
        check.error(
            "indicator",
            _("Unknown indicator “%(value)s” for %(source)s; use one of: %(choices)s.")
            % {
                "value": indicator[:40],
                "source": BenchmarkSource(source).label,
                "choices": ", ".join(allowed),
            },
        )
    value = None
    raw_value = check.required("value")
    if raw_value:
        try:
            value = parse_value(raw_value)
        except ValueError as exc:
            check.error("value", str(exc))
    if check.failed:
        return None
    return _BenchmarkRow(check.line, municipality, period, indicator, value)


def _checked_rows(table, report: ImportReport, *, source: str) -> list[_BenchmarkRow]:
    """The file's rows that pass their checks; a row repeating another's
    figure is an error on its period."""
    rows: list[_BenchmarkRow] = []
    first_line: dict[tuple[str, str, str], int] = {}
    for line, values in table.rows:
        check = RowChecker(line, values, report.errors)
        row = _check_row(check, source=source)
        if row is None:
            continue
        if row.key in first_line:
            check.error(
                "period",
                _("%(municipality)s, %(period)s, %(indicator)s is also on line %(line)s.")
                % {
                    "municipality": row.municipality,
                    "period": row.period,
                    "indicator": row.indicator,
                    "line": first_line[row.key],
                },
            )
            continue
        first_line[row.key] = line
        rows.append(row)
    return rows


def _changes(
    rows: list[_BenchmarkRow],
    report: ImportReport,
    *,
    source: str,
    downloaded_on: dt.date,
    user: User | None,
) -> tuple[list[BenchmarkValue], list[BenchmarkValue]]:
    """The figures to create and to update; a stored figure with the same
    value is counted unchanged."""
    existing = {
        (b.indicator, b.municipality, b.period): b
        for b in BenchmarkValue.objects.filter(
            source=source, indicator__in={row.indicator for row in rows}
        )
    }
    creates: list[BenchmarkValue] = []
    updates: list[BenchmarkValue] = []
    for row in rows:
        stored = existing.get(row.key)
        if stored is None:
            creates.append(
                BenchmarkValue(
                    source=source,
                    indicator=row.indicator,
                    municipality=row.municipality,
                    period=row.period,
                    value=row.value,
                    downloaded_on=downloaded_on,
                    imported_by=user,
                )
            )
        elif stored.value != row.value:
            stored.value = row.value
            stored.downloaded_on = downloaded_on
            stored.imported_by = user
            updates.append(stored)
        else:
            report.unchanged += 1
    report.created, report.updated = len(creates), len(updates)
    return creates, updates


def _write(
    report: ImportReport, creates: list[BenchmarkValue], updates: list[BenchmarkValue]
) -> ImportReport:
    try:
        with transaction.atomic():
            for value in [*creates, *updates]:
                # Uniqueness was checked above against the stored rows; the
                # database constraint catches a race.
                value.full_clean(validate_unique=False, validate_constraints=False)
            BenchmarkValue.objects.bulk_create(creates)
            BenchmarkValue.objects.bulk_update(
                updates, fields=["value", "downloaded_on", "imported_by"]
            )
    except (ValidationError, DatabaseError) as exc:
        return write_failed(report, exc, None)
    report.written = True
    return report


def import_benchmarks(
    data: bytes | str,
    *,
    source: str,
    downloaded_on: dt.date,
    filename: str = "",
    user: User | None = None,
    commit: bool = True,
) -> ImportReport:
    """Create or update the benchmark figures of a CSV file from ``source``.

    With ``commit=False`` the file is only checked and the report counts what
    an import would do. A stored figure with the same value is left as it is,
    download date included; a changed value is replaced with the file's, and
    takes this file's download date.
    """
    if source not in SOURCE_INDICATORS:
        raise ValueError(f"Unknown benchmark source: {source!r}")
    report = ImportReport(kind=BENCHMARKS, filename=filename)
    if downloaded_on > timezone.localdate():
        report.errors.append(
            RowError(None, "downloaded_on", _("The download date cannot be in the future."))
        )
        return report
    try:
        text = decode(data)
    except ImportFileError as exc:
        report.errors.append(exc.error)
        return report
    table = read_table(text, required=REQUIRED, optional=(), errors=report.errors)
    if table is None:
        return report
    report.rows = len(table.rows)
    rows = _checked_rows(table, report, source=source)
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        return report
    creates, updates = _changes(rows, report, source=source, downloaded_on=downloaded_on, user=user)
    if not commit:
        return report
    return _write(report, creates, updates)


# --- the year's expected arrivals ---------------------------------------------------


def quota_set(*, year: int, expected: int) -> ArrivalQuota:
    """Store the number of arrivals expected in ``year``, adding the year if new."""
    with transaction.atomic():
        quota = ArrivalQuota.objects.select_for_update().filter(year=year).first()
        if quota is None:
            quota = ArrivalQuota(year=year, expected=expected)
            quota.full_clean()
            quota.save()
        elif quota.expected != expected:
            quota.expected = expected
            quota.full_clean(validate_unique=False)
            quota.save(update_fields=["expected"])
    return quota
