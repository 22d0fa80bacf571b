"""Those displaced from Ukraine (særloven) are kept apart in the figures:
left out of table 2.1 unless asked for, their own row in the monthly
follow-up, never set against the refugees' quota. Every figure is worked out
by hand from the cases each test builds."""

import datetime as dt
import re

import pytest
from django.urls import reverse
from django.utils import timezone

from evaluation import reports
from evaluation.figures import cohort_rows, monthly_figures, service_review_figures
from evaluation.forms import ReportRequestForm
from evaluation.models import ArrivalQuota, ReportArchive, ReportNarrative
from evaluation.pdf import context, render
from evaluation.period import ReportPeriod
from evaluation.reports import ReportRefused
from evaluation.services import report_make
from integration import services
from integration.models import EmploymentSpell, ResidenceBasis
from tests.evaluation.test_reports import monthly_by_hand, review_by_hand
from tests.factories import make_case

pytestmark = pytest.mark.django_db

UKRAINE = ResidenceBasis.UKRAINE
REQUIRED = [key for key in reports.NARRATIVE_KEYS if key != "interviews"]


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = "Testby Kommune"
    settings.REPORT_MIN_CELL = 1


def adult(team, arrival, **kw):
    return make_case(team=team, arrival=arrival, birth=dt.date(1985, 5, 5), **kw)


def employ(case, start):
    services.fact_save(
        actor=None,
        case=case,
        fact=EmploymentSpell(category="ordinary_employment", start_date=start),
    )


@pytest.fixture
def cohort_2022(team_a):
    """2022: 3 adult refugees (1 employed since 2023) and 2 adults displaced
    from Ukraine (1 employed since 2023), and a Ukrainian child.

    On 01-01-2024: refugees alone 1 / 3 = 33.3 % -> 33 %; with those
    displaced from Ukraine 2 / 5 = 40 %.
    """
    refugees = [adult(team_a, dt.date(2022, 2, 1 + i)) for i in range(3)]
    ukrainians = [adult(team_a, dt.date(2022, 4, 1 + i), residence_basis=UKRAINE) for i in range(2)]
    make_case(
        team=team_a, arrival=dt.date(2022, 4, 1), birth=dt.date(2015, 1, 1), residence_basis=UKRAINE
    )
    employ(refugees[0], dt.date(2023, 1, 1))
    employ(ukrainians[0], dt.date(2023, 1, 1))


def test_table_2_1_leaves_out_those_displaced_from_ukraine_by_default(cohort_2022):
    row = cohort_rows(None, dt.date(2024, 1, 1))[0]
    assert (row.year, row.persons, row.count_as_of, row.share_as_of) == (2022, 3, 1, 33)


def test_table_2_1_counts_them_when_asked(cohort_2022):
    row = cohort_rows(None, dt.date(2024, 1, 1), include_ukraine=True)[0]
    # The Ukrainian child is no adult at arrival: 5 persons, not 6.
    assert (row.year, row.persons, row.count_as_of, row.share_as_of) == (2022, 5, 2, 40)


def test_the_review_records_which_population_it_counted(cohort_2022):
    period = ReportPeriod.parse("service_review", "2024-01-01")
    plain = service_review_figures(period)
    wide = service_review_figures(period, include_ukraine=True, adjusted_denominator=True)

    assert plain["cohorts_population"] == {"family_reunified": False, "displaced_ukraine": False}
    assert wide["cohorts_population"]["displaced_ukraine"] is True
    assert (plain["cohorts"][0]["persons"], wide["cohorts"][0]["persons"]) == (3, 5)
    # Table 2.2 is table 2.1 adjusted: the same population.
    assert wide["cohorts_adjusted"]["rows"][0]["persons"] == 5


def _html(figures: dict) -> str:
    return " ".join(re.sub(r"<[^>]+>", " ", render.render_html(figures, min_cell=1)).split())


@pytest.mark.parametrize(
    ("population", "caption", "note"),
    [
        (
            None,  # archived before the option: refugees alone
            "Tabel 2.1. Flygtninge på 18 år",
            "fordrevne fra Ukraine (særloven, fra marts 2022) og familiesammenførte indgår ikke",
        ),
        (
            {"family_reunified": False, "displaced_ukraine": False},
            "Tabel 2.1. Flygtninge på 18 år",
            "fordrevne fra Ukraine (særloven, fra marts 2022) og familiesammenførte indgår ikke",
        ),
        (
            {"family_reunified": False, "displaced_ukraine": True},
            "Tabel 2.1. Flygtninge og fordrevne fra Ukraine på 18 år",
            "Fordrevne fra Ukraine (særloven, fra marts 2022) indgår i tabellen",
        ),
    ],
)
def test_the_paper_states_who_table_2_1_counts(population, caption, note):
    figures = review_by_hand()
    if population is not None:
        figures["cohorts_population"] = population
    text = _html(figures)
    assert caption in text
    assert note in text


