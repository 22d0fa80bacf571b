"""`make run` is a demo, not a debugging session: it serves without Django's
debug pages, so a mistyped address shows the product's own 404 and never the
list of every URL the product has."""

from __future__ import annotations

import re
import shutil
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def _run_command_line() -> str:
    """The server line `make run` would start, read from make's dry run."""
    if shutil.which("make") is None:
        pytest.skip("make is not installed")
    printed = subprocess.run(
        ["make", "--dry-run", "--always-make", "run"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout
    [line] = [line for line in printed.splitlines() if "runserver" in line]
    return line


def test_make_run_serves_without_debug():
    line = _run_command_line()
    assert not re.search(r"DJANGO_DEBUG=(1|true|yes|on)\b", line, re.IGNORECASE), line


@pytest.mark.django_db
@pytest.mark.parametrize("path", ["/no-such-page/", "/cases/not-a-uuid/", "/static/../settings"])
def test_an_unknown_address_without_debug_shows_the_products_404(client, settings, path):
    settings.DEBUG = False
    response = client.get(path)
    assert response.status_code == 404
    body = response.content.decode()
    assert "URLconf" not in body
    assert "urlpatterns" not in body.lower()
    assert "cases/&lt;uuid" not in body and "cases/<uuid" not in body
    assert "Siden blev ikke fundet" in body or "Page not found" in body


@pytest.mark.django_db
def test_the_developers_server_would_list_the_urls(client, settings):
    """The contrast the demo avoids: with DEBUG on, Django lists the URL conf."""
    settings.DEBUG = True
    body = client.get("/no-such-page/").content.decode()
    assert "URLconf" in body
