"""Sign-in, sessions, CSRF, headers, redirects and what a form may change."""

import csv
import datetime as dt
import io
import re
import uuid
from contextlib import contextmanager
from dataclasses import dataclass
from urllib.parse import urlencode

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.contrib.auth.hashers import make_password
from django.contrib.sessions.models import Session
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from integration import services
from integration.forms import FACT_FORMS
from integration.models import (
    AccessAction,
    Case,
    Citizen,
    DanishCourse,
    LadderPlacement,
    LadderStep,
    User,
)
from progression import services as progression_services
from tests.access.test_permissions import CSV_EXPORTS
from tests.factories import ProviderFactory, UserFactory, enrol, make_case

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
def test_a_stranger_elsewhere_cannot_lock_the_username_out(two_caseworkers, administrator):
    # The probe locked the administrator out for 24 hours from any address.
    attacker = Client(REMOTE_ADDR="203.0.113.9")
    for _ in range(6):
        _login(attacker, "admin", "guess")
    assert _login(attacker, "admin", PASSWORD).status_code == 429
    at_the_office = Client(REMOTE_ADDR="10.0.0.5")
    assert _login(at_the_office, "admin", PASSWORD).status_code == 302


@pytest.mark.django_db
def test_one_address_trying_many_usernames_is_stopped(two_caseworkers, settings):
    from django.core.cache import cache

    cache.clear()
    settings.SIGNIN_IP_FAILURE_LIMIT = 8
    attacker = Client(REMOTE_ADDR="203.0.113.10")
    for n in range(8):
        assert _login(attacker, f"user{n}", "guess").status_code == 200
    # Even the right password of a real user: the address is stopped.
    refused = _login(attacker, "jonas", PASSWORD)
    assert refused.status_code == 429
    assert not _signed_in(attacker)
    # Another address is not.
    assert _login(Client(REMOTE_ADDR="10.0.0.6"), "jonas", PASSWORD).status_code == 302
    cache.clear()


@pytest.mark.django_db
def test_an_administrator_unlocks_a_locked_username(two_caseworkers, administrator, client_as):
    from integration.models import AccessLog

    client = Client()
    for _ in range(5):
        _login(client, "kirsten", "wrong-password-1")
    assert _login(client, "kirsten", PASSWORD).status_code == 429
    kirsten = two_caseworkers[0]
    answer = client_as(administrator).post(
        reverse("admin:integration_user_changelist"),
        {"action": "unlock_sign_in", "_selected_action": [kirsten.pk]},
    )
    assert answer.status_code == 302
    assert _login(client, "kirsten", PASSWORD).status_code == 302
    assert AccessLog.objects.filter(
        user=administrator, what__startswith="account kirsten: sign-in unlocked"
    ).exists()


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


def test_sessions_end_after_30_idle_minutes_and_requests_renew_them():
    assert settings.SESSION_COOKIE_AGE == 1800
    assert "accounts.sessions.SessionRenewalMiddleware" in settings.MIDDLEWARE
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
def test_a_session_renewed_within_the_minute_is_not_written_again(
    fast_password_hashing, caseworker_a
):
    client = Client()
    client.force_login(caseworker_a)
    key = client.session.session_key
    assert client.get(reverse("integration:caseload")).status_code == 200
    written = Session.objects.get(pk=key).expire_date
    with CaptureQueriesContext(connection) as queries:
        assert client.get(reverse("integration:caseload")).status_code == 200

    assert not [q for q in queries if 'UPDATE "django_session"' in q["sql"]]
    assert Session.objects.get(pk=key).expire_date == written


