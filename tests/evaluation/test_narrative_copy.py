"""A manager copies the previous service review's texts into a new date, as
drafts to be read through; nothing already written is overwritten."""

import datetime as dt

import pytest
from django.conf import settings
from django.test import Client
from django.urls import reverse

from evaluation import services
from evaluation.models import ReportNarrative
from evaluation.reports import NARRATIVE_KEYS

pytestmark = pytest.mark.django_db

EARLIER = dt.date(2025, 11, 30)
OLDEST = dt.date(2024, 11, 30)
NEW = dt.date(2026, 11, 30)


@pytest.fixture(autouse=True)
def fast_hashing(settings):
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture
def client_as(db):
    def make(user) -> Client:
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
        return client

    return make


@pytest.fixture
def earlier_texts(manager):
    for key in NARRATIVE_KEYS:
        ReportNarrative.objects.create(
            as_of=OLDEST, section=key, text=f"Gammel {key}.", status="final"
        )
        ReportNarrative.objects.create(
            as_of=EARLIER, section=key, text=f"Sidste års {key}.", status="final", version=3
        )


def _copy(client, target=NEW, source=EARLIER):
    data = {} if source is None else {"source": str(source)}
    return client.post(reverse("evaluation:narrative_copy", args=[str(target)]), data)


def test_the_texts_page_offers_the_latest_earlier_review(client_as, manager, earlier_texts):
    page = client_as(manager).get(reverse("evaluation:narrative_edit", args=[str(NEW)]))

    body = page.content.decode()
    assert reverse("evaluation:narrative_copy", args=[str(NEW)]) in body
    assert f'name="source" value="{EARLIER}"' in body


def test_manager_copies_the_previous_texts_as_drafts(client_as, manager, earlier_texts):
    response = _copy(client_as(manager))

    assert response.status_code == 302
    assert response["Location"] == reverse("evaluation:narrative_edit", args=[str(NEW)])
    copied = {n.section: n for n in ReportNarrative.objects.filter(as_of=NEW)}
    assert set(copied) == set(NARRATIVE_KEYS)
    for key, narrative in copied.items():
        assert narrative.text == f"Sidste års {key}."
        assert (narrative.status, narrative.version, narrative.updated_by) == ("draft", 1, manager)
    # The earlier review is untouched.
    assert set(ReportNarrative.objects.filter(as_of=EARLIER).values_list("status", "version")) == {
        ("final", 3)
    }


def test_a_copied_review_cannot_be_made_until_the_texts_are_final_again(
    client_as, manager, earlier_texts
):
    from evaluation import selectors

    _copy(client_as(manager))

    assert {key for key, _label, why in selectors.missing_narratives(NEW)} >= set(
        k for k in NARRATIVE_KEYS if k != "interviews"
    )


def test_copying_keeps_what_is_already_written_and_twice_changes_nothing(
    client_as, manager, earlier_texts
):
    services.narratives_save(
        as_of=NEW,
        user=manager,
        texts={"introduction": "Årets egen indledning."},
        versions={},
        status="draft",
    )
    client = client_as(manager)

    _copy(client)
    second = _copy(client)

    intro = ReportNarrative.objects.get(as_of=NEW, section="introduction")
    assert (intro.text, intro.version) == ("Årets egen indledning.", 1)
    assert ReportNarrative.objects.filter(as_of=NEW).count() == len(NARRATIVE_KEYS)
    assert second.status_code == 302
    page = client.get(second["Location"]).content.decode()
    assert "nothing was copied" in page


def test_an_empty_saved_section_is_filled_and_its_version_moves_on(manager, earlier_texts):
    empty = ReportNarrative.objects.create(as_of=NEW, section="conclusion", text="", version=2)

    copied = services.narratives_copy(source=EARLIER, target=NEW, user=manager)

    empty.refresh_from_db()
    assert "conclusion" in copied
    assert (empty.text, empty.version, empty.status) == ("Sidste års conclusion.", 3, "draft")


@pytest.mark.parametrize("source", [None, "", "30-11-2025", "2025-02-30", str(OLDEST), str(NEW)])
def test_a_source_other_than_the_one_offered_is_a_400(client_as, manager, earlier_texts, source):
    response = _copy(client_as(manager), source=source)

    assert response.status_code == 400
    assert "earlier review this page offers" in response.content.decode()
    assert not ReportNarrative.objects.filter(as_of=NEW).exists()


def test_with_no_earlier_review_nothing_can_be_copied(client_as, manager):
    page = client_as(manager).get(reverse("evaluation:narrative_edit", args=[str(NEW)]))
    assert "narrative_copy" not in page.content.decode()
    assert reverse("evaluation:narrative_copy", args=[str(NEW)]) not in page.content.decode()
    assert _copy(client_as(manager)).status_code == 400


def test_a_bad_target_date_is_not_found(client_as, manager, earlier_texts):
    client = client_as(manager)
    # (30-11-2026 is a date: date fields take the Danish way of writing one.)
    for target in ("2026-13-01", "31-02-2026", "x"):
        assert _copy(client, target=target).status_code == 404
    assert not ReportNarrative.objects.exclude(as_of__in=[OLDEST, EARLIER]).exists()


def test_only_a_manager_copies(client_as, secretariat, caseworker_a, administrator, earlier_texts):
    for user in (secretariat, caseworker_a, administrator):
        assert _copy(client_as(user)).status_code == 403
    assert not ReportNarrative.objects.filter(as_of=NEW).exists()
    # A GET changes nothing either.
    client = client_as(secretariat)
    assert client.get(reverse("evaluation:narrative_copy", args=[str(NEW)])).status_code == 405


def test_the_service_refuses_to_copy_backwards(manager, earlier_texts):
    with pytest.raises(ValueError, match="earlier review"):
        services.narratives_copy(source=EARLIER, target=OLDEST, user=manager)
