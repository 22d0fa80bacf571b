"""Two people save the same record: the first save wins, the second is told.

Every form carries the version its record was read at; a save with an old
version is refused and changes nothing, so no one's work is lost silently.
"""

import datetime as dt
import queue
import threading
import time
from collections import Counter
from dataclasses import dataclass

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.urls import reverse
from django.utils import translation

from integration import services
from integration.models import (
    AccessAction,
    AccessLog,
    Case,
    CaseStatus,
    CaseStatusChange,
    Citizen,
    DeadlineKind,
    LadderPlacement,
    LadderStep,
)
from tests.factories import UserFactory, make_case, place

pytestmark = pytest.mark.usefixtures("fast_password_hashing")

REFUSED = (
    "Someone else saved this record while you were editing it. "
    "Your changes were not saved; reopen the record to see the new version."
)
# The same message as the Danish catalogue has it.
REFUSED_DA = (
    "En anden har gemt denne post, mens du redigerede den. "
    "Dine ændringer blev ikke gemt; åbn posten igen for at se den nye version."
)
REFUSED_IN = {"en": REFUSED, "da": REFUSED_DA}


@pytest.fixture
def colleague_a(team_a):
    """A second caseworker of team A."""
    return UserFactory(username="colleague_a", team=team_a, role="caseworker")


def _edit_data(form_response, **changes) -> dict:
    """What the browser posts back: the form's initial values, with changes."""
    form = form_response.context["form"]
    data = {}
    for name in form.fields:
        value = form[name].value()
        if value is None or value is False:
            continue
        data[name] = value.isoformat() if isinstance(value, dt.date) else value
    data.update(changes)
    return data


# --- through the pages --------------------------------------------------------


@pytest.mark.django_db
def test_second_save_of_the_case_form_is_refused_and_the_first_is_kept(
    case_a, caseworker_a, colleague_a, client_as
):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    assert first_form.context["form"]["version"].value() == 1
    assert second_form.context["form"]["version"].value() == 1

    assert first.post(url, _edit_data(first_form, last_name="Haddad-Saleh")).status_code == 302

    response = second.post(url, _edit_data(second_form, languages="Arabic, English"))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [REFUSED]
    assert REFUSED in response.content.decode()

    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert citizen.last_name == "Haddad-Saleh"  # the first person's change is there
    assert citizen.languages == ""  # the second one's is not
    case_a.refresh_from_db()
    assert case_a.version == 2


@pytest.mark.django_db
def test_refused_case_save_is_explained_in_danish_too(case_a, caseworker_a, colleague_a, client_as):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a), client_as(colleague_a)
    first_form, second_form = first.get(url), second.get(url)
    first.post(url, _edit_data(first_form, last_name="Haddad-Saleh"))
    response = second.post(url, _edit_data(second_form, languages="Arabisk"))
    assert response.status_code == 200
    assert "Dine ændringer blev ikke gemt" in response.content.decode()


@pytest.mark.django_db
def test_reloading_after_a_refusal_gives_the_new_version_and_then_saves(
    case_a, caseworker_a, colleague_a, client_as
):
    url = reverse("integration:case_edit", args=[case_a.uuid])
    first, second = client_as(caseworker_a), client_as(colleague_a)
    second_form = second.get(url)
    first.post(url, _edit_data(first.get(url), last_name="Haddad-Saleh"))
    assert second.post(url, _edit_data(second_form, languages="Arabic")).status_code == 200
    fresh = second.get(url)
    assert fresh.context["form"]["version"].value() == 2
    assert second.post(url, _edit_data(fresh, languages="Arabic")).status_code == 302
    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert (citizen.last_name, citizen.languages) == ("Haddad-Saleh", "Arabic")


