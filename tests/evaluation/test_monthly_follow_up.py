"""The monthly follow-up's figures of issue 11: the quota against refugees, the
adults' follow-ups and their repatriation guidance, why the employed and ladder
step 1 differ, the change since last month and last year, reception, moving
away, the contract and plan deadlines; and ``metrics monthly``.

Figures are checked against numbers worked out by hand from the cases built
in each test; the PDF is read back as text.
"""

import datetime as dt
import io
import json

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from evaluation.figures import monthly_figures, report_figures, service_review_figures
from evaluation.models import ArrivalQuota
from evaluation.pdf import context, render
from evaluation.period import ReportPeriod
from integration import deadlines, services
from integration.models import (
    Case,
    CaseStatus,
    ClosingReason,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HousingKind,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    LadderStep,
    PlanStatus,
    ResidenceBasis,
    ScreeningVisit,
)
from tests.evaluation.test_reports import monthly_by_hand, pdf_text, review_by_hand
from tests.factories import make_case, place

pytestmark = pytest.mark.django_db

MARCH_2025 = ReportPeriod.monthly(dt.date(2025, 3, 1))


@pytest.fixture(autouse=True)
def report_settings(settings):
    settings.MUNICIPALITY_NAME = "Testby Kommune"
    settings.REPORT_MIN_CELL = 5
    settings.CONTRACT_DEADLINE_MONTHS = 1
    settings.PLAN_DEADLINE_MONTHS = 1


def adult(team, arrival, **kw):
    return make_case(team=team, arrival=arrival, birth=dt.date(1985, 5, 5), **kw)


def fact(case, obj):
    return services.fact_save(actor=None, case=case, fact=obj)


def close(case, reason, on):
    Case.objects.filter(pk=case.pk).update(
        status=CaseStatus.CLOSED, closing_reason=reason, closed_on=on
    )


def employ(case, category, start):
    fact(case, EmploymentSpell(category=category, start_date=start))


# --- 1. the quota is the refugees' ----------------------------------------------


def test_quota_is_set_against_the_refugees_who_arrived_not_all_arrivals(team_a):
    ArrivalQuota.objects.create(year=2025, expected=10)
    adult(team_a, dt.date(2025, 1, 20))
    adult(team_a, dt.date(2025, 3, 4))
    adult(team_a, dt.date(2025, 3, 9), residence_basis=ResidenceBasis.FAMILY_REUNIFIED)

    figures = monthly_figures(MARCH_2025)

    a = figures["arrivals"]
    assert (a["month_refugees"], a["month_family_reunified"]) == (1, 1)
    assert (a["year_to_date_refugees"], a["year_to_date_family_reunified"]) == (2, 1)
    # 2 refugees of a quota of 10 = 20 %; all 3 arrivals would have made 30 %.
    ctx = context.monthly_context(figures, min_cell=1)
    assert str(ctx["arrivals"]["share_of_quota"]) == "20 %"


def test_table_2_prints_each_basis_for_the_month_and_year_and_the_quota_beside_refugees():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand(), min_cell=1)))

    # The month for each basis; the year for refugees only, the quota's people.
    assert "Flygtninge i oktober 2026 6" in text
    assert "Familiesammenførte til flygtninge i oktober 2026 3" in text
    assert "I alt i oktober 2026 9" in text
    assert "Flygtninge i 2026 til og med 31-10-2026 40" in text
    assert "til og med 31-10-2026 47" not in text
    assert "Forventet antal flygtninge i 2026 (kvote) 60" in text
    # 40 / 60 = 66.7 % -> 67 %; against all 47 it would read 78 %.
    assert "Ankomne flygtninge i forhold til kvoten 67 %" in text
    assert "78 %" not in text


# --- 2. follow-ups are the adults', with repatriation guidance ------------------------


def test_follow_up_compliance_counts_adults_on_the_day_not_children(team_a):
    parent = adult(team_a, dt.date(2025, 1, 10))
    child = make_case(team=team_a, arrival=dt.date(2025, 1, 10), birth=dt.date(2015, 6, 1))
    # Arrived as a child in 2020, 18 on 15-03-2025: in the programme as an adult now.
    grown = make_case(team=team_a, arrival=dt.date(2020, 6, 1), birth=dt.date(2007, 3, 15))
    for case in (parent, child):
        fact(case, FollowUp(held_on=dt.date(2025, 3, 5), repatriation_guidance_given=True))

    fu = monthly_figures(MARCH_2025)["compliance"]["follow_up"]

    # The parent (followed up) and the grown-up child (not since 2020); the
    # child of 9 is not in the denominator although its case holds a follow-up.
    assert (fu["open_cases"], fu["up_to_date"], fu["share"]) == (2, 1, 50)
    assert grown.citizen.age_on(MARCH_2025.as_of) == 18


