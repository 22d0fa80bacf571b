"""The council reports: the PDF's content, its archive, the fetcher, the pages.

Figures are checked against numbers worked out by hand from the hand-written
figures dicts below; the real ``report_data`` functions run on a few cases
built here where the test is about the whole pipeline.
"""

import datetime as dt
import hashlib
import io
import re
import socket

import pytest
from django.conf import settings
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.urls import reverse
from django.utils import timezone, translation
from pypdf import PdfReader

from evaluation import disclosure, forms, reports, services
from evaluation.models import ReportArchive, ReportJob, ReportKind, ReportNarrative
from evaluation.pdf import context, render
from evaluation.period import ReportPeriod, previous_month
from tests.factories import make_case, place

pytestmark = pytest.mark.django_db

# Word boundaries: a checksum or UUID on the page may hold ten digits in a row.
CPR_SHAPE = re.compile(r"\b\d{6}-?\d{4}\b")
# A link to one case (the menu's "all cases" list is the manager's own page).
CASE_LINK = re.compile(r"/cases/[0-9a-f-]{36}")
SECTIONS = reports.NARRATIVE_KEYS
MUNICIPALITY = "Testby Kommune"
# "today" for the tests that go through make_report with a hand-written month.
AFTER_OCTOBER = dt.date(2026, 11, 22)


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = MUNICIPALITY
    settings.REPORT_MIN_CELL = 5
    # Users come from the factories with a password; Argon2 costs ~0.15 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_as(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        return client

    return make


def _months(last: str, count: int = 12) -> list[str]:
    year, month = (int(x) for x in last.split("-"))
    out = []
    for _ in range(count):
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return list(reversed(out))


LADDER_OCTOBER = {"1": 12, "2": 6, "3": 5, "4": 10, "5": 7, "6": 3, "none": 2}  # 45 adults


DEADLINES_DUE = [2, 3, 1, 2, 2, 2, 2, 1, 2, 3]


def _deadline_months(late: list[int]) -> list[dict]:
    """Table 8's deadlines of January to October: ``DEADLINES_DUE`` a month, of
    which ``late`` were not met in time."""
    return [{"due": d, "on_time": d - n} for d, n in zip(DEADLINES_DUE, late, strict=True)]


