"""The mapping from the identity provider's groups to a role and a team."""

import pytest
from django.core.exceptions import ImproperlyConfigured

from accounts.role_mapping import GroupRule, RoleGrant, grant_for, parse_group_map

ENTRA = (
    "3f1c6a0e-0000-4000-8000-000000000001=caseworker:Team Nord; "
    "3f1c6a0e-0000-4000-8000-000000000002=caseworker:Team Syd;"
    "ledere=manager;"
    "team-nord=:Team Nord;"
    "it-drift=administrator"
)


def test_entries_are_read_in_order_with_their_role_and_team():
    rules = parse_group_map(ENTRA)
    assert rules[0] == GroupRule("3f1c6a0e-0000-4000-8000-000000000001", "caseworker", "Team Nord")
    assert rules[2] == GroupRule("ledere", "manager", "")
    assert rules[3] == GroupRule("team-nord", "", "Team Nord")
    assert parse_group_map("") == ()


@pytest.mark.parametrize(
    "text",
    ["ledere", "=manager", "ledere=", "ledere=boss", "leverandør=provider", "x=:"],
)
def test_a_bad_entry_stops_the_app(text):
    with pytest.raises(ImproperlyConfigured, match="OIDC_GROUP_MAP"):
        parse_group_map(text)


def test_first_entry_naming_a_role_gives_the_role_and_first_naming_a_team_the_team():
    rules = parse_group_map(ENTRA)
    assert grant_for(["ledere", "team-nord"], rules) == RoleGrant("manager", "Team Nord")
    # Written first, Nord's caseworker entry wins over Syd's.
    both = ["3f1c6a0e-0000-4000-8000-000000000002", "3f1c6a0e-0000-4000-8000-000000000001"]
    assert grant_for(both, rules) == RoleGrant("caseworker", "Team Nord")
    assert grant_for(["it-drift", "payroll"], rules) == RoleGrant("administrator", "")


def test_no_mapped_role_or_a_caseworker_without_team_grants_nothing():
    rules = parse_group_map(ENTRA + ";sagsbehandlere=caseworker")
    assert grant_for([], rules) is None
    assert grant_for(["payroll", "team-nord"], rules) is None
    assert grant_for(["sagsbehandlere"], rules) is None
    assert grant_for(["sagsbehandlere", "team-nord"], rules) == RoleGrant("caseworker", "Team Nord")
