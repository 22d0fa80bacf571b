"""The access log's "what" column in the reader's language: the log keeps
the English phrase the app wrote, the page and the export translate it."""

import csv
import io

import pytest
from django.urls import reverse
from django.utils import translation

from integration import services
from integration.access_log_text import FIXED, what_display
from integration.models import AccessAction, AccessLog
from tests.factories import make_case

LOG_URL = reverse("integration:access_log")


@pytest.mark.parametrize(
    ("stored", "danish"),
    [
        ("caseload search", "søgning i sagslisten"),
        ("case page, full CPR", "sagsside, fuldt CPR-nummer"),
        ("citizen import borgere.csv", "borgerimport borgere.csv"),
        ("ladder placement changed", "trinplacering ændret"),
        ("employment form", "formular: beskæftigelsesstatus"),
        ("sign-in refused for anna: locked", "login afvist for anna: locked"),
        ("sign-in refused: no role", "login afvist: no role"),
        # Unknown: shown as stored, never guessed at.
        ("retention: 3 cases anonymised", "retention: 3 cases anonymised"),
        ("something else changed", "something else changed"),
    ],
)
def test_what_is_shown_in_danish(stored, danish):
    with translation.override("da"):
        assert what_display(stored) == danish
    with translation.override("en"):
        # A form is named by its record's name, not by the address's short kind.
        english = "employment status form" if stored == "employment form" else stored
        assert what_display(stored) == english


def test_every_fixed_phrase_has_its_danish():
    with translation.override("da"):
        untranslated = [p for p in FIXED if what_display(p) == p and p != "progression"]
    assert untranslated == []


@pytest.mark.django_db
def test_the_log_page_and_export_say_what_in_the_readers_language(
    client_as, administrator, caseworker_a, team_a
):
    case = make_case(team=team_a, caseworker=caseworker_a)
    client_as(caseworker_a).get(reverse("integration:case_detail", args=[case.uuid]))
    assert AccessLog.objects.filter(what="case page").exists()  # stored in English

    danish = client_as(administrator, language="da").get(LOG_URL).content.decode()
    english = client_as(administrator, language="en").get(LOG_URL).content.decode()
    assert "<td>sagsside</td>" in danish and "<td>case page</td>" not in danish
    assert "<td>case page</td>" in english

    export = client_as(administrator, language="da").get(
        reverse("integration:access_log_export", args=[case.citizen.uuid])
    )
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig")), delimiter=";"))
    assert any("sagsside" in row for row in rows)


@pytest.mark.django_db
def test_a_bulk_change_in_danish_still_logs_the_english_phrase(caseworker_a, team_a):
    from integration.models import EmploymentSpell

    case = make_case(team=team_a, caseworker=caseworker_a)
    spell = services.fact_save(
        actor=None,
        case=case,
        fact=EmploymentSpell(category="ordinary_employment", start_date=case.citizen.arrival_date),
    )
    spell.end_date = case.citizen.arrival_date
    with translation.override("da"):
        services.facts_update_bulk(
            actor=caseworker_a, changes=[(spell, spell.version)], fields=["end_date"]
        )
    assert AccessLog.objects.filter(
        action=AccessAction.CHANGE, what="employment status changed"
    ).exists()
