"""Each rater's scores survive (issue 13): the five losses found by trying the
tool as a caseworker, a provider and a citizen, each driven through its real
view, and what was agreed is shown again."""

import datetime as dt
import re
import uuid
from html import unescape

import pytest
from django.core.exceptions import ValidationError
from django.urls import reverse
from django.utils import timezone

from progression import selectors, services
from progression.citizen_texts import TEXTS
from progression.models import CitizenLink, DialogueTopic, Measurement, Rater, Round
from tests.factories import ProviderFactory, UserFactory, enrol

YESTERDAY = timezone.localdate() - dt.timedelta(days=1)


def all_items(value) -> dict[int, int]:
    return dict.fromkeys(range(1, 14), value)


def grid_post(scores: dict[str, dict[int, int | None]], day: dt.date, **extra) -> dict:
    data = {"measured_on": day.isoformat(), "submission": str(uuid.uuid4()), **extra}
    for rater, items in scores.items():
        for n, value in items.items():
            data[f"{rater}_{n}"] = "" if value is None else str(value)
    return data


def text_of(response) -> str:
    return re.sub(r"\s+", " ", unescape(response.content.decode()))


def column(case, day, rater) -> dict[int, int | None] | None:
    m = Measurement.objects.filter(round__case=case, measured_on=day, rater=rater).first()
    return m.scores() if m else None


# --- loss 1: an empty citizen reply wiped the citizen's column ----------------


@pytest.fixture
def typed_round(questionnaire, case_a, caseworker_a):
    """A round where the caseworker typed the citizen's 13 scores (all 4s)."""
    return services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=YESTERDAY,
        scores={Rater.CITIZEN: all_items(4), Rater.CASEWORKER: all_items(3)},
        complete=False,
    )


@pytest.mark.django_db
@pytest.mark.parametrize("language", ["ar", "da", "ti"])
@pytest.mark.parametrize("how", ["nothing", "all skipped"])
def test_empty_citizen_reply_is_refused_in_their_language_and_keeps_the_link(
    client_as, typed_round, caseworker_a, language, how
):
    _link, token = services.citizen_link_create(
        actor=caseworker_a, round_=typed_round, language=language
    )
    url = reverse("progression:citizen_form", args=[token])
    data = {} if how == "nothing" else {f"item_{n}": "" for n in range(1, 14)}
    response = client_as(None).post(url, data)

    assert response.status_code == 200
    assert TEXTS[language]["empty_reply"] in text_of(response)
    assert TEXTS[language]["done_title"] not in text_of(response)
    # The typed column and its index are untouched; the link is not spent.
    assert column(typed_round.case, YESTERDAY, Rater.CITIZEN) == all_items(4)
    assert Measurement.objects.get(round=typed_round, rater=Rater.CITIZEN).index == 4.0
    assert CitizenLink.objects.get().used_at is None
    # ... and the citizen can still answer through it.
    answer = client_as(None).post(url, {"item_1": "2", "item_13": "5"})
    assert TEXTS[language]["done_title"] in text_of(answer)
    assert column(typed_round.case, YESTERDAY, Rater.CITIZEN)[13] == 5


@pytest.mark.django_db
def test_citizen_answer_over_typed_scores_keeps_the_old_ones_in_the_history(
    client_as, typed_round, caseworker_a
):
    _link, token = services.citizen_link_create(
        actor=caseworker_a, round_=typed_round, language="da"
    )
    client_as(None).post(
        reverse("progression:citizen_form", args=[token]), {f"item_{n}": "2" for n in range(1, 14)}
    )
    measurement = Measurement.objects.get(round=typed_round, rater=Rater.CITIZEN)
    versions = [h.instance.scores() for h in measurement.history.order_by("history_id")]
    assert versions == [all_items(4), all_items(2)]


