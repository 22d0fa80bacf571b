"""Issue 13 in Chromium: the citizen's empty reply, the stray Enter on the
grid, and the citizen form's question legends inside their cards."""

import datetime as dt
import os
import re

import pytest
from django.utils import timezone

from progression import services
from progression.citizen_texts import TEXTS
from progression.models import CitizenLink, Measurement, Rater, Round
from tests.browser.test_case_flow import sign_in

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)
SHOTS = os.environ.get("SCREENSHOT_DIR", "")


def _typed_round(case, caseworker):
    """The caseworker typed the citizen's 13 scores (all 4s) from a paper form."""
    return services.round_save(
        actor=caseworker,
        case=case,
        measured_on=YESTERDAY,
        scores={Rater.CITIZEN: dict.fromkeys(range(1, 14), 4)},
        complete=False,
    )


def _link(case, caseworker, language: str) -> str:
    round_ = Round.objects.filter(case=case).first() or _typed_round(case, caseworker)
    _link, token = services.citizen_link_create(actor=caseworker, round_=round_, language=language)
    return f"/m/{token}/"


# The legend is read as the card's header: its box must lie inside the card's
# border, never across it (a legend of a bordered fieldset sits on the border).
LEGEND_BOXES = """() => Array.from(document.querySelectorAll('form legend')).map((legend) => {
  const card = legend.closest('.card');
  const style = getComputedStyle(card);
  const own = legend.closest('fieldset');
  const a = legend.getBoundingClientRect(), c = card.getBoundingClientRect();
  return {
    text: legend.textContent.trim().slice(0, 30),
    cardIsFieldset: card === own,
    fieldsetBorder: parseFloat(getComputedStyle(own).borderTopWidth),
    legendTop: a.top, legendBottom: a.bottom, legendLeft: a.left, legendRight: a.right,
    cardTop: c.top + parseFloat(style.borderTopWidth),
    cardLeft: c.left, cardRight: c.right,
    scrollWidth: document.documentElement.scrollWidth,
    width: window.innerWidth,
  };
})"""


@pytest.mark.parametrize(
    ("language", "width"), [("ar", 390), ("da", 390), ("ti", 1366), ("ti", 390), ("fa", 390)]
)
def test_citizen_form_legends_stay_inside_their_cards(
    browser, live_server, questionnaire, case_a, caseworker_a, language, width
):
    path = _link(case_a, caseworker_a, language)
    context = browser.new_context(locale=language, viewport={"width": width, "height": 900})
    page = context.new_page()
    page.goto(f"{live_server.url}{path}")
    boxes = page.evaluate(LEGEND_BOXES)
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/citizen-{language}-{width}.png")
    context.close()
    assert len(boxes) == 13
    for box in boxes:
        # The bordered card is not the fieldset, whose legend would cut its border.
        assert not (box["cardIsFieldset"] and box["fieldsetBorder"] > 0), box
        assert box["legendTop"] >= box["cardTop"] - 0.5, box
        assert box["cardLeft"] - 0.5 <= box["legendLeft"], box
        assert box["legendRight"] <= box["cardRight"] + 0.5, box
        assert box["scrollWidth"] <= box["width"], box


def test_empty_citizen_reply_is_refused_in_arabic_and_the_link_still_works(
    browser, live_server, questionnaire, case_a, caseworker_a
):
    round_ = _typed_round(case_a, caseworker_a)
    path = _link(case_a, caseworker_a, "ar")
    context = browser.new_context(locale="ar", viewport={"width": 390, "height": 844})
    phone = context.new_page()
    phone.set_default_timeout(10_000)
    phone.goto(f"{live_server.url}{path}")
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    assert TEXTS["ar"]["empty_reply"] in phone.locator("#error-summary").inner_text()
    if SHOTS:
        phone.screenshot(path=f"{SHOTS}/citizen-empty-ar-390.png")
    citizen = Measurement.objects.get(round=round_, rater=Rater.CITIZEN)
    assert citizen.scores() == dict.fromkeys(range(1, 14), 4)
    assert CitizenLink.objects.get().used_at is None

    # The same link takes a real answer.
    phone.locator("input[name='item_13'][value='5']").check()
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    assert TEXTS["ar"]["done_title"] in phone.locator("h1").inner_text()
    context.close()
    citizen.refresh_from_db()
    assert citizen.item_13 == 5 and citizen.via_link


def test_stray_enter_on_the_grid_asks_before_finishing(
    page, live_server, questionnaire, case_a, caseworker_a
):
    sign_in(page, live_server, "caseworker_a")
    page.wait_for_url(re.compile(r"/cases/"))
    page.goto(f"{live_server.url}/progression/cases/{case_a.uuid}/rounds/new/")
    page.wait_for_selector(".score-grid[data-ready=true]")
    page.keyboard.press("4")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    confirm = page.locator("#confirm-finish")
    assert "38 af 39 point er ikke besvaret" in confirm.inner_text()
    assert not Round.objects.filter(case=case_a).exists()
    # Enter again in a cell is still not a confirmation.
    page.locator("#id_citizen_1").click()
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert page.locator("#confirm-finish").is_visible()
    assert not Round.objects.filter(case=case_a).exists()
    if SHOTS:
        page.set_viewport_size({"width": 1366, "height": 900})
        page.screenshot(path=f"{SHOTS}/grid-confirm-1366.png", full_page=True)

    with page.expect_navigation():
        page.get_by_role("button", name="Afslut med ubesvarede spørgsmål").click()
    round_ = Round.objects.get(case=case_a)
    assert round_.complete is True
    page.goto(f"{live_server.url}/progression/cases/{case_a.uuid}/")
    assert "for få svar" in page.locator("table").first.inner_text()
