"""The counts on many days in one query equal the one-day definitions on any
history: citizens turning 18 around the days, cases closed before, on and
after them, overlapping ladder spells (some starting the same day), Danish
courses and employment spells of every category, narrowed by team and
residence basis or not.

The one-day definitions are the ORM queries the reports used before
(``report_selectors.ladder_on`` and ``programme_counts`` as they were): a
correlated subquery per citizen, which reads as the rule it counts.
"""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.db.models import Count, Exists, OuterRef, Q, Subquery
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from integration import report_days
from integration.models import (
    Case,
    CaseStatus,
    ClosingReason,
    DanishCourse,
    EmploymentCategory,
    EmploymentSpell,
    LadderPlacement,
    LadderStep,
    ResidenceBasis,
)
from integration.report_selectors import (
    WORK_OR_INTERNSHIP_STEPS,
    _active,
    _adult_cutoff,
    _citizens,
    _employed_on,
    in_programme_q,
)
from tests.factories import make_case


def ladder_on_orm(user, day, *, team_id=None, residence_basis=None):
    """The one-day ladder as the reports counted it before: the spell that
    started last, per adult in the programme, as a correlated subquery."""
    step = Subquery(
        LadderPlacement.objects.filter(Q(case__citizen=OuterRef("pk")) & _active(day))
        .order_by("-start_date", "-id")
        .values("step")[:1]
    )
    rows = (
        _citizens(user, team_id=team_id, residence_basis=residence_basis)
        .filter(in_programme_q(day), birth_date__lte=_adult_cutoff(day))
        .annotate(step=step)
        .values("step")
        .annotate(n=Count("id"))
    )
    return {row["step"]: row["n"] for row in rows}


def programme_counts_orm(user, day, *, team_id=None, residence_basis=None):
    """The one-day programme counts as the reports counted them before."""
    course = Exists(DanishCourse.objects.filter(Q(case__citizen=OuterRef("pk")) & _active(day)))
    work = Exists(
        LadderPlacement.objects.filter(
            Q(case__citizen=OuterRef("pk"), step__in=WORK_OR_INTERNSHIP_STEPS) & _active(day)
        )
    )
    adult = Q(birth_date__lte=_adult_cutoff(day))
    qs = _citizens(user, team_id=team_id, residence_basis=residence_basis).filter(
        in_programme_q(day)
    )
    return qs.annotate(course=course, work=work, employed=_employed_on(day)).aggregate(
        total=Count("id"),
        adults=Count("id", filter=adult),
        children=Count("id", filter=~adult),
        refugees=Count("id", filter=Q(residence_basis=ResidenceBasis.REFUGEE)),
        family_reunified=Count("id", filter=Q(residence_basis=ResidenceBasis.FAMILY_REUNIFIED)),
        displaced_ukraine=Count("id", filter=Q(residence_basis=ResidenceBasis.UKRAINE)),
        adults_employed=Count("id", filter=adult & Q(employed=True)),
        adults_in_course=Count("id", filter=adult & Q(course=True)),
        adults_course_and_work=Count(
            "id", filter=adult & Q(course=True) & (Q(work=True) | Q(employed=True))
        ),
    )


# Every date of a history is one of a few days around two month ends, so
# that arrivals, closings, the starts and ends of spells and 18th birthdays
# often fall on, just before or just after a day asked about (2008-02-29
# among the birthdays), and spells often start on the same day.
MONTH_ENDS = [dt.date(2026, 1, 31), dt.date(2026, 2, 28)]
POINTS = sorted({end + dt.timedelta(days=k) for end in MONTH_ENDS for k in (-1, 0, 1)})

days_st = st.sampled_from(POINTS)
ask_st = st.one_of(st.sampled_from(MONTH_ENDS), days_st)
birth_st = st.one_of(
    st.just(dt.date(2008, 2, 29)),
    st.sampled_from(
        sorted({_adult_cutoff(day) + dt.timedelta(days=k) for day in POINTS for k in (-1, 0, 1)})
    ),
    st.just(dt.date(1990, 5, 17)),
)


def _spells(starts):
    """Spells starting on one of ``starts``, ongoing or ending on a day of POINTS."""
    return st.tuples(st.sampled_from(starts), st.one_of(st.none(), days_st)).map(
        lambda spell: (spell[0], None if spell[1] is None else max(spell))
    )


spell_st = _spells(POINTS)
# Ladder spells start on three days only, so that two often start the same day.
placement_st = st.tuples(st.sampled_from(list(LadderStep)), _spells(POINTS[:3]))
citizen_st = st.fixed_dictionaries(
    {
        "birth": birth_st,
        "arrival": days_st,
        "basis": st.sampled_from(list(ResidenceBasis)),
        "team": st.sampled_from(["a", "b"]),
        # None: open; a day: closed then; ("open", day): open, with a closing day
        # left from a reopening.
        "closed": st.one_of(st.none(), days_st, st.tuples(st.just("open"), days_st)),
        "placements": st.lists(placement_st, max_size=4),
        "courses": st.lists(spell_st, max_size=2),
        "employment": st.lists(
            st.tuples(st.sampled_from(list(EmploymentCategory)), spell_st), max_size=2
        ),
    }
)


