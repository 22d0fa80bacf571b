"""Counts of a day kept in the database (``integration.kept_figures``) are
always the counts the data gives now.

On random histories of writes through the services (ladder steps, courses,
employment, cases closed and reopened, arrival dates, residence bases and
teams changed), read at random month ends and narrowings, in between the
nightly tidy: every read equals ``report_days`` counting live. And a change
of today leaves last month's counts kept: they are not counted again.

PostgreSQL only (the rule reads PostgreSQL's snapshots); every write commits,
as in the app, because the rule is about what other transactions have
committed.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection, transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import snapshot
from integration import kept_figures, report_days, services
from integration.models import (
    CaseStatus,
    ClosingReason,
    DanishCourse,
    EmploymentCategory,
    EmploymentSpell,
    FiguresChange,
    KeptFigures,
    LadderPlacement,
    LadderStep,
    ResidenceBasis,
)
from tests.common.test_snapshot import _postgresql
from tests.factories import make_case

pytestmark = pytest.mark.django_db(transaction=True)

MONTH_ENDS = [
    dt.date(2024, 1, 31),
    dt.date(2024, 2, 29),
    dt.date(2024, 3, 31),
    dt.date(2024, 4, 30),
    dt.date(2024, 5, 31),
]
# Days of facts: on, before and after the month ends.
DAYS = sorted({day + dt.timedelta(days=k) for day in MONTH_ENDS for k in (-1, 0, 1)})


@pytest.fixture
def postgresql():
    _postgresql()


def _live(days, narrow):
    return (
        report_days.ladder_on_days(None, days, **narrow),
        report_days.programme_counts_on_days(None, days, **narrow),
    )


def _kept(days, narrow, *, side_by_side=False):
    if not side_by_side:
        return (
            kept_figures.ladder_on_days(None, days, **narrow),
            kept_figures.programme_counts_on_days(None, days, **narrow),
        )
    with snapshot.one_snapshot() as together:
        found = together(
            {
                "ladder": lambda: kept_figures.ladder_on_days(None, days, **narrow),
                "programme": lambda: kept_figures.programme_counts_on_days(None, days, **narrow),
            }
        )
    return found["ladder"], found["programme"]


def _fact(kind, start, end):
    if kind == "ladder":
        return LadderPlacement(step=LadderStep.INTERNSHIP_PRIVATE, start_date=start, end_date=end)
    if kind == "employment":
        return EmploymentSpell(
            category=EmploymentCategory.ORDINARY_EMPLOYMENT, start_date=start, end_date=end
        )
    return DanishCourse(module="DU2", start_date=start, end_date=end)


def _write(op, cases, teams, provider):
    """One write through the services, as the pages make them."""
    kind, n, *args = op
    case = cases[n % len(cases)]
    case.refresh_from_db()
    case.citizen.refresh_from_db()
    if kind in ("ladder", "employment", "course"):
        start, end = args
        fact = _fact(kind, start, end)
        if kind == "course":
            fact.provider = provider
        services.fact_save(actor=None, case=case, fact=fact)
    elif kind == "move":
        (start,) = args
        fact = LadderPlacement.objects.filter(case=case).order_by("pk").first()
        if fact is None:
            return
        fact.start_date, fact.end_date = start, None
        services.fact_save(actor=None, case=case, fact=fact, version=fact.version)
    elif kind == "close":
        (on,) = args
        if case.status == CaseStatus.OPEN:
            services.case_transition(
                actor=None,
                case=case,
                version=case.version,
                to_status=CaseStatus.CLOSED,
                on=max(on, case.citizen.arrival_date),
                reason=ClosingReason.MOVED_AWAY,
            )
        else:
            services.case_transition(
                actor=None,
                case=case,
                version=case.version,
                to_status=CaseStatus.OPEN,
                on=max(on, case.closed_on),
                note="Came back",
            )
    elif kind == "arrival":
        (arrival,) = args
        services.citizen_update(actor=None, case=case, version=case.version, arrival_date=arrival)
    elif kind == "basis":
        (basis,) = args
        services.citizen_update(actor=None, case=case, version=case.version, residence_basis=basis)
    elif kind == "assign":
        (team,) = args
        services.case_assign(
            actor=None, case=case, version=case.version, team=teams[team], caseworker=None
        )


day_st = st.sampled_from(DAYS)
spell_st = st.tuples(day_st, st.one_of(st.none(), day_st)).map(
    lambda s: (s[0], None if s[1] is None else max(s))
)
write_st = st.one_of(
    st.tuples(st.sampled_from(["ladder", "employment", "course"]), st.integers(0, 2)).flatmap(
        lambda t: spell_st.map(lambda s: (*t, *s))
    ),
    st.tuples(st.just("move"), st.integers(0, 2), day_st),
    st.tuples(st.just("close"), st.integers(0, 2), day_st),
    st.tuples(st.just("arrival"), st.integers(0, 2), day_st),
    st.tuples(st.just("basis"), st.integers(0, 2), st.sampled_from(list(ResidenceBasis))),
    st.tuples(st.just("assign"), st.integers(0, 2), st.sampled_from(["a", "b"])),
)
narrow_st = st.fixed_dictionaries(
    {
        "team": st.sampled_from([None, "a", "b"]),
        "residence_basis": st.sampled_from([None, ResidenceBasis.REFUGEE]),
    }
)
read_st = st.tuples(
    st.just("read"),
    st.lists(st.sampled_from(MONTH_ENDS), min_size=1, max_size=3),
    narrow_st,
    st.booleans(),
)
step_st = st.one_of(read_st, write_st, st.just(("tidy",)))
# Up to three citizens: each arrival day, and born an adult or a child.
people_st = st.lists(
    st.tuples(day_st, st.sampled_from([dt.date(1990, 1, 1), dt.date(2006, 3, 1)])),
    min_size=1,
    max_size=3,
)


def _wipe():
    """Each example starts from no citizens and nothing kept (its writes committed)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE integration_citizen, integration_household, "
            f"{KeptFigures._meta.db_table}, {FiguresChange._meta.db_table} CASCADE"
        )