def monthly_by_hand(**changes) -> dict:
    """October 2026, with every figure chosen so that the printed value is easy
    to work out by hand (see the comments)."""
    months = []
    for i, month in enumerate(_months("2026-10")):
        counts = dict(LADDER_OCTOBER) if month == "2026-10" else {**LADDER_OCTOBER, "1": 5 + i}
        months.append({"month": month, "counts": counts, "total": sum(counts.values())})
    figures = {
        "kind": "monthly",
        "period": "2026-10",
        "as_of": "2026-10-31",
        "municipality": MUNICIPALITY,
        "generated_at": "2026-11-01T02:15:00+01:00",
        "in_programme": {
            "total": 60,
            "adults": 45,
            "children": 15,
            "refugees": 50,
            "family_reunified": 10,
        },
        # 6 + 3 = 9 this month; 40 + 7 = 47 so far this year. The quota is the
        # refugees': 40 / 60 = 66.7 % -> 67 % (all 47 arrivals would make 78 %).
        "arrivals": {
            "year": 2026,
            "month": 9,
            "year_to_date": 47,
            # The refugees' months add up to 40, the family reunified's
            # (1, 0, 1, 1, 1, 0, 0, 0, 0, 3) to 7: the small months of each basis
            # make a safe pool only with October's, so the year is printed
            # through 31-10 (and through no earlier month).
            "months": [5, 6, 5, 5, 5, 7, 0, 2, 3, 9],
            "months_refugees": [4, 6, 4, 4, 4, 7, 0, 2, 3, 6],
            "quota": 60,
            "month_refugees": 6,
            "month_family_reunified": 3,
            "year_to_date_refugees": 40,
            "year_to_date_family_reunified": 7,
        },
        "ladder_now": [
            {"step": s, "label": f"step {s}", "count": LADDER_OCTOBER[str(s)]} for s in range(1, 7)
        ]
        + [{"step": None, "label": "none", "count": LADDER_OCTOBER["none"]}],
        "ladder_months": months,
        # 24 of 30 within 96 hours = 80 %; 5 late and 1 not placed.
        "placement_96h": {
            "from": "2026-01-01",
            "to": "2026-10-31",
            "arrivals": 30,
            "within": 24,
            "share": 80,
            "median_hours": 60.0,
            "not_placed": 1,
        },
        # 18 / 45 = 40 %. Of the 18: 10 on step 1, 3 on step 2, 3 on step 4 and 2
        # with no placement; so 2 of the 12 on step 1 are not employed.
        "employed": {
            "count": 18,
            "of": 45,
            "share": 40,
            "by_step": {"1": 10, "2": 3, "3": 0, "4": 3, "5": 0, "6": 0, "none": 2},
        },
        # 30 / 45 = 66.7 % -> 67 %; 12 / 45 = 26.7 % -> 27 %
        "danish": {
            "of": 45,
            "in_course": 30,
            "with_work_or_internship": 12,
            "share_in_course": 67,
            "share_combined": 27,
            "absence_mean": 12.35,
            "absence_n": 28,
        },
        "progression": {
            "month_caseworker_measurements": 14,
            "year_caseworker_measurements": 130,
            "trend": [
                {
                    "month": month,
                    "caseworker_measurements": 14,
                    "caseworker_index_mean": 3.45,
                    "citizen_item_13_mean": 3.6,
                    "citizen_measurements": 7,
                }
                for month in _months("2026-10")
            ],
        },
        "repatriations": {
            "year": 2026,
            "households": 3,
            "adults": 4,
            "children": 4,
            "by_country": [
                {"country": "SY", "name": "Syrien", "households": 2, "adults": 3, "children": 4},
                {"country": "SO", "name": "Somalia", "households": 1, "adults": 1, "children": 0},
            ],
            # One household of one in March, two of seven in August. The year
            # through August is 3 households and 8 persons; September and
            # October add nobody, so a total through them would be 8 again: the
            # difference (0) is a small count, and table 7 runs through August.
            "months": [
                {"households": h, "persons": p}
                for h, p in [(0, 0), (0, 0), (1, 1), (0, 0), (0, 0), (0, 0), (0, 0), (2, 7)]
                + [(0, 0), (0, 0)]
            ],
        },
        "compliance": {
            # 18 of 20 in time: the 2 late ones would show, so both are hidden.
            # The deadlines fell 2, 3, 1, 2, 2, 2, 2, 1, 2, 3 a month: the year so
            # far closes in January (2, small), February (5), May (10), August
            # (15) and October (20), each at least 5 more than the last exact.
            "health_offer": {
                "due": 20,
                "on_time": 18,
                "share": 90,
                "by_month": _deadline_months(late=[0, 0, 0, 1, 0, 0, 0, 0, 1, 0]),
            },
            # Adults only: 38 / 45 = 84.4 % -> 84 %
            "follow_up": {"open_cases": 45, "up_to_date": 38, "share": 84},
            # 15 / 20 = 75 %: the fifth late one in October makes both sides 5
            # or more for the first time, so October is exact. 16 / 20 = 80 %.
            "contract": {
                "due": 20,
                "on_time": 15,
                "months": 1,
                "by_month": _deadline_months(late=[1, 0, 1, 0, 0, 1, 0, 0, 1, 1]),
            },
            "plan": {
                "due": 20,
                "on_time": 16,
                "months": 1,
                "by_month": _deadline_months(late=[0, 1, 0, 0, 1, 0, 1, 0, 0, 1]),
            },
        },
        # 100 / 110 = 90.9 % -> 91 %; the month's 2 without guidance are few.
        # Each year to date is printed through the last month its months allow
        # (here October for all: the small months pool up to it).
        "follow_ups": {
            "month": {"held": 12, "guided": 10},
            "year_to_date": {"held": 110, "guided": 100},
            "months": [{"held": h, "guided": 10} for h in [11, 11, 11, 11, 11, 11, 10, 11, 11, 12]],
        },
        "moved_away": {"month": 1, "year_to_date": 6, "months": [0, 0, 2, 0, 1, 1, 1, 0, 0, 1]},
        "reception": {
            "month": {"refugees": 6, "screened": 5, "near_job": 1},
            "year_to_date": {"refugees": 40, "screened": 30, "near_job": 8},
            "months": [
                {"refugees": r, "screened": s, "near_job": n}
                for r, s, n in zip(
                    [4, 6, 4, 4, 4, 7, 0, 2, 3, 6],
                    [3, 1, 2, 3, 4, 7, 0, 2, 3, 5],
                    [3, 0, 2, 0, 0, 2, 0, 0, 0, 1],
                    strict=True,
                )
            ],
        },
        # Changes: 60 - 57 = +3, 60 - 70 = -10; 47 - 52 = -5 (and +9, the month's
        # arrivals); 18 - 15 = +3, 18 - 20 = -2; 30 - 31 = -1, 30 - 25 = +5; 12 - 12 = 0,
        # 12 - 9 = +3.
        "headline": {
            "now": {
                "as_of": "2026-10-31",
                "in_programme": 60,
                "arrivals_year_to_date": 47,
                "employed": 18,
                "danish_in_course": 30,
                "danish_with_work": 12,
            },
            "last_month": {
                "as_of": "2026-09-30",
                "in_programme": 57,
                "arrivals_year_to_date": 38,
                "employed": 15,
                "danish_in_course": 31,
                "danish_with_work": 12,
            },
            "last_year": {
                "as_of": "2025-10-31",
                "in_programme": 70,
                "arrivals_year_to_date": 52,
                "employed": 20,
                "danish_in_course": 25,
                "danish_with_work": 9,
            },
        },
    }
    for key, value in changes.items():
        figures[key] = {**figures[key], **value} if isinstance(value, dict) else value
    return figures


