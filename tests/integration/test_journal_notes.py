"""Journal notes: written on a case, changed by their author for 24 hours and
then locked, every version kept, searchable in the user's own cases, never
shown to a provider or the secretariat, logged, and cleared by retention."""

import datetime as dt

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from integration import retention, services
from integration.models import AccessAction, AccessLog, CaseStatus, JournalNote
from tests.factories import UserFactory, make_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

WORDS = "Møde med tolk: borgeren ønsker praktik i køkken, aftalt ny samtale."


@pytest.fixture
def note(case_a, caseworker_a):
    return services.journal_note_create(
        actor=caseworker_a, case=case_a, happened_on=dt.date(2024, 2, 1), text=WORDS
    )


def _age(note, hours: float) -> None:
    """Make the note written ``hours`` ago."""
    JournalNote.objects.filter(pk=note.pk).update(
        created_at=timezone.now() - dt.timedelta(hours=hours)
    )
    note.refresh_from_db()


def _edit_url(case, note) -> str:
    return reverse("integration:note_edit", args=[case.uuid, note.uuid])


def test_caseworker_writes_a_note_that_the_case_page_and_its_timeline_show(
    case_a, caseworker_a, client_as
):
    client = client_as(caseworker_a)
    response = client.post(
        reverse("integration:note_create", args=[case_a.uuid]),
        {"happened_on": "2024-02-01", "text": WORDS},
    )
    note = JournalNote.objects.get(case=case_a)
    assert response.status_code == 302
    assert response["Location"].endswith(f"#note-{note.uuid}")
    assert (note.created_by, note.happened_on, note.text) == (
        caseworker_a,
        dt.date(2024, 2, 1),
        WORDS,
    )
    page = client.get(reverse("integration:case_detail", args=[case_a.uuid])).content.decode()
    assert "borgeren ønsker praktik" in page
    # The timeline dates it by the meeting, not by the day it was written.
    assert "01-02-2024</time>Sagsnotat: Møde med tolk" in page
    assert AccessLog.objects.filter(
        action=AccessAction.CHANGE, citizen=case_a.citizen, what="journal note added"
    ).exists()


def test_author_changes_the_note_within_24_hours_and_both_versions_are_kept(
    case_a, caseworker_a, note, client_as
):
    _age(note, 23.5)
    response = client_as(caseworker_a).post(
        _edit_url(case_a, note),
        {"happened_on": "2024-01-31", "text": "Rettet: mødet var dagen før.", "version": 1},
    )
    assert response.status_code == 302
    note.refresh_from_db()
    assert (note.text, note.happened_on, note.version) == (
        "Rettet: mødet var dagen før.",
        dt.date(2024, 1, 31),
        2,
    )
    texts = list(note.history.order_by("history_id").values_list("text", "history_user"))
    assert texts == [(WORDS, caseworker_a.pk), ("Rettet: mødet var dagen før.", caseworker_a.pk)]
    assert (
        AccessLog.objects.filter(what="journal note changed", citizen=case_a.citizen).count() == 1
    )


