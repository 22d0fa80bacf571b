"""Every write of the evaluation app: making and archiving a report, the
service review's texts, report jobs, the year's expected arrivals and the
benchmark figures. Views, commands and tasks call these; nothing else writes.

The benchmark import (``import_benchmarks``) and the quota (``quota_set``)
are written in ``evaluation.benchmarks``, which the demo and benchmark
fixtures load their data through too; views and commands reach them only
through this module.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import time
from collections.abc import Mapping
from contextlib import nullcontext

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from evaluation import charts, selectors
from evaluation.benchmarks import import_benchmarks, quota_set
from evaluation.figures import report_figures
from evaluation.models import ReportArchive, ReportJob, ReportKind, ReportNarrative
from evaluation.pdf import render
from evaluation.period import ReportPeriod
from evaluation.reports import (
    CPR_RE,
    NARRATIVE_KEYS,
    OPTIONAL_NARRATIVE_KEYS,
    STEPS,
    ReportRefused,
    StepCallback,
    check_no_cpr,
    figures_are_draft,
)
from integration.models import User

__all__ = ["import_benchmarks", "quota_set"]


# --- making and archiving a report -------------------------------------------------


def archive_save(
    *,
    period: ReportPeriod,
    pdf: bytes,
    figures: Mapping,
    min_cell: int,
    created_by: User | None = None,
    seconds: float | None = None,
    attempts: int = 5,
) -> ReportArchive:
    """Store a PDF as the next version of its kind and period; never overwrite.

    The existing versions are locked while the next number is chosen; two
    first versions made at the same moment lock nothing, so the loser of the
    unique constraint tries again.
    """
    digest = hashlib.sha256(pdf).hexdigest()
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                versions = selectors.archive_versions(period)
                return ReportArchive.objects.create(
                    kind=period.kind,
                    period=period.text,
                    version=max(versions, default=0) + 1,
                    pdf=pdf,
                    sha256=digest,
                    figures=figures,
                    min_cell=min_cell,
                    created_by=created_by,
                    seconds=seconds,
                )
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def _check_can_make(period: ReportPeriod, *, today: dt.date, allow_draft: bool) -> None:
    if period.as_of > today:
        raise ReportRefused(
            f"The report date {period.as_of:%d-%m-%Y} has not passed yet; make the report after it."
        )
    if period.kind == ReportKind.SERVICE_REVIEW and not allow_draft:
        missing = selectors.missing_narratives(period.as_of)
        if missing:
            names = ", ".join(label for _key, label, _why in missing)
            raise ReportRefused(f"These narrative sections are not final: {names}.")


def report_make(
    *,
    period: ReportPeriod,
    user: User | None = None,
    allow_draft: bool = False,
    on_step: StepCallback | None = None,
    today: dt.date | None = None,
    adjusted_denominator: bool = False,
    include_ukraine: bool = False,
    case_number: str = "",
    charts_apart: bool = False,
) -> ReportArchive:
    """Compute, render and archive one report; returns the new archive row.

    Refuses (:class:`ReportRefused`) a period that has not ended yet, and a
    service review whose narrative sections are not all final unless
    ``allow_draft`` (then every page is stamped UDKAST).
    ``adjusted_denominator`` asks the service review for its cohort table
    without those who have left as well; ``include_ukraine`` counts those
    displaced from Ukraine in its cohort tables (the paper says which).
    ``case_number`` is the council's journal number for the paper, printed on
    its cover and kept with the figures.

    ``charts_apart`` draws the charts in a child process meanwhile
    (``charts.ChartProcess``): for a process of its own, the command line's,
    that has no other thread yet and has not imported matplotlib.
    """
    started = time.perf_counter()
    step = on_step or (lambda _key, _percent: None)
    _check_can_make(period, today=today or timezone.localdate(), allow_draft=allow_draft)
    min_cell = settings.REPORT_MIN_CELL
    step("figures", STEPS["figures"])
    if adjusted_denominator and period.is_monthly:
        raise ReportRefused("Only the service review has an adjusted denominator.")
    if include_ukraine and period.is_monthly:
        raise ReportRefused("Only the service review's cohort table has this option.")
    # Options are passed only when asked for: report_figures(period) is the plain report.
    options = {
        name: True
        for name, asked in (
            ("adjusted_denominator", adjusted_denominator),
            ("include_ukraine", include_ukraine),
        )
        if asked
    }
    with charts.drawn_apart() if charts_apart else nullcontext() as apart:
        libraries = render.load_in_background(plotting=apart is None)
        figures = report_figures(period, **options)
        libraries.join()
        if case_number:
            figures["case_number"] = case_number
        check_no_cpr(figures)
        draft = figures_are_draft(figures)
        if draft and not allow_draft:
            raise ReportRefused("The narrative sections are not final.")
        step("charts", STEPS["charts"])
        html = render.render_html(figures, min_cell=min_cell, draft=draft)
        step("pdf", STEPS["pdf"])
        if apart is None:
            pdf = render.render_pdf(html)
        else:
            pdf = render.render_pdf(html, fetcher=render.static_only_fetcher(apart.resources()))
            apart.check_all_drawn()
    step("archive", STEPS["archive"])
    return archive_save(
        period=period,
        pdf=pdf,
        figures=figures,
        min_cell=min_cell,
        created_by=user,
        seconds=round(time.perf_counter() - started, 3),
    )


# --- report jobs -------------------------------------------------------------------


def report_job_create(*, period: ReportPeriod, user: User) -> ReportJob:
    with transaction.atomic():
        job = ReportJob(kind=period.kind, period=period.text, requested_by=user)
        job.full_clean()
        job.save()
    return job


def report_job_start(*, job_id: int) -> tuple[ReportJob, bool]:
    """Mark a queued job running; the job, and False when it had been picked up before."""
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the join to the user.
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=job_id)
        )
        if job.status != ReportJob.Status.QUEUED:
            return job, False
        job.status = ReportJob.Status.RUNNING
        job.step = "figures"
        job.progress = STEPS["figures"]
        job.save(update_fields=["status", "step", "progress"])
    return job, True


def report_job_step(*, job_id: int, step: str, percent: int) -> None:
    # An update, not a save: the page reads the row while the task runs.
    with transaction.atomic():
        ReportJob.objects.filter(pk=job_id).update(progress=percent, step=step)


def report_job_finish(
    *, job: ReportJob, status: str, error: str = "", archive: ReportArchive | None = None
) -> None:
    fields = {"status": status, "error": error, "archive": archive, "finished_at": timezone.now()}
    if status == ReportJob.Status.DONE:
        # A failed job keeps the step it failed in, for the page to name.
        fields.update(step="done", progress=STEPS["done"])
    with transaction.atomic():
        ReportJob.objects.filter(pk=job.pk).update(**fields)


# --- the service review's texts ------------------------------------------------------


class NarrativeConflict(Exception):
    """Someone else saved a section after this form was opened."""

    def __init__(self, sections: list[str]):
        super().__init__(", ".join(sections))
        self.sections = sections


def _check_narratives(texts: Mapping[str, str], status: str) -> None:
    if status not in ReportNarrative.Status.values:
        raise ValueError(f"Unknown status {status!r}")
    for key in texts:
        if key not in NARRATIVE_KEYS:
            raise ValueError(f"Unknown section {key!r}")
        if CPR_RE.search(texts[key] or ""):
            raise ValueError("A narrative may not hold a CPR number")


def _narrative_create(*, as_of: dt.date, key: str, text: str, status: str, user: User) -> bool:
    """Whether the new section was stored (False: someone else added it first)."""
    try:
        with transaction.atomic():
            ReportNarrative.objects.create(
                as_of=as_of, section=key, text=text, status=status, updated_by=user
            )
    except IntegrityError:
        return False
    return True


def _narrative_update(*, row: ReportNarrative, seen: int, text: str, status: str, user: User):
    """Whether the section was updated (False: it changed since ``seen``)."""
    if row.version != seen:
        return False
    return bool(
        ReportNarrative.objects.filter(pk=row.pk, version=seen).update(
            text=text,
            status=status,
            version=F("version") + 1,
            updated_by=user,
            updated_at=timezone.now(),
        )
    )


def narratives_save(
    *,
    as_of: dt.date,
    user: User,
    texts: Mapping[str, str],
    versions: Mapping[str, int],
    status: str,
) -> list[str]:
    """Save the sections that changed; returns their keys.

    Optimistic locking: ``versions`` are the versions the form was opened
    with (0 for a section that did not exist). A section whose text or status
    differs from the stored one is written only if nobody saved it in the
    meantime; otherwise nothing is saved and :class:`NarrativeConflict`
    names the stale sections.
    """
    _check_narratives(texts, status)
    changed: list[str] = []
    stale: list[str] = []
    with transaction.atomic():
        current = {
            n.section: n for n in ReportNarrative.objects.select_for_update().filter(as_of=as_of)
        }
        for key in [k for k in NARRATIVE_KEYS if k in texts]:
            text = texts[key] or ""
            row = current.get(key)
            seen = int(versions.get(key) or 0)
            if row is None:
                # Nothing to keep: an empty draft, or an optional section left out.
                draft = status == ReportNarrative.Status.DRAFT
                if not text.strip() and (draft or key in OPTIONAL_NARRATIVE_KEYS):
                    continue
                stored = seen == 0 and _narrative_create(
                    as_of=as_of, key=key, text=text, status=status, user=user
                )
            elif row.text == text and row.status == status:
                continue
            else:
                stored = _narrative_update(row=row, seen=seen, text=text, status=status, user=user)
            (changed if stored else stale).append(key)
        if stale:
            transaction.set_rollback(True)
            raise NarrativeConflict(stale)
    return changed


def narratives_copy(*, source: dt.date, target: dt.date, user: User) -> list[str]:
    """Copy the texts written for the review as of ``source`` into ``target``
    as drafts; returns the keys copied.

    A section already written at ``target`` is kept as it is, so copying
    twice, or after someone started writing, overwrites nothing.
    """
    if source >= target:
        raise ValueError("Texts are copied from an earlier review into a later one.")
    texts = {
        n.section: n.text
        for n in ReportNarrative.objects.filter(as_of=source, section__in=NARRATIVE_KEYS)
        if n.text.strip()
    }
    _check_narratives(texts, ReportNarrative.Status.DRAFT)
    copied: list[str] = []
    with transaction.atomic():
        current = {
            n.section: n for n in ReportNarrative.objects.select_for_update().filter(as_of=target)
        }
        for key in [k for k in NARRATIVE_KEYS if k in texts]:
            row = current.get(key)
            if row is not None and row.text.strip():
                continue
            fields = None
            if row is None:
                row = ReportNarrative(as_of=target, section=key)
            else:
                # An empty section someone saved: others may save it too, so bump its version.
                row.version += 1
                fields = ["text", "status", "version", "updated_by", "updated_at"]
            row.text, row.status, row.updated_by = texts[key], ReportNarrative.Status.DRAFT, user
            row.full_clean()
            row.save(update_fields=fields)
            copied.append(key)
    return copied
