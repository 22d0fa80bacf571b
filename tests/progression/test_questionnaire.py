"""The default questionnaire as shipped data, and the pages that make new versions."""

import datetime as dt
import json
from pathlib import Path

import pytest
from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from integration.models import AccessLog
from integration.services import ConcurrentEditError
from progression import selectors, services
from progression.models import LANGUAGES, Item, Questionnaire, Rater
from tests.factories import make_case

pytestmark = [pytest.mark.django_db, pytest.mark.usefixtures("fast_password_hashing")]

DATA = Path(settings.BASE_DIR) / "progression" / "fixtures" / "default_questionnaire.json"
CODES = ["da", "en", "ar", "ti", "so", "fa"]

ITEM_1_DA = "Ser dagligt nyheder eller andet TV på dansk"
ITEM_7_DA = (
    "Tager ansvar for sin personlige fremtoning. "
    "For eksempel hygiejne, påklædning, adfærd, sprog og lignende"
)
ITEM_13_DA = "I hvilken grad oplever du selv at være integreret i det danske samfund?"

LIST_URL = reverse("progression:questionnaire_list")
NEW_DRAFT_URL = reverse("progression:questionnaire_new_draft")


def detail_url(version: int) -> str:
    return reverse("progression:questionnaire_detail", args=[version])


def edit_url(version: int, number: int) -> str:
    return reverse("progression:item_edit", args=[version, number])


def publish_url(version: int) -> str:
    return reverse("progression:questionnaire_publish", args=[version])


def v1() -> Questionnaire:
    return Questionnaire.objects.get(version=1)


@pytest.fixture
def shipped() -> Questionnaire:
    return Questionnaire.objects.get(version=2)


@pytest.fixture(autouse=True)
def _from_version_1(request):
    """These tests make versions from the shipped version 1 and number them
    from 2: the version 2 a migration ships (item 13 worded for staff) is set
    aside, except where a test asks for it (``shipped``)."""
    if "shipped" not in request.fixturenames:
        Item.objects.filter(questionnaire__version=2).delete()
        Questionnaire.objects.filter(version=2).delete()


def texts_of(version: int) -> dict[int, dict]:
    return {i.number: i.texts for i in Item.objects.filter(questionnaire__version=version)}


def edit_post(item: Item, **changes: str) -> dict[str, str]:
    """The edit form as the browser sends it, with the item's texts and some fields changed."""
    data = {"fingerprint": services.texts_fingerprint(item.texts)}
    if item.municipal_wording:
        data["municipal_wording"] = "on"
    for code in CODES:
        entry = item.texts[code]
        data[f"{code}_label"] = entry["label"]
        data[f"{code}_question"] = entry["question"]
        for step, text in enumerate(entry["scale"], start=1):
            data[f"{code}_scale_{step}"] = text
    data.update(changes)
    return data


# --- the shipped version 1 --------------------------------------------------


def test_migrations_ship_version_1_and_version_2_with_item_13_worded_for_staff(shipped):
    questionnaire = v1()
    assert questionnaire.status == Questionnaire.Status.PUBLISHED
    assert questionnaire.published_at is not None
    assert list(questionnaire.items.values_list("number", flat=True)) == list(range(1, 14))
    # Version 2 (issue 13): the same items; item 13 asks the caseworker and the
    # provider for their own view of the citizen, never "du selv".
    v2 = shipped
    assert v2.status == Questionnaire.Status.PUBLISHED
    assert selectors.questionnaire_current() == v2
    assert texts_of(2) == texts_of(1)
    item_13 = v2.items.get(number=13)
    assert item_13.texts["da"]["question"] == ITEM_13_DA
    assert item_13.staff_text("question") == (
        "I hvilken grad vurderer du, at borgeren er integreret i det danske samfund?"
    )
    assert "du selv" not in item_13.staff_text("question")
    assert all(i.staff_texts == {} for i in v2.items.exclude(number=13))
    assert all(i.staff_texts == {} for i in questionnaire.items.all())


def test_languages_are_the_six_the_texts_are_written_in():
    assert [code for code, _name in LANGUAGES] == CODES


def test_every_default_item_is_complete_in_all_six_languages():
    for item in v1().items.all():
        item.full_clean()
        assert services.item_languages_missing(item) == [], item.number
        assert set(item.texts) == set(CODES)
        for code in CODES:
            assert len(item.texts[code]["scale"]) == 5


def test_version_1_holds_exactly_the_texts_of_the_data_file():
    rows = json.loads(DATA.read_text(encoding="utf-8"))
    items = [r["fields"] for r in rows if r["model"] == "progression.item"]
    assert texts_of(1) == {i["number"]: i["texts"] for i in items}


