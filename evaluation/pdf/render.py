"""The report page as HTML and as PDF.

WeasyPrint fetches nothing but the app's own static files
(:func:`static_only_fetcher`); charts are embedded as ``data:`` URIs by the
context builders.
"""

from __future__ import annotations

import html as html_text
import re
from collections.abc import Mapping

from django.conf import settings
from django.template.loader import render_to_string
from django.utils import translation

from evaluation.models import ReportKind
from evaluation.pdf.context import monthly_context, service_review_context
from evaluation.reports import NARRATIVE_SECTIONS, figures_are_draft

# WeasyPrint resolves relative URLs against this; the fetcher serves only
# ``<REPORT_BASE_URL>static/...`` from the staticfiles finders. ".invalid"
# can never resolve to a real host (RFC 2606).
REPORT_BASE_URL = "https://report.invalid/"
STATIC_PREFIX = "static/"

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


class FetchRefused(ValueError):
    """WeasyPrint asked for something other than the app's own static files."""


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves ``static/...`` from the staticfiles
    finders and ``data:`` URIs, and refuses everything else: a report never
    makes a network request or reads a file outside the app's static files.

    A refusal stops the rendering (``fail_on_errors``): a report that misses a
    part must not be published.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, fail_on_errors=True, timeout=1)
            self.fetched: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(REPORT_BASE_URL + STATIC_PREFIX):
                path = url[len(REPORT_BASE_URL + STATIC_PREFIX) :].split("?")[0].split("#")[0]
                found = _find_static(path)
                if found is not None:
                    self.fetched.append(url)
                    with open(found, "rb") as handle:
                        body = handle.read()
                    return URLFetcherResponse(
                        url, body, {"Content-Type": _mime_type(path)}, status=200
                    )
            self.refused.append(url)
            raise FetchRefused(f"Reports may load only the app's static files, not {url}")

    return StaticOnlyFetcher()


def _find_static(path: str) -> str | None:
    from django.contrib.staticfiles import finders

    if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
        return None
    found = finders.find(path)
    if isinstance(found, list):
        found = found[0] if found else None
    return found


def _mime_type(path: str) -> str:
    import mimetypes

    guessed, _encoding = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def render_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of a report page: A4, page numbers from report.css, and tagged
    as PDF/UA-1 so that a screen reader can read the public agenda's
    attachment (the charts' alt texts and table headers go with it)."""
    from weasyprint import HTML

    fetcher = fetcher or static_only_fetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1")
