"""Two people save the same progression round at once: one wins, the other is told.

The grid carries the round's version, so of two saves of one round the later
is refused and changes nothing. A rater who scores on their own (the citizen
through the link, the provider on their page) counts as a change of the round
too: a grid opened before is refused rather than saving its empty column over
their scores.
"""

import datetime as dt
import time
import uuid
from collections import Counter

import pytest
from django.core.exceptions import ValidationError
from django.test import Client
from django.urls import reverse
from django.utils import translation

from integration.models import Case
from progression import services
from progression.models import Measurement, Rater, Round
from tests.factories import UserFactory, make_case, place
from tests.integration.test_concurrency import (
    REFUSED,
    REFUSED_DA,
    REFUSED_IN,
    RUNS,
    on_postgresql,
    one_winner,
    racers,  # noqa: F401 - a fixture
    report,
)

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

DAY = dt.date(2025, 3, 3)
SAME_DAY = "There is already a round on this date; open it instead."
SAME_DAY_IN = {"en": SAME_DAY, "da": "Der er allerede en runde på denne dato; åbn den i stedet."}


@pytest.fixture
def colleague_a(team_a):
    return UserFactory(username="colleague_a", team=team_a, role="caseworker")


@pytest.fixture
def case(team_a, caseworker_a, questionnaire):
    return make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))


def same(value: int) -> dict[int, int]:
    return dict.fromkeys(range(1, 14), value)


def up(scores: dict[int, int | None], steps: int) -> dict[int, int]:
    """Every score ``steps`` higher, 5 wrapping round to 1: always a change."""
    return {n: (s - 1 + steps) % 5 + 1 for n, s in scores.items()}


def on_screen(round_: Round) -> dict[str, dict[int, int | None]]:
    """The grid as a person opens it: every rater's column as saved."""
    saved = {m.rater: m.scores() for m in Measurement.objects.filter(round=round_)}
    empty = dict.fromkeys(range(1, 14))
    return {rater: saved.get(rater, empty) for rater in Rater}


def scores_of(round_: Round, rater: str) -> dict[int, int | None] | None:
    m = Measurement.objects.filter(round=round_, rater=rater).first()
    return m.scores() if m else None


def topics_of(round_: Round) -> set[int]:
    """The open topics: one the scores no longer support is closed, not deleted."""
    return set(round_.topics.filter(closed_at__isnull=True).values_list("item_number", flat=True))


def grid_save(actor, round_id: int, version: int, scores):
    """What the grid's POST does, read as the person had it on screen."""

    def prepare():
        round_ = Round.objects.select_related("case__citizen").get(pk=round_id)
        return lambda: services.round_save(
            actor=actor,
            case=round_.case,
            measured_on=round_.measured_on,
            scores=scores,
            complete=True,
            round_=round_,
            version=version,
        )

    return prepare


def new_round(actor, case_id: int, day: dt.date, scores, submission: uuid.UUID):
    def prepare():
        fresh = Case.objects.select_related("citizen").get(pk=case_id)
        return lambda: services.round_save(
            actor=actor,
            case=fresh,
            measured_on=day,
            scores=scores,
            complete=True,
            submission=submission,
        )

    return prepare


def make_round(actor, case, scores, day=DAY) -> Round:
    return services.round_save(
        actor=actor, case=case, measured_on=day, scores=scores, complete=True
    )


# --- a grid opened before a rater scored on their own (any database) ----------


@pytest.mark.django_db
def test_grid_opened_before_the_citizen_answered_is_refused_and_keeps_the_answer(
    case, caseworker_a
):
    round_ = make_round(caseworker_a, case, {Rater.CASEWORKER: same(3)})
    screen, version = on_screen(round_), round_.version  # the citizen's column is empty
    _link, token = services.citizen_link_create(actor=caseworker_a, round_=round_, language="da")
    services.citizen_link_answer(token=token, scores=same(5))

    with pytest.raises(services.ConcurrentEditError):
        services.round_save(
            actor=caseworker_a,
            case=case,
            measured_on=DAY,
            scores=screen | {Rater.CASEWORKER: same(4)},
            complete=True,
            round_=Round.objects.get(pk=round_.pk),
            version=version,
        )
    assert scores_of(round_, Rater.CITIZEN) == same(5)
    assert scores_of(round_, Rater.CASEWORKER) == same(3)
    # 5 against 3 on every item: all 13 are topics, worked out from both raters.
    assert topics_of(round_) == set(range(1, 14))


@pytest.mark.django_db
def test_grid_opened_before_the_provider_scored_is_refused_and_keeps_their_scores(
    case, caseworker_a, provider_user, provider_org
):
    place(case, provider=provider_org, start=dt.date(2024, 1, 12))
    round_ = make_round(caseworker_a, case, {Rater.CASEWORKER: same(3)})
    screen, version = on_screen(round_), round_.version
    services.provider_scores_save(actor=provider_user, case=case, measured_on=DAY, scores=same(4))

    with pytest.raises(services.ConcurrentEditError):
        services.round_save(
            actor=caseworker_a,
            case=case,
            measured_on=DAY,
            scores=screen | {Rater.CASEWORKER: same(2)},
            complete=True,
            round_=Round.objects.get(pk=round_.pk),
            version=version,
        )
    assert scores_of(round_, Rater.PROVIDER) == same(4)
    assert scores_of(round_, Rater.CASEWORKER) == same(3)


