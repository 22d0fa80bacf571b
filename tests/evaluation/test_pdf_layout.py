"""The papers as a secretariat attaches them: A4 portrait, nothing past the
margins, a cover, contents with the right page numbers, the product's own
font, the same layout on any machine, Danish typography.

Every check reads the PDF back (word boxes from ``pdftotext -bbox``, text and
fonts from pypdf), as a reader or an auditor would, from hand-written figures.
"""

import base64
import html
import io
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings
from pypdf import PdfReader

from evaluation import charts
from evaluation.pdf import context, formatting, render
from tests.evaluation.test_reports import MUNICIPALITY, monthly_by_hand, review_by_hand

pytestmark = [
    pytest.mark.django_db,
    pytest.mark.skipif(shutil.which("pdftotext") is None, reason="needs poppler's pdftotext"),
]

# A4 portrait in points, and report.css's page margins (22/18/20/18 mm).
A4 = (595.28, 841.89)
MM = 72 / 25.4
LEFT = RIGHT = 18 * MM
EDGE = 5 * MM  # the running heads sit in the margin, never closer to the edge than this
SLACK = 0.5
SHIPPED_FONT = re.compile(r"^/?[A-Z]{6}\+Rapport-Sans(-Bold|-Italic)?$")
WORD = re.compile(
    r'<word xMin="([\d.]+)" yMin="([\d.]+)" xMax="([\d.]+)" yMax="([\d.]+)">(.*?)</word>'
)
PAGE = re.compile(r'<page width="([\d.]+)" height="([\d.]+)">(.*?)</page>', re.DOTALL)
FIRST_YEAR, LAST_YEAR = 2012, 2026


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = MUNICIPALITY
    settings.REPORT_MIN_CELL = 5


def fifteen_cohorts(as_of: str = "2026-11-20") -> dict:
    """A review whose table 2.1 has one arrival year per row from 2012 to 2026,
    with wide cells (three-digit counts, 97 % and 98 %)."""
    figures = review_by_hand(as_of=as_of)
    figures["cohorts"] = [
        {
            "year": year,
            "persons": 180 + year - FIRST_YEAR,
            "share_6m": 97,
            "share_12m": 98,
            "share_as_of": 50,
            "count_as_of": 90 + year - FIRST_YEAR,
            "employed_6m": 175 + year - FIRST_YEAR,
            "employed_12m": 176 + year - FIRST_YEAR,
        }
        for year in range(FIRST_YEAR, LAST_YEAR + 1)
    ]
    return figures


def pdf_of(figures: dict) -> bytes:
    return render.render_pdf(render.render_html(figures, min_cell=5))


def pages_of(pdf: bytes, tmp_path: Path) -> list[dict]:
    """Each page's size and its words with their boxes (points, origin top left)."""
    path = tmp_path / "paper.pdf"
    path.write_bytes(pdf)
    out = subprocess.run(
        ["pdftotext", "-bbox", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout
    pages = []
    for width, height, body in PAGE.findall(out):
        words = [
            (float(x0), float(y0), float(x1), float(y1), html.unescape(text))
            for x0, y0, x1, y1, text in WORD.findall(body)
        ]
        pages.append({"width": float(width), "height": float(height), "words": words})
    return pages


def page_texts(pdf: bytes) -> list[str]:
    return [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]


def base_fonts(pdf: bytes) -> set[str]:
    """The /BaseFont of every font the PDF uses, on its pages and inside the
    forms its charts are drawn in."""
    reader = PdfReader(io.BytesIO(pdf))
    names: set[str] = set()
    seen: set[int] = set()

    def walk(resources) -> None:
        if resources is None:
            return
        resources = resources.get_object()
        for font in (resources.get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]))
        for key in ("/XObject", "/Pattern"):
            for ref in (resources.get(key) or {}).values():
                number = getattr(ref, "idnum", None)
                if number in seen:
                    continue
                seen.add(number)
                walk(ref.get_object().get("/Resources"))

    for page in reader.pages:
        walk(page.get("/Resources"))
    return names


