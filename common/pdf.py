"""HTML to PDF with WeasyPrint, loading nothing but the app's own static files.

The council reports (``evaluation.pdf.render``) and a citizen's own record
(``integration.record``) are rendered here, with the one font the product
ships (``static/fonts``, loaded by ``static/css/report.css``).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping

# WeasyPrint resolves relative URLs against this; the fetcher serves only
# ``<REPORT_BASE_URL>static/...`` from the staticfiles finders. ".invalid"
# can never resolve to a real host (RFC 2606).
REPORT_BASE_URL = "https://report.invalid/"
STATIC_PREFIX = "static/"


class FetchRefused(ValueError):
    """WeasyPrint asked for something other than the app's own static files."""


def static_only_fetcher(made: Mapping[str, Callable[[], bytes]] | None = None):
    """A WeasyPrint URL fetcher that serves ``static/...`` from the staticfiles
    finders and ``data:`` URIs, and refuses everything else: a report never
    makes a network request or reads a file outside the app's static files.

    ``made`` adds the SVG images the caller makes itself, by address under
    ``REPORT_BASE_URL``: the renderer asks for each when it needs it, and
    the call gives its bytes (a paper's charts, drawn meanwhile).

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
            if made and url in made:
                self.fetched.append(url)
                return URLFetcherResponse(
                    url, made[url](), {"Content-Type": "image/svg+xml"}, status=200
                )
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


def load_renderer() -> None:
    """Import WeasyPrint (about half a second, most of it its text layout's
    bindings), so that a report can have it loaded while its figures are
    counted."""
    import weasyprint  # noqa: F401


def render_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of a page: A4, page numbers from report.css, and tagged as
    PDF/UA-1 so that a screen reader can read it (the public agenda's
    attachment, a citizen's record: alt texts and table headers go with it)."""
    from weasyprint import HTML

    fetcher = fetcher or static_only_fetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1")