def _make_history(citizens, teams, provider):
    for person in citizens:
        case = make_case(
            team=teams[person["team"]],
            birth=person["birth"],
            arrival=max(person["arrival"], person["birth"]),
            residence_basis=person["basis"],
        )
        closed = person["closed"]
        if isinstance(closed, tuple):
            Case.objects.filter(pk=case.pk).update(closed_on=closed[1])
        elif closed is not None:
            Case.objects.filter(pk=case.pk).update(
                status=CaseStatus.CLOSED, closing_reason=ClosingReason.MOVED_AWAY, closed_on=closed
            )
        LadderPlacement.objects.bulk_create(
            LadderPlacement(case=case, step=step, start_date=start, end_date=end)
            for step, (start, end) in person["placements"]
        )
        DanishCourse.objects.bulk_create(
            DanishCourse(
                case=case,
                provider=provider,
                module="DU2",
                start_date=start,
                end_date=end,
            )
            for start, end in person["courses"]
        )
        EmploymentSpell.objects.bulk_create(
            EmploymentSpell(case=case, category=category, start_date=start, end_date=end)
            for category, (start, end) in person["employment"]
        )


class Rollback(Exception):
    pass


narrow_st = st.fixed_dictionaries(
    {
        "team": st.sampled_from([None, "a", "b"]),
        "residence_basis": st.sampled_from([None, "", *ResidenceBasis]),
    }
)


@pytest.mark.slow
@pytest.mark.django_db
@settings(
    max_examples=150,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(
    citizens=st.lists(citizen_st, min_size=1, max_size=6),
    days=st.lists(ask_st, min_size=1, max_size=5),
    narrow=narrow_st,
)
def test_many_days_in_one_query_count_as_each_day_alone(
    citizens, days, narrow, team_a, team_b, provider_org
):
    teams = {"a": team_a, "b": team_b}
    options = {
        "team_id": teams[narrow["team"]].pk if narrow["team"] else None,
        "residence_basis": narrow["residence_basis"],
    }
    try:
        with transaction.atomic():
            _make_history(citizens, teams, provider_org)
            assert report_days.ladder_on_days(None, days, **options) == {
                day: ladder_on_orm(None, day, **options) for day in days
            }
            assert report_days.programme_counts_on_days(None, days, **options) == {
                day: programme_counts_orm(None, day, **options) for day in days
            }
            raise Rollback
    except Rollback:
        pass


@pytest.mark.django_db
def test_a_citizen_counts_once_at_the_spell_that_started_last(team_a):
    """Worked by hand: three spells overlap on 31 January; the one that started
    last (the later id of two started the same day) gives the step."""
    case = make_case(team=team_a, arrival=dt.date(2025, 1, 2))
    day = dt.date(2026, 1, 31)
    for step, start in (
        (LadderStep.ORDINARY, dt.date(2025, 6, 1)),
        (LadderStep.INTERNSHIP_PUBLIC, dt.date(2026, 1, 5)),
        (LadderStep.OTHER, dt.date(2026, 1, 5)),
    ):
        LadderPlacement.objects.create(case=case, step=step, start_date=start)
    child = make_case(team=team_a, arrival=dt.date(2025, 1, 2), birth=dt.date(2010, 3, 3))
    LadderPlacement.objects.create(case=child, step=LadderStep.ORDINARY, start_date=day)
    make_case(team=team_a, arrival=dt.date(2025, 1, 2))

    counts = report_days.ladder_on_days(None, [day, dt.date(2025, 12, 31)])

    assert counts == {day: {LadderStep.OTHER: 1, None: 1}, dt.date(2025, 12, 31): {1: 1, None: 1}}
    assert report_days.ladder_on_days(None, [day]) == {day: counts[day]}


@pytest.mark.django_db
def test_a_day_without_anyone_in_the_programme_counts_nothing(team_a):
    make_case(team=team_a, arrival=dt.date(2026, 2, 1))
    day = dt.date(2026, 1, 31)

    assert report_days.ladder_on_days(None, [day]) == {day: {}}
    assert report_days.programme_counts_on_days(None, [day]) == {
        day: dict.fromkeys(report_days.PROGRAMME_KEYS, 0)
    }
    assert report_days.ladder_on_days(None, []) == {}


@pytest.mark.django_db
@pytest.mark.parametrize(
    "count", [report_days.ladder_on_days, report_days.programme_counts_on_days]
)
def test_only_readers_of_aggregates_may_count(count, caseworker_a, provider_user, manager):
    day = dt.date(2026, 1, 31)
    for user in (caseworker_a, provider_user):
        with pytest.raises(PermissionDenied):
            count(user, [day])
    assert day in count(manager, [day])
