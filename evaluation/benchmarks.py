"""Benchmark figures from outside the system, from CSV exports: ``manage.py
import_benchmark`` and the upload page share this one code path.

One row is one published figure: ``municipality, period, indicator, value``
(a Jobindsats.dk-style export), optionally with ``role`` and ``period_kind``.
Every figure is stored with its role (our own municipality, another one, or
“Hele landet”), taken from the municipality's name, and its period kind
(year, quarter or month), taken from the period's form; a ``role`` or
``period_kind`` column, when the file has one, must agree with them.

The file is read and checked with the citizen import's helpers: UTF-8 with
or without a byte-order mark, comma or semicolon separated, every bad row
reported with its line and column, and nothing written unless every row is
right. A figure is matched on source, indicator,
municipality and period: the same value is left alone, a new one replaces it.

Also here: the year's expected arrivals (kvote), which an administrator sets.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import asdict, dataclass, field
from decimal import Decimal

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import DatabaseError, models, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from common.csvimport import ImportReport, RowChecker, RowError, read_report_table, write_failed
from evaluation.models import (
    ArrivalQuota,
    BenchmarkIndicator,
    BenchmarkPeriodKind,
    BenchmarkRole,
    BenchmarkSource,
    BenchmarkValue,
)
from evaluation.models.benchmarks import NATIONAL_NAME
from integration.models import User

BENCHMARKS = "benchmarks"
REQUIRED = ("municipality", "period", "indicator", "value")
OPTIONAL = ("role", "period_kind")

# The indicators each source publishes.
SOURCE_INDICATORS: dict[str, tuple[str, ...]] = {
    BenchmarkSource.JOBINDSATS: (BenchmarkIndicator.REFUGEES_ORDINARY_EMPLOYMENT,),
    BenchmarkSource.WELLBEING: (
        BenchmarkIndicator.WELLBEING_BILINGUAL,
        BenchmarkIndicator.WELLBEING_DANISH,
    ),
    BenchmarkSource.DANISH_ABSENCE: (BenchmarkIndicator.DANISH_ABSENCE,),
}

NATIONAL = NATIONAL_NAME

# 2018, 2018-12, 2018-1, 2018M12 (Jobindsats), 2018m01
_PERIOD = re.compile(r"([0-9]{4})(?:(?:-|[Mm])([0-9]{1,2}))?")
# 2018Q4, 2018K4 (Jobindsats in Danish), 2018-Q4, 2018-k4
_QUARTER = re.compile(r"([0-9]{4})-?[QqKk]([0-9])")
_VALUE = re.compile(r"[0-9]+(?:[.,][0-9]+)?")
_FIRST_YEAR, _LAST_YEAR = 1990, 2100


def _check_year(year: int) -> None:
    if not _FIRST_YEAR <= year <= _LAST_YEAR:
        raise ValueError(
            _("The year must be from %(first)s to %(last)s.")
            % {"first": _FIRST_YEAR, "last": _LAST_YEAR}
        )


def normalise_period(text: str) -> str:
    """ "2018", "2018-Q4" or "2018-12"; raises ValueError with a reason."""
    quarter = _QUARTER.fullmatch(text.strip())
    if quarter:
        _check_year(int(quarter.group(1)))
        if not 1 <= int(quarter.group(2)) <= 4:
            raise ValueError(_("%(value)s is not a quarter that exists.") % {"value": text[:40]})
        return f"{int(quarter.group(1)):04d}-Q{quarter.group(2)}"
    m = _PERIOD.fullmatch(text.strip())
    if not m:
        raise ValueError(
            _(
                "Write the period as a year (2018), a quarter (2018Q4 or 2018K4) "
                "or a month (2018-12 or 2018M12), not “%(value)s”."
            )
            % {"value": text[:40]}
        )
    year, month = int(m.group(1)), m.group(2)
    _check_year(year)
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
    role: str
    period_kind: str

    @property
    def key(self) -> tuple[str, str, str]:
        return (self.indicator, self.municipality, self.period)

    def value_fields(self) -> dict:
        """The row as the ``BenchmarkValue`` fields it fills (all but its line)."""
        return {name: value for name, value in asdict(self).items() if name != "line"}


@dataclass
class BenchmarkImportReport(ImportReport):
    """An import's report, with the file's series: one per municipality,
    indicator and period kind, with the role the figures are stored with."""

    series: list[dict] = field(default_factory=list)


def _series(rows: list[_BenchmarkRow]) -> list[dict]:
    """``{"municipality", "role", "indicator", "period_kind", "first", "last", "n"}``,
    our own first and the national figure last, as the papers order them."""
    by_key: dict[tuple[str, str, str], list[_BenchmarkRow]] = {}
    for row in rows:
        by_key.setdefault((row.municipality, row.indicator, row.period_kind), []).append(row)
    order = {role: i for i, role in enumerate(BenchmarkRole.values)}
    out = []
    for (municipality, indicator, kind), members in by_key.items():
        periods = sorted(r.period for r in members)
        out.append(
            {
                "municipality": municipality,
                "role": members[0].role,
                "role_label": BenchmarkRole(members[0].role).label,
                "indicator": indicator,
                "period_kind": kind,
                "period_kind_label": BenchmarkPeriodKind(kind).label,
                "first": periods[0],
                "last": periods[-1],
                "n": len(periods),
            }
        )
    kinds = {kind: i for i, kind in enumerate(BenchmarkPeriodKind.values)}
    return sorted(
        out,
        key=lambda s: (
            order[s["role"]],
            s["municipality"].casefold(),
            s["indicator"],
            kinds[s["period_kind"]],
        ),
    )


def _check_row(check: RowChecker, *, source: str) -> _BenchmarkRow | None:
    max_name = BenchmarkValue._meta.get_field("municipality").max_length
    municipality = " ".join(check.text("municipality", max_name).split())
    period = check.parsed("period", normalise_period) or ""
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
    value = check.parsed("value", parse_value)
    role = _checked_role(check, municipality)
    period_kind = _checked_period_kind(check, period)
    if check.failed:
        return None
    return _BenchmarkRow(check.line, municipality, period, indicator, value, role, period_kind)


def _agreeing(
    check: RowChecker,
    column: str,
    choices: type[models.TextChoices],
    derived: str,
    *,
    unknown: str,
    disagrees: str,
    facts: dict,
) -> str:
    """``derived``, what the row's other columns give; a ``column`` the file
    fills in must be one of ``choices`` (else ``unknown``) and say the same
    (else ``disagrees``, formatted with ``facts`` and what it states)."""
    stated = check.values.get(column, "").lower()
    if stated and stated not in choices.values:
        check.error(column, unknown % {"value": stated[:40], "choices": ", ".join(choices.values)})
    elif stated and stated != derived:
        check.error(column, disagrees % {**facts, "stated": stated})
    return derived


def _checked_role(check: RowChecker, municipality: str) -> str:
    """The role the municipality's name gives; a ``role`` column must agree."""
    if not municipality:
        return ""
    role = BenchmarkRole.of(municipality).value
    return _agreeing(
        check,
        "role",
        BenchmarkRole,
        role,
        unknown=_("Unknown role “%(value)s”; use one of: %(choices)s."),
        disagrees=_(
            "%(municipality)s is %(role)s, not %(stated)s: the national figure is "
            "written “%(national)s” and our own is “%(own)s”."
        ),
        facts={
            "municipality": municipality,
            "role": role,
            "national": NATIONAL_NAME,
            "own": settings.MUNICIPALITY_NAME,
        },
    )


