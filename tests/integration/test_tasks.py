"""The task list (/tasks/) and the to-dos beside the deadlines, on dates worked out by hand.

Today is Friday 01-03-2024 here; the page shows what is overdue and what is
due up to 15-03-2024 (DEADLINE_SOON_DAYS = 14), then the to-dos with no date.
"""

import datetime as dt

import pytest
from django.urls import reverse
from django.utils import timezone

from integration import deadlines, services
from integration.deadlines import DeadlineKind, TodoKind
from integration.models import (
    AccessLog,
    FollowUp,
    HealthAssessment,
    IntegrationContract,
    IntegrationPlan,
    PlanStatus,
)
from tests.factories import UserFactory, make_case, place

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

TODAY = dt.date(2024, 3, 1)
URL = "/tasks/"


# --- the to-dos (pure) -------------------------------------------------------------


def _todos(**facts):
    base = {
        "arrival": dt.date(2023, 9, 4),
        "last_follow_up": None,
        "last_follow_up_guided": False,
        "plan_offered": True,
        "adult_at_arrival": True,
    }
    return [(t.kind, t.due) for t in deadlines.open_todos(**{**base, **facts})]


def test_plan_offer_is_an_undated_todo_of_an_adult_until_offered():
    assert _todos(plan_offered=False) == [(TodoKind.PLAN_OFFER, None)]
    assert _todos(plan_offered=True) == []
    # A child at arrival is in the family's plan, not offered one of their own.
    assert _todos(plan_offered=False, adult_at_arrival=False) == []


def test_a_follow_up_without_repatriation_guidance_makes_a_todo_on_the_next_one():
    # Held 04-12-2023 without guidance: the next follow-up is due 04-03-2024.
    assert _todos(last_follow_up=dt.date(2023, 12, 4), last_follow_up_guided=False) == [
        (TodoKind.REPATRIATION_GUIDANCE, dt.date(2024, 3, 4))
    ]
    assert _todos(last_follow_up=dt.date(2023, 12, 4), last_follow_up_guided=True) == []
    # No follow-up yet: nothing to make up for.
    assert _todos(last_follow_up=None) == []


def test_the_contract_is_due_the_set_number_of_months_after_arrival(settings):
    assert deadlines.contract_due(dt.date(2024, 1, 31)) == dt.date(2024, 2, 29)
    settings.CONTRACT_DEADLINE_MONTHS = 2
    assert deadlines.contract_due(dt.date(2024, 1, 31)) == dt.date(2024, 3, 31)


def test_a_child_has_no_contract_deadline_and_a_signed_contract_meets_it():
    facts = {
        "arrival": dt.date(2024, 1, 10),
        "first_placement": dt.date(2024, 1, 11),
        "health_offered": None,
        "last_follow_up": None,
    }
    kinds = [d.kind for d in deadlines.pending_deadlines(contract_signed=None, **facts)]
    assert DeadlineKind.CONTRACT in kinds
    # Signed before arrival, at the screening visit: met all the same.
    signed = deadlines.pending_deadlines(contract_signed=dt.date(2023, 12, 1), **facts)
    assert DeadlineKind.CONTRACT not in [d.kind for d in signed]
    child = deadlines.pending_deadlines(contract_signed=None, adult_at_arrival=False, **facts)
    assert DeadlineKind.CONTRACT not in [d.kind for d in child]


# --- the page ----------------------------------------------------------------------


@pytest.fixture
def today(monkeypatch):
    monkeypatch.setattr(timezone, "localdate", lambda *args, **kwargs: TODAY)
    return TODAY


def _done(case, *, follow_up=None, guided=True):
    """Everything of the first month recorded: placement, contract, plan offer, health offer."""
    arrival = case.citizen.arrival_date
    place(case, start=arrival + dt.timedelta(days=1))
    for fact in [
        IntegrationContract(signed_on=arrival + dt.timedelta(days=5)),
        IntegrationPlan(status=PlanStatus.OFFERED, event_date=arrival + dt.timedelta(days=5)),
        HealthAssessment(offered_on=arrival + dt.timedelta(days=20)),
    ]:
        services.fact_save(actor=None, case=case, fact=fact)
    if follow_up:
        services.fact_save(
            actor=None,
            case=case,
            fact=FollowUp(held_on=follow_up, repatriation_guidance_given=guided),
        )
    case.refresh_from_db()
    return case


