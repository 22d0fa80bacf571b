"""The administrator's account work in /admin/, and what it may not do.

An outside probe had the administrator (staff, not superuser) set the
superuser's password, give itself the manager role and set a caseworker's
password. Each attack is repeated here and must fail; the account work an
administrator does need (invite, change a role, send a reset link) must work
and be logged with old and new values.
"""

from __future__ import annotations

import re

import pytest
from django.contrib.auth.models import Group, Permission
from django.core import mail
from django.test import Client
from django.urls import reverse

from integration.models import AccessLog, User
from tests.conftest import PASSWORD
from tests.factories import UserFactory

NEW_PASSWORD = "a-brand-new-long-secret-42"


@pytest.fixture
def superuser(db):
    return User.objects.create_superuser("root", "root@example.org", PASSWORD)


@pytest.fixture
def other_admin(db):
    return UserFactory(username="admin2", role="administrator", email="admin2@example.org")


@pytest.fixture
def worker(team_a):
    return UserFactory(
        username="worker", team=team_a, role="caseworker", email="worker@example.org"
    )


def _url(name: str, user: User) -> str:
    # Django's user admin names its password page after auth.User whatever the model.
    prefix = "auth_user" if name == "password_change" else "integration_user"
    return reverse(f"admin:{prefix}_{name}", args=[user.pk])


def _change_data(user: User, **overrides) -> dict:
    data = {
        "username": user.username,
        "first_name": user.first_name,
        "last_name": user.last_name,
        "email": user.email,
        "is_active": "on",
        "groups": [g.pk for g in user.groups.all()],
        "team": user.team_id or "",
        "provider_organisation": user.provider_organisation_id or "",
        "last_login_0": "",
        "last_login_1": "",
        "date_joined_0": "2024-01-01",
        "date_joined_1": "10:00:00",
    }
    data.update(overrides)
    return data


def _group(name: str) -> Group:
    return Group.objects.get(name=name)


def _can_sign_in(username: str, password: str) -> bool:
    return User.objects.get(username=username).check_password(password)


# --- the three attacks ---------------------------------------------------------------


def test_administrator_cannot_set_the_superusers_password(administrator, superuser, client_as):
    client = client_as(administrator)
    url = _url("password_change", superuser)
    assert client.get(url).status_code == 403
    answer = client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert answer.status_code == 403
    assert not _can_sign_in("root", NEW_PASSWORD)
    assert _can_sign_in("root", PASSWORD)


def test_administrator_cannot_give_itself_a_role(administrator, client_as):
    client = client_as(administrator)
    both = [_group("administrator").pk, _group("manager").pk]
    answer = client.post(_url("change", administrator), _change_data(administrator, groups=both))
    assert answer.status_code == 403
    assert sorted(administrator.groups.values_list("name", flat=True)) == ["administrator"]
    # Nor one role instead of its own.
    answer = client.post(
        _url("change", administrator),
        _change_data(administrator, groups=[_group("manager").pk]),
    )
    assert answer.status_code == 403
    assert list(administrator.groups.values_list("name", flat=True)) == ["administrator"]


def test_administrator_cannot_set_a_caseworkers_password(administrator, worker, client_as):
    client = client_as(administrator)
    url = _url("password_change", worker)
    assert client.get(url).status_code == 403
    client.post(url, {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD})
    assert not _can_sign_in("worker", NEW_PASSWORD)
    assert _can_sign_in("worker", PASSWORD)


def test_administrator_changes_no_other_staff_user(administrator, other_admin, client_as):
    client = client_as(administrator)
    answer = client.post(
        _url("change", other_admin), _change_data(other_admin, is_active="", first_name="X")
    )
    assert answer.status_code == 403
    other_admin.refresh_from_db()
    assert other_admin.is_active and other_admin.first_name == "Test"
    # It may still look: the page shows the account without a save button.
    page = client.get(_url("change", other_admin))
    assert page.status_code == 200
    assert 'name="_save"' not in page.content.decode()


def test_administrator_cannot_make_anyone_staff_or_superuser(administrator, worker, client_as):
    client = client_as(administrator)
    data = _change_data(worker, is_staff="on", is_superuser="on")
    assert client.post(_url("change", worker), data).status_code == 302
    worker.refresh_from_db()
    assert not worker.is_staff and not worker.is_superuser


def test_a_user_holds_at_most_one_role(administrator, worker, client_as):
    client = client_as(administrator, language="en")
    both = [_group("caseworker").pk, _group("manager").pk]
    answer = client.post(_url("change", worker), _change_data(worker, groups=both))
    assert answer.status_code == 200
    assert "one role" in answer.content.decode()
    assert list(worker.groups.values_list("name", flat=True)) == ["caseworker"]


# --- the account work an administrator does --------------------------------------------