def test_follow_ups_held_and_repatriation_guidance_in_month_year_and_review(team_a):
    a = adult(team_a, dt.date(2024, 5, 1))
    b = adult(team_a, dt.date(2024, 6, 1))
    child = make_case(team=team_a, arrival=dt.date(2024, 6, 1), birth=dt.date(2016, 1, 1))
    fact(a, FollowUp(held_on=dt.date(2025, 3, 3), repatriation_guidance_given=True))
    fact(b, FollowUp(held_on=dt.date(2025, 3, 20), repatriation_guidance_given=False))
    fact(a, FollowUp(held_on=dt.date(2025, 1, 4), repatriation_guidance_given=True))
    fact(a, FollowUp(held_on=dt.date(2024, 10, 2), repatriation_guidance_given=False))
    # The child's copy of the guardian's follow-up is not a follow-up of its own.
    fact(child, FollowUp(held_on=dt.date(2025, 3, 20), repatriation_guidance_given=True))

    figures = monthly_figures(MARCH_2025)

    assert figures["follow_ups"] == {
        "month": {"held": 2, "guided": 1},
        "year_to_date": {"held": 3, "guided": 2},
        # January to March: the year to date is printed through a month they allow.
        "months": [{"held": 1, "guided": 1}, {"held": 0, "guided": 0}, {"held": 2, "guided": 1}],
    }
    review = service_review_figures(ReportPeriod.service_review(dt.date(2025, 3, 31)))
    assert review["repatriation_guidance"] == [
        {"year": 2024, "held": 1, "guided": 0},
        {"year": 2025, "held": 3, "guided": 2},
    ]


def test_tables_8_and_8_2_print_adults_and_the_guidance():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))

    assert "Opfølgning inden for de seneste 3 måneder (voksne i programmet) 45 38 84 %" in text
    assert "borgere i programmet" not in text
    # The year: 100 of 110 with guidance = 91 %. The month's 2 without are
    # fewer than 5, so its 10 is printed as the range 12 less 0–4 and its share
    # as the bound (12 - 4) / 12 = 66.7 %: at least 66 %.
    assert "2026 til og med 31-10-2026 110 100 91 %" in text
    assert "Oktober 2026 12 8–12 mindst 66 %" in text


def test_service_review_prints_the_guidance_per_year_beside_repatriation():
    figures = review_by_hand()
    figures["repatriation_guidance"] = [
        {"year": 2017, "held": 40, "guided": 30},
        {"year": 2018, "held": 30, "guided": 28},
    ]
    text, _pages = pdf_text(render.render_pdf(render.render_html(figures)))

    assert "Tabel 4.2. Vejledning om repatriering ved opfølgningssamtaler" in text
    # After the cover's contents list, the sections run in order.
    body = text[text.index("1. Indledning", text.index("Noter")) :]
    assert body.index("Tabel 4.1.") < body.index("Tabel 4.2.") < body.index("5. Progression")
    # 30 / 40 = 75 %; 2018: 2 without guidance, so the 28 is 30 less 0–4 and
    # the share at least (30 - 4) / 30 = 86.7 %: at least 86 %.
    assert "2017 40 30 75 %" in text
    assert "2018 30 26–30 mindst 86 %" in text


# --- 3. why the employed and ladder step 1 differ ---------------------------------------


def test_employed_are_counted_by_their_ladder_step(team_a):
    start = dt.date(2025, 1, 5)
    on_step_1 = adult(team_a, dt.date(2024, 9, 1))
    place(on_step_1, step=LadderStep.ORDINARY, start=start)
    employ(on_step_1, EmploymentCategory.ORDINARY_EMPLOYMENT, start)
    self_supporting = adult(team_a, dt.date(2024, 9, 1))
    employ(self_supporting, EmploymentCategory.SELF_SUPPORTING, start)
    step_1_only = adult(team_a, dt.date(2024, 9, 1))
    place(step_1_only, step=LadderStep.ORDINARY, start=start)
    on_step_2 = adult(team_a, dt.date(2024, 9, 1))
    place(on_step_2, step=LadderStep.WAGE_SUBSIDY_PRIVATE, start=start)
    employ(on_step_2, EmploymentCategory.ORDINARY_EMPLOYMENT, start)

    figures = monthly_figures(MARCH_2025)

    assert figures["employed"]["count"] == 3
    assert figures["employed"]["by_step"] == {
        "1": 1, "2": 1, "3": 0, "4": 0, "5": 0, "6": 0, "none": 1,
    }  # fmt: skip
    ladder = {row["step"]: row["count"] for row in figures["ladder_now"]}
    assert ladder[1] == 2
    note = context.monthly_context(figures, min_cell=1)["employed_note"]
    assert (
        "Af de 3 i beskæftigelse eller selvforsørgende står 1 på trin 1, 1 på et andet trin "
        "og 1 uden aktuel placering" in note
    )
    assert "Af de 2 på trin 1 er 1 ikke registreret som i beskæftigelse" in note