@pytest.mark.django_db
def test_second_save_of_a_placement_is_refused_and_the_first_is_kept(
    case_a, caseworker_a, colleague_a, provider_org, client_as
):
    placement = LadderPlacement.objects.get(case=case_a)
    url = reverse("integration:fact_edit", args=[case_a.uuid, "ladder", placement.uuid])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    assert first_form.context["form"]["version"].value() == 1

    response = first.post(url, _edit_data(first_form, end_date="2024-06-30"))
    assert response.status_code == 302

    response = second.post(url, _edit_data(second_form, step=LadderStep.INTERNSHIP_PUBLIC))
    assert response.status_code == 200
    assert response.context["form"].non_field_errors() == [REFUSED]

    placement.refresh_from_db()
    assert placement.end_date == dt.date(2024, 6, 30)
    assert placement.step == LadderStep.INTERNSHIP_PRIVATE
    assert placement.version == 2


@pytest.mark.django_db
def test_second_close_of_the_same_case_is_refused(case_a, caseworker_a, colleague_a, client_as):
    url = reverse("integration:case_status", args=[case_a.uuid, "close"])
    first, second = client_as(caseworker_a, language="en"), client_as(colleague_a, language="en")
    first_form, second_form = first.get(url), second.get(url)
    data = {"reason": "moved_away", "on": "2024-05-01"}
    assert first.post(url, _edit_data(first_form, **data)).status_code == 302
    response = second.post(url, _edit_data(second_form, reason="deceased", on="2024-05-02"))
    assert response.status_code == 200
    assert REFUSED in response.content.decode()
    case_a.refresh_from_db()
    assert (case_a.closing_reason, case_a.closed_on) == ("moved_away", dt.date(2024, 5, 1))
    assert CaseStatusChange.objects.filter(case=case_a, to_status=CaseStatus.CLOSED).count() == 1


# --- the services -------------------------------------------------------------


def _fresh(case: Case) -> Case:
    return Case.objects.select_related("citizen").get(pk=case.pk)


