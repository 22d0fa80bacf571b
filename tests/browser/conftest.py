"""Chromium through Playwright, for tests that drive real pages.

The system Chromium is used (Playwright cannot download its own browser
here). Without it the browser tests skip, except under CI=true, where a
missing browser is a failure.
"""

import datetime as dt
import fcntl
import json
import os
import shutil
import socket
import subprocess
import urllib.request
from pathlib import Path

import pytest
from django.utils import timezone

from tests.factories import TeamFactory, UserFactory, make_case

CHROMIUM = os.environ.get("CHROMIUM_PATH", "/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--no-first-run",
]


def _chromium_available() -> bool:
    return os.path.exists(CHROMIUM) or shutil.which("chromium") is not None


@pytest.fixture(scope="session")
def browser():
    if not _chromium_available():
        if os.environ.get("CI") == "true":
            pytest.fail(f"Chromium is required under CI but was not found at {CHROMIUM}")
        pytest.skip("Chromium is not installed")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(
            executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True
        )
        yield browser
        browser.close()


@pytest.fixture
def page(browser):
    context = browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    page = context.new_page()
    page.set_default_timeout(10_000)
    yield page
    context.close()


# The real OpenID provider (node's oidc-provider) of tests/oidc_provider/.
OIDC_PROVIDER_DIR = Path(__file__).resolve().parent.parent / "oidc_provider"
OIDC_CLIENT_ID = "integration"
OIDC_CLIENT_SECRET = "integration-test-secret-not-for-production"


def _npm_ci(node_dir: Path) -> None:
    """``npm ci`` when node_modules is missing or older than the lock file.

    Under a lock on the folder: pytest-xdist workers may get here together,
    and two ``npm ci`` in one folder delete each other's files."""
    installed = node_dir / "node_modules" / ".package-lock.json"
    lock = node_dir / "package-lock.json"
    with open(node_dir / ".npm-ci.lock", "w") as held:
        fcntl.flock(held, fcntl.LOCK_EX)
        if installed.exists() and installed.stat().st_mtime >= lock.stat().st_mtime:
            return
        subprocess.run(
            [shutil.which("npm"), "ci", "--no-audit", "--no-fund", "--loglevel=error"],
            cwd=node_dir,
            check=True,
            timeout=300,
        )


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class OidcProvider:
    def __init__(self, issuer: str):
        self.issuer = issuer

    def _put(self, path: str, body: dict) -> None:
        request = urllib.request.Request(
            f"{self.issuer}/__test__/{path}",
            data=json.dumps(body).encode(),
            method="PUT",
            headers={"Content-Type": "application/json"},
        )
        urllib.request.urlopen(request, timeout=5).close()

    def account(self, login: str, *, name: str, groups: list[str]) -> None:
        """Who may sign in at the provider as ``login``, with these groups."""
        self._put(f"accounts/{login}", {"name": name, "groups": groups})

    def fault(self, fault: str) -> None:
        """ "wrong-audience", "short-code" or "" (none)."""
        self._put("fault", {"fault": fault})


@pytest.fixture(scope="session")
def oidc_provider(live_server):
    """The provider on loopback, started once for the session."""
    if not (shutil.which("node") and shutil.which("npm")):
        if os.environ.get("CI") == "true":
            pytest.fail("node and npm are required under CI for the sign-in tests")
        pytest.skip("node is not installed")
    _npm_ci(OIDC_PROVIDER_DIR)
    port = _free_port()
    env = {
        **os.environ,
        "PORT": str(port),
        "CLIENT_ID": OIDC_CLIENT_ID,
        "CLIENT_SECRET": OIDC_CLIENT_SECRET,
        "REDIRECT_URIS": f"{live_server.url}/oidc/callback/",
        "POST_LOGOUT_REDIRECT_URIS": f"{live_server.url}/login/",
    }
    process = subprocess.Popen(
        [shutil.which("node"), "provider.mjs"],
        cwd=OIDC_PROVIDER_DIR,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )
    try:
        line = process.stdout.readline()
        if not line.startswith("listening"):
            pytest.fail(f"the OpenID provider did not start: {line!r}")
        yield OidcProvider(f"http://127.0.0.1:{port}")
    finally:
        process.terminate()
        process.wait(timeout=10)


# Two teams' caseworkers and a manager, with five open cases whose deadlines
# differ: the people of the task list and the caseload on a phone.
@pytest.fixture
def people(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
    north, south = TeamFactory(name="Team Nord"), TeamFactory(name="Team Syd")
    worker = UserFactory(
        username="cw_nord", first_name="Sara", last_name="Holm", team=north, role="caseworker"
    )
    colleague = UserFactory(
        username="cw_nord2", first_name="Jens", last_name="Bak", team=north, role="caseworker"
    )
    south_worker = UserFactory(username="cw_syd", team=south, role="caseworker")
    manager = UserFactory(
        username="leder", first_name="Lis", last_name="Dam", team=north, role="manager"
    )
    today = timezone.localdate()
    for i, (first, last, days_ago, who) in enumerate(
        [
            ("Amina", "Haddad", 40, worker),  # placement and contract overdue
            ("Yonas", "Tesfaye", 2, worker),  # placement due in 2 days
            ("Mariam", "Al-Khatib-Rasmussen", 20, worker),  # a long name
            ("Omar", "Nuur", 3, colleague),
            ("Bodil", "Syd", 30, south_worker),
        ]
    ):
        make_case(
            team=who.team,
            caseworker=who,
            arrival=today - dt.timedelta(days=days_ago),
            first_name=first,
            last_name=last,
            birth=dt.date(1985, 1, 1) + dt.timedelta(days=i),
        )
    return {"caseworker": worker, "manager": manager, "south": south}