def _checked_period_kind(check: RowChecker, period: str) -> str:
    """The kind the period's form gives; a ``period_kind`` column must agree."""
    if not period:
        return ""
    kind = BenchmarkPeriodKind.of(period).value
    return _agreeing(
        check,
        "period_kind",
        BenchmarkPeriodKind,
        kind,
        unknown=_("Unknown period kind “%(value)s”; use one of: %(choices)s."),
        disagrees=_("%(period)s is a %(kind)s, not a %(stated)s."),
        facts={"period": period, "kind": kind},
    )


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
                    downloaded_on=downloaded_on,
                    imported_by=user,
                    **row.value_fields(),
                )
            )
        elif (stored.value, stored.role) != (row.value, row.role):
            stored.value = row.value
            stored.role = row.role
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
                updates, fields=["value", "role", "downloaded_on", "imported_by"]
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
) -> BenchmarkImportReport:
    """Create or update the benchmark figures of a CSV file from ``source``.

    With ``commit=False`` the file is only checked and the report counts what
    an import would do. A stored figure with the same value is left as it is,
    download date included; a changed value is replaced with the file's, and
    takes this file's download date.
    """
    if source not in SOURCE_INDICATORS:
        raise ValueError(f"Unknown benchmark source: {source!r}")
    report = BenchmarkImportReport(kind=BENCHMARKS, filename=filename)
    if downloaded_on > timezone.localdate():
        report.errors.append(
            RowError(None, "downloaded_on", _("The download date cannot be in the future."))
        )
        return report
    table = read_report_table(data, report, required=REQUIRED, optional=OPTIONAL)
    if table is None:
        return report
    rows = _checked_rows(table, report, source=source)
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        return report
    report.series = _series(rows)
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
