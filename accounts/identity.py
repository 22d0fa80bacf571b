"""A person the identity provider vouches for, and what signing them in does.

Protocol-neutral: the OpenID Connect backend (accounts/oidc.py) turns claims
into an ``Identity``; a SAML backend would turn assertion attributes into the
same. The accounts themselves live in the integration app, which registers
the ``provision_identity`` hook on its AppConfig (as every app registers
``role_permissions``), so this floor never imports it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from django.apps import apps as global_apps
from django.conf import settings

from accounts.role_mapping import RoleGrant, grant_for

# Why a sign-in was refused; the refusal page explains each.
NO_ROLE = "no_role"
DEACTIVATED = "deactivated"
NAME_TAKEN = "name_taken"
FAILED = "failed"
REASONS = (NO_ROLE, DEACTIVATED, NAME_TAKEN, FAILED)
REFUSAL_SESSION_KEY = "sign_in_refused"


@dataclass(frozen=True)
class Identity:
    """Who the provider says signed in. ``subject`` is the provider's stable
    id for the person (OIDC ``sub``, SAML NameID); the rest may change."""

    subject: str
    username: str
    email: str = ""
    first_name: str = ""
    last_name: str = ""
    groups: tuple[str, ...] = field(default=())

    def grant(self) -> RoleGrant | None:
        return grant_for(self.groups, settings.OIDC_GROUP_MAP)


class SignInRefused(Exception):
    def __init__(self, reason: str, username: str = ""):
        super().__init__(reason)
        self.reason = reason
        self.username = username


def _hook(name: str):
    for config in global_apps.get_app_configs():
        hook = getattr(config, name, None)
        if hook:
            return hook
    raise LookupError(f"no app registers the {name} hook")


def provision(identity: Identity):
    """The user for ``identity``, created or brought in line with its role and
    team; SignInRefused (nothing created) when its groups give no role."""
    return _hook("provision_identity")(identity)


def refusal_log(reason: str, username: str = "") -> None:
    """Write a refused sign-in to the access log (the reason, never a claim or token)."""
    _hook("log_sign_in_refusal")(reason, username)


def sign_in_log(user, what: str) -> None:
    """Write a sign-in to the access log."""
    _hook("log_sign_in")(user, what)
