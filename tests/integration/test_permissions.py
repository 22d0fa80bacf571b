"""Who may open which page: one matrix over every URL of the site.

The matrix is keyed by URL name. A URL added to the URL conf without a row
here fails ``test_every_url_has_a_row_in_the_matrix``, so nobody ships a page
whose access nobody thought about.
"""

import datetime as dt
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.http import Http404
from django.shortcuts import resolve_url
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone

from integration import selectors
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    Citizen,
    DanishAbsence,
    DanishCourse,
    HealthAssessment,
    HealthResponse,
    LadderPlacement,
    LadderStep,
    ProviderKind,
)
from tests.factories import ProviderFactory, enrol, make_case, place

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]


@dataclass(frozen=True)
class Redirect:
    """A 302 to a named URL; ``LOGIN`` also expects ``?next=`` the page asked for."""

    to: str


LOGIN = Redirect("login")

PERSONAS = (
    "anonymous",
    "caseworker_a",
    "caseworker_b",
    "provider",
    "provider_noref",
    "manager",
    "secretariat",
    "administrator",
)


def row(*answers) -> dict:
    """The answers in PERSONAS order: anonymous, caseworker_a, caseworker_b,
    provider, provider_noref, manager, secretariat, administrator."""
    return dict(zip(PERSONAS, answers, strict=True))


# Expected answer to a GET, per URL name and persona. Object URLs point at
# team A's case (caseworker_a's), which has a ladder placement at the
# provider's organisation. A forbidden object answers 404, exactly like a
# missing one; a forbidden page that names no object answers 403.
ADMIN_ONLY = row(LOGIN, 403, 403, 403, 403, 403, 403, 200)
CASE_EDIT_PAGE = row(LOGIN, 200, 404, 404, 404, 404, 404, 200)
GET_MATRIX: dict[str, dict] = {
    "home": row(
        LOGIN,
        Redirect("integration:caseload"),
        Redirect("integration:caseload"),
        Redirect("integration:provider_home"),
        Redirect("integration:provider_home"),
        Redirect("evaluation:dashboard"),
        Redirect("evaluation:report_list"),
        Redirect("integration:admin_home"),
    ),
    # A signed-in user who opens the login page is sent on to their start page.
    "login": row(200, *[Redirect("home")] * 7),
    # Signing out is a POST (a link could sign someone out from another site).
    "logout": row(*[405] * 8),
    # The language switch is a POST too; a GET just goes back to the start.
    "set_language": row(*[Redirect("home")] * 8),
    "integration:caseload": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    "integration:case_create": row(LOGIN, 200, 200, 403, 403, 403, 403, 200),
    # The manager reads every case but edits none.
    "integration:case_detail": row(LOGIN, 200, 404, 404, 404, 200, 404, 200),
    "integration:case_history": row(LOGIN, 200, 404, 404, 404, 200, 404, 200),
    "integration:case_edit": CASE_EDIT_PAGE,
    "integration:case_status": CASE_EDIT_PAGE,
    "integration:fact_create": CASE_EDIT_PAGE,
    "integration:fact_edit": CASE_EDIT_PAGE,
    "integration:provider_list": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    "integration:provider_create": ADMIN_ONLY,
    "integration:provider_edit": ADMIN_ONLY,
    # The referral list is a provider's own page; the administrator is no provider.
    "integration:provider_home": row(LOGIN, 403, 403, 200, 200, 403, 403, 403),
    "integration:manager_home": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    "integration:secretariat_home": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "integration:admin_home": ADMIN_ONLY,
    "integration:import_upload": ADMIN_ONLY,
    # The confirmation step is reached by POST from the upload page.
    "integration:import_confirm": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "integration:access_log": ADMIN_ONLY,
    "integration:access_log_export": ADMIN_ONLY,
    # Progression: the case's rounds are read like the case, entered like its facts.
    "progression:case_progression": row(LOGIN, 200, 404, 403, 403, 200, 403, 200),
    "progression:round_create": CASE_EDIT_PAGE,
    "progression:round_edit": CASE_EDIT_PAGE,
    "progression:topic_agree": row(LOGIN, *[405] * 7),
    "progression:link_create": row(LOGIN, *[405] * 7),
    # The provider scores only a citizen referred to its own organisation.
    "progression:provider_score": row(LOGIN, 403, 403, 200, 404, 403, 403, 403),
    # The citizen's form needs no sign-in; an unknown token is simply not found.
    "progression:citizen_form": row(*[404] * 8),
    "progression:questionnaire_list": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    "progression:questionnaire_detail": row(LOGIN, 200, 200, 403, 403, 200, 403, 200),
    # Version 1 is published, so not even the administrator may edit its items.
    "progression:item_edit": row(LOGIN, 403, 403, 403, 403, 403, 403, 404),
    "progression:questionnaire_publish": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "progression:questionnaire_new_draft": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    # Evaluation: the dashboard is the managers' (and the administrator's).
    "evaluation:dashboard": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    # Reports: aggregates only; the secretariat reads and downloads, never makes.
    "evaluation:report_list": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_generate": row(LOGIN, *[405] * 7),
    "evaluation:report_job": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_download": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    "evaluation:report_preview": row(LOGIN, 403, 403, 403, 403, 200, 200, 200),
    # The manager writes the service review's narrative, as DOMAIN.md says.
    "evaluation:narrative_edit": row(LOGIN, 403, 403, 403, 403, 200, 403, 403),
    # Benchmarks come from outside; managers read them, administrators import them.
    "evaluation:benchmark_list": row(LOGIN, 403, 403, 403, 403, 200, 403, 200),
    "evaluation:benchmark_upload": ADMIN_ONLY,
    "evaluation:benchmark_confirm": row(LOGIN, 403, 403, 403, 403, 403, 403, 405),
    "evaluation:quota_edit": ADMIN_ONLY,
}


