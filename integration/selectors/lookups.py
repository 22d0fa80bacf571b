"""Cases by CPR number and the providers' spells, read in chunks for the imports."""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterable
from dataclasses import dataclass

from django.db.models import Q
from django.db.models.functions import Lower

from common.csvimport import chunks
from common.lookups import among
from integration.models import (
    Case,
    Citizen,
    DanishCourse,
    LadderPlacement,
)


def citizen_names_in(text: str) -> list[str]:
    """The full names of citizens in the register that ``text`` writes out.

    For texts that will be published: a candidate is any citizen whose first
    or last name is a word of the text, and it is found when the whole name
    stands in it, whatever the case."""
    words = {w.lower() for w in re.findall(r"[^\W\d_]+(?:-[^\W\d_]+)*", text or "")}
    if not words:
        return []
    folded = " ".join((text or "").lower().split())
    found = []
    candidates = (
        Citizen.objects.annotate(first=Lower("first_name"), last=Lower("last_name"))
        .filter(Q(first__in=words) | Q(last__in=words))
        .values_list("first_name", "last_name")
    )
    for first, last in candidates:
        name = " ".join(f"{first} {last}".lower().split())
        if first and last and name in folded:
            found.append(f"{first} {last}")
    return sorted(set(found))


def cases_by_cpr(numbers: Iterable[str]) -> dict[str, Case]:
    cases: dict[str, Case] = {}
    stored = Case.objects.select_related("citizen", "citizen__household")
    for qs in among(stored, "citizen__cpr", sorted(set(numbers))):
        cases.update((case.citizen.cpr, case) for case in qs)
    return cases


@dataclass(frozen=True)
class CaseRef:
    """What the employment and measurement imports need of a stored case."""

    pk: int
    citizen_id: int
    arrival_date: dt.date


def case_refs_by_cpr(numbers: Iterable[str]) -> dict[str, CaseRef]:
    """The cases of these CPR numbers as plain values: for 10,000 numbers a
    tenth of the time that building Case and Citizen instances takes."""
    refs: dict[str, CaseRef] = {}
    stored = Case.objects.values_list("citizen__cpr", "pk", "citizen_id", "citizen__arrival_date")
    for rows in among(stored, "citizen__cpr", sorted(set(numbers))):
        refs.update((number, CaseRef(*values)) for number, *values in rows)
    return refs


def provider_spells(
    case_ids: Iterable[int],
) -> dict[int, list[tuple[int, dt.date, dt.date | None]]]:
    """Case id → (provider organisation id, start, end) of every ladder placement
    and Danish course with a provider: two queries per 500 cases."""
    ids = sorted(set(case_ids))
    spells: dict[int, list[tuple[int, dt.date, dt.date | None]]] = {}
    for chunk in chunks(ids):
        for model in (LadderPlacement, DanishCourse):
            rows = model.objects.filter(case_id__in=chunk, provider__isnull=False).values_list(
                "case_id", "provider_id", "start_date", "end_date"
            )
            for case_id, provider_id, start, end in rows:
                spells.setdefault(case_id, []).append((provider_id, start, end))
    return spells
