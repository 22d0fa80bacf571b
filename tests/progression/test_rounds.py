"""Entering rounds, the index, divergence and the provider's scoring."""

import datetime as dt
import uuid

import pytest
from django.core.exceptions import ValidationError
from django.db.models import QuerySet
from django.test import override_settings
from django.urls import reverse

from integration.models import AccessLog, Case
from progression import services
from progression.divergence import divergent_items, item_spreads
from progression.models import DialogueTopic, Measurement, Rater, Round
from tests.factories import make_case, place

DAY = dt.date(2025, 3, 3)


def grid_post(scores: dict[str, dict[int, int | None]], **extra) -> dict:
    data = {"measured_on": DAY.isoformat(), "submission": str(uuid.uuid4()), **extra}
    for rater, items in scores.items():
        for n, value in items.items():
            data[f"{rater}_{n}"] = "" if value is None else str(value)
    return data


def all_items(value) -> dict[int, int]:
    return dict.fromkeys(range(1, 14), value)


@pytest.fixture
def case(team_a, caseworker_a):
    return make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))


# --- the index and divergence, by hand -------------------------------------


@pytest.mark.django_db
def test_index_is_mean_of_items_1_to_12_and_excludes_item_13(case, caseworker_a):
    # Items 1–12: six 2s and six 4s -> mean 3.0; item 13 = 5 must not move it.
    scores = {n: (2 if n <= 6 else 4) for n in range(1, 13)} | {13: 5}
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        scores={Rater.CASEWORKER: scores},
        complete=True,
    )
    measurement = round_.measurements.get(rater=Rater.CASEWORKER)
    assert measurement.index == 3.0
    assert measurement.item_13 == 5
    assert measurement.answered == 13


@pytest.mark.django_db
def test_index_ignores_unanswered_items(case, caseworker_a):
    # Only items 1 (=1) and 2 (=4) answered: index (1 + 4) / 2 = 2.5.
    scores = {1: 1, 2: 4}
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        scores={Rater.CASEWORKER: scores},
        complete=False,
    )
    assert round_.measurements.get().index == 2.5


@pytest.mark.django_db
@pytest.mark.parametrize("score", [0, 6])
def test_a_score_outside_1_to_5_is_refused_and_nothing_is_saved(case, caseworker_a, score):
    with pytest.raises(ValidationError):
        services.round_save(
            actor=caseworker_a,
            case=case,
            measured_on=DAY,
            scores={Rater.CITIZEN: {1: 3}, Rater.CASEWORKER: {1: 3, 2: score}},
            complete=True,
        )
    assert not Round.objects.filter(case=case).exists()
    assert not Measurement.objects.exists()


def test_spread_counts_only_items_two_raters_answered():
    scores = {"citizen": {1: 5, 2: 3, 3: None}, "caseworker": {1: 2, 2: 4, 3: 1}}
    assert item_spreads(scores) == {1: 3, 2: 1}


@pytest.mark.parametrize(("a", "b", "divergent"), [(3, 5, True), (3, 4, False), (1, 5, True)])
def test_divergence_threshold_is_inclusive(a, b, divergent):
    assert bool(divergent_items({"x": {1: a}, "y": {1: b}}, threshold=2)) is divergent


@pytest.mark.django_db
@override_settings(PROGRESSION_DIVERGENCE=3)
def test_divergence_threshold_is_a_setting(case, caseworker_a):
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={Rater.CITIZEN: {1: 1, 2: 1}, Rater.CASEWORKER: {1: 3, 2: 4}},
    )
    assert list(round_.topics.values_list("item_number", flat=True)) == [2]


@pytest.mark.django_db
def test_divergent_items_become_topics_and_mark_the_case(case, caseworker_a):
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={
            Rater.CITIZEN: {1: 5, 2: 3, 7: 4},
            Rater.CASEWORKER: {1: 3, 2: 2, 7: 4},
            Rater.PROVIDER: {1: 4, 2: 5},
        },
    )
    # Item 1: 5/3/4 -> 2 (topic); item 2: 3/2/5 -> 3 (topic); item 7: 4/4 -> 0.
    assert dict(round_.topics.values_list("item_number", "spread")) == {1: 2, 2: 3}
    case.refresh_from_db()
    assert case.open_topics == 2

    topic = round_.topics.get(item_number=1)
    services.topic_agree(actor=caseworker_a, topic=topic, agreement="Ser DR2 hver aften", on=DAY)
    case.refresh_from_db()
    assert case.open_topics == 1