@pytest.mark.django_db
def test_a_session_is_renewed_once_its_end_is_a_minute_behind(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    key = client.session.session_key
    # Saved 61 seconds ago: its end is 61 seconds behind what a save would make it.
    behind = timezone.now() + dt.timedelta(seconds=1800 - 61)
    Session.objects.filter(pk=key).update(expire_date=behind)
    before = timezone.now()
    assert client.get(reverse("integration:caseload")).status_code == 200

    expiry = Session.objects.get(pk=key).expire_date
    assert before + dt.timedelta(minutes=30) <= expiry <= timezone.now() + dt.timedelta(minutes=30)
    # 59 seconds behind: left as it is.
    kept = timezone.now() + dt.timedelta(seconds=1800 - 59)
    Session.objects.filter(pk=key).update(expire_date=kept)
    assert client.get(reverse("integration:caseload")).status_code == 200
    assert Session.objects.get(pk=key).expire_date == kept


@pytest.mark.django_db
def test_a_visitor_who_is_not_signed_in_gets_no_session_row(client):
    assert client.get(reverse("login")).status_code == 200
    assert not Session.objects.exists()


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
    yield personas["secretariat"], reverse("evaluation:secretariat_home")
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

# Every form of "somewhere else" a browser would follow; Django's
# url_has_allowed_host_and_scheme is what refuses them.
EVIL = [
    "https://evil.example/",
    "http://evil.example",
    "//evil.example",
    "///evil.example",
    "/\\evil.example",
    "\\\\evil.example",
    "https:evil.example",
    "https:/evil.example/",
    "http:\\\\evil.example",
    " //evil.example",
    "/\t/evil.example",
    "http://testserver@evil.example/",
    "https://evil.example\\@testserver/",
    "javascript:alert(1)",
    "JavaScript:alert(1)",
]


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


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_login_with_next_in_the_address_never_leaves_the_site(evil, two_caseworkers):
    response = Client().post(
        reverse("login") + "?" + urlencode({"next": evil}),
        {"username": "kirsten", "password": PASSWORD},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_sign_out_never_sends_the_user_to_another_site(evil, fast_password_hashing, caseworker_a):
    for url, data in (
        (reverse("logout"), {"next": evil}),
        (reverse("logout") + "?" + urlencode({"next": evil}), {}),
    ):
        client = Client()
        client.force_login(caseworker_a)
        response = client.post(url, data)
        assert response.status_code == 302
        assert response["Location"] == reverse("login")
        assert not _signed_in(client)


@pytest.mark.django_db
def test_sign_out_follows_a_next_on_this_site(fast_password_hashing, caseworker_a):
    client = Client()
    client.force_login(caseworker_a)
    response = client.post(reverse("logout"), {"next": "/login/?signed_out=1"})
    assert response["Location"] == "/login/?signed_out=1"


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_language_switch_by_get_never_leaves_the_site(evil):
    response = Client().get(reverse("set_language"), {"next": evil})
    assert response.status_code == 302
    assert response["Location"] == "/"


@pytest.mark.django_db
@pytest.mark.parametrize("evil", EVIL)
def test_django_admin_sign_in_never_leaves_the_site(evil, fast_password_hashing, administrator):
    response = Client().post(
        reverse("admin:login") + "?" + urlencode({"next": evil}),
        {"username": "admin", "password": PASSWORD, "next": evil},
    )
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


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


# --- mass assignment on every form that writes ----------------------------------------


# Users are made in every test here; Argon2 costs ~0.15 s a hash.
FAST = pytest.mark.usefixtures("fast_password_hashing")
FORGED_UUID = "00000000-0000-4000-8000-000000000000"


@dataclass
class Forged:
    """Fields no form offers, each pointing at a real record of someone else."""

    case: Case
    round: object
    data: dict


@pytest.fixture
def forged(fast_password_hashing, team_b, caseworker_b, other_provider_org):
    from django.contrib.auth.models import Group

    other = make_case(team=team_b, caseworker=caseworker_b, first_name="Farah", last_name="Other")
    other_round = progression_services.round_save(
        actor=None,
        case=other,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        scores={"citizen": {7: 1}, "caseworker": {7: 5}},
    )
    return Forged(
        case=other,
        round=other_round,
        data={
            "team": team_b.pk,
            "caseworker": caseworker_b.pk,
            "version": 41,
            "is_staff": "on",
            "is_superuser": "on",
            "is_active": "on",
            "role": "administrator",
            "groups": Group.objects.get(name="administrator").pk,
            "user_permissions": "1",
            "provider_organisation": other_provider_org.pk,
            "provider": other_provider_org.pk,
            "author": caseworker_b.pk,
            "created_by": caseworker_b.pk,
            "updated_by": caseworker_b.pk,
            "entered_by": caseworker_b.pk,
            "agreed_by": caseworker_b.pk,
            "published_by": caseworker_b.pk,
            "citizen": other.citizen.pk,
            "case": other.pk,
            "round": other_round.pk,
            "questionnaire": "999",
            "uuid": FORGED_UUID,
            "id": "999",
            "pk": "999",
            "source": "dream",
            "via_link": "on",
            "rater": "caseworker",
            "cpr": "7101904001",
            "next_deadline": "2099-01-01",
        },
    )


def _who(user: User) -> tuple:
    user.refresh_from_db()
    return (
        user.is_staff,
        user.is_superuser,
        user.is_active,
        user.team_id,
        user.provider_organisation_id,
        sorted(user.groups.values_list("name", flat=True)),
        list(user.user_permissions.all()),
    )


def _other_case(forged: Forged) -> tuple:
    from progression.models import Measurement, Round

    case = Case.objects.select_related("citizen").get(pk=forged.case.pk)
    return (
        case.version,
        case.team_id,
        case.caseworker_id,
        case.status,
        case.citizen.cpr,
        case.citizen.last_name,
        LadderPlacement.objects.filter(case=case).count(),
        Round.objects.filter(case=case).count(),
        sorted(Measurement.objects.filter(round__case=case).values_list("rater", "item_7")),
        list(forged.round.topics.values_list("item_number", "agreement")),
    )


@contextmanager
def nothing_else_changes(forged: Forged, *users: User):
    """The posting user's rights and the other team's case stay as they were."""
    before = (_other_case(forged), [_who(u) for u in users])
    yield
    assert (_other_case(forged), [_who(u) for u in users]) == before


def _post(client, url: str, legit: dict, forged: Forged, expect: int = 302):
    # The form's own fields win: only the fields it does not have are forged.
    response = client.post(url, {**forged.data, **legit})
    assert response.status_code == expect, _form_errors(response)
    return response


def _form_errors(response):
    form = (response.context or {}).get("form") if hasattr(response, "context") else None
    return form.errors if form is not None else None


@FAST
def test_case_create_takes_only_its_own_fields(case_a, caseworker_a, team_a, forged, client_as):
    legit = {
        "cpr": "720385-4016",
        "first_name": "Nour",
        "last_name": "Saleh",
        "nationality": "SY",
        "residence_basis": "refugee",
        "arrival_date": "2024-02-01",
        "team": team_a.pk,
        "caseworker": caseworker_a.pk,
    }
    with nothing_else_changes(forged, caseworker_a):
        _post(client_as(caseworker_a), reverse("integration:case_create"), legit, forged)
    case = Case.objects.select_related("citizen").get(citizen__cpr="7203854016")
    assert (case.team, case.caseworker, case.version, case.status) == (
        team_a,
        caseworker_a,
        1,
        "open",
    )
    assert str(case.uuid) != FORGED_UUID and str(case.citizen.uuid) != FORGED_UUID
    # The deadline is worked out from the arrival, never taken from the form.
    assert case.next_deadline != dt.date(2099, 1, 1)


@FAST
def test_closing_a_case_changes_its_status_and_nothing_else(
    case_a, caseworker_a, forged, client_as
):
    legit = {"reason": "moved_away", "on": "2024-05-01", "version": case_a.version, "note": ""}
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("integration:case_status", args=[case_a.uuid, "close"]),
            legit,
            forged,
        )
    case = Case.objects.select_related("citizen").get(pk=case_a.pk)
    assert (case.status, case.closing_reason, case.closed_on) == (
        "closed",
        "moved_away",
        dt.date(2024, 5, 1),
    )
    assert (case.team_id, case.caseworker_id, case.citizen.cpr) == (
        case_a.team_id,
        case_a.caseworker_id,
        "7101904000",
    )


def _new_fact(kind: str, case: Case) -> dict:
    """A valid new fact of each kind for the case's own form."""
    course = DanishCourse.objects.filter(case=case).first()
    return {
        "screening": {"visit_date": "2023-12-01", "location": "Center Sandholm"},
        "housing": {"kind": "temporary", "locality": "Vejle", "start_date": "2024-01-10"},
        "ladder": {"step": LadderStep.OTHER, "start_date": "2024-03-01"},
        "course": {"module": "DU2 M1", "hours_per_week": "18", "start_date": "2024-02-05"},
        "absence": {
            "course": course.pk if course else "",
            "month": "2024-03-01",
            "absence_percent": "12.5",
        },
        "contract": {"signed_on": "2024-02-01"},
        "plan": {"status": "offered", "event_date": "2024-02-02"},
        "health": {"offered_on": "2024-02-05", "response": "pending"},
        "followup": {"held_on": "2024-04-02", "repatriation_guidance_given": "on"},
        "repatriation": {
            "left_on": "2024-06-01",
            "destination_country": "LB",
            "adults": "1",
            "children": "0",
        },
        "employment": {"category": "internship", "start_date": "2024-05-01"},
    }[kind]


@FAST
@pytest.mark.parametrize("kind", sorted(FACT_FORMS))
def test_every_fact_form_ignores_fields_it_does_not_have(
    kind, case_a, caseworker_a, forged, client_as
):
    school = ProviderFactory(name="Sprogskolen Vest", kind="language_school")
    if kind == "absence":
        enrol(case_a, provider=school, start=dt.date(2024, 2, 5))
    legit = _new_fact(kind, case_a)
    if kind == "course":
        legit["provider"] = school.pk
    if kind == "ladder":
        legit["provider"] = ""  # the form's own field: no provider
    model = FACT_FORMS[kind]._meta.model
    before = set(model.objects.values_list("pk", flat=True))
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("integration:fact_create", args=[case_a.uuid, kind]),
            # A new fact's form has a version field of its own, left empty.
            {**legit, "version": ""},
            forged,
        )
    (fact,) = model.objects.exclude(pk__in=before)
    assert (fact.case_id, fact.version, fact.created_by) == (case_a.pk, 1, caseworker_a)
    assert str(fact.uuid) != FORGED_UUID
    if kind == "employment":
        assert fact.source == "manual"  # not the DREAM register's, as the POST claimed
    if kind == "ladder":
        assert fact.provider is None


