"""The caseworker's pages: create a case, record facts, close and reopen, the
case page, the caseload with its filters, query counts and the languages."""

import datetime as dt
import html
import re
from decimal import Decimal

import pytest
from django.conf import settings
from django.urls import reverse
from django.utils import formats, timezone, translation

from integration import services
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseStatus,
    CaseStatusChange,
    DanishAbsence,
    FollowUp,
    HealthAssessment,
    Household,
    LadderPlacement,
    LadderStep,
    ProviderKind,
    ResidenceBasis,
)
from tests.factories import ProviderFactory, UserFactory, enrol, make_case, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

ARRIVAL = dt.date(2024, 1, 10)
TAGS = re.compile(r"<[^>]+>")


def _text(fragment: str) -> str:
    return " ".join(html.unescape(TAGS.sub(" ", fragment)).split())


def timeline(response) -> list[tuple[str, str]]:
    """(shown date, text) of each timeline entry, top to bottom."""
    body = response.content.decode()
    items = re.findall(r"<li><time datetime=\"[^\"]*\">([^<]*)</time>(.*?)</li>", body, re.S)
    return [(day, _text(text)) for day, text in items]


def header(response) -> dict[str, str]:
    """The case page header's labels and values."""
    body = response.content.decode()
    section = re.search(r'<section class="case-header.*?</section>', body, re.S).group(0)
    pairs = re.findall(r"<dt>(.*?)</dt>\s*<dd>(.*?)</dd>", section, re.S)
    return {_text(label): _text(value) for label, value in pairs}


def caseload_names(response) -> list[str]:
    body = response.content.decode()
    found = re.findall(r'<td[^>]*><a href="/cases/[0-9a-f-]+/">(.*?)</a></td>', body)
    return [_text(name) for name in found]


def _today() -> dt.date:
    return timezone.localdate()


# --- a case from start to finish ------------------------------------------------


def test_caseworker_creates_a_case_records_a_placement_closes_and_reopens(
    team_a, caseworker_a, provider_org, client_as
):
    client = client_as(caseworker_a, language="en")

    response = client.post(
        reverse("integration:case_create"),
        {
            "cpr": "710190-4000",
            "first_name": "Amal",
            "last_name": "Haddad",
            "sex": "",
            "nationality": "SY",
            "languages": "Arabic",
            "residence_basis": ResidenceBasis.REFUGEE,
            "arrival_date": "2024-01-10",
            "household": "",
            "team": team_a.pk,
            "caseworker": caseworker_a.pk,
        },
    )
    case = Case.objects.select_related("citizen").get()
    assert response.status_code == 302
    assert response["Location"] == reverse("integration:case_detail", args=[case.uuid])
    assert (case.team, case.caseworker, case.status) == (team_a, caseworker_a, CaseStatus.OPEN)
    assert case.citizen.arrival_date == ARRIVAL
    case_url = response["Location"]

    # A ladder placement on day 2.
    response = client.post(
        reverse("integration:fact_create", args=[case.uuid, "ladder"]),
        {
            "step": LadderStep.INTERNSHIP_PRIVATE,
            "provider": provider_org.pk,
            "start_date": "2024-01-12",
            "end_date": "",
        },
    )
    assert response.status_code == 302
    assert response["Location"] == case_url + "#ladder"
    placement = LadderPlacement.objects.get(case=case)
    assert (placement.step, placement.created_by, placement.version) == (4, caseworker_a, 1)

    # It was a public internship after all.
    edit_url = reverse("integration:fact_edit", args=[case.uuid, "ladder", placement.uuid])
    form = client.get(edit_url)
    assert form.context["form"]["version"].value() == 1
    response = client.post(
        edit_url,
        {
            "step": LadderStep.INTERNSHIP_PUBLIC,
            "provider": provider_org.pk,
            "start_date": "2024-01-12",
            "end_date": "",
            "version": 1,
        },
    )
    assert response.status_code == 302
    placement.refresh_from_db()
    assert (placement.step, placement.version) == (LadderStep.INTERNSHIP_PUBLIC, 2)

    # Closing needs a reason.
    close_url = reverse("integration:case_status", args=[case.uuid, "close"])
    case.refresh_from_db()
    response = client.post(close_url, {"reason": "", "on": "2024-05-01", "version": case.version})
    assert response.status_code == 200
    assert "reason" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == CaseStatus.OPEN
    response = client.post(
        close_url, {"reason": "moved_away", "on": "2024-05-01", "version": case.version}
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_on) == (
        CaseStatus.CLOSED,
        "moved_away",
        dt.date(2024, 5, 1),
    )
    assert case.next_deadline is None

    # Reopening needs a note; blanks are not a note.
    reopen_url = reverse("integration:case_status", args=[case.uuid, "reopen"])
    for note in ("", "   "):
        response = client.post(
            reopen_url, {"on": "2024-06-01", "note": note, "version": case.version}
        )
        assert response.status_code == 200
        assert "note" in response.context["form"].errors
    case.refresh_from_db()
    assert case.status == CaseStatus.CLOSED
    response = client.post(
        reopen_url,
        {"on": "2024-06-01", "note": "Moved back to the municipality", "version": case.version},
    )
    assert response.status_code == 302
    case.refresh_from_db()
    assert (case.status, case.closing_reason, case.closed_on) == (CaseStatus.OPEN, "", None)

    # Every change is kept: opened, closed, reopened.
    assert list(
        CaseStatusChange.objects.filter(case=case).values_list("from_status", "to_status")
    ) == [("", "open"), ("open", "closed"), ("closed", "open")]

    page = client.get(case_url)
    assert timeline(page) == [
        ("01-06-2024", "Case reopened – Moved back to the municipality"),
        ("01-05-2024", "Case closed: Moved away"),
        ("12-01-2024", "5. Company internship, public, Byg & Anlæg ApS"),
        ("10-01-2024", "Case opened (arrival)"),
    ]


