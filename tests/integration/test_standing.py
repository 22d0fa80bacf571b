"""The cases' standing on a day (``integration.standing``) gives the day's
ladder and programme exactly as counting the data does.

On random histories of writes through the services (ladder steps, courses,
employment, one at a time and several at once, cases closed and reopened,
arrival dates, residence bases and teams changed, new cases one at a time and
several at once), with the standing made
for a random day, made again for another, and made again by a change that
does not say whose data it changed:
after every step the standing's counts, under every narrowing, equal
``report_days`` counting live. And the dashboard's counts of that day are
summed from it, not counted.

A change that does not say whose data it changed makes every row again.
PostgreSQL only, as the standing; every write commits, as in the app.
"""

from __future__ import annotations

import datetime as dt
import threading

import pytest
from django.db import connection
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration import kept_figures, report_days, services, standing
from integration.models import (
    Case,
    CaseStanding,
    DanishCourse,
    EmploymentSpell,
    HealthAssessment,
    LadderPlacement,
    LadderStep,
    StandingDay,
)
from tests.factories import make_case, replacement_cpr
from tests.integration.test_kept_figures import (
    DAYS,
    _fact,
    _wipe,
    _write,
    day_st,
    people_st,
    spell_st,
    write_st,
)

pytestmark = pytest.mark.django_db(transaction=True)

NARROWINGS = ("everyone", "team a", "team b", "refugees", "team a refugees")


@pytest.fixture
def postgresql():
    from tests.common.test_snapshot import _postgresql

    _postgresql()


def _narrow(name: str, teams) -> dict:
    return {
        "team_id": teams["a"].pk
        if "team a" in name
        else teams["b"].pk
        if "team b" in name
        else None,
        "residence_basis": "refugee" if "refugees" in name else None,
    }


def _assert_standing_equals_live(teams) -> None:
    on = standing.day()
    if on is None:
        return
    for name in NARROWINGS:
        narrow = _narrow(name, teams)
        assert standing.ladder_on_days(None, [on], **narrow) == report_days.ladder_on_days(
            None, [on], **narrow
        ), name
        assert standing.programme_counts_on_days(
            None, [on], **narrow
        ) == report_days.programme_counts_on_days(None, [on], **narrow), name


def _wipe_standing():
    _wipe()
    StandingDay.objects.all().delete()


def _write_unsaid(cases) -> None:
    """A ladder step for every case, begun on the standing's day, written
    without a service."""
    on = standing.day()
    if on is not None:
        LadderPlacement.objects.bulk_create(
            [LadderPlacement(case=case, step=LadderStep.ORDINARY, start_date=on) for case in cases]
        )


def _create_bulk(people, team, residence_basis: str) -> list[int]:
    """Cases for (arrival, birth) pairs at once, as an import makes them."""
    return services.cases_create_bulk(
        actor=None,
        entries=[
            {
                "team": team,
                "cpr": replacement_cpr(birth),
                "first_name": "Amal",
                "last_name": f"Arrived{n}",
                "nationality": "SY",
                "residence_basis": residence_basis,
                "arrival_date": arrival,
            }
            for n, (arrival, birth) in enumerate(people)
        ],
    )


def _arrive(people, cases, team) -> None:
    """New cases after the standing was made: the first through
    ``case_create``, the rest at once, as an import makes them. Later steps
    write to them too."""
    (arrival, birth), *others = people
    cases.append(make_case(team=team, arrival=arrival, birth=birth))
    if not others:
        return
    made = _create_bulk(others, team, "refugee")
    cases.extend(Case.objects.filter(pk__in=made).order_by("pk"))


def _write_bulk(facts, cases, provider) -> None:
    """Spells added to several cases at once, as an import adds them."""
    made = []
    for kind, n, start, end in facts:
        fact = _fact(kind, start, end)
        fact.case_id = cases[n % len(cases)].pk
        if kind == "course":
            fact.provider = provider
        made.append(fact)
    services.facts_create_bulk(actor=None, facts=made)


