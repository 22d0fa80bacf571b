"""The dashboard after a write: a new score counts none of the case figures
(the ladder, the programme, arrivals, deadlines, cohorts) again and draws
only the progression chart again; a placement counts and draws the ladder
again. Every figure is fresh either way."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from evaluation import charts
from integration import report_days
from integration import report_selectors as rs
from integration.models import LadderStep
from tests.factories import make_case, place

pytestmark = pytest.mark.django_db


@pytest.fixture
def calls(calls_to):
    """The names of the counts made and the charts drawn, in order."""
    calls_to(rs, "arrivals", "arrivals_by_month", "placement_delays", "overdue_by_team")
    calls_to(rs, "cohort_counts")
    calls_to(report_days, "ladder_on_days", "programme_counts_on_days")
    return calls_to(charts, "ladder_months_svg", "trend_svg", "grouped_bars_svg")


def _names(calls):
    return [name for name, _args in calls]


def _get(client) -> str:
    response = client.get("/dashboard/")
    assert response.status_code == 200
    return response.content.decode()


def _kpi(body: str, name: str) -> str:
    return re.search(rf'id="kpi-{name}">([^<]*)<', body).group(1).strip()


def _ladder_row(body: str, label: str) -> list[str]:
    row = re.search(rf'<th scope="row">{label}</th>((?:<td[^>]*>[^<]*</td>)+)', body).group(1)
    return re.findall(r">([^<]*)</td>", row)


def test_a_score_leaves_the_ladder_counted_and_drawn_a_placement_does_not(
    team_a, manager, questionnaire, client_as, calls, django_assert_max_num_queries
):
    from tests.progression.test_report_cache import _save as save_round

    today = timezone.localdate()
    case = make_case(team=team_a, arrival=today - dt.timedelta(days=40))
    client = client_as(manager, language="en")
    body = _get(client)
    assert sorted(_names(calls)) == sorted(
        [
            "arrivals",
            "arrivals_by_month",
            "placement_delays",
            "overdue_by_team",
            "cohort_counts",
            "ladder_on_days",
            "programme_counts_on_days",
            "ladder_months_svg",
            "trend_svg",
            "grouped_bars_svg",
        ]
    )
    assert _kpi(body, "topics") == "0"
    step = str(LadderStep.INTERNSHIP_PUBLIC.label)
    assert _ladder_row(body, step)[-1] == "0"

    calls.clear()
    # Caseworker 3 on every item, the citizen 5 on item 1: a dialogue topic.
    save_round(case, today, 3, citizen={1: 5, 13: 4})
    # The 8 of every request (session, user, permissions, groups, the session
    # saved again), then only this month's measurements and the open topics.
    with django_assert_max_num_queries(10):
        body = _get(client)
    assert _names(calls) == ["trend_svg"]
    assert _kpi(body, "topics") == "1"

    calls.clear()
    place(case, step=LadderStep.INTERNSHIP_PUBLIC, start=today - dt.timedelta(days=1))
    body = _get(client)
    assert {"ladder_on_days", "programme_counts_on_days", "ladder_months_svg"} <= set(_names(calls))
    assert _ladder_row(body, step)[-1] == "1"
    assert _kpi(body, "topics") == "1"
