"""Benchmark figures in the service review: whose figure is whose, like
periods only, nothing after the review's date, and a source line under every
table of both papers. PDFs are read back as text."""

import datetime as dt
import itertools
import re

import pytest

from evaluation import benchmark_figures as bf
from evaluation.benchmarks import import_benchmarks
from evaluation.figures import service_review_figures
from evaluation.models import ReportKind
from evaluation.pdf import render
from evaluation.period import ReportPeriod
from tests.evaluation.test_reports import MUNICIPALITY, monthly_by_hand, pdf_text

OWN_SOURCE = f"Kilde: {MUNICIPALITY}s sagssystem for integrationsindsatsen"


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = MUNICIPALITY
    settings.REPORT_MIN_CELL = 5


def _import(lines: list[str], *, source: str, downloaded_on=dt.date(2019, 1, 15)) -> None:
    data = "municipality;period;indicator;value\n" + "\n".join(lines) + "\n"
    report = import_benchmarks(data, source=source, downloaded_on=downloaded_on)
    assert report.ok, report.errors


def _review(as_of: str) -> tuple[dict, str]:
    figures = service_review_figures(ReportPeriod.parse(ReportKind.SERVICE_REVIEW, as_of))
    for key in figures["narratives"]:
        figures["narratives"][key] = {"text": f"Teksten om {key}.", "status": "final"}
    text, _pages = pdf_text(render.render_pdf(render.render_html(figures)))
    # The cover's contents list names every section: read the review after it.
    first = text.index("1. Indledning")
    return figures, text[text.find("1. Indledning", first + 1) :]


# --- wellbeing: our own row is ours ---------------------------------------------------

WELLBEING = {
    "own": f"{MUNICIPALITY};2017;wellbeing_bilingual;3,8",
    "national": "Hele landet;2017;wellbeing_bilingual;3,9",
    "neighbour": "Odder;2017;wellbeing_bilingual;4,4",
}


@pytest.mark.django_db
@pytest.mark.parametrize("order", list(itertools.permutations(WELLBEING)))
def test_wellbeing_keeps_own_and_national_apart_in_any_import_order(order):
    for role in order:  # one file per row: the last one imported used to win
        _import([WELLBEING[role]], source="wellbeing")
    [row] = bf.benchmark_figures(None, dt.date(2019, 1, 31))["wellbeing"]
    assert row == {
        "period": "2017",
        "bilingual": 3.8,
        "danish": None,
        "national_bilingual": 3.9,
        "national_danish": None,
    }


@pytest.mark.django_db
def test_wellbeing_table_prints_ours_and_the_national_figure_in_its_own_columns():
    _import(list(WELLBEING.values()), source="wellbeing")
    _figures, text = _review("2019-01-31")
    table = text[text.index("Tabel 3.2.") : text.index("4. Repatriering")]
    assert f"{MUNICIPALITY} Hele landet" in table
    assert "2017 3,8 – 3,9 –" in table
    assert "4,4" not in table  # Odder's figure is not ours, nor anyone's here
    assert "Kilde: den nationale trivselsmåling i folkeskolen, hentet 15-01-2019" in table


@pytest.mark.django_db
def test_a_neighbour_never_becomes_our_own_row_in_the_employment_table():
    _import(
        [
            "Odder;2018;refugees_ordinary_employment;38,2",
            "Hele landet;2018;refugees_ordinary_employment;35,1",
            f"{MUNICIPALITY};2018;refugees_ordinary_employment;37,9",
        ],
        source="jobindsats",
    )
    figures = bf.benchmark_figures(None, dt.date(2019, 1, 31))
    assert figures["benchmark_municipalities"] == [MUNICIPALITY, "Odder", "Hele landet"]
    assert figures["benchmark_roles"] == {
        MUNICIPALITY: "own",
        "Odder": "neighbour",
        "Hele landet": "national",
    }


# --- absence: like periods only ----------------------------------------------------------


def _own_absence(monkeypatch, months: dict[str, tuple[float, int]]) -> None:
    """The municipality's own absence records: month -> (mean, records)."""
    rows = [
        {"month": dt.date.fromisoformat(f"{m}-01"), "mean": mean, "n": n}
        for m, (mean, n) in sorted(months.items())
    ]

    def by_month(user, start, end):
        return [r for r in rows if start.replace(day=1) <= r["month"] <= end]

    monkeypatch.setattr(bf.rs, "danish_absence_by_month", by_month)