@pytest.mark.django_db
def test_an_empty_column_never_replaces_scores_anywhere(typed_round, caseworker_a):
    with pytest.raises(ValidationError):
        services.round_save(
            actor=caseworker_a,
            case=typed_round.case,
            measured_on=YESTERDAY,
            scores={Rater.CITIZEN: {}, Rater.CASEWORKER: all_items(3)},
            complete=False,
            round_=typed_round,
            version=typed_round.version,
        )
    assert column(typed_round.case, YESTERDAY, Rater.CITIZEN) == all_items(4)


@pytest.mark.django_db
def test_grid_with_a_cleared_column_says_so_and_keeps_it(client_as, typed_round, caseworker_a):
    data = grid_post(
        {Rater.CITIZEN: dict.fromkeys(range(1, 14)), Rater.CASEWORKER: all_items(3)},
        YESTERDAY,
        version=str(typed_round.version),
        action="draft",
    )
    response = client_as(caseworker_a).post(
        reverse("progression:round_edit", args=[typed_round.uuid]), data
    )
    assert response.status_code == 200
    assert "en tom kolonne fjerner dem ikke" in text_of(response)
    assert column(typed_round.case, YESTERDAY, Rater.CITIZEN) == all_items(4)


@pytest.mark.django_db
def test_grid_shows_a_link_answer_but_does_not_change_it(client_as, typed_round, caseworker_a):
    _link, token = services.citizen_link_create(
        actor=caseworker_a, round_=typed_round, language="da"
    )
    services.citizen_link_answer(token=token, scores=all_items(2))
    typed_round.refresh_from_db()
    url = reverse("progression:round_edit", args=[typed_round.uuid])
    client = client_as(caseworker_a)
    page = client.get(url)
    assert 'name="citizen_1"' in page.content.decode()
    assert re.search(r'name="citizen_1"[^>]*value="2"[^>]*disabled', page.content.decode())
    # A forged post of the citizen's column is ignored: the field is the link's.
    data = grid_post(
        {Rater.CITIZEN: all_items(5), Rater.CASEWORKER: all_items(3)},
        YESTERDAY,
        version=str(typed_round.version),
        action="draft",
    )
    assert client.post(url, data).status_code == 302
    assert column(typed_round.case, YESTERDAY, Rater.CITIZEN) == all_items(2)


# --- loss 2: one stray Enter finished a round --------------------------------


@pytest.mark.django_db
def test_finishing_with_unanswered_items_asks_first_and_saves_nothing(
    client_as, questionnaire, case_a, caseworker_a
):
    client = client_as(caseworker_a)
    url = reverse("progression:round_create", args=[case_a.uuid])
    # One score and Enter: the form's first button is "finish".
    one = grid_post({Rater.CASEWORKER: {1: 4}}, YESTERDAY, action="finish")
    response = client.post(url, one)
    assert response.status_code == 200
    assert "38 af 39 point er ikke besvaret" in text_of(response)
    assert 'value="finish_confirmed"' in response.content.decode()
    assert not Round.objects.filter(case=case_a).exists()

    # A deliberate second step finishes it; its index reads "too few answers".
    confirmed = client.post(url, {**one, "action": "finish_confirmed"})
    assert confirmed.status_code == 302
    round_ = Round.objects.get(case=case_a)
    assert round_.complete is True
    overview = client.get(reverse("progression:case_progression", args=[case_a.uuid]))
    assert "for få svar" in text_of(overview)
    assert "4,0" not in text_of(overview)
    grid = client.get(reverse("progression:round_edit", args=[round_.uuid]))
    assert "for få svar" in text_of(grid)


@pytest.mark.django_db
def test_a_full_round_finishes_without_asking(client_as, questionnaire, case_a, caseworker_a):
    scores = {r: all_items(3) for r in (Rater.CITIZEN, Rater.CASEWORKER, Rater.PROVIDER)}
    response = client_as(caseworker_a).post(
        reverse("progression:round_create", args=[case_a.uuid]),
        grid_post(scores, YESTERDAY, action="finish"),
    )
    assert response.status_code == 302
    assert Round.objects.get(case=case_a).complete is True