@FAST
def test_fact_edit_keeps_the_fact_on_its_case_with_its_author(
    case_a, caseworker_a, forged, client_as
):
    placement = LadderPlacement.objects.get(case=case_a)
    legit = {"step": LadderStep.OTHER, "provider": "", "start_date": "2024-01-12", "version": 1}
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("integration:fact_edit", args=[case_a.uuid, "ladder", placement.uuid]),
            legit,
            forged,
        )
    after = LadderPlacement.objects.get(pk=placement.pk)
    assert (after.case_id, after.uuid, after.created_by_id, after.version, after.step) == (
        case_a.pk,
        placement.uuid,
        placement.created_by_id,
        2,
        LadderStep.OTHER,
    )


@FAST
def test_round_grid_makes_a_round_of_its_own_case_only(case_a, caseworker_a, forged, client_as):
    from progression.models import Measurement, Questionnaire, Round

    legit = {
        "measured_on": "2025-02-03",
        "submission": str(uuid.uuid4()),
        "version": "",
        "caseworker_1": "4",
        "citizen_1": "2",
        "provider_1": "",
        # Finishing with unanswered items is a deliberate second step (issue 13).
        "action": "finish_confirmed",
    }
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("progression:round_create", args=[case_a.uuid]),
            legit,
            forged,
        )
    round_ = Round.objects.get(case=case_a)
    current = Questionnaire.objects.filter(status="published").order_by("-version").first()
    assert (round_.questionnaire, round_.version, round_.created_by) == (current, 1, caseworker_a)
    rows = Measurement.objects.filter(round=round_).order_by("rater")
    assert [(m.rater, m.item_1, m.entered_by, m.via_link) for m in rows] == [
        ("caseworker", 4, caseworker_a, False),
        ("citizen", 2, caseworker_a, False),
    ]