def _url_names(patterns, namespace=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            ns = pattern.namespace
            if ns == "admin":
                continue
            prefix = f"{namespace}{ns}:" if ns else namespace
            yield from _url_names(pattern.url_patterns, prefix)
        elif isinstance(pattern, URLPattern):
            if pattern.name is None or "static" in str(pattern.pattern):
                continue
            yield f"{namespace}{pattern.name}"


def all_url_names() -> set[str]:
    return set(_url_names(get_resolver().url_patterns))


@pytest.fixture
def other_case_a(team_a, caseworker_a):
    """A second team A case, with a placement of its own."""
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 2, 1))
    place(case, start=dt.date(2024, 2, 2))
    return case


@pytest.fixture
def personas(
    caseworker_a,
    caseworker_b,
    provider_user,
    provider_without_referral,
    manager,
    secretariat,
    administrator,
):
    return {
        "anonymous": None,
        "caseworker_a": caseworker_a,
        "caseworker_b": caseworker_b,
        "provider": provider_user,
        "provider_noref": provider_without_referral,
        "manager": manager,
        "secretariat": secretariat,
        "administrator": administrator,
    }


def _report_archive():
    """An archived monthly report (counts only) for the download URL."""
    from evaluation.models import ReportArchive

    return ReportArchive.objects.get_or_create(
        kind="monthly",
        period="2025-01",
        version=1,
        defaults={
            "pdf": b"%PDF-1.7",
            "sha256": __import__("hashlib").sha256(b"%PDF-1.7").hexdigest(),
            "figures": {},
            "min_cell": 5,
        },
    )[0]


def _report_job():
    from evaluation.models import ReportJob

    return ReportJob.objects.get_or_create(kind="monthly", period="2025-01")[0]


def _round_of(case: Case):
    """The case's progression round, made on first use."""
    from progression import services as progression_services
    from progression.models import Round

    existing = Round.objects.filter(case=case).first()
    if existing is not None:
        return existing
    return progression_services.round_save(
        actor=None,
        case=case,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        scores={"caseworker": {1: 3, 13: 3}},
    )


def _placement_of(case: Case) -> LadderPlacement:
    return LadderPlacement.objects.get(case=case)