@pytest.mark.django_db
def test_index_needs_the_minimum_of_answers_and_reports_count_the_rest_apart(
    questionnaire, case_a, caseworker_a, settings
):
    settings.PROGRESSION_MIN_ANSWERED = 9
    # 8 of 12 answered (all 2s): too few. 9 of 12 (all 4s): counted, index 4.0.
    services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=YESTERDAY - dt.timedelta(days=30),
        scores={Rater.CASEWORKER: dict.fromkeys(range(1, 9), 2)},
        complete=True,
    )
    services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=YESTERDAY,
        scores={Rater.CASEWORKER: dict.fromkeys(range(1, 10), 4) | {13: 1}},
        complete=True,
    )
    start = YESTERDAY - dt.timedelta(days=60)
    summary = selectors.progression_summary(None, start, YESTERDAY)
    assert summary["caseworker_measurements"] == 1
    assert summary["caseworker_too_few"] == 1
    assert summary["caseworker_index_mean"] == 4.0
    assert [row["index"] for row in selectors.caseworker_indices(None, start, YESTERDAY)] == [4.0]
    # Item 13 is the citizen's: never among the caseworker's ranked items.
    assert 13 not in summary["caseworker_item_means"]


# --- loss 3: a provider overwrote, deleted and back-dated -------------------


@pytest.fixture
def provider_case(questionnaire, case_a, caseworker_a, provider_org):
    """Case A: arrived 10-01-2024, at provider_org from 12-01-2024; organisation 3
    scored it on 05-04-2024 and organisation 5 on 15-01-2024."""
    org_3, org_5 = ProviderFactory(name="Org 3"), ProviderFactory(name="Org 5")
    for org, day in ((org_3, dt.date(2024, 4, 5)), (org_5, dt.date(2024, 1, 15))):
        enrol(case_a, provider=org, start=day, end=day)
        provider = UserFactory(provider_organisation=org, role="provider")
        services.provider_scores_save(
            actor=provider, case=case_a, measured_on=day, scores=all_items(3)
        )
    return case_a, org_3, org_5


def provider_post(client, case, day, scores, shown=None) -> object:
    data = {"measured_on": day.isoformat()}
    data |= {f"provider_{n}": "" if v is None else str(v) for n, v in scores.items()}
    if shown is not None:
        data["shown"] = shown
    return client.post(reverse("progression:provider_score", args=[case.citizen.uuid]), data)


@pytest.mark.django_db
def test_provider_cannot_overwrite_another_organisations_scores(
    client_as, provider_case, provider_user
):
    case, org_3, _org_5 = provider_case
    day = dt.date(2024, 4, 5)
    response = provider_post(client_as(provider_user), case, day, all_items(1))
    assert response.status_code == 200
    assert "En anden organisation har scoret borgeren den 05-04-2024" in text_of(response)
    measurement = Measurement.objects.get(round__case=case, measured_on=day)
    assert measurement.scores() == all_items(3)
    assert measurement.provider == org_3


@pytest.mark.django_db
def test_provider_never_deletes_a_column(client_as, provider_case, provider_user):
    case, _org_3, org_5 = provider_case
    day = dt.date(2024, 1, 15)
    response = provider_post(client_as(provider_user), case, day, dict.fromkeys(range(1, 14)))
    assert response.status_code == 200
    measurement = Measurement.objects.get(round__case=case, measured_on=day)
    assert measurement.scores() == all_items(3)
    assert measurement.provider == org_5


@pytest.mark.django_db
@pytest.mark.parametrize(
    "day",
    [
        dt.date(1999, 1, 1),  # before the citizen arrived
        dt.date(2024, 1, 11),  # after arrival, before the referral began
        "tomorrow",  # in the future, as of when the test runs, not when it was collected
    ],
)
def test_provider_scores_only_within_its_referral(client_as, provider_case, provider_user, day):
    if day == "tomorrow":
        day = timezone.localdate() + dt.timedelta(days=1)
    case, _org_3, _org_5 = provider_case
    rounds = Round.objects.count()
    response = provider_post(client_as(provider_user), case, day, all_items(2))
    assert response.status_code == 200
    assert Round.objects.count() == rounds
    assert not Measurement.objects.filter(measured_on=day).exists()


