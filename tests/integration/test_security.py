"""Sign-in, sessions, CSRF, headers, redirects and what a form may change."""

import datetime as dt
import re

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from integration.models import Case, Citizen, LadderPlacement, LadderStep, User
from tests.factories import UserFactory, make_case

PASSWORD = "correct-horse-battery"  # the factories' password


def _login(client: Client, username: str, password: str):
    return client.post(reverse("login"), {"username": username, "password": password})


def _signed_in(client: Client) -> bool:
    return SESSION_KEY in client.session


# --- passwords and sign-in ------------------------------------------------------


@pytest.mark.django_db
def test_passwords_are_stored_with_argon2_and_sign_in_works(team_a):
    user = UserFactory(username="kirsten", team=team_a, role="caseworker")
    assert user.password.startswith("argon2$argon2id$")
    client = Client()
    response = _login(client, "kirsten", PASSWORD)
    assert response.status_code == 302
    assert response["Location"] == reverse("home")
    assert _signed_in(client)
    assert client.get(reverse("home"))["Location"] == reverse("integration:caseload")


@pytest.mark.django_db
def test_an_older_hash_is_upgraded_to_argon2_at_sign_in(team_a):
    user = UserFactory(username="kirsten", team=team_a, role="caseworker")
    user.password = make_password(PASSWORD, hasher="pbkdf2_sha256")
    user.save(update_fields=["password"])
    assert _login(Client(), "kirsten", PASSWORD).status_code == 302
    user.refresh_from_db()
    assert user.password.startswith("argon2")


@pytest.mark.django_db
def test_wrong_password_is_refused_without_saying_which_part_was_wrong(
    fast_password_hashing, team_a
):
    UserFactory(username="kirsten", team=team_a, role="caseworker")
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    wrong_password = _login(client, "kirsten", "not-the-password")
    no_such_user = _login(client, "nobody-here", "not-the-password")
    assert wrong_password.status_code == no_such_user.status_code == 200
    assert not _signed_in(client)
    assert (
        wrong_password.context["form"].non_field_errors()
        == no_such_user.context["form"].non_field_errors()
    )


@pytest.fixture
def two_caseworkers(fast_password_hashing, team_a, team_b):
    """Lock-out is about counting, not hashing: a fast hasher keeps it quick."""
    return (
        UserFactory(username="kirsten", team=team_a, role="caseworker"),
        UserFactory(username="jonas", team=team_b, role="caseworker"),
    )


@pytest.mark.django_db
def test_five_failures_lock_the_username_even_for_the_right_password(two_caseworkers):
    client = Client()
    for _ in range(5):
        assert not _signed_in(client)
        _login(client, "kirsten", "wrong-password-1")
    response = _login(client, "kirsten", PASSWORD)
    assert response.status_code == 429
    assert not _signed_in(client)
    # The lock is on the username, not on the address: a colleague at the
    # next desk (same IP address) still signs in.
    colleague = Client()
    assert _login(colleague, "jonas", PASSWORD).status_code == 302
    assert _signed_in(colleague)


@pytest.mark.django_db
def test_locked_out_page_says_so(two_caseworkers):
    client = Client(HTTP_ACCEPT_LANGUAGE="en")
    for _ in range(5):
        _login(client, "kirsten", "wrong-password-1")
    response = _login(client, "kirsten", PASSWORD)
    assert "This username is locked" in response.content.decode()