# --- A4, margins, table 2.1 ------------------------------------------------------------


@pytest.mark.parametrize("make", [monthly_by_hand, fifteen_cohorts], ids=["monthly", "review"])
def test_every_word_lies_inside_the_margins_of_an_a4_portrait_page(make, tmp_path):
    pages = pages_of(pdf_of(make()), tmp_path)

    outside = []
    for number, page in enumerate(pages, start=1):
        assert (page["width"], page["height"]) == pytest.approx(A4, abs=0.5)
        for x0, y0, x1, y1, text in page["words"]:
            if x0 < LEFT - SLACK or x1 > A4[0] - RIGHT + SLACK or y0 < EDGE or y1 > A4[1] - EDGE:
                outside.append((number, text, round(x0), round(x1)))
    assert outside == []


def test_table_2_1_has_a_row_per_arrival_year_and_fifteen_fit_on_the_page(tmp_path):
    pages = pages_of(pdf_of(fifteen_cohorts()), tmp_path)
    page = next(p for p in pages if any(w[4] == "2.1." for w in p["words"]))
    caption_y = next(w[1] for w in page["words"] if w[4] == "2.1.")
    note_y = next(w[1] for w in page["words"] if w[4] == "*" and w[1] > caption_y)
    # The row headers: each year once, one under the other, in one column.
    years = [
        w
        for w in page["words"]
        if re.fullmatch(r"20\d\d", w[4]) and caption_y < w[1] < note_y and w[0] < A4[0] / 3
    ]
    assert [w[4] for w in years] == [str(y) for y in range(FIRST_YEAR, LAST_YEAR + 1)]
    assert len({round(w[0]) for w in years}) == 1
    assert all(a[1] < b[1] for a, b in zip(years, years[1:], strict=False))
    # Each row's last cell (the count on the report date) stays inside the margin.
    for year in years:
        row = [w for w in page["words"] if abs(w[1] - year[1]) < 2]
        assert max(w[2] for w in row) <= A4[0] - RIGHT + SLACK
        assert row[-1][4] == str(90 + int(year[4]) - FIRST_YEAR)


PARAGRAPH = (
    "Indsatsen er fulgt tæt gennem året, og tallene viser en stabil udvikling i de "
    "fleste af de forhold, som byrådet har bedt om at få belyst. "
) * 3
# Running heads and feet sit in the page margins (22 mm top, 20 mm bottom).
BODY_TOP, BODY_BOTTOM = 22 * MM, A4[1] - 20 * MM


def _papers():
    """The monthly, and the review with introductions of different lengths, so
    that its tables, notes and charts fall at different places on the pages."""
    yield monthly_by_hand()
    for paragraphs in (3, 11):
        figures = fifteen_cohorts()
        figures["narratives"]["introduction"]["text"] = "\n\n".join([PARAGRAPH] * paragraphs)
        yield figures


def test_notes_stay_with_their_table_and_no_page_holds_only_a_line_or_two(tmp_path):
    for figures in _papers():
        page = render.render_html(figures, min_cell=5)
        # The first words of each note printed under a table or chart.
        notes = {
            " ".join(html.unescape(re.sub(r"<[^>]+>", " ", note)).split()[:2])
            for note in re.findall(r'<p class="table-note">(.*?)</p>', page, re.DOTALL)
        }
        for number, sheet in enumerate(pages_of(render.render_pdf(page), tmp_path), start=1):
            body = [w for w in sheet["words"] if BODY_TOP < w[1] and w[3] < BODY_BOTTOM]
            lines = sorted({round(w[1]) for w in body})
            assert len(lines) >= 3, (figures["kind"], number)
            first = " ".join(w[4] for w in body if round(w[1]) == lines[0])
            assert not any(first.startswith(note) for note in notes), (figures["kind"], first)


