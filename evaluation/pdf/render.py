"""The report page as HTML and as PDF.

WeasyPrint fetches nothing but the app's own static files
(``common.pdf.static_only_fetcher``); charts are embedded as ``data:`` URIs by
the context builders.
"""

from __future__ import annotations

import html as html_text
import re
import threading
from collections.abc import Mapping

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

# The kernel's renderer, named here too: the reports are made through
# ``render.render_pdf`` (services, tests and the tests' leak guard).
from common.pdf import REPORT_BASE_URL as REPORT_BASE_URL
from common.pdf import STATIC_PREFIX as STATIC_PREFIX
from common.pdf import FetchRefused as FetchRefused
from common.pdf import load_renderer
from common.pdf import render_pdf as render_pdf
from common.pdf import static_only_fetcher as static_only_fetcher
from evaluation.charts import load_plotting
from evaluation.models import ReportKind
from evaluation.pdf.context import monthly_context, service_review_context
from evaluation.reports import NARRATIVE_SECTIONS, figures_are_draft


def load_in_background(*, plotting: bool = True) -> threading.Thread:
    """Start importing the chart and PDF libraries (about 0,6 s in a fresh
    process, the CLI's) on a thread of their own, while the figures are
    counted: the database does that work, and the process mostly waits.
    Importing what is loaded already costs nothing (a web worker's).
    ``plotting=False``: the charts are drawn in another process."""

    def load() -> None:
        if plotting:
            load_plotting()
        load_renderer()

    thread = threading.Thread(target=load, name="report-libraries", daemon=True)
    thread.start()
    return thread


# The papers' section headings (and the notes'): ``<h2 id="...">``.
SECTION_HEADING = re.compile(r'<h2 id="(?P<id>[^"]+)"[^>]*>(?P<text>.*?)</h2>', re.DOTALL)
TOC_HEADING_ID = "toc-heading"


def render_html(
    figures: Mapping,
    *,
    min_cell: int | None = None,
    draft: bool | None = None,
    stylesheet_url: str | None = None,
    preview: bool = False,
    back_url: str | None = None,
) -> str:
    """The report as one standalone Danish HTML page.

    ``stylesheet_url`` is where the page finds report.css: by default the
    path WeasyPrint's fetcher serves; the browser preview passes the static URL.
    """
    min_cell = settings.REPORT_MIN_CELL if min_cell is None else min_cell
    draft = figures_are_draft(figures) if draft is None else draft
    kind = figures["kind"]
    with translation.override("da"):
        if kind == ReportKind.MONTHLY:
            ctx = monthly_context(figures, min_cell=min_cell, draft=draft)
            template = "evaluation/pdf/monthly.html"
        elif kind == ReportKind.SERVICE_REVIEW:
            ctx = service_review_context(figures, min_cell=min_cell, draft=draft)
            template = "evaluation/pdf/service_review.html"
        else:
            raise ValueError(f"Unknown report kind {kind!r}")
        ctx["stylesheet_url"] = stylesheet_url or STATIC_PREFIX + "css/report.css"
        ctx["preview"] = preview
        ctx["back_url"] = back_url
        ctx["narrative_sections"] = NARRATIVE_SECTIONS
        page = render_to_string(template, ctx)
        if kind == ReportKind.SERVICE_REVIEW:
            # The contents list the headings the page really has, whoever added them.
            ctx["toc"] = table_of_contents(page)
            page = render_to_string(template, ctx)
        return page


def table_of_contents(page: str) -> list[dict]:
    """The section headings of a rendered report page, in order, as ``id`` and
    ``text``; the cover prints them with their page numbers (CSS target-counter)."""
    entries = []
    for match in SECTION_HEADING.finditer(page):
        if match["id"] == TOC_HEADING_ID:
            continue
        text = html_text.unescape(re.sub(r"<[^>]+>", "", match["text"]))
        entries.append({"id": match["id"], "text": " ".join(text.split())})
    return entries