def test_cannot_close_a_closed_case_or_reopen_an_open_one(case_a, caseworker_a, client_as):
    client = client_as(caseworker_a, language="en")
    response = client.post(
        reverse("integration:case_status", args=[case_a.uuid, "reopen"]),
        {"on": "2024-06-01", "note": "Why not", "version": case_a.version},
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == ["A case cannot go from Open to Open."]
    case_a.refresh_from_db()
    assert case_a.version == 1


def test_closing_date_in_the_future_is_refused(case_a, caseworker_a, client_as):
    tomorrow = _today() + dt.timedelta(days=1)
    response = client_as(caseworker_a).post(
        reverse("integration:case_status", args=[case_a.uuid, "close"]),
        {"reason": "moved_away", "on": tomorrow.isoformat(), "version": case_a.version},
    )
    assert response.status_code == 200
    case_a.refresh_from_db()
    assert case_a.status == CaseStatus.OPEN


def test_fact_form_errors_are_shown_and_nothing_is_saved(case_a, caseworker_a, client_as):
    response = client_as(caseworker_a, language="en").post(
        reverse("integration:fact_create", args=[case_a.uuid, "ladder"]),
        {"step": LadderStep.OTHER, "start_date": "2024-03-01", "end_date": "2024-02-01"},
    )
    assert response.status_code == 200
    assert response.context["form"].errors["end_date"] == ["The end cannot be before the start."]
    assert LadderPlacement.objects.filter(case=case_a).count() == 1


def _case_form(team, caseworker, **changes) -> dict:
    return {
        "cpr": "710190-4000",
        "first_name": "Amal",
        "last_name": "Haddad",
        "sex": "",
        "nationality": "SY",
        "languages": "",
        "residence_basis": ResidenceBasis.REFUGEE,
        "arrival_date": "2024-01-10",
        "household": "",
        "team": team.pk,
        "caseworker": caseworker.pk,
        **changes,
    }


def test_a_refused_case_leaves_no_household_behind(team_a, caseworker_a, client_as):
    client = client_as(caseworker_a, language="en")
    # The form accepts the dates; the service refuses an arrival before birth.
    response = client.post(
        reverse("integration:case_create"),
        _case_form(team_a, caseworker_a, arrival_date="1980-01-10", household="H-NEW"),
    )
    assert response.status_code == 200
    assert "arrival_date" in response.context["form"].errors
    assert not Case.objects.exists()
    assert not Household.objects.exists()


def test_a_new_household_reference_creates_the_household_with_the_case(
    team_a, caseworker_a, client_as
):
    client = client_as(caseworker_a, language="en")
    response = client.post(
        reverse("integration:case_create"), _case_form(team_a, caseworker_a, household="H-NEW")
    )
    assert response.status_code == 302
    assert Case.objects.get().citizen.household == Household.objects.get(reference="H-NEW")


def test_a_refused_edit_leaves_no_household_behind(case_a, caseworker_a, client_as):
    client = client_as(caseworker_a, language="en")
    citizen = case_a.citizen
    stale = case_a.version
    services.citizen_update(actor=caseworker_a, case=case_a, version=stale, languages="Arabic")
    response = client.post(
        reverse("integration:case_edit", args=[case_a.uuid]),
        {
            **_case_form(case_a.team, caseworker_a, household="H-NEW"),
            "first_name": citizen.first_name,
            "last_name": citizen.last_name,
            "arrival_date": citizen.arrival_date.isoformat(),
            "version": stale,
        },
    )
    assert response.status_code == 200
    assert response.context["form"].non_field_errors()
    assert not Household.objects.exists()


# --- the case page ---------------------------------------------------------------


def test_case_page_header_shows_the_key_facts(case_a, caseworker_a, client_as):
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case_a.uuid])
    )
    assert response.status_code == 200
    assert '<h1 class="h3 mb-2" id="case-title">Amal Haddad</h1>' in response.content.decode()
    # Placed on 12-01 (day 2); nothing else done: the contract was due
    # 10-02-2024 (a month after arrival), before the health offer (10-04).
    assert header(response) == {
        "CPR number": "710190-xxxx Show full number",
        "Arrival": "10-01-2024",
        "Days since arrival": str((_today() - ARRIVAL).days),
        "Ladder step now": "4. Company internship, private, Byg & Anlæg ApS",
        "Next deadline": "10-02-2024 (overdue) Integration contract",
    }


