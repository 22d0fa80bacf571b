"""Accounts from the identity provider: provisioned, refused, and deactivated when idle.

The whole flow runs against a real provider in tests/browser/test_sign_in_sso.py;
here the service that turns an identity into an account is checked on its own.
"""

import datetime as dt

import pytest
from django.utils import timezone

from accounts.identity import DEACTIVATED, NAME_TAKEN, NO_ROLE, Identity, SignInRefused
from accounts.role_mapping import parse_group_map
from integration.models import AccessAction, AccessLog, User
from integration.retention import retention_apply
from integration.services.sign_in import sso_users_deactivate, user_provision
from tests.factories import TeamFactory, UserFactory

pytestmark = pytest.mark.django_db

# Higher roles first: the first entry that names a role gives it.
GROUP_MAP = "ledere=manager;nord=caseworker:Team Nord;syd=caseworker:Team Syd"


@pytest.fixture(autouse=True)
def sso(settings):
    settings.OIDC_GROUP_MAP = parse_group_map(GROUP_MAP)
    TeamFactory(name="Team Nord")
    TeamFactory(name="Team Syd")


def kari(*groups: str) -> Identity:
    return Identity(
        subject="0b7e-kari",
        username="kari@kommune.example",
        email="kari@kommune.example",
        first_name="Kari",
        last_name="Nordmann",
        groups=groups,
    )


def logged() -> list[str]:
    return list(AccessLog.objects.order_by("id").values_list("what", flat=True))


def test_first_sign_in_creates_the_account_with_role_team_and_no_password():
    user = user_provision(identity=kari("nord", "unrelated"))
    assert (user.username, user.sso_subject) == ("kari@kommune.example", "0b7e-kari")
    assert (user.role, user.team.name, user.get_full_name()) == (
        "caseworker",
        "Team Nord",
        "Kari Nordmann",
    )
    assert not user.has_usable_password()
    assert "account kari@kommune.example (new): team: – → Team Nord" in logged()
    assert "account kari@kommune.example (new): groups: – → caseworker" in logged()
    assert logged()[-1] == "signed in (single sign-on)"


def test_role_and_team_follow_the_provider_with_old_and_new_values_logged():
    user_provision(identity=kari("nord"))
    AccessLog.objects.all().retention_delete()
    user = user_provision(identity=kari("ledere", "syd"))
    assert (user.role, user.team.name) == ("manager", "Team Syd")
    assert logged() == [
        "account kari@kommune.example: groups: caseworker → manager",
        "account kari@kommune.example: team: Team Nord → Team Syd",
        "signed in (single sign-on)",
    ]


def test_unchanged_sign_in_logs_the_sign_in_only():
    user_provision(identity=kari("nord"))
    AccessLog.objects.all().retention_delete()
    user_provision(identity=kari("nord"))
    assert logged() == ["signed in (single sign-on)"]
    assert AccessLog.objects.get().action == AccessAction.SIGN_IN


def test_groups_that_map_to_no_role_are_refused_and_nothing_is_created():
    with pytest.raises(SignInRefused) as refused:
        user_provision(identity=kari("payroll"))
    assert refused.value.reason == NO_ROLE
    assert not User.objects.filter(sso_subject="0b7e-kari").exists()
    assert logged() == ["sign-in refused for kari@kommune.example: no_role"]


def test_losing_every_mapped_group_refuses_and_keeps_the_account_as_it_was():
    user_provision(identity=kari("nord"))
    with pytest.raises(SignInRefused):
        user_provision(identity=kari())
    assert User.objects.get(sso_subject="0b7e-kari").team.name == "Team Nord"


def test_a_deactivated_account_is_refused_and_stays_deactivated():
    user = user_provision(identity=kari("nord"))
    User.objects.filter(pk=user.pk).update(is_active=False)
    with pytest.raises(SignInRefused) as refused:
        user_provision(identity=kari("ledere"))
    assert refused.value.reason == DEACTIVATED
    user.refresh_from_db()
    assert not user.is_active and user.team.name == "Team Nord"


def test_the_provider_cannot_take_over_a_local_account_of_the_same_name():
    local = UserFactory(username="admin", role="administrator")
    with pytest.raises(SignInRefused) as refused:
        user_provision(identity=Identity(subject="x", username="ADMIN", groups=("ledere",)))
    assert refused.value.reason == NAME_TAKEN
    local.refresh_from_db()
    assert local.sso_subject is None and local.role == "administrator"


def test_retention_deactivates_sso_accounts_not_seen_for_the_inactive_days(settings):
    settings.OIDC_INACTIVE_DAYS = 90
    now = timezone.now()
    idle = user_provision(identity=kari("nord"))
    recent = user_provision(identity=Identity(subject="s2", username="ole", groups=("syd",)))
    local = UserFactory(username="break_glass", role="administrator")
    User.objects.filter(pk__in=[idle.pk, local.pk]).update(last_login=now - dt.timedelta(days=91))
    User.objects.filter(pk=recent.pk).update(last_login=now - dt.timedelta(days=89))

    result = retention_apply(now=now)

    assert result.users_deactivated == 1
    states = dict(User.objects.values_list("username", "is_active"))
    assert states == {"kari@kommune.example": False, "ole": True, "break_glass": True}
    assert "account kari@kommune.example: is_active: True → False" in logged()
    assert sso_users_deactivate(now=now, days=90) == 0  # a second run changes nothing
