"""The citizen's self-assessment through a one-time link."""

import base64
import datetime as dt
import hashlib
import re
from html import unescape

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from progression import services
from progression.citizen_texts import KEYS, TEXTS
from progression.models import (
    LANGUAGES,
    CitizenLink,
    DialogueTopic,
    Measurement,
    Rater,
)
from tests.factories import QuestionnaireFactory, make_case

CODES = [code for code, _name in LANGUAGES]
# A replacement number (day of birth + 60): 11-01-1990.
CPR = "7101904000"


def _texts(number: int) -> dict:
    """Item texts in every language; the question carries the language and number."""
    names = {"da": "Spørgsmål", "en": "Question", "ar": "سؤال", "ti": "ሕቶ", "so": "Su'aal",
             "fa": "سؤال فارسی"}  # fmt: skip
    return {
        code: {
            "label": f"{names[code]} {number}",
            "question": f"{names[code]} {number} ({code})?",
            "scale": [f"{code}-step-{step}" for step in range(1, 6)],
        }
        for code in CODES
    }


@pytest.fixture
def questionnaire(db):
    """A version whose texts carry their language, to see which one a page shows."""
    return QuestionnaireFactory(version=99, items__texts=_texts)


@pytest.fixture
def client_as(db):
    """``client_as(user)``: a fresh client signed in as ``user``; ``None`` is anonymous."""

    def make(user=None) -> Client:
        client = Client()
        if user is not None:
            client.force_login(user)
        return client

    return make


@pytest.fixture
def case(team_a, caseworker_a):
    return make_case(
        team=team_a,
        caseworker=caseworker_a,
        first_name="Amal",
        last_name="Haddad",
        cpr=CPR,
        nationality="SY",
    )


@pytest.fixture
def round_(questionnaire, case, caseworker_a):
    """A round where the caseworker gave item 2 a 5 and item 13 a 3."""
    return services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=timezone.localdate() - dt.timedelta(days=1),
        scores={"caseworker": {1: 3, 2: 5, 13: 3}},
        complete=False,
    )


@pytest.fixture
def make_link(round_, caseworker_a):
    """``make_link("ar")``: the token of a new link for the round."""

    def make(language: str = "da") -> str:
        _link, token = services.citizen_link_create(
            actor=caseworker_a, round_=round_, language=language
        )
        return token

    return make


def _form_url(token: str) -> str:
    return reverse("progression:citizen_form", args=[token])


def _answers(**overrides) -> dict:
    """A full answer: item n scored n % 5 + 1, then the overrides (``item_5=""``)."""
    data = {f"item_{n}": str(n % 5 + 1) for n in range(1, 14)}
    data.update(overrides)
    return data


def _citizen_measurements(round_):
    return Measurement.objects.filter(round=round_, rater=Rater.CITIZEN)


# --- the caseworker makes a link ---------------------------------------------


def test_caseworker_makes_link_shown_once_with_qr_code(client_as, caseworker_a, round_):
    response = client_as(caseworker_a).post(
        reverse("progression:link_create", args=[round_.uuid]), {"language": "ar"}
    )

    assert response.status_code == 200
    url = response.context["url"]
    assert re.fullmatch(r"http://testserver/m/[A-Za-z0-9_-]{32}/", url)
    html = response.content.decode()
    assert url in html
    # Only the hash of the token is kept.
    token = url.rstrip("/").rsplit("/", 1)[1]
    link = CitizenLink.objects.get(round=round_)
    assert link.token_hash == hashlib.sha256(token.encode()).hexdigest()
    assert link.language == "ar"
    assert link.created_by == caseworker_a
    # The QR code is drawn on the server, as an image the CSP allows.
    match = re.search(
        r'<img src="data:image/svg\+xml;base64,([A-Za-z0-9+/=]+)"[^>]*alt="[^"]+"', html
    )
    assert match
    svg = base64.b64decode(match.group(1)).decode()
    assert "<svg" in svg
    assert "style=" not in svg
    assert "style=" not in html  # the CSP allows no inline style
    expires = timezone.localtime(link.expires_at).date()
    assert expires == timezone.localdate() + dt.timedelta(days=14)
    assert expires.strftime("%d-%m-%Y") in html
    assert response["Cache-Control"].count("no-store") == 1


def test_second_link_for_the_same_round_leaves_the_first_valid(client_as, caseworker_a, round_):
    client = client_as(caseworker_a)
    url = reverse("progression:link_create", args=[round_.uuid])
    first = client.post(url, {"language": "so"}).context["url"]
    second = client.post(url, {"language": "so"}).context["url"]

    assert first != second
    assert CitizenLink.objects.filter(round=round_).count() == 2
    assert client_as().get(first).status_code == 200


