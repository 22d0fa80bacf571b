"""The deadlines that count from arrival, worked out by hand on fixed dates.

- first ladder placement: within 96 hours, i.e. by arrival + 4 days;
- integration contract: within 1 calendar month of arrival (adults);
- offer of a health assessment: within 3 calendar months of arrival;
- follow-up: every 3 calendar months from the last one (or from arrival).
A month later than the 31st is that month's last day.
"""

import datetime as dt

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import timezone

from integration import deadlines, selectors, services
from integration.models import (
    Case,
    CaseStatus,
    DeadlineKind,
    FollowUp,
    HealthAssessment,
    IntegrationContract,
    LadderPlacement,
    LadderStep,
)
from tests.factories import make_case, place

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

ARRIVAL = dt.date(2024, 1, 10)


# --- first placement within 96 hours -----------------------------------------


def test_first_placement_is_due_four_days_after_arrival():
    assert deadlines.first_placement_due(ARRIVAL) == dt.date(2024, 1, 14)
    # Across a month and a year end.
    assert deadlines.first_placement_due(dt.date(2023, 12, 30)) == dt.date(2024, 1, 3)


@pytest.mark.parametrize(
    ("first_placement", "breach"),
    [
        (dt.date(2024, 1, 10), False),  # on arrival day
        (dt.date(2024, 1, 12), False),  # 48 hours
        (dt.date(2024, 1, 14), False),  # day 4: 96 hours, just in time
        (dt.date(2024, 1, 15), True),  # day 5: 120 hours
        (dt.date(2024, 3, 1), True),
    ],
)
def test_placement_on_day_four_is_in_time_and_day_five_is_a_breach(first_placement, breach):
    # Whatever today is: a placement made is judged by its own date.
    today = dt.date(2024, 6, 1)
    assert deadlines.is_placement_breach(ARRIVAL, first_placement, today) is breach


@pytest.mark.parametrize(
    ("today", "breach"),
    [
        (dt.date(2024, 1, 10), False),
        (dt.date(2024, 1, 14), False),  # day 4, still time
        (dt.date(2024, 1, 15), True),  # day 5 with no placement
    ],
)
def test_no_placement_is_a_breach_once_day_four_has_passed(today, breach):
    assert deadlines.is_placement_breach(ARRIVAL, None, today) is breach


def test_placement_hours_count_whole_days():
    assert deadlines.placement_hours(ARRIVAL, dt.date(2024, 1, 14)) == 96
    assert deadlines.placement_hours(ARRIVAL, dt.date(2024, 1, 15)) == 120


# --- health offer within 3 calendar months -----------------------------------


@pytest.mark.parametrize(
    ("arrival", "due"),
    [
        (dt.date(2024, 1, 10), dt.date(2024, 4, 10)),
        (dt.date(2024, 1, 31), dt.date(2024, 4, 30)),  # April has no 31st
        (dt.date(2023, 11, 30), dt.date(2024, 2, 29)),  # February 2024 has 29 days
        (dt.date(2022, 11, 30), dt.date(2023, 2, 28)),  # ... February 2023 only 28
        (dt.date(2023, 11, 28), dt.date(2024, 2, 28)),  # the day exists: no clamping
        (dt.date(2023, 10, 15), dt.date(2024, 1, 15)),  # into the next year
        (dt.date(2024, 12, 31), dt.date(2025, 3, 31)),
    ],
)
def test_health_offer_is_due_three_calendar_months_after_arrival(arrival, due):
    assert deadlines.health_offer_due(arrival) == due


# --- follow-up every 3 months -------------------------------------------------


@pytest.mark.parametrize(
    ("last_follow_up", "due"),
    [
        (None, dt.date(2024, 4, 10)),  # the first counts from arrival
        (dt.date(2024, 4, 2), dt.date(2024, 7, 2)),
        (dt.date(2024, 5, 31), dt.date(2024, 8, 31)),
        (dt.date(2024, 11, 30), dt.date(2025, 2, 28)),
        (dt.date(2024, 12, 31), dt.date(2025, 3, 31)),
    ],
)
def test_next_follow_up_is_three_months_after_the_last(last_follow_up, due):
    assert deadlines.next_follow_up_due(ARRIVAL, last_follow_up) == due


# --- the next deadline ---------------------------------------------------------