def test_a_manager_asks_for_them_and_the_archived_report_says_so(cohort_2022, manager, client_as):
    ReportNarrative.objects.bulk_create(
        ReportNarrative(as_of=dt.date(2024, 1, 1), section=key, text="Tekst.", status="final")
        for key in REQUIRED
    )
    client = client_as(manager)
    # The date as the page's field shows it.
    data = {"kind": "service_review", "period": "01-01-2024"}

    assert client.post(reverse("evaluation:report_generate"), data).status_code == 302
    asked = data | {"include_ukraine": "on"}
    assert client.post(reverse("evaluation:report_generate"), asked).status_code == 302

    plain, wide = ReportArchive.objects.order_by("version")
    assert plain.figures["cohorts"][0]["persons"] == 3
    assert wide.figures["cohorts"][0]["persons"] == 5
    assert wide.figures["cohorts_population"]["displaced_ukraine"] is True


def test_the_option_is_refused_for_a_monthly_report(team_a):
    form = ReportRequestForm(
        {"kind": "monthly", "period": "2024-01", "include_ukraine": "on"},
        today=dt.date(2024, 3, 1),
    )
    assert not form.is_valid()
    assert "displaced from Ukraine" in str(form.errors) or "Ukraine" in str(form.errors)
    with pytest.raises(ReportRefused):
        report_make(
            period=ReportPeriod.parse("monthly", "2024-01"),
            include_ukraine=True,
            today=dt.date(2024, 3, 1),
        )
    assert not ReportArchive.objects.exists()


# --- the monthly follow-up -----------------------------------------------------


@pytest.fixture
def march_2025(team_a):
    """Arrived in 2025: refugees 20-01 and 04-03, family reunified 09-03, and
    two adults displaced from Ukraine on 05-03 and 12-03. Quota: 10."""
    ArrivalQuota.objects.create(year=2025, expected=10)
    adult(team_a, dt.date(2025, 1, 20))
    adult(team_a, dt.date(2025, 3, 4))
    adult(team_a, dt.date(2025, 3, 9), residence_basis=ResidenceBasis.FAMILY_REUNIFIED)
    adult(team_a, dt.date(2025, 3, 5), residence_basis=UKRAINE)
    adult(team_a, dt.date(2025, 3, 12), residence_basis=UKRAINE)


def test_monthly_counts_them_in_their_own_row_never_as_refugees(march_2025):
    figures = monthly_figures(ReportPeriod.monthly(dt.date(2025, 3, 1)))

    a, p = figures["arrivals"], figures["in_programme"]
    # March: 1 refugee + 1 family reunified + 2 displaced = 4.
    assert (a["month_refugees"], a["month_family_reunified"], a["month_displaced_ukraine"]) == (
        1,
        1,
        2,
    )
    assert a["month"] == 4
    assert (a["year_to_date_refugees"], a["year_to_date_displaced_ukraine"]) == (2, 2)
    assert a["months_refugees"] == [1, 0, 1]
    # In the programme on 31-03: 2 + 1 + 2 = 5.
    assert (p["refugees"], p["family_reunified"], p["displaced_ukraine"], p["total"]) == (
        2,
        1,
        2,
        5,
    )


def test_the_quota_is_set_against_refugees_alone(march_2025):
    figures = monthly_figures(ReportPeriod.monthly(dt.date(2025, 3, 1)))
    ctx = context.monthly_context(figures, min_cell=1)
    # 2 refugees of 10 = 20 %; with those displaced from Ukraine it would read 40 %.
    assert str(ctx["arrivals"]["share_of_quota"]) == "20 %"
    assert str(ctx["arrivals"]["month_ukraine"]) == "2"
    assert str(ctx["in_programme"]["ukraine"]) == "2"


def test_the_monthly_paper_prints_their_row_and_says_so(march_2025):
    figures = monthly_figures(ReportPeriod.monthly(dt.date(2025, 3, 1)))
    text = _html(figures)
    assert "Fordrevne fra Ukraine (særloven) 2" in text
    assert "Fordrevne fra Ukraine (særloven) i marts 2025 2" in text
    assert "I alt i marts 2025 4" in text
    assert "de tælles i deres egen række, aldrig som flygtninge" in text


def test_a_monthly_report_archived_before_the_row_renders_as_it_did():
    figures = monthly_by_hand()
    assert "displaced_ukraine" not in figures["in_programme"]
    ctx = context.monthly_context(figures, min_cell=1)
    assert "ukraine" not in ctx["in_programme"]
    assert ctx["arrivals"]["month_ukraine"] is None
    assert str(ctx["arrivals"]["month"]) == "9"
    assert "Fordrevne fra Ukraine (særloven) i" not in _html(figures)


# --- the review's date fields -------------------------------------------------------


def test_the_review_date_is_shown_and_taken_as_day_month_year(manager, client_as):
    body = client_as(manager, language="en").get(reverse("evaluation:report_list")).content
    body = body.decode()
    today = timezone.localdate()
    assert f'id="review-period" name="period" value="{today:%d-%m-%Y}"' in body
    assert 'type="date"' not in body
    assert ReportPeriod.parse("service_review", "31-01-2019").as_of == dt.date(2019, 1, 31)
    assert ReportPeriod.parse("service_review", "2019-01-31").as_of == dt.date(2019, 1, 31)
    with pytest.raises(ValueError, match="DD-MM-YYYY"):
        ReportPeriod.parse("service_review", "01/31/2019")