@pytest.mark.django_db
def test_correcting_a_score_closes_an_open_topic_and_keeps_an_agreed_one(case, caseworker_a):
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={Rater.CITIZEN: {1: 5, 2: 5}, Rater.CASEWORKER: {1: 1, 2: 1}},
    )
    services.topic_agree(
        actor=caseworker_a, topic=round_.topics.get(item_number=2), agreement="Aftalt", on=DAY
    )
    services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        round_=round_,
        version=round_.version,
        scores={Rater.CITIZEN: {1: 5, 2: 5}, Rater.CASEWORKER: {1: 5, 2: 5}},
    )
    # Item 1 no longer differs: its topic is closed with that reason, not deleted.
    topics = {t.item_number: t for t in round_.topics.all()}
    assert sorted(topics) == [1, 2]
    assert topics[1].closed_reason == DialogueTopic.Closed.RESOLVED and not topics[1].is_open
    assert topics[2].agreement == "Aftalt"
    # The agreement keeps the scores that differed when it was made.
    assert (topics[2].citizen_score, topics[2].caseworker_score) == (5, 1)
    case.refresh_from_db()
    assert case.open_topics == 0


# --- the grid page ---------------------------------------------------------


@pytest.mark.django_db
def test_caseworker_enters_a_full_round_on_the_grid(client_as, caseworker_a, case):
    scores = {
        Rater.CITIZEN: all_items(4),
        Rater.CASEWORKER: all_items(3),
        Rater.PROVIDER: all_items(3),
    }
    response = client_as(caseworker_a).post(
        reverse("progression:round_create", args=[case.uuid]), grid_post(scores)
    )
    assert response.status_code == 302
    round_ = Round.objects.get(case=case)
    assert round_.complete is True
    assert round_.measurements.count() == 3
    assert round_.measurements.get(rater=Rater.CITIZEN).item_13 == 4
    assert AccessLog.objects.filter(citizen=case.citizen, action="change").exists()


@pytest.mark.django_db
def test_double_submit_of_the_same_form_makes_one_round(client_as, caseworker_a, case):
    data = grid_post({Rater.CASEWORKER: all_items(3)}, action="finish_confirmed")
    client = client_as(caseworker_a)
    url = reverse("progression:round_create", args=[case.uuid])
    first = client.post(url, data)
    second = client.post(url, data)
    assert first.status_code == second.status_code == 302
    assert first.url == second.url
    assert Round.objects.filter(case=case).count() == 1
    assert Measurement.objects.count() == 1


@pytest.mark.django_db
def test_a_second_submit_that_misses_the_first_until_its_date_check_lands_on_it(
    caseworker_a, case, monkeypatch
):
    """The race the concurrency test meets now and then: the first submit
    commits after the second looked for its submission and before it looked
    at the date. The second lands on the first's round, not on "date taken"."""

    def submit(submission: uuid.UUID) -> Round:
        return services.round_save(
            actor=caseworker_a,
            case=case,
            measured_on=DAY,
            scores={Rater.CASEWORKER: all_items(3)},
            complete=True,
            submission=submission,
        )

    submission = uuid.uuid4()
    first = submit(submission)
    looked_for_submission = []
    real_first = QuerySet.first

    def first_not_yet_committed(queryset):
        # The lookup by submission does not see the first round yet.
        if "submission" in str(queryset.query) and not looked_for_submission:
            looked_for_submission.append(True)
            return None
        return real_first(queryset)

    monkeypatch.setattr(QuerySet, "first", first_not_yet_committed)
    second = submit(submission)
    assert looked_for_submission == [True]
    assert second.pk == first.pk
    assert Round.objects.filter(case=case).count() == 1
    # Another form for the same day is still told the date is taken.
    with pytest.raises(ValidationError) as refused:
        submit(uuid.uuid4())
    assert list(refused.value.message_dict) == ["measured_on"]


@pytest.mark.django_db
def test_round_saved_unfinished_and_finished_later(client_as, caseworker_a, case):
    client = client_as(caseworker_a)
    client.post(
        reverse("progression:round_create", args=[case.uuid]),
        grid_post({Rater.CASEWORKER: {1: 3, 2: 4}}, action="draft"),
    )
    round_ = Round.objects.get(case=case)
    assert round_.complete is False
    data = grid_post(
        {Rater.CASEWORKER: all_items(3)}, version=str(round_.version), action="finish_confirmed"
    )
    response = client.post(reverse("progression:round_edit", args=[round_.uuid]), data)
    assert response.status_code == 302
    round_.refresh_from_db()
    assert round_.complete is True
    assert round_.measurements.get().answered == 13