def review_by_hand(status: str = "final", as_of: str = "2026-11-20") -> dict:
    labels = {str(n): f"Spørgsmål {n}" for n in range(1, 14)}
    labels["1"] = "Ser dagligt nyheder eller andet TV på dansk"
    labels["7"] = "Tager ansvar for sin personlige fremtoning"
    means = {str(n): 3.0 for n in range(1, 13)} | {"1": 2.4, "7": 4.3}
    return {
        "kind": "service_review",
        "period": as_of,
        "as_of": as_of,
        "municipality": MUNICIPALITY,
        "generated_at": "2026-11-20T10:00:00+01:00",
        "cohorts": [
            # 7/32 = 21.9 -> 22 %, 10/32 = 31.3 -> 31 %, 16/32 = 50 %
            {
                "year": 2017,
                "persons": 32,
                "share_6m": 22,
                "share_12m": 31,
                "share_as_of": 50,
                "count_as_of": 16,
                "employed_6m": 7,
                "employed_12m": 10,
            },
            # not everyone has reached 12 months: "#"
            {
                "year": 2026,
                "persons": 20,
                "share_6m": None,
                "share_12m": None,
                "share_as_of": 35,
                "count_as_of": 7,
                "employed_6m": None,
                "employed_12m": None,
            },
        ],
        "benchmark_employment": [
            {"period": "2018", "values": {MUNICIPALITY: 35.0, "Odder": 42.5, "Hele landet": 33.0}}
        ],
        "benchmark_municipalities": [MUNICIPALITY, "Odder", "Hele landet"],
        "wellbeing": [{"period": "2017", "bilingual": 4.0, "danish": 3.85}],
        "repatriations": [
            {
                "year": 2016,
                "country": "IQ",
                "name": "Irak",
                "households": 1,
                "adults": 2,
                "children": 5,
            },
        ],
        "progression": {
            "from": "2017-01-01",
            "to": as_of,
            "caseworker_measurements": 670,
            "caseworker_index_mean": 3.3,
            "citizen_self_assessment_mean": 3.5,
            "citizen_measurements": 400,
            "caseworker_item_means": means,
            "highest_item": 7,
            "lowest_item": 1,
            "item_labels": labels,
            "trend": [],
        },
        "danish_absence": [
            {"period": "2026-10", "municipality": 14.5, "municipality_n": 30, "national": 12.0}
        ],
        "narratives": {key: {"text": f"Teksten om {key}.", "status": status} for key in SECTIONS},
    }


def pdf_text(pdf: bytes) -> tuple[str, list[str]]:
    """The whole text with whitespace collapsed, and each page's raw text."""
    pages = [page.extract_text() for page in PdfReader(io.BytesIO(pdf)).pages]
    return " ".join(" ".join(pages).split()), pages


def flat(text: str) -> str:
    return " ".join(text.split())


# --- the monthly PDF ----------------------------------------------------------------


def test_monthly_pdf_holds_the_name_pages_date_rule_and_figures():
    html = render.render_html(monthly_by_hand())
    text, pages = pdf_text(render.render_pdf(html))

    assert MUNICIPALITY in text
    assert f"Side 1 af {len(pages)}" in text
    assert all(f"Side {n} af {len(pages)}" in page for n, page in enumerate(pages, 1))
    assert "Opgjort pr. 31-10-2026" in text
    assert flat(disclosure.rule_text(5)) in text
    # Worked out by hand above.
    for expected in [
        "Voksne (18 år og derover) 45",
        "Børn (under 18 år) 15",
        "I alt i oktober 2026 9",
        # October's 6 refugees are printed as 5–9 (6 + 3 = 9 would give the 3
        # family reunified away): a year through October would give the 6 away,
        # so the year runs through September: 34 of the quota's 60, 57 %.
        "Flygtninge i 2026 til og med 30-09-2026 34",
        "Forventet antal flygtninge i 2026 (kvote) 60",
        "Ankomne flygtninge i forhold til kvoten 57 %",
        "1. Ordinært arbejde eller uddannelse 12",
        "Andel placeret inden for 96 timer 80 %",
        "Mediantid til første placering (timer) 60",
        "I beskæftigelse eller selvforsørgende 18 40 %",
        "I danskuddannelse 30 67 %",
        "I danskuddannelse og samtidig i arbejde eller praktik 12 27 %",
        "Gennemsnitligt fravær fra danskuddannelse i måneden 12,4 %",
        "okt. 2026 14 3,45 3,60",
        "Opfølgning inden for de seneste 3 måneder (voksne i programmet) 45 38 84 %",
    ]:
        assert expected in text, expected


def test_a_count_below_the_minimum_prints_as_less_than_never_the_number():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))

    assert "Familiesammenførte til flygtninge i oktober 2026 <5" in text
    # 6 + 3 = 9 is printed, so the 6 would give the 3 away: printed as the
    # range the reader works out anyway, 9 less 0–4.
    assert "Flygtninge i oktober 2026 5–9" in text
    assert "6. Øvrige udviklingsindsatser <5" in text
    assert "Ingen aktuel placering <5" in text
    # 2 of 20 late: the on-time count and the share would show the 2. The
    # count is 20 less 0–4, the share at least (20 - 4) / 20 = 80 %.
    assert "efter ankomst (frist i 2026 til og med 31-10-2026) 20 16–20 mindst 80 %" in text
    # Somalia's one person is pooled, and the pool is small.
    # Table 7 runs through August (nobody since): 3 households, 8 persons;
    # the split by country is the service review's.
    assert "Tabel 7. Repatrierede i 2026 Repatrierede 2026 til og med 31-08-2026" in text
    assert "Husstande <5" in text
    assert "Personer 8" in text
    assert "Somalia" not in text
    assert "<5: Færre end 5 personer" in text


def test_a_hidden_number_is_hidden_everywhere_it_is_printed():
    """With 3 children, the 57 adults would give them away from the total of
    60; the adults are then hidden in every table that prints them, and the
    shares built on them too."""
    figures = monthly_by_hand(
        in_programme={"adults": 57, "children": 3},
        ladder_now=[
            {"step": s, "label": "", "count": c}
            for s, c in [(1, 24), (2, 6), (3, 5), (4, 10), (5, 7), (6, 3), (None, 2)]
        ],
        employed={"of": 57},
        danish={"of": 57},
        compliance={
            **monthly_by_hand()["compliance"],
            "follow_up": {"open_cases": 57, "up_to_date": 50},
        },
    )
    figures["ladder_months"][-1]["counts"] = {
        "1": 24, "2": 6, "3": 5, "4": 10, "5": 7, "6": 3, "none": 2,
    }  # fmt: skip
    figures["ladder_months"][-1]["total"] = 57
    ctx = context.monthly_context(figures, min_cell=5)

    assert str(ctx["in_programme"]["children"]) == "<5"
    # 60 less 0–4 children
    assert str(ctx["in_programme"]["adults"]) == "56–60"
    assert str(ctx["in_programme"]["total"]) == "60"
    assert str(ctx["ladder_now"]["total"]) == "56–60"
    assert str(ctx["ladder_months"]["rows"][-1]["total"]) == "56–60"
    assert str(ctx["employed"]["of"]) == "56–60"
    # 18 of 56–60 would narrow the base: hidden, with its own mark.
    assert str(ctx["employed"]["share"]) == ".."
    # The ladder's shown cells must not add up to the hidden adults either.
    shown = [c for c in (r["cell"] for r in ctx["ladder_now"]["rows"]) if not c.suppressed]
    assert len(shown) < 7