# --- cover and contents ----------------------------------------------------------------


@pytest.mark.parametrize(
    "make, title, period",
    [
        (monthly_by_hand, "Månedlig opfølgning på integrationsindsatsen", "oktober 2026"),
        (review_by_hand, "Serviceeftersyn af integrationsindsatsen", "20-11-2026"),
    ],
    ids=["monthly", "review"],
)
def test_the_cover_holds_municipality_title_period_data_date_and_case_number_field(
    make, title, period
):
    figures = make()
    cover = " ".join(page_texts(pdf_of(figures))[0].split())

    assert cover.startswith(f"{MUNICIPALITY} {title} {period} ")
    as_of = "-".join(reversed(figures["as_of"].split("-")))
    assert f"Opgjort pr. {as_of}" in cover
    assert "Sagsnr.:" in cover
    # The cover is a page of its own: no table and no section starts on it.
    assert "Tabel" not in cover
    assert not re.search(r"\b1\. (Borgere|Indledning)", cover.split("Indhold")[0])


def test_the_cover_prints_the_case_number_the_figures_were_made_for():
    figures = monthly_by_hand()
    figures["case_number"] = "26/04512"

    cover = " ".join(page_texts(pdf_of(figures))[0].split())

    assert "Sagsnr.: 26/04512" in cover


def test_contents_list_every_section_with_the_page_its_heading_is_on():
    texts = page_texts(pdf_of(fifteen_cohorts()))
    entries = re.findall(r"^(.+?) \.{4,}\s*(\d+)\s*$", texts[0], re.MULTILINE)
    titles = [title for title, _page in entries]

    assert titles[:3] == [
        "1. Indledning",
        "2. Beskæftigelse eller selvforsørgelse efter ankomst",
        "3. Sammenligning med andre kommuner",
    ]
    assert "7. Konklusion" in titles and titles[-1] == "Noter"
    for title, page in entries:
        found = [
            number
            for number, text in enumerate(texts, start=1)
            if number > 1 and any(line.strip() == title for line in text.splitlines())
        ]
        assert found == [int(page)], title
    # The document runs over several pages, so the numbers are not all the same.
    assert len({page for _title, page in entries}) > 2


# --- fonts -------------------------------------------------------------------------------


@pytest.mark.parametrize("make", [monthly_by_hand, review_by_hand], ids=["monthly", "review"])
def test_the_pdf_embeds_only_the_shipped_font(make):
    fonts = base_fonts(pdf_of(make()))

    assert fonts, "no font found"
    assert [f for f in fonts if not SHIPPED_FONT.match(f)] == []
    assert {re.sub(r"^/?[A-Z]{6}\+", "", f) for f in fonts} >= {"Rapport-Sans", "Rapport-Sans-Bold"}


def test_bounds_and_negative_changes_need_no_host_font():
    """The font has no ≤, ≥ or minus sign: a chart's bound once fell back to a
    host font (»≤ 58 %«), as did a headline's change (»−10«)."""
    from tests.evaluation.test_disclosure_series import cohort, review_figures

    review = review_figures(cohorts=[cohort(2024, 7, 3, 2, 3)])
    monthly = monthly_by_hand()
    monthly["headline"]["last_month"]["in_programme"] = monthly["in_programme"]["total"] + 12
    for figures in (review, monthly):
        fonts = base_fonts(pdf_of(figures))
        assert [f for f in fonts if not SHIPPED_FONT.match(f)] == []
    assert "højst 58 %" in " ".join(page_texts(pdf_of(review)))


def test_the_shipped_font_files_are_small_and_licensed():
    folder = Path(settings.BASE_DIR) / "static" / "fonts"
    for name in charts.FONT_FILES:
        size = (Path(settings.BASE_DIR) / "static" / name).stat().st_size
        assert 20_000 < size < 200_000, name
    assert "SIL OPEN FONT LICENSE" in (folder / "OFL.txt").read_text()