def test_items_1_7_and_13_are_the_municipalitys_own_wording():
    items = {i.number: i for i in v1().items.all()}
    assert items[1].texts["da"]["question"] == ITEM_1_DA
    assert items[7].texts["da"]["question"] == ITEM_7_DA
    assert items[13].texts["da"]["question"] == ITEM_13_DA
    assert items[1].texts["en"]["question"] == "Watches news or other TV in Danish daily"
    assert (
        items[13].texts["en"]["question"]
        == "To what degree do you feel integrated in Danish society?"
    )
    assert {n for n, i in items.items() if i.municipal_wording} == {1, 7, 13}


def test_the_scale_runs_from_not_at_all_to_a_very_high_degree():
    item = v1().items.get(number=2)
    assert item.texts["da"]["scale"] == [
        "Slet ikke",
        "I lille grad",
        "I nogen grad",
        "I høj grad",
        "I meget høj grad",
    ]
    assert item.texts["en"]["scale"][0] == "Not at all"
    assert item.texts["en"]["scale"][4] == "To a very high degree"


# --- a new version, end to end ---------------------------------------------


def test_administrator_drafts_edits_and_publishes_a_new_version(client_as, administrator):
    before = texts_of(1)
    client = client_as(administrator, language="en")

    response = client.post(NEW_DRAFT_URL)
    assert response.status_code == 302
    assert response.url == detail_url(2)
    draft = Questionnaire.objects.get(version=2)
    assert draft.status == Questionnaire.Status.DRAFT
    assert texts_of(2) == before
    assert set(draft.items.filter(municipal_wording=True).values_list("number", flat=True)) == {
        1,
        7,
        13,
    }

    response = client.get(edit_url(2, 3))
    assert response.status_code == 200
    body = response.content.decode()
    assert body.count("<fieldset") == 6
    assert body.count("<legend") == 6
    item_3 = draft.items.get(number=3)
    response = client.post(
        edit_url(2, 3), edit_post(item_3, da_label="Post fra kommunen og staten")
    )
    assert response.status_code == 302
    item_3.refresh_from_db()
    assert item_3.texts["da"]["label"] == "Post fra kommunen og staten"
    assert item_3.texts["en"] == before[3]["en"]

    response = client.post(publish_url(2), {"note": "Item 3: new Danish label"}, follow=True)
    assert response.status_code == 200
    assert "Version 2 is published" in response.content.decode()
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.PUBLISHED
    assert draft.published_by == administrator
    assert draft.published_at is not None
    assert draft.note == "Item 3: new Danish label"
    assert selectors.questionnaire_current() == draft

    # Version 1 is exactly as it was.
    assert texts_of(1) == before
    assert v1().status == Questionnaire.Status.PUBLISHED
    assert AccessLog.objects.filter(user=administrator, what="questionnaire v2 published").exists()


def test_a_measurement_keeps_the_version_it_was_made_with(team_a, caseworker_a, administrator):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))
    old_round = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=dt.date(2025, 3, 3),
        scores={Rater.CASEWORKER: {1: 3}},
        complete=True,
    )
    draft = services.questionnaire_new_draft(actor=administrator)
    services.questionnaire_publish(actor=administrator, questionnaire=draft)

    new_round = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=dt.date(2025, 6, 3),
        scores={Rater.CASEWORKER: {1: 4}},
        complete=True,
    )
    old_round.refresh_from_db()
    assert old_round.questionnaire.version == 1
    assert old_round.measurements.get().questionnaire.version == 1
    assert new_round.questionnaire.version == 2