def test_case_page_without_placement_shows_a_dash_for_the_step(team_a, caseworker_a, client_as):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=_today())
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case.uuid])
    )
    due = _today() + dt.timedelta(days=4)
    assert header(response)["Ladder step now"] == "–"
    assert header(response)["Days since arrival"] == "0"
    assert header(response)["Next deadline"] == (
        f"{due:%d-%m-%Y} First ladder placement (96 hours)"
    )


def test_closed_case_page_says_there_is_no_deadline(case_a, caseworker_a, client_as):
    services.case_transition(
        actor=caseworker_a,
        case=case_a,
        version=case_a.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 5, 1),
        reason="programme_completed",
    )
    response = client_as(caseworker_a, language="en").get(
        reverse("integration:case_detail", args=[case_a.uuid])
    )
    assert header(response)["Next deadline"] == "None (case closed)"
    assert "Programme completed (01-05-2024)" in response.content.decode()


def test_case_page_masks_the_cpr_and_logs_the_view(case_a, caseworker_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid])
    body = client_as(caseworker_a).get(url).content.decode()
    assert "710190-xxxx" in body
    assert "710190-4000" not in body and "7101904000" not in body
    entry = AccessLog.objects.filter(citizen=case_a.citizen, action=AccessAction.VIEW).get()
    assert (entry.user, entry.what, entry.path) == (caseworker_a, "case page", url)


def test_full_cpr_is_shown_on_request_and_the_request_is_logged(case_a, caseworker_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid])
    response = client_as(caseworker_a, language="en").get(url, {"cpr": "full"})
    assert header(response)["CPR number"] == "710190-4000"
    entry = AccessLog.objects.filter(citizen=case_a.citizen, action=AccessAction.VIEW).get()
    assert (entry.user, entry.what) == (caseworker_a, "case page, full CPR")


def test_case_page_localises_decimals_and_dates(case_a, caseworker_a, client_as):
    school = ProviderFactory(name="Sprogskolen", kind=ProviderKind.LANGUAGE_SCHOOL)
    course = enrol(case_a, provider=school, start=dt.date(2024, 2, 1))
    services.fact_save(
        actor=None,
        case=case_a,
        fact=DanishAbsence(course=course, month=dt.date(2024, 3, 15), absence_percent="12.5"),
    )
    url = reverse("integration:case_detail", args=[case_a.uuid])
    danish = client_as(caseworker_a).get(url).content.decode()
    english = client_as(caseworker_a, language="en").get(url).content.decode()
    # 12.5 % absence in March 2024 (stored as the 1st of the month).
    assert "<td>12,5</td>" in danish and "<td>01-03-2024</td>" in danish
    assert "<td>12.5</td>" in english and "<td>01-03-2024</td>" in english