@pytest.mark.django_db
def test_provider_may_not_empty_its_own_column_either(client_as, provider_case, provider_user):
    case, *_ = provider_case
    client = client_as(provider_user)
    day = dt.date(2024, 2, 1)
    assert provider_post(client, case, day, all_items(2), shown="").status_code == 302
    shown = ",".join(["2"] * 13)
    provider_post(client, case, day, dict.fromkeys(range(1, 14)), shown=shown)
    assert column(case, day, Rater.PROVIDER) == all_items(2)


# --- loss 4: the provider's form did not show the caseworker's entry ----------


@pytest.fixture
def on_behalf(questionnaire, case_a, caseworker_a):
    """A finished round where the caseworker typed the provider's column (all
    2s) for provider_org; items 1 and 2 differ by 3 from the citizen's 5s."""
    round_ = services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=YESTERDAY,
        scores={
            Rater.CITIZEN: all_items(5),
            Rater.CASEWORKER: all_items(5),
            Rater.PROVIDER: {1: 2, 2: 2} | {n: 5 for n in range(3, 14)},
        },
        complete=True,
    )
    assert sorted(t.item_number for t in round_.topics.all() if t.is_open) == [1, 2]
    return round_


@pytest.mark.django_db
def test_provider_form_opens_with_the_column_the_caseworker_entered(
    client_as, on_behalf, provider_user, provider_org
):
    case = on_behalf.case
    measurement = Measurement.objects.get(round=on_behalf, rater=Rater.PROVIDER)
    assert measurement.provider == provider_org  # credited to the referral of that date
    url = reverse("progression:provider_score", args=[case.citizen.uuid])
    page = client_as(provider_user).get(url, {"date": YESTERDAY.isoformat()})
    body = page.content.decode()
    assert re.search(r'id="id_provider_1-2" value="2" checked', body)
    assert re.search(r'id="id_provider_3-5" value="5" checked', body)
    assert "på jeres organisations vegne" in text_of(page)


@pytest.mark.django_db
def test_provider_blank_form_does_not_overwrite_and_a_seen_change_is_a_new_version(
    client_as, on_behalf, provider_user
):
    case = on_behalf.case
    client = client_as(provider_user)
    # The old blank form, posted over the caseworker's column: refused, shown.
    stale = provider_post(client, case, YESTERDAY, all_items(5))
    assert stale.status_code == 200
    assert "ikke dem, din formular viste" in text_of(stale)
    before = {1: 2, 2: 2} | {n: 5 for n in range(3, 14)}
    assert column(case, YESTERDAY, Rater.PROVIDER) == before

    # Seen and changed: a new version; the caseworker's entry stays in the history.
    shown = ",".join(str(before[n]) for n in range(1, 14))
    assert provider_post(client, case, YESTERDAY, all_items(5), shown=shown).status_code == 302
    measurement = Measurement.objects.get(round=on_behalf, rater=Rater.PROVIDER)
    assert measurement.scores() == all_items(5)
    versions = [h.instance.scores() for h in measurement.history.order_by("history_id")]
    assert versions == [before, all_items(5)]
    # The two topics are closed because the scores now agree, not deleted.
    topics = DialogueTopic.objects.filter(round=on_behalf).order_by("item_number")
    assert [(t.item_number, t.closed_reason) for t in topics] == [
        (1, DialogueTopic.Closed.RESOLVED),
        (2, DialogueTopic.Closed.RESOLVED),
    ]
    assert all((t.citizen_score, t.provider_score) == (5, 2) for t in topics)
    on_behalf.refresh_from_db()
    assert on_behalf.complete is True


# --- what was agreed is shown again ------------------------------------------


