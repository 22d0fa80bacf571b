"""Accounts from the municipality's identity provider: provisioned at sign-in,
deactivated when not seen for ``OIDC_INACTIVE_DAYS``.

The provider says who signed in (an ``accounts.identity.Identity``, whatever
the protocol); this module makes or updates the account, gives it the role
group and team the mapping grants, and writes every change to the access log
with its old and new values. Claims and tokens are never written anywhere:
the log names the account and what changed.
"""

from __future__ import annotations

import datetime as dt

from django.contrib.auth.models import Group
from django.db import transaction
from django.db.models import Q
from django.utils import timezone

from accounts.identity import (
    DEACTIVATED,
    NAME_TAKEN,
    NO_ROLE,
    Identity,
    SignInRefused,
)
from accounts.roles import Role
from integration.models import AccessAction, Team, User
from integration.services.access_log import access_log_write
from integration.services.account_changes import user_changed, user_snapshot

ROLE_NAMES = frozenset(Role.values)


def sign_in_refusal_log(reason: str, username: str = "") -> None:
    who = f" for {username}" if username else ""
    access_log_write(user=None, action=AccessAction.SIGN_IN, what=f"sign-in refused{who}: {reason}")


def _refuse(reason: str, username: str) -> SignInRefused:
    return SignInRefused(reason, username)


def _account_for(identity: Identity) -> User | None:
    user = User.objects.filter(sso_subject=identity.subject).first()
    if user is None and User.objects.filter(username__iexact=identity.username).exists():
        # A local account (a break-glass administrator) keeps its name: the
        # provider cannot take it over by sending the same username.
        raise _refuse(NAME_TAKEN, identity.username)
    return user


def user_provision(*, identity: Identity) -> User:
    """The account of ``identity``, created or brought in line with the
    provider: name, e-mail, role group and team. SignInRefused, with nothing
    created or changed, when the groups give no role or the account was
    deactivated; the refusal is logged outside the rolled-back transaction."""
    try:
        return _provision(identity)
    except SignInRefused as refused:
        sign_in_refusal_log(refused.reason, refused.username)
        raise


@transaction.atomic
def _provision(identity: Identity) -> User:
    grant = identity.grant()
    if grant is None:
        raise _refuse(NO_ROLE, identity.username)
    team = None
    if grant.team:
        team = Team.objects.filter(name=grant.team).first()
        if team is None:
            raise _refuse(NO_ROLE, identity.username)
    user = _account_for(identity)
    if user is not None and not user.is_active:
        raise _refuse(DEACTIVATED, user.get_username())
    before = user_snapshot(user) if user is not None else {}
    if user is None:
        user = User(username=identity.username, sso_subject=identity.subject)
        user.set_unusable_password()
    user.first_name = identity.first_name[:150]
    user.last_name = identity.last_name[:150]
    user.email = identity.email[:254]
    user.team = team
    user.full_clean(exclude=["password", "username"])
    user.save()
    kept = [g for g in user.groups.all() if g.name not in ROLE_NAMES]
    role_group, _created = Group.objects.get_or_create(name=grant.role)
    user.groups.set([*kept, role_group])
    user.__dict__.pop("role", None)
    after = user_snapshot(user)
    user_changed(actor=None, user=user, before=before, after=after)
    access_log_write(user=user, action=AccessAction.SIGN_IN, what="signed in (single sign-on)")
    return user


@transaction.atomic
def sso_users_deactivate(*, now: dt.datetime | None = None, days: int) -> int:
    """Deactivate the provider's accounts not seen for ``days``; how many.

    Local accounts (break-glass administrators, provider staff) are left alone.
    """
    now = now or timezone.now()
    cutoff = now - dt.timedelta(days=days)
    idle = Q(last_login__lt=cutoff) | Q(last_login__isnull=True, date_joined__lt=cutoff)
    due = list(User.objects.filter(idle, sso_subject__isnull=False, is_active=True))
    for user in due:
        before = user_snapshot(user)
        user.is_active = False
        user.save(update_fields=["is_active"])
        user_changed(actor=None, user=user, before=before, after=user_snapshot(user))
    return len(due)