@pytest.mark.slow
@settings(
    max_examples=80,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(people=people_st, steps=st.lists(step_st, min_size=1, max_size=20))
def test_kept_counts_equal_live_counts_on_any_history(
    postgresql, people, steps, team_a, team_b, provider_org, settings
):
    settings.REPORT_QUERY_THREADS = 2
    _wipe()
    teams = {"a": team_a, "b": team_b}
    cases = [make_case(team=team_a, arrival=arrival, birth=birth) for arrival, birth in people]
    for step in steps:
        if step[0] == "read":
            _kind, days, narrow, side_by_side = step
            options = {
                "team_id": teams[narrow["team"]].pk if narrow["team"] else None,
                "residence_basis": narrow["residence_basis"],
            }
            assert _kept(days, options, side_by_side=side_by_side) == _live(days, options)
        elif step[0] == "tidy":
            kept_figures.tidy()
        else:
            _write(step, cases, teams, provider_org)
    for narrow in ({}, {"team_id": team_a.pk}):
        assert _kept(MONTH_ENDS, narrow) == _live(MONTH_ENDS, narrow)


@pytest.fixture
def counted(monkeypatch):
    """The days ``report_days`` is asked to count, call by call."""
    asked: list[list[dt.date]] = []
    live = report_days.ladder_on_days

    def spy(user, days, **narrow):
        asked.append(list(days))
        return live(user, days, **narrow)

    monkeypatch.setattr(report_days, "ladder_on_days", spy)
    return asked


def test_a_change_of_today_leaves_last_months_counts_kept(postgresql, team_a, counted):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    first = kept_figures.ladder_on_days(None, days)
    services.fact_save(
        actor=None,
        case=case,
        fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 3, 5)),
    )
    second = kept_figures.ladder_on_days(None, days)
    assert counted == [days, [dt.date(2024, 3, 31)]]
    assert first == {days[0]: {None: 1}, days[1]: {None: 1}}
    assert second == {days[0]: {None: 1}, days[1]: {LadderStep.ORDINARY.value: 1}}
    # Nothing changed since: both days kept.
    assert kept_figures.ladder_on_days(None, days) == second
    assert len(counted) == 2


