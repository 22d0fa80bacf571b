"""Every signed-in user changes their own password, with Django's validators."""

import pytest
from django.urls import reverse

from tests.conftest import PASSWORD

ROLES = ["caseworker_a", "provider_user", "manager", "secretariat", "administrator"]


@pytest.mark.parametrize("persona", ROLES)
def test_every_role_changes_its_own_password(persona, request, client_as):
    user = request.getfixturevalue(persona)
    client = client_as(user, language="en")
    page = client.get(reverse("password_change"))
    assert page.status_code == 200
    answer = client.post(
        reverse("password_change"),
        {
            "old_password": PASSWORD,
            "new_password1": "violet-harbour-lantern-9",
            "new_password2": "violet-harbour-lantern-9",
        },
    )
    assert answer.status_code == 302
    user.refresh_from_db()
    assert user.check_password("violet-harbour-lantern-9")


def test_a_weak_or_wrong_password_is_refused(caseworker_a, client_as):
    client = client_as(caseworker_a, language="en")
    weak = client.post(
        reverse("password_change"),
        {"old_password": PASSWORD, "new_password1": "123", "new_password2": "123"},
    )
    wrong_old = client.post(
        reverse("password_change"),
        {
            "old_password": "not-it",
            "new_password1": "violet-harbour-lantern-9",
            "new_password2": "violet-harbour-lantern-9",
        },
    )
    assert weak.status_code == wrong_old.status_code == 200
    assert "too short" in weak.content.decode()
    caseworker_a.refresh_from_db()
    assert caseworker_a.check_password(PASSWORD)


def test_signed_out_visitors_are_sent_to_sign_in(client_as):
    answer = client_as(None).get(reverse("password_change"))
    assert answer.status_code == 302
    assert answer["Location"].startswith(reverse("login"))
