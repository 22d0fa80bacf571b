"""A caseworker creates a case and its first ladder placement in Chromium."""

import datetime as dt
import re

import pytest
from django.utils import timezone

from integration.models import Case, LadderPlacement
from tests.conftest import PASSWORD
from tests.factories import ProviderFactory, replacement_cpr

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def sign_in(page, live_server, username):
    page.goto(f"{live_server.url}/login/")
    page.get_by_label("Brugernavn").fill(username)
    page.get_by_label("Adgangskode").fill(PASSWORD)
    page.get_by_role("button", name="Log ind").click()


def test_caseworker_creates_case_and_ladder_placement(page, live_server, caseworker_a):
    ProviderFactory(name="Hedensted Byggemarked")
    arrival = timezone.localdate() - dt.timedelta(days=2)
    number = replacement_cpr(dt.date(1988, 4, 17))
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))

    sign_in(page, live_server, "caseworker_a")
    page.wait_for_url(re.compile(r"/cases/"))
    page.get_by_role("link", name="Ny sag").first.click()

    page.get_by_label("CPR-nummer").fill(f"{number[:6]}-{number[6:]}")
    page.get_by_label("Fornavn").fill("Amira")
    page.get_by_label("Efternavn").fill("Haddad")
    page.get_by_label("Nationalitet").select_option("SY")
    page.get_by_label("Opholdsgrundlag").select_option("refugee")
    page.get_by_label("Ankomstdato").fill(arrival.isoformat())
    page.get_by_role("button", name="Gem").click()

    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/$"))
    header = page.locator("section.case-header")
    assert "Amira Haddad" in header.inner_text()
    assert f"{number[:6]}-xxxx" in header.inner_text()
    case = Case.objects.get(citizen__cpr=number)
    assert case.next_deadline == arrival + dt.timedelta(days=4)

    page.get_by_role("link", name=re.compile(r"^Tilføj\s*: trinplaceringer", re.I)).click()
    page.get_by_label("Trin på prioriteringstrappen").select_option("4")
    page.get_by_label("Tilbudssted").select_option(label="Hedensted Byggemarked")
    page.get_by_label("Start").fill(timezone.localdate().isoformat())
    page.get_by_role("button", name="Gem").click()

    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/#ladder$"))
    assert "Virksomhedspraktik, privat" in page.locator("section.case-header").inner_text()
    placement = LadderPlacement.objects.get(case=case)
    assert placement.step == 4 and placement.provider.name == "Hedensted Byggemarked"
    assert page.locator(".breach").count() == 0
    assert errors == []