def test_a_new_draft_copies_the_latest_version_not_the_first(administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    item = draft.items.get(number=4)
    texts = {**item.texts, "en": {**item.texts["en"], "label": "Health care"}}
    services.item_texts_update(actor=administrator, item=item, texts=texts)
    services.questionnaire_publish(actor=administrator, questionnaire=draft)

    third = services.questionnaire_new_draft(actor=administrator)
    assert third.version == 3
    assert third.items.get(number=4).texts["en"]["label"] == "Health care"


# --- refusals ---------------------------------------------------------------


def test_publishing_with_an_empty_language_field_is_refused(client_as, administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    # A gap as a copied item would have it when a language is added later.
    item = draft.items.get(number=5)
    item.texts["ti"]["question"] = ""
    Item.objects.filter(pk=item.pk).update(texts=item.texts)

    response = client_as(administrator, language="en").post(
        publish_url(2), {"note": ""}, follow=True
    )
    body = response.content.decode()
    assert "Version 2 was not published." in body
    assert "Item 5 is missing its label, question or scale steps in: ትግርኛ (ti)." in body
    assert 'class="alert alert-danger"' in body
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.DRAFT
    assert draft.published_at is None
    # The detail page also points at the incomplete item.
    assert "Texts missing in: ትግርኛ" in body


def test_publishing_refuses_a_blank_scale_step(administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    item = draft.items.get(number=9)
    item.texts["fa"]["scale"][2] = "  "
    Item.objects.filter(pk=item.pk).update(texts=item.texts)
    with pytest.raises(ValidationError):
        services.questionnaire_publish(actor=administrator, questionnaire=draft)
    draft.refresh_from_db()
    assert draft.status == Questionnaire.Status.DRAFT


def test_saving_an_item_with_an_empty_field_is_refused(client_as, administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    item = draft.items.get(number=3)
    before = item.texts
    response = client_as(administrator, language="en").post(
        edit_url(2, 3), edit_post(item, ar_question="", so_scale_4="")
    )
    assert response.status_code == 200
    body = response.content.decode()
    assert "The item was not saved." in body
    assert 'href="#id_ar_question"' in body
    assert 'href="#id_so_scale_4"' in body
    item.refresh_from_db()
    assert item.texts == before


def test_the_item_service_refuses_empty_texts(administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    item = draft.items.get(number=2)
    texts = {**item.texts, "so": {**item.texts["so"], "label": " "}}
    with pytest.raises(ValidationError):
        services.item_texts_update(actor=administrator, item=item, texts=texts)


def test_a_published_version_cannot_be_edited(client_as, administrator):
    before = texts_of(1)
    client = client_as(administrator)
    item = v1().items.get(number=3)
    assert client.get(edit_url(1, 3)).status_code == 404
    assert client.post(edit_url(1, 3), edit_post(item, da_label="Ændret")).status_code == 404
    with pytest.raises(ValidationError):
        services.item_texts_update(actor=administrator, item=item, texts=item.texts)
    assert texts_of(1) == before


def test_publishing_a_published_version_is_refused(client_as, administrator):
    published_at = v1().published_at
    response = client_as(administrator, language="en").post(publish_url(1), follow=True)
    assert "Version 1 is already published." in response.content.decode()
    assert v1().published_at == published_at


def test_there_is_one_draft_at_a_time(client_as, administrator):
    services.questionnaire_new_draft(actor=administrator)
    with pytest.raises(ValidationError):
        services.questionnaire_new_draft(actor=administrator)
    client = client_as(administrator, language="en")
    response = client.get(LIST_URL)
    assert NEW_DRAFT_URL not in response.content.decode()
    response = client.post(NEW_DRAFT_URL, follow=True)
    assert "There is already a draft." in response.content.decode()
    assert Questionnaire.objects.count() == 2


def test_an_edit_saved_meanwhile_by_someone_else_is_not_overwritten(administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    item = draft.items.get(number=6)
    read = services.texts_fingerprint(item.texts)
    first = {**item.texts, "en": {**item.texts["en"], "label": "First"}}
    services.item_texts_update(actor=administrator, item=item, texts=first, read_fingerprint=read)
    second = {**item.texts, "en": {**item.texts["en"], "label": "Second"}}
    with pytest.raises(ConcurrentEditError):
        services.item_texts_update(
            actor=administrator, item=item, texts=second, read_fingerprint=read
        )
    item.refresh_from_db()
    assert item.texts["en"]["label"] == "First"


# --- who may do what --------------------------------------------------------


@pytest.mark.parametrize("persona", ["caseworker_a", "manager"])
def test_caseworker_and_manager_read_but_cannot_change(request, client_as, administrator, persona):
    services.questionnaire_new_draft(actor=administrator)
    client = client_as(request.getfixturevalue(persona))
    assert client.get(LIST_URL).status_code == 200
    response = client.get(detail_url(2))
    assert response.status_code == 200
    body = response.content.decode()
    assert edit_url(2, 1) not in body
    assert publish_url(2) not in body
    assert NEW_DRAFT_URL not in client.get(LIST_URL).content.decode()

    item = Item.objects.get(questionnaire__version=2, number=3)
    assert client.post(NEW_DRAFT_URL).status_code == 403
    assert client.post(publish_url(2)).status_code == 403
    assert client.get(edit_url(2, 3)).status_code == 403
    assert client.post(edit_url(2, 3), edit_post(item, da_label="x")).status_code == 403
    assert Questionnaire.objects.get(version=2).status == Questionnaire.Status.DRAFT
    assert Questionnaire.objects.count() == 2


@pytest.mark.parametrize("persona", ["provider_user", "secretariat"])
def test_provider_and_secretariat_are_refused(request, client_as, persona):
    client = client_as(request.getfixturevalue(persona))
    assert client.get(LIST_URL).status_code == 403
    assert client.get(detail_url(1)).status_code == 403
    assert client.post(NEW_DRAFT_URL).status_code == 403
    assert client.post(publish_url(1)).status_code == 403


@pytest.mark.parametrize(
    ("method", "url"),
    [
        ("get", LIST_URL),
        ("get", detail_url(1)),
        ("get", edit_url(1, 1)),
        ("post", NEW_DRAFT_URL),
        ("post", publish_url(1)),
    ],
)
def test_anonymous_is_sent_to_sign_in(client_as, method, url):
    response = getattr(client_as(None), method)(url)
    assert response.status_code == 302
    assert response.url.startswith(reverse("login"))
    assert Questionnaire.objects.count() == 1


def test_new_draft_and_publish_answer_only_post(client_as, administrator):
    client = client_as(administrator)
    assert client.get(NEW_DRAFT_URL).status_code == 405
    assert client.get(publish_url(1)).status_code == 405


# --- the pages --------------------------------------------------------------


def test_detail_in_arabic_is_right_to_left(client_as, caseworker_a):
    response = client_as(caseworker_a).get(detail_url(1), {"lang": "ar"})
    body = response.content.decode()
    assert 'lang="ar" dir="rtl" class="item-texts"' in body
    assert body.count('class="item-texts"') == 13
    assert v1().items.get(number=13).texts["ar"]["question"] in body


def test_detail_in_danish_is_left_to_right(client_as, caseworker_a):
    body = client_as(caseworker_a).get(detail_url(1)).content.decode()
    assert 'lang="da" dir="ltr" class="item-texts"' in body
    assert 'dir="rtl" class="item-texts"' not in body
    assert ITEM_7_DA in body


def test_an_unknown_language_falls_back_to_danish(client_as, caseworker_a):
    body = client_as(caseworker_a).get(detail_url(1), {"lang": "xx"}).content.decode()
    assert 'lang="da" dir="ltr" class="item-texts"' in body


def test_detail_marks_own_wording_and_replaceable_defaults(client_as, caseworker_a):
    body = client_as(caseworker_a, language="en").get(detail_url(1)).content.decode()
    assert body.count("wording-municipal") == 3
    assert body.count("wording-default") == 10
    assert "an administrator may replace" in body
    assert (
        "A measurement keeps the version it was made with: publishing a new version never "
        "changes earlier versions or the measurements made with them." in body
    )


def test_draft_detail_offers_edit_links_and_publish_to_the_administrator(client_as, administrator):
    services.questionnaire_new_draft(actor=administrator)
    body = client_as(administrator).get(detail_url(2)).content.decode()
    for number in range(1, 14):
        assert edit_url(2, number) in body
    assert f'action="{publish_url(2)}"' in body
    # The published version offers neither.
    body = client_as(administrator).get(detail_url(1)).content.decode()
    assert edit_url(1, 1) not in body
    assert publish_url(1) not in body


def test_edit_form_writes_arabic_and_farsi_right_to_left(client_as, administrator):
    services.questionnaire_new_draft(actor=administrator)
    body = client_as(administrator).get(edit_url(2, 1)).content.decode()
    assert body.count('dir="rtl"') >= 2 * 7
    assert 'name="ar_question"' in body
    assert 'lang="fa" dir="rtl"' in body
    assert 'name="ti_scale_5"' in body


@pytest.mark.parametrize("url_name", ["list", "detail", "edit"])
def test_pages_have_one_heading_and_no_inline_code(client_as, administrator, parse_page, url_name):
    services.questionnaire_new_draft(actor=administrator)
    url = {"list": LIST_URL, "detail": detail_url(2), "edit": edit_url(2, 7)}[url_name]
    response = client_as(administrator).get(url)
    assert response.status_code == 200
    page = parse_page(response)
    assert response.content.decode().count("<h1") == 1
    assert page.event_handlers == []
    assert page.inline_styles == []
    assert all(script["src"] for script in page.scripts)


def test_list_shows_every_version(client_as, administrator):
    draft = services.questionnaire_new_draft(actor=administrator)
    services.questionnaire_publish(actor=administrator, questionnaire=draft, note="Ny tekst")
    services.questionnaire_new_draft(actor=administrator)
    body = client_as(administrator, language="en").get(LIST_URL).content.decode()
    for version in (1, 2, 3):
        assert f'href="{detail_url(version)}"' in body
    assert "Ny tekst" in body


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        # 1: the versions joined with their publishers.
        ("list", 1),
        # 1: the version with its publisher; 2: its 13 items.
        ("detail", 2),
        # 1: the draft's item joined with its version.
        ("edit", 1),
    ],
)
def test_pages_read_the_questionnaire_in_fixed_queries(client_as, administrator, page, expected):
    """Only this app's queries are counted: session, user and menu belong to others."""
    services.questionnaire_new_draft(actor=administrator)
    url = {"list": LIST_URL, "detail": detail_url(2), "edit": edit_url(2, 7)}[page]
    client = client_as(administrator)
    client.get(url)
    with CaptureQueriesContext(connection) as queries:
        assert client.get(url).status_code == 200
    ours = [q["sql"] for q in queries.captured_queries if "progression_" in q["sql"]]
    assert len(ours) == expected, ours
