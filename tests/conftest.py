"""Personas (one user per role, two teams, provider organisations), a case of
team A, and the client and page helpers every test folder uses."""

import datetime as dt
import functools
import os
import uuid
from html.parser import HTMLParser

import pytest
from django.conf import settings
from django.test import Client
from django.test.client import ClientHandler

from integration.models import LadderStep
from tests.factories import (
    ProviderFactory,
    TeamFactory,
    UserFactory,
    make_case,
    place,
    published_questionnaire,
)

pytest_plugins = ["tests.guards"]

# Playwright's sync API runs an event loop in the test thread.
os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")

PASSWORD = "correct-horse-battery"


def pytest_collection_modifyitems(config, items):
    """Tests marked ``alone`` restart PostgreSQL under every other test: a
    pytest-xdist worker leaves them out, and ``make test`` runs them
    afterwards by themselves (``TESTS_ALONE=1`` keeps only them)."""
    only_alone = os.environ.get("TESTS_ALONE") == "1"
    if not only_alone and not os.environ.get("PYTEST_XDIST_WORKER"):
        return
    keep, leave_out = [], []
    for item in items:
        wanted = bool(item.get_closest_marker("alone")) == only_alone
        (keep if wanted else leave_out).append(item)
    if leave_out:
        config.hook.pytest_deselected(items=leave_out)
        items[:] = keep


