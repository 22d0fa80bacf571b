"""The report figures on small hand-built data, worked out by hand here."""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command

from evaluation import metrics
from evaluation.figures import cohort_rows, monthly_figures
from evaluation.period import ReportPeriod
from integration import services
from integration.models import EmploymentCategory, EmploymentSpell, LadderStep, ResidenceBasis
from tests.factories import make_case, place

EMPLOYED = EmploymentCategory.ORDINARY_EMPLOYMENT


def spell(case, start, end=None, category=EMPLOYED):
    return services.fact_save(
        actor=None,
        case=case,
        fact=EmploymentSpell(category=category, start_date=start, end_date=end),
    )


def adult(team, arrival, **kw):
    return make_case(team=team, arrival=arrival, birth=dt.date(1985, 5, 5), **kw)


# --- rounding --------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "expected"), [(2.5, 3), (0.5, 1), (52.5, 53), (67.49, 67), (12.5, 13), (0.49, 0)]
)
def test_round_half_up(value, expected):
    assert metrics.round_half_up(value) == expected


def test_share_rounds_half_up_not_to_even():
    assert metrics.share(1, 8) == 13  # 12.5 %
    assert metrics.share(1, 40) == 3  # 2.5 %
    assert metrics.share(0, 0) is None


def test_median_of_a_histogram():
    assert metrics.median_from_histogram({2: 3, 4: 1}) == 2  # 2, 2, 2, 4
    assert metrics.median_from_histogram({2: 1, 4: 1}) == 3  # mean of the two middle ones
    assert metrics.median_from_histogram({}) is None


# --- the cohort table ------------------------------------------------------


@pytest.mark.django_db
def test_six_months_after_31_august_is_the_last_day_of_february(team_a):
    leap = adult(team_a, dt.date(2023, 8, 31))  # + 6 months = 29-02-2024
    plain = adult(team_a, dt.date(2022, 8, 31))  # + 6 months = 28-02-2023
    leap.citizen.refresh_from_db()
    plain.citizen.refresh_from_db()
    assert leap.citizen.horizon_6m == dt.date(2024, 2, 29)
    assert plain.citizen.horizon_6m == dt.date(2023, 2, 28)
    # A one-day job on exactly the horizon day counts; one ending the day before does not.
    spell(leap, dt.date(2024, 2, 29), dt.date(2024, 2, 29))
    spell(plain, dt.date(2023, 1, 1), dt.date(2023, 2, 27))

    rows = {r.year: r for r in cohort_rows(None, dt.date(2025, 1, 1))}

    assert (rows[2023].persons, rows[2023].employed_6m, rows[2023].share_6m) == (1, 1, 100)
    assert (rows[2022].persons, rows[2022].employed_6m, rows[2022].share_6m) == (1, 0, 0)


@pytest.mark.django_db
def test_a_spell_ending_on_the_horizon_day_counts(team_a):
    case = adult(team_a, dt.date(2020, 3, 10))  # + 12 months = 10-03-2021
    spell(case, dt.date(2020, 12, 1), dt.date(2021, 3, 10))
    row = cohort_rows(None, dt.date(2022, 1, 1))[0]
    assert (row.employed_12m, row.share_12m) == (1, 100)


@pytest.mark.django_db
def test_cohort_share_is_hash_until_all_reached_horizon(team_a):
    adult(team_a, dt.date(2024, 1, 15))  # 6 months: 15-07-2024
    adult(team_a, dt.date(2024, 6, 30))  # 6 months: 30-12-2024
    before = cohort_rows(None, dt.date(2024, 12, 29))[0]
    on_the_day = cohort_rows(None, dt.date(2024, 12, 30))[0]
    assert before.share_6m is None and before.employed_6m is None
    assert on_the_day.share_6m == 0
    assert on_the_day.share_12m is None  # nobody has had 12 months yet


@pytest.mark.django_db
def test_population_is_adult_refugees_unless_family_is_included(team_a):
    adult(team_a, dt.date(2019, 2, 1))
    adult(team_a, dt.date(2019, 3, 1), residence_basis=ResidenceBasis.FAMILY_REUNIFIED)
    make_case(team=team_a, arrival=dt.date(2019, 4, 1), birth=dt.date(2008, 1, 1))  # a child
    as_of = dt.date(2021, 1, 1)
    assert cohort_rows(None, as_of)[0].persons == 1
    assert cohort_rows(None, as_of, include_family=True)[0].persons == 2