def test_a_change_that_does_not_say_its_day_moves_every_day(postgresql, team_a, counted):
    make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    kept_figures.ladder_on_days(None, days)
    services.access_log_write(user=None, action="change", what="something")
    kept_figures.ladder_on_days(None, days)
    assert counted == [days, days]


def test_a_score_or_a_note_keeps_every_day(postgresql, team_a, counted):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    days = [dt.date(2024, 2, 29)]
    kept_figures.ladder_on_days(None, days)
    services.log_change(None, case.citizen, "round saved", only_scores_on=[dt.date(2024, 2, 1)])
    services.log_change(None, case.citizen, "journal note added", only_scores_on=())
    kept_figures.ladder_on_days(None, days)
    assert counted == [days]


def test_counts_made_while_a_change_commits_are_not_kept_as_true(postgresql, team_a, settings):
    """A report takes its snapshot; a caseworker's change commits while it
    counts; the report keeps its counts after. They do not include the change,
    so the next reader counts again."""
    settings.REPORT_QUERY_THREADS = 2
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    day = dt.date(2024, 3, 31)

    def caseworker_writes():
        try:
            services.fact_save(
                actor=None,
                case=case,
                fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 3, 1)),
            )
        finally:
            connection.close()

    with snapshot.one_snapshot() as together:
        during = together(
            {
                "ladder": lambda: kept_figures.ladder_on_days(None, [day]),
                "write": lambda: None,
            }
        )["ladder"]
        writer = threading.Thread(target=caseworker_writes)
        writer.start()
        writer.join()
    assert during == {day: {None: 1}}  # as of the snapshot
    assert KeptFigures.objects.filter(day=day).exists()  # kept after it
    assert kept_figures.ladder_on_days(None, [day]) == {day: {LadderStep.ORDINARY.value: 1}}


def test_tidy_drops_stale_counts_and_old_changes(postgresql, team_a):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    kept_figures.ladder_on_days(None, days)
    services.fact_save(
        actor=None,
        case=case,
        fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 3, 5)),
    )
    # Changes under a day old stay: a report may still keep counts without them.
    assert kept_figures.tidy() == {"stale": 1, "changes": 0}
    assert list(KeptFigures.objects.values_list("day", flat=True)) == [days[0]]
    FiguresChange.objects.update(recorded_at=dt.datetime(2024, 1, 1, tzinfo=dt.UTC))
    # The case opened and the step: both before the kept day's snapshot now,
    # unless a transaction elsewhere on the server (another test run) still
    # began before them: then no snapshot taken now can be sure to see them.
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_snapshot_xmin(pg_current_snapshot())::text::bigint")
        (horizon,) = cursor.fetchone()
    done = FiguresChange.objects.filter(transaction_id__lt=horizon).count()
    assert kept_figures.tidy() == {"stale": 0, "changes": done}
    assert FiguresChange.objects.count() == 2 - done
    # The kept day still holds, and a change of March still reaches only March.
    services.fact_save(
        actor=None,
        case=case,
        fact=EmploymentSpell(
            category=EmploymentCategory.ORDINARY_EMPLOYMENT, start_date=dt.date(2024, 3, 20)
        ),
    )
    assert _kept(days, {}) == _live(days, {})
    assert KeptFigures.objects.filter(name="ladder").count() == 2


def test_the_first_day_of_a_change(postgresql, team_a):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    fact = LadderPlacement(case=case, step=LadderStep.ORDINARY, start_date=dt.date(2024, 5, 1))
    assert kept_figures.first_day_of([fact]) == dt.date(2024, 5, 1)
    services.fact_save(actor=None, case=case, fact=fact)
    # Moved later: its old start is the first day it moves.
    fact.start_date, fact.end_date = dt.date(2024, 6, 1), dt.date(2024, 7, 1)
    assert kept_figures.first_day_of([fact], stored=[fact.pk]) == dt.date(2024, 5, 1)
    services.fact_save(actor=None, case=case, fact=fact, version=fact.version)
    assert list(FiguresChange.objects.values_list("from_day", flat=True).order_by("pk")) == [
        dt.date(2024, 1, 10),  # the case opened: from arrival
        dt.date(2024, 5, 1),
        dt.date(2024, 5, 1),
    ]


