"""Progression measurements from a CSV file: ``manage.py import_measurements``.

One row is one score: ``cpr, date, rater, item, score``. The rows of one
citizen, date and rater make one measurement; an item without a row is "not
answered". The file is read and checked with the citizen import's helpers
(the same encodings, delimiters, date forms, masked CPR numbers and
all-or-nothing rule), with a fixed number of queries whatever its length.

A measurement that is already stored with the same scores is left alone; one
whose scores differ is replaced by the file's. The round of a citizen and
date is made when missing, with the current questionnaire.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext

from common import bulk, cpr
from common.csvimport import (
    ImportReport,
    RowChecker,
    RowError,
    read_report_table,
    unknown_citizen,
    write_failed,
)
from common.lookups import among
from integration.models import User
from integration.selectors import case_refs_by_cpr
from progression import selectors, services
from progression.models import (
    ITEM_COUNT,
    SCALE,
    Measurement,
    Questionnaire,
    Rater,
    Round,
)
from progression.services import PlannedMeasurement

MEASUREMENTS = "measurements"
REQUIRED = ("cpr", "date", "rater", "item", "score")
# Made once for a whole file, translated where a row is refused.
DATE_FUTURE = gettext_lazy("The date cannot be in the future.")


@dataclass
class MeasurementImportReport(ImportReport):
    """An ImportReport whose created/updated/unchanged count measurements."""

    rounds_created: int = 0

    def summary(self) -> str:
        rows = ngettext("%(n)s row", "%(n)s rows", self.rows) % {"n": self.rows}
        count = self.created + self.updated + self.unchanged
        measurements = ngettext("%(n)s measurement", "%(n)s measurements", count) % {"n": count}
        return _(
            "%(rows)s, %(measurements)s: %(created)s created, %(updated)s "
            "updated, %(unchanged)s unchanged; %(rounds)s new rounds."
        ) % {
            "rows": rows,
            "measurements": measurements,
            "created": self.created,
            "updated": self.updated,
            "unchanged": self.unchanged,
            "rounds": self.rounds_created,
        }


@dataclass
class _ScoreRow:
    line: int
    cpr: str
    measured_on: dt.date
    rater: str
    item: int
    score: int


def _whole_number(check: RowChecker, column: str, allowed: range) -> int | None:
    value = check.required(column)
    if not value:
        return None
    number = int(value) if value.isascii() and value.isdigit() else None
    if number is None or number not in allowed:
        check.error(
            column,
            _("Write a whole number from %(lo)s to %(hi)s, not “%(value)s”.")
            % {"lo": allowed[0], "hi": allowed[-1], "value": value[:40]},
        )
        return None
    return number


def _check_row(check: RowChecker, *, today: dt.date) -> _ScoreRow | None:
    number = check.cpr()
    day = check.date("date")
    check.up_to_today("date", day, today, future=DATE_FUTURE)
    rater = check.choice("rater", Rater)
    item = _whole_number(check, "item", range(1, ITEM_COUNT + 1))
    score = _whole_number(check, "score", SCALE)
    if check.failed:
        return None
    return _ScoreRow(check.line, number, day, rater, item, score)


def _stored(case_ids: list[int]) -> tuple[dict[tuple, Round], dict[tuple, Measurement]]:
    """The rounds of these cases by (case id, date) and their measurements by
    (round id, rater)."""
    rounds: dict[tuple, Round] = {}
    measurements: dict[tuple, Measurement] = {}
    for stored in among(Round.objects.all(), "case_id", case_ids):
        for round_ in stored:
            rounds[(round_.case_id, round_.measured_on)] = round_
    for stored in among(Measurement.objects.all(), "round__case_id", case_ids):
        for measurement in stored:
            measurements[(measurement.round_id, measurement.rater)] = measurement
    return rounds, measurements


@bulk.collector_paused()
def import_measurements(
    data: bytes | str,
    *,
    filename: str = "",
    user: User | None = None,
    commit: bool = True,
) -> MeasurementImportReport:
    """Create or update the measurements of a CSV file, matched by CPR, date and rater.

    With ``commit=False`` the file is only checked and the report counts what
    an import would do. Rounds the import makes are marked finished: they
    record measurements that were completed elsewhere.
    """
    report = MeasurementImportReport(kind=MEASUREMENTS, filename=filename)
    table = read_report_table(data, report, required=REQUIRED)
    if table is None:
        return report

    today = timezone.localdate()
    rows: list[_ScoreRow] = []
    # (cpr, date, rater, item) → (first line, score)
    seen: dict[tuple, tuple[int, int]] = {}
    for line, values in table.rows:
        check = RowChecker(line, values, report.errors)
        row = _check_row(check, today=today)
        if row is None:
            continue
        key = (row.cpr, row.measured_on, row.rater, row.item)
        if key in seen:
            first_line, first_score = seen[key]
            if first_score != row.score:
                check.error(
                    "score",
                    _(
                        "%(cpr)s, %(date)s, %(rater)s: item %(item)s has the score "
                        "%(other)s on line %(line)s."
                    )
                    % {
                        "cpr": cpr.masked(row.cpr),
                        "date": row.measured_on.strftime("%d-%m-%Y"),
                        "rater": row.rater,
                        "item": row.item,
                        "other": first_score,
                        "line": first_line,
                    },
                )
            continue  # the same score twice says nothing new
        seen[key] = (line, row.score)
        rows.append(row)

    cases = case_refs_by_cpr(row.cpr for row in rows)
    planned: dict[tuple, PlannedMeasurement] = {}
    for row in rows:
        case = cases.get(row.cpr)
        if case is None:
            report.errors.append(unknown_citizen(row.line, row.cpr))
            continue
        if row.measured_on < case.arrival_date:
            report.errors.append(
                RowError(
                    row.line,
                    "date",
                    _("%(cpr)s arrived on %(arrival)s; a measurement cannot be before that.")
                    % {
                        "cpr": cpr.masked(row.cpr),
                        "arrival": case.arrival_date.strftime("%d-%m-%Y"),
                    },
                )
            )
            continue
        key = (case.pk, row.measured_on, row.rater)
        if key not in planned:
            planned[key] = PlannedMeasurement(
                row.line, case, row.measured_on, row.rater, dict.fromkeys(range(1, ITEM_COUNT + 1))
            )
        planned[key].scores[row.item] = row.score

    rounds, stored = _stored(sorted({case.pk for case in cases.values()}))
    new_rounds: dict[tuple[int, dt.date], None] = {}  # an ordered set
    creates: list[PlannedMeasurement] = []
    updates: list[tuple[PlannedMeasurement, Measurement]] = []
    for plan in planned.values():
        round_ = rounds.get((plan.case.pk, plan.measured_on))
        existing = stored.get((round_.pk, plan.rater)) if round_ is not None else None
        if existing is None:
            creates.append(plan)
            if round_ is None:
                new_rounds.setdefault((plan.case.pk, plan.measured_on), None)
        elif existing.scores() != plan.scores:
            updates.append((plan, existing))
        else:
            report.unchanged += 1
    questionnaire: Questionnaire | None = None
    if new_rounds:
        try:
            questionnaire = selectors.questionnaire_current()
        except Questionnaire.DoesNotExist:
            report.errors.append(
                RowError(
                    None,
                    "",
                    _("No questionnaire has been published, so no new round can be made."),
                )
            )
    if not report.ok:
        report.errors.sort(key=lambda e: e.line or 0)
        report.unchanged = 0
        return report
    report.created, report.updated = len(creates), len(updates)
    report.rounds_created = len(new_rounds)
    if not commit:
        return report

    try:
        services.measurements_import_write(
            actor=user,
            filename=filename,
            questionnaire=questionnaire,
            rounds=rounds,
            new_rounds=list(new_rounds),
            creates=creates,
            updates=updates,
            cases=cases.values(),
        )
    except (ValidationError, DatabaseError) as exc:
        result = write_failed(report, exc, None)
        result.rounds_created = 0
        return result
    report.written = True
    return report