def test_min_cell_one_shows_every_count():
    ctx = context.monthly_context(monthly_by_hand(), min_cell=1)
    assert str(ctx["arrivals"]["month_family"]) == "3"
    assert str(ctx["arrivals"]["share_of_quota"]) == "67 %"
    assert str(ctx["compliance"][0]["share"]) == "90 %"


def test_pdf_of_real_figures_holds_no_cpr_and_no_name(team_a, caseworker_a, provider_org):
    """The whole pipeline on a few cases: report_data, rendering, the PDF."""
    today = timezone.localdate()
    period = previous_month(today)
    first = dt.date.fromisoformat(f"{period}-01")
    names = [("Amal", "Haddad"), ("Yonas", "Tesfaye"), ("Farah", "Warsame")]
    cases = []
    for i, (first_name, last_name) in enumerate(names):
        case = make_case(
            team=team_a,
            caseworker=caseworker_a,
            arrival=first + dt.timedelta(days=i),
            first_name=first_name,
            last_name=last_name,
        )
        place(case, provider=provider_org, start=first + dt.timedelta(days=i + 2))
        cases.append(case)

    archive = services.report_make(
        period=ReportPeriod.parse(ReportKind.MONTHLY, period), today=today
    )
    text, _pages = pdf_text(bytes(archive.pdf))

    assert MUNICIPALITY in text
    assert CPR_SHAPE.search(text) is None
    for case in cases:
        for word in (case.citizen.first_name, case.citizen.last_name, case.citizen.cpr):
            assert word not in text
    # Three arrivals this month: a count below the minimum. The year's refugees
    # are a pool of three: no month closes it, so the year is not printed yet.
    assert "I alt i" in text and re.search(r"I alt i \w+ \d{4} <5", text)
    assert re.search(r"Flygtninge i \d{4} til og med [\d-]+ \.\.", text)
    assert archive.figures["in_programme"]["total"] == 3


# --- the service review -----------------------------------------------------------------


def test_service_review_pdf_has_the_seed_sections_and_cohort_table():
    text, pages = pdf_text(render.render_pdf(render.render_html(review_by_hand())))

    for heading in [
        "1. Indledning",
        "2. Beskæftigelse eller selvforsørgelse efter ankomst",
        "3. Sammenligning med andre kommuner",
        "4. Repatriering",
        "5. Progressionsmålinger",
        "6. Fravær fra danskuddannelse",
        "7. Konklusion",
    ]:
        assert heading in text
    assert "Teksten om introduction." in text
    # A row per arrival year: persons, shares after 6 and 12 months, on the day, count.
    # 7 / 20 = 35 %, and 7 and the 13 others are both 5 or more.
    assert "2017 32 22 % 31 % 50 % 16" in text
    assert "2026 20 # # 35 % 7" in text
    assert "ikke korrigeret tilbage i tiden" in text
    assert "Odder 42,5" in text
    assert "Sagsbehandlerens målinger 670" in text
    assert "3,30" in text and "3,50" in text
    assert "spørgsmål 7" in text and "spørgsmål 1" in text
    assert "UDKAST" not in text
    assert CPR_SHAPE.search(text) is None


def test_draft_service_review_is_stamped_on_every_page():
    html = render.render_html(review_by_hand(status="draft"))
    _text, pages = pdf_text(render.render_pdf(html))

    assert len(pages) > 1
    assert all("UDKAST" in page for page in pages)


def _write_texts(as_of: dt.date, *, status: str, user=None, skip: str = "") -> None:
    for key in SECTIONS:
        if key != skip:
            ReportNarrative.objects.create(
                as_of=as_of, section=key, text=f"Om {key}.", status=status, updated_by=user
            )


def test_service_review_is_refused_while_a_text_is_draft(monkeypatch):
    as_of = dt.date(2026, 11, 20)
    monkeypatch.setattr(services, "report_figures", lambda period: review_by_hand())
    _write_texts(as_of, status=ReportNarrative.Status.FINAL, skip="conclusion")
    ReportNarrative.objects.create(
        as_of=as_of, section="conclusion", text="Kladde.", status=ReportNarrative.Status.DRAFT
    )

    with pytest.raises(reports.ReportRefused, match="Konklusion"):
        services.report_make(
            period=ReportPeriod.parse(ReportKind.SERVICE_REVIEW, "2026-11-20"), today=AFTER_OCTOBER
        )
    assert not ReportArchive.objects.exists()

    ReportNarrative.objects.filter(section="conclusion").update(status="final")
    archive = services.report_make(
        period=ReportPeriod.parse(ReportKind.SERVICE_REVIEW, "2026-11-20"), today=AFTER_OCTOBER
    )
    assert archive.version == 1


