"""A full progression round in Chromium: the caseworker's 39 scores by
keyboard, a correction, the provider's scores, the citizen's through an
Arabic link, and the result on the progression page."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from progression.models import Measurement, Rater, Round
from tests.browser.test_case_flow import sign_in
from tests.factories import make_case, place

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Citizen 4s, caseworker 3s except item 1 = 1, provider 3s: item 1 differs by 3.
CITIZEN = [4] * 13
CASEWORKER = [1] + [3] * 12
PROVIDER = [3] * 13


def test_full_round_by_keyboard_then_provider_and_citizen(
    browser, live_server, questionnaire, caseworker_a, provider_user, provider_org, team_a
):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))
    place(case, provider=provider_org, start=dt.date(2024, 1, 12))

    context = browser.new_context(locale="da-DK", timezone_id="Europe/Copenhagen")
    page = context.new_page()
    page.set_default_timeout(10_000)
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    sign_in(page, live_server, "caseworker_a")
    page.wait_for_url(re.compile(r"/cases/"))
    page.goto(f"{live_server.url}/progression/cases/{case.uuid}/rounds/new/")
    page.wait_for_selector(".score-grid[data-ready=true]")

    # The first cell has focus; every digit moves on down the rater's column.
    keystrokes = 0
    for digit in [*CITIZEN, *CASEWORKER, *PROVIDER]:
        page.keyboard.press(str(digit))
        keystrokes += 1
    assert page.locator("tr.divergent").count() == 1  # item 1, marked while typing
    page.keyboard.press("Enter")
    keystrokes += 1
    assert keystrokes == 40  # 39 scores and a submit

    page.wait_for_url(re.compile(r"/progression/rounds/[0-9a-f-]{36}/$"))
    round_ = Round.objects.get(case=case)
    scores = {m.rater: [m.scores()[n] for n in range(1, 14)] for m in round_.measurements.all()}
    assert scores == {
        Rater.CITIZEN: CITIZEN,
        Rater.CASEWORKER: CASEWORKER,
        Rater.PROVIDER: PROVIDER,
    }
    assert list(round_.topics.values_list("item_number", flat=True)) == [1]

    # Correct the caseworker's item 2 from 3 to 5 and save again.
    page.wait_for_selector(".score-grid[data-ready=true]")
    page.locator("#id_caseworker_2").click()
    page.keyboard.press("5")
    with page.expect_navigation():
        page.keyboard.press("Enter")
    assert Measurement.objects.get(round=round_, rater=Rater.CASEWORKER).item_2 == 5

    # A link for the citizen, in Arabic.
    page.get_by_label("Borgerens sprog").select_option("ar")
    page.get_by_role("button", name="Lav et link og en QR-kode").click()
    link = page.locator("#citizen-link").input_value()
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1  # the QR code
    assert link and "/m/" in link
    context.close()

    # The citizen answers on their own phone, without signing in.
    citizen = browser.new_context(locale="ar", viewport={"width": 390, "height": 844})
    phone = citizen.new_page()
    phone.goto(link)
    assert phone.locator("html").get_attribute("dir") == "rtl"
    assert phone.locator("html").get_attribute("lang") == "ar"
    for n in range(1, 14):
        phone.locator(f"input[name='item_{n}'][value='2']").check()
    with phone.expect_navigation():
        phone.locator("button[type=submit]").click()
    citizen.close()
    answered = Measurement.objects.get(round=round_, rater=Rater.CITIZEN)
    assert answered.via_link and answered.item_13 == 2

    # The provider adds theirs for today.
    provider = browser.new_context(locale="da-DK")
    ppage = provider.new_page()
    sign_in(ppage, live_server, "provider")
    ppage.goto(f"{live_server.url}/progression/referrals/{case.citizen.uuid}/")
    for n in range(1, 14):
        ppage.locator(f"#id_provider_{n}-3").check()
    ppage.get_by_role("button", name="Gem point").click()
    ppage.wait_for_url(re.compile(r"/referrals/$"))
    provider.close()
    assert Round.objects.filter(case=case, measured_on=timezone.localdate()).exists()

    # The caseworker sees the divergences and the chart.
    context = browser.new_context(locale="da-DK")
    page = context.new_page()
    sign_in(page, live_server, "caseworker_a")
    page.goto(f"{live_server.url}/progression/cases/{case.uuid}/")
    assert page.locator("img[src^='data:image/svg+xml']").count() == 1
    assert "afventer en aftale" in page.locator("#topics-title").inner_text()
    context.close()
    assert errors == []