def url_for(name: str, case: Case, provider_org) -> str:
    kwargs = {
        "integration:case_detail": {"case_uuid": case.uuid},
        "integration:case_history": {"case_uuid": case.uuid},
        "integration:case_edit": {"case_uuid": case.uuid},
        "integration:case_status": {"case_uuid": case.uuid, "action": "close"},
        "integration:fact_create": {"case_uuid": case.uuid, "kind": "ladder"},
        "integration:fact_edit": {
            "case_uuid": case.uuid,
            "kind": "ladder",
            "fact_uuid": _placement_of(case).uuid,
        },
        "integration:provider_edit": {"provider_uuid": provider_org.uuid},
        "integration:access_log_export": {"citizen_uuid": case.citizen.uuid},
        "progression:case_progression": {"case_uuid": case.uuid},
        "progression:round_create": {"case_uuid": case.uuid},
        "progression:round_edit": {"round_uuid": _round_of(case).uuid},
        "progression:topic_agree": {"round_uuid": _round_of(case).uuid, "item_number": 1},
        "progression:link_create": {"round_uuid": _round_of(case).uuid},
        "progression:provider_score": {"citizen_uuid": case.citizen.uuid},
        "progression:citizen_form": {"token": "not-a-real-token"},
        "evaluation:report_job": {"job_uuid": _report_job().uuid},
        "evaluation:report_download": {"archive_uuid": _report_archive().uuid},
        "evaluation:report_preview": {"kind": "monthly", "period": "2025-01"},
        "evaluation:narrative_edit": {"as_of": "2025-01-31"},
        "progression:questionnaire_detail": {"version": 1},
        "progression:item_edit": {"version": 1, "number": 1},
        "progression:questionnaire_publish": {"version": 1},
    }.get(name, {})
    return reverse(name, kwargs=kwargs)


def _outcome(response):
    if response.status_code == 302:
        return response["Location"]
    return response.status_code


def _expected_outcome(expected, url):
    if expected == LOGIN:
        return f"{resolve_url(settings.LOGIN_URL)}?next={url}"
    if isinstance(expected, Redirect):
        return resolve_url(expected.to)
    return expected


# --- the matrix -------------------------------------------------------------


def test_every_url_has_a_row_in_the_matrix():
    names = all_url_names()
    assert names - set(GET_MATRIX) == set(), "URLs without a row: give each one its access"
    assert set(GET_MATRIX) - names == set(), "rows for URLs that no longer exist"


def test_url_walk_finds_the_known_pages():
    # Guards the walk itself: an empty walk would make the test above pass.
    names = all_url_names()
    assert {"home", "login", "integration:case_detail", "integration:fact_edit"} <= names
    assert not any(name.startswith("admin:") for name in names)


@pytest.mark.parametrize("url_name", sorted(GET_MATRIX))
def test_get_answers_each_persona_as_the_matrix_says(
    url_name, personas, case_a, provider_org, client_as
):
    url = url_for(url_name, case_a, provider_org)
    wrong = {}
    for persona in PERSONAS:
        response = client_as(personas[persona]).get(url)
        got = _outcome(response)
        want = _expected_outcome(GET_MATRIX[url_name][persona], url)
        if got != want:
            wrong[persona] = f"got {got!r}, expected {want!r}"
    assert wrong == {}, f"GET {url}"


def test_anonymous_is_sent_to_login_and_back(case_a, client_as):
    url = reverse("integration:case_detail", args=[case_a.uuid])
    response = client_as(None).get(url)
    assert response.status_code == 302
    assert response["Location"] == f"/login/?next=/cases/{case_a.uuid}/"


# --- writes by someone who may not write -----------------------------------


def _snapshot(case: Case) -> dict:
    case.refresh_from_db()
    citizen = Citizen.objects.get(pk=case.citizen_id)
    return {
        "version": case.version,
        "status": case.status,
        "closing_reason": case.closing_reason,
        "team": case.team_id,
        "caseworker": case.caseworker_id,
        "name": (citizen.first_name, citizen.last_name),
        "arrival": citizen.arrival_date,
        "placements": list(
            LadderPlacement.objects.filter(case=case).values_list("step", "start_date", "version")
        ),
        "history_rows": case.history.count(),
        "changes_logged": AccessLog.objects.filter(action=AccessAction.CHANGE).count(),
    }