def test_charts_are_measured_and_written_in_the_shipped_font():
    from matplotlib import font_manager

    svg = charts.trend_svg(["2026-09", "2026-10"], [("Indeks", [3.2, 3.5])])

    families = set(re.findall(r"font-family: ?([^;\"]+)", svg))
    assert families == {"'Rapport Sans'"}
    path = font_manager.findfont(
        font_manager.FontProperties(family="Rapport Sans"), fallback_to_default=False
    )
    assert Path(path).resolve().parent == (Path(settings.BASE_DIR) / "static" / "fonts").resolve()


def test_two_renders_give_the_same_positions_even_without_the_hosts_fonts(tmp_path):
    """The second render runs where fontconfig knows no font at all: a paper
    that leaned on a host font would be laid out differently, or not at all."""
    page = render.render_html(review_by_hand(), min_cell=5)
    first = render.render_pdf(page)
    again = render.render_pdf(page)
    (tmp_path / "page.html").write_text(page)
    (tmp_path / "fonts.conf").write_text(
        '<?xml version="1.0"?><!DOCTYPE fontconfig SYSTEM "fonts.dtd">'
        f"<fontconfig><dir>{tmp_path / 'no-fonts'}</dir>"
        f"<cachedir>{tmp_path / 'cache'}</cachedir></fontconfig>"
    )
    script = (
        "import django, sys, pathlib; django.setup();"
        "from evaluation.pdf.render import render_pdf;"
        "d = pathlib.Path(sys.argv[1]);"
        "(d / 'bare.pdf').write_bytes(render_pdf((d / 'page.html').read_text()))"
    )
    env = {**os.environ, "FONTCONFIG_FILE": str(tmp_path / "fonts.conf")}
    subprocess.run(
        [sys.executable, "-c", script, str(tmp_path)],
        env=env,
        cwd=settings.BASE_DIR,
        check=True,
        capture_output=True,
    )
    bare = (tmp_path / "bare.pdf").read_bytes()

    positions = pages_of(first, tmp_path)
    assert positions and positions[0]["words"]
    assert pages_of(again, tmp_path) == positions
    assert pages_of(bare, tmp_path) == positions


# --- Danish typography -------------------------------------------------------------------


def test_numbers_of_a_thousand_or_more_are_printed_with_a_dot():
    figures = review_by_hand()
    figures["progression"]["caseworker_measurements"] = 1914
    figures["cohorts"][0] |= {"persons": 1200, "count_as_of": 600, "employed_6m": 300}

    text = " ".join(" ".join(page_texts(pdf_of(figures))).split())

    assert "Sagsbehandlerens målinger 1.914" in text
    assert re.search(r"2017 1\.200 25 % .* 50 % 600", text)
    assert not re.search(r"\b1914\b|\b1200\b", text)


def test_a_count_axis_of_a_thousand_or_more_has_dotted_ticks():
    months = ["2026-09", "2026-10"]
    svg = charts.ladder_months_svg(months, [("1. Ordinært arbejde", [1500, 1700])], [0, 0])

    ticks = re.findall(r">\s*([\d.,]+)\s*<", svg)
    assert "1.000" in ticks
    assert not [t for t in ticks if re.fullmatch(r"\d{4,}", t)]


def test_a_ladder_with_no_one_on_it_has_an_axis_from_0_to_1():
    """A new municipality's first month: no column of zeros (and no "-0")."""
    svg = charts.ladder_months_svg(
        ["2026-09", "2026-10"], [("1. Ordinært arbejde", [0, 0])], [0, 0]
    )

    ticks = re.findall(r">\s*(-?[\d.,]+)\s*<", svg)
    assert ticks == ["0", "1"]