def test_next_deadline_is_the_earliest_pending_one():
    facts = {
        "arrival": ARRIVAL,
        "health_offered": None,
        "last_follow_up": None,
        "contract_signed": None,
    }
    # Nothing done: the placement (14-01) comes before the contract (10-02), and
    # that before health and follow-up (10-04).
    nxt = deadlines.next_deadline(first_placement=None, **facts)
    assert (nxt.kind, nxt.due) == (DeadlineKind.FIRST_PLACEMENT, dt.date(2024, 1, 14))
    pending = deadlines.pending_deadlines(first_placement=None, **facts)
    assert [(d.kind, d.due) for d in pending] == [
        (DeadlineKind.FIRST_PLACEMENT, dt.date(2024, 1, 14)),
        (DeadlineKind.CONTRACT, dt.date(2024, 2, 10)),
        (DeadlineKind.HEALTH_OFFER, dt.date(2024, 4, 10)),
        (DeadlineKind.FOLLOW_UP, dt.date(2024, 4, 10)),
    ]


def test_met_deadlines_drop_out_and_the_next_pending_one_leads():
    placed = {
        "arrival": ARRIVAL,
        "first_placement": dt.date(2024, 1, 12),
        "contract_signed": dt.date(2024, 1, 20),
    }
    # A follow-up on 01-02 moves the next one to 01-05; health (10-04) is earlier.
    nxt = deadlines.next_deadline(health_offered=None, last_follow_up=dt.date(2024, 2, 1), **placed)
    assert (nxt.kind, nxt.due) == (DeadlineKind.HEALTH_OFFER, dt.date(2024, 4, 10))
    # Health offered too: only the follow-up is left.
    nxt = deadlines.next_deadline(
        health_offered=dt.date(2024, 3, 1), last_follow_up=dt.date(2024, 2, 1), **placed
    )
    assert (nxt.kind, nxt.due) == (DeadlineKind.FOLLOW_UP, dt.date(2024, 5, 1))


def test_a_placement_made_late_still_ends_the_placement_deadline():
    # The breach is recorded on the case page; the deadline itself is met.
    nxt = deadlines.next_deadline(
        arrival=ARRIVAL,
        first_placement=dt.date(2024, 2, 1),
        health_offered=dt.date(2024, 2, 1),
        last_follow_up=None,
        contract_signed=dt.date(2024, 1, 20),
    )
    assert (nxt.kind, nxt.due) == (DeadlineKind.FOLLOW_UP, dt.date(2024, 4, 10))


# --- the stored deadline on the case -----------------------------------------


def _stored(case: Case):
    case.refresh_from_db()
    return case.next_deadline, case.next_deadline_kind


@pytest.mark.django_db
def test_stored_next_deadline_follows_every_fact_saved_through_the_service(team_a, caseworker_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    assert _stored(case) == (dt.date(2024, 1, 14), DeadlineKind.FIRST_PLACEMENT)

    placement = services.fact_save(
        actor=caseworker_a,
        case=case,
        fact=LadderPlacement(step=LadderStep.OTHER, start_date=dt.date(2024, 1, 13)),
    )
    case.refresh_from_db()
    assert case.first_placement_on == dt.date(2024, 1, 13)
    # The contract is due a month after arrival.
    assert _stored(case) == (dt.date(2024, 2, 10), DeadlineKind.CONTRACT)

    services.fact_save(
        actor=caseworker_a, case=case, fact=IntegrationContract(signed_on=dt.date(2024, 2, 1))
    )
    # Health offer and first follow-up are both due 10-04-2024.
    assert case.next_deadline == dt.date(2024, 4, 10)

    services.fact_save(
        actor=caseworker_a, case=case, fact=HealthAssessment(offered_on=dt.date(2024, 2, 20))
    )
    assert _stored(case) == (dt.date(2024, 4, 10), DeadlineKind.FOLLOW_UP)

    services.fact_save(
        actor=caseworker_a,
        case=case,
        fact=FollowUp(held_on=dt.date(2024, 4, 2), repatriation_guidance_given=True),
    )
    assert _stored(case) == (dt.date(2024, 7, 2), DeadlineKind.FOLLOW_UP)

    # Moving the first placement through an edit moves the stored date too.
    placement.start_date = dt.date(2024, 1, 16)
    services.fact_save(actor=caseworker_a, case=case, fact=placement, version=1)
    case.refresh_from_db()
    assert case.first_placement_on == dt.date(2024, 1, 16)


@pytest.mark.django_db
def test_earliest_placement_counts_as_the_first(team_a):
    case = make_case(team=team_a, arrival=ARRIVAL)
    place(case, start=dt.date(2024, 3, 1))
    place(case, start=dt.date(2024, 1, 13), end=dt.date(2024, 2, 28))
    case.refresh_from_db()
    assert case.first_placement_on == dt.date(2024, 1, 13)


@pytest.mark.django_db
def test_closed_case_has_no_next_deadline_and_reopening_restores_it(team_a, caseworker_a):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    services.case_transition(
        actor=caseworker_a,
        case=case,
        version=case.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 2, 1),
        reason="moved_away",
    )
    assert _stored(case) == (None, "")
    services.case_transition(
        actor=caseworker_a,
        case=case,
        version=case.version,
        to_status=CaseStatus.OPEN,
        on=dt.date(2024, 3, 1),
        note="Moved back",
    )
    assert _stored(case) == (dt.date(2024, 1, 14), DeadlineKind.FIRST_PLACEMENT)


