"""Reports made in the background (django-tasks).

With the immediate backend (the default, and in tests) the task runs inside
the request that enqueues it; with ``TASKS_IN_BACKGROUND=1`` a
``manage.py db_worker`` picks it up. Either way the job row tells the page
how far it has got.
"""

from __future__ import annotations

import logging

from django_tasks import task

from evaluation import services
from evaluation.models import ReportJob
from evaluation.period import ReportPeriod
from evaluation.reports import ReportRefused

logger = logging.getLogger(__name__)


@task()
def generate_report(
    job_id: int,
    adjusted_denominator: bool = False,
    include_ukraine: bool = False,
    case_number: str = "",
) -> str | None:
    """Make the report a :class:`ReportJob` asks for; returns the archive's uuid.

    ``adjusted_denominator`` and ``include_ukraine`` are the service review's
    options (see ``evaluation.figures.service_review_figures``); the archived
    figures record them, and ``case_number``, the council's journal number
    printed on the cover.

    A refusal (texts not final, a period not over) or an unexpected error
    marks the job failed; the error kept on the job names no person.
    """
    job, started = services.report_job_start(job_id=job_id)
    if not started:
        # Picked up twice (a worker restarted): the first run owns it.
        return str(job.archive.uuid) if job.archive_id else None

    def on_step(step: str, percent: int) -> None:
        services.report_job_step(job_id=job.pk, step=step, percent=percent)

    failed = ReportJob.Status.FAILED
    try:
        period = ReportPeriod.parse(job.kind, job.period)
    except ValueError as exc:
        services.report_job_finish(job=job, status=failed, error=str(exc))
        return None
    try:
        archive = services.report_make(
            period=period,
            user=job.requested_by,
            on_step=on_step,
            adjusted_denominator=adjusted_denominator,
            include_ukraine=include_ukraine,
            case_number=case_number,
        )
    except ReportRefused as exc:
        services.report_job_finish(job=job, status=failed, error=str(exc))
        return None
    except Exception as exc:
        logger.exception("Report job %s (%s %s) failed", job.uuid, job.kind, job.period)
        error = f"Unexpected error ({type(exc).__name__}); see the server log."
        services.report_job_finish(job=job, status=failed, error=error)
        raise
    services.report_job_finish(job=job, status=ReportJob.Status.DONE, archive=archive)
    return str(archive.uuid)