def test_link_for_unknown_language_is_refused(client_as, caseworker_a, round_):
    response = client_as(caseworker_a).post(
        reverse("progression:link_create", args=[round_.uuid]), {"language": "de"}
    )

    assert response.status_code == 200
    assert response.context["form"].errors["language"]
    assert not CitizenLink.objects.exists()


def test_caseworker_of_another_team_cannot_make_link(client_as, caseworker_b, round_):
    response = client_as(caseworker_b).post(
        reverse("progression:link_create", args=[round_.uuid]), {"language": "da"}
    )

    assert response.status_code == 404
    assert not CitizenLink.objects.exists()


def test_provider_cannot_make_link(client_as, provider_user, round_):
    response = client_as(provider_user).post(
        reverse("progression:link_create", args=[round_.uuid]), {"language": "da"}
    )

    assert response.status_code == 404
    assert not CitizenLink.objects.exists()


def test_anonymous_cannot_make_link(client_as, round_):
    response = client_as().post(
        reverse("progression:link_create", args=[round_.uuid]), {"language": "da"}
    )

    assert response.status_code == 302
    assert not CitizenLink.objects.exists()


def test_get_of_link_create_is_not_allowed(client_as, caseworker_a, round_):
    response = client_as(caseworker_a).get(reverse("progression:link_create", args=[round_.uuid]))

    assert response.status_code == 405
    assert not CitizenLink.objects.exists()


# --- the citizen's form ------------------------------------------------------


def test_arabic_form_reads_right_to_left(client_as, make_link):
    response = client_as().get(_form_url(make_link("ar")))

    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="ar" dir="rtl">' in html
    assert "bootstrap.rtl.min.css" in html
    assert "سؤال 1 (ar)?" in html
    assert TEXTS["ar"]["submit"] in html
    assert TEXTS["ar"]["skip"] in html
    assert "Question 1" not in html


def test_somali_form_reads_left_to_right(client_as, make_link):
    response = client_as().get(_form_url(make_link("so")))

    html = response.content.decode()
    assert '<html lang="so" dir="ltr">' in html
    assert "bootstrap.rtl.min.css" not in html
    assert "Su'aal 13 (so)?" in unescape(html)
    assert TEXTS["so"]["title"] in html


def test_form_has_a_fieldset_per_item_with_five_steps_and_skip(client_as, make_link):
    html = client_as().get(_form_url(make_link("en"))).content.decode()

    assert html.count("<fieldset") == 13
    assert html.count("<legend") == 13
    assert html.count('type="radio"') == 13 * 6
    assert html.count('name="item_7"') == 6
    assert "1 – en-step-1" in html
    assert "5 – en-step-5" in html
    assert unescape(html).count(TEXTS["en"]["skip"]) == 13
    assert '<meta name="viewport"' in html
    assert "style=" not in html and "<script" not in html


def test_form_reveals_nothing_about_the_citizen_or_the_case(
    client_as, make_link, case, caseworker_a
):
    response = client_as().get(_form_url(make_link("da")))

    # The CSRF token is random and might, by chance, spell anything.
    html = re.sub(r'value="[A-Za-z0-9]{64}"', "", response.content.decode())
    for secret in [
        "Amal",
        "Haddad",
        CPR,
        "710190-4000",
        "710190",
        "xxxx",
        "Syri",
        caseworker_a.username,
        caseworker_a.first_name,
        caseworker_a.last_name,
        case.team.name,
        str(case.uuid),
    ]:
        assert secret not in html, secret
    # No staff navigation, no staff language switch, no sign-out.
    assert 'class="navbar' not in html
    assert "language-switch" not in html
    assert reverse("logout") not in html


def test_form_headers_keep_the_page_and_its_token_private(client_as, make_link):
    response = client_as().get(_form_url(make_link("ti")))

    assert "no-store" in response["Cache-Control"]
    assert "Content-Security-Policy" in response
    assert response["Content-Language"] == "ti"
    assert '<meta name="referrer" content="same-origin">' in response.content.decode()