def _edit_post(case: Case, team) -> dict:
    return {
        "first_name": "Changed",
        "last_name": "By Someone Else",
        "nationality": "SY",
        "residence_basis": "refugee",
        "arrival_date": "2024-01-10",
        "team": team.pk,
        "version": case.version,
    }


@pytest.mark.parametrize("persona", ["caseworker_b", "manager", "provider", "secretariat"])
def test_those_who_may_not_edit_get_404_on_every_write_and_nothing_changes(
    persona, personas, case_a, team_b, client_as
):
    client = client_as(personas[persona])
    before = _snapshot(case_a)
    posts = [
        (reverse("integration:case_edit", args=[case_a.uuid]), _edit_post(case_a, team_b)),
        (
            reverse("integration:fact_create", args=[case_a.uuid, "ladder"]),
            {"step": LadderStep.OTHER, "start_date": "2024-03-01"},
        ),
        (
            reverse(
                "integration:fact_edit", args=[case_a.uuid, "ladder", _placement_of(case_a).uuid]
            ),
            {"step": LadderStep.OTHER, "start_date": "2024-01-12", "version": 1},
        ),
        (
            reverse("integration:case_status", args=[case_a.uuid, "close"]),
            {"reason": "moved_away", "on": "2024-05-01", "version": case_a.version},
        ),
    ]
    for url, data in posts:
        assert client.post(url, data).status_code == 404, url
    assert _snapshot(case_a) == before


def test_caseworker_of_own_team_can_make_the_same_edit(case_a, caseworker_a, team_a, client_as):
    # The refusal above is not a broken form: the same POST by the owner works.
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]), _edit_post(case_a, team_a)
    )
    assert response.status_code == 302
    case_a.citizen.refresh_from_db()
    assert case_a.citizen.last_name == "By Someone Else"


# --- sub-resources -------------------------------------------------------------


def test_fact_of_another_case_under_this_case_url_is_404(
    case_a, other_case_a, caseworker_a, client_as
):
    client = client_as(caseworker_a)
    foreign = _placement_of(other_case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "ladder", foreign.uuid])
    assert client.get(url).status_code == 404
    response = client.post(
        url, {"step": LadderStep.OTHER, "start_date": "2024-02-02", "version": 1}
    )
    assert response.status_code == 404
    foreign.refresh_from_db()
    assert (foreign.step, foreign.version, foreign.case_id) == (
        LadderStep.INTERNSHIP_PRIVATE,
        1,
        other_case_a.pk,
    )


def test_absence_cannot_point_at_a_course_of_another_case(
    case_a, other_case_a, caseworker_a, client_as
):
    school = ProviderFactory(name="Sprogskolen Vest", kind=ProviderKind.LANGUAGE_SCHOOL)
    foreign_course = enrol(other_case_a, provider=school, start=dt.date(2024, 2, 5))
    response = client_as(caseworker_a).post(
        reverse("integration:fact_create", args=[case_a.uuid, "absence"]),
        {"course": foreign_course.pk, "month": "2024-03-01", "absence_percent": "10"},
    )
    assert response.status_code == 200
    assert "course" in response.context["form"].errors
    assert not DanishAbsence.objects.exists()


def test_other_teams_case_stays_off_the_caseload_whatever_the_filter(
    case_a, caseworker_b, team_a, client_as
):
    client = client_as(caseworker_b)
    url = reverse("integration:caseload")
    for params in (
        {},
        {"scope": "all", "status": ""},
        {"scope": "team", "team": team_a.pk},
        {"q": "Haddad", "scope": "all"},
        {"q": "710190-4000", "scope": "all"},
    ):
        response = client.get(url, params)
        assert response.context["page"].paginator.count == 0, params
        assert str(case_a.uuid) not in response.content.decode(), params


def test_fact_under_the_wrong_kind_is_404(case_a, caseworker_a, client_as):
    placement = _placement_of(case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "health", placement.uuid])
    assert client_as(caseworker_a).get(url).status_code == 404


