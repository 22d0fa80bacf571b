"""The change history of a case: old and new values, who and when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from django.utils.translation import gettext as _

from integration.models import (
    FACT_MODELS,
    Case,
    Citizen,
    JournalNote,
)


@dataclass(frozen=True)
class FieldChange:
    field: str
    old: str
    new: str


@dataclass(frozen=True)
class HistoryEntry:
    at: dt.datetime
    user: str
    record: str
    kind: str  # "+" created, "~" changed, "-" deleted
    changes: list[FieldChange]


def case_change_history(
    case: Case, *, limit: int = 200, with_notes: bool = False
) -> list[HistoryEntry]:
    """Old and new values of every change to the case, its citizen and facts,
    and of its journal notes when ``with_notes`` (for a user who may read them).

    One query per model kind (history rows with their users), whatever the
    number of changes.
    """
    sources = [
        (case.citizen.history.model.objects.filter(id=case.citizen_id), Citizen),
        (case.history.model.objects.filter(id=case.pk), Case),
    ]
    for model in FACT_MODELS.values():
        sources.append((model.history.model.objects.filter(case_id=case.pk), model))
    if with_notes:
        sources.append((JournalNote.history.model.objects.filter(case_id=case.pk), JournalNote))
    entries: list[HistoryEntry] = []
    for qs, model in sources:
        rows = list(qs.select_related("history_user").order_by("id", "history_id"))
        previous: dict[int, object] = {}
        for row in rows:
            before = previous.get(row.id)
            changes = []
            if before is not None:
                delta = row.diff_against(before, excluded_fields=_HISTORY_HIDDEN)
                changes = [
                    FieldChange(
                        str(model._meta.get_field(c.field).verbose_name),
                        _history_value(model, c.field, c.old),
                        _history_value(model, c.field, c.new),
                    )
                    for c in delta.changes
                ]
                if not changes and row.history_type == "~":
                    previous[row.id] = row
                    continue
            entries.append(
                HistoryEntry(
                    at=row.history_date,
                    user=row.history_user.get_username() if row.history_user else "",
                    record=str(model._meta.verbose_name),
                    kind=row.history_type,
                    changes=changes,
                )
            )
            previous[row.id] = row
    entries.sort(key=lambda e: e.at, reverse=True)
    return entries[:limit]


# Bookkeeping fields whose changes say nothing to a reader of the history.
_HISTORY_HIDDEN = [
    "version",
    "first_placement_on",
    "next_deadline",
    "next_deadline_kind",
    "created_at",
    "created_by",
    "birth_date",
]


def _history_value(model, name: str, value) -> str:
    field = model._meta.get_field(name)
    if value is None or value == "":
        return "–"
    if field.choices:
        return str(dict(field.flatchoices).get(value, value))
    if field.is_relation:
        related = field.related_model.objects.filter(pk=value).first()
        return str(related) if related else str(value)
    if isinstance(value, dt.date):
        return value.strftime("%d-%m-%Y")
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    return str(value)