def test_cli_refuses_a_draft_review_unless_allowed(tmp_path):
    """The real service_review_figures on an empty database."""
    as_of = timezone.localdate() - dt.timedelta(days=1)
    _write_texts(as_of, status=ReportNarrative.Status.DRAFT)
    output = tmp_path / "review.pdf"

    with pytest.raises(CommandError, match="not final"):
        call_command("report", "service-review", "--as-of", as_of.isoformat(), "--output", output)
    assert not output.exists()

    out = io.StringIO()
    call_command(
        "report",
        "service-review",
        "--as-of",
        as_of.isoformat(),
        "--output",
        str(output),
        "--allow-draft",
        stdout=out,
    )
    _text, pages = pdf_text(output.read_bytes())
    assert all("UDKAST" in page for page in pages)
    archive = ReportArchive.objects.get()
    assert "version 1" in out.getvalue()
    assert archive.sha256 in out.getvalue()
    assert re.search(r"[\d.]+ s, peak memory \d+ MB", out.getvalue())


def test_cli_writes_the_monthly_pdf_it_archives(tmp_path, monkeypatch):
    period = previous_month(timezone.localdate())
    monkeypatch.setattr(services, "report_figures", lambda p: monthly_by_hand(period=p.text))
    output = tmp_path / "month.pdf"
    out = io.StringIO()

    call_command("report", "monthly", "--month", period, "--output", str(output), stdout=out)

    archive = ReportArchive.objects.get()
    assert output.read_bytes() == bytes(archive.pdf)
    assert "version 1" in out.getvalue() and archive.sha256 in out.getvalue()
    with pytest.raises(CommandError, match="YYYY-MM"):
        call_command("report", "monthly", "--month", "oktober", "--output", str(output))


# --- the archive ----------------------------------------------------------------------


def test_making_a_report_twice_keeps_both_versions(monkeypatch):
    monkeypatch.setattr(services, "report_figures", lambda period: monthly_by_hand())

    first = services.report_make(
        period=ReportPeriod.parse(ReportKind.MONTHLY, "2026-10"), today=AFTER_OCTOBER
    )
    second = services.report_make(
        period=ReportPeriod.parse(ReportKind.MONTHLY, "2026-10"), today=AFTER_OCTOBER
    )

    assert (first.version, second.version) == (1, 2)
    stored = ReportArchive.objects.filter(kind="monthly", period="2026-10").order_by("version")
    assert [a.version for a in stored] == [1, 2]
    assert stored[0].created_at < stored[1].created_at
    for archive in stored:
        assert archive.sha256 == hashlib.sha256(bytes(archive.pdf)).hexdigest()
        assert archive.min_cell == 5
        assert archive.figures["in_programme"]["adults"] == 45
        assert archive.seconds > 0


def test_next_version_follows_the_highest_stored_one():
    for version in (1, 3):
        ReportArchive.objects.create(
            kind="monthly", period="2026-10", version=version, pdf=b"%PDF", sha256="x",
            figures={}, min_cell=5,
        )  # fmt: skip

    archive = services.archive_save(
        period=ReportPeriod.parse("monthly", "2026-10"), pdf=b"%PDF-new", figures={}, min_cell=5
    )

    assert archive.version == 4
    assert ReportArchive.objects.filter(period="2026-10").count() == 3


def test_a_month_not_over_is_refused():
    with pytest.raises(reports.ReportRefused, match="has not passed"):
        services.report_make(
            period=ReportPeriod.parse(ReportKind.MONTHLY, "2026-11"), today=AFTER_OCTOBER
        )


def test_make_monthly_reports_makes_last_month_once(monkeypatch):
    period = previous_month(timezone.localdate())
    monkeypatch.setattr(services, "report_figures", lambda p: monthly_by_hand(period=p.text))
    call_command("make_monthly_reports", stdout=io.StringIO())
    out = io.StringIO()
    call_command("make_monthly_reports", stdout=out)

    assert "already archived" in out.getvalue()
    assert ReportArchive.objects.filter(period=period).count() == 1

    call_command("make_monthly_reports", "--month", period, stdout=io.StringIO())
    assert list(ReportArchive.objects.filter(period=period).values_list("version", flat=True)) == [
        2,
        1,
    ]


# --- what WeasyPrint may fetch ---------------------------------------------------------


def test_fetcher_refuses_anything_but_the_apps_static_files(monkeypatch):
    from weasyprint.urls import FatalURLFetchingError

    def no_network(*args, **kwargs):
        raise AssertionError("a report tried to open a network connection")

    monkeypatch.setattr(socket, "create_connection", no_network)
    fetcher = render.static_only_fetcher()
    html = (
        '<html><head><link rel="stylesheet" href="static/css/report.css"></head>'
        '<body><p>x</p><img src="http://example.com/x.png" alt=""></body></html>'
    )

    with pytest.raises(FatalURLFetchingError):
        render.render_pdf(html, fetcher=fetcher)

    assert fetcher.refused == ["http://example.com/x.png"]
    assert fetcher.fetched[0] == render.REPORT_BASE_URL + "static/css/report.css"
    assert all(
        url.startswith(render.REPORT_BASE_URL + "static/fonts/") for url in fetcher.fetched[1:]
    )
    for url in [
        "file:///etc/passwd",
        render.REPORT_BASE_URL + "static/../config/settings.py",
        render.REPORT_BASE_URL + "media/secret.pdf",
        "https://example.com/static/css/report.css",
    ]:
        with pytest.raises(render.FetchRefused):
            fetcher.fetch(url)