def test_after_24_hours_the_note_is_locked_for_its_author_too(
    case_a, caseworker_a, note, client_as
):
    _age(note, 24.01)
    client = client_as(caseworker_a)
    page = client.get(reverse("integration:case_detail", args=[case_a.uuid])).content.decode()
    assert _edit_url(case_a, note) not in page
    assert "note-locked" in page
    response = client.get(_edit_url(case_a, note))
    assert response.status_code == 403
    assert "Notatet er låst" in response.content.decode()
    response = client.post(
        _edit_url(case_a, note), {"happened_on": "2024-02-01", "text": "Omskrevet", "version": 1}
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert (note.text, note.version, note.history.count()) == (WORDS, 1, 1)
    with pytest.raises(services.NoteLockedError):
        services.journal_note_update(
            actor=caseworker_a,
            note=note,
            version=1,
            happened_on=note.happened_on,
            text="Omskrevet",
        )


def test_a_colleague_of_the_same_team_reads_the_note_but_cannot_change_it(
    case_a, team_a, note, client_as
):
    colleague = UserFactory(username="colleague_a", team=team_a, role="caseworker")
    client = client_as(colleague)
    page = client.get(reverse("integration:case_detail", args=[case_a.uuid])).content.decode()
    assert "borgeren ønsker praktik" in page
    assert _edit_url(case_a, note) not in page
    response = client.post(
        _edit_url(case_a, note), {"happened_on": "2024-02-01", "text": "Ikke min", "version": 1}
    )
    assert response.status_code == 403
    note.refresh_from_db()
    assert note.text == WORDS


def test_the_service_refuses_a_stale_version_and_a_date_in_the_future(case_a, caseworker_a, note):
    services.journal_note_update(
        actor=caseworker_a, note=note, version=1, happened_on=note.happened_on, text="Anden"
    )
    with pytest.raises(services.ConcurrentEditError):
        services.journal_note_update(
            actor=caseworker_a, note=note, version=1, happened_on=note.happened_on, text="Tredje"
        )
    with pytest.raises(ValidationError) as refused:
        services.journal_note_create(
            actor=caseworker_a,
            case=case_a,
            happened_on=timezone.localdate() + dt.timedelta(days=1),
            text="Fremtid",
        )
    assert "happened_on" in refused.value.message_dict
    assert JournalNote.objects.get().text == "Anden"


def test_an_empty_note_is_refused_on_the_form_and_nothing_is_saved(case_a, caseworker_a, client_as):
    response = client_as(caseworker_a).post(
        reverse("integration:note_create", args=[case_a.uuid]),
        {"happened_on": "2024-02-01", "text": "   "},
    )
    assert response.status_code == 200
    assert "invalid-feedback" in response.content.decode()
    assert not JournalNote.objects.exists()


@pytest.mark.parametrize("persona", ["caseworker_b", "manager", "provider", "secretariat"])
def test_those_who_may_not_write_on_the_case_get_404_and_nothing_changes(
    persona, personas, case_a, note, client_as
):
    client = client_as(personas[persona])
    create = reverse("integration:note_create", args=[case_a.uuid])
    data = {"happened_on": "2024-02-01", "text": "Udefra", "version": 1}
    assert client.get(create).status_code == 404
    assert client.post(create, data).status_code == 404
    assert client.post(_edit_url(case_a, note), data).status_code == 404
    assert list(JournalNote.objects.values_list("text", "version")) == [(WORDS, 1)]


def test_manager_reads_notes_on_the_case_page_and_their_old_words_in_the_history(
    case_a, caseworker_a, manager, note, client_as
):
    services.journal_note_update(
        actor=caseworker_a, note=note, version=1, happened_on=note.happened_on, text="Rettet."
    )
    client = client_as(manager)
    page = client.get(reverse("integration:case_detail", args=[case_a.uuid])).content.decode()
    assert "Rettet." in page
    assert reverse("integration:note_create", args=[case_a.uuid]) not in page
    history = client.get(reverse("integration:case_history", args=[case_a.uuid])).content.decode()
    assert "borgeren ønsker praktik" in history and "Rettet." in history


@pytest.mark.parametrize("persona", ["provider", "secretariat", "caseworker_b"])
def test_no_page_shows_a_note_to_a_provider_the_secretariat_or_another_team(
    persona, personas, case_a, note, client_as
):
    client = client_as(personas[persona])
    for url in (
        reverse("integration:case_detail", args=[case_a.uuid]),
        reverse("integration:case_history", args=[case_a.uuid]),
        reverse("integration:note_search") + "?q=praktik",
        reverse("integration:provider_home"),
    ):
        response = client.get(url)
        assert "praktik i køkken" not in response.content.decode(), url


def test_the_permissions_give_notes_to_caseworkers_managers_and_administrators_only(personas):
    readers = {
        name for name, u in personas.items() if u and u.has_perm("integration.view_journalnote")
    }
    writers = {
        name for name, u in personas.items() if u and u.has_perm("integration.add_journalnote")
    }
    assert readers == {"caseworker_a", "caseworker_b", "manager", "administrator"}
    assert writers == {"caseworker_a", "caseworker_b", "administrator"}


# --- search ------------------------------------------------------------------------------


@pytest.fixture
def notes_in_two_teams(case_a, caseworker_a, caseworker_b, team_b):
    case_b = make_case(team=team_b, caseworker=caseworker_b, last_name="Bashir")
    for case, author, text in (
        (case_a, caseworker_a, "Praktik i køkkenet er aftalt."),
        (case_a, caseworker_a, "Talte om bolig."),
        (case_b, caseworker_b, "Praktik i køkkenet på plejehjemmet."),
    ):
        services.journal_note_create(
            actor=author, case=case, happened_on=dt.date(2024, 3, 1), text=text
        )
    return case_b


def test_search_finds_every_word_in_the_users_own_cases_only(
    notes_in_two_teams, case_a, caseworker_a, client_as
):
    response = client_as(caseworker_a).get(
        reverse("integration:note_search"), {"q": "køkkenet PRAKTIK"}
    )
    body = response.content.decode()
    assert response.status_code == 200
    assert "Praktik i køkkenet er aftalt." in body
    assert "plejehjemmet" not in body and "Bashir" not in body
    assert "Talte om bolig" not in body
    row = AccessLog.objects.get(action=AccessAction.SEARCH, what="journal note search")
    assert (row.citizen_id, row.search_term) == (case_a.citizen_id, "køkkenet PRAKTIK")


def test_manager_searches_the_notes_of_every_team(notes_in_two_teams, manager, client_as):
    body = client_as(manager).get(reverse("integration:note_search"), {"q": "køkkenet"}).content
    assert b"plejehjemmet" in body and b"er aftalt" in body


@pytest.mark.parametrize(
    "query", [{"q": "x" * 201}, {"q": "a\x00b"}, {"page": "0"}, {"page": "abc"}]
)
def test_a_bad_query_string_is_a_400_that_shows_no_note(
    query, notes_in_two_teams, caseworker_a, client_as
):
    response = client_as(caseworker_a).get(reverse("integration:note_search"), query)
    assert response.status_code == 400
    assert "køkkenet" not in response.content.decode()
    assert not AccessLog.objects.filter(action=AccessAction.SEARCH).exists()


@pytest.mark.parametrize("persona", ["provider", "secretariat"])
def test_providers_and_the_secretariat_may_not_search_notes(
    persona, personas, notes_in_two_teams, client_as
):
    response = client_as(personas[persona]).get(reverse("integration:note_search"), {"q": "a"})
    assert response.status_code == 403


def test_search_page_queries_do_not_grow_with_the_notes_found(
    case_a, caseworker_a, team_a, client_as, django_assert_max_num_queries
):
    for n in range(30):
        case = make_case(team=team_a, caseworker=caseworker_a, last_name=f"Nr{n}")
        services.journal_note_create(
            actor=caseworker_a, case=case, happened_on=dt.date(2024, 3, 1), text=f"Samtale {n}"
        )
    client = client_as(caseworker_a)
    # the session, the user, their groups and permissions (a first request's;
    # later from the cache), the count, one page of notes with case, citizen
    # and author joined, and the access-log insert: 7 whatever the number of notes.
    with django_assert_max_num_queries(7):
        response = client.get(reverse("integration:note_search"), {"q": "samtale"})
    assert response.content.decode().count("Samtale ") == 25


# --- retention ----------------------------------------------------------------------------


def test_retention_clears_the_notes_words_and_every_old_version(case_a, caseworker_a, note):
    services.journal_note_update(
        actor=caseworker_a, note=note, version=1, happened_on=note.happened_on, text="Version 2"
    )
    services.case_transition(
        actor=None,
        case=case_a,
        version=case_a.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 6, 1),
        reason="moved_away",
        note="",
    )
    case_a.refresh_from_db()
    retention.case_anonymise(case=case_a, today=dt.date(2030, 1, 1))
    note.refresh_from_db()
    assert note.text == "" and note.happened_on == dt.date(2024, 2, 1)
    assert set(note.history.values_list("text", flat=True)) == {""}
