"""Personas: one user per role, two teams, one provider organisation."""

import os

import pytest

from tests.factories import ProviderFactory, TeamFactory, UserFactory

pytest_plugins = ["tests.guards"]

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"


@pytest.fixture
def team_a(db):
    return TeamFactory(name="Team A")


@pytest.fixture
def team_b(db):
    return TeamFactory(name="Team B")


@pytest.fixture
def provider_org(db):
    return ProviderFactory(name="Byg & Anlæg ApS")


@pytest.fixture
def caseworker_a(team_a):
    return UserFactory(username="caseworker_a", team=team_a, role="caseworker")


@pytest.fixture
def caseworker_b(team_b):
    return UserFactory(username="caseworker_b", team=team_b, role="caseworker")


@pytest.fixture
def provider_user(provider_org):
    return UserFactory(username="provider", provider_organisation=provider_org, role="provider")


@pytest.fixture
def manager(team_a):
    return UserFactory(username="manager", team=team_a, role="manager")


@pytest.fixture
def secretariat(db):
    return UserFactory(username="secretariat", role="secretariat")


@pytest.fixture
def administrator(db):
    return UserFactory(username="admin", role="administrator")


@pytest.fixture
def client_for(client):
    """Sign a test client in as a user: ``client_for(caseworker_a)``."""

    def sign_in(user):
        client.force_login(user)
        return client

    return sign_in
