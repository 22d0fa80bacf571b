"""The demo municipality's report inputs: benchmarks, quotas and review texts.

Loaded by ``seed_demo`` after the cases and rounds, so that the monthly
follow-up and the service review can be made straight away.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from django.db import transaction

from common.dates import add_months, month_end
from evaluation.benchmarks import import_benchmarks, quota_set
from evaluation.models import BenchmarkSource, ReportNarrative

SAMPLES = Path(__file__).resolve().parent / "fixtures" / "benchmark_samples"
SAMPLE_FILES = {
    BenchmarkSource.JOBINDSATS: "jobindsats_employment.csv",
    BenchmarkSource.WELLBEING: "wellbeing.csv",
    BenchmarkSource.DANISH_ABSENCE: "danish_absence.csv",
}
# Expected arrivals (kvote) per year; the demo's arrivals follow seed 001's curve.
QUOTAS = {2015: 60, 2016: 45, 2017: 25, 2018: 12}

REVIEW_TEXTS = {
    "introduction": (
        "Serviceeftersynet giver et overblik over integrationsindsatsen: beskæftigelse, "
        "sammenligning med andre kommuner, repatriering, progressionsmålingen og danskuddannelse. "
        "Tallene er demonstrationsdata."
    ),
    "employment": (
        "Andelen i beskæftigelse eller selvforsørgende stiger med tiden i landet; de seneste "
        "årgange har endnu ikke nået 12 måneder."
    ),
    "benchmark": "Kommunen ligger over landsgennemsnittet og på niveau med omegnskommunerne.",
    "repatriation": "Der vejledes om repatriering ved hver opfølgning; få familier er rejst.",
    "progression": (
        "Borgerne vurderer sig selv lidt højere end sagsbehandlerne; forskelle på to eller flere "
        "point tages op i den næste samtale."
    ),
    "danish": "Fraværet fra danskuddannelsen følger landsgennemsnittet.",
    "conclusion": "Indsatsen fortsætter med fokus på tidlig placering og dansk ved siden af job.",
}


def review_date(today: dt.date) -> dt.date:
    """The demo's service review is as of the last day of the previous month."""
    return month_end(add_months(today.replace(day=1), -1))


@transaction.atomic
def seed_report_inputs(*, today: dt.date) -> dict[str, int]:
    imported = 0
    for source, name in SAMPLE_FILES.items():
        data = (SAMPLES / name).read_bytes()
        report = import_benchmarks(
            data, source=source, downloaded_on=today, filename=name, user=None
        )
        if not report.ok:
            raise RuntimeError(f"The sample file {name} did not import: {report.errors}")
        imported += report.created
    for year, expected in QUOTAS.items():
        quota_set(year=year, expected=expected)
    for year in range(2019, today.year + 1):
        quota_set(year=year, expected=10)
    as_of = review_date(today)
    for section, text in REVIEW_TEXTS.items():
        ReportNarrative.objects.update_or_create(
            as_of=as_of,
            section=section,
            defaults={"text": text, "status": ReportNarrative.Status.FINAL},
        )
    return {"benchmark values": imported, "review texts": len(REVIEW_TEXTS)}