# --- real concurrency (PostgreSQL) --------------------------------------------


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_grid_saved_by_two_caseworkers_at_once_one_wins_every_time(
    racers,  # noqa: F811 - the fixture imported above
    case,
    caseworker_a,
    colleague_a,
):
    round_ = make_round(caseworker_a, case, {Rater.CITIZEN: same(3), Rater.CASEWORKER: same(3)})
    round_history = Round.history.model.objects.filter(id=round_.pk)
    measurement_history = Measurement.history.model.objects.filter(round_id=round_.pk)
    users, languages = [caseworker_a, colleague_a], ["en", "da"]
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        version = run + 1
        screen = on_screen(round_)
        before = screen[Rater.CASEWORKER]
        # Both correct the caseworker's column: one moves every score 1 up, the other 2.
        grids = [screen | {Rater.CASEWORKER: up(before, i + 1)} for i in range(2)]
        entries = (round_history.count(), measurement_history.count())

        outcomes = racers.race(
            *[(languages[i], grid_save(users[i], round_.pk, version, grids[i])) for i in range(2)]
        )
        winner = one_winner(outcomes, languages, run)
        tally[f"thread {winner} won"] += 1
        tally["refused"] += 1

        won = grids[winner][Rater.CASEWORKER]
        assert scores_of(round_, Rater.CASEWORKER) == won, f"run {run}"
        assert scores_of(round_, Rater.CITIZEN) == same(3)
        assert Round.objects.get(pk=round_.pk).version == version + 1
        # One history entry for the round and one for the measurement it changed.
        assert (round_history.count(), measurement_history.count()) == (
            entries[0] + 1,
            entries[1] + 1,
        ), f"run {run}"
        # The citizen said 3 everywhere: items the winner scored 1 or 5 differ by 2.
        assert topics_of(round_) == {n for n, s in won.items() if s in (1, 5)}, f"run {run}"
    report("grid against grid", tally, started)
    assert tally["refused"] == RUNS


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_raters_columns_saved_at_once_one_wins_and_the_other_column_is_kept(
    racers,  # noqa: F811
    case,
    caseworker_a,
    colleague_a,
):
    """One person corrects the caseworker's column, another types in the
    provider's paper form, on the same round at the same moment."""
    round_ = make_round(
        caseworker_a,
        case,
        {Rater.CITIZEN: same(3), Rater.CASEWORKER: same(3), Rater.PROVIDER: same(3)},
    )
    measurement_history = Measurement.history.model.objects.filter(round_id=round_.pk)
    users, languages = [caseworker_a, colleague_a], ["da", "en"]
    raters = [Rater.CASEWORKER, Rater.PROVIDER]
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        version = run + 1
        screen = on_screen(round_)
        grids = [screen | {raters[i]: up(screen[raters[i]], 1)} for i in range(2)]
        entries = measurement_history.count()

        outcomes = racers.race(
            *[(languages[i], grid_save(users[i], round_.pk, version, grids[i])) for i in range(2)]
        )
        winner = one_winner(outcomes, languages, run)
        tally[f"{raters[winner]} column won"] += 1
        tally["refused"] += 1

        # The winner's column changed, the refused one's column is as it was.
        assert scores_of(round_, raters[winner]) == grids[winner][raters[winner]], f"run {run}"
        loser = raters[1 - winner]
        assert scores_of(round_, loser) == screen[loser], f"run {run}"
        assert measurement_history.count() == entries + 1, f"run {run}"
    report("caseworker column against provider column", tally, started)
    assert tally["refused"] == RUNS


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_grid_and_the_citizens_own_answer_at_once_never_lose_the_answer(
    racers,  # noqa: F811
    case,
    caseworker_a,
):
    """The citizen answers through the link while the caseworker saves the grid
    they opened before. Either order is fine, but the citizen's answer is never
    lost and the topics always come from both raters' final scores: when the
    answer comes first the grid (whose citizen column is now out of date) is
    refused; when the grid comes first both stand."""
    round_ = make_round(caseworker_a, case, {Rater.CASEWORKER: same(3)})
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        round_.refresh_from_db()
        version, screen = round_.version, on_screen(round_)
        grid = screen | {Rater.CASEWORKER: up(screen[Rater.CASEWORKER], 1)}
        answer = same(run % 5 + 1)
        _link, token = services.citizen_link_create(
            actor=caseworker_a, round_=round_, language="da"
        )

        def citizen_answers(token=token, answer=answer):
            return lambda: services.citizen_link_answer(token=token, scores=answer)

        outcomes = racers.race(
            ("en", grid_save(caseworker_a, round_.pk, version, grid)), ("en", citizen_answers)
        )
        results = [o.result for o in outcomes]
        assert results in (["won", "won"], ["refused", "won"]), f"run {run}: {outcomes}"
        assert scores_of(round_, Rater.CITIZEN) == answer, f"run {run}"
        if results[0] == "won":
            tally["grid first, both saved"] += 1
            caseworker = grid[Rater.CASEWORKER]
        else:
            tally["answer first, grid refused"] += 1
            assert outcomes[0].message == REFUSED
            caseworker = screen[Rater.CASEWORKER]
        assert scores_of(round_, Rater.CASEWORKER) == caseworker, f"run {run}"
        expected_topics = {n for n in range(1, 14) if abs(caseworker[n] - answer[n]) >= 2}
        assert topics_of(round_) == expected_topics, f"run {run}"
    report("grid against the citizen's link", tally, started)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_double_submit_of_a_new_round_makes_one_round_every_time(
    racers,  # noqa: F811
    case,
    caseworker_a,
):
    """The same form sent twice at once (a double click): one round, and both
    requests land on it."""
    scores = {Rater.CASEWORKER: same(4)}
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        day = DAY - dt.timedelta(days=run)
        submission = uuid.uuid4()
        outcomes = racers.race(
            *[("en", new_round(caseworker_a, case.pk, day, scores, submission)) for _ in range(2)]
        )
        assert [o.result for o in outcomes] == ["won", "won"], f"run {run}: {outcomes}"
        made = Round.objects.get(case=case, measured_on=day)
        assert [o.value.pk for o in outcomes] == [made.pk, made.pk]
        assert Round.history.model.objects.filter(id=made.pk).count() == 1
        assert Measurement.objects.filter(round=made).count() == 1
        assert Measurement.history.model.objects.filter(round_id=made.pk).count() == 1
        tally["one round"] += 1
    assert Round.objects.filter(case=case).count() == RUNS
    report("double submit", tally, started)


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_caseworkers_starting_a_round_on_the_same_day_one_is_told(
    racers,  # noqa: F811
    case,
    caseworker_a,
    colleague_a,
):
    users, languages = [caseworker_a, colleague_a], ["en", "da"]
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        day = DAY - dt.timedelta(days=run)
        grids = [{Rater.CASEWORKER: same(2)}, {Rater.CASEWORKER: same(4)}]
        outcomes = racers.race(
            *[
                (languages[i], new_round(users[i], case.pk, day, grids[i], uuid.uuid4()))
                for i in range(2)
            ],
            refusals=(ValidationError,),
        )
        winner = one_winner(outcomes, languages, run, refused_in=SAME_DAY_IN)
        tally[f"thread {winner} won"] += 1
        tally["refused"] += 1
        made = Round.objects.get(case=case, measured_on=day)
        assert made.created_by == users[winner]
        assert scores_of(made, Rater.CASEWORKER) == grids[winner][Rater.CASEWORKER]
        assert Round.history.model.objects.filter(case_id=case.pk, measured_on=day).count() == 1
    report("new round on the same day", tally, started)
    assert tally["refused"] == RUNS