def test_the_report_page_fetches_only_its_stylesheet_fonts_and_data_uris():
    fetcher = render.static_only_fetcher()
    render.render_pdf(render.render_html(monthly_by_hand()), fetcher=fetcher)

    assert fetcher.refused == []
    static = render.REPORT_BASE_URL + "static/"
    assert sorted(fetcher.fetched) == [
        static + "css/report.css",
        static + "fonts/RapportSans-Bold.ttf",
        static + "fonts/RapportSans-Italic.ttf",
        static + "fonts/RapportSans-Regular.ttf",
    ]


# --- the pages ------------------------------------------------------------------------


@pytest.fixture
def archived(monkeypatch):
    monkeypatch.setattr(services, "report_figures", lambda period: monthly_by_hand())
    return services.report_make(
        period=ReportPeriod.parse(ReportKind.MONTHLY, "2026-10"), today=AFTER_OCTOBER
    )


def test_secretariat_lists_and_downloads(client_as, secretariat, archived):
    client = client_as(secretariat)

    page = client.get(reverse("evaluation:report_list"))
    assert page.status_code == 200
    download_url = reverse("evaluation:report_download", kwargs={"archive_uuid": archived.uuid})
    assert download_url in page.content.decode()
    assert archived.sha256[:12] in page.content.decode()
    # The secretariat makes monthly follow-ups, never a service review.
    assert 'name="kind" value="monthly"' in page.content.decode()
    assert 'value="service_review"' not in page.content.decode()

    response = client.get(download_url)
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    assert response["Content-Disposition"] == (
        'attachment; filename="maanedsopfoelgning-2026-10-v1.pdf"'
    )
    assert hashlib.sha256(response.content).hexdigest() == archived.sha256


def test_secretariat_may_not_make_reviews_or_write_texts(client_as, secretariat):
    client = client_as(secretariat)

    response = client.post(
        reverse("evaluation:report_generate"), {"kind": "service_review", "period": "2026-10-31"}
    )
    assert response.status_code == 403
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": "2026-11-20"})
    assert client.get(url).status_code == 403
    assert client.post(url, {"status": "final"}).status_code == 403
    assert not ReportJob.objects.exists()
    assert not ReportNarrative.objects.exists()


def test_caseworker_sees_no_report_page(client_as, caseworker_a, archived):
    client = client_as(caseworker_a)
    assert client.get(reverse("evaluation:report_list")).status_code == 403
    download = reverse("evaluation:report_download", kwargs={"archive_uuid": archived.uuid})
    assert client.get(download).status_code == 403


def test_manager_makes_a_report_and_the_job_page_links_the_download(client_as, manager):
    """The immediate backend runs the task inside the request (real figures)."""
    period = previous_month(timezone.localdate())
    client = client_as(manager)

    response = client.post(
        reverse("evaluation:report_generate"), {"kind": "monthly", "period": period}
    )

    job = ReportJob.objects.get()
    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:report_job", kwargs={"job_uuid": job.uuid})
    assert job.status == ReportJob.Status.DONE
    assert job.progress == 100
    assert job.requested_by == manager
    archive = ReportArchive.objects.get()
    assert job.archive == archive and archive.created_by == manager

    page = client.get(response["Location"])
    body = page.content.decode()
    assert page.status_code == 200
    assert reverse("evaluation:report_download", kwargs={"archive_uuid": archive.uuid}) in body
    assert f"maanedsopfoelgning-{period}-v1.pdf" in body
    assert 'http-equiv="refresh"' not in body


def test_a_running_job_page_follows_the_job_without_reloading(client_as, secretariat):
    job = ReportJob.objects.create(
        kind="monthly", period="2026-10", status=ReportJob.Status.RUNNING, progress=40,
        step="charts",
    )  # fmt: skip

    page = client_as(secretariat).get(
        reverse("evaluation:report_job", kwargs={"job_uuid": job.uuid})
    )

    body = page.content.decode()
    # No meta refresh (WCAG 2.2.1): a script file swaps in the new status, and
    # there is no inline script (the CSP allows scripts from files only).
    assert 'http-equiv="refresh"' not in body
    assert 'src="/static/js/report_job.js"' in body
    assert 'value="40"' in body
    assert "<script>" not in body


def test_manager_writes_the_texts_and_each_save_bumps_the_version(client_as, manager):
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": "2026-11-20"})
    client = client_as(manager)
    assert client.get(url).status_code == 200
    form = {key: f"Om {key}." for key in SECTIONS} | {f"version_{k}": 0 for k in SECTIONS}

    response = client.post(url, form | {"status": "final"})

    assert response.status_code == 302
    stored = {n.section: n for n in ReportNarrative.objects.all()}
    assert set(stored) == set(SECTIONS)
    assert all(n.status == "final" and n.version == 1 for n in stored.values())
    assert stored["introduction"].updated_by == manager

    form |= {f"version_{k}": 1 for k in SECTIONS}
    client.post(url, form | {"introduction": "Ny indledning.", "status": "final"})
    intro = ReportNarrative.objects.get(section="introduction")
    assert (intro.text, intro.version) == ("Ny indledning.", 2)
    assert ReportNarrative.objects.get(section="conclusion").version == 1


