"""Generated reports, their narratives, and report jobs running in the background."""

import uuid

from django.db import models
from django.utils.translation import gettext_lazy as _

from integration.models import user_reference


class ReportKind(models.TextChoices):
    MONTHLY = "monthly", _("Monthly council follow-up")
    SERVICE_REVIEW = "service_review", _("Service review")


class _ReportOfPeriod(models.Model):
    """Which report, for which period: what a job is asked to make and what
    the archive keeps, so that a job's archived report is the same report."""

    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    kind = models.CharField(_("report"), max_length=20, choices=ReportKind.choices)
    # "2026-10" for a monthly report, "2026-11-22" for a service review as of a date.
    period = models.CharField(_("period"), max_length=10)

    class Meta:
        abstract = True


class ReportArchive(_ReportOfPeriod):
    """One generated PDF with the figures it was made from. Never overwritten:
    making a report again adds the next version."""

    version = models.PositiveIntegerField(_("version"))
    pdf = models.BinaryField(editable=False)
    sha256 = models.CharField(_("checksum (SHA-256)"), max_length=64)
    figures = models.JSONField(_("figures"))
    min_cell = models.PositiveSmallIntegerField(_("smallest count shown"))
    created_at = models.DateTimeField(_("made"), auto_now_add=True)
    created_by = user_reference()
    seconds = models.FloatField(_("seconds to make"), null=True, blank=True)

    class Meta:
        ordering = ["kind", "-period", "-version"]
        verbose_name = _("archived report")
        verbose_name_plural = _("archived reports")
        constraints = [
            models.UniqueConstraint(
                fields=["kind", "period", "version"], name="report_version_once"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.period} v{self.version}"


class ReportNarrative(models.Model):
    """A manager's text for one section of the service review as of a date."""

    class Status(models.TextChoices):
        DRAFT = "draft", _("Draft")
        FINAL = "final", _("Final")

    as_of = models.DateField(_("as of"))
    section = models.CharField(_("section"), max_length=40)
    text = models.TextField(_("text"), blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=Status.choices, default=Status.DRAFT
    )
    version = models.PositiveIntegerField(default=1, editable=False)
    updated_at = models.DateTimeField(auto_now=True)
    updated_by = user_reference()

    class Meta:
        ordering = ["as_of", "section"]
        verbose_name = _("report narrative")
        verbose_name_plural = _("report narratives")
        constraints = [
            models.UniqueConstraint(fields=["as_of", "section"], name="narrative_once"),
        ]

    def __str__(self) -> str:
        return f"{self.as_of} {self.section}"


class ReportJob(_ReportOfPeriod):
    """A report being made in the background, with its progress for the page."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("Waiting")
        RUNNING = "running", _("Being made")
        DONE = "done", _("Done")
        FAILED = "failed", _("Failed")

    status = models.CharField(max_length=10, choices=Status.choices, default=Status.QUEUED)
    progress = models.PositiveSmallIntegerField(default=0)
    step = models.CharField(max_length=200, blank=True)
    archive = models.ForeignKey(
        ReportArchive, null=True, blank=True, on_delete=models.PROTECT, related_name="+"
    )
    error = models.TextField(blank=True)
    requested_by = user_reference()
    requested_at = models.DateTimeField(auto_now_add=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        ordering = ["-requested_at"]
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")
        permissions = [("view_dashboard", "Can see the managers' dashboard")]

    def __str__(self) -> str:
        return f"{self.kind} {self.period} {self.status}"