def test_a_role_change_is_logged_with_old_and_new_values(administrator, worker, client_as):
    client = client_as(administrator)
    data = _change_data(worker, groups=[_group("manager").pk], is_active="")
    assert client.post(_url("change", worker), data).status_code == 302
    assert list(worker.groups.values_list("name", flat=True)) == ["manager"]
    rows = set(AccessLog.objects.filter(user=administrator).values_list("what", flat=True))
    assert "account worker: groups: caseworker → manager" in rows
    assert "account worker: is_active: True → False" in rows
    # Fields that did not change are not logged.
    assert not any(": email:" in what for what in rows)


def test_a_password_reset_link_is_sent_and_sets_the_password(administrator, worker, client_as):
    client = client_as(administrator)
    answer = client.post(
        reverse("admin:integration_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [worker.pk]},
    )
    assert answer.status_code == 302
    assert len(mail.outbox) == 1
    message = mail.outbox[0]
    assert message.to == ["worker@example.org"]
    link = re.search(r"https?://[^/\s]+(/password/reset/\S+/)", message.body).group(1)
    assert AccessLog.objects.filter(
        user=administrator, what="account worker: password reset link sent"
    ).exists()
    # The administrator learns nothing; the worker chooses the password.
    visitor = Client()
    form_page = visitor.get(link, follow=True)
    assert form_page.status_code == 200
    set_url = form_page.redirect_chain[-1][0] if form_page.redirect_chain else link
    done = visitor.post(set_url, {"new_password1": NEW_PASSWORD, "new_password2": NEW_PASSWORD})
    assert done.status_code == 302
    assert _can_sign_in("worker", NEW_PASSWORD)
    # The link is spent.
    again = Client().get(link, follow=True)
    assert "cannot be used" in again.content.decode() or "kan ikke" in again.content.decode()


def test_no_reset_link_for_a_superuser(administrator, superuser, client_as):
    client = client_as(administrator)
    client.post(
        reverse("admin:integration_user_changelist"),
        {"action": "send_password_reset", "_selected_action": [superuser.pk]},
    )
    assert mail.outbox == []


def test_an_invited_user_gets_no_password_from_the_administrator(administrator, client_as):
    client = client_as(administrator, language="en")
    form = client.get(reverse("admin:integration_user_add")).content.decode()
    assert 'name="password1"' not in form
    answer = client.post(
        reverse("admin:integration_user_add"),
        {"username": "newbie", "first_name": "Ny", "last_name": "Bruger", "email": "n@example.org"},
    )
    assert answer.status_code == 302
    newbie = User.objects.get(username="newbie")
    assert not newbie.has_usable_password()
    assert [m.to for m in mail.outbox] == [["n@example.org"]]
    whats = set(AccessLog.objects.filter(user=administrator).values_list("what", flat=True))
    assert "account newbie (new): username: – → newbie" in whats


def test_group_permission_changes_are_logged(superuser, client_as):
    group = _group("secretariat")
    before = list(group.permissions.values_list("pk", flat=True))
    extra = Permission.objects.get(codename="view_accesslog", content_type__app_label="integration")
    answer = client_as(superuser).post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {"name": group.name, "permissions": [*before, extra.pk]},
    )
    assert answer.status_code == 302
    row = AccessLog.objects.get(user=superuser, what__startswith="role group secretariat:")
    assert row.what == "role group secretariat: permissions: +integration.view_accesslog"


def test_administrator_cannot_reach_the_group_pages(administrator, client_as):
    client = client_as(administrator)
    group = _group("administrator")
    for url in (
        reverse("admin:auth_group_changelist"),
        reverse("admin:auth_group_change", args=[group.pk]),
    ):
        assert client.get(url).status_code == 403
    answer = client.post(
        reverse("admin:auth_group_change", args=[group.pk]),
        {
            "name": "administrator",
            "permissions": list(Permission.objects.values_list("pk", flat=True)),
        },
    )
    assert answer.status_code == 403


# --- every admin URL that touches users, as the administrator ---------------------------

USER_VIEWS = ("change", "password_change", "history", "delete")


@pytest.mark.parametrize("target", ["superuser", "other_admin", "administrator", "worker"])
def test_every_user_admin_url_for_each_kind_of_account(target, request, administrator, client_as):
    user = request.getfixturevalue(target)
    client = client_as(administrator)
    below = target == "worker"
    expected = {
        "change": 200,  # read-only above the administrator
        "password_change": 403,
        "history": 200,
        "delete": 403,
    }
    got = {view: client.get(_url(view, user)).status_code for view in USER_VIEWS}
    assert got == expected
    before = (user.password, user.is_active, list(user.groups.all()), user.first_name)
    posts = {
        "change": _change_data(user, first_name="Changed", groups=[_group("manager").pk]),
        "password_change": {"password1": NEW_PASSWORD, "password2": NEW_PASSWORD},
        "delete": {"post": "yes"},
    }
    for view, data in posts.items():
        status = client.post(_url(view, user), data).status_code
        assert status == (302 if below and view == "change" else 403), view
    user.refresh_from_db()
    if not below:
        assert (user.password, user.is_active, list(user.groups.all()), user.first_name) == before
    assert User.objects.filter(pk=user.pk).exists()