@pytest.mark.django_db
def test_citizen_update_with_a_stale_version_raises_and_changes_nothing(case_a, caseworker_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    changes_before = AccessLog.objects.filter(action=AccessAction.CHANGE).count()
    with pytest.raises(services.ConcurrentEditError):
        services.citizen_update(
            actor=caseworker_a, case=_fresh(case_a), version=1, last_name="Stale"
        )
    citizen = Citizen.objects.get(pk=case_a.citizen_id)
    assert (citizen.last_name, citizen.languages) == ("Haddad", "Arabic")
    assert _fresh(case_a).version == 2
    assert AccessLog.objects.filter(action=AccessAction.CHANGE).count() == changes_before


@pytest.mark.django_db
def test_case_assign_with_a_stale_version_raises(case_a, caseworker_a, colleague_a, team_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    with pytest.raises(services.ConcurrentEditError):
        services.case_assign(
            actor=caseworker_a, case=_fresh(case_a), version=1, team=team_a, caseworker=colleague_a
        )
    assert _fresh(case_a).caseworker == caseworker_a


@pytest.mark.django_db
def test_case_transition_with_a_stale_version_raises_and_writes_no_status_row(case_a, caseworker_a):
    services.citizen_update(actor=caseworker_a, case=_fresh(case_a), version=1, languages="Arabic")
    with pytest.raises(services.ConcurrentEditError):
        services.case_transition(
            actor=caseworker_a,
            case=_fresh(case_a),
            version=1,
            to_status=CaseStatus.CLOSED,
            on=dt.date(2024, 5, 1),
            reason="moved_away",
        )
    case = _fresh(case_a)
    assert (case.status, case.closing_reason, case.next_deadline) == (
        CaseStatus.OPEN,
        "",
        dt.date(2024, 2, 10),  # the contract, a month after arrival
    )
    assert CaseStatusChange.objects.filter(case=case_a).count() == 1  # the opening only


@pytest.mark.django_db
def test_fact_save_with_a_stale_version_raises_and_changes_nothing(case_a, caseworker_a):
    stale = LadderPlacement.objects.get(case=case_a)
    winner = LadderPlacement.objects.get(case=case_a)
    winner.end_date = dt.date(2024, 6, 30)
    services.fact_save(actor=caseworker_a, case=case_a, fact=winner, version=1)
    stale.step = LadderStep.OTHER
    with pytest.raises(services.ConcurrentEditError):
        services.fact_save(actor=caseworker_a, case=case_a, fact=stale, version=1)
    placement = LadderPlacement.objects.get(case=case_a)
    assert (placement.step, placement.end_date, placement.version) == (
        LadderStep.INTERNSHIP_PRIVATE,
        dt.date(2024, 6, 30),
        2,
    )


@pytest.mark.django_db
def test_fact_save_of_an_existing_fact_needs_a_version(case_a, caseworker_a):
    placement = LadderPlacement.objects.get(case=case_a)
    placement.step = LadderStep.OTHER
    with pytest.raises(ValueError, match="needs the version"):
        services.fact_save(actor=caseworker_a, case=case_a, fact=placement)
    assert LadderPlacement.objects.get(case=case_a).step == LadderStep.INTERNSHIP_PRIVATE


@pytest.mark.django_db
def test_a_version_from_the_future_is_refused_too(case_a, caseworker_a):
    with pytest.raises(services.ConcurrentEditError):
        services.citizen_update(
            actor=caseworker_a, case=_fresh(case_a), version=7, last_name="Forged"
        )
    assert _fresh(case_a).version == 1


# --- real concurrency (PostgreSQL) --------------------------------------------
#
# Two threads, each on its own database connection, read the same record, wait
# at a barrier and then save it. On PostgreSQL the two transactions really
# overlap; SQLite lets one writer into the file at a time, so there they skip.
# Each scenario runs RUNS times on the same objects, one version further each run.

RUNS = 100

on_postgresql = pytest.mark.skipif(
    settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql",
    reason="SQLite serialises writers for the whole file; the race needs PostgreSQL",
)


@dataclass
class Outcome:
    result: str  # "won", "refused", or "error: ..." (which fails the test)
    value: object = None
    message: str = ""


class Racers:
    """Threads that race saves against each other, run after run.

    Each thread keeps its own database connection for all the runs (opening
    two per run would cost more than the runs) and closes it at the end.
    """

    def __init__(self, count: int = 2):
        self._inboxes: list[queue.Queue] = [queue.Queue() for _ in range(count)]
        self._outbox: queue.Queue = queue.Queue()
        self._threads = [
            threading.Thread(target=self._serve, args=(inbox,), daemon=True)
            for inbox in self._inboxes
        ]
        for t in self._threads:
            t.start()

    def _serve(self, inbox: queue.Queue) -> None:
        try:
            while (task := inbox.get()) is not None:
                slot, language, prepare, barrier, refusals = task
                self._outbox.put((slot, self._run(language, prepare, barrier, refusals)))
        finally:
            connection.close()

    @staticmethod
    def _run(language, prepare, barrier, refusals) -> Outcome:
        try:
            with translation.override(language):
                save = prepare()
                barrier.wait(timeout=10)
                return Outcome("won", save())
        except refusals as exc:
            return Outcome("refused", message=" ".join(getattr(exc, "messages", [str(exc)])))
        except Exception as exc:  # noqa: BLE001 - reported by the caller's assertion
            barrier.abort()
            return Outcome(f"error: {exc!r}")

    def race(self, *contenders, refusals=(services.ConcurrentEditError,)) -> list[Outcome]:
        """Run each contender in its own thread, the saves released together.

        A contender is ``(language, prepare)``: ``prepare()`` reads what the
        user had on screen and returns the save, so that only the saves start
        at the barrier. The save runs in ``language``, as a request would, so
        a refusal's message can be checked in it. Outcomes come back in order.
        """
        barrier = threading.Barrier(len(contenders))
        for slot, (language, prepare) in enumerate(contenders):
            self._inboxes[slot].put((slot, language, prepare, barrier, refusals))
        outcomes: list[Outcome | None] = [None] * len(contenders)
        for _ in contenders:
            slot, outcome = self._outbox.get(timeout=60)
            outcomes[slot] = outcome
        return outcomes

    def close(self) -> None:
        for inbox in self._inboxes:
            inbox.put(None)
        for t in self._threads:
            t.join(timeout=30)


@pytest.fixture
def racers(transactional_db):
    """Two racing threads; their connections close before the database is emptied."""
    racers = Racers()
    yield racers
    racers.close()


def one_winner(outcomes: list[Outcome], languages: list[str], run: int, refused_in=REFUSED_IN):
    """The index of the one save that won; the other must carry the refusal message."""
    results = [o.result for o in outcomes]
    assert sorted(results) == ["refused", "won"], f"run {run}: {outcomes}"
    winner = results.index("won")
    loser = 1 - winner
    assert outcomes[loser].message == refused_in[languages[loser]], f"run {run}"
    return winner


def report(name: str, tally: Counter, started: float) -> None:
    """One line for ``pytest -s``: how the runs went, and how long they took."""
    print(f"\n{name}: {dict(tally)} in {time.monotonic() - started:.1f} s")


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_two_threads_closing_the_same_case_exactly_one_wins(
    racers, team_a, caseworker_a, colleague_a
):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))

    def close(actor, reason):
        def prepare():
            fresh = _fresh(case)
            return lambda: services.case_transition(
                actor=actor,
                case=fresh,
                version=1,
                to_status=CaseStatus.CLOSED,
                on=dt.date(2024, 5, 1),
                reason=reason,
            )

        return prepare

    outcomes = racers.race(
        ("en", close(caseworker_a, "moved_away")), ("da", close(colleague_a, "deceased"))
    )
    winner = one_winner(outcomes, ["en", "da"], 0)
    case = _fresh(case)
    assert (case.status, case.closing_reason, case.version) == (
        "closed",
        ["moved_away", "deceased"][winner],
        2,
    )
    assert CaseStatusChange.objects.filter(case=case, to_status=CaseStatus.CLOSED).count() == 1


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_case_form_saved_by_two_people_at_once_one_wins_every_time(
    racers, team_a, caseworker_a, colleague_a
):
    case = make_case(team=team_a, caseworker=caseworker_a, last_name="Haddad")
    history = Citizen.history.model.objects.filter(id=case.citizen_id)
    users = [caseworker_a, colleague_a]
    languages = ["en", "da"]
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        version = run + 1
        edits = [
            {"last_name": f"Nord {run}", "languages": "Arabic"},
            {"last_name": f"Syd {run}", "languages": "Tigrinya"},
        ]
        entries_before = history.count()

        def edit(actor, changes, version=version):
            def prepare():
                fresh = _fresh(case)  # the form as this person opened it
                return lambda: services.citizen_update(
                    actor=actor, case=fresh, version=version, **changes
                )

            return prepare

        outcomes = racers.race(*[(languages[i], edit(users[i], edits[i])) for i in range(2)])
        winner = one_winner(outcomes, languages, run)
        tally[f"thread {winner} won"] += 1
        tally["refused"] += 1

        citizen = Citizen.objects.get(pk=case.citizen_id)
        assert (citizen.last_name, citizen.languages) == (
            edits[winner]["last_name"],
            edits[winner]["languages"],
        ), f"run {run}"
        assert _fresh(case).version == version + 1
        # One new history entry, the winner's: the refused save left no trace.
        assert history.count() == entries_before + 1, f"run {run}"
        latest = history.order_by("-history_id").first()
        assert (latest.last_name, latest.history_user_id) == (
            edits[winner]["last_name"],
            users[winner].pk,
        )
    report("case form", tally, started)
    assert tally["refused"] == RUNS


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_placement_saved_by_two_people_at_once_one_wins_every_time(
    racers, team_a, caseworker_a, colleague_a
):
    case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))
    placement = place(case, step=LadderStep.INTERNSHIP_PRIVATE, start=dt.date(2024, 1, 12))
    history = LadderPlacement.history.model.objects.filter(id=placement.pk)
    users = [caseworker_a, colleague_a]
    languages = ["da", "en"]
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        version = run + 1
        # Each run both people change the end date, to different days, so the
        # database shows whose save it holds.
        ends = [dt.date(2024, 6, 1) + dt.timedelta(days=2 * run + i) for i in range(2)]
        steps = [LadderStep.OTHER, LadderStep.WAGE_SUBSIDY_PUBLIC]
        entries_before = history.count()

        def save(actor, step, end, version=version):
            def prepare():
                fact = LadderPlacement.objects.get(pk=placement.pk)
                fact.step, fact.end_date = step, end
                fresh = _fresh(case)
                return lambda: services.fact_save(
                    actor=actor, case=fresh, fact=fact, version=version
                )

            return prepare

        outcomes = racers.race(
            *[(languages[i], save(users[i], steps[i], ends[i])) for i in range(2)]
        )
        winner = one_winner(outcomes, languages, run)
        tally[f"thread {winner} won"] += 1
        tally["refused"] += 1

        saved = LadderPlacement.objects.get(pk=placement.pk)
        assert (saved.step, saved.end_date, saved.version) == (
            steps[winner],
            ends[winner],
            version + 1,
        ), f"run {run}"
        assert history.count() == entries_before + 1, f"run {run}"
        assert history.order_by("-history_id").first().end_date == ends[winner]
    report("placement", tally, started)
    assert tally["refused"] == RUNS


