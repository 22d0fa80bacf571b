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
from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ValidationError
from django.db import DatabaseError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from common import bulk, cpr
from common.csvimport import (
    CHUNK,
    ImportFileError,
    ImportReport,
    RowChecker,
    RowError,
    decode,
    read_table,
    write_failed,
)
from integration import services
from integration.models import AccessAction, DanishCourse, LadderPlacement, User
from integration.selectors import CaseRef, case_refs_by_cpr
from progression.models import (
    ITEM_COUNT,
    SCALE,
    SCORE_FIELDS,
    Measurement,
    Questionnaire,
    Rater,
    Round,
)
from progression.services import questionnaire_current, topics_refresh_bulk

MEASUREMENTS = "measurements"
REQUIRED = ("cpr", "date", "rater", "item", "score")


@dataclass
class MeasurementImportReport(ImportReport):
    """An ImportReport whose created/updated/unchanged count measurements."""

    rounds_created: int = 0

    def summary(self) -> str:
        rows = ngettext("%(n)s row", "%(n)s rows", self.rows) % {"n": self.rows}
        measurements = self.created + self.updated + self.unchanged
        return _(
            "%(rows)s, %(measurements)s measurements: %(created)s created, %(updated)s "
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
    if day and day > today:
        check.error("date", _("The date cannot be in the future."))
    rater = check.choice("rater", Rater)
    item = _whole_number(check, "item", range(1, ITEM_COUNT + 1))
    score = _whole_number(check, "score", SCALE)
    if check.failed:
        return None
    return _ScoreRow(check.line, number, day, rater, item, score)


@dataclass
class _Planned:
    """One measurement of the file: a citizen's, a date's and a rater's scores."""

    line: int  # its first line
    case: CaseRef
    measured_on: dt.date
    rater: str
    scores: dict[int, int | None]


def _chunks(ids: list[int]) -> Iterable[list[int]]:
    for i in range(0, len(ids), CHUNK):
        yield ids[i : i + CHUNK]


def _stored(case_ids: list[int]) -> tuple[dict[tuple, Round], dict[tuple, Measurement]]:
    """The rounds of these cases by (case id, date) and their measurements by
    (round id, rater): two queries per 500 cases."""
    rounds: dict[tuple, Round] = {}
    measurements: dict[tuple, Measurement] = {}
    for chunk in _chunks(case_ids):
        for round_ in Round.objects.filter(case_id__in=chunk):
            rounds[(round_.case_id, round_.measured_on)] = round_
        for measurement in Measurement.objects.filter(round__case_id__in=chunk):
            measurements[(measurement.round_id, measurement.rater)] = measurement
    return rounds, measurements


def _sole_providers(keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    """(case id, date) → the provider organisation, when the citizen had exactly
    one organisation with an active ladder placement or Danish course that day."""
    case_ids = sorted({case_id for case_id, _day in keys})
    spells: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for chunk in _chunks(case_ids):
        for model in (LadderPlacement, DanishCourse):
            rows = model.objects.filter(case_id__in=chunk, provider__isnull=False).values_list(
                "case_id", "provider_id", "start_date", "end_date"
            )
            for case_id, provider_id, start, end in rows:
                spells.setdefault(case_id, []).append((provider_id, start, end))
    sole: dict[tuple[int, dt.date], int] = {}
    for case_id, day in keys:
        active = {
            provider_id
            for provider_id, start, end in spells.get(case_id, [])
            if start <= day and (end is None or end >= day)
        }
        if len(active) == 1:
            sole[(case_id, day)] = active.pop()
    return sole


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
    try:
        text = decode(data)
    except ImportFileError as exc:
        report.errors.append(exc.error)
        return report
    table = read_table(text, required=REQUIRED, optional=(), errors=report.errors)
    if table is None:
        return report
    report.rows = len(table.rows)

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
    planned: dict[tuple, _Planned] = {}
    for row in rows:
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
            planned[key] = _Planned(
                row.line, case, row.measured_on, row.rater, dict.fromkeys(range(1, ITEM_COUNT + 1))
            )
        planned[key].scores[row.item] = row.score

    rounds, stored = _stored(sorted({case.pk for case in cases.values()}))
    new_rounds: dict[tuple[int, dt.date], None] = {}  # an ordered set
    creates: list[_Planned] = []
    updates: list[tuple[_Planned, Measurement]] = []
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
            questionnaire = questionnaire_current()
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
        with transaction.atomic():
            _write(
                report=report,
                user=user,
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


def _write(
    *,
    report: MeasurementImportReport,
    user: User | None,
    questionnaire: Questionnaire | None,
    rounds: dict[tuple, Round],
    new_rounds: list[tuple[int, dt.date]],
    creates: list[_Planned],
    updates: list[tuple[_Planned, Measurement]],
    cases: Iterable[CaseRef],
) -> None:
    made = []
    for case_id, day in new_rounds:
        round_ = Round(
            case_id=case_id,
            measured_on=day,
            questionnaire=questionnaire,
            complete=True,
            created_by=user,
        )
        # The case and questionnaire were just read, and the file's check
        # found no round of this case and date.
        round_.full_clean(exclude=["case", "questionnaire", "created_by", "uuid"])
        made.append(round_)
    user_id = user.pk if user is not None else None
    bulk.create_with_history(made, user_id=user_id)
    rounds.update(((r.case_id, r.measured_on), r) for r in made)

    provider_keys = {
        (plan.case.pk, plan.measured_on)
        for plan in [*creates, *(plan for plan, m in updates if m.provider_id is None)]
        if plan.rater == Rater.PROVIDER
    }
    providers = _sole_providers(provider_keys) if provider_keys else {}
    now = timezone.now()

    new: list[Measurement] = []
    for plan in creates:
        round_ = rounds[(plan.case.pk, plan.measured_on)]
        measurement = Measurement(
            round=round_,
            rater=plan.rater,
            measured_on=plan.measured_on,
            questionnaire_id=round_.questionnaire_id,
            provider_id=providers.get((plan.case.pk, plan.measured_on))
            if plan.rater == Rater.PROVIDER
            else None,
            entered_by=user,
        )
        measurement.set_scores(plan.scores)
        _clean(measurement)
        new.append(measurement)
    bulk.create_with_history(new, user_id=user_id)

    changed: list[Measurement] = []
    for plan, measurement in updates:
        measurement.set_scores(plan.scores)
        measurement.entered_by = user
        measurement.updated_at = now
        if plan.rater == Rater.PROVIDER and measurement.provider_id is None:
            measurement.provider_id = providers.get((plan.case.pk, plan.measured_on))
        _clean(measurement)
        changed.append(measurement)
    bulk.update(
        changed, [*SCORE_FIELDS, "index", "answered", "entered_by", "provider", "updated_at"]
    )
    bulk.insert_history(Measurement, [m.pk for m in changed], user_id=user_id, history_type="~")

    # Like a rater's own save, an imported score is a change of its round: a
    # grid opened before the import carries the old version and is refused
    # instead of saving its columns over the imported scores.
    made_ids = {r.pk for r in made}
    touched = {m.round_id for m in [*new, *changed]}
    for chunk in _chunks(sorted(touched - made_ids)):
        Round.objects.filter(pk__in=chunk).update(version=F("version") + 1)
    topics_refresh_bulk(round_ids=touched, actor=user)

    services.access_log_write(
        user=user,
        action=AccessAction.IMPORT,
        citizen_ids=[case.citizen_id for case in cases],
        what=f"measurement import {report.filename}",
    )


def _clean(measurement: Measurement) -> None:
    # The file's check has put every score in 1-5 and found no other
    # measurement of the round and rater; Django would ask the database once
    # per check constraint (13 per measurement) to say the same again.
    measurement.full_clean(
        exclude=["round", "questionnaire", "provider", "entered_by"],
        validate_unique=False,
        validate_constraints=False,
    )
