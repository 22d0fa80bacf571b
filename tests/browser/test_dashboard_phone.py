"""The managers' dashboard on a phone (390 px), in Danish and English: every
wide table scrolls in a box of its own, so the page itself never scrolls
sideways (the deadlines-by-team table once widened it to 517 px), and axe
finds nothing."""

from __future__ import annotations

import pytest

from tests.browser.test_tasks_pages import _check, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.mark.parametrize("language", ["da", "en"])
def test_the_dashboard_fits_a_phone(browser, live_server, people, language):
    page = _page(browser, live_server, people["manager"], language=language, width="phone")
    try:
        page.goto("/dashboard/")
        found = _check(page, f"dashboard-phone-{language}")
        assert found == []
        heading = "Frister pr. team" if language == "da" else "Deadlines by team"
        assert page.get_by_role("heading", name=heading).is_visible()
        # The teams' table is a region of its own, which scrolls inside the page.
        name = "Åbne sager" if language == "da" else "Open cases"
        teams = page.get_by_role("region", name=name)
        assert teams.get_by_role("link", name="Team Syd").count() == 1
    finally:
        page.context.close()
