"""What a council report is, wherever it is made or shown: its kinds' titles
and file names, the service review's narrative sections, the steps a job
goes through, and the checks that keep a report from being published.

Making one runs in one pass down and back (``evaluation.services.report_make``):
the figures are read through selectors as plain rows and computed with pure
metrics (``evaluation.figures``), disclosure is applied once and the numbers
are written in Danish (``evaluation.pdf.context``), and the page is rendered
to PDF (``evaluation.pdf.render``).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping

from django.utils.translation import gettext as _

from common import cpr
from evaluation.models import ReportArchive, ReportKind, ReportNarrative

# Anything shaped like a CPR number (DDMMYY-SSSS) must never reach a report.
CPR_RE = re.compile(r"\d{6}-?\d{4}")

# The service review's narrative sections, in the order they are printed
# (seed 001: the law against the municipality's effort comes right after the
# introduction; the interviews are an annex at the end).
NARRATIVE_SECTIONS: list[tuple[str, str]] = [
    ("introduction", "Indledning"),
    ("law", "Lovgivningen på området contra kommunens indsats"),
    ("employment", "Beskæftigelse og selvforsørgelse"),
    ("benchmark", "Sammenligning med andre kommuner"),
    ("repatriation", "Repatriering"),
    ("progression", "Progressionsmålinger"),
    ("danish", "Danskuddannelse"),
    ("conclusion", "Konklusion"),
    ("interviews", "Bilag: Kvalitative interviews"),
]
NARRATIVE_KEYS = [key for key, _label in NARRATIVE_SECTIONS]
# Sections printed only when written; the review can be made without them.
OPTIONAL_NARRATIVE_KEYS = frozenset({"interviews"})
REQUIRED_NARRATIVE_KEYS = [key for key in NARRATIVE_KEYS if key not in OPTIONAL_NARRATIVE_KEYS]

FILENAME_PREFIX = {
    ReportKind.MONTHLY: "maanedsopfoelgning",
    ReportKind.SERVICE_REVIEW: "serviceeftersyn",
}
TITLES = {
    ReportKind.MONTHLY: "Månedlig opfølgning på integrationsindsatsen",
    ReportKind.SERVICE_REVIEW: "Serviceeftersyn af integrationsindsatsen",
}

# What a job is doing, for its progress page (keys are stored on the job).
STEPS = {
    "queued": 0,
    "figures": 10,
    "charts": 40,
    "pdf": 60,
    "archive": 90,
    "done": 100,
}

StepCallback = Callable[[str, int], None]


class ReportRefused(Exception):
    """The report cannot be made as asked (a month not over, draft texts...).
    The message names no person and is safe to show to the user."""


def figures_are_draft(figures: Mapping) -> bool:
    """A service review is a draft while any narrative section is not final
    (an optional section left unwritten is simply not printed)."""
    if figures.get("kind") != ReportKind.SERVICE_REVIEW:
        return False
    narratives = figures.get("narratives") or {}

    def draft(key: str) -> bool:
        narrative = narratives.get(key) or {}
        if key in OPTIONAL_NARRATIVE_KEYS and not (narrative.get("text") or "").strip():
            return False
        return narrative.get("status") != ReportNarrative.Status.FINAL

    return any(draft(key) for key in NARRATIVE_KEYS)


def check_no_cpr(figures: Mapping) -> None:
    """Last guard: no CPR-shaped string anywhere in the figures (narratives
    included) goes into a published report."""

    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield str(k)
                yield from walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                yield from walk(v)

    for text in walk(figures):
        if CPR_RE.search(text) or cpr.found_in_text(text):
            raise ReportRefused("The report's text holds something shaped like a CPR number.")


CASE_NUMBER_MAX = 40
# A journal number as the municipality's case system writes it (KLE numbers,
# letters, dots, hyphens, slashes): nothing else is printed on a public paper.
CASE_NUMBER_RE = re.compile(r"[0-9A-Za-zÆØÅæøå][0-9A-Za-zÆØÅæøå./ -]*")


def clean_case_number(raw: str) -> str:
    """The council's case number as the cover prints it ("" for none); a
    ValueError says what is wrong with it."""
    value = " ".join((raw or "").split())
    if not value:
        return ""
    if len(value) > CASE_NUMBER_MAX or not CASE_NUMBER_RE.fullmatch(value):
        raise ValueError(
            _("A case number holds at most %(max)d letters, digits, dots, hyphens and slashes.")
            % {"max": CASE_NUMBER_MAX}
        )
    if (
        CPR_RE.search(value)
        or cpr.found_in_text(value)
        or cpr.found_in_text(value.replace("-", ""))
    ):
        raise ValueError(_("That looks like a CPR number, not a case number."))
    return value


def download_filename(archive: ReportArchive) -> str:
    """``maanedsopfoelgning-2026-10-v2.pdf``: plain ASCII, safe in any header."""
    return f"{FILENAME_PREFIX[archive.kind]}-{archive.period}-v{archive.version}.pdf"