LAST_12 = {
    f"{d:%Y-%m}": (10.0 + i, 20)
    for i, d in enumerate([dt.date(2025, 12, 1)] + [dt.date(2026, m, 1) for m in range(1, 12)])
}


@pytest.mark.django_db
def test_national_months_of_another_year_are_not_set_against_ours(monkeypatch):
    _own_absence(monkeypatch, LAST_12)
    _import(
        [f"Hele landet;2018M{m:02d};danish_absence;33,3" for m in range(1, 13)],
        source="danish_absence",
    )
    figures, text = _review("2026-11-30")
    months = figures["danish_absence"]
    assert [m["period"] for m in months] == list(LAST_12)  # ours only, no 2018
    assert all(m["national"] is None for m in months)
    assert figures["danish_absence_periods"] == []
    section = text[text.index("6. Fravær fra danskuddannelse") :]
    assert "33,3" not in section
    assert "Landsgennemsnit, samme måned" in section  # the table's column, all "–"
    assert section.count("Landsgennemsnit, samme måned") == 1  # no line in the figure
    assert "Der er ikke indlæst et landsgennemsnit for nogen af de samme måneder" in section
    # The national source is not named under a table that shows none of its figures.
    assert f"{OWN_SOURCE} Der er ikke" in section


@pytest.mark.django_db
def test_a_national_year_is_set_against_our_mean_of_the_same_year(monkeypatch):
    # 2025: Jan-Nov 10 records at 5.0, Dec 20 records at 10.0 (in LAST_12): the
    # year's mean of 130 records is (110 * 5 + 20 * 10) / 130 = 5.769... -> 5,8.
    own = {f"2025-{m:02d}": (5.0, 10) for m in range(1, 12)} | LAST_12
    _own_absence(monkeypatch, own)
    _import(
        [
            "Hele landet;2025;danish_absence;7,5",
            "Hele landet;2026;danish_absence;8,0",  # not over on 30-11-2026
            "Hele landet;2026M10;danish_absence;12,0",
        ],
        source="danish_absence",
        downloaded_on=dt.date(2026, 11, 1),
    )
    figures, text = _review("2026-11-30")
    [year] = figures["danish_absence_periods"]
    assert (year["period"], year["municipality_n"], year["national"]) == ("2025", 130, 7.5)
    assert year["municipality"] == pytest.approx(750 / 130, abs=0.01)
    october = next(m for m in figures["danish_absence"] if m["period"] == "2026-10")
    assert (october["municipality"], october["national"]) == (20.0, 12.0)
    assert [m["period"] for m in figures["danish_absence"] if m["national"]] == ["2026-10"]
    section = text[text.index("6. Fravær fra danskuddannelse") :]
    assert "okt. 2026 20,0 12,0" in section
    assert "2025 5,8 7,5" in section
    assert "2026 " not in section.split("Tabel 6.2.")[1].split("Kilde")[0]
    assert "Der er ikke indlæst" not in section
    assert section.count("Landsgennemsnit, samme måned") == 2  # the figure's line too
    assert "nøgletal, hentet 01-11-2026 (landsgennemsnit)" in section


# --- the review's date bounds the benchmarks ---------------------------------------------


@pytest.mark.django_db
def test_a_review_shows_no_benchmark_period_that_ends_after_its_date():
    _import(
        [
            f"{MUNICIPALITY};2018;refugees_ordinary_employment;37,9",
            "Hele landet;2018;refugees_ordinary_employment;35,1",
        ],
        source="jobindsats",
    )
    _import(
        [
            f"{MUNICIPALITY};2025;refugees_ordinary_employment;52,4",
            "Hele landet;2025;refugees_ordinary_employment;49,0",
        ],
        source="jobindsats",
        downloaded_on=dt.date(2026, 11, 1),
    )
    figures, text = _review("2019-01-31")
    assert [b["period"] for b in figures["benchmark_employment"]] == ["2018"]
    table = text[text.index("Tabel 3.1.") : text.index("3.2 Trivsel")]
    assert "2025" not in table and "52,4" not in table
    # The download date is that of the figures shown, not the later file's.
    assert "Jobindsats.dk (Udlændingeregisteret, CPR-registeret, CVR-registeret, " in table
    assert "e-indkomst), hentet 15-01-2019" in table


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("period", "shown_on", "hidden_on"),
    [
        ("2018", "2018-12-31", "2018-12-30"),
        ("2018-Q2", "2018-06-30", "2018-06-29"),
        ("2018-02", "2018-02-28", "2018-02-27"),
    ],
)
def test_a_period_counts_as_ended_on_its_last_day_not_before(period, shown_on, hidden_on):
    _import([f"Odder;{period};refugees_ordinary_employment;38,2"], source="jobindsats")

    def periods(day: str) -> list[str]:
        found = bf.benchmark_figures(None, dt.date.fromisoformat(day))
        return [b["period"] for b in found["benchmark_employment"]]

    assert periods(shown_on) == [period]
    assert periods(hidden_on) == []