# --- the caseload: urgency and overdue ----------------------------------------


def _names_in_order(body: str, names: list[str]) -> list[str]:
    found = [(body.index(name), name) for name in names if name in body]
    return [name for _pos, name in sorted(found)]


@pytest.fixture
def three_cases(team_a, caseworker_a):
    """Alphabetical order is the reverse of urgency order."""
    zahra = make_case(  # not placed: due 14-01-2024
        team=team_a, caseworker=caseworker_a, arrival=ARRIVAL, first_name="Zaid", last_name="Zahra"
    )
    malik = make_case(  # not placed: due 05-03-2024
        team=team_a,
        caseworker=caseworker_a,
        arrival=dt.date(2024, 3, 1),
        first_name="Mona",
        last_name="Malik",
    )
    abadi = make_case(  # placed on day 1, contract signed: health and follow-up due 01-04-2024
        team=team_a,
        caseworker=caseworker_a,
        arrival=dt.date(2024, 1, 1),
        first_name="Amal",
        last_name="Abadi",
    )
    place(abadi, start=dt.date(2024, 1, 2))
    services.fact_save(
        actor=None, case=abadi, fact=IntegrationContract(signed_on=dt.date(2024, 1, 5))
    )
    return zahra, malik, abadi


@pytest.mark.django_db
def test_caseload_lists_the_earliest_next_deadline_first(three_cases, caseworker_a, client_as):
    body = client_as(caseworker_a).get(reverse("integration:caseload")).content.decode()
    assert _names_in_order(body, ["Zaid Zahra", "Mona Malik", "Amal Abadi"]) == [
        "Zaid Zahra",
        "Mona Malik",
        "Amal Abadi",
    ]
    # Sorting by name is still possible.
    body = client_as(caseworker_a).get(reverse("integration:caseload"), {"sort": "name"})
    assert _names_in_order(body.content.decode(), ["Zaid Zahra", "Mona Malik", "Amal Abadi"]) == [
        "Amal Abadi",
        "Mona Malik",
        "Zaid Zahra",
    ]


@pytest.mark.django_db
def test_closed_cases_come_after_open_ones_in_urgency_order(three_cases, caseworker_a, client_as):
    # A closed case has no next deadline; "most urgent first" puts it last on
    # every database (SQLite sorts NULL first unless told otherwise).
    zahra, malik, abadi = three_cases
    services.case_transition(
        actor=caseworker_a,
        case=zahra,
        version=zahra.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 2, 1),
        reason="moved_away",
    )
    rows = selectors.caseload(caseworker_a, selectors.CaseloadFilters(status=""))
    assert [c.citizen.last_name for c in rows] == ["Malik", "Abadi", "Zahra"]
    body = client_as(caseworker_a).get(reverse("integration:caseload"), {"status": ""})
    assert _names_in_order(body.content.decode(), ["Zaid Zahra", "Mona Malik", "Amal Abadi"]) == [
        "Mona Malik",
        "Amal Abadi",
        "Zaid Zahra",
    ]