# --- the same race through the pages -----------------------------------------


def _grid_post(round_: Round, screen, version: int) -> dict:
    data = {"measured_on": round_.measured_on.isoformat(), "version": str(version)}
    for rater, items in screen.items():
        for n, value in items.items():
            data[f"{rater}_{n}"] = "" if value is None else str(value)
    return data


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "da"])
def test_two_caseworkers_posting_the_grid_at_once_one_is_told(
    racers,  # noqa: F811
    case,
    caseworker_a,
    colleague_a,
    language,
):
    from django.conf import settings

    round_ = make_round(caseworker_a, case, {Rater.CASEWORKER: same(3)})
    url = reverse("progression:round_edit", args=[round_.uuid])
    clients = []
    for user in (caseworker_a, colleague_a):
        client = Client()
        client.force_login(user)
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
        clients.append(client)
    screen = on_screen(round_)
    posts = [
        _grid_post(round_, screen | {Rater.CASEWORKER: same(value)}, round_.version)
        for value in (1, 5)
    ]

    def post(i):
        return lambda: lambda: clients[i].post(url, posts[i])

    outcomes = racers.race((language, post(0)), (language, post(1)))
    statuses = [o.value.status_code for o in outcomes]
    assert sorted(statuses) == [200, 302]
    winner, loser = statuses.index(302), statuses.index(200)
    assert REFUSED_IN[language] in outcomes[loser].value.content.decode()
    assert scores_of(round_, Rater.CASEWORKER) == same([1, 5][winner])


def test_the_refusals_are_translated():
    with translation.override("da"):
        assert translation.gettext(REFUSED) == REFUSED_DA
        assert translation.gettext(SAME_DAY) == SAME_DAY_IN["da"]
