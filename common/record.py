"""A person's record as plain data: the rows of a model and their change history.

Each app describes its own rows of a citizen with :func:`model_section` (see
``integration.record``, which asks every app through its AppConfig's
``citizen_record_sections`` hook); the JSON file and the PDF of the record are
both made from the sections, so they hold the same things.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import models

# What a history row's type says, in the words of the record.
HISTORY_TYPES = {"+": "created", "~": "changed", "-": "deleted"}
# Never part of anyone's record: the row's number in the database.
ALWAYS_LEFT_OUT = {"id"}


@dataclass
class RecordSection:
    """One kind of row of the record, with its change history.

    ``covers`` names the models (``app_label.ModelName``) whose rows the
    section holds, its history model included; the completeness test reads it.
    """

    key: str
    title: str
    columns: list[tuple[str, str]]
    rows: list[dict[str, Any]]
    history: list[dict[str, Any]] | None = None
    covers: tuple[str, ...] = ()
    note: str = ""

    def as_json(self) -> dict[str, Any]:
        return {
            "key": self.key,
            "title": self.title,
            "note": self.note,
            "columns": [{"name": name, "label": label} for name, label in self.columns],
            "rows": self.rows,
            "history": self.history,
        }


class _Related:
    """The text of related rows, looked up once per row."""

    def __init__(self):
        self.cache: dict[tuple[type, Any], str] = {}

    def text(self, model: type[models.Model], pk: Any) -> str:
        key = (model, pk)
        if key not in self.cache:
            obj = model._default_manager.filter(pk=pk).first()
            self.cache[key] = str(obj) if obj is not None else str(pk)
        return self.cache[key]


def plain_value(
    obj: Any, f: models.Field, related: _Related, codes: frozenset = frozenset()
) -> Any:
    """The field's value on ``obj`` (a row or one of its history rows) as JSON:
    a choice by its label (by its code when ``f`` is in ``codes``), a related
    row by its text, a date in ISO form."""
    value = getattr(obj, f.attname)
    if value is None:
        return None
    if f.is_relation:
        return related.text(f.related_model, value)
    if f.choices and f.name not in codes:
        return str(dict(f.flatchoices).get(value, value))
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    if isinstance(value, Decimal | uuid.UUID):
        return str(value)
    return value


def record_fields(model: type[models.Model], exclude: Iterable[str] = ()) -> list[models.Field]:
    left_out = ALWAYS_LEFT_OUT | set(exclude)
    return [f for f in model._meta.concrete_fields if f.name not in left_out]


def _history(
    history_rows: Iterable[Any],
    fields: list[models.Field],
    numbers: dict[Any, int],
    value_of,
) -> list[dict[str, Any]]:
    """Each history row as what changed from the row's version before it."""
    entries = []
    previous: dict[Any, dict[str, Any]] = {}
    for row in history_rows:
        values = {f.name: value_of(row, f) for f in fields}
        before = previous.get(row.id)
        if before is None:
            changes = {name: {"from": None, "to": v} for name, v in values.items() if v is not None}
        else:
            changes = {
                name: {"from": before[name], "to": v}
                for name, v in values.items()
                if before[name] != v
            }
        previous[row.id] = values
        if before is not None and not changes and row.history_type == "~":
            continue
        if row.id not in numbers:
            numbers[row.id] = len(numbers) + 1  # a row deleted since
        user = row.history_user
        entries.append(
            {
                "at": row.history_date.isoformat(),
                "by": user.get_username() if user is not None else "",
                "type": HISTORY_TYPES.get(row.history_type, row.history_type),
                "record": numbers[row.id],
                "changes": changes,
            }
        )
    entries.sort(key=lambda e: e["at"])
    return entries


def model_section(
    model: type[models.Model],
    rows: models.QuerySet,
    *,
    history: models.QuerySet | None = None,
    exclude: Iterable[str] = (),
    codes: Iterable[str] = (),
    title: str | None = None,
    note: str = "",
) -> RecordSection:
    """The section of ``model``'s rows in a record, with their history when the
    model keeps one (``history``: its history rows of this person, deleted rows'
    included; by default those of the rows given). Fields in ``codes`` keep
    their stored code rather than their choice's label (a label in a script
    the record's font does not have)."""
    fields = record_fields(model, exclude)
    related = _Related()
    code_fields = frozenset(codes)

    def value_of(obj, f):
        return plain_value(obj, f, related, code_fields)

    objects = list(rows.order_by("pk"))
    numbers = {obj.pk: n for n, obj in enumerate(objects, start=1)}
    out_rows = [
        {"record": numbers[obj.pk], **{f.name: value_of(obj, f) for f in fields}} for obj in objects
    ]
    covers = [model._meta.label]
    entries = None
    history_manager = getattr(model, "history", None)
    if history_manager is not None and hasattr(history_manager, "model"):
        history_model = history_manager.model
        covers.append(history_model._meta.label)
        if history is None:
            history = history_model.objects.filter(id__in=list(numbers))
        history = history.select_related("history_user").order_by("history_date", "history_id")
        # A field the history does not keep (a derived search copy) has no past.
        kept = {f.name for f in history_model._meta.concrete_fields}
        entries = _history(history, [f for f in fields if f.name in kept], numbers, value_of)
    return RecordSection(
        key=model._meta.label,
        title=str(title or model._meta.verbose_name_plural),
        columns=[(f.name, str(f.verbose_name)) for f in fields],
        rows=out_rows,
        history=entries,
        covers=tuple(covers),
        note=note,
    )
