"""From the identity provider's groups to our role and team, whatever the protocol.

The mapping is the setting ``OIDC_GROUP_MAP``: entries separated by ``;``,
each ``group=role``, ``group=role:team`` or ``group=:team``. A group is what
the provider sends (an Entra ID group's object id, an AD FS group name, a
SAML attribute value). Entries are tried in the order written: the first
entry of the user's groups that names a role gives the role, the first that
names a team gives the team. An OpenID Connect backend passes the groups
claim; a SAML backend would pass the values of its group attribute, and
nothing here changes.

Nothing in this module reads settings or the database: the settings parse
the text once at start, and a sign-in passes the parsed entries.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

from django.core.exceptions import ImproperlyConfigured

# Provider users belong to a workplace or a school, not to the municipality's
# directory: they keep local accounts, and no group maps to them.
MAPPABLE_ROLES = ("caseworker", "manager", "secretariat", "administrator")
# A caseworker sees the cases of their own team: without one they would see nothing.
ROLES_NEEDING_TEAM = ("caseworker",)


@dataclass(frozen=True)
class GroupRule:
    group: str
    role: str = ""
    team: str = ""


@dataclass(frozen=True)
class RoleGrant:
    """What the user's groups give: a role, and a team name or ``""``."""

    role: str
    team: str


def parse_group_map(text: str) -> tuple[GroupRule, ...]:
    """The entries of ``OIDC_GROUP_MAP``; ImproperlyConfigured on a bad one."""
    rules = []
    for raw in text.split(";"):
        entry = raw.strip()
        if not entry:
            continue
        group, sep, target = entry.partition("=")
        role, _colon, team = target.partition(":")
        group, role, team = group.strip(), role.strip(), team.strip()
        if not sep or not group or not (role or team):
            raise ImproperlyConfigured(
                f"OIDC_GROUP_MAP: {entry!r} is not group=role, group=role:team or group=:team"
            )
        if role and role not in MAPPABLE_ROLES:
            raise ImproperlyConfigured(
                f"OIDC_GROUP_MAP: {role!r} is not one of {', '.join(MAPPABLE_ROLES)}"
            )
        rules.append(GroupRule(group=group, role=role, team=team))
    return tuple(rules)


def grant_for(groups: Iterable[str], rules: Iterable[GroupRule]) -> RoleGrant | None:
    """The role and team ``groups`` give, or None when they give no role
    (or a caseworker's role without a team)."""
    held = set(groups)
    role = next((r.role for r in rules if r.group in held and r.role), "")
    team = next((r.team for r in rules if r.group in held and r.team), "")
    if not role or (role in ROLES_NEEDING_TEAM and not team):
        return None
    return RoleGrant(role=role, team=team)