@FAST
def test_provider_scores_only_as_the_provider(
    case_a, provider_user, provider_org, forged, client_as
):
    from progression.models import Measurement

    legit = {"measured_on": "2025-01-08", "provider_1": "4"}
    # The provider's form has no caseworker or citizen column; sent anyway.
    extra = {"caseworker_1": "5", "citizen_1": "1"}
    with nothing_else_changes(forged, provider_user):
        _post(
            client_as(provider_user),
            reverse("progression:provider_score", args=[case_a.citizen.uuid]),
            legit,
            Forged(forged.case, forged.round, {**forged.data, **extra}),
        )
    (measurement,) = Measurement.objects.filter(round__case=case_a)
    assert (measurement.rater, measurement.item_1, measurement.entered_by) == (
        "provider",
        4,
        provider_user,
    )
    assert measurement.provider == provider_org


@FAST
def test_citizen_answer_through_a_link_is_only_the_citizens(
    case_a, caseworker_a, forged, client_as
):
    from progression.models import Measurement, Round

    round_ = progression_services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        scores={"caseworker": {1: 3}},
    )
    link, token = progression_services.citizen_link_create(
        actor=caseworker_a, round_=round_, language="da"
    )
    extra = {"caseworker_1": "5", "language": "ar", "item_1": "2"}
    with nothing_else_changes(forged):
        _post(
            client_as(None),
            reverse("progression:citizen_form", args=[token]),
            extra,
            forged,
            expect=200,
        )
    rows = Measurement.objects.filter(round=round_).order_by("rater")
    assert [(m.rater, m.item_1, m.entered_by, m.via_link) for m in rows] == [
        ("caseworker", 3, caseworker_a, False),
        ("citizen", 2, None, True),
    ]
    link.refresh_from_db()
    assert link.language == "da" and link.used_at is not None
    assert Round.objects.filter(case=case_a).count() == 1


