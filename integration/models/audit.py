"""The access log: who saw or changed which citizen, and when.

Rows are only ever added. The model refuses updates and deletes, and no view
or service offers either; only the retention command (``apply_retention``)
removes rows past their retention period.
"""

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .fields import optional_reference, user_reference
from .people import Citizen


class AccessAction(models.TextChoices):
    VIEW = "view", _("View")
    SEARCH = "search", _("Search")
    CHANGE = "change", _("Change")
    EXPORT = "export", _("Export")
    PRINT = "print", _("Print")
    IMPORT = "import", _("Import")
    SIGN_IN = "sign-in", _("Sign-in")


class AppendOnlyError(Exception):
    pass


class AccessLogQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise AppendOnlyError("The access log cannot be changed.")

    def delete(self):
        raise AppendOnlyError("The access log cannot be deleted from.")

    # The two exceptions, for integration.retention only: rows past the access
    # log's retention period go, and a search term that names an anonymised
    # citizen is blanked.
    def retention_delete(self) -> int:
        return super().delete()[0]

    def retention_blank_search_terms(self) -> int:
        return super().update(search_term="")


class AccessLog(models.Model):
    at = models.DateTimeField(_("time"), auto_now_add=True, db_index=True)
    # Found by the indexes (user, at) and (citizen, at) below; an index of
    # each alone would only slow the 10,000 rows an import writes.
    user = user_reference(verbose_name=_("user"), db_index=False)
    # Kept as text too, so that the row still says who it was if a user is renamed.
    username = models.CharField(_("username"), max_length=150)
    action = models.CharField(_("action"), max_length=10, choices=AccessAction.choices)
    citizen = optional_reference(
        Citizen, verbose_name=_("citizen"), related_name="+", db_index=False
    )
    search_term = models.CharField(_("search term"), max_length=200, blank=True)
    what = models.CharField(_("what"), max_length=200, blank=True)
    path = models.CharField(_("address"), max_length=500, blank=True)

    objects = AccessLogQuerySet.as_manager()

    class Meta:
        ordering = ["-at", "-id"]
        verbose_name = _("access log entry")
        verbose_name_plural = _("access log")
        default_permissions = ("view",)
        indexes = [
            models.Index(fields=["citizen", "at"], name="accesslog_citizen_idx"),
            models.Index(fields=["user", "at"], name="accesslog_user_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.at:%Y-%m-%d %H:%M} {self.username} {self.action}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise AppendOnlyError("The access log cannot be changed.")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise AppendOnlyError("The access log cannot be deleted from.")


class PendingUpload(models.Model):
    """A checked file waiting for its uploader to confirm the import.

    It lives here, not in the session: the session is signed, not encrypted,
    is rewritten on every request, and outlives retention. A pending upload is
    deleted on confirm, on a new upload, and by ``apply_retention`` once it is
    older than ``PENDING_UPLOAD_SECONDS``; an older one is never read.
    """

    key = models.UUIDField(unique=True, default=uuid.uuid4, editable=False)
    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="+")
    purpose = models.CharField(max_length=40)
    meta = models.JSONField(default=dict)
    text = models.TextField()
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)

    class Meta:
        default_permissions = ()

    def __str__(self) -> str:
        return f"{self.purpose} by {self.user_id} at {self.created_at:%Y-%m-%d %H:%M}"
