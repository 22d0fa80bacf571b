"""Journal notes (sagsnotater): what happened at a meeting or event, in words.

A note is dated by the day of the meeting, written by its author, and can be
changed by that author only for ``NOTE_EDIT_WINDOW`` after it was written;
then it is locked. Every version is kept in its history rows, as the facts'
are. Providers and the secretariat never read a note (see permissions.py).
"""

import datetime as dt

from django.db import models
from django.utils import timezone
from django.utils.text import Truncator
from django.utils.translation import gettext_lazy as _

from .facts import CaseFact

# How long the author may still change a note; a record must not be rewritten later.
NOTE_EDIT_WINDOW = dt.timedelta(hours=24)
NOTE_MAX_LENGTH = 10_000


class JournalNote(CaseFact):
    happened_on = models.DateField(
        _("date"),
        default=timezone.localdate,
        help_text=_("The day of the meeting or event the note is about."),
    )
    text = models.TextField(_("note"), max_length=NOTE_MAX_LENGTH)

    date_field = "happened_on"

    class Meta:
        verbose_name = _("journal note")
        verbose_name_plural = _("journal notes")
        ordering = ["-happened_on", "-created_at"]
        indexes = [models.Index(fields=["case", "happened_on"], name="note_case_date_idx")]

    def timeline_text(self) -> str:
        excerpt = Truncator(" ".join(self.text.split())).chars(80)
        return f"{_('Journal note')}: {excerpt}" if excerpt else str(_("Journal note"))

    @property
    def locked_at(self) -> dt.datetime:
        return self.created_at + NOTE_EDIT_WINDOW

    def is_editable_by(self, user, *, now: dt.datetime | None = None) -> bool:
        """Only its author, and only within ``NOTE_EDIT_WINDOW`` of writing it."""
        now = now or timezone.now()
        return (
            user is not None
            and user.pk is not None
            and self.created_by_id == user.pk
            and now < self.locked_at
        )