step_st = st.one_of(
    write_st,
    st.tuples(st.just("make"), day_st),
    st.tuples(st.just("unsaid")),
    st.tuples(st.just("arrive"), people_st),
    st.tuples(
        st.just("bulk"),
        st.lists(
            st.tuples(
                st.sampled_from(["ladder", "employment", "course"]), st.integers(0, 2)
            ).flatmap(lambda t: spell_st.map(lambda s: (*t, *s))),
            min_size=1,
            max_size=4,
        ),
    ),
)


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    people=people_st,
    first_day=day_st,
    steps=st.lists(step_st, min_size=1, max_size=16),
)
def test_the_standing_counts_equal_live_counts_on_any_history(
    postgresql, people, first_day, steps, team_a, team_b, provider_org
):
    _wipe_standing()
    teams = {"a": team_a, "b": team_b}
    cases = [make_case(team=team_a, arrival=arrival, birth=birth) for arrival, birth in people]
    standing.make(first_day)
    _assert_standing_equals_live(teams)
    for step in steps:
        if step[0] == "make":
            standing.make(step[1])
        elif step[0] == "bulk":
            _write_bulk(step[1], cases, provider_org)
        elif step[0] == "arrive":
            _arrive(step[1], cases, team_b)
        elif step[0] == "unsaid":
            # Written straight to the table, as no service writes: only a
            # change that does not say whose data it changed makes it right.
            _write_unsaid(cases)
            services.access_log_write(user=None, action="change", what="something")
        else:
            _write(step, cases, teams, provider_org)
        _assert_standing_equals_live(teams)


def test_new_spells_make_again_only_the_cases_they_move(
    postgresql, team_a, provider_org, monkeypatch
):
    """Standing on 31 March 2024: spells of February, of April and a health
    offer move no case's row; a spell running on the 31st, or ending then,
    makes its own case's row again, and no other."""
    _wipe_standing()
    on = dt.date(2024, 3, 31)
    cases = [make_case(team=team_a, arrival=dt.date(2024, 1, 10)) for _ in range(4)]
    standing.make(on)
    made_again = []
    insert = standing._insert
    monkeypatch.setattr(
        standing,
        "_insert",
        lambda day, case_ids=None: made_again.append(case_ids) or insert(day, case_ids),
    )

    def add(*facts):
        for fact, case in zip(facts, cases, strict=False):
            fact.case_id = case.pk
        services.facts_create_bulk(actor=None, facts=facts)

    february = (dt.date(2024, 2, 1), dt.date(2024, 2, 29))
    add(
        EmploymentSpell(
            category="ordinary_employment", start_date=february[0], end_date=february[1]
        ),
        LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 4, 1)),
        HealthAssessment(offered_on=dt.date(2024, 3, 31)),
    )
    assert made_again == []
    add(
        EmploymentSpell(category="ordinary_employment", start_date=dt.date(2024, 3, 1)),
        DanishCourse(module="DU2", provider=provider_org, start_date=february[0], end_date=on),
    )
    assert made_again == [[cases[0].pk, cases[1].pk]]
    services.fact_save(
        actor=None, case=cases[2], fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=on)
    )
    assert made_again[1:] == [[cases[2].pk]]
    _assert_standing_equals_live({"a": team_a, "b": team_a})


def test_new_cases_are_added_without_reading_spells(postgresql, team_a, monkeypatch):
    """Standing on 31 March 2024, an import makes three cases: an adult and a
    child who arrived on 1 March, and an adult arriving on 15 April. The
    first two get a row each (no step, no course, no work), read without a
    spell table; the third is not in the programme on the 31st."""
    _wipe_standing()
    on = dt.date(2024, 3, 31)
    make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    standing.make(on)
    inserted = []
    insert = standing._insert
    monkeypatch.setattr(
        standing,
        "_insert",
        lambda day, case_ids=None, **how: inserted.append(how) or insert(day, case_ids, **how),
    )
    people = [
        (dt.date(2024, 3, 1), dt.date(1990, 1, 1)),
        (dt.date(2024, 3, 1), dt.date(2015, 5, 5)),
        (dt.date(2024, 4, 15), dt.date(1990, 1, 1)),
    ]
    made = _create_bulk(people, team_a, "family_reunified")
    assert inserted == [{"spells": False}]
    rows = CaseStanding.objects.filter(case_id__in=made).order_by("case_id")
    assert [
        (r.case_id, r.adult, r.step, r.course, r.work, r.employed, r.residence_basis) for r in rows
    ] == [
        (made[0], True, None, False, False, False, "family_reunified"),
        (made[1], False, None, False, False, False, "family_reunified"),
    ]
    assert CaseStanding.objects.count() == 3
    _assert_standing_equals_live({"a": team_a, "b": team_a})


