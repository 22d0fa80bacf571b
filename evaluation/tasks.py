"""Reports made in the background (django-tasks).

With the immediate backend (the default, and in tests) the task runs inside
the request that enqueues it; with ``TASKS_IN_BACKGROUND=1`` a
``manage.py db_worker`` picks it up. Either way the job row tells the page
how far it has got.
"""

from __future__ import annotations

import logging

from django.db import transaction
from django.utils import timezone
from django_tasks import task

from evaluation import reports
from evaluation.models import ReportJob

logger = logging.getLogger(__name__)


def _step(job_id: int):
    def update(step: str, percent: int) -> None:
        # An update, not a save: the page reads the row while the task runs.
        ReportJob.objects.filter(pk=job_id).update(progress=percent, step=step)

    return update


@task()
def generate_report(job_id: int) -> str | None:
    """Make the report a :class:`ReportJob` asks for; returns the archive's uuid.

    A refusal (texts not final, a period not over) or an unexpected error
    marks the job failed; the error kept on the job names no person.
    """
    with transaction.atomic():
        # of=self: PostgreSQL cannot lock the nullable side of the join to the user.
        job = (
            ReportJob.objects.select_for_update(of=("self",))
            .select_related("requested_by")
            .get(pk=job_id)
        )
        if job.status != ReportJob.Status.QUEUED:
            # Picked up twice (a worker restarted): the first run owns it.
            return str(job.archive.uuid) if job.archive_id else None
        job.status = ReportJob.Status.RUNNING
        job.step = "figures"
        job.progress = reports.STEPS["figures"]
        job.save(update_fields=["status", "step", "progress"])
    try:
        archive = reports.make_report(
            kind=job.kind,
            period=job.period,
            user=job.requested_by,
            on_step=_step(job.pk),
        )
    except reports.ReportRefused as exc:
        _finish(job, status=ReportJob.Status.FAILED, error=str(exc))
        return None
    except Exception as exc:
        logger.exception("Report job %s (%s %s) failed", job.uuid, job.kind, job.period)
        _finish(
            job,
            status=ReportJob.Status.FAILED,
            error=f"Unexpected error ({type(exc).__name__}); see the server log.",
        )
        raise
    _finish(job, status=ReportJob.Status.DONE, archive=archive)
    return str(archive.uuid)


def _finish(job: ReportJob, *, status: str, error: str = "", archive=None) -> None:
    fields = {"status": status, "error": error, "archive": archive, "finished_at": timezone.now()}
    if status == ReportJob.Status.DONE:
        # A failed job keeps the step it failed in, for the page to name.
        fields.update(step="done", progress=reports.STEPS["done"])
    ReportJob.objects.filter(pk=job.pk).update(**fields)