@pytest.mark.django_db
def test_overdue_filter_shows_only_open_cases_past_their_deadline(team_a, caseworker_a, client_as):
    today = timezone.localdate()
    make_case(  # due 14-01-2024: overdue
        team=team_a, caseworker=caseworker_a, arrival=ARRIVAL, first_name="Old", last_name="Late"
    )
    make_case(  # arrived yesterday: placement due in 3 days
        team=team_a,
        caseworker=caseworker_a,
        arrival=today - dt.timedelta(days=1),
        first_name="New",
        last_name="Intime",
    )
    closed = make_case(  # would be overdue, but closed
        team=team_a, caseworker=caseworker_a, arrival=ARRIVAL, first_name="Gone", last_name="Away"
    )
    services.case_transition(
        actor=caseworker_a,
        case=closed,
        version=closed.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 2, 1),
        reason="moved_away",
    )
    client = client_as(caseworker_a)
    body = client.get(reverse("integration:caseload"), {"overdue": "1", "status": ""})
    body = body.content.decode()
    assert "Old Late" in body
    assert "New Intime" not in body
    assert "Gone Away" not in body
    # Without the filter, both open cases are listed, only the late one marked.
    body = client.get(reverse("integration:caseload")).content.decode()
    assert "Old Late" in body and "New Intime" in body


@pytest.mark.django_db
def test_deadline_due_today_is_not_overdue(team_a, caseworker_a):
    today = timezone.localdate()
    make_case(team=team_a, caseworker=caseworker_a, arrival=today - dt.timedelta(days=4))
    due_today = selectors.caseload(caseworker_a, selectors.CaseloadFilters(overdue=True))
    assert list(due_today) == []


# --- the 96-hour breach on the pages -------------------------------------------


@pytest.mark.django_db
def test_missing_placement_after_96_hours_is_shown_as_a_breach_on_the_case_page(
    team_a, caseworker_a, client_as, text_with_class
):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case.uuid])
    )
    assert text_with_class(response, "breach") == (
        "No ladder placement yet: the 96-hour limit has passed."
    )


@pytest.mark.django_db
def test_placement_on_day_five_is_shown_as_a_breach_with_its_hours(
    team_a, caseworker_a, client_as, text_with_class
):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    place(case, start=dt.date(2024, 1, 15))
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case.uuid])
    )
    assert text_with_class(response, "breach") == (
        "First ladder placement came 120 hours after arrival: over the 96-hour limit."
    )


@pytest.mark.django_db
def test_placement_on_day_four_shows_no_breach(team_a, caseworker_a, client_as, text_with_class):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    place(case, start=dt.date(2024, 1, 14))
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case.uuid])
    )
    assert response.status_code == 200
    assert text_with_class(response, "breach") == ""


@pytest.mark.django_db
def test_new_arrival_within_96_hours_shows_no_breach(
    team_a, caseworker_a, client_as, text_with_class
):
    today = timezone.localdate()
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=today - dt.timedelta(days=4))
    response = client_as(caseworker_a).get(reverse("integration:case_detail", args=[case.uuid]))
    assert text_with_class(response, "breach") == ""


@pytest.mark.django_db
def test_unplaced_case_is_marked_as_a_breach_on_the_caseload(
    team_a, caseworker_a, client_as, text_with_class
):
    make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL)
    response = client_as(caseworker_a, language="en").get(reverse("integration:caseload"))
    assert text_with_class(response, "breach") == "Not placed – over 96 hours"
    assert "14-01-2024 (overdue)" in text_with_class(response, "deadline-overdue")


def test_the_breach_class_is_red_in_the_stylesheet():
    css = (settings.BASE_DIR / "static" / "css" / "app.css").read_text()
    rule = next(line for line in css.splitlines() if ".breach" in line)
    assert "color: #a4161a" in rule


def test_child_at_arrival_has_no_96_hour_deadline_and_no_breach(team_a, caseworker_a):
    # Born 01-06-2010, arrived 10-01-2024: 13 years old, not on the ladder.
    child = make_case(
        team=team_a,
        caseworker=caseworker_a,
        birth=dt.date(2010, 6, 1),
        arrival=dt.date(2024, 1, 10),
    )
    child.refresh_from_db()
    assert child.citizen.adult_at_arrival is False
    assert child.next_deadline_kind != DeadlineKind.FIRST_PLACEMENT
    assert child.next_deadline == dt.date(2024, 4, 10)  # health offer, 3 months
    assert not deadlines.is_placement_breach(
        dt.date(2024, 1, 10), None, dt.date(2024, 6, 1), adult_at_arrival=False
    )


def test_eighteenth_birthday_on_arrival_day_counts_as_adult(team_a, caseworker_a):
    case = make_case(
        team=team_a,
        caseworker=caseworker_a,
        birth=dt.date(2006, 1, 10),
        arrival=dt.date(2024, 1, 10),
    )
    case.refresh_from_db()
    assert case.citizen.adult_at_arrival is True
    assert case.next_deadline_kind == DeadlineKind.FIRST_PLACEMENT