@FAST
def test_topic_agreement_lands_on_the_topic_of_its_address(case_a, caseworker_a, forged, client_as):
    round_ = progression_services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        scores={"citizen": {1: 1}, "caseworker": {1: 4}},
    )
    legit = {"agreement": "Vi taler om det igen i maj.", "agreed_on": "2025-01-20"}
    forged.data["item_number"] = "7"
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("progression:topic_agree", args=[round_.uuid, 1]),
            legit,
            forged,
        )
    (topic,) = round_.topics.all()
    assert (topic.item_number, topic.agreement, topic.agreed_by) == (
        1,
        "Vi taler om det igen i maj.",
        caseworker_a,
    )


@FAST
def test_citizen_link_expiry_and_round_come_from_the_app(
    case_a, caseworker_a, forged, client_as, settings
):
    from progression.models import CitizenLink

    round_ = progression_services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=dt.date(2025, 1, 6),
        complete=True,
        scores={"caseworker": {1: 3}},
    )
    extra = {"expires_at": "2099-01-01 00:00", "used_at": "", "token_hash": "0" * 64}
    before = timezone.now()
    with nothing_else_changes(forged, caseworker_a):
        _post(
            client_as(caseworker_a),
            reverse("progression:link_create", args=[round_.uuid]),
            {"language": "so"},
            Forged(forged.case, forged.round, {**forged.data, **extra}),
            expect=200,
        )
    (link,) = CitizenLink.objects.all()
    assert (link.round, link.created_by, link.used_at, link.language) == (
        round_,
        caseworker_a,
        None,
        "so",
    )
    assert link.token_hash != "0" * 64
    days = dt.timedelta(days=settings.CITIZEN_LINK_DAYS)
    assert before + days <= link.expires_at <= timezone.now() + days