def test_table_5_note_says_why_with_the_months_counts():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand(), min_cell=1)))
    note = text[text.index("Tabel 5 og tabel 3.1") :]

    assert "Af de 18 i beskæftigelse eller selvforsørgende står 10 på trin 1, 6 på et andet" in note
    assert "og 2 uden aktuel placering" in note
    assert "Af de 12 på trin 1 er 2 ikke registreret" in note
    # With the minimum of 5 the small counts are not printed.
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))
    note = text[text.index("Tabel 5 og tabel 3.1") :]
    assert "og <5 uden aktuel placering" in note
    assert "Af de 12 på trin 1 er <5 ikke registreret" in note


# --- 4. since last month and last year --------------------------------------------------


def test_headline_before_is_what_that_months_report_counts(team_a):
    old = adult(team_a, dt.date(2024, 2, 10))
    employ(old, EmploymentCategory.ORDINARY_EMPLOYMENT, dt.date(2024, 12, 1))
    adult(team_a, dt.date(2024, 3, 20))
    adult(team_a, dt.date(2025, 2, 5))
    adult(team_a, dt.date(2025, 3, 15))

    headline = monthly_figures(MARCH_2025)["headline"]

    assert headline["now"] == {
        "as_of": "2025-03-31",
        "in_programme": 4,
        "arrivals_year_to_date": 2,
        "employed": 1,
        "danish_in_course": 0,
        "danish_with_work": 0,
    }
    assert (headline["last_month"]["as_of"], headline["last_year"]["as_of"]) == (
        "2025-02-28",
        "2024-03-31",
    )
    # By hand: end of February 3 in the programme, 1 arrived in 2025, 1 employed;
    # end of March 2024: 2 in the programme, both arrived in 2024, none employed.
    assert [headline["last_month"][k] for k in ("in_programme", "arrivals_year_to_date")] == [3, 1]
    assert headline["last_month"]["employed"] == 1
    assert [headline["last_year"][k] for k in ("in_programme", "arrivals_year_to_date")] == [2, 2]
    assert headline["last_year"]["employed"] == 0
    # The same numbers as that month's own report.
    february = monthly_figures(ReportPeriod.monthly(dt.date(2025, 2, 1)))
    assert headline["last_month"]["in_programme"] == february["in_programme"]["total"]
    assert headline["last_month"]["arrivals_year_to_date"] == february["arrivals"]["year_to_date"]
    assert headline["last_month"]["employed"] == february["employed"]["count"]


def test_headline_prints_changes_and_hides_one_that_gives_a_small_count_away():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))

    assert "Nøgletal Antal Siden sep. 2026 Siden okt. 2025" in text
    # Worked out by hand in monthly_by_hand.
    assert "Borgere i integrationsprogrammet 60 +3 -10" in text
    # The year's arrivals are table 2's (through the month its series allows).
    assert "Ankomne i året til og med måneden" not in text
    assert "Voksne i beskæftigelse eller selvforsørgende 18 +3 -2" in text
    assert "Voksne i danskuddannelse 30 -1 +5" in text

    # Last year 3 were employed: "+15" would give the 3 away.
    figures = monthly_by_hand()
    figures["headline"]["last_year"]["employed"] = 3
    text, _pages = pdf_text(render.render_pdf(render.render_html(figures)))
    assert "Voksne i beskæftigelse eller selvforsørgende 18 +3 .." in text


# --- 5. reception, moving away, contract and plan deadlines ---------------------------


def test_moved_away_in_the_month_and_year(team_a):
    for closed_on, reason in [
        (dt.date(2025, 3, 12), ClosingReason.MOVED_AWAY),
        (dt.date(2025, 1, 30), ClosingReason.MOVED_AWAY),
        (dt.date(2024, 12, 30), ClosingReason.MOVED_AWAY),
        (dt.date(2025, 3, 2), ClosingReason.REPATRIATED),
    ]:
        close(adult(team_a, dt.date(2024, 1, 10)), reason, closed_on)

    assert monthly_figures(MARCH_2025)["moved_away"] == {
        "month": 1,
        "year_to_date": 2,
        "months": [1, 0, 1],
    }