@pytest.fixture
def world(team_a, team_b, caseworker_a, caseworker_b):
    colleague = UserFactory(username="colleague_a", team=team_a, role="caseworker")

    def since_september(first, last, follow_up, guided=True):
        """caseworker_a's case of 04-09-2023, the first month done, one follow-up."""
        case = make_case(
            team=team_a,
            caseworker=caseworker_a,
            arrival=dt.date(2023, 9, 4),
            first_name=first,
            last_name=last,
        )
        return _done(case, follow_up=follow_up, guided=guided)

    cases = {
        # Nothing recorded: placement 14-01 and contract 10-02 overdue; health and
        # follow-up 10-04 beyond the fortnight; the plan offer an undated to-do.
        "late": make_case(
            team=team_a, caseworker=caseworker_a, first_name="Lina", last_name="Late"
        ),
        # Follow-up 04-12-2023 without guidance: the next, 04-03-2024, and the
        # guidance at it.
        "follow": since_september("Farah", "Follow", dt.date(2023, 12, 4), guided=False),
        # Follow-up 20-12-2023 with guidance: next due 20-03-2024, after the fortnight.
        "done": since_september("Dara", "Done", dt.date(2023, 12, 20)),
        # A child at arrival (born 2015): no placement, contract or plan; health
        # and follow-up 20-05-2024.
        "child": make_case(
            team=team_a,
            caseworker=caseworker_a,
            arrival=dt.date(2024, 2, 20),
            birth=dt.date(2015, 6, 1),
            first_name="Chiara",
            last_name="Child",
        ),
        # A colleague's case in team A, and team B's: both overdue.
        "colleague": make_case(
            team=team_a, caseworker=colleague, first_name="Cora", last_name="Colleague"
        ),
        "other_team": make_case(
            team=team_b, caseworker=caseworker_b, first_name="Bodil", last_name="Beyond"
        ),
    }
    return cases


def _positions(body: str, words: list[str]) -> list[int]:
    return [body.index(word) for word in words]


@pytest.mark.django_db
def test_my_tasks_overdue_first_then_by_day_then_undated(world, today, caseworker_a, client_as):
    body = client_as(caseworker_a, language="en").get(URL).content.decode()
    # Overdue (14-01, 10-02), Monday 04-03 (follow-up, guidance), then the plan offer.
    order = [
        "Overdue",
        "First ladder placement (96 hours)",
        "14-01-2024",
        "Integration contract",
        "10-02-2024",
        "Monday 04-03-2024",
        "Follow-up (every 3 months)",
        "Repatriation guidance at this follow-up",
        "To-dos without a date",
        "Offer an integration plan",
    ]
    positions = _positions(body, order)
    assert positions == sorted(positions)
    assert "2 overdue" in body and "2 due in the next 14 days" in body
    assert "1 to-do without a date" in body
    # Each row links its case.
    assert reverse("integration:case_detail", args=[world["late"].uuid]) in body
    assert reverse("integration:case_detail", args=[world["follow"].uuid]) in body
    for name in ["Dara Done", "Chiara Child", "Cora Colleague", "Bodil Beyond"]:
        assert name not in body


@pytest.mark.django_db
def test_my_team_adds_colleagues_cases_and_never_another_teams(
    world, today, caseworker_a, caseworker_b, client_as
):
    body = client_as(caseworker_a, language="en").get(URL, {"show": "team"}).content.decode()
    assert "Cora Colleague" in body and "Lina Late" in body
    assert "Bodil Beyond" not in body
    # Team B's caseworker sees only team B, whatever they ask for.
    body = client_as(caseworker_b).get(URL, {"show": "team"}).content.decode()
    assert "Bodil Beyond" in body
    assert "Lina Late" not in body and "Cora Colleague" not in body


