"""What progression holds about a citizen, for their own record (indsigt).

``integration.record`` asks every app through its AppConfig's
``citizen_record_sections`` hook: here the rounds, every rater's scores, the
dialogue topics with what was agreed, and the links sent to the citizen,
each with its change history.
"""

from __future__ import annotations

from common.record import RecordSection, model_section
from integration.models import Case
from progression.models import CitizenLink, DialogueTopic, Measurement, Round


def citizen_record_sections(*, case: Case) -> list[RecordSection]:
    # Rounds deleted since still have history rows, and so do their scores.
    round_ids = Round.history.model.objects.filter(case_id=case.pk).values("id")
    return [
        model_section(
            Round,
            Round.objects.filter(case=case),
            history=Round.history.model.objects.filter(case_id=case.pk),
            exclude=["uuid", "case", "version", "submission"],
        ),
        model_section(
            Measurement,
            Measurement.objects.filter(round__case=case),
            history=Measurement.history.model.objects.filter(round_id__in=round_ids),
        ),
        model_section(
            DialogueTopic,
            DialogueTopic.objects.filter(round__case=case),
            history=DialogueTopic.history.model.objects.filter(round_id__in=round_ids),
        ),
        # The link's secret (its hash) is no information about the citizen;
        # the language is its code (ar, fa...), as the record's font is Latin.
        model_section(
            CitizenLink,
            CitizenLink.objects.filter(round__case=case),
            exclude=["token_hash"],
            codes=["language"],
        ),
    ]
