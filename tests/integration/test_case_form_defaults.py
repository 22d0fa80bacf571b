"""The new-case form's defaults: the only team offered, and the signed-in
caseworker as the case's caseworker."""

import re

import pytest
from django.urls import reverse

from integration.models import Team
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

URL = reverse("integration:case_create")


def select(body: str, name: str) -> str:
    return re.search(rf'<select name="{name}".*?</select>', body, re.S).group(0)


def selected(body: str, name: str) -> list[str]:
    return re.findall(r'<option value="([^"]*)"[^>]*\bselected\b', select(body, name))


def test_a_caseworker_gets_their_one_team_and_themselves_preselected(
    caseworker_a, team_a, team_b, client_as
):
    body = client_as(caseworker_a).get(URL).content.decode()

    assert selected(body, "team") == [str(team_a.pk)]
    # The only team offered: no empty line to pick by mistake.
    assert '<option value="">' not in select(body, "team")
    assert selected(body, "caseworker") == [str(caseworker_a.pk)]


def test_an_administrator_with_one_team_gets_it_but_is_no_caseworker(
    administrator, team_a, client_as
):
    assert Team.objects.count() == 1
    body = client_as(administrator).get(URL).content.decode()

    assert selected(body, "team") == [str(team_a.pk)]
    # An administrator is not among the caseworkers: nobody is chosen for them.
    assert selected(body, "caseworker") == [""]


def test_an_administrator_with_several_teams_chooses_one(administrator, team_a, team_b, client_as):
    body = client_as(administrator).get(URL).content.decode()

    assert selected(body, "team") == [""]
    assert str(team_b.pk) in select(body, "team")


def test_a_default_team_for_the_import_when_there_is_only_one(administrator, team_a, client_as):
    body = client_as(administrator).get(reverse("integration:import_upload")).content.decode()
    assert selected(body, "team") == [str(team_a.pk)]


def test_a_refused_post_keeps_what_was_posted_not_the_defaults(caseworker_a, team_a, client_as):
    colleague = UserFactory(username="colleague", team=team_a, role="caseworker")
    response = client_as(caseworker_a).post(
        URL, {"team": team_a.pk, "caseworker": colleague.pk, "cpr": "bad"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert selected(body, "caseworker") == [str(colleague.pk)]
