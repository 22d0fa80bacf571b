"""Changes to accounts and role groups, written to the access log with old and new values.

The admin site calls these around its own saves; a change touches no citizen,
so each changed field is one access-log row naming the account, the field and
its values before and after. A row holds 200 characters; a long permission
list is cut with "…" and its count.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from axes.utils import reset as axes_reset
from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.tokens import default_token_generator
from django.contrib.sites.shortcuts import get_current_site
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from integration.models import AccessAction, User
from integration.services.access_log import access_log_write

if TYPE_CHECKING:
    from django.contrib.auth.models import Group
    from django.http import HttpRequest

USER_FIELDS = [
    "username",
    "first_name",
    "last_name",
    "email",
    "is_active",
    "is_staff",
    "is_superuser",
    "team",
    "provider_organisation",
]
WHAT_LENGTH = 200


def _names(items) -> frozenset[str]:
    return frozenset(str(item) for item in items)


def _text(value) -> str:
    return "–" if value is None or value == "" else str(value)


def user_snapshot(user: User) -> dict[str, str]:
    """What an account holds that the access log follows, as text."""
    values = {name: _text(getattr(user, name)) for name in USER_FIELDS}
    values["groups"] = _names(user.groups.values_list("name", flat=True))
    values["user_permissions"] = _names(
        f"{a}.{c}"
        for a, c in user.user_permissions.values_list("content_type__app_label", "codename")
    )
    return values


def group_snapshot(group: Group) -> dict[str, str]:
    perms = group.permissions.values_list("content_type__app_label", "codename")
    return {"name": group.name, "permissions": _names(f"{a}.{c}" for a, c in perms)}


def _fit(text: str) -> str:
    return text if len(text) <= WHAT_LENGTH else text[: WHAT_LENGTH - 1] + "…"


def _change(old, new) -> str:
    """``old → new``; for a set (groups, permissions) what was added and taken away,
    so that a long list still shows its change within the row."""
    if isinstance(old, frozenset) or isinstance(new, frozenset):
        old, new = old or frozenset(), new or frozenset()
        if len(old) <= 1 and len(new) <= 1:
            return f"{next(iter(old), '–')} → {next(iter(new), '–')}"
        added = [f"+{name}" for name in sorted(new - old)]
        removed = [f"-{name}" for name in sorted(old - new)]
        return ", ".join(added + removed)
    return f"{old} → {new}"


def _log_diff(actor: User | None, subject: str, before: dict, after: dict) -> int:
    rows = 0
    for field in sorted(set(before) | set(after)):
        old, new = before.get(field, "–"), after.get(field, "–")
        if old != new:
            access_log_write(
                user=actor,
                action=AccessAction.CHANGE,
                what=_fit(f"{subject}: {field}: {_change(old, new)}"),
            )
            rows += 1
    return rows


def user_changed(*, actor: User | None, user: User, before: dict, after: dict) -> int:
    """Log every field of ``user`` that differs; an empty ``before`` is a new account.
    ``actor`` None is the system: a sign-in through the identity provider."""
    subject = f"account {user.get_username()}" + ("" if before else " (new)")
    return _log_diff(actor, subject, before, after)


def user_deleted(*, actor: User, user: User) -> int:
    return _log_diff(actor, f"account {user.get_username()} (deleted)", user_snapshot(user), {})


def group_changed(*, actor: User, group: Group, before: dict, after: dict) -> int:
    return _log_diff(actor, f"role group {group.name}", before, after)


def password_reset_send(*, actor: User, user: User, request: HttpRequest) -> bool:
    """E-mail ``user`` a link to choose a password; False when it has no address.

    The administrator never learns the password. Only this account gets a
    link (Django's reset form would mail every account with the address), and
    the link expires after ``PASSWORD_RESET_TIMEOUT``.
    """
    if not user.email or not user.is_active:
        return False
    site = get_current_site(request)
    context = {
        "email": user.email,
        "domain": site.domain,
        "site_name": site.name,
        "uid": urlsafe_base64_encode(force_bytes(user.pk)),
        "user": user,
        "token": default_token_generator.make_token(user),
        "protocol": "https" if request.is_secure() else "http",
    }
    PasswordResetForm().send_mail(
        "registration/password_reset_subject.txt",
        "registration/password_reset_email.txt",
        context,
        None,
        user.email,
    )
    access_log_write(
        user=actor,
        action=AccessAction.CHANGE,
        what=_fit(f"account {user.get_username()}: password reset link sent"),
    )
    return True


def sign_in_unlock(*, actor: User, user: User) -> int:
    """Forget ``user``'s failed sign-ins at every address; the count of them."""
    forgotten = axes_reset(username=user.get_username())
    if forgotten:
        access_log_write(
            user=actor,
            action=AccessAction.CHANGE,
            what=_fit(f"account {user.get_username()}: sign-in unlocked ({forgotten} failures)"),
        )
    return forgotten