@FAST
def test_questionnaire_draft_item_edit_changes_that_items_texts_only(
    administrator, forged, client_as
):
    from progression.forms import ItemTextsForm
    from progression.models import Item, Questionnaire

    draft = progression_services.questionnaire_new_draft(actor=administrator)
    item = Item.objects.get(questionnaire=draft, number=1)
    published = list(Item.objects.filter(questionnaire__version=1).values_list("texts", flat=True))
    legit = {k: v for k, v in ItemTextsForm(item=item).initial.items() if v not in (None, False)}
    legit["municipal_wording"] = "on" if legit.get("municipal_wording") else ""
    legit["da_label"] = "Ser nyheder på dansk"
    extra = {"status": "published", "number": "5", "version": "1"}
    with nothing_else_changes(forged, administrator):
        _post(
            client_as(administrator),
            reverse("progression:item_edit", args=[draft.version, 1]),
            legit,
            Forged(forged.case, forged.round, {**forged.data, **extra}),
        )
    draft.refresh_from_db()
    assert (draft.status, draft.published_by) == (Questionnaire.Status.DRAFT, None)
    item.refresh_from_db()
    assert (item.number, item.texts["da"]["label"]) == (1, "Ser nyheder på dansk")
    assert Item.objects.get(questionnaire=draft, number=5).texts["da"]["label"] != (
        "Ser nyheder på dansk"
    )
    assert list(Item.objects.filter(questionnaire__version=1).values_list("texts", flat=True)) == (
        published
    )


@FAST
def test_narrative_texts_are_saved_for_their_date_by_whoever_saves_them(manager, forged, client_as):
    from evaluation.models import ReportNarrative
    from evaluation.reports import NARRATIVE_KEYS

    legit = {"status": "draft"}
    for key in NARRATIVE_KEYS:
        legit[key] = f"Om {key}."
        legit[f"version_{key}"] = "0"
    extra = {"as_of": "2020-01-31", "section": "introduction", "version": "99"}
    with nothing_else_changes(forged, manager):
        _post(
            client_as(manager),
            reverse("evaluation:narrative_edit", args=["2025-01-31"]),
            legit,
            Forged(forged.case, forged.round, {**forged.data, **extra}),
        )
    rows = ReportNarrative.objects.values_list("as_of", "version", "updated_by")
    assert set(rows) == {(dt.date(2025, 1, 31), 1, manager.pk)}
    assert len(rows) == len(NARRATIVE_KEYS)


@FAST
def test_provider_organisation_keeps_its_identity(administrator, provider_org, forged, client_as):
    legit = {"name": "Byg og Anlæg A/S", "kind": "workplace", "active": "on"}
    with nothing_else_changes(forged, administrator):
        _post(
            client_as(administrator),
            reverse("integration:provider_edit", args=[provider_org.uuid]),
            legit,
            forged,
        )
    org = type(provider_org).objects.get(pk=provider_org.pk)
    assert (org.name, org.uuid) == ("Byg og Anlæg A/S", provider_org.uuid)


def test_signing_in_with_extra_fields_grants_nothing(two_caseworkers, forged):
    kirsten, _jonas = two_caseworkers
    with nothing_else_changes(forged, kirsten):
        response = Client().post(
            reverse("login"), {**forged.data, "username": "kirsten", "password": PASSWORD}
        )
    assert response.status_code == 302


def _admin_change_form(client: Client, user: User) -> dict:
    """The admin's change form for ``user``, filled in as the page shows it."""
    url = reverse("admin:integration_user_change", args=[user.pk])
    form = client.get(url).context["adminform"].form
    data = {}
    for name, field in form.fields.items():
        if field.disabled or name == "password":
            continue
        value = form[name].value()
        if isinstance(value, bool):
            if value:
                data[name] = "on"
        elif isinstance(value, list | tuple):
            data[name] = [v for v in value if v is not None]
        elif value is not None:
            data[name] = value
    for name in ("last_login", "date_joined"):
        value = getattr(user, name)
        if value is not None and name in form.fields and not form.fields[name].disabled:
            local = timezone.localtime(value)
            data.pop(name, None)
            data[f"{name}_0"], data[f"{name}_1"] = f"{local:%Y-%m-%d}", f"{local:%H:%M:%S}"
    return data


