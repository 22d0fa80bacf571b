"""A citizen's own record (indsigt): complete, read back, and for administrators only.

The completeness test walks every model Django knows and finds each one whose
foreign keys lead, directly or through other models, to a citizen or a case.
Every such model must be a section of the record (its history model with it),
or stand in ``LEFT_OUT`` with the reason why. A new model that holds a
citizen's data and is in no app's ``citizen_record_sections`` fails here.
"""

import datetime as dt
import io
import json
from decimal import Decimal

import pytest
from django.apps import apps
from django.urls import reverse
from pypdf import PdfReader

from integration import record, services
from integration.models import (
    FACT_MODELS,
    AccessAction,
    AccessLog,
    Case,
    Citizen,
    DanishAbsence,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    HealthResponse,
    HousingKind,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    PlanStatus,
    Repatriation,
    ScreeningVisit,
)
from progression import services as progression_services
from progression.models import DialogueTopic
from tests.factories import enrol

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

# Models that lead to a citizen or a case and are deliberately not in the
# record, each with its reason. (PendingUpload holds import files, but no key
# of it leads to a citizen: the walk does not find it, and an entry for it
# would be stale.)
LEFT_OUT: dict[str, str] = {
    "integration.CaseStanding": (
        "a copy, for counting today's figures, of what the record's other "
        "sections hold (team, residence basis, ladder step, courses, "
        "employment on one day); no fact of its own"
    ),
}

NOTE_FIRST = "Første samtale med tolk om praktik."
NOTE_SECOND = "Første samtale med tolk om praktik i køkkenet."


def models_leading_to_a_citizen() -> set[str]:
    """Every model with a chain of foreign keys to Citizen or Case."""
    leading = {Citizen, Case}
    everything = apps.get_models()
    grew = True
    while grew:
        grew = False
        for model in everything:
            if model in leading:
                continue
            if any(
                f.is_relation and f.related_model in leading for f in model._meta.concrete_fields
            ):
                leading.add(model)
                grew = True
    return {m._meta.label for m in leading}


def missing_from_record(leading: set[str], covered: set[str], left_out: dict) -> set[str]:
    return leading - covered - set(left_out)


@pytest.fixture
def full_case(case_a, caseworker_a, provider_org, other_provider_org):
    """Team A's case with one of every fact, a changed note, scores and a topic."""
    case = services.citizen_update(
        actor=caseworker_a, case=case_a, version=case_a.version, household_reference="H-2024-7"
    )
    course = enrol(case, provider=other_provider_org, start=dt.date(2024, 2, 1))
    facts = [
        ScreeningVisit(visit_date=dt.date(2023, 12, 20), location="Center Sandholm"),
        HousingPlacement(
            kind=HousingKind.TEMPORARY, locality="Hedensted", start_date=dt.date(2024, 1, 10)
        ),
        DanishAbsence(course=course, month=dt.date(2024, 3, 1), absence_percent=Decimal("12.5")),
        IntegrationContract(signed_on=dt.date(2024, 2, 1)),
        IntegrationPlan(status=PlanStatus.OFFERED, event_date=dt.date(2024, 2, 2)),
        HealthAssessment(offered_on=dt.date(2024, 3, 1), response=HealthResponse.ACCEPTED),
        FollowUp(held_on=dt.date(2024, 4, 10), repatriation_guidance_given=True, note="Ok"),
        EmploymentSpell(
            category=EmploymentCategory.ORDINARY_EMPLOYMENT, start_date=dt.date(2024, 6, 1)
        ),
        Repatriation(left_on=dt.date(2024, 9, 1), destination_country="SY"),
    ]
    for fact in facts:
        services.fact_save(actor=caseworker_a, case=case, fact=fact)
    health = HealthAssessment.objects.get(case=case)
    health.done_on = dt.date(2024, 3, 20)
    services.fact_save(actor=caseworker_a, case=case, fact=health, version=health.version)
    note = services.journal_note_create(
        actor=caseworker_a, case=case, happened_on=dt.date(2024, 2, 5), text=NOTE_FIRST
    )
    services.journal_note_update(
        actor=caseworker_a, note=note, version=1, happened_on=note.happened_on, text=NOTE_SECOND
    )
    round_ = progression_services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=dt.date(2024, 5, 6),
        complete=True,
        scores={"citizen": {1: 1, 13: 4}, "caseworker": {1: 4, 7: 5, 13: 3}},
    )
    topic = DialogueTopic.objects.get(round=round_, item_number=1)
    progression_services.topic_agree(
        actor=caseworker_a, topic=topic, agreement="Dansk TV om aftenen.", on=dt.date(2024, 5, 20)
    )
    progression_services.citizen_link_create(actor=caseworker_a, round_=round_, language="fa")
    services.access_log_write(
        user=caseworker_a, action=AccessAction.VIEW, citizen=case.citizen, what="case page"
    )
    case.refresh_from_db()
    return case