def test_worked_by_hand(postgresql, team_a, team_b):
    """Three citizens on 31 March 2024: an adult placed on step 1 and then on
    step 3 (the later spell counts), an adult without a placement in team b,
    and a child."""
    _wipe_standing()
    on = dt.date(2024, 3, 31)
    placed = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    make_case(team=team_b, arrival=dt.date(2024, 2, 1))
    make_case(team=team_a, arrival=dt.date(2024, 2, 1), birth=dt.date(2015, 5, 5))
    assert standing.make(on) == 3
    for step, start in ((LadderStep.ORDINARY, dt.date(2024, 2, 1)), (3, dt.date(2024, 3, 1))):
        services.fact_save(
            actor=None, case=placed, fact=LadderPlacement(step=step, start_date=start)
        )
    assert standing.ladder_on_days(None, [on]) == {on: {3: 1, None: 1}}
    assert standing.ladder_on_days(None, [on], team_id=team_b.pk) == {on: {None: 1}}
    programme = standing.programme_counts_on_days(None, [on])[on]
    assert (programme["total"], programme["adults"], programme["children"]) == (3, 2, 1)
    assert programme["refugees"] == 3


def test_the_day_it_stands_on_is_summed_not_counted(postgresql, team_a, monkeypatch):
    _wipe_standing()
    on, other = dt.date(2024, 3, 31), dt.date(2024, 2, 29)
    make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    standing.make(on)
    asked = []
    live = report_days.ladder_on_days

    def spy(user, days, **narrow):
        asked.append(list(days))
        return live(user, days, **narrow)

    monkeypatch.setattr(report_days, "ladder_on_days", spy)
    # The dashboard's path: kept figures, then the standing, then the data.
    assert kept_figures.ladder_on_days(None, [other, on]) == {other: {None: 1}, on: {None: 1}}
    assert asked == [[other]]


def test_a_refused_user_is_refused(postgresql, team_a, caseworker_a):
    from django.core.exceptions import PermissionDenied

    _wipe_standing()
    on = dt.date(2024, 3, 31)
    make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    standing.make(on)
    with pytest.raises(PermissionDenied):
        standing.ladder_on_days(caseworker_a, [on])


def test_a_writer_waits_for_a_make_and_refreshes_for_its_day(postgresql, team_a):
    """``make`` for a new day holds the rows; a change committed meanwhile
    refreshes its case for the new day, after the make, not for the old."""
    _wipe_standing()
    old, new = dt.date(2024, 2, 29), dt.date(2024, 3, 31)
    case = make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    standing.make(old)
    made, release = threading.Event(), threading.Event()

    def make_new_day():
        from django.db import transaction

        try:
            with transaction.atomic():
                standing.make(new)
                made.set()
                release.wait(10)
        finally:
            connection.close()

    maker = threading.Thread(target=make_new_day)
    maker.start()
    assert made.wait(10)
    writer = threading.Thread(
        target=lambda: (
            services.fact_save(
                actor=None,
                case=case,
                fact=LadderPlacement(step=LadderStep.ORDINARY, start_date=dt.date(2024, 3, 5)),
            ),
            connection.close(),
        )
    )
    writer.start()
    writer.join(0.5)
    assert writer.is_alive()  # waiting for the make
    release.set()
    maker.join(10)
    writer.join(10)
    assert standing.day() == new
    assert standing.ladder_on_days(None, [new]) == {new: {LadderStep.ORDINARY.value: 1}}
    assert CaseStanding.objects.count() == 1


def test_nothing_stands_on_sqlite(team_a):
    if connection.vendor == "postgresql":
        pytest.skip("SQLite only")
    make_case(team=team_a, arrival=dt.date(2024, 1, 10))
    assert standing.make(DAYS[-1]) == 0
    assert standing.ladder_on_days(None, [DAYS[-1]]) == report_days.ladder_on_days(None, [DAYS[-1]])