@pytest.mark.django_db
def test_four_failures_then_the_right_password_signs_in_and_resets_the_count(two_caseworkers):
    client = Client()
    for _ in range(4):
        _login(client, "kirsten", "wrong-password-1")
    assert _login(client, "kirsten", PASSWORD).status_code == 302
    assert _signed_in(client)
    # The count started again: four more failures do not lock.
    other = Client()
    for _ in range(4):
        _login(other, "kirsten", "wrong-password-1")
    assert _login(other, "kirsten", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_failures_older_than_24_hours_no_longer_count(two_caseworkers):
    client = Client()
    for _ in range(5):
        _login(client, "kirsten", "wrong-password-1")
    AccessAttempt.objects.filter(username="kirsten").update(
        attempt_time=timezone.now() - dt.timedelta(hours=24, minutes=1)
    )
    assert _login(client, "kirsten", PASSWORD).status_code == 302
    assert _signed_in(client)


@pytest.mark.django_db
def test_failures_within_24_hours_still_count(two_caseworkers):
    client = Client()
    for _ in range(5):
        _login(client, "kirsten", "wrong-password-1")
    AccessAttempt.objects.filter(username="kirsten").update(
        attempt_time=timezone.now() - dt.timedelta(hours=23, minutes=59)
    )
    assert _login(client, "kirsten", PASSWORD).status_code == 429


# --- sessions ---------------------------------------------------------------------


def test_sessions_end_after_30_idle_minutes_and_every_request_renews_them():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert settings.SESSION_SAVE_EVERY_REQUEST is True
    assert settings.SESSION_COOKIE_HTTPONLY is True


@pytest.mark.django_db
def test_a_request_pushes_the_session_expiry_30_minutes_ahead(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    key = client.session.session_key
    Session.objects.filter(pk=key).update(expire_date=timezone.now() + dt.timedelta(minutes=2))
    before = timezone.now()
    assert client.get(reverse("integration:caseload")).status_code == 200
    expiry = Session.objects.get(pk=key).expire_date
    assert before + dt.timedelta(minutes=29) < expiry <= timezone.now() + dt.timedelta(minutes=30)


@pytest.mark.django_db
def test_an_expired_session_is_signed_out(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    Session.objects.filter(pk=client.session.session_key).update(
        expire_date=timezone.now() - dt.timedelta(seconds=1)
    )
    response = client.get(reverse("integration:caseload"))
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.django_db
def test_sign_out_is_a_post_and_ends_the_session(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    assert client.get(reverse("logout")).status_code == 405
    assert _signed_in(client)
    response = client.post(reverse("logout"))
    assert response.status_code == 302
    assert response["Location"] == reverse("login")
    assert client.get(reverse("integration:caseload")).status_code == 302


# --- CSRF -------------------------------------------------------------------------


@pytest.mark.django_db
def test_post_without_csrf_token_is_refused_and_changes_nothing(
    fast_password_hashing, case_a, caseworker_a, team_a
):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker_a)
    response = client.post(
        reverse("integration:case_edit", args=[case_a.uuid]),
        {
            "first_name": "Forged",
            "last_name": "Request",
            "nationality": "SY",
            "residence_basis": "refugee",
            "arrival_date": "2024-01-10",
            "team": team_a.pk,
            "version": 1,
        },
    )
    assert response.status_code == 403
    assert Citizen.objects.get(pk=case_a.citizen_id).first_name == "Amal"


@pytest.mark.django_db
def test_login_post_without_csrf_token_is_refused(two_caseworkers):
    client = Client(enforce_csrf_checks=True)
    assert _login(client, "kirsten", PASSWORD).status_code == 403
    assert not _signed_in(client)


@pytest.mark.django_db
def test_post_with_the_pages_csrf_token_is_accepted(fast_password_hashing, case_a, caseworker_a):
    client = Client(enforce_csrf_checks=True)
    client.force_login(caseworker_a)
    url = reverse("integration:fact_create", args=[case_a.uuid, "followup"])
    token = client.get(url).context["csrf_token"]
    response = client.post(
        url,
        {
            "held_on": "2024-04-02",
            "repatriation_guidance_given": "on",
            "csrfmiddlewaretoken": token,
        },
    )
    assert response.status_code == 302


# --- headers and pages ------------------------------------------------------------


def _csp(response) -> dict[str, list[str]]:
    directives = {}
    for part in response["Content-Security-Policy"].split(";"):
        name, *values = part.split()
        directives[name] = values
    return directives


@pytest.mark.django_db
def test_case_page_sends_the_protective_headers(fast_password_hashing, case_a, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    response = client.get(reverse("integration:case_detail", args=[case_a.uuid]))
    assert response.status_code == 200
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"
    assert response["Referrer-Policy"] == "same-origin"
    csp = _csp(response)
    assert csp["script-src"] == ["'self'"]
    assert "'unsafe-inline'" not in csp.get("style-src", [])
    assert csp["frame-ancestors"] == ["'none'"]
    assert csp["object-src"] == ["'none'"]
    cache = {part.strip() for part in response["Cache-Control"].split(",")}
    assert {"no-store", "private"} <= cache


@pytest.mark.django_db
def test_login_page_has_the_csp_too(client):
    csp = _csp(client.get(reverse("login")))
    assert "'unsafe-inline'" not in csp["script-src"]
    assert "'unsafe-eval'" not in csp["script-src"]


def _pages_as(personas, case, placement, provider_org):
    """(user, url) for every page each role can open, forms included."""
    case_pages = [
        reverse("integration:caseload"),
        reverse("integration:caseload") + "?status=&q=Haddad",
        reverse("integration:case_create"),
        reverse("integration:case_detail", args=[case.uuid]),
        reverse("integration:case_detail", args=[case.uuid]) + "?cpr=full",
        reverse("integration:case_history", args=[case.uuid]),
        reverse("integration:case_edit", args=[case.uuid]),
        reverse("integration:case_status", args=[case.uuid, "close"]),
        reverse("integration:fact_edit", args=[case.uuid, "ladder", placement.uuid]),
        reverse("integration:provider_list"),
    ]
    from integration.forms import FACT_FORMS

    case_pages += [reverse("integration:fact_create", args=[case.uuid, k]) for k in FACT_FORMS]
    yield from ((personas["caseworker"], url) for url in case_pages)
    yield personas["provider"], reverse("integration:provider_home")
    yield personas["manager"], reverse("integration:manager_home")
    yield personas["manager"], reverse("integration:case_detail", args=[case.uuid])
    yield personas["secretariat"], reverse("integration:secretariat_home")
    for name in ("admin_home", "import_upload", "access_log", "provider_create"):
        yield personas["administrator"], reverse(f"integration:{name}")
    yield personas["administrator"], reverse("integration:provider_edit", args=[provider_org.uuid])
    yield None, reverse("login")


@pytest.mark.django_db
def test_no_page_has_inline_script_event_handlers_or_styles(
    fast_password_hashing,
    case_a,
    caseworker_a,
    provider_user,
    manager,
    secretariat,
    administrator,
    provider_org,
    parse_page,
):
    personas = {
        "caseworker": caseworker_a,
        "provider": provider_user,
        "manager": manager,
        "secretariat": secretariat,
        "administrator": administrator,
    }
    placement = LadderPlacement.objects.get(case=case_a)
    clients: dict = {}
    visited = 0
    for user, url in _pages_as(personas, case_a, placement, provider_org):
        client = clients.get(user)
        if client is None:
            client = clients[user] = Client()
            if user is not None:
                client.force_login(user)
        response = client.get(url)
        assert response.status_code == 200, url
        page = parse_page(response)
        assert page.scripts, url  # the page has the bundle, from a file
        for script in page.scripts:
            assert script["src"], f"inline <script> on {url}"
            assert script["body"].strip() == "", f"script body on {url}"
        assert page.event_handlers == [], url
        assert page.inline_styles == [], url
        visited += 1
    # The error pages are rendered from templates too.
    for status, url in ((404, "/cases/00000000-0000-4000-8000-000000000000/"), (403, "/figures/")):
        response = clients[caseworker_a].get(url)
        assert response.status_code == status
        assert all(s["src"] for s in parse_page(response).scripts), url
    assert visited == 31


# --- redirects --------------------------------------------------------------------

EVIL = ["https://evil.example/", "//evil.example/", "https:/evil.example/", "http://evil.example"]


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_login_never_sends_the_user_to_another_site(evil, two_caseworkers):
    client = Client()
    page = client.get(reverse("login"), {"next": evil}).content.decode()
    # Every "next" the page carries stays on this site (the language switch
    # carries the page's own path, in which the address is only a parameter).
    nexts = re.findall(r'name="next" value="([^"]*)"', page)
    assert nexts and all(n == "" or (n.startswith("/") and not n.startswith("//")) for n in nexts)
    response = client.post(
        reverse("login"), {"username": "kirsten", "password": PASSWORD, "next": evil}
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
def test_login_follows_a_next_on_this_site(two_caseworkers):
    response = Client().post(
        reverse("login") + "?next=/cases/", {"username": "kirsten", "password": PASSWORD}
    )
    assert response["Location"] == "/cases/"


@pytest.mark.django_db
def test_signed_in_user_on_the_login_page_is_not_sent_away(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    response = client.get(reverse("login"), {"next": "https://evil.example/"})
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_language_switch_never_sends_the_user_to_another_site(evil, fast_password_hashing):
    client = Client()
    response = client.post(reverse("set_language"), {"language": "en", "next": evil})
    assert response.status_code == 302
    assert "evil" not in response["Location"]
    assert response["Location"] == "/"
    # Nor through the Referer header when next is missing.
    response = client.post(reverse("set_language"), {"language": "en"}, HTTP_REFERER=evil)
    assert "evil" not in response["Location"]


# --- mass assignment ----------------------------------------------------------------


def _edit(case: Case, team, **extra) -> dict:
    return {
        "first_name": "Amal",
        "last_name": "Haddad-Saleh",
        "nationality": "SY",
        "residence_basis": "refugee",
        "arrival_date": "2024-01-10",
        "team": team.pk,
        "caseworker": case.caseworker_id,
        "version": case.version,
        **extra,
    }


def _state(case: Case, user: User) -> dict:
    case = Case.objects.select_related("citizen").get(pk=case.pk)
    user.refresh_from_db()
    return {
        "cpr": case.citizen.cpr,
        "birth_date": case.citizen.birth_date,
        "uuid": case.uuid,
        "citizen_uuid": case.citizen.uuid,
        "status": case.status,
        "team": case.team_id,
        "caseworker": case.caseworker_id,
        "next_deadline": case.next_deadline,
        "is_staff": user.is_staff,
        "is_superuser": user.is_superuser,
    }


FORGED = {
    "cpr": "7101904001",
    "birth_date": "2000-01-01",
    "uuid": "00000000-0000-4000-8000-000000000000",
    "status": "closed",
    "closing_reason": "deceased",
    "next_deadline": "2099-01-01",
    "first_placement_on": "2024-01-10",
    "is_staff": "on",
    "is_superuser": "on",
    "citizen": "999",
}


@pytest.mark.django_db
def test_case_edit_ignores_fields_that_are_not_on_the_form(
    fast_password_hashing, case_a, caseworker_a, team_a, client_as
):
    before = _state(case_a, caseworker_a)
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]), _edit(case_a, team_a, **FORGED)
    )
    assert response.status_code == 302
    after = _state(case_a, caseworker_a)
    assert after == before
    case_a.refresh_from_db()
    assert case_a.citizen.last_name == "Haddad-Saleh"  # the one real change
    assert case_a.version == 2  # one save, one step


@pytest.mark.django_db
def test_case_edit_cannot_jump_the_version(
    fast_password_hashing, case_a, caseworker_a, team_a, client_as
):
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]), _edit(case_a, team_a, version=999)
    )
    assert response.status_code == 200
    case_a.refresh_from_db()
    assert (case_a.version, case_a.citizen.last_name) == (1, "Haddad")