def test_reception_counts_screening_before_arrival_and_housing_near_a_job(team_a):
    screened = adult(team_a, dt.date(2025, 3, 10))
    fact(screened, ScreeningVisit(visit_date=dt.date(2025, 2, 20), location="Center Sandholm"))
    fact(
        screened,
        HousingPlacement(
            kind=HousingKind.OWN_LEASE,
            locality="Tørring",
            near_known_job=True,
            start_date=dt.date(2025, 3, 10),
        ),
    )
    late_visit = adult(team_a, dt.date(2025, 1, 10))
    fact(late_visit, ScreeningVisit(visit_date=dt.date(2025, 1, 15), location="Center Sandholm"))
    fact(
        late_visit,
        HousingPlacement(
            kind=HousingKind.TEMPORARY, locality="Juelsminde", start_date=dt.date(2025, 1, 10)
        ),
    )
    family = adult(team_a, dt.date(2025, 3, 12), residence_basis=ResidenceBasis.FAMILY_REUNIFIED)
    fact(family, ScreeningVisit(visit_date=dt.date(2025, 3, 1), location="Center Sandholm"))

    reception = monthly_figures(MARCH_2025)["reception"]

    assert reception == {
        "month": {"refugees": 1, "screened": 1, "near_job": 1},
        "year_to_date": {"refugees": 2, "screened": 1, "near_job": 1},
        "months": [
            {"refugees": 1, "screened": 0, "near_job": 0},
            {"refugees": 0, "screened": 0, "near_job": 0},
            {"refugees": 1, "screened": 1, "near_job": 1},
        ],
    }


def test_arrivals_due_between_takes_the_days_a_short_month_clips():
    # Deadlines in February 2025, one month on: 29-31 January clip to 28 February.
    assert deadlines.arrivals_due_between(dt.date(2025, 2, 1), dt.date(2025, 2, 28), 1) == (
        dt.date(2025, 1, 1),
        dt.date(2025, 1, 31),
    )
    assert deadlines.arrivals_due_between(dt.date(2025, 1, 1), dt.date(2025, 3, 31), 2) == (
        dt.date(2024, 11, 1),
        dt.date(2025, 1, 31),
    )


def test_contract_and_plan_deadlines_one_month_after_arrival(team_a, settings):
    # Deadline 28-02 (31-01 + 1 month): signed that day, in time; plan offered.
    a = adult(team_a, dt.date(2025, 1, 31))
    fact(a, IntegrationContract(signed_on=dt.date(2025, 2, 28)))
    fact(a, IntegrationPlan(status=PlanStatus.OFFERED, event_date=dt.date(2025, 2, 1)))
    # Deadline 10-03: signed a day late; the plan was declined in time (it was offered).
    b = adult(team_a, dt.date(2025, 2, 10))
    fact(b, IntegrationContract(signed_on=dt.date(2025, 3, 11)))
    fact(b, IntegrationPlan(status=PlanStatus.DECLINED, event_date=dt.date(2025, 3, 10)))
    # Deadline 15-03: nothing yet.
    adult(team_a, dt.date(2025, 2, 15))
    # Deadline 30-12-2024, before the year; a child at arrival has no contract deadline.
    early = adult(team_a, dt.date(2024, 11, 30))
    fact(early, IntegrationContract(signed_on=dt.date(2024, 12, 20)))
    make_case(team=team_a, arrival=dt.date(2025, 2, 1), birth=dt.date(2015, 1, 1))

    c = monthly_figures(MARCH_2025)["compliance"]

    # By the deadline's month: none in January, a's in February, b's and the
    # third one's in March.
    assert c["contract"] == {
        "due": 3,
        "on_time": 1,
        "months": 1,
        "by_month": [{"due": 0, "on_time": 0}, {"due": 1, "on_time": 1}, {"due": 2, "on_time": 0}],
    }
    assert c["plan"]["by_month"] == [
        {"due": 0, "on_time": 0},
        {"due": 1, "on_time": 1},
        {"due": 2, "on_time": 1},
    ]
    assert (c["plan"]["due"], c["plan"]["on_time"]) == (3, 2)

    # With two months the deadlines of 2025 are those of arrivals from November
    # to January: the early one (in time) and a (in time).
    settings.CONTRACT_DEADLINE_MONTHS = 2
    # (the early one's deadline 30-01, a's 31-03).
    assert monthly_figures(MARCH_2025)["compliance"]["contract"] == {
        "due": 2,
        "on_time": 2,
        "months": 2,
        "by_month": [{"due": 1, "on_time": 1}, {"due": 0, "on_time": 0}, {"due": 1, "on_time": 1}],
    }


