"""The managers' dashboard: who may open it, its figures and filters, its cache."""

import datetime as dt
import re

import pytest
from django.conf import settings as django_settings
from django.core.cache import cache
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integration import services
from integration.models import IntegrationContract, LadderStep, ResidenceBasis
from tests.factories import make_case, place

pytestmark = pytest.mark.django_db

URL = "/dashboard/"
DATA_IMAGE = 'src="data:image/svg+xml;base64,'


@pytest.fixture(autouse=True)
def empty_cache():
    # The local-memory cache outlives each test's database transaction.
    cache.clear()
    yield
    cache.clear()


@pytest.fixture(autouse=True)
def fast_passwords(settings):
    # Users come from the factories with a password; Argon2 costs ~0.15 s each.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_as(db):
    """``client_as(user, language="en")``: a fresh client signed in as ``user``."""

    def make(user=None, *, language: str | None = None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        if language:
            client.cookies[django_settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


@pytest.fixture
def today():
    return timezone.localdate()


@pytest.fixture
def arrival(today):
    # Well inside the default period (this month and the 11 before it), and
    # long enough ago that every 96-hour deadline has passed.
    return today - dt.timedelta(days=40)


@pytest.fixture
def population(team_a, team_b, arrival):
    """Three adults who arrived on the same day.

    - team A, refugee, placed 2 days after arrival (within 96 hours);
    - team A, refugee, not placed (a 96-hour breach, an overdue deadline);
    - team B, family reunified, placed 10 days after arrival (a breach);
    all three with a contract signed on day 5.
    """
    placed = make_case(team=team_a, arrival=arrival, first_name="Amal", last_name="Haddad")
    place(placed, step=LadderStep.INTERNSHIP_PRIVATE, start=arrival + dt.timedelta(days=2))
    unplaced = make_case(team=team_a, arrival=arrival, first_name="Yonas", last_name="Tesfay")
    family = make_case(
        team=team_b,
        arrival=arrival,
        first_name="Hodan",
        last_name="Warsame",
        residence_basis=ResidenceBasis.FAMILY_REUNIFIED,
    )
    place(family, step=LadderStep.OTHER, start=arrival + dt.timedelta(days=10))
    # Each signed the integration contract in its first month, so that the
    # placement is the only deadline that can be overdue.
    for case in (placed, unplaced, family):
        services.fact_save(
            actor=None,
            case=case,
            fact=IntegrationContract(signed_on=arrival + dt.timedelta(days=5)),
        )
    return {"placed": placed, "unplaced": unplaced, "family": family}


def kpi(body: str, name: str) -> str:
    match = re.search(rf'id="kpi-{name}">([^<]*)<', body)
    assert match, f"no KPI {name}"
    return match.group(1).strip()


def get(client, **params):
    response = client.get(URL, params)
    assert response.status_code == 200
    return response.content.decode()


# --- who may open it -------------------------------------------------------------


def test_the_url_is_the_dashboard():
    assert reverse("evaluation:dashboard") == URL


def test_manager_sees_key_figures_and_three_charts(population, manager, client_as):
    body = get(client_as(manager, language="en"))
    assert ">Dashboard</h1>" in body
    assert body.count("<h1") == 1
    # All three adults are in the programme and arrived in the period.
    assert kpi(body, "in-programme") == "3"
    assert kpi(body, "arrivals") == "3"
    # One of three placed within 96 hours: 33 %. Placements after 2 and 10
    # days: the median is 6 days, 144 hours.
    assert kpi(body, "placed") == "33 %"
    assert "median 144 hours" in body
    # Nobody employed or in a Danish course.
    assert kpi(body, "employed") == "0 %"
    assert kpi(body, "danish") == "0 %"
    # The unplaced refugee's first-placement deadline has passed.
    assert kpi(body, "overdue") == "1"
    assert kpi(body, "topics") == "0"
    assert body.count(DATA_IMAGE) == 3
    for alt in re.findall(r'<img [^>]*alt="([^"]*)"', body):
        assert "table beside it" in alt


def team_row(body: str, name: str) -> list[str]:
    """The cells after a team's name in the deadlines table, as text."""
    row = re.search(rf">{name}</a></th>(.*?)</tr>", body, re.S).group(1)
    return [re.sub(r"<[^>]+>", "", cell) for cell in re.findall(r"<td[^>]*>(.*?)</td>", row)]


def test_manager_sees_deadlines_by_team(population, manager, client_as):
    body = get(client_as(manager, language="en"))
    # Open cases, overdue, 96-hour breaches, without caseworker.
    # Team A: the placed and the unplaced refugee; the unplaced one is overdue
    # and a breach. Team B: the family reunified, placed late: a breach.
    assert team_row(body, "Team A") == ["2", "1", "1", "2"]
    assert team_row(body, "Team B") == ["1", "0", "1", "1"]


def test_manager_lands_on_the_dashboard(manager, client_as):
    response = client_as(manager).get(reverse("home"))
    assert response["Location"] == URL


def test_administrator_sees_the_dashboard(population, administrator, client_as):
    body = get(client_as(administrator, language="en"))
    assert kpi(body, "arrivals") == "3"


@pytest.mark.parametrize("persona", ["caseworker_a", "secretariat", "provider_user"])
def test_others_are_refused(persona, request, client_as):
    user = request.getfixturevalue(persona)
    assert client_as(user).get(URL).status_code == 403


def test_anonymous_is_sent_to_sign_in(client_as):
    response = client_as(None).get(URL)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next={URL}"


# --- filters ------------------------------------------------------------------


def test_residence_basis_narrows_the_figures(population, manager, client_as):
    client = client_as(manager, language="en")
    family = get(client, basis=ResidenceBasis.FAMILY_REUNIFIED)
    assert kpi(family, "arrivals") == "1"
    assert kpi(family, "in-programme") == "1"
    assert kpi(family, "placed") == "0 %"  # placed after 10 days
    refugees = get(client, basis=ResidenceBasis.REFUGEE)
    assert kpi(refugees, "arrivals") == "2"
    assert kpi(refugees, "placed") == "50 %"  # one of two


def test_team_filter_narrows_the_figures_and_the_team_table(population, manager, team_b, client_as):
    body = get(client_as(manager, language="en"), team=team_b.pk)
    assert kpi(body, "arrivals") == "1"
    assert kpi(body, "overdue") == "0"
    assert "Team B" in body
    assert f"team={population['placed'].team_id}" not in body  # no row for team A
    assert f'<option value="{team_b.pk}" selected>Team B</option>' in body


def test_period_filter_leaves_out_earlier_arrivals(population, manager, arrival, client_as):
    later = arrival + dt.timedelta(days=1)
    body = get(client_as(manager, language="en"), date_from=later.isoformat())
    assert kpi(body, "arrivals") == "0"
    assert kpi(body, "in-programme") == "3"  # still in the programme at the end


def test_a_period_ending_in_the_future_is_refused_with_a_linked_error(manager, today, client_as):
    body = get(
        client_as(manager, language="en"), date_to=(today + dt.timedelta(days=1)).isoformat()
    )
    assert "The period cannot end after today." in body
    assert 'aria-describedby="date_to-error"' in body
    assert 'id="date_to-error"' in body
    assert DATA_IMAGE not in body


@pytest.mark.parametrize(
    ("date_from", "date_to", "message"),
    [
        ("2025-03-01", "2025-02-28", "The start must be on or before the end."),
        # January 2022 to January 2025 touches 37 months.
        ("2022-01-31", "2025-01-01", "Choose a period of at most 36 months."),
    ],
)
def test_a_backwards_or_too_long_period_is_refused(date_from, date_to, message, manager, client_as):
    body = get(client_as(manager, language="en"), date_from=date_from, date_to=date_to)
    assert message in body
    assert 'aria-describedby="date_from-error"' in body
    assert DATA_IMAGE not in body


def test_thirty_six_months_are_allowed(manager, client_as):
    body = get(client_as(manager, language="en"), date_from="2022-02-01", date_to="2025-01-31")
    assert body.count(DATA_IMAGE) == 3


def test_the_filter_form_is_labelled_and_submitted_by_a_button(manager, client_as):
    body = get(client_as(manager, language="en"))
    for name in ("date_from", "date_to", "team", "basis"):
        assert f'<label class="form-label" for="id_{name}">' in body
    assert '<button type="submit"' in body
    assert "onchange" not in body


@pytest.fixture
def rounds(population, today):
    """A caseworker and a citizen scored two citizens five days ago.

    The refugee: caseworker 3 on items 1–12 (index 3), citizen item 13 = 4 and
    item 1 = 5 (two from the caseworker's 3: a dialogue topic). The family
    reunified: caseworker 4 on items 1–12 (index 4), citizen item 13 = 5.
    """
    from progression import services as progression_services

    day = today - dt.timedelta(days=5)
    for case, caseworker_score, citizen_scores in (
        (population["placed"], 3, {1: 5, 13: 4}),
        (population["family"], 4, {13: 5}),
    ):
        progression_services.round_save(
            actor=None,
            case=case,
            measured_on=day,
            complete=True,
            scores={
                "caseworker": {n: caseworker_score for n in range(1, 13)},
                "citizen": citizen_scores,
            },
        )
    return day


def progression_row(body: str, day: dt.date) -> list[str]:
    row = re.search(
        rf'<th scope="row"[^>]*><time datetime="{day:%Y-%m}">[^<]*</time></th>'
        r"((?:<td[^>]*>[^<]*</td>){3})</tr>",
        body,
    ).group(1)
    return re.findall(r">([^<]*)</td>", row)


def test_progression_means_by_month_with_a_danish_comma(rounds, manager, client_as):
    body = get(client_as(manager, language="da"))
    # Two caseworker measurements; indices 3 and 4: mean 3,50; item 13: 4 and 5.
    assert progression_row(body, rounds) == ["2", "3,50", "4,50"]
    assert kpi(body, "topics") == "1"


def test_progression_follows_the_residence_basis(rounds, manager, client_as):
    body = get(client_as(manager, language="da"), basis=ResidenceBasis.REFUGEE)
    assert progression_row(body, rounds) == ["1", "3,00", "4,00"]
    family = get(client_as(manager, language="da"), basis=ResidenceBasis.FAMILY_REUNIFIED)
    assert progression_row(family, rounds) == ["1", "4,00", "5,00"]
    # The dialogue topic is the refugee's.
    assert kpi(family, "topics") == "0"


# --- the cohort table ------------------------------------------------------------


def cohort_cells(body: str, label: str) -> list[str]:
    row = re.search(rf"{label}</th>((?:<td[^>]*>[^<]*</td>)+)", body).group(1)
    return re.findall(r">([^<]*)</td>", row)


def test_cohort_table_shows_hash_until_everyone_reached_six_months(
    population, manager, arrival, client_as
):
    body = get(client_as(manager, language="en"))
    assert f'<th scope="col" class="text-end">{arrival.year}</th>' in body
    # The two refugees (the family reunified are not in the service review's
    # table) arrived 40 days ago: no share at 6 or 12 months yet.
    assert cohort_cells(body, "Persons")[-1] == "2"
    assert cohort_cells(body, "6 months after arrival")[-1] == "#"
    assert cohort_cells(body, "12 months after arrival")[-1] == "#"
    assert "Refugees aged 18 or over at arrival" in body


def test_cohort_table_follows_the_residence_basis(population, manager, client_as):
    body = get(client_as(manager, language="en"), basis=ResidenceBasis.FAMILY_REUNIFIED)
    assert cohort_cells(body, "Persons")[-1] == "1"
    assert "Family reunified aged 18 or over at arrival" in body


# --- the cache --------------------------------------------------------------------


def test_second_request_is_served_from_the_cache(
    population, manager, client_as, django_assert_max_num_queries
):
    client = client_as(manager, language="en")
    # Every request: the session and the user; on the first, the user's
    # groups and permissions too (later from the cache, accounts.access): 4.
    # The session is written at most once a minute (accounts.sessions).
    # Cold, 22 more: the teams for the filter (1); in the programme (1);
    # arrivals (1) and by month (1); 96-hour placements (2); deadlines by team
    # (1); the ladder at each of the 12 month ends (12); progression by month
    # (1); the cohort counts (1); open dialogue topics (1).
    with django_assert_max_num_queries(26) as cold:
        get(client)
    # Warm: the session and the user; every figure and chart comes from the cache.
    with django_assert_max_num_queries(2) as warm:
        get(client)
    assert len(warm.captured_queries) < len(cold.captured_queries)


def test_a_change_through_a_service_shows_at_once(population, manager, arrival, client_as):
    client = client_as(manager, language="en")
    assert kpi(get(client), "placed") == "33 %"
    assert kpi(get(client), "placed") == "33 %"  # now cached
    place(population["unplaced"], start=arrival + dt.timedelta(days=3))
    body = get(client)
    assert kpi(body, "placed") == "67 %"  # two of three within 96 hours
    assert kpi(body, "overdue") == "0"


def test_data_version_moves_on_changes_and_imports_but_not_on_reads(
    django_capture_on_commit_callbacks,
):
    from common import data_version
    from integration import services
    from integration.models import AccessAction

    start = data_version.current()
    services.access_log_write(user=None, action=AccessAction.VIEW, what="a read")
    services.access_log_write(user=None, action=AccessAction.EXPORT, what="an export")
    assert data_version.current() == start
    with django_capture_on_commit_callbacks(execute=True):
        services.access_log_write(user=None, action=AccessAction.CHANGE, what="a change")
        assert data_version.current() > start
    # Again at the commit: a page built between the change and the commit
    # read the old data, and must not be served from the cache afterwards.
    after_change = data_version.current()
    assert after_change == start + 2
    services.access_log_write(user=None, action=AccessAction.IMPORT, what="an import")
    assert data_version.current() > after_change


# --- no person on the page ---------------------------------------------------------


def test_page_shows_no_name_and_no_cpr_number(population, manager, client_as):
    body = get(client_as(manager, language="en"))
    text = re.sub(r'src="data:[^"]*"', "", body)
    assert not re.search(r"(?<![\d-])\d{6}-?(\d{4}|xxxx)(?![\d-])", text)
    for case in population.values():
        citizen = case.citizen
        assert citizen.cpr not in body
        assert citizen.first_name not in text and citizen.last_name not in text
        assert str(citizen.uuid) not in body and str(case.uuid) not in body


def test_page_has_no_inline_script_or_style(population, manager, client_as):
    body = get(client_as(manager, language="en"))
    assert "<style" not in body and " style=" not in body
    assert all("src=" in tag for tag in re.findall(r"<script[^>]*>", body))
    assert all('scope="' in tag for tag in re.findall(r"<th(?:\s[^>]*)?>", body))