@pytest.mark.django_db
def test_caseworker_cannot_move_a_case_to_another_team(
    fast_password_hashing, case_a, caseworker_a, caseworker_b, team_b, client_as
):
    before = _state(case_a, caseworker_a)
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]),
        _edit(case_a, team_b, caseworker=caseworker_b.pk),
    )
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert _state(case_a, caseworker_a) == before
    assert Citizen.objects.get(pk=case_a.citizen_id).last_name == "Haddad"


@pytest.mark.django_db
def test_caseworker_cannot_give_the_case_to_a_caseworker_of_another_team(
    fast_password_hashing, case_a, caseworker_a, caseworker_b, team_a, client_as
):
    response = client_as(caseworker_a).post(
        reverse("integration:case_edit", args=[case_a.uuid]),
        _edit(case_a, team_a, caseworker=caseworker_b.pk),
    )
    assert response.status_code == 200
    assert "caseworker" in response.context["form"].errors
    case_a.refresh_from_db()
    assert case_a.caseworker == caseworker_a


@pytest.mark.django_db
def test_caseworker_cannot_create_a_case_in_another_team(
    fast_password_hashing, caseworker_a, team_b, client_as
):
    response = client_as(caseworker_a).post(
        reverse("integration:case_create"),
        {
            "cpr": "7101904000",
            "first_name": "Amal",
            "last_name": "Haddad",
            "nationality": "SY",
            "residence_basis": "refugee",
            "arrival_date": "2024-01-10",
            "team": team_b.pk,
        },
    )
    assert response.status_code == 200
    assert "team" in response.context["form"].errors
    assert not Case.objects.exists()


@pytest.mark.django_db
def test_fact_form_ignores_case_version_and_author_sent_with_it(
    fast_password_hashing, case_a, caseworker_a, team_a, client_as
):
    other = make_case(team=team_a, caseworker=caseworker_a)
    response = client_as(caseworker_a).post(
        reverse("integration:fact_create", args=[case_a.uuid, "ladder"]),
        {
            "step": LadderStep.OTHER,
            "start_date": "2024-03-01",
            "case": other.pk,
            "version": 41,
            "created_by": "",
            "uuid": "00000000-0000-4000-8000-000000000000",
        },
    )
    assert response.status_code == 302
    fact = LadderPlacement.objects.get(step=LadderStep.OTHER)
    assert fact.case_id == case_a.pk
    assert fact.version == 1
    assert fact.created_by == caseworker_a
    assert str(fact.uuid) != "00000000-0000-4000-8000-000000000000"
    assert not LadderPlacement.objects.filter(case=other).exists()