def pytest_collection_finish(session):
    """Seed the demo database that tests marked ``demo_database`` copy in the
    background from now on, where PostgreSQL is there to hold it
    (``tests.common.postgres``): its 20-30 s then run beside other tests.

    Not in a pytest-xdist worker: every worker collects every test, but only
    the one that is handed them runs them, and the other keeps the second
    core busy meanwhile; the first of them seeds it."""
    if session.config.option.collectonly or os.environ.get("PYTEST_XDIST_WORKER"):
        return
    if any(item.get_closest_marker("demo_database") for item in session.items):
        from tests.common import postgres

        postgres.start_seeded_template()


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: no dashboard figures, no sign-in counts.

    On a shared Redis (REDIS_URL, as CI runs) each test gets keys of its own
    prefix, deleted afterwards, instead of a flush of the whole database; and
    a test's ``cache.clear()`` deletes only those, so that it cannot empty the
    cache under a test that runs beside it in another pytest-xdist worker.
    Threads the test starts (the papers' counts side by side) open their own
    connections to the cache, with the same prefix."""
    from django.core.cache import cache, caches

    if not settings.REDIS_URL:
        cache.clear()
        yield
        return
    prefix = f"test-{uuid.uuid4().hex}"
    cache.key_prefix = prefix
    options = caches.settings["default"]
    previous_prefix = options.get("KEY_PREFIX", "")
    options["KEY_PREFIX"] = prefix

    def clear_own_keys() -> None:
        client = cache._cache.get_client(write=True)  # Django's RedisCache client
        keys = list(client.scan_iter(match=f"{prefix}:*"))
        if keys:
            client.delete(*keys)

    cache.clear = clear_own_keys
    try:
        yield
    finally:
        clear_own_keys()
        del cache.clear
        options["KEY_PREFIX"] = previous_prefix


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


# A fixed past arrival, so that every date in these tests is worked out by hand.
ARRIVAL = dt.date(2024, 1, 10)


@pytest.fixture
def fast_password_hashing(settings):
    """Users are made by the dozen here; Argon2 costs ~0.15 s a hash.

    Modules that test the hasher itself do not use this fixture.
    """
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def other_provider_org(db):
    return ProviderFactory(name="Sprogcenter Øst")


@pytest.fixture
def provider_without_referral(other_provider_org):
    return UserFactory(
        username="provider_noref", provider_organisation=other_provider_org, role="provider"
    )


@pytest.fixture
def case_a(team_a, caseworker_a, provider_org):
    """Team A's case, placed at ``provider_org`` from 12-01-2024 and still there."""
    case = make_case(
        team=team_a,
        caseworker=caseworker_a,
        arrival=ARRIVAL,
        first_name="Amal",
        last_name="Haddad",
        cpr="7101904000",  # replacement number: 11-01-1990, a woman
    )
    place(
        case,
        step=LadderStep.INTERNSHIP_PRIVATE,
        provider=provider_org,
        start=dt.date(2024, 1, 12),
    )
    case.refresh_from_db()
    return case


_HANDLERS: dict[bool, ClientHandler] = {}


def _shared_handler(enforce_csrf_checks: bool) -> ClientHandler:
    """One request handler for all clients made here.

    A handler builds its middleware on its first request, and WhiteNoise then
    scans every static file (~30 ms). The matrix makes hundreds of clients;
    sharing the handler (which keeps no per-client state: cookies live on the
    client) keeps the suite fast. Tests that change MIDDLEWARE must use a plain
    Client.
    """
    handler = _HANDLERS.get(enforce_csrf_checks)
    if handler is None:
        handler = _HANDLERS[enforce_csrf_checks] = ClientHandler(enforce_csrf_checks)
    return handler


@pytest.fixture
def client_as(db):
    """``client_as(user, language="en")``: a fresh client signed in as ``user``.

    Each call makes its own client, so two people can hold two sessions in
    one test; ``None`` gives an anonymous client.
    """

    def make(user=None, *, language: str | None = None, **client_kwargs) -> Client:
        client = Client(**client_kwargs)
        client.handler = _shared_handler(client.handler.enforce_csrf_checks)
        if user is not None:
            client.force_login(user)
        if language:
            client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        return client

    return make


class _PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.scripts: list[dict] = []
        self.event_handlers: list[tuple[str, str]] = []
        self.inline_styles: list[str] = []
        self.html_lang: str | None = None
        self.classes: list[tuple[str, str]] = []
        self._in_script: dict | None = None
        self._element_stack: list[tuple[str, list[str]]] = []
        self.texts_by_class: dict[str, list[str]] = {}
        # (href, classes of the link and of every element around it)
        self.links: list[tuple[str, set[str]]] = []

    def handle_starttag(self, tag, attrs):
        attrs_d = dict(attrs)
        if tag == "html":
            self.html_lang = attrs_d.get("lang")
        if tag == "script":
            self._in_script = {"src": attrs_d.get("src"), "body": ""}
            self.scripts.append(self._in_script)
        for name, _value in attrs:
            if name.lower().startswith("on"):
                self.event_handlers.append((tag, name))
        # The CSP allows styles from files only: no style attribute, no <style>.
        if tag == "style" or "style" in attrs_d:
            self.inline_styles.append(tag)
        classes = (attrs_d.get("class") or "").split()
        if tag == "a" and attrs_d.get("href") is not None:
            around = {c for _t, cs in self._element_stack for c in cs} | set(classes)
            self.links.append((attrs_d["href"], around))
        if tag not in {"br", "img", "input", "meta", "link", "hr"}:
            self._element_stack.append((tag, classes))

    def links_inside(self, css_class: str) -> list[str]:
        return [href for href, around in self.links if css_class in around]

    def handle_endtag(self, tag):
        if tag == "script":
            self._in_script = None
        for i in range(len(self._element_stack) - 1, -1, -1):
            if self._element_stack[i][0] == tag:
                del self._element_stack[i:]
                break

    def handle_data(self, data):
        if self._in_script is not None:
            self._in_script["body"] += data
        for _tag, classes in self._element_stack:
            for cls in classes:
                self.texts_by_class.setdefault(cls, []).append(data)


def _parse(response) -> _PageParser:
    parser = _PageParser()
    parser.feed(response.content.decode())
    return parser


@pytest.fixture
def parse_page():
    """``parse_page(response)``: the page's scripts, event handlers, lang and texts."""
    return _parse


@pytest.fixture
def text_with_class():
    """``text_with_class(response, "breach")``: the text inside elements of that class."""

    def text(response, css_class: str) -> str:
        return " ".join(" ".join(_parse(response).texts_by_class.get(css_class, [])).split())

    return text


@pytest.fixture
def personas(
    caseworker_a,
    caseworker_b,
    provider_user,
    provider_without_referral,
    manager,
    secretariat,
    administrator,
):
    return {
        "anonymous": None,
        "caseworker_a": caseworker_a,
        "caseworker_b": caseworker_b,
        "provider": provider_user,
        "provider_noref": provider_without_referral,
        "manager": manager,
        "secretariat": secretariat,
        "administrator": administrator,
    }


@pytest.fixture
def questionnaire(db):
    """The published questionnaire (version 1 as shipped)."""
    return published_questionnaire()


@pytest.fixture
def calls_to(monkeypatch):
    """``calls_to(module, *names)``: a list that gets ``(name, args)`` for every
    call made from then on to those functions of ``module`` (which still run)."""
    calls = []

    def watch(module, *names):
        for name in names:
            real = getattr(module, name)

            @functools.wraps(real)
            def spy(*args, _real=real, _name=name, **kwargs):
                calls.append((_name, args))
                return _real(*args, **kwargs)

            monkeypatch.setattr(module, name, spy)
        return calls

    return watch