# --- the caseload: filters, search, pagination ----------------------------------


@pytest.fixture
def caseload_cases(case_a, team_a, caseworker_a):
    """Team A: five open cases (one without caseworker) and a closed one.

    Two Karimis to test search by name; case_a (Amal Haddad) for search by CPR.
    """
    bilal = make_case(
        team=team_a,
        caseworker=caseworker_a,
        first_name="Bilal",
        last_name="Karimi",
        residence_basis=ResidenceBasis.FAMILY_REUNIFIED,
        arrival=dt.date(2024, 2, 1),
    )
    place(bilal, step=LadderStep.OTHER, start=dt.date(2024, 2, 5))
    hana = make_case(team=team_a, caseworker=caseworker_a, first_name="Hana", last_name="Karimi")
    # Was on step 4, but that ended: no current step.
    place(
        hana,
        step=LadderStep.INTERNSHIP_PRIVATE,
        start=dt.date(2024, 1, 12),
        end=dt.date(2024, 3, 1),
    )
    make_case(  # arrived yesterday: not overdue
        team=team_a,
        caseworker=caseworker_a,
        first_name="Sara",
        last_name="Nouri",
        arrival=_today() - dt.timedelta(days=1),
    )
    make_case(team=team_a, caseworker=None, first_name="Omar", last_name="Unassigned")
    dawit = make_case(team=team_a, caseworker=caseworker_a, first_name="Dawit", last_name="Tesfay")
    services.case_transition(
        actor=caseworker_a,
        case=dawit,
        version=dawit.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 5, 1),
        reason="moved_away",
    )


@pytest.mark.parametrize(
    ("params", "names"),
    [
        # Default: my open cases, most urgent first (the deadlines are worked
        # out in the next test).
        ({}, ["Amal Haddad", "Hana Karimi", "Bilal Karimi", "Sara Nouri"]),
        (
            {"scope": "team"},
            ["Omar Unassigned", "Amal Haddad", "Hana Karimi", "Bilal Karimi", "Sara Nouri"],
        ),
        ({"status": "closed"}, ["Dawit Tesfay"]),
        (
            {"status": ""},
            ["Amal Haddad", "Hana Karimi", "Bilal Karimi", "Sara Nouri", "Dawit Tesfay"],
        ),
        ({"basis": "family_reunified"}, ["Bilal Karimi"]),
        ({"basis": "refugee"}, ["Amal Haddad", "Hana Karimi", "Sara Nouri"]),
        ({"step": "4"}, ["Amal Haddad"]),  # Hana's step 4 has ended
        ({"step": "6"}, ["Bilal Karimi"]),
        ({"step": "1"}, []),
        ({"overdue": "1"}, ["Amal Haddad", "Hana Karimi", "Bilal Karimi"]),
        ({"q": "karimi"}, ["Hana Karimi", "Bilal Karimi"]),
        ({"q": "bil KARIMI"}, ["Bilal Karimi"]),
        ({"sort": "name"}, ["Amal Haddad", "Bilal Karimi", "Hana Karimi", "Sara Nouri"]),
    ],
)
def test_caseload_filters(params, names, caseload_cases, caseworker_a, client_as):
    response = client_as(caseworker_a).get(reverse("integration:caseload"), params)
    assert response.status_code == 200
    assert caseload_names(response) == names


@pytest.mark.parametrize("term", ["710190-4000", "7101904000"])
def test_search_by_full_cpr_goes_straight_to_the_case(
    term, caseload_cases, caseworker_a, client_as
):
    amal = Case.objects.get(citizen__first_name="Amal")
    response = client_as(caseworker_a).post(reverse("integration:caseload"), {"q": term})
    assert response.status_code == 302
    assert response.url == reverse("integration:case_detail", args=[amal.uuid])
    logged = AccessLog.objects.get(action="search")
    assert (logged.citizen_id, logged.search_term) == (amal.citizen_id, "710190-xxxx")


