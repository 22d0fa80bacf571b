"""The writes of the measurement import (``progression.imports`` checks the file).

The same rounds, measurements, history rows, topics and access-log rows as
the one-by-one services, in a few statements for thousands of rows.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from common import bulk
from common.csvimport import chunks
from integration import selectors as case_selectors
from integration import services as case_services
from integration.models import AccessAction, User
from integration.selectors import CaseRef
from progression.models import SCORE_FIELDS, Measurement, Questionnaire, Rater, Round, Source
from progression.services.rounds import topics_refresh_bulk


@dataclass
class PlannedMeasurement:
    """One measurement of a file: a citizen's, a date's and a rater's scores."""

    line: int  # its first line
    case: CaseRef
    measured_on: dt.date
    rater: str
    scores: dict[int, int | None]


def _sole_providers(keys: set[tuple[int, dt.date]]) -> dict[tuple[int, dt.date], int]:
    """(case id, date) → the provider organisation, when the citizen had exactly
    one organisation with an active ladder placement or Danish course that day."""
    spells = case_selectors.provider_spells(case_id for case_id, _day in keys)
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


def _clean(measurement: Measurement) -> None:
    # The file's check has put every score in 1-5 and found no other
    # measurement of the round and rater; Django would ask the database once
    # per check constraint (13 per measurement) to say the same again.
    measurement.full_clean(
        exclude=["round", "questionnaire", "provider", "entered_by"],
        validate_unique=False,
        validate_constraints=False,
    )


def _rounds_create(
    *, actor: User | None, questionnaire: Questionnaire | None, keys: list[tuple[int, dt.date]]
) -> list[Round]:
    made = []
    for case_id, day in keys:
        round_ = Round(
            case_id=case_id,
            measured_on=day,
            questionnaire=questionnaire,
            complete=True,
            created_by=actor,
        )
        # The case and questionnaire were just read, and the file's check
        # found no round of this case and date.
        round_.full_clean(exclude=["case", "questionnaire", "created_by", "uuid"])
        made.append(round_)
    bulk.create_with_history(made, user_id=actor.pk if actor is not None else None)
    return made


@transaction.atomic
def measurements_import_write(
    *,
    actor: User | None,
    filename: str,
    questionnaire: Questionnaire | None,
    rounds: dict[tuple, Round],
    new_rounds: list[tuple[int, dt.date]],
    creates: list[PlannedMeasurement],
    updates: list[tuple[PlannedMeasurement, Measurement]],
    cases: Iterable[CaseRef],
) -> None:
    """Write a checked file: make the ``new_rounds`` (case id, date), create
    and change the measurements, and refresh the rounds' topics.

    ``rounds`` holds the stored rounds by (case id, date) and gains the new ones.
    """
    made = _rounds_create(actor=actor, questionnaire=questionnaire, keys=new_rounds)
    rounds.update(((r.case_id, r.measured_on), r) for r in made)
    user_id = actor.pk if actor is not None else None

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
            entered_by=actor,
            source=Source.IMPORT,
        )
        measurement.set_scores(plan.scores)
        _clean(measurement)
        new.append(measurement)
    bulk.create_with_history(new, user_id=user_id)

    changed: list[Measurement] = []
    for plan, measurement in updates:
        measurement.set_scores(plan.scores)
        measurement.entered_by = actor
        measurement.source, measurement.via_link = Source.IMPORT, False
        measurement.updated_at = now
        if plan.rater == Rater.PROVIDER and measurement.provider_id is None:
            measurement.provider_id = providers.get((plan.case.pk, plan.measured_on))
        _clean(measurement)
        changed.append(measurement)
    bulk.update(
        changed,
        [
            *SCORE_FIELDS,
            "index",
            "answered",
            "index_answered",
            "entered_by",
            "provider",
            "source",
            "via_link",
            "updated_at",
        ],
    )
    bulk.insert_history(Measurement, [m.pk for m in changed], user_id=user_id, history_type="~")

    # Like a rater's own save, an imported score is a change of its round: a
    # grid opened before the import carries the old version and is refused
    # instead of saving its columns over the imported scores.
    made_ids = {r.pk for r in made}
    touched = {m.round_id for m in [*new, *changed]}
    claimed = sorted(touched - made_ids)
    for chunk in chunks(claimed):
        Round.objects.filter(pk__in=chunk).update(version=F("version") + 1)
    topics_refresh_bulk(round_ids=touched, actor=actor)

    case_services.access_log_write(
        user=actor,
        action=AccessAction.IMPORT,
        citizen_ids=[case.citizen_id for case in cases],
        what=f"measurement import {filename}",
        only_scores_on={m.measured_on for m in [*new, *changed]},
    )