@pytest.mark.django_db
def test_agreement_is_shown_with_who_when_and_the_three_scores(client_as, on_behalf, caseworker_a):
    caseworker_a.first_name, caseworker_a.last_name = "Sara", "Holm"
    caseworker_a.save()
    topic = on_behalf.topics.get(item_number=1)
    client = client_as(caseworker_a)
    client.post(
        reverse("progression:topic_agree", args=[on_behalf.uuid, 1]),
        {"agreement": "Ser DR2 hver aften", "agreed_on": YESTERDAY.isoformat()},
    )
    topic.refresh_from_db()
    assert (topic.citizen_score, topic.caseworker_score, topic.provider_score) == (5, 5, 2)
    day = YESTERDAY.strftime("%d-%m-%Y")
    for url in (
        reverse("progression:case_progression", args=[on_behalf.case.uuid]),
        reverse("progression:round_edit", args=[on_behalf.uuid]),
    ):
        page = text_of(client.get(url))
        assert "Ser DR2 hver aften" in page
        assert "Sara Holm" in page
        row = re.search(r"<tr>[^<]*<th[^>]*>[^<]*</th>.*?Ser DR2 hver aften.*?</tr>", page)
        assert row, url
        cells = re.findall(r'<td class="text-end">([^<]*)</td>', row.group(0))
        assert cells == ["5", "5", "2"]  # citizen, caseworker, provider
        assert day in row.group(0)


# --- wording and one order of the rater columns ------------------------------


@pytest.mark.django_db
def test_rater_columns_come_in_one_order_on_every_page(client_as, on_behalf, caseworker_a):
    client = client_as(caseworker_a)
    order = ["Borger", "Sagsbehandler", "Tilbudssted"]
    for url in (
        reverse("progression:case_progression", args=[on_behalf.case.uuid]),
        reverse("progression:round_edit", args=[on_behalf.uuid]),
    ):
        for head in re.findall(r"<thead>.*?</thead>", text_of(client.get(url))):
            found = [name for name in re.findall(r"Borger|Sagsbehandler|Tilbudssted", head)]
            if found:
                assert [n for n in order if n in found] == list(dict.fromkeys(found)), url


@pytest.mark.django_db
def test_link_page_says_scoret(client_as, typed_round, caseworker_a):
    response = client_as(caseworker_a).post(
        reverse("progression:link_create", args=[typed_round.uuid]), {"language": "da"}
    )
    assert "Borgeren har allerede scoret i denne runde" in text_of(response)


# --- item 13 is the citizen's question ----------------------------------------


@pytest.mark.django_db
def test_item_13_is_put_to_staff_as_their_own_view_from_version_2(
    client_as, questionnaire, case_a, caseworker_a, provider_user
):
    assert questionnaire.version == 2
    own_view = "I hvilken grad vurderer du, at borgeren er integreret i det danske samfund?"
    grid = text_of(
        client_as(caseworker_a).get(reverse("progression:round_create", args=[case_a.uuid]))
    )
    assert "Sagsbehandler og tilbudssted: jeres egen vurdering af borgeren" in grid
    assert own_view in grid
    page = text_of(
        client_as(provider_user).get(
            reverse("progression:provider_score", args=[case_a.citizen.uuid])
        )
    )
    assert own_view in page and "Jeres egen vurdering af borgeren" in page
    assert "oplever du selv" not in page


@pytest.mark.django_db
def test_an_old_round_keeps_version_1(questionnaire, case_a, caseworker_a):
    from progression.models import Questionnaire

    v1 = Questionnaire.objects.get(version=1)
    old = Round.objects.create(case=case_a, measured_on=YESTERDAY, questionnaire=v1)
    services.round_save(
        actor=caseworker_a,
        case=case_a,
        measured_on=YESTERDAY,
        scores={Rater.CASEWORKER: all_items(3)},
        complete=False,
        round_=old,
        version=old.version,
    )
    assert Measurement.objects.get(round=old).questionnaire == v1