def test_a_stale_save_is_refused_with_a_clear_message(client_as, manager):
    as_of = dt.date(2026, 11, 20)
    _write_texts(as_of, status=ReportNarrative.Status.DRAFT, user=manager)
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": as_of.isoformat()})
    opened = {key: f"Om {key}." for key in SECTIONS} | {f"version_{k}": 1 for k in SECTIONS}
    # Someone else saves the introduction after the page was opened.
    services.narratives_save(
        as_of=as_of,
        user=manager,
        texts={"introduction": "Den andens tekst."},
        versions={"introduction": 1},
        status="draft",
    )

    client = client_as(manager)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # the message is asserted in English
    response = client.post(
        url,
        opened | {"introduction": "Min tekst.", "conclusion": "Min konklusion.", "status": "draft"},
    )

    assert response.status_code == 409
    assert "after you opened this page" in response.content.decode()
    intro = ReportNarrative.objects.get(section="introduction")
    assert (intro.text, intro.version) == ("Den andens tekst.", 2)
    # Nothing of the stale form was saved, not even the sections nobody else touched.
    assert ReportNarrative.objects.get(section="conclusion").text == "Om conclusion."


def test_a_text_with_a_cpr_number_is_refused(client_as, manager):
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": "2026-11-20"})
    form = {key: "Tekst." for key in SECTIONS} | {f"version_{k}": 0 for k in SECTIONS}

    response = client_as(manager).post(
        url, form | {"employment": "Borgeren 010190-1234 fik job.", "status": "draft"}
    )

    assert response.status_code == 400
    assert "CPR" in response.content.decode()
    assert not ReportNarrative.objects.exists()


@pytest.mark.parametrize(
    "written",
    [
        "650594 1539",
        "650594–1539",
        "65.05.94-1539",
        "65 05 94 1539",
        "6505941539",
        "650594-1539",
    ],
)
def test_every_way_of_writing_a_cpr_number_is_refused(written, client_as, manager):
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": "2026-11-20"})
    form = {key: "Tekst." for key in SECTIONS} | {f"version_{k}": 0 for k in SECTIONS}
    text = f"Borgeren {written} fik job den 01-11-2026, 12 af 40 i alt."
    response = client_as(manager).post(url, form | {"employment": text, "status": "draft"})
    assert response.status_code == 400
    assert not ReportNarrative.objects.exists()


def test_a_text_that_names_a_citizen_is_refused(client_as, manager, team_a):
    make_case(team=team_a, first_name="Hawa", last_name="Nuurow Abdi")
    url = reverse("evaluation:narrative_edit", kwargs={"as_of": "2026-11-20"})
    form = {key: "Tekst." for key in SECTIONS} | {f"version_{k}": 0 for k in SECTIONS}
    named = form | {"employment": "Som  hawa NUUROW abdi sagde: job.", "status": "draft"}
    response = client_as(manager).post(url, named)
    assert response.status_code == 400
    assert "nævner en borger" in response.content.decode()
    assert not ReportNarrative.objects.exists()
    # A first name alone, or dates and counts, are no person.
    plain = form | {
        "employment": "Hawa er et almindeligt navn; 12 af 40 i 2026.",
        "status": "draft",
    }
    assert client_as(manager).post(url, plain).status_code == 302


def test_the_service_review_page_explains_what_is_missing_then_makes_it(
    client_as, manager, monkeypatch
):
    as_of = timezone.localdate() - dt.timedelta(days=1)
    monkeypatch.setattr(
        services, "report_figures", lambda period: review_by_hand(as_of=period.text)
    )
    _write_texts(as_of, status=ReportNarrative.Status.FINAL, skip="benchmark")
    client = client_as(manager)
    data = {"kind": "service_review", "period": as_of.isoformat()}

    refused = client.post(reverse("evaluation:report_generate"), data)

    assert refused.status_code == 409
    with translation.override("da"):
        assert str(forms.SECTION_LABELS["benchmark"]) in refused.content.decode()
    assert not ReportJob.objects.exists()

    ReportNarrative.objects.create(
        as_of=as_of, section="benchmark", text="Om benchmark.", status="final"
    )
    made = client.post(reverse("evaluation:report_generate"), data)

    assert made.status_code == 302
    assert ReportJob.objects.get().status == ReportJob.Status.DONE
    assert ReportArchive.objects.get().period == as_of.isoformat()


def test_preview_renders_for_the_secretariat_and_archives_nothing(
    client_as, secretariat, team_a, caseworker_a
):
    period = previous_month(timezone.localdate())
    case = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=dt.date.fromisoformat(f"{period}-02"),
        first_name="Amal",
        last_name="Haddad",
    )
    url = reverse("evaluation:report_preview", kwargs={"kind": "monthly", "period": period})

    response = client_as(secretariat).get(url)

    body = response.content.decode()
    assert response.status_code == 200
    assert MUNICIPALITY in body
    assert 'lang="da"' in body
    assert "/static/css/report.css" in body
    assert "<script" not in body and "<style" not in body and " style=" not in body
    assert "Haddad" not in body and case.citizen.cpr not in body
    assert CPR_SHAPE.search(re.sub(r'src="data:[^"]*"', "", body)) is None
    assert "/cases/" not in body
    assert not ReportArchive.objects.exists()


def test_preview_of_an_unknown_kind_is_not_found(client_as, secretariat):
    url = reverse("evaluation:report_preview", kwargs={"kind": "weekly", "period": "2026-10"})
    assert client_as(secretariat).get(url).status_code == 404