@pytest.mark.parametrize(
    ("url_name", "kwargs"),
    [
        ("integration:fact_create", {"kind": "diagnosis"}),
        ("integration:case_status", {"action": "delete"}),
    ],
)
def test_unknown_fact_kind_or_status_action_is_404(
    url_name, kwargs, case_a, caseworker_a, client_as
):
    url = reverse(url_name, kwargs={"case_uuid": case_a.uuid, **kwargs})
    assert client_as(caseworker_a).get(url).status_code == 404


def test_unknown_case_uuid_is_404_like_a_forbidden_one(caseworker_a, client_as):
    url = reverse("integration:case_detail", args=["00000000-0000-4000-8000-000000000000"])
    assert client_as(caseworker_a).get(url).status_code == 404


# --- landing pages and menus -----------------------------------------------


LANDING = [
    ("caseworker_a", "integration:caseload", "Caseload"),
    ("provider", "integration:provider_home", "Referred citizens"),
    ("manager", "evaluation:dashboard", "Dashboard"),
    ("secretariat", "evaluation:report_list", "Council reports"),
    ("administrator", "integration:admin_home", "Administration"),
]


@pytest.mark.parametrize(("persona", "landing", "heading"), LANDING)
def test_home_sends_each_role_to_its_own_page_which_renders(
    persona, landing, heading, personas, case_a, client_as
):
    client = client_as(personas[persona], language="en")
    response = client.get(reverse("home"))
    assert response.status_code == 302
    assert response["Location"] == reverse(landing)
    page = client.get(response["Location"])
    assert page.status_code == 200
    assert f">{heading}</h1>" in page.content.decode()


def test_caseworker_landing_page_lists_own_case(case_a, caseworker_a, client_as):
    body = client_as(caseworker_a, language="en").get(reverse("integration:caseload")).content
    assert "Amal Haddad" in body.decode()
    assert "710190-xxxx" in body.decode()


def test_manager_landing_page_counts_cases_per_team(case_a, manager, team_b, client_as):
    body = client_as(manager, language="en").get(reverse("integration:manager_home")).content
    body = body.decode()
    # Team A has case_a open; team B has none.
    assert f'team={case_a.team_id}">Team A</a></td><td class="text-end">1</td>' in body
    assert f'team={team_b.pk}">Team B</a></td><td class="text-end">0</td>' in body
    assert "Amal" not in body


def test_secretariat_landing_page_shows_suppressed_counts_and_no_names(
    case_a, secretariat, client_as
):
    body = client_as(secretariat, language="en").get(reverse("integration:secretariat_home"))
    body = body.content.decode()
    # One refugee arrived in 2024: below the minimum cell of 5, shown as <5.
    assert '<th scope="row">2024</th><td class="text-end">&lt;5</td>' in body
    assert "Amal" not in body and "Haddad" not in body


def test_administrator_landing_page_lists_users(administrator, caseworker_a, client_as):
    body = client_as(administrator, language="en").get(reverse("integration:admin_home"))
    assert "<td>caseworker_a</td>" in body.content.decode()


def test_user_without_role_gets_403_from_home(client_as, django_user_model):
    nobody = django_user_model.objects.create_user("nobody", password="x" * 12)
    assert client_as(nobody).get(reverse("home")).status_code == 403


MENUS = {
    "caseworker_a": [
        "/cases/?scope=mine",
        "/cases/?scope=team",
        "/cases/new/",
        "/providers/",
    ],
    "provider": ["/referrals/"],
    "manager": [
        "/dashboard/",
        "/overview/",
        "/reports/",
        "/benchmarks/",
        "/cases/?scope=all",
        "/providers/",
    ],
    "secretariat": ["/reports/", "/figures/"],
    "administrator": [
        "/dashboard/",
        "/administration/",
        "/reports/",
        "/cases/?scope=all",
        "/imports/",
        "/access-log/",
        "/progression/questionnaires/",
        "/providers/",
    ],
}


@pytest.mark.parametrize("persona", sorted(MENUS))
def test_menu_is_the_roles_own_and_every_item_opens(
    persona, personas, case_a, client_as, parse_page
):
    client = client_as(personas[persona])
    landing = client.get(reverse("home"), follow=True)
    menu = parse_page(landing).links_inside("navbar-nav")
    assert menu == MENUS[persona]
    for href in menu:
        assert client.get(href).status_code == 200, href