def _sections(data: dict) -> dict[str, dict]:
    return {section["key"]: section for section in data["sections"]}


def _export(client, case, kind: str):
    return client.get(reverse(f"integration:record_{kind}", args=[case.citizen.uuid]))


# --- completeness -----------------------------------------------------------------------


def test_every_model_that_leads_to_a_citizen_is_in_the_record(full_case):
    leading = models_leading_to_a_citizen()
    sections = record.record_sections(full_case)
    covered = {label for section in sections for label in section.covers}
    assert missing_from_record(leading, covered, LEFT_OUT) == set()
    # The walk found what it must: the facts, the notes, progression's rows.
    assert {
        "integration.JournalNote",
        "integration.HistoricalJournalNote",
        "integration.AccessLog",
        "progression.Measurement",
        "progression.DialogueTopic",
        "progression.CitizenLink",
        *(m._meta.label for m in FACT_MODELS.values()),
    } <= leading
    # Every reason in LEFT_OUT is about a model the walk does find.
    assert set(LEFT_OUT) <= leading


def test_a_model_left_out_of_every_section_fails_the_completeness_check(full_case):
    leading = models_leading_to_a_citizen()
    covered = {label for s in record.record_sections(full_case) for label in s.covers}
    assert missing_from_record(leading, covered - {"progression.DialogueTopic"}, LEFT_OUT) == {
        "progression.DialogueTopic"
    }


def test_every_section_of_a_full_case_holds_its_rows(full_case, administrator):
    data = record.citizen_record(citizen=full_case.citizen, exported_by=administrator)
    empty = [key for key, section in _sections(data).items() if not section["rows"]]
    assert empty == []


# --- the JSON file ------------------------------------------------------------------------


def test_the_json_holds_facts_scores_topics_notes_their_history_and_who_read_them(
    full_case, administrator, caseworker_a, client_as
):
    response = _export(client_as(administrator), full_case, "json")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/json"
    assert response["Content-Disposition"].startswith('attachment; filename="indsigt-710190-')
    data = json.loads(response.content)
    sections = _sections(data)
    assert data["citizen"] == {"name": "Amal Haddad", "cpr": "710190-4000"}
    assert sections["integration.Citizen"]["rows"][0]["first_name"] == "Amal"
    # A note with both versions: who wrote it, and the words before and after.
    (note,) = sections["integration.JournalNote"]["rows"]
    assert (note["text"], note["happened_on"], note["created_by"]) == (
        NOTE_SECOND,
        "2024-02-05",
        "caseworker_a",
    )
    created, changed = sections["integration.JournalNote"]["history"]
    assert (created["type"], created["by"], created["changes"]["text"]["to"]) == (
        "created",
        "caseworker_a",
        NOTE_FIRST,
    )
    assert changed["type"] == "changed"
    assert changed["changes"] == {"text": {"from": NOTE_FIRST, "to": NOTE_SECOND}}
    # A fact's change history: the health assessment was done on 20-03-2024.
    health_changes = [h["changes"] for h in sections["integration.HealthAssessment"]["history"]]
    assert {"done_on": {"from": None, "to": "2024-03-20"}} in health_changes
    assert sections["integration.DanishAbsence"]["rows"][0]["absence_percent"] == "12.5"
    # Scores, by rater, and the topic with what was agreed.
    by_rater = {m["rater"]: m for m in sections["progression.Measurement"]["rows"]}
    assert (by_rater["Borger"]["item_1"], by_rater["Sagsbehandler"]["item_1"]) == (1, 4)
    (topic,) = sections["progression.DialogueTopic"]["rows"]
    assert (topic["item_number"], topic["agreement"]) == (1, "Dansk TV om aftenen.")
    (link,) = sections["progression.CitizenLink"]["rows"]
    assert link["language"] == "fa" and "token_hash" not in link
    # Who read it: the access log, this export included.
    log = sections["integration.AccessLog"]["rows"]
    assert {"username": "caseworker_a", "action": "Visning", "what": "case page"}.items() <= next(
        row for row in log if row["what"] == "case page"
    ).items()
    assert any(row["action"] == "Eksport" and row["username"] == "admin" for row in log)