def test_the_caseload_order_above_rests_on_these_deadlines(caseload_cases):
    stored = dict(Case.objects.values_list("citizen__first_name", "next_deadline"))
    today = _today()
    assert stored == {
        "Omar": dt.date(2024, 1, 14),  # not placed: arrival 10-01 + 4 days
        "Amal": dt.date(2024, 2, 10),  # placed: the contract, 10-01 + 1 month
        "Hana": dt.date(2024, 2, 10),  # the same; the name decides the order
        "Bilal": dt.date(2024, 3, 1),  # arrived 01-02: the contract 01-03
        "Sara": today + dt.timedelta(days=3),  # arrived yesterday: placement due
        "Dawit": None,  # closed
    }


def test_search_by_full_cpr_logs_the_masked_term(caseload_cases, caseworker_a, client_as):
    client_as(caseworker_a).post(reverse("integration:caseload"), {"q": "710190-4000"})
    entry = AccessLog.objects.get(action=AccessAction.SEARCH)
    assert entry.search_term == "710190-xxxx"
    assert entry.citizen.last_name == "Haddad"


def test_caseload_shows_masked_cpr_never_the_full_number(caseload_cases, caseworker_a, client_as):
    body = client_as(caseworker_a).get(reverse("integration:caseload")).content.decode()
    assert "710190-xxxx" in body
    assert "710190-4000" not in body


def test_caseload_pages(caseload_cases, caseworker_a, client_as, settings):
    settings.CASELOAD_PAGE_SIZE = 2
    client = client_as(caseworker_a, language="en")
    url = reverse("integration:caseload")
    first = client.get(url, {"status": "open"})
    assert caseload_names(first) == ["Amal Haddad", "Hana Karimi"]
    body = first.content.decode()
    assert "Page 1 of 2" in body
    # The next page keeps the filter.
    assert 'href="?status=open&amp;page=2"' in body
    assert caseload_names(client.get(url, {"status": "open", "page": "2"})) == [
        "Bilal Karimi",
        "Sara Nouri",
    ]
    # Past the end shows the last page; a page that is no number is a bad request.
    assert caseload_names(client.get(url, {"page": "99"})) == ["Bilal Karimi", "Sara Nouri"]
    assert client.get(url, {"page": "x"}).status_code == 400


@pytest.mark.parametrize(
    "params",
    [
        {"status": "nonsense"},
        {"scope": "everything"},
        {"team": "99999999999999999999999", "scope": "all"},
        {"team": "-1"},
        {"step": "9"},
        {"sort": "'; DROP TABLE"},
        {"q": "x" * 101},
        {"page": "0"},
    ],
)
def test_a_bad_caseload_query_is_a_400_that_says_so(params, caseload_cases, manager, client_as):
    response = client_as(manager, language="en").get(reverse("integration:caseload"), params)
    assert response.status_code == 400
    assert "does not know" in response.content.decode()


def test_a_cpr_number_is_searched_by_post_and_never_kept_in_the_address(
    caseload_cases, caseworker_a, client_as
):
    client = client_as(caseworker_a, language="en")
    url = reverse("integration:caseload")
    # No match: the answer comes on the post itself, the address stays /cases/.
    missing = client.post(url, {"q": "010190-1234", "status": "open"})
    assert missing.status_code == 200
    assert "No case you may see has the CPR number 010190-xxxx" in missing.content.decode()
    assert all(
        "1234" not in href for href in re.findall(r'href="([^"]*)"', missing.content.decode())
    )
    # A number typed into the address is not searched; the page drops it.
    typed = client.get(url, {"q": "7101904000", "status": "open"})
    assert typed.status_code == 302
    assert "7101904000" not in typed["Location"] and "q=" not in typed["Location"]
    # A name search posted goes on to the address with its filters.
    by_name = client.post(url, {"q": "karimi", "status": "open"})
    assert by_name.status_code == 302
    assert by_name["Location"] == f"{url}?q=karimi&status=open"


# --- query counts ------------------------------------------------------------------