@pytest.mark.django_db
def test_stale_grid_is_refused(client_as, caseworker_a, case):
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=False,
        scores={Rater.CASEWORKER: {1: 2}},
    )
    client = client_as(caseworker_a)
    url = reverse("progression:round_edit", args=[round_.uuid])
    stale = grid_post({Rater.CASEWORKER: {1: 5}}, version="1", action="draft")
    client.post(url, grid_post({Rater.CASEWORKER: {1: 4}}, version="1", action="draft"))
    response = client.post(url, stale)
    assert response.status_code == 200
    assert "saved this record while you were editing" in response.content.decode() or (
        "gemt denne post" in response.content.decode()
    )
    assert Measurement.objects.get().item_1 == 4


@pytest.mark.django_db
def test_score_outside_1_to_5_is_refused_and_nothing_written(client_as, caseworker_a, case):
    response = client_as(caseworker_a).post(
        reverse("progression:round_create", args=[case.uuid]),
        grid_post({Rater.CASEWORKER: {1: 7}}),
    )
    assert response.status_code == 200
    assert Round.objects.count() == 0


@pytest.mark.django_db
def test_other_team_cannot_open_or_enter_rounds(client_as, caseworker_a, caseworker_b, case):
    round_ = services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={Rater.CASEWORKER: all_items(3)},
    )
    client = client_as(caseworker_b)
    assert client.get(reverse("progression:case_progression", args=[case.uuid])).status_code == 404
    assert client.get(reverse("progression:round_edit", args=[round_.uuid])).status_code == 404
    response = client.post(
        reverse("progression:round_create", args=[case.uuid]), grid_post({"caseworker": {1: 1}})
    )
    assert response.status_code == 404
    assert Round.objects.count() == 1


@pytest.mark.django_db
def test_manager_reads_progression_but_cannot_enter(client_as, manager, caseworker_a, case):
    services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={Rater.CASEWORKER: all_items(3)},
    )
    client = client_as(manager)
    assert client.get(reverse("progression:case_progression", args=[case.uuid])).status_code == 200
    assert client.get(reverse("progression:round_create", args=[case.uuid])).status_code == 404


@pytest.mark.django_db
def test_progression_page_shows_chart_table_and_comparison(client_as, caseworker_a, case):
    services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=dt.date(2024, 6, 1),
        complete=True,
        scores={Rater.CASEWORKER: all_items(2), Rater.CITIZEN: {13: 2}},
    )
    services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=dt.date(2025, 6, 1),
        complete=True,
        scores={Rater.CASEWORKER: all_items(4), Rater.CITIZEN: {13: 4}},
    )
    body = (
        client_as(caseworker_a)
        .get(reverse("progression:case_progression", args=[case.uuid]))
        .content.decode()
    )
    assert 'src="data:image/svg+xml;base64,' in body
    assert "01-06-2024" in body and "01-06-2025" in body
    assert "+2" in body  # every caseworker item rose from 2 to 4


@pytest.mark.django_db
def test_caseload_marks_cases_with_open_topics(client_as, caseworker_a, case):
    services.round_save(
        actor=caseworker_a,
        case=case,
        measured_on=DAY,
        complete=True,
        scores={Rater.CITIZEN: {1: 5}, Rater.CASEWORKER: {1: 1}},
    )
    body = client_as(caseworker_a).get(reverse("integration:caseload")).content.decode()
    assert "badge text-bg-warning" in body


# --- provider --------------------------------------------------------------


@pytest.mark.django_db
def test_provider_scores_a_referred_citizen(client_as, provider_user, provider_org, case):
    place(case, provider=provider_org, start=dt.date(2024, 1, 12))
    url = reverse("progression:provider_score", args=[case.citizen.uuid])
    client = client_as(provider_user)
    page = client.get(url).content.decode()
    assert case.citizen.last_name in page
    assert case.citizen.masked_cpr not in page and case.citizen.cpr[:6] not in page
    data = {"measured_on": DAY.isoformat(), **{f"provider_{n}": "4" for n in range(1, 14)}}
    response = client.post(url, data)
    assert response.status_code == 302
    measurement = Measurement.objects.get(rater=Rater.PROVIDER)
    assert measurement.provider == provider_org
    assert measurement.index == 4.0


@pytest.mark.django_db
def test_provider_cannot_see_or_score_citizen_without_referral(
    client_as, provider_user, provider_org, case
):
    url = reverse("progression:provider_score", args=[case.citizen.uuid])
    client = client_as(provider_user)
    assert client.get(url).status_code == 404
    data = {"measured_on": DAY.isoformat(), "provider_1": "4"}
    assert client.post(url, data).status_code == 404
    assert Measurement.objects.count() == 0
    assert DialogueTopic.objects.count() == 0
    assert Case.objects.get(pk=case.pk).open_topics == 0