@pytest.mark.parametrize(
    ("kind", "period", "says"),
    [
        ("monthly", "2026-13x", "ÅÅÅÅ-MM"),
        ("monthly", "26-10", "ÅÅÅÅ-MM"),
        ("service_review", "2026-10-32", "ÅÅÅÅ-MM-DD"),
        # not a month's last day: two previews a few days apart would differ by
        # part of a month (20, 26 and 28 October gave one citizen's scores)
        ("service_review", "2026-10-20", "31-10-2026"),
        ("service_review", "2026-10-28", "31-10-2026"),
        # not closed yet on 22-11-2026
        ("monthly", "2026-11", "30-11-2026"),
        ("service_review", "2026-11-30", "30-11-2026"),
        ("monthly", "2027-01", "31-01-2027"),
    ],
)
def test_preview_is_refused_for_a_period_not_closed_with_a_clear_message(
    client_as, secretariat, kind, period, says, monkeypatch
):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 11, 22))
    url = reverse("evaluation:report_preview", kwargs={"kind": kind, "period": period})

    response = client_as(secretariat).get(url)

    assert response.status_code == 400
    assert says in response.content.decode()
    assert not ReportArchive.objects.exists()


@pytest.mark.parametrize(
    ("kind", "period"), [("monthly", "2026-10"), ("service_review", "2026-10-31")]
)
def test_preview_is_made_for_a_closed_period(client_as, secretariat, kind, period, monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda: dt.date(2026, 11, 22))
    url = reverse("evaluation:report_preview", kwargs={"kind": kind, "period": period})

    assert client_as(secretariat).get(url).status_code == 200


def test_report_pages_show_no_person(client_as, manager, secretariat, team_a, caseworker_a):
    period = previous_month(timezone.localdate())
    case = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=dt.date.fromisoformat(f"{period}-03"),
        first_name="Yonas",
        last_name="Tesfaye",
    )
    client_as(manager).post(
        reverse("evaluation:report_generate"), {"kind": "monthly", "period": period}
    )
    job = ReportJob.objects.get()
    urls = [
        reverse("evaluation:report_list"),
        reverse("evaluation:report_job", kwargs={"job_uuid": job.uuid}),
    ]
    for user in (manager, secretariat):
        client = client_as(user)
        for url in urls:
            body = client.get(url).content.decode()
            assert "Tesfaye" not in body and case.citizen.cpr not in body
            assert CPR_SHAPE.search(body) is None
            assert CASE_LINK.search(body) is None


def test_a_damaged_archive_is_not_handed_out(client_as, secretariat, archived):
    ReportArchive.objects.filter(pk=archived.pk).update(sha256="0" * 64)
    response = client_as(secretariat).get(
        reverse("evaluation:report_download", kwargs={"archive_uuid": archived.uuid})
    )
    assert response.status_code == 500
    assert response.get("Content-Type", "").startswith("text/html")


def test_report_list_queries_stay_flat(client_as, secretariat, archived, django_assert_num_queries):
    client = client_as(secretariat)
    for _ in range(3):
        services.archive_save(
            period=ReportPeriod.parse("monthly", "2026-09"), pdf=b"%PDF", figures={}, min_cell=5
        )
    # 1 session, 2 user, 3-4 the user's groups and permissions (a first
    # request's; later from the cache), 5-6 the archive of each kind (PDFs
    # deferred, makers joined, sizes computed in SQL). The same however many
    # versions are archived.
    with django_assert_num_queries(6):
        assert client.get(reverse("evaluation:report_list")).status_code == 200


def test_the_secretariat_gives_the_council_case_number_and_the_cover_prints_it(
    client_as, secretariat
):
    period = previous_month(timezone.localdate())
    client = client_as(secretariat)
    page = client.get(reverse("evaluation:report_list")).content.decode()
    assert 'name="case_number"' in page

    response = client.post(
        reverse("evaluation:report_generate"),
        {"kind": "monthly", "period": period, "case_number": "  27.00.00-A00-1-26 "},
    )

    assert response.status_code == 302
    archive = ReportArchive.objects.get()
    assert archive.figures["case_number"] == "27.00.00-A00-1-26"
    cover = " ".join(pdf_text(bytes(archive.pdf))[1][0].split())
    assert "Sagsnr.: 27.00.00-A00-1-26" in cover


@pytest.mark.parametrize(
    "case_number, message",
    [
        ("010190-1234", "Det ligner et CPR-nummer, ikke et sagsnummer."),
        ("0101901234", "Det ligner et CPR-nummer, ikke et sagsnummer."),
        ("<script>", "Et sagsnummer består af højst 40 bogstaver"),
        ("x" * 41, "Et sagsnummer består af højst 40 bogstaver"),
    ],
    ids=["cpr-dashed", "cpr-plain", "markup", "too-long"],
)
def test_a_case_number_that_is_no_case_number_is_refused_and_nothing_is_made(
    client_as, secretariat, case_number, message
):
    period = previous_month(timezone.localdate())
    client = client_as(secretariat)

    with translation.override("da"):
        response = client.post(
            reverse("evaluation:report_generate"),
            {"kind": "monthly", "period": period, "case_number": case_number},
            HTTP_ACCEPT_LANGUAGE="da",
        )

    assert response.status_code == 400
    assert message in response.content.decode()
    assert not ReportJob.objects.exists() and not ReportArchive.objects.exists()


def test_the_command_prints_the_case_number_and_refuses_a_cpr_number(db, tmp_path):
    period = previous_month(timezone.localdate())
    output = tmp_path / "m.pdf"

    with pytest.raises(CommandError, match="CPR"):
        call_command(
            "report", "monthly", "--month", period, "--output", str(output),
            "--case-number", "010190-1234", stdout=io.StringIO(),
        )  # fmt: skip
    assert not output.exists() and not ReportArchive.objects.exists()

    call_command(
        "report", "monthly", "--month", period, "--output", str(output),
        "--case-number", "26/04512", stdout=io.StringIO(),
    )  # fmt: skip
    assert "Sagsnr.: 26/04512" in " ".join(pdf_text(output.read_bytes())[1][0].split())