def test_anonymous_sees_no_menu(client_as, parse_page):
    page = client_as(None).get(reverse("login"))
    assert parse_page(page).links_inside("navbar-nav") == []


# --- what a provider sees --------------------------------------------------


@pytest.fixture
def referred_case_with_sensitive_facts(case_a, other_provider_org):
    """case_a, plus facts the provider must never see: a health assessment and
    a Danish course at another organisation."""
    school = ProviderFactory(name="Sprogskolen Vest", kind=ProviderKind.LANGUAGE_SCHOOL)
    enrol(case_a, provider=school, start=dt.date(2024, 2, 1))
    from integration import services

    services.fact_save(
        actor=None,
        case=case_a,
        fact=HealthAssessment(
            offered_on=dt.date(2024, 2, 5),
            response=HealthResponse.ACCEPTED,
            done_on=dt.date(2024, 3, 1),
        ),
    )
    # Another citizen at another organisation, not referred to the provider.
    stranger = make_case(
        team=case_a.team, first_name="Yonas", last_name="Tesfay", arrival=dt.date(2024, 1, 3)
    )
    place(stranger, provider=other_provider_org, start=dt.date(2024, 1, 5))
    return case_a


def test_provider_page_shows_name_and_referral_only(
    referred_case_with_sensitive_facts, provider_user, client_as
):
    case = referred_case_with_sensitive_facts
    response = client_as(provider_user, language="en").get(reverse("integration:provider_home"))
    assert response.status_code == 200
    body = response.content.decode()
    assert "Amal Haddad" in body
    assert str(LadderStep.INTERNSHIP_PRIVATE.label) in body
    assert "12-01-2024" in body  # the referral's start
    # Not the CPR number, masked or full, nor its date part.
    assert "710190" not in body and "7101904000" not in body and "xxxx" not in body
    # Not the nationality, in either language or as a code in a cell.
    assert "Syria" not in body and "Syrien" not in body and ">SY<" not in body
    # Nothing about health.
    assert "ealth" not in body and "elbred" not in body
    # No other organisation's name, and no other citizen.
    assert "Sprogskolen Vest" not in body and "Sprogcenter Øst" not in body
    assert "Yonas" not in body and "Tesfay" not in body
    # The Danish course belongs to another organisation: not listed here.
    assert "Danish course" not in body
    assert case.citizen.arrival_date.strftime("%d-%m-%Y") not in body


def test_provider_without_referral_sees_nobody(case_a, provider_without_referral, client_as):
    response = client_as(provider_without_referral, language="en").get(
        reverse("integration:provider_home")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "Amal" not in body and "Haddad" not in body
    assert "No citizens are referred to your organisation right now." in body


def test_provider_no_longer_sees_citizen_whose_referral_ended_yesterday(
    case_a, provider_user, client_as
):
    yesterday = timezone.localdate() - dt.timedelta(days=1)
    LadderPlacement.objects.filter(case=case_a).update(end_date=yesterday)
    body = client_as(provider_user).get(reverse("integration:provider_home")).content.decode()
    assert "Haddad" not in body
    with pytest.raises(Http404):
        selectors.get_referred_citizen(provider_user, case_a.citizen.uuid)


def test_provider_still_sees_citizen_on_the_referrals_last_day(case_a, provider_user, client_as):
    # The end date is inclusive: ending today still counts as referred today.
    LadderPlacement.objects.filter(case=case_a).update(end_date=timezone.localdate())
    body = client_as(provider_user).get(reverse("integration:provider_home")).content.decode()
    assert "Amal Haddad" in body
    assert selectors.get_referred_citizen(provider_user, case_a.citizen.uuid) == case_a.citizen


def test_provider_sees_citizen_referred_through_a_danish_course(
    case_a, other_provider_org, provider_without_referral, client_as
):
    DanishCourse.objects.create(
        case=case_a, provider=other_provider_org, module="DU2 M3", start_date=dt.date(2024, 2, 1)
    )
    body = client_as(provider_without_referral, language="en").get(
        reverse("integration:provider_home")
    )
    assert "Amal Haddad" in body.content.decode()
    assert "DU2 M3, 18 hours a week" in body.content.decode()