def test_the_export_is_logged_as_an_export_of_that_citizen(full_case, administrator, client_as):
    client = client_as(administrator)
    _export(client, full_case, "json")
    _export(client, full_case, "pdf")
    rows = AccessLog.objects.filter(action=AccessAction.EXPORT, citizen=full_case.citizen)
    assert sorted(rows.values_list("what", flat=True)) == [
        "citizen record (JSON)",
        "citizen record (PDF)",
    ]


# --- the PDF --------------------------------------------------------------------------------


def _fonts(pdf: bytes) -> set[str]:
    names = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        for font in (page["/Resources"].get("/Font") or {}).values():
            names.add(str(font.get_object()["/BaseFont"]).split("+")[-1])
    return names


def test_the_pdf_reads_back_with_the_notes_history_and_only_the_reports_font(
    full_case, administrator, client_as
):
    response = _export(client_as(administrator), full_case, "pdf")
    assert response.status_code == 200
    assert response["Content-Type"] == "application/pdf"
    reader = PdfReader(io.BytesIO(response.content))
    text = " ".join(" ".join((page.extract_text() or "").split()) for page in reader.pages)
    assert "Indsigt i egne oplysninger" in text
    assert "Amal Haddad, CPR-nr. 710190-4000" in text
    for words in (
        NOTE_SECOND,
        "Sagsnotater",
        "Dansk TV om aftenen.",
        "Center Sandholm",
        "Hvem har set eller ændret oplysningerne (adgangsloggen)",
        "citizen record (PDF)",
    ):
        assert words in text, words
    # The note's first words are in its history, as the change's "from".
    assert f"fra {NOTE_FIRST} til {NOTE_SECOND}" in text
    assert "20-03-2024" in text  # dates as the Danish pages write them
    assert _fonts(response.content) <= {"Rapport-Sans", "Rapport-Sans-Bold", "Rapport-Sans-Italic"}
    assert _fonts(response.content)


# --- who may export -------------------------------------------------------------------------


@pytest.mark.parametrize(
    "persona", ["caseworker_a", "caseworker_b", "manager", "provider", "secretariat"]
)
@pytest.mark.parametrize("kind", ["json", "pdf"])
def test_only_an_administrator_may_export_and_a_refusal_logs_nothing(
    persona, kind, personas, full_case, client_as
):
    response = _export(client_as(personas[persona]), full_case, kind)
    assert response.status_code == 403
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_an_unknown_citizen_is_404_for_the_administrator(administrator, client_as):
    client = client_as(administrator)
    for kind in ("json", "pdf"):
        url = reverse(f"integration:record_{kind}", args=["00000000-0000-4000-8000-000000000000"])
        assert client.get(url).status_code == 404
    assert not AccessLog.objects.filter(action=AccessAction.EXPORT).exists()


def test_the_case_page_offers_the_export_to_the_administrator_only(
    case_a, administrator, caseworker_a, manager, client_as
):
    url = reverse("integration:record_pdf", args=[case_a.citizen.uuid])
    page = reverse("integration:case_detail", args=[case_a.uuid])
    assert url in client_as(administrator).get(page).content.decode()
    assert url not in client_as(caseworker_a).get(page).content.decode()
    assert url not in client_as(manager).get(page).content.decode()