@pytest.mark.django_db
def test_shares_on_the_report_date_round_half_up(team_a):
    # 8 refugees arrived in 2018; one is employed on the report date: 1/8 = 12.5 % -> 13 %.
    cases = [adult(team_a, dt.date(2018, 1, 10 + i)) for i in range(8)]
    spell(cases[0], dt.date(2020, 1, 1))
    row = cohort_rows(None, dt.date(2021, 6, 30))[0]
    assert (row.persons, row.count_as_of, row.share_as_of) == (8, 1, 13)


@pytest.mark.django_db
def test_adjusted_denominator_leaves_out_those_who_moved(team_a):
    # 4 arrived; one moved away in 2019 (before the report date), one employed.
    cases = [adult(team_a, dt.date(2018, 2, 1)) for _ in range(4)]
    spell(cases[1], dt.date(2019, 1, 1))
    services.case_transition(
        actor=None,
        case=cases[0],
        version=cases[0].version,
        to_status="closed",
        on=dt.date(2019, 5, 1),
        reason="moved_away",
    )
    as_of = dt.date(2020, 1, 1)
    plain = cohort_rows(None, as_of)[0]
    adjusted = cohort_rows(None, as_of, adjust_for_leavers=True)[0]
    assert plain.share_as_of == 25  # 1 of 4
    assert adjusted.share_as_of == 33  # 1 of 3 (33.3 %)


@pytest.mark.django_db
def test_metrics_command_prints_the_json_the_reports_use(team_a):
    case = adult(team_a, dt.date(2018, 5, 31))  # 6 m: 30-11-2018, 12 m: 31-05-2019
    spell(case, dt.date(2018, 11, 1), dt.date(2018, 12, 31))
    out = io.StringIO()
    call_command(
        "metrics", "cohort-outcomes", "--as-of", "2019-01-31", "--format", "json", stdout=out
    )
    assert json.loads(out.getvalue()) == {
        "as_of": "2019-01-31",
        "cohorts": [
            {
                "year": 2018,
                "persons": 1,
                "share_6m": 100,
                "share_12m": None,
                "share_as_of": 0,
                "count_as_of": 0,
            }
        ],
    }


# --- monthly figures -------------------------------------------------------


@pytest.mark.django_db
def test_monthly_figures_count_programme_ladder_and_96_hours(team_a):
    # Two adults and a child arrive in March 2025; one adult is placed after 2 days,
    # the other after 6 (a breach). The child is not on the ladder.
    a = adult(team_a, dt.date(2025, 3, 3))
    b = adult(team_a, dt.date(2025, 3, 10))
    make_case(team=team_a, arrival=dt.date(2025, 3, 10), birth=dt.date(2015, 1, 1))
    place(a, step=LadderStep.INTERNSHIP_PRIVATE, start=dt.date(2025, 3, 5))
    place(b, step=LadderStep.OTHER, start=dt.date(2025, 3, 16))

    figures = monthly_figures(ReportPeriod.monthly(dt.date(2025, 3, 1)))

    assert figures["as_of"] == "2025-03-31"
    assert figures["in_programme"] == {
        "total": 3,
        "adults": 2,
        "children": 1,
        "refugees": 3,
        "family_reunified": 0,
        "displaced_ukraine": 0,
    }
    assert figures["arrivals"]["month"] == 3
    ladder = {row["step"]: row["count"] for row in figures["ladder_now"]}
    assert ladder[4] == 1 and ladder[6] == 1 and ladder[None] == 0
    placed = figures["placement_96h"]
    # 1 of 2 within 96 hours = 50 %; delays 2 and 6 days -> median 4 days = 96 hours.
    assert (placed["arrivals"], placed["within"], placed["share"]) == (2, 1, 50)
    assert placed["median_hours"] == 96
    assert figures["ladder_months"][-1]["month"] == "2025-03"
    assert figures["ladder_months"][-1]["counts"]["4"] == 1