def test_citizen_answer_is_stored_once_through_the_link(client_as, make_link, round_):
    token = make_link("fa")
    client = client_as()

    response = client.post(_form_url(token), _answers(item_5="", item_13="4"))

    assert response.status_code == 200
    assert TEXTS["fa"]["done_title"] in response.content.decode()
    measurement = _citizen_measurements(round_).get()
    assert measurement.via_link is True
    assert measurement.entered_by is None
    assert measurement.scores() == {
        1: 2, 2: 3, 3: 4, 4: 5, 5: None, 6: 2, 7: 3, 8: 4, 9: 5, 10: 1, 11: 2, 12: 3, 13: 4,
    }  # fmt: skip
    assert CitizenLink.objects.get(round=round_).used_at is not None

    # The link is spent: it now answers 410, in the link's language.
    again = client.get(_form_url(token))
    assert again.status_code == 410
    assert TEXTS["fa"]["used_title"] in again.content.decode()
    assert '<html lang="fa" dir="rtl">' in again.content.decode()
    second = client.post(_form_url(token), _answers(item_1="5", item_13="1"))
    assert second.status_code == 410
    assert _citizen_measurements(round_).get().scores() == measurement.scores()


def test_items_left_out_of_the_post_are_not_answered(client_as, make_link, round_):
    client_as().post(_form_url(make_link("en")), {"item_13": "5"})

    scores = _citizen_measurements(round_).get().scores()
    assert scores[13] == 5
    assert [n for n, s in scores.items() if s is None] == list(range(1, 13))


def test_expired_link_is_refused_and_writes_nothing(client_as, make_link, round_):
    token = make_link("so")
    CitizenLink.objects.filter(round=round_).update(
        expires_at=timezone.now() - dt.timedelta(minutes=1)
    )
    client = client_as()

    response = client.get(_form_url(token))
    assert response.status_code == 410
    assert TEXTS["so"]["expired_title"] in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert client.post(_form_url(token), _answers()).status_code == 410
    assert not _citizen_measurements(round_).exists()
    assert CitizenLink.objects.get(round=round_).used_at is None


def test_unknown_token_is_not_found_in_danish_and_english(client_as, round_):
    client = client_as()
    url = _form_url("not-a-real-token-at-all-000000000")

    response = client.get(url)
    assert response.status_code == 404
    html = response.content.decode()
    assert TEXTS["da"]["unknown_title"] in html
    assert TEXTS["en"]["unknown_title"] in html
    assert '<html lang="da" dir="ltr">' in html
    assert client.post(url, _answers()).status_code == 404
    assert not Measurement.objects.filter(rater=Rater.CITIZEN).exists()


@pytest.mark.parametrize("bad", ["7", "0", "junk", "2.5"])
def test_bad_score_shows_the_form_again_and_writes_nothing(client_as, make_link, round_, bad):
    token = make_link("ar")

    response = client_as().post(_form_url(token), _answers(item_4=bad))

    assert response.status_code == 200
    html = response.content.decode()
    assert TEXTS["ar"]["error_summary"] in html
    assert TEXTS["ar"]["field_error"] in html
    assert 'aria-describedby="id_item_4_error"' in html
    # The valid answers are kept for the second try.
    assert 'id="id_item_1_2" value="2" checked' in html
    assert not _citizen_measurements(round_).exists()
    assert CitizenLink.objects.get(round=round_).used_at is None


def test_divergent_answer_makes_a_dialogue_topic(client_as, make_link, round_, case):
    assert not DialogueTopic.objects.filter(round=round_).exists()

    # The caseworker gave item 2 a 5; the citizen gives it a 2. Item 1: 3 and 3.
    client_as().post(_form_url(make_link("da")), {"item_1": "3", "item_2": "2"})

    topic = DialogueTopic.objects.get(round=round_)
    assert (topic.item_number, topic.spread) == (2, 3)
    case.refresh_from_db()
    assert case.open_topics == 1


def test_every_language_has_every_citizen_string():
    assert set(TEXTS) == set(CODES)
    for code, texts in TEXTS.items():
        assert set(texts) == set(KEYS), code
        assert all(value.strip() for value in texts.values()), code


@pytest.mark.parametrize("how", ["closed", "anonymised"])
def test_a_link_on_a_closed_or_anonymised_case_writes_nothing(
    how, client_as, make_link, round_, caseworker_a
):
    from integration import services as case_services
    from integration.models import Citizen

    token = make_link("da")
    case = round_.case
    if how == "closed":
        case_services.case_transition(
            actor=caseworker_a,
            case=case,
            version=case.version,
            to_status="closed",
            on=timezone.localdate(),
            reason="moved_away",
        )
    else:
        Citizen.objects.filter(pk=case.citizen_id).update(anonymised_on=timezone.localdate())
    client = client_as()
    response = client.get(_form_url(token))
    assert response.status_code == 410
    # The citizen is told the link has expired; the case's state is not named.
    assert TEXTS["da"]["expired_title"] in response.content.decode()
    assert client.post(_form_url(token), _answers()).status_code == 410
    assert not _citizen_measurements(round_).exists()
    assert CitizenLink.objects.get(round=round_).used_at is None