def test_tables_8_and_9_print_the_deadlines_reception_and_moving_away():
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand(), min_cell=1)))

    period = "(frist i 2026 til og med 31-10-2026)"
    # 15 / 20 = 75 %; 16 / 20 = 80 %.
    assert f"Integrationskontrakt indgået senest 1 måned efter ankomst {period} 20 15 75 %" in text
    assert f"Integrationsplan tilbudt senest 1 måned efter ankomst {period} 20 16 80 %" in text
    # Reception is the month's: the year's refugees are table 2's alone.
    assert "Flygtninge Oktober 2026 Ankomne flygtninge 6" in text
    assert "heraf med forbesøg på asylcenter før ankomst 5" in text
    assert "heraf boligplaceret nær et kendt job 1" in text
    assert "Fraflyttede borgere 1 6" in text
    # With the minimum of 5, the month's single move is not printed.
    text, _pages = pdf_text(render.render_pdf(render.render_html(monthly_by_hand())))
    # The year runs through July, the last month that closes a pool of
    # moves (0, 0, 2, 0, 1, 1, 1 = 5): August to October hold 1 between them.
    assert "2026 til og med 31-07-2026 Fraflyttede borgere <5 5" in text


# --- 6. metrics monthly ------------------------------------------------------------------


def _metrics(*args) -> str:
    out = io.StringIO()
    call_command("metrics", "monthly", *args, stdout=out)
    return out.getvalue()


def test_metrics_monthly_json_is_the_figures_the_report_is_built_from(team_a):
    ArrivalQuota.objects.create(year=2025, expected=10)
    adult(team_a, dt.date(2025, 3, 4))
    make_case(team=team_a, arrival=dt.date(2025, 2, 1), birth=dt.date(2015, 1, 1))

    printed = json.loads(_metrics("--month", "2025-03", "--format", "json"))
    expected = report_figures(MARCH_2025)

    printed.pop("generated_at")
    expected.pop("generated_at")
    assert printed == json.loads(json.dumps(expected))
    assert printed["in_programme"]["adults"] == 1 and printed["in_programme"]["children"] == 1
    assert printed["arrivals"]["year_to_date_refugees"] == 2
    for key in ("placement_96h", "employed", "danish", "progression", "repatriations"):
        assert key in printed


def test_metrics_monthly_table_is_one_readable_line_per_number(team_a):
    adult(team_a, dt.date(2025, 3, 4))

    lines = _metrics("--month", "2025-03").splitlines()

    rows = dict((line.split(None, 1) + [""])[:2] for line in lines)
    assert rows["in_programme.total"] == "1"
    assert rows["arrivals.month_refugees"] == "1"
    assert rows["arrivals.quota"] == ""  # no quota set: nothing printed
    assert rows["compliance.follow_up.open_cases"] == "1"
    assert rows["ladder_months[2025-03].counts.none"] == "1"


@pytest.mark.parametrize("month", ["2025-13", "March", "2025-3", ""])
def test_metrics_monthly_refuses_a_bad_month_with_a_clear_error(month):
    with pytest.raises(CommandError, match="Not a month"):
        _metrics("--month", month)


def test_metrics_monthly_refuses_a_month_not_yet_ended():
    with pytest.raises(CommandError, match="has not ended"):
        _metrics("--month", "2999-01")


def test_follow_ups_by_month_in_one_query_equal_the_months_counted_apart(team_a):
    from integration import follow_up_selectors as fs

    a = adult(team_a, dt.date(2024, 5, 1))
    child = make_case(team=team_a, arrival=dt.date(2024, 6, 1), birth=dt.date(2016, 1, 1))
    for held, guided in [
        (dt.date(2025, 1, 4), True),
        (dt.date(2025, 1, 30), False),
        (dt.date(2025, 3, 3), True),
        (dt.date(2024, 12, 31), True),
    ]:
        fact(a, FollowUp(held_on=held, repatriation_guidance_given=guided))
    fact(child, FollowUp(held_on=dt.date(2025, 3, 3), repatriation_guidance_given=True))

    months = fs.follow_ups_by_month(None, 2025, 3)

    assert months == [{"held": 2, "guided": 1}, {"held": 0, "guided": 0}, {"held": 1, "guided": 1}]
    apart = [fs.follow_ups_by_year(None, dt.date(2025, m, 1), dates_end(m)) for m in (1, 2, 3)]
    assert [sum(r["held"] for r in rows) for rows in apart] == [m["held"] for m in months]


def dates_end(month: int) -> dt.date:
    from common.dates import month_end

    return month_end(dt.date(2025, month, 1))
