"""The measurements by month cached month by month equal those counted afresh,
with rounds saved, moved and answered, notes written and cases moved between
the reads; a round saved voids its own month (and the month it moved from)
and no other."""

import datetime as dt

import pytest
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import data_version
from integration import services
from integration.models import Case, ResidenceBasis
from progression import report_cache, selectors
from progression import services as progression_services
from progression.models import Round
from tests.factories import make_case
from tests.integration.test_report_days import Rollback

pytestmark = pytest.mark.django_db

START, END = dt.date(2026, 1, 10), dt.date(2026, 4, 20)
DAYS = [
    dt.date(2026, 1, 9),
    START,
    dt.date(2026, 1, 31),
    dt.date(2026, 2, 1),
    dt.date(2026, 3, 15),
    END,
    dt.date(2026, 4, 21),
]


def _fresh(user, *, team_id=None, residence_basis=None):
    """The same rows counted in one query, as the dashboard counted them before."""
    citizen_ids = report_cache._citizen_ids(user, team_id, residence_basis)
    return list(selectors.measurement_counts_by_month(user, START, END, citizen_ids))


def _save(case, day, score, round_=None, *, citizen=None):
    """A round through the grid's service: the caseworker ``score`` on items
    1-12, the citizen ``score`` on item 13 (or the ``citizen`` scores)."""
    return progression_services.round_save(
        actor=None,
        case=case,
        measured_on=day,
        complete=True,
        round_=round_,
        version=None if round_ is None else round_.version,
        scores={
            "caseworker": dict.fromkeys(range(1, 13), score),
            "citizen": citizen or {13: score},
        },
    )


step_st = st.one_of(
    st.tuples(st.just("read")),
    st.tuples(st.just("score"), st.integers(0, 3), st.sampled_from(DAYS), st.integers(1, 5)),
    st.tuples(st.just("move"), st.integers(0, 3), st.sampled_from(DAYS)),
    st.tuples(st.just("team"), st.integers(0, 3)),
    st.tuples(st.just("note"), st.integers(0, 3)),
)
NARROWINGS = [(team, basis) for team in (None, "a", "b") for basis in (None, *ResidenceBasis)]


@pytest.mark.slow
@settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
@given(steps=st.lists(step_st, min_size=1, max_size=12))
def test_cached_months_equal_fresh_counts_with_changes_between_reads(
    steps, team_a, team_b, manager, caseworker_a, questionnaire
):
    teams = {"a": team_a, "b": team_b}
    try:
        with transaction.atomic():
            data_version.bump()  # the last example's rows are rolled back
            cases = [
                make_case(team=team_a, arrival=dt.date(2025, 6, 1)),
                make_case(team=team_b, arrival=dt.date(2025, 6, 1)),
                make_case(
                    team=team_a,
                    arrival=dt.date(2025, 6, 1),
                    residence_basis=ResidenceBasis.FAMILY_REUNIFIED,
                ),
                make_case(team=team_b, arrival=dt.date(2025, 6, 1)),
            ]
            for kind, *args in [*steps, ("read",)]:
                if kind == "read":  # every narrowing, so that a later read may hit the cache
                    for team, basis in NARROWINGS:
                        narrow = {
                            "team_id": teams[team].pk if team else None,
                            "residence_basis": basis,
                        }
                        cached = report_cache.measurement_counts_by_month(
                            manager, START, END, **narrow
                        )
                        assert cached == _fresh(manager, **narrow)
                    continue
                case = Case.objects.get(pk=cases[args[0]].pk)
                if kind == "score":
                    round_ = Round.objects.filter(case=case, measured_on=args[1]).first()
                    _save(case, args[1], args[2], round_)
                elif kind == "move":
                    round_ = Round.objects.filter(case=case).order_by("pk").first()
                    taken = Round.objects.filter(case=case, measured_on=args[1]).exists()
                    if round_ is not None and not taken:
                        _save(case, args[1], 2, round_)
                elif kind == "team":
                    team = team_b if case.team_id == team_a.pk else team_a
                    services.case_assign(
                        actor=None, case=case, version=case.version, team=team, caseworker=None
                    )
                else:
                    services.journal_note_create(
                        actor=caseworker_a, case=case, happened_on=END, text="Called."
                    )
            raise Rollback
    except Rollback:
        pass


@pytest.fixture
def counted(calls_to):
    """The ranges counted afresh, call by call."""
    return calls_to(selectors, "measurement_counts_by_month")


def _ranges(calls):
    return [args[1:3] for _name, args in calls]


def test_a_round_saved_voids_its_month_and_the_month_it_moved_from(
    team_a, manager, questionnaire, counted
):
    case = make_case(team=team_a, arrival=dt.date(2025, 6, 1))
    february = _save(case, dt.date(2026, 2, 3), 3)
    first = report_cache.measurement_counts_by_month(manager, START, END)
    assert _ranges(counted) == [(START, END)]
    # Worked by hand: one caseworker and one citizen measurement in February.
    assert [(r["month"].month, r["rater"], r["n"]) for r in first] == [
        (2, "caseworker", 1),
        (2, "citizen", 1),
    ]

    _save(case, dt.date(2026, 3, 15), 4)
    report_cache.measurement_counts_by_month(manager, START, END)
    assert _ranges(counted[1:]) == [(dt.date(2026, 3, 1), dt.date(2026, 3, 31))]

    february.refresh_from_db()
    _save(case, dt.date(2026, 4, 2), 5, february)  # February's round moves to April
    rows = report_cache.measurement_counts_by_month(manager, START, END)
    assert _ranges(counted[2:]) == [
        (dt.date(2026, 2, 1), END)
    ]  # February to April, March read again
    assert [(r["month"].month, r["rater"]) for r in rows] == [
        (3, "caseworker"),
        (3, "citizen"),
        (4, "caseworker"),
        (4, "citizen"),
    ]

    services.journal_note_create(actor=manager, case=case, happened_on=END, text="Called.")
    report_cache.measurement_counts_by_month(manager, START, END)
    assert len(counted) == 3  # a note counts nothing again


def test_a_caseworker_gets_the_cases_of_the_team_counted_afresh(
    team_a, team_b, caseworker_a, questionnaire, counted
):
    _save(make_case(team=team_a, arrival=dt.date(2025, 6, 1), caseworker=caseworker_a), START, 3)
    _save(make_case(team=team_b, arrival=dt.date(2025, 6, 1)), START, 3)
    for _ in range(2):
        rows = report_cache.measurement_counts_by_month(caseworker_a, START, END)
        assert [r["n"] for r in rows] == [1, 1]
    assert len(counted) == 2


def test_a_case_changed_leaves_the_whole_municipalitys_months_but_not_a_teams(
    team_a, team_b, manager, questionnaire, counted
):
    case = make_case(team=team_a, arrival=dt.date(2025, 6, 1))
    _save(case, dt.date(2026, 2, 3), 3)
    report_cache.measurement_counts_by_month(manager, START, END)
    report_cache.measurement_counts_by_month(manager, START, END, team_id=team_a.pk)
    assert len(counted) == 2
    case.refresh_from_db()
    services.case_assign(
        actor=manager, case=case, version=case.version, team=team_b, caseworker=None
    )
    everyone = report_cache.measurement_counts_by_month(manager, START, END)
    assert len(counted) == 2  # no case data in the whole municipality's counts
    assert [r["n"] for r in everyone] == [1, 1]
    # The team's citizens are case data: counted again, and the case is gone from them.
    assert report_cache.measurement_counts_by_month(manager, START, END, team_id=team_a.pk) == []
    assert len(counted) == 3