@on_postgresql
@pytest.mark.django_db(transaction=True)
def test_case_form_and_a_new_placement_at_once_both_count_in_the_deadlines(
    racers, team_a, caseworker_a, colleague_a
):
    """Two different records of one case: both saves stand, and the deadlines the
    case stores (for the caseload and the reports) are worked out from both."""
    tally: Counter = Counter()
    started = time.monotonic()
    for run in range(RUNS):
        case = make_case(team=team_a, caseworker=caseworker_a, arrival=dt.date(2024, 1, 10))

        def move_arrival(case=case):
            fresh = _fresh(case)
            return lambda: services.citizen_update(
                actor=caseworker_a, case=fresh, version=1, arrival_date=dt.date(2024, 1, 8)
            )

        def add_placement(case=case):
            fresh = _fresh(case)
            fact = LadderPlacement(
                step=LadderStep.INTERNSHIP_PUBLIC, start_date=dt.date(2024, 1, 11)
            )
            return lambda: services.fact_save(actor=colleague_a, case=fresh, fact=fact)

        outcomes = racers.race(("en", move_arrival), ("en", add_placement))
        assert [o.result for o in outcomes] == ["won", "won"], f"run {run}: {outcomes}"
        tally["both saved"] += 1
        case = _fresh(case)
        assert case.citizen.arrival_date == dt.date(2024, 1, 8)
        # Placed on 11-01; arrival 08-01 + 1 month = 08-02 for the contract.
        assert (case.first_placement_on, case.next_deadline, case.next_deadline_kind) == (
            dt.date(2024, 1, 11),
            dt.date(2024, 2, 8),
            DeadlineKind.CONTRACT,
        ), f"run {run}"
    report("case form + new placement", tally, started)


