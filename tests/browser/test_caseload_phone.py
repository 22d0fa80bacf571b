"""The caseload on a phone (390 px) and a laptop (1366 px), in Danish and
English: on the phone the filters fold away behind a button that counts those
in use, and each case is one block whose next deadline sits right under the
name, inside the screen. axe-core checks every state.

With TASKS_SCREENSHOTS set to a folder, each state is saved there as a PNG.
"""

from __future__ import annotations

import pytest

from tests.browser.test_tasks_pages import _check, _page

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

WORDS = {
    "da": {
        "filters": "Filtre",
        "in_use": "Filtre (1 i brug)",
        "status": "Status",
        "show": "Vis",
        "deadline": "Næste frist",
        "closed": "Lukket",
    },
    "en": {
        "filters": "Filters",
        "in_use": "Filters (1 in use)",
        "status": "Status",
        "show": "Show",
        "deadline": "Next deadline",
        "closed": "Closed",
    },
}


def _deadline_cell(page, name: str):
    row = page.locator("tbody tr", has=page.get_by_role("link", name=name))
    return row.locator("td.stack-key")


def _label(cell) -> str:
    """What the cell's label says before it (CSS ``content``), "none" without."""
    return cell.evaluate("el => getComputedStyle(el, '::before').content")


@pytest.mark.parametrize("language", ["da", "en"])
def test_on_a_phone_the_filters_fold_away_and_the_deadline_stays_in_view(
    browser, live_server, people, language
):
    words = WORDS[language]
    page = _page(browser, live_server, people["caseworker"], language=language, width="phone")
    page.goto("/cases/")
    found = _check(page, f"caseload-phone-{language}")

    toggle = page.get_by_role("button", name=words["filters"], exact=True)
    status = page.get_by_label(words["status"], exact=True)
    assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
    assert not status.is_visible()
    assert page.get_by_role("searchbox").is_visible()

    # Every case of the caseworker, with its deadline inside the screen.
    for name in ["Amina Haddad", "Yonas Tesfaye", "Mariam Al-Khatib-Rasmussen"]:
        cell = _deadline_cell(page, name)
        box = cell.bounding_box()
        assert cell.is_visible() and box["x"] >= 0 and box["x"] + box["width"] <= 390, name
        assert _label(cell) == f'"{words["deadline"]}: "', _label(cell)
    overdue = _deadline_cell(page, "Amina Haddad").locator(".deadline-overdue")
    assert overdue.is_visible()

    toggle.click()
    page.locator("#caseload-filters.show:not(.collapsing)").wait_for()
    assert toggle.get_attribute("aria-expanded") == "true"
    found += _check(page, f"caseload-phone-filters-open-{language}")
    status.select_option("")  # every status, closed cases too
    page.get_by_role("button", name=words["show"], exact=True).click()
    page.wait_for_url("**/cases/?*status=*")
    assert page.get_by_role("button", name=words["in_use"], exact=True).is_visible()
    assert not page.get_by_label(words["status"], exact=True).is_visible()
    found += _check(page, f"caseload-phone-filtered-{language}")
    page.context.close()
    assert found == []


def test_on_a_laptop_the_filters_stand_in_a_row_and_the_table_is_a_table(
    browser, live_server, people
):
    page = _page(browser, live_server, people["caseworker"], language="da", width="laptop")
    page.goto("/cases/")
    found = _check(page, "caseload-laptop-da")
    assert not page.get_by_role("button", name="Filtre", exact=True).is_visible()
    status = page.get_by_label("Status", exact=True)
    search = page.get_by_role("searchbox")
    assert status.is_visible()
    # The filters share the search field's row.
    assert abs(status.bounding_box()["y"] - search.bounding_box()["y"]) < 5
    assert page.locator("thead").first.is_visible()
    cell = _deadline_cell(page, "Amina Haddad")
    # A table cell again: no label before the date.
    assert _label(cell) == "none"
    assert cell.bounding_box()["x"] + cell.bounding_box()["width"] <= 1366
    page.context.close()
    assert found == []