@pytest.mark.django_db
def test_a_recorded_fact_takes_its_task_off_the_list(world, today, caseworker_a, client_as):
    late = world["late"]
    services.fact_save(
        actor=caseworker_a, case=late, fact=IntegrationContract(signed_on=dt.date(2024, 2, 28))
    )
    services.fact_save(
        actor=caseworker_a,
        case=late,
        fact=IntegrationPlan(status=PlanStatus.DECLINED, event_date=dt.date(2024, 2, 28)),
    )
    follow = world["follow"]
    services.fact_save(
        actor=caseworker_a,
        case=follow,
        fact=FollowUp(held_on=dt.date(2024, 2, 29), repatriation_guidance_given=True),
    )
    body = client_as(caseworker_a, language="en").get(URL).content.decode()
    assert "Integration contract" not in body
    assert "Offer an integration plan" not in body
    assert "Repatriation guidance" not in body
    assert "Farah Follow" not in body  # next follow-up 29-05-2024
    assert "First ladder placement (96 hours)" in body  # still not placed


@pytest.mark.django_db
def test_manager_chooses_a_team_and_defaults_to_their_own(world, today, manager, team_b, client_as):
    client = client_as(manager)
    body = client.get(URL).content.decode()
    assert "Lina Late" in body and "Cora Colleague" in body and "Bodil Beyond" not in body
    body = client.get(URL, {"show": str(team_b.uuid)}).content.decode()
    assert "Bodil Beyond" in body and "Lina Late" not in body


@pytest.mark.parametrize(
    ("who", "query"),
    [
        ("caseworker_a", {"show": "all"}),
        ("caseworker_a", {"show": "TEAM_B"}),  # a team is the manager's choice
        ("manager", {"show": "mine"}),
        ("manager", {"show": "00000000-0000-0000-0000-000000000000"}),
        ("manager", {"show": "x" * 500}),
    ],
)
@pytest.mark.django_db
def test_a_value_the_page_does_not_offer_is_a_bad_request(
    who, query, world, today, team_b, request, client_as
):
    query = {k: str(team_b.uuid) if v == "TEAM_B" else v for k, v in query.items()}
    before = AccessLog.objects.count()
    response = client_as(request.getfixturevalue(who)).get(URL, query)
    assert response.status_code == 400
    assert "Lina Late" not in response.content.decode()
    assert AccessLog.objects.count() == before


@pytest.mark.parametrize("who", ["provider_user", "secretariat"])
@pytest.mark.django_db
def test_provider_and_secretariat_are_refused(who, world, today, request, client_as):
    response = client_as(request.getfixturevalue(who)).get(URL)
    assert response.status_code == 403
    assert "Lina" not in response.content.decode()


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in(client_as):
    response = client_as(None).get(URL)
    assert response.status_code == 302 and "/login/" in response["Location"]


@pytest.mark.django_db
def test_reading_the_list_logs_each_citizen_shown_once(world, today, caseworker_a, client_as):
    client_as(caseworker_a).get(URL)
    logged = AccessLog.objects.filter(what="task list", user=caseworker_a)
    assert sorted(logged.values_list("citizen_id", flat=True)) == sorted(
        [world["late"].citizen_id, world["follow"].citizen_id]
    )
    assert set(logged.values_list("action", "path")) == {("view", URL)}


@pytest.mark.django_db
def test_an_empty_list_says_so_and_logs_no_one(team_a, caseworker_a, today, client_as):
    body = client_as(caseworker_a, language="en").get(URL).content.decode()
    assert "Nothing is overdue or due in the next 14 days." in body
    assert not AccessLog.objects.filter(what="task list").exists()


def _more_cases(team, caseworker, n):
    for i in range(n):
        case = make_case(team=team, caseworker=caseworker, arrival=dt.date(2024, 2, 1))
        services.fact_save(
            actor=None,
            case=case,
            fact=FollowUp(held_on=dt.date(2024, 2, 10) + dt.timedelta(days=i % 3)),
        )


@pytest.mark.django_db
def test_query_count_is_flat_in_the_number_of_cases(
    team_a, caseworker_a, today, client_as, django_assert_max_num_queries
):
    client = client_as(caseworker_a)
    # session, user, user and group permissions (2), the ids of the cases
    # shown, the tasks (one query with its subqueries), the access-log insert,
    # the user's groups (the menu's role), and the session's save in a
    # savepoint (3).
    _more_cases(team_a, caseworker_a, 2)
    with django_assert_max_num_queries(11):
        small = client.get(URL)
    _more_cases(team_a, caseworker_a, 30)
    with django_assert_max_num_queries(11):
        large = client.get(URL)
    row = '<li class="row'
    assert small.content.decode().count(row) < large.content.decode().count(row)
