"""Local passwords with single sign-on on: administrators only, with a TOTP code.

Without OIDC_ISSUER the sign-in is what it always was.
"""

import pytest
from django.test import Client
from django.urls import reverse
from django_otp.oath import totp
from django_otp.plugins.otp_totp.models import TOTPDevice

from accounts.role_mapping import parse_group_map
from integration.models import AccessAction, AccessLog
from tests.conftest import PASSWORD

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

SSO_BUTTON = 'href="/oidc/authenticate/"'


@pytest.fixture
def sso_on(settings):
    # Only the settings: a password sign-in never asks the provider anything.
    settings.OIDC_ISSUER = "https://login.example.invalid/tenant/v2.0"
    settings.OIDC_RP_CLIENT_ID = "integration"
    settings.OIDC_RP_CLIENT_SECRET = "secret"
    settings.OIDC_GROUP_MAP = parse_group_map("ledere=manager")


def english_client() -> Client:
    client = Client()
    client.cookies["django_language"] = "en"
    return client


def sign_in(client: Client, username: str):
    return client.post(reverse("login"), {"username": username, "password": PASSWORD})


def code_for(device: TOTPDevice) -> str:
    return f"{totp(device.bin_key, device.step, device.t0, device.digits, device.drift):06d}"


def test_without_single_sign_on_everyone_signs_in_with_a_password_as_before(caseworker_a):
    client = english_client()
    page = client.get(reverse("login"))
    assert SSO_BUTTON not in page.content.decode()
    response = sign_in(client, "caseworker_a")
    assert response.status_code == 302 and response["Location"] == reverse("home")
    assert client.get(reverse("integration:caseload")).status_code == 200
    assert not TOTPDevice.objects.exists()


def test_login_page_shows_the_sso_button_before_the_password_form(sso_on):
    html = english_client().get(reverse("login")).content.decode()
    assert SSO_BUTTON in html
    assert html.index(SSO_BUTTON) < html.index('name="password"')


def test_a_caseworker_cannot_sign_in_with_a_password(sso_on, caseworker_a):
    client = english_client()
    response = sign_in(client, "caseworker_a")
    assert response.status_code == 200
    assert "Sign in with the municipality&#x27;s login" in response.content.decode()
    assert client.get(reverse("integration:caseload")).status_code == 302


def test_an_administrator_sets_up_totp_at_first_sign_in_then_gives_a_code(sso_on, administrator):
    client = english_client()
    assert sign_in(client, "admin")["Location"] == reverse("home")
    # Every page waits for the code.
    home = client.get(reverse("integration:admin_home"))
    assert home["Location"] == reverse("second_factor")
    setup = client.get(reverse("second_factor"))
    assert "data:image/svg+xml;base64," in setup.content.decode()
    device = TOTPDevice.objects.get(user=administrator)
    assert not device.confirmed

    wrong = client.post(reverse("second_factor"), {"code": "000000"})
    assert wrong.status_code == 200 and "The code is not right" in wrong.content.decode()
    # django-otp makes the next try wait (1 s, doubling with every wrong code).
    throttled = client.post(reverse("second_factor"), {"code": code_for(device)})
    assert "Too many wrong codes" in throttled.content.decode()
    TOTPDevice.objects.filter(pk=device.pk).update(throttling_failure_timestamp=None)
    right = client.post(reverse("second_factor"), {"code": code_for(device)})
    assert right["Location"] == reverse("home")
    assert client.get(reverse("integration:admin_home")).status_code == 200
    device.refresh_from_db()
    assert device.confirmed
    assert AccessLog.objects.filter(
        user=administrator,
        action=AccessAction.SIGN_IN,
        what="signed in with a password, second factor set up",
    ).exists()

    # The next sign-in asks for the code only: no QR code, no key.
    again = english_client()
    sign_in(again, "admin")
    page = again.get(reverse("second_factor")).content.decode()
    assert "data:image" not in page and device.bin_key.hex() not in page
    assert again.get(reverse("integration:admin_home"))["Location"] == reverse("second_factor")