# --- the same race through the pages -----------------------------------------


def _signed_in(user, language: str) -> Client:
    client = Client()
    client.force_login(user)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    return client


@on_postgresql
@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("language", ["en", "da"])
def test_two_people_posting_the_case_form_at_once_one_is_told(
    racers, team_a, caseworker_a, colleague_a, language
):
    case = make_case(team=team_a, caseworker=caseworker_a, last_name="Haddad")
    url = reverse("integration:case_edit", args=[case.uuid])
    clients = [_signed_in(caseworker_a, language), _signed_in(colleague_a, language)]
    forms = [c.get(url) for c in clients]
    names = ["Haddad-Saleh", "Haddad-Omar"]

    def post(i):
        return lambda: lambda: clients[i].post(url, _edit_data(forms[i], last_name=names[i]))

    outcomes = racers.race((language, post(0)), (language, post(1)))
    statuses = [o.value.status_code for o in outcomes]
    assert sorted(statuses) == [200, 302]
    winner, loser = statuses.index(302), statuses.index(200)
    assert REFUSED_IN[language] in outcomes[loser].value.content.decode()
    assert Citizen.objects.get(pk=case.citizen_id).last_name == names[winner]
    assert Citizen.history.model.objects.filter(id=case.citizen_id).count() == 2  # made, saved


def test_the_refusal_is_translated():
    with translation.override("da"):
        assert translation.gettext(REFUSED) == REFUSED_DA
