"""Checked files waiting for confirmation, kept in the database for an hour at most.

The session holds only the key. A user takes back only their own upload, for
the purpose it was made for, once: taking it deletes it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import MutableMapping
from dataclasses import dataclass

from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from common.csvimport import ImportReport, decode
from integration.models import PendingUpload, User


def _oldest_allowed(now: dt.datetime | None = None) -> dt.datetime:
    return (now or timezone.now()) - dt.timedelta(seconds=settings.PENDING_UPLOAD_SECONDS)


def pending_upload_put(*, user: User, purpose: str, meta: dict, text: str) -> str:
    """Keep ``text`` for ``user``; drops the user's earlier upload for the purpose."""
    PendingUpload.objects.filter(user=user, purpose=purpose).delete()
    upload = PendingUpload.objects.create(user=user, purpose=purpose, meta=meta, text=text)
    return str(upload.key)


def pending_upload_take(*, user: User, purpose: str, key: str | None) -> tuple[dict, str] | None:
    """The meta and text of the user's waiting upload, deleted as it is taken."""
    if not key:
        return None
    found = PendingUpload.objects.filter(
        key=key, user=user, purpose=purpose, created_at__gte=_oldest_allowed()
    ).first()
    PendingUpload.objects.filter(user=user, purpose=purpose).delete()
    return (found.meta, found.text) if found else None


def pending_upload_peek(*, user: User, purpose: str) -> tuple[dict, str] | None:
    """The user's latest upload for the purpose, left in place (downloads)."""
    found = (
        PendingUpload.objects.filter(user=user, purpose=purpose, created_at__gte=_oldest_allowed())
        .order_by("-created_at")
        .first()
    )
    return (found.meta, found.text) if found else None


def pending_upload_drop(*, user: User, purpose: str) -> None:
    PendingUpload.objects.filter(user=user, purpose=purpose).delete()


def pending_uploads_expire(*, now: dt.datetime | None = None) -> int:
    """Delete every upload past its hour; ``apply_retention`` calls this."""
    return PendingUpload.objects.filter(created_at__lt=_oldest_allowed(now)).delete()[0]


@dataclass(frozen=True)
class UploadWaiting:
    """One upload page's checked file between the check and the confirm: the
    database keeps the text, the session only its key. The citizen, employment
    and benchmark imports all wait this way."""

    purpose: str
    session_key: str

    def drop(self, *, session: MutableMapping, user: User) -> None:
        """A new upload, or coming back to the upload page, drops any file left waiting."""
        session.pop(self.session_key, None)
        pending_upload_drop(user=user, purpose=self.purpose)

    def keep(self, *, session: MutableMapping, user: User, raw: bytes, meta: dict) -> None:
        session[self.session_key] = pending_upload_put(
            user=user, purpose=self.purpose, meta=meta, text=decode(raw)
        )

    def take(self, *, session: MutableMapping, user: User) -> tuple[dict, str] | None:
        """The meta and text the confirm runs again, once; None when nothing waits."""
        key = session.pop(self.session_key, None)
        return pending_upload_take(user=user, purpose=self.purpose, key=key)

    def preview(self, *, user: User, report: ImportReport) -> dict:
        """What every preview page shows of a checked or written file."""
        return {
            "report": report,
            "can_confirm": report.ok and not report.written,
            "errors_url": import_errors_url(user=user, report=report),
        }


ERRORS_PURPOSE = "import errors"


def import_errors_url(*, user: User, report: ImportReport) -> str:
    """Keep a list of errors too long for a page for an hour; the address of its
    download, or "" when the page shows every error."""
    if not report.more_errors:
        return ""
    pending_upload_put(
        user=user,
        purpose=ERRORS_PURPOSE,
        meta={"filename": report.filename},
        text=report.errors_csv(),
    )
    return reverse("integration:import_errors")
