"""Journal notes: written by a caseworker, changed by the author for 24 hours, then locked."""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from integration.models import Case, JournalNote, User
from integration.services.access_log import log_change
from integration.services.versions import save_versioned, set_history_user


class NoteLockedError(PermissionDenied):
    """The note is someone else's, or older than its edit window: it cannot change."""

    def __init__(self, message: str | None = None):
        super().__init__(
            message
            or _(
                "This note is locked: only its author can change a note, and only for "
                "24 hours after writing it. Write a new note instead."
            )
        )


def _check_date(note: JournalNote, today: dt.date) -> None:
    if note.happened_on and note.happened_on > today:
        raise ValidationError({"happened_on": _("A note is about something that has happened.")})


@transaction.atomic
def journal_note_create(*, actor: User, case: Case, happened_on: dt.date, text: str) -> JournalNote:
    """Add a note to the case, written by ``actor``."""
    if case.citizen.anonymised_on is not None:
        raise PermissionDenied("An anonymised case takes no new notes.")
    note = JournalNote(case=case, happened_on=happened_on, text=text, created_by=actor)
    note.full_clean(exclude=["case"])
    _check_date(note, timezone.localdate())
    set_history_user(note, actor)
    note.save()
    log_change(actor, case.citizen, "journal note added", only_scores_on=())
    return note


@transaction.atomic
def journal_note_update(
    *,
    actor: User,
    note: JournalNote,
    version: int,
    happened_on: dt.date,
    text: str,
    now: dt.datetime | None = None,
) -> JournalNote:
    """Change the note's date and text, if ``actor`` wrote it less than 24 hours ago.

    The version it was read at guards against a second tab; the old words
    stay in the note's history.
    """
    now = now or timezone.now()
    if not note.is_editable_by(actor, now=now):
        raise NoteLockedError()
    note.happened_on = happened_on
    note.text = text
    note.full_clean(exclude=["case"])
    _check_date(note, timezone.localdate(now))
    set_history_user(note, actor)
    save_versioned(note, expected_version=version, fields=["happened_on", "text"])
    log_change(actor, note.case.citizen, "journal note changed", only_scores_on=())
    return note
