"""A citizen's own record (indsigt): everything the product holds about them.

An administrator exports it on the citizen's request, as JSON and as PDF. The
record has one section per kind of row that holds the citizen's data, each
with its change history, and ends with the access log: who read or changed
the record, and when. Every app gives its own sections through its
AppConfig's ``citizen_record_sections`` hook (integration's are here;
progression gives its rounds, scores and topics), so this module knows no
model above its own floor. ``tests/integration/test_citizen_record.py`` walks
every model and fails when one that leads to a citizen or a case is in no
section.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

from django.apps import apps as global_apps
from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.template.loader import render_to_string
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common.record import RecordSection, model_section
from integration.models import (
    FACT_MODELS,
    AccessLog,
    Case,
    CaseStatusChange,
    Citizen,
    Household,
    JournalNote,
    User,
)

FORMAT_VERSION = 1
# Bookkeeping that says nothing about the person: the row's UUID (its
# address), its optimistic-locking counter and the case it belongs to
# (this whole record is that case's).
BOOKKEEPING = ("uuid", "version", "case")


def integration_sections(*, case: Case) -> list[RecordSection]:
    """The citizen, their household's reference, the case and its status
    changes, every fact, the journal notes, and the access log."""
    citizen = case.citizen
    sections = [
        model_section(Citizen, Citizen.objects.filter(pk=citizen.pk), exclude=["uuid"]),
        model_section(
            Household,
            Household.objects.filter(pk=citizen.household_id),
            exclude=["uuid"],
            note=_("The household's reference only; the other members' records are their own."),
        ),
        model_section(Case, Case.objects.filter(pk=case.pk), exclude=["uuid", "version"]),
        model_section(
            CaseStatusChange, CaseStatusChange.objects.filter(case=case), exclude=["case"]
        ),
    ]
    for model in [*FACT_MODELS.values(), JournalNote]:
        sections.append(
            model_section(
                model,
                model.objects.filter(case=case),
                history=model.history.model.objects.filter(case_id=case.pk),
                exclude=BOOKKEEPING,
            )
        )
    sections.append(
        model_section(
            AccessLog,
            AccessLog.objects.filter(citizen=citizen),
            exclude=["citizen", "user"],
            title=_("Who read or changed the record (the access log)"),
        )
    )
    return sections


def record_sections(case: Case) -> list[RecordSection]:
    """Every app's sections of the case's citizen, in the order of INSTALLED_APPS."""
    sections: list[RecordSection] = []
    for config in global_apps.get_app_configs():
        hook = getattr(config, "citizen_record_sections", None)
        if hook:
            sections.extend(hook(case=case))
    return sections


def citizen_record(*, citizen: Citizen, exported_by: User, now: dt.datetime | None = None) -> dict:
    """The whole record as plain data, in Danish: what the JSON file holds."""
    now = now or timezone.now()
    case = Case.objects.select_related("citizen").get(citizen=citizen)
    with translation.override("da"):
        sections = record_sections(case)
        return {
            "format": "citizen-record",
            "format_version": FORMAT_VERSION,
            "municipality": settings.MUNICIPALITY_NAME,
            "exported_at": timezone.localtime(now).isoformat(),
            "exported_by": exported_by.get_username(),
            "citizen": {"name": citizen.full_name, "cpr": citizen.formatted_cpr},
            "sections": [section.as_json() for section in sections],
        }


def record_json(record: dict) -> bytes:
    return json.dumps(record, cls=DjangoJSONEncoder, ensure_ascii=False, indent=2).encode()


# --- the PDF -------------------------------------------------------------------

# A section with this many columns or fewer is one table; a wider one shows
# each row as a list of label and value, which fits an A4 page.
TABLE_COLUMNS = 6


def _shown(value: Any) -> str:
    """A JSON value as the PDF prints it: Danish dates, Ja/Nej, – for nothing."""
    if value is None or value == "":
        return "–"
    if isinstance(value, bool):
        return "Ja" if value else "Nej"
    if isinstance(value, float):
        return f"{value:.2f}".replace(".", ",")
    if isinstance(value, str) and len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            if len(value) == 10:
                return dt.date.fromisoformat(value).strftime("%d-%m-%Y")
            moment = timezone.localtime(dt.datetime.fromisoformat(value))
            return moment.strftime("%d-%m-%Y %H:%M")
        except ValueError:
            return value
    return str(value)


def _pdf_section(section: dict) -> dict:
    labels = {c["name"]: c["label"] for c in section["columns"]}
    names = [c["name"] for c in section["columns"]]
    rows = [
        {"record": row["record"], "cells": [(labels[n], _shown(row[n])) for n in names]}
        for row in section["rows"]
    ]
    history = [
        {
            "at": _shown(entry["at"]),
            "by": entry["by"] or "(systemet)",
            "type": {"created": "oprettet", "changed": "ændret", "deleted": "slettet"}.get(
                entry["type"], entry["type"]
            ),
            "record": entry["record"],
            "changes": [
                (labels.get(name, name), _shown(change["from"]), _shown(change["to"]))
                for name, change in entry["changes"].items()
            ],
        }
        for entry in section["history"] or []
    ]
    return {
        **section,
        "as_table": len(names) <= TABLE_COLUMNS,
        "labels": [labels[n] for n in names],
        "pdf_rows": rows,
        "pdf_history": history,
        "has_history": section["history"] is not None,
    }


def record_html(record: dict) -> str:
    context = {
        "record": record,
        "exported_at": _shown(record["exported_at"]),
        "sections": [_pdf_section(s) for s in record["sections"]],
        "stylesheet_urls": ["static/css/report.css", "static/css/record.css"],
    }
    with translation.override("da"):
        return render_to_string("integration/record_pdf.html", context)


def record_pdf(record: dict) -> bytes:
    # Rendered by the kernel directly: this PDF names the citizen by design,
    # so it is not one of the reports the tests' leak guard watches.
    from common.pdf import render_pdf

    return render_pdf(record_html(record))
