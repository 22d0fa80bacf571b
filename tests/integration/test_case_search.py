"""The caseload's search: names without regard to accents, and a CPR number's
first six digits, searched like a full number (posted, logged masked)."""

import datetime as dt

import pytest
from django.urls import reverse

from integration import selectors
from integration.models import AccessAction, AccessLog, Citizen
from tests.factories import make_case
from tests.integration.test_case_views import caseload_names

pytestmark = pytest.mark.django_db

URL = reverse("integration:caseload")


@pytest.fixture
def karimis(team_a, caseworker_a):
    """Hana Karimi without accents, Ráná Kárímí with them; one Nouri besides."""
    make_case(team=team_a, caseworker=caseworker_a, first_name="Hana", last_name="Karimi")
    make_case(team=team_a, caseworker=caseworker_a, first_name="Ráná", last_name="Kárímí")
    make_case(team=team_a, caseworker=caseworker_a, first_name="Sara", last_name="Nouri")


@pytest.mark.parametrize(
    ("term", "names"),
    [
        ("Karími", ["Hana Karimi", "Ráná Kárímí"]),
        ("karimi", ["Hana Karimi", "Ráná Kárímí"]),
        ("KARIMI", ["Hana Karimi", "Ráná Kárímí"]),
        ("rana", ["Ráná Kárímí"]),
        ("Hána karimi", ["Hana Karimi"]),
        ("nouri", ["Sara Nouri"]),
        ("Nóuri x", []),
    ],
)
def test_name_search_ignores_case_and_accents(term, names, karimis, caseworker_a, client_as):
    response = client_as(caseworker_a).get(URL, {"q": term, "sort": "name"})
    assert response.status_code == 200
    assert caseload_names(response) == names


def test_the_folded_name_follows_a_change_of_name(karimis, caseworker_a):
    from integration import services

    case = Citizen.objects.get(first_name="Hana").case
    services.citizen_update(actor=caseworker_a, case=case, version=case.version, last_name="Ábdí")
    assert Citizen.objects.get(first_name="Hana").search_name == "hana abdi"
    found = selectors.caseload(caseworker_a, selectors.CaseloadFilters(scope="team", query="abdi"))
    assert [c.citizen.first_name for c in found] == ["Hana"]


def test_name_search_with_accents_takes_no_more_queries(karimis, caseworker_a, client_as):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_as(caseworker_a)
    client.get(URL, {"q": "nouri"})  # warm the session and the user
    counts = []
    for term in ("karimi", "Karími", "Kárímí Ráná"):
        with CaptureQueriesContext(connection) as queries:
            assert client.get(URL, {"q": term}).status_code == 200
        counts.append(len(queries))
    # The folding happens in Python on the term; the database compares the
    # stored folded name: one filter, however the term is written.
    assert counts[0] == counts[1] == counts[2]


# --- a partial CPR number ------------------------------------------------------


@pytest.fixture
def twins(team_a, team_b, caseworker_a, caseworker_b):
    """Two citizens of team A born 11-01-1990 (replacement numbers 710190-…),
    one of team B born the same day, and one of team A born another day."""
    born = dt.date(1990, 1, 11)
    a1 = make_case(team=team_a, caseworker=caseworker_a, first_name="Amal", birth=born)
    a2 = make_case(team=team_a, caseworker=caseworker_a, first_name="Aziz", birth=born)
    b = make_case(team=team_b, caseworker=caseworker_b, first_name="Bashir", birth=born)
    other = make_case(
        team=team_a, caseworker=caseworker_a, first_name="Dina", birth=dt.date(1991, 2, 2)
    )
    return a1, a2, b, other


@pytest.mark.parametrize("term", ["710190", "710190-"])
def test_the_first_six_digits_find_the_citizens_born_that_day(term, twins, caseworker_a, client_as):
    response = client_as(caseworker_a).post(URL, {"q": term})

    assert response.status_code == 200
    names = [n.split()[0] for n in caseload_names(response)]
    # Team B's Bashir is born the same day but is not this caseworker's to see.
    assert sorted(names) == ["Amal", "Aziz"]


def test_a_partial_cpr_search_is_logged_as_a_search_with_the_masked_term(
    twins, caseworker_a, client_as
):
    a1, a2, _b, _other = twins
    client_as(caseworker_a).post(URL, {"q": "710190"})

    logged = AccessLog.objects.filter(action=AccessAction.SEARCH)
    assert sorted(logged.values_list("citizen_id", flat=True)) == sorted(
        [a1.citizen_id, a2.citizen_id]
    )
    assert set(logged.values_list("search_term", flat=True)) == {"710190-xxxx"}


def test_a_partial_cpr_in_the_address_is_not_searched_and_is_dropped(
    twins, caseworker_a, client_as
):
    response = client_as(caseworker_a).get(URL, {"q": "710190", "status": "open"})

    assert response.status_code == 302
    assert "710190" not in response["Location"]
    assert not AccessLog.objects.filter(action=AccessAction.SEARCH).exists()


def test_one_match_of_a_partial_cpr_shows_the_list_not_the_case(twins, caseworker_a, client_as):
    # Dina alone is born 02-02-1991: the list, since six digits are not a person.
    response = client_as(caseworker_a).post(URL, {"q": "620291"})
    assert response.status_code == 200
    assert [n.split()[0] for n in caseload_names(response)] == ["Dina"]


@pytest.mark.parametrize(
    ("term", "partial"),
    [("710190", True), ("710190-", True), (" 710190 ", True), ("71019", False)]
    + [("7101901", False), ("71019a", False), ("710190-4000", False)],
)
def test_what_counts_as_the_first_six_digits(term, partial):
    from common import cpr

    assert cpr.looks_like_birth_date(term) is partial