# --- a source line under every table -----------------------------------------------------

CAPTION = re.compile(r"Tabel \d+(?:\.\d+)?\. ")


def _tables_without_source(text: str) -> list[str]:
    """The captions of tables with no "Kilde:" before the next table or section."""
    starts = [m.start() for m in CAPTION.finditer(text)]
    missing = []
    for start, end in zip(starts, [*starts[1:], len(text)], strict=True):
        if "Kilde: " not in text[start:end]:
            missing.append(text[start : start + 20])
    return missing


def test_every_monthly_table_names_the_case_system_as_its_source():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))
    tables = CAPTION.findall(text)
    assert len(tables) >= 9
    assert _tables_without_source(text) == []
    # The headline table ("Nøgletal pr. ...") has no number and its own source line.
    headline = text[text.index("Nøgletal pr. ") : text.index("Tabel 1. ")]
    assert OWN_SOURCE in headline
    assert text.count(OWN_SOURCE) == len(tables) + 1
    assert "DREAM" not in text


@pytest.mark.django_db
def test_every_service_review_table_has_a_source_line():
    _import(
        [
            f"{MUNICIPALITY};2018;refugees_ordinary_employment;37,9",
            "Hele landet;2018;refugees_ordinary_employment;35,1",
        ],
        source="jobindsats",
    )
    _import(list(WELLBEING.values()), source="wellbeing", downloaded_on=dt.date(2019, 1, 20))
    _figures, text = _review("2019-01-31")
    assert _tables_without_source(text) == []
    assert "e-indkomst), hentet 15-01-2019" in text
    assert "trivselsmåling i folkeskolen, hentet 20-01-2019" in text
    assert "DREAM" not in text


# --- the demo's benchmarks move with the calendar ------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("today", "last_year", "months"),
    [
        (dt.date(2026, 12, 5), 2025, ("2025-12", "2026-11")),
        (dt.date(2026, 1, 10), 2025, ("2025-01", "2025-12")),
        (dt.date(2025, 7, 1), 2024, ("2024-07", "2025-06")),
    ],
)
def test_demo_benchmarks_reach_the_demo_s_last_month(settings, today, last_year, months):
    from fixtures.demo.report_inputs import review_date, seed_report_inputs

    settings.MUNICIPALITY_NAME = "Demo Kommune"
    seed_report_inputs(today=today)
    as_of = review_date(today)
    figures = bf.benchmark_figures(None, as_of)
    employment = figures["benchmark_employment"]
    assert [b["period"] for b in employment] == [str(y) for y in range(2017, last_year + 1)]
    roles = figures["benchmark_roles"]
    assert roles["Demo Kommune"] == "own" and roles["Hele landet"] == "national"
    assert sorted(n for n, r in roles.items() if r == "neighbour") == [
        "Horsens",
        "Ikast-Brande",
        "Odder",
        "Vejle",
    ]
    # Our own share is above the national one every year, as the demo's text says.
    assert all(b["values"]["Demo Kommune"] > b["values"]["Hele landet"] for b in employment)
    wellbeing = figures["wellbeing"]
    assert wellbeing[-1]["period"] == str(last_year)
    assert all(w["bilingual"] is not None and w["national_bilingual"] for w in wellbeing)
    # National absence for each of the demo's last 12 months (the municipality's
    # own months come from its cases), and national years to set our years against.
    from evaluation.selectors import benchmark_rows

    national_months = sorted(
        b["period"]
        for b in benchmark_rows(["danish_absence"])
        if b["period_kind"] == "month" and b["period"] >= "2019"
    )
    assert (national_months[0], national_months[-1], len(national_months)) == (*months, 12)
    national_years = sorted(
        b["period"] for b in benchmark_rows(["danish_absence"]) if b["period_kind"] == "year"
    )
    assert national_years[-1] == str(last_year) and len(national_years) >= 3