@FAST
@pytest.mark.parametrize("whom", ["self", "caseworker"])
def test_administrator_cannot_make_anyone_superuser_in_django_admin(
    whom, administrator, caseworker_a, client_as
):
    from django.contrib.auth.models import Permission

    target = administrator if whom == "self" else caseworker_a
    client = client_as(administrator)
    data = _admin_change_form(client, target)
    data.update(
        is_superuser="on",
        user_permissions=[Permission.objects.get(codename="change_reportnarrative").pk],
        first_name="Renamed",
    )
    response = client.post(reverse("admin:integration_user_change", args=[target.pk]), data)
    target.refresh_from_db()
    if whom == "self":
        # An administrator changes nothing of its own account in the admin.
        assert response.status_code == 403
        assert target.first_name != "Renamed"
    else:
        assert response.status_code == 302, response.context and response.context["errors"]
        # The ordinary change went through; the escalation did not.
        assert target.first_name == "Renamed"
    assert (target.is_superuser, list(target.user_permissions.all())) == (False, [])


# --- CSV exports ------------------------------------------------------------------------

FORMULA_PREFIXES = ["=", "+", "-", "@", "\t", "\r"]


def _download_csv(response) -> list[list[str]]:
    text = response.content.decode("utf-8").removeprefix("\ufeff")
    return list(csv.reader(io.StringIO(text, newline=""), delimiter=";"))


def _access_log_with_formulas(case: Case) -> dict[str, list[str]]:
    """One log row per prefix, with it in front of every text the row stores."""
    stored = {}
    for prefix in FORMULA_PREFIXES:
        # Straight into the table: the sign-up form would refuse such a name,
        # but a renamed account or an import might still bring one.
        user = User.objects.create(username=f"{prefix}cmd|' /C calc'!A0")
        values = [
            user.username,
            f"{prefix}SUM(1+1)*cmd",
            f'{prefix}HYPERLINK("http://evil.example","x")',
            f"{prefix}2+3",
        ]
        services.access_log_write(
            user=user,
            action=AccessAction.SEARCH,
            citizen=case.citizen,
            what=values[1],
            search_term=values[2],
            path=values[3],
        )
        stored[prefix] = values
    return stored


def _export_access_log(client: Client, case: Case) -> list[list[str]]:
    url = reverse("integration:access_log_export", args=[case.citizen.uuid])
    return _download_csv(client.get(url, HTTP_ACCEPT_LANGUAGE="en"))


# Each CSV endpoint, with a way to fill it with formulas and download it.
CSV_CHECKS = {"integration:access_log_export": (_access_log_with_formulas, _export_access_log)}


def test_every_csv_export_of_the_site_is_checked_here():
    assert set(CSV_CHECKS) == CSV_EXPORTS


@pytest.mark.django_db
@FAST
@pytest.mark.parametrize("url_name", sorted(CSV_CHECKS))
def test_csv_export_neutralises_every_cell_that_starts_like_a_formula(
    url_name, administrator, case_a, client_as
):
    fill, download = CSV_CHECKS[url_name]
    stored = fill(case_a)
    rows = download(client_as(administrator), case_a)
    header, *body = rows
    assert header == ["Time", "User", "Action", "What", "Search term", "Address"]
    for prefix, values in stored.items():
        shown = [row[1:2] + row[3:] for row in body if row[1] == "'" + values[0]]
        # Each text comes out whole, behind one quote that makes it text.
        assert shown == [["'" + v for v in values]], repr(prefix)
    # And nothing in the whole file starts like a formula any more.
    cells = [cell for row in rows for cell in row]
    assert not [cell for cell in cells if cell.startswith(tuple(FORMULA_PREFIXES))]
