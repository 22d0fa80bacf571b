"""The integration case: one per citizen, with its team, caseworker and status."""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from integration.deadlines import DeadlineKind

from .fields import history_records, optional_reference, user_reference
from .org import Team
from .people import Citizen


class CaseStatus(models.TextChoices):
    OPEN = "open", _("Open")
    CLOSED = "closed", _("Closed")


# The only status changes a case may make; checked in services.case_transition.
ALLOWED_TRANSITIONS: dict[str, set[str]] = {
    CaseStatus.OPEN: {CaseStatus.CLOSED},
    CaseStatus.CLOSED: {CaseStatus.OPEN},
}


class ClosingReason(models.TextChoices):
    MOVED_AWAY = "moved_away", _("Moved away")
    PROGRAMME_COMPLETED = "programme_completed", _("Programme completed")
    REPATRIATED = "repatriated", _("Repatriated")
    DECEASED = "deceased", _("Deceased")
    PENSION = "pension", _("Pension")
    SELF_SUPPORTING = "self_supporting", _("Self-supporting")


class Case(models.Model):
    uuid = models.UUIDField(default=uuid.uuid4, unique=True, editable=False)
    citizen = models.OneToOneField(
        Citizen, verbose_name=_("citizen"), on_delete=models.PROTECT, related_name="case"
    )
    # Both found by the urgency indexes below, which begin with them; an index
    # of each alone would only slow every new case.
    team = models.ForeignKey(
        Team, verbose_name=_("team"), on_delete=models.PROTECT, related_name="cases", db_index=False
    )
    caseworker = optional_reference(
        settings.AUTH_USER_MODEL,
        verbose_name=_("caseworker"),
        related_name="cases",
        db_index=False,
    )
    status = models.CharField(
        _("status"), max_length=10, choices=CaseStatus.choices, default=CaseStatus.OPEN
    )
    closing_reason = models.CharField(
        _("closing reason"), max_length=30, choices=ClosingReason.choices, blank=True
    )
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    # Optimistic locking: a save carries the version it was read at.
    version = models.PositiveIntegerField(default=1, editable=False)
    # Kept current by services.case_refresh_deadlines whenever a fact changes,
    # so that the caseload can filter and sort by urgency in the database.
    first_placement_on = models.DateField(null=True, blank=True, editable=False)
    next_deadline = models.DateField(_("next deadline"), null=True, blank=True, editable=False)
    next_deadline_kind = models.CharField(
        max_length=20, choices=DeadlineKind.choices, blank=True, editable=False
    )
    # Dialogue topics from progression rounds that still await an agreement;
    # kept by services.case_set_open_topics so the caseload can mark them.
    open_topics = models.PositiveSmallIntegerField(default=0, editable=False)
    created_at = models.DateTimeField(auto_now_add=True)
    # Looked up by id alone: see Citizen.history.
    history = history_records(no_db_index=["uuid", "citizen", "team", "caseworker"])

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        permissions = [
            ("view_all_cases", "Can read the cases of every team"),
            ("view_referred_citizens", "Can see citizens referred to own organisation"),
            ("import_data", "Can import citizens and employment"),
            ("view_aggregates", "Can see aggregated figures"),
        ]
        indexes = [
            models.Index(fields=["team", "status", "next_deadline"], name="case_team_urgency_idx"),
            models.Index(
                fields=["caseworker", "status", "next_deadline"], name="case_worker_urgency_idx"
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=(
                    models.Q(status=CaseStatus.OPEN, closing_reason="")
                    | (models.Q(status=CaseStatus.CLOSED) & ~models.Q(closing_reason=""))
                ),
                name="case_closing_reason_iff_closed",
            ),
        ]

    def __str__(self) -> str:
        return str(self.citizen)


class CaseStatusChange(models.Model):
    """One row per opening, closing or reopening: history is never overwritten."""

    case = models.ForeignKey(Case, on_delete=models.PROTECT, related_name="status_changes")
    from_status = models.CharField(max_length=10, choices=CaseStatus.choices, blank=True)
    to_status = models.CharField(max_length=10, choices=CaseStatus.choices)
    reason = models.CharField(
        _("closing reason"), max_length=30, choices=ClosingReason.choices, blank=True
    )
    note = models.TextField(_("note"), blank=True)
    changed_on = models.DateField(_("date"))
    changed_by = user_reference()
    changed_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["changed_at"]
        verbose_name = _("status change")
        verbose_name_plural = _("status changes")

    def __str__(self) -> str:
        return f"{self.from_status or '-'} -> {self.to_status} ({self.changed_on})"
