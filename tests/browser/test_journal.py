"""Journal notes and a citizen's record, driven in Chromium at 1366 and 390 px.

A caseworker writes a note, changes it, finds it with the search box and sees
a day-old note locked; an administrator downloads the citizen's record. axe
checks each of the new pages in Danish and in English. With SCREENSHOT_DIR
set, every step is photographed there.
"""

import datetime as dt
import io
import json
import os
import re

import pytest
from django.utils import timezone
from pypdf import PdfReader

from integration import services
from integration.models import JournalNote
from tests.browser.test_accessibility import Audit

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

SHOTS = os.environ.get("SCREENSHOT_DIR", "")
WIDTHS = {"wide": {"width": 1366, "height": 900}, "narrow": {"width": 390, "height": 844}}


def _shot(page, name: str) -> None:
    if SHOTS:
        page.screenshot(path=f"{SHOTS}/{name}.png", full_page=True)


@pytest.fixture
def audit(browser, live_server):
    audit = Audit(browser, live_server.url)
    yield audit
    audit.close()


@pytest.mark.parametrize("width", sorted(WIDTHS))
def test_caseworker_writes_changes_finds_and_meets_a_locked_note(
    width, audit, case_a, caseworker_a, fast_password_hashing
):
    old = services.journal_note_create(
        actor=caseworker_a,
        case=case_a,
        happened_on=timezone.localdate() - dt.timedelta(days=3),
        text="Første samtale: tolk på tigrinya er nødvendig.",
    )
    JournalNote.objects.filter(pk=old.pk).update(created_at=timezone.now() - dt.timedelta(days=3))
    page = audit.page(caseworker_a, viewport=WIDTHS[width])
    errors = []
    page.on("console", lambda msg: msg.type == "error" and errors.append(msg.text))
    page.goto(f"/cases/{case_a.uuid}/")
    page.get_by_role("link", name="Nyt notat").click()
    page.get_by_label("Dato").fill(timezone.localdate().isoformat())
    page.get_by_label("Notat").fill("Møde om praktik i køkkenet.\nBorgeren vil starte i maj.")
    _shot(page, f"note-form-{width}")
    audit.check(page, "caseworker_a", "note form")
    page.get_by_role("button", name="Gem").click()
    page.wait_for_url(re.compile(r"/cases/[0-9a-f-]{36}/#note-[0-9a-f-]{36}$"))
    notes = page.locator("#notes")
    assert "Borgeren vil starte i maj." in notes.inner_text()
    # The new note can be changed; the three-day-old one is locked.
    assert notes.locator(".note-locked").count() == 1
    _shot(page, f"case-notes-{width}")
    audit.check(page, "caseworker_a", "case page with notes")

    notes.get_by_role("link", name=re.compile(r"^Rediger")).click()
    page.get_by_label("Notat").fill("Møde om praktik i køkkenet. Start 1. maj.")
    page.get_by_role("button", name="Gem").click()
    page.wait_for_url(re.compile(r"#note-"))
    assert "Start 1. maj." in page.locator("#notes").inner_text()
    note = JournalNote.objects.get(text__startswith="Møde")
    assert note.version == 2 and note.history.count() == 2

    # The search box on the case page searches every note of the user's cases.
    page.get_by_role("searchbox", name="Søg i sagsnotaterne i dine sager").fill("køkkenet maj")
    page.get_by_role("searchbox", name="Søg i sagsnotaterne i dine sager").press("Enter")
    page.wait_for_url(re.compile(r"/notes/\?q="))
    assert page.locator("table tbody tr").count() == 1
    _shot(page, f"note-search-{width}")
    audit.check(page, "caseworker_a", "note search")

    # Chromium reports the refusals below as console errors; nothing before them.
    assert errors == []
    response = page.goto(f"/cases/{case_a.uuid}/notes/{old.uuid}/")
    assert response.status == 403
    assert "Notatet er låst" in page.locator("main").inner_text()
    _shot(page, f"note-locked-{width}")
    audit.check(page, "caseworker_a", "locked note")

    response = page.goto("/notes/?q=" + "x" * 201)
    assert response.status == 400
    assert page.locator(".invalid-feedback").count() == 1
    audit.check(page, "caseworker_a", "search with a bad query")
    assert audit.found == [], "\n".join(audit.found)


def test_the_new_pages_pass_axe_in_english(audit, case_a, caseworker_a, fast_password_hashing):
    note = services.journal_note_create(
        actor=caseworker_a, case=case_a, happened_on=timezone.localdate(), text="Talked about work."
    )
    page = audit.page(caseworker_a, locale="en-GB")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": audit.base_url}])
    for path in (
        f"/cases/{case_a.uuid}/",
        f"/cases/{case_a.uuid}/notes/new/",
        f"/cases/{case_a.uuid}/notes/{note.uuid}/",
        "/notes/?q=work",
    ):
        page.goto(path)
        assert page.locator("html").get_attribute("lang") == "en", path
        audit.check(page, "caseworker_a", path)
    _shot(page, "note-search-en-1366")
    assert audit.found == [], "\n".join(audit.found)


def test_administrator_downloads_the_citizens_record(
    audit, case_a, caseworker_a, administrator, fast_password_hashing
):
    services.journal_note_create(
        actor=caseworker_a, case=case_a, happened_on=timezone.localdate(), text="Talte om bolig."
    )
    page = audit.page(administrator, viewport=WIDTHS["wide"])
    page.goto(f"/cases/{case_a.uuid}/")
    _shot(page, "case-admin-1366")
    with page.expect_download() as download:
        page.get_by_role("link", name="Borgerens oplysninger (PDF)").click()
    pdf = open(download.value.path(), "rb").read()
    text = " ".join(p.extract_text() for p in PdfReader(io.BytesIO(pdf)).pages)
    assert "Talte om bolig." in text
    if SHOTS:
        with open(f"{SHOTS}/record-browser.pdf", "wb") as handle:
            handle.write(pdf)
    with page.expect_download() as download:
        page.get_by_role("link", name="Borgerens oplysninger (JSON)").click()
    data = json.loads(open(download.value.path(), encoding="utf-8").read())
    keys = {section["key"] for section in data["sections"]}
    assert {"integration.JournalNote", "integration.AccessLog", "progression.Measurement"} <= keys
