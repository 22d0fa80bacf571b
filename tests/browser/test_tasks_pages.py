"""The task list and the settings page, driven in Chromium as a caseworker and a
manager, at a laptop's width (1366 px) and a phone's (390 px), in Danish and
English; axe-core checks every state.

With TASKS_SCREENSHOTS set to a folder, each state is saved there as a PNG.
"""

from __future__ import annotations

import datetime as dt
import os
from pathlib import Path

import pytest
from django.conf import settings
from django.test import Client

from tests.browser.test_accessibility import AXE_OPTIONS
from tests.factories import make_case

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WIDTHS = {"laptop": (1366, 800), "phone": (390, 844)}


def _page(browser, live_server, user, *, language: str, width: str):
    w, h = WIDTHS[width]
    from axe_playwright_python.base import AXE_SCRIPT

    context = browser.new_context(
        locale="da-DK" if language == "da" else "en-GB",
        timezone_id="Europe/Copenhagen",
        base_url=live_server.url,
        viewport={"width": w, "height": h},
    )
    context.add_init_script(AXE_SCRIPT)
    client = Client()
    client.force_login(user)
    session = client.cookies[settings.SESSION_COOKIE_NAME]
    context.add_cookies(
        [
            {"name": session.key, "value": session.value, "url": live_server.url},
            {"name": settings.LANGUAGE_COOKIE_NAME, "value": language, "url": live_server.url},
        ]
    )
    page = context.new_page()
    page.set_default_timeout(15_000)
    return page


def _check(page, what: str) -> list[str]:
    folder = os.environ.get("TASKS_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{what}.png"), full_page=True)
    result = page.evaluate("options => axe.run(document, options)", AXE_OPTIONS)
    # Nothing wider than the window: the page never scrolls sideways.
    overflow = page.evaluate("document.documentElement.scrollWidth > window.innerWidth + 1")
    found = [f"{what}: {v['id']} {v['help']}" for v in result["violations"]]
    return found + ([f"{what}: scrolls sideways"] if overflow else [])


@pytest.mark.parametrize("language", ["da", "en"])
@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_caseworker_reads_the_tasks_and_switches_the_email_off(
    browser, live_server, people, language, width
):
    page = _page(browser, live_server, people["caseworker"], language=language, width=width)
    found = []
    page.goto("/")
    if width == "phone":
        page.locator(".navbar-toggler").click()
    menu = "Opgaver" if language == "da" else "Tasks"
    page.get_by_role("link", name=menu, exact=True).click()
    page.wait_for_url("**/tasks/")
    assert page.locator("h1").inner_text() == menu
    overdue = "Overskredet" if language == "da" else "Overdue"
    assert page.get_by_role("heading", name=overdue).count() == 1
    # The placement, the contract and the plan offer.
    assert page.get_by_role("link", name="Amina Haddad").count() == 3
    assert page.get_by_role("link", name="Omar Nuur").count() == 0  # a colleague's
    found += _check(page, f"tasks-caseworker-{width}-{language}")

    page.get_by_label("Vis" if language == "da" else "Show", exact=True).select_option("team")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/tasks/?show=team")
    assert page.get_by_role("link", name="Omar Nuur").count() == 2  # placement, plan offer
    assert page.get_by_role("link", name="Bodil Syd").count() == 0  # team Syd's
    found += _check(page, f"tasks-team-{width}-{language}")

    page.goto("/account/settings/")
    box = page.locator("input[name=deadline_digest]")
    assert box.is_checked()
    box.uncheck()
    page.locator("main form button[type=submit]").click()
    page.wait_for_url("**/account/settings/")
    assert not page.locator("input[name=deadline_digest]").is_checked()
    found += _check(page, f"settings-caseworker-{width}-{language}")
    people["caseworker"].refresh_from_db()
    assert people["caseworker"].deadline_digest is False
    page.context.close()
    assert found == []


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_manager_chooses_a_team(browser, live_server, people, width):
    page = _page(browser, live_server, people["manager"], language="da", width=width)
    page.goto("/tasks/")
    found = _check(page, f"tasks-manager-{width}-da")
    assert page.get_by_role("link", name="Amina Haddad").count() == 3
    page.get_by_label("Vis", exact=True).select_option(label="Team Syd")
    page.locator("main form button[type=submit]").click()
    page.wait_for_url(f"**/tasks/?show={people['south'].uuid}")
    assert page.get_by_role("link", name="Bodil Syd").count() == 3
    assert page.get_by_role("link", name="Amina Haddad").count() == 0
    found += _check(page, f"tasks-manager-syd-{width}-da")
    page.goto("/account/settings/")
    assert page.locator("input[name=deadline_digest]").count() == 0
    found += _check(page, f"settings-manager-{width}-da")
    page.context.close()
    assert found == []


def test_a_case_page_with_wide_fact_tables_does_not_scroll_sideways_on_a_phone(
    browser, live_server, people
):
    """The fact tables scroll in their own box; their hidden "Edit" labels once
    widened the whole page to 451 px at 390 px."""
    from tests.factories import ProviderFactory, place

    case = make_case(
        team=people["caseworker"].team,
        caseworker=people["caseworker"],
        first_name="Abdirahman",
        last_name="Mohamed-Hassan",
        birth=dt.date(1980, 5, 5),
    )
    provider = ProviderFactory(name="Løsning Plast og Metal A/S, afdeling Vest")
    place(case, provider=provider, start=dt.date(2024, 2, 1), end=dt.date(2024, 9, 30))
    place(case, provider=provider, start=dt.date(2024, 10, 1))
    page = _page(browser, live_server, people["caseworker"], language="da", width="phone")

    page.goto(f"/cases/{case.uuid}/")

    assert page.get_by_text("Løsning Plast og Metal A/S, afdeling Vest").first.is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