def _cases(n, team, caseworker, provider):
    for i in range(n):
        case = make_case(team=team, caseworker=caseworker, arrival=ARRIVAL + dt.timedelta(days=i))
        place(case, provider=provider, start=ARRIVAL + dt.timedelta(days=i + 1))


# What the caseload costs, whatever the number of cases:
#  1. the session
#  2. the user
#  3. the user's groups           (User.role, for the default scope and the menu)
#  4. the user's permissions      (has_perm): these two only on a first
#     request, later from the cache (accounts.access)
#  5. COUNT of the filtered cases  (the paginator)
#  6. one page of cases with citizen, caseworker and team joined and the
#     current ladder step as a subquery
#  7. INSERT of one access-log row per case shown (one bulk insert)
# The session is written at most once a minute (accounts.sessions), not here.
CASELOAD_QUERIES = 7


@pytest.mark.parametrize("n_cases", [3, 30])
def test_caseload_query_count_does_not_grow_with_the_cases(
    n_cases, team_a, caseworker_a, provider_org, client_as, django_assert_num_queries
):
    _cases(n_cases, team_a, caseworker_a, provider_org)
    client = client_as(caseworker_a)
    with django_assert_num_queries(CASELOAD_QUERIES):
        response = client.get(reverse("integration:caseload"))
    assert len(caseload_names(response)) == min(n_cases, settings.CASELOAD_PAGE_SIZE)


# What the case page costs, with a fact of every kind that joins another table:
#  1. the session
#  2. the user
#  3-4. the user's groups and permissions (cases_visible_to: view_case); on
#        a first request only, later from the cache (accounts.access)
#  5. the case with citizen, team, caseworker and household joined
#  6-16. one query per fact kind (11 kinds); placements and courses with their
#        provider joined, absences with their course and its provider
#  17. the journal notes with their authors joined
#  18. INSERT of the access-log row
#  19. may this user edit this case (EXISTS)
#  20. the other members of the household
#  21. the status changes (the timeline)
CASE_PAGE_QUERIES = 21


def test_case_page_query_count_is_pinned(
    team_a, caseworker_a, provider_org, client_as, django_assert_num_queries
):
    household = Household.objects.create(reference="H-1")
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=ARRIVAL, household=household)
    # Two placements, a course with two months of absence, health, follow-ups.
    for start in (dt.date(2024, 1, 12), dt.date(2024, 3, 1)):
        place(case, provider=provider_org, start=start)
    school = ProviderFactory(name="Sprogskolen", kind=ProviderKind.LANGUAGE_SCHOOL)
    course = enrol(case, provider=school, start=dt.date(2024, 2, 1))
    for month in (dt.date(2024, 2, 1), dt.date(2024, 3, 1)):
        services.fact_save(
            actor=None,
            case=case,
            fact=DanishAbsence(course=course, month=month, absence_percent=Decimal("5.0")),
        )
    services.fact_save(actor=None, case=case, fact=HealthAssessment(offered_on=dt.date(2024, 2, 1)))
    for held in (dt.date(2024, 4, 1), dt.date(2024, 7, 1)):
        services.fact_save(actor=None, case=case, fact=FollowUp(held_on=held))
    # Two journal notes, by two authors.
    colleague = UserFactory(username="colleague_a", team=team_a, role="caseworker")
    for author in (caseworker_a, colleague):
        services.journal_note_create(
            actor=author, case=case, happened_on=dt.date(2024, 2, 2), text=f"Notat af {author}"
        )
    # The household has two more members.
    make_case(team=team_a, household=household, first_name="Sami")
    make_case(team=team_a, household=household, first_name="Lina", birth=dt.date(2015, 5, 5))

    client = client_as(caseworker_a)
    with django_assert_num_queries(CASE_PAGE_QUERIES):
        response = client.get(reverse("integration:case_detail", args=[case.uuid]))
    assert response.status_code == 200
    assert "Lina" in response.content.decode()
    assert "Notat af colleague_a" in response.content.decode()


# --- languages and formats ------------------------------------------------------


def test_danish_is_the_default_language(caseworker_a, client_as, parse_page):
    response = client_as(caseworker_a).get(reverse("integration:caseload"))
    assert parse_page(response).html_lang == "da"
    assert ">Sagsliste</h1>" in response.content.decode()