def test_a_step_moved_later_moves_the_days_it_left(postgresql, team_a):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    step = services.fact_save(
        actor=None,
        case=case,
        fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 2, 1)),
    )
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    assert kept_figures.ladder_on_days(None, days) == {day: {1: 1} for day in days}
    step.start_date = dt.date(2024, 3, 15)
    services.fact_save(actor=None, case=case, fact=step, version=step.version)
    assert kept_figures.ladder_on_days(None, days) == {days[0]: {None: 1}, days[1]: {1: 1}}


def test_a_case_reopened_moves_the_days_from_its_closing(postgresql, team_a):
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    services.case_transition(
        actor=None,
        case=case,
        version=case.version,
        to_status=CaseStatus.CLOSED,
        on=dt.date(2024, 2, 10),
        reason=ClosingReason.MOVED_AWAY,
    )
    days = [dt.date(2024, 2, 29), dt.date(2024, 3, 31)]
    assert kept_figures.ladder_on_days(None, days) == {day: {} for day in days}
    case.refresh_from_db()
    services.case_transition(
        actor=None,
        case=case,
        version=case.version,
        to_status=CaseStatus.OPEN,
        on=dt.date(2024, 3, 20),
        note="Came back",
    )
    assert kept_figures.ladder_on_days(None, days) == {day: {None: 1} for day in days}


def test_follow_ups_of_a_past_year_are_kept_until_a_change_reaches_back(
    postgresql, team_a, monkeypatch
):
    from integration import follow_up_selectors as fs
    from integration.models import FollowUp

    asked = []
    live = fs._adult_follow_ups

    def spy(start, end, *, per):
        asked.append((start, end))
        return live(start, end, per=per)

    monkeypatch.setattr(fs, "_adult_follow_ups", spy)
    case = make_case(team=team_a, arrival=dt.date(2023, 3, 1))
    for held in (dt.date(2023, 6, 1), dt.date(2024, 6, 1)):
        services.fact_save(
            actor=None,
            case=case,
            fact=FollowUp(held_on=held, repatriation_guidance_given=held.year == 2024),
        )
    start, end = dt.date(2023, 1, 1), dt.date(2025, 11, 30)
    first = fs.follow_ups_by_year(None, start, end)
    assert first == [
        {"year": 2023, "held": 1, "guided": 0},
        {"year": 2024, "held": 1, "guided": 1},
    ]
    services.fact_save(actor=None, case=case, fact=FollowUp(held_on=dt.date(2025, 2, 1)))
    second = fs.follow_ups_by_year(None, start, end)
    assert asked == [(start, end), (dt.date(2025, 1, 1), end)]  # 2023 and 2024 kept
    assert second == [*first, {"year": 2025, "held": 1, "guided": 0}]
    assert second == list(live(start, end, per="year"))


def test_counts_made_inside_a_writing_transaction_are_not_kept(postgresql, team_a):
    """Inside one transaction: a read, another transaction ends, a change, a
    read again. The transaction's own id is not in its snapshots, so a row
    kept at the first read would pass for including the change."""
    from tests.common.test_snapshot import _commit_a_team_elsewhere

    day = dt.date(2026, 1, 31)
    with transaction.atomic():
        case = make_case(team=team_a, arrival=dt.date(2026, 1, 30))
        _commit_a_team_elsewhere("Syd")
        assert kept_figures.ladder_on_days(None, [day]) == {day: {None: 1}}
        services.case_transition(
            actor=None,
            case=case,
            version=case.version,
            to_status=CaseStatus.CLOSED,
            on=dt.date(2026, 1, 30),
            reason=ClosingReason.MOVED_AWAY,
        )
        assert kept_figures.ladder_on_days(None, [day]) == {day: {}}
        assert not KeptFigures.objects.exists()
    # Outside it, counted and kept.
    assert kept_figures.ladder_on_days(None, [day]) == {day: {}}
    assert KeptFigures.objects.filter(day=day).exists()
