"""Evaluation's own reads: archives, report jobs, narratives, quotas and
benchmark values, as querysets or plain rows. None of them is about a
person: they are reports, texts about groups, and public statistics."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from uuid import UUID

from django.db.models import Count, Q, QuerySet
from django.db.models.functions import Length
from django.shortcuts import get_object_or_404

from evaluation.models import (
    ArrivalQuota,
    BenchmarkValue,
    ReportArchive,
    ReportJob,
    ReportNarrative,
)
from evaluation.period import ReportPeriod
from evaluation.reports import (
    NARRATIVE_KEYS,
    NARRATIVE_SECTIONS,
    OPTIONAL_NARRATIVE_KEYS,
    REQUIRED_NARRATIVE_KEYS,
)

# --- archives and jobs ------------------------------------------------------------


def archive_or_404(archive_uuid: UUID) -> ReportArchive:
    return get_object_or_404(ReportArchive, uuid=archive_uuid)


def job_or_404(job_uuid: UUID) -> ReportJob:
    return get_object_or_404(ReportJob.objects.select_related("archive"), uuid=job_uuid)


def is_archived(period: ReportPeriod) -> bool:
    return ReportArchive.objects.filter(kind=period.kind, period=period.text).exists()


def archives_by_period(kind: str) -> list[dict]:
    """Every archived version of a kind, newest period first, without the PDFs."""
    rows = (
        ReportArchive.objects.filter(kind=kind)
        .defer("pdf", "figures")
        .select_related("created_by")
        .annotate(size=Length("pdf"))
        .order_by("-period", "-version")
    )
    grouped: dict[str, list[ReportArchive]] = {}
    for row in rows:
        grouped.setdefault(row.period, []).append(row)
    return [
        {"period": period, "label": ReportPeriod.parse(kind, period).label, "versions": versions}
        for period, versions in grouped.items()
    ]


def archive_versions(period: ReportPeriod) -> list[int]:
    """The version numbers stored for a period, locked until the transaction ends."""
    return list(
        ReportArchive.objects.select_for_update()
        .filter(kind=period.kind, period=period.text)
        .values_list("version", flat=True)
    )


# --- narratives ----------------------------------------------------------------------


def narratives_for(as_of: dt.date) -> dict[str, ReportNarrative | None]:
    found = {
        n.section: n
        for n in ReportNarrative.objects.filter(as_of=as_of).select_related("updated_by")
    }
    return {key: found.get(key) for key in NARRATIVE_KEYS}


def narrative_texts(as_of: dt.date) -> dict[str, dict]:
    """The stored sections as the figures carry them: ``{key: {"text", "status"}}``."""
    return {
        n.section: {"text": n.text, "status": n.status}
        for n in ReportNarrative.objects.filter(as_of=as_of)
    }


def narrative_date_before(as_of: dt.date) -> dt.date | None:
    """The latest review date before ``as_of`` with a written text: the one
    whose texts a manager may copy into a new date."""
    return (
        ReportNarrative.objects.filter(as_of__lt=as_of)
        .exclude(text="")
        .order_by("-as_of")
        .values_list("as_of", flat=True)
        .first()
    )


def missing_narratives(as_of: dt.date) -> list[tuple[str, str, str]]:
    """Sections that keep the service review from being made: (key, label, why)."""
    missing = []
    stored = narratives_for(as_of)
    for key, label in NARRATIVE_SECTIONS:
        narrative = stored.get(key)
        if narrative is None or not narrative.text.strip():
            if key not in OPTIONAL_NARRATIVE_KEYS:
                missing.append((key, label, "missing"))
        elif narrative.status != ReportNarrative.Status.FINAL:
            missing.append((key, label, "draft"))
    return missing


def narrative_dates() -> list[dict]:
    """Review dates with texts, and how many of the sections are final."""
    required = Q(section__in=REQUIRED_NARRATIVE_KEYS)
    rows = (
        ReportNarrative.objects.values("as_of")
        .annotate(
            written=Count("id", filter=~Q(text="") & required),
            final=Count(
                "id", filter=Q(status=ReportNarrative.Status.FINAL) & ~Q(text="") & required
            ),
        )
        .order_by("-as_of")
    )
    total = len(REQUIRED_NARRATIVE_KEYS)
    return [
        {
            "as_of": row["as_of"],
            "period": row["as_of"].isoformat(),
            "final": row["final"],
            "written": row["written"],
            "total": total,
            "ready": row["final"] == total,
        }
        for row in rows
    ]


# --- quotas and benchmarks -------------------------------------------------------------


def quota_expected(year: int) -> int | None:
    return ArrivalQuota.objects.filter(year=year).values_list("expected", flat=True).first()


def quotas() -> QuerySet[ArrivalQuota]:
    return ArrivalQuota.objects.order_by("-year")


def benchmark_rows(indicators: Iterable[str]) -> QuerySet:
    """The values of some indicators: ``period``, ``period_kind``, ``municipality``,
    ``role``, ``indicator``, ``value``, ``source`` and ``downloaded_on``."""
    return BenchmarkValue.objects.filter(indicator__in=list(indicators)).values(
        "period",
        "period_kind",
        "municipality",
        "role",
        "indicator",
        "value",
        "source",
        "downloaded_on",
    )


def benchmark_table() -> list[dict]:
    """Every benchmark value, for the list page."""
    return list(
        BenchmarkValue.objects.order_by("indicator", "source", "period", "municipality").values(
            "indicator",
            "source",
            "municipality",
            "role",
            "period",
            "period_kind",
            "value",
            "downloaded_on",
        )
    )