def test_english_by_cookie(caseworker_a, client_as, parse_page):
    response = client_as(caseworker_a, language="en").get(reverse("integration:caseload"))
    assert parse_page(response).html_lang == "en"
    assert ">Caseload</h1>" in response.content.decode()


def test_english_by_accept_language(caseworker_a, client_as, parse_page):
    response = client_as(caseworker_a).get(
        reverse("integration:caseload"), HTTP_ACCEPT_LANGUAGE="en-GB,en;q=0.9"
    )
    assert parse_page(response).html_lang == "en"
    assert ">Caseload</h1>" in response.content.decode()


def test_switching_language_sticks_for_the_next_pages(caseworker_a, client_as, parse_page):
    client = client_as(caseworker_a)
    response = client.post(reverse("set_language"), {"language": "en", "next": "/cases/"})
    assert response.status_code == 302
    assert response["Location"] == "/cases/"
    response = client.get("/cases/")
    assert parse_page(response).html_lang == "en"
    assert ">Caseload</h1>" in response.content.decode()
    client.post(reverse("set_language"), {"language": "da", "next": "/cases/"})
    assert ">Sagsliste</h1>" in client.get("/cases/").content.decode()


def test_unknown_language_is_ignored(caseworker_a, client_as, parse_page):
    client = client_as(caseworker_a)
    client.post(reverse("set_language"), {"language": "xx", "next": "/cases/"})
    assert parse_page(client.get("/cases/")).html_lang == "da"


@pytest.mark.parametrize("language", ["da", "en"])
def test_short_date_format_is_day_month_year_with_dashes_in_both_languages(language):
    assert formats.get_format("SHORT_DATE_FORMAT", lang=language) == "d-m-Y"
    assert formats.get_format("DATE_FORMAT", lang=language) == "d-m-Y"
    with translation.override(language):
        assert formats.date_format(dt.date(2019, 1, 31), "SHORT_DATE_FORMAT") == "31-01-2019"


def test_dates_read_the_same_in_both_languages_on_the_case_page(case_a, caseworker_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid])
    danish = header(client_as(caseworker_a).get(url))
    english = header(client_as(caseworker_a, language="en").get(url))
    assert danish["Ankomst"] == english["Arrival"] == "10-01-2024"


def test_caseworker_is_offered_only_own_team_and_its_caseworkers(
    caseworker_a, caseworker_b, team_b, client_as
):
    body = client_as(caseworker_a).get(reverse("integration:case_create")).content.decode()
    assert caseworker_a.last_name in body
    assert caseworker_b.last_name not in body
    assert team_b.name not in body


def test_provider_list_shows_a_page_at_a_time_and_logs_only_the_names_shown(
    team_a, provider_org, provider_user, client_as, settings
):
    settings.CASELOAD_PAGE_SIZE = 3
    for n in range(4):
        case = make_case(team=team_a, first_name=f"Borger{n}", last_name=f"Efternavn{n}")
        place(case, provider=provider_org, start=dt.date(2024, 2, 1))
    client = client_as(provider_user, language="en")
    url = reverse("integration:provider_home")

    first = client.get(url).content.decode()
    second = client.get(url, {"page": 2}).content.decode()

    assert [f"Borger{n}" in first for n in range(4)] == [True, True, True, False]
    assert [f"Borger{n}" in second for n in range(4)] == [False, False, False, True]
    assert "Page 1 of 2" in first and "Page 2 of 2" in second
    logged = AccessLog.objects.filter(what="provider referral list")
    assert sorted(logged.values_list("citizen__first_name", flat=True)) == [
        "Borger0",
        "Borger1",
        "Borger2",
        "Borger3",
    ]


def test_provider_organisation_list_offers_a_new_one_only_to_those_who_may_add_one(
    administrator, caseworker_a, client_as
):
    url = reverse("integration:provider_list")
    create = reverse("integration:provider_create")

    admin_page = client_as(administrator, language="en").get(url).content.decode()
    caseworker_page = client_as(caseworker_a, language="en").get(url).content.decode()

    assert f'href="{create}">New provider organisation</a>' in admin_page
    assert create not in caseworker_page
    assert "New provider organisation" not in caseworker_page