def _rectangles(svg: str, group: str) -> list[tuple[float, float]]:
    """(top, bottom) of each path in an SVG group, in the SVG's y (down)."""
    body = svg.split(f'<g id="{group}">', 1)[1].split("</g>", 1)[0]
    spans = []
    for path in re.findall(r'<path d="([^"]+)"', body):
        ys = [float(y) for y in re.findall(r"[ML] [\d.]+ ([\d.]+)", path)]
        spans.append((min(ys), max(ys)))
    return spans


def test_the_ladders_bars_are_stacked_and_as_high_as_the_counts():
    svg = charts.ladder_months_svg(
        ["2026-09", "2026-10"], [("1. Trin", [10, 20]), ("2. Trin", [5, 0])], [0, 0]
    )

    first, second = _rectangles(svg, "PolyCollection_1"), _rectangles(svg, "PolyCollection_2")
    # Step 1 in both months, on the same base; step 2's zero is not drawn.
    assert len(first) == 2 and len(second) == 1
    (top_1, base_1), (top_2, base_2) = first
    assert base_1 == pytest.approx(base_2)
    unit = (base_1 - top_1) / 10
    assert base_2 - top_2 == pytest.approx(20 * unit)
    # Step 2 stands on step 1 of September, 5 high.
    top, base = second[0]
    assert base == pytest.approx(top_1)
    assert base - top == pytest.approx(5 * unit)


def test_quotations_are_printed_with_danish_quotation_marks():
    figures = review_by_hand()
    figures["narratives"]["introduction"]["text"] = 'Borgerne kalder det "godt" og “trygt”.'

    text = " ".join(" ".join(page_texts(pdf_of(figures))).split())

    assert "Borgerne kalder det »godt« og »trygt«." in text
    assert "»Ser dagligt nyheder eller andet TV på dansk«" in text
    assert not re.search('["“”„]', text)


def _svg_texts(data_uri: str) -> list[str]:
    svg = base64.b64decode(data_uri.split(",", 1)[1]).decode()
    return [
        " ".join(html.unescape(t).split())
        for t in re.findall(r"<text[^>]*>(.*?)</text>", svg, re.DOTALL)
    ]


def test_month_axes_label_every_third_month_and_each_year_once():
    ctx = context.monthly_context(monthly_by_hand(), min_cell=5)
    texts = _svg_texts(ctx["ladder_months"]["chart"])

    # November 2025 to October 2026: October is labelled, and every third month
    # back; the year under the first labelled month only.
    assert [t for t in texts if re.fullmatch(r"[a-z]{3}\.?", t)] == ["jan.", "apr.", "jul.", "okt."]
    assert [t for t in texts if re.fullmatch(r"\d{4}", t)] == ["2026"]


def test_trend_ticks_have_decimal_commas_and_quarterly_month_labels():
    figures = review_by_hand()
    months = [f"{y}-{m:02d}" for y in (2025, 2026) for m in range(1, 13)][-24:]
    figures["progression"]["trend"] = [
        {
            "month": month,
            "caseworker_measurements": 14,
            "caseworker_index_mean": 3.45,
            "citizen_item_13_mean": 3.6,
            "citizen_measurements": 7,
        }
        for month in months
    ]
    ctx = context.service_review_context(figures, min_cell=5)
    texts = _svg_texts(ctx["progression"]["trend"]["chart"])

    assert {"1,0", "2,5", "5,0"} <= set(texts)
    labelled = [t for t in texts if re.fullmatch(r"[a-z]{3}\.?", t)]
    assert labelled == ["mar.", "jun.", "sep.", "dec."] * 2
    assert [t for t in texts if re.fullmatch(r"\d{4}", t)] == ["2025", "2026"]


def test_month_labels_follow_the_calendar_when_months_are_left_out():
    # A month without measurements is not listed: every third calendar month
    # back from June 2018 is labelled, not every third entry.
    labels = formatting.month_axis_labels(["2017-12", "2018-01", "2018-06"])

    assert labels == ["dec.\n2017", "", "jun.\n2018"]
