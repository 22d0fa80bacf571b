"""The case figures cached (the ladder and the programme day by day,
arrivals, placements, deadlines, cohorts) equal the figures counted afresh,
on random histories changed through the services between the reads; a new
score or note leaves them cached, a placement does not."""

import datetime as dt

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from common import data_version
from integration import models, report_cache, report_days, services
from integration import report_selectors as rs
from tests.factories import make_case, place
from tests.integration.test_report_days import (
    MONTH_ENDS,
    POINTS,
    Rollback,
    _make_history,
    ask_st,
    citizen_st,
    days_st,
    narrow_st,
)

pytestmark = pytest.mark.django_db

# What may happen between two reads: every kind of change the counts read,
# made through its service, and changes they do not read.
spell_st = st.tuples(days_st, st.one_of(st.none(), days_st)).map(
    lambda s: (s[0], None if s[1] is None else max(s))
)
write_st = st.one_of(
    st.tuples(st.just("place"), st.sampled_from(list(models.LadderStep)), spell_st),
    st.tuples(st.just("end_placement"), days_st),
    st.tuples(st.just("enrol"), spell_st),
    st.tuples(st.just("employ"), st.sampled_from(list(models.EmploymentCategory)), spell_st),
    # Facts no count reads, which move the case's deadlines (or not).
    st.tuples(st.just("follow_up"), days_st),
    st.tuples(st.just("health"), days_st),
    st.tuples(st.just("close"), days_st),
    st.tuples(st.just("reopen")),
    st.tuples(st.just("move_team")),
    st.tuples(st.just("citizen"), st.sampled_from(list(models.ResidenceBasis)), days_st),
    st.tuples(st.just("note")),
)
read_st = st.tuples(st.just("read"), st.lists(ask_st, min_size=1, max_size=4), narrow_st)
step_st = st.tuples(st.integers(min_value=0, max_value=5), st.one_of(read_st, write_st))


def _write(write, case, teams, provider, writer):
    kind, *args = write
    case = models.Case.objects.select_related("citizen").get(pk=case.pk)
    if kind == "place":
        step, (start, end) = args
        fact = models.LadderPlacement(step=step, start_date=start, end_date=end)
    elif kind == "end_placement":
        fact = models.LadderPlacement.objects.filter(case=case).order_by("-id").first()
        if fact is None:
            return
        fact.end_date = max(args[0], fact.start_date)
        services.fact_save(actor=None, case=case, fact=fact, version=fact.version)
        return
    elif kind == "enrol":
        start, end = args[0]
        fact = models.DanishCourse(provider=provider, module="DU2", start_date=start, end_date=end)
    elif kind == "employ":
        category, (start, end) = args
        fact = models.EmploymentSpell(category=category, start_date=start, end_date=end)
    elif kind == "follow_up":
        fact = models.FollowUp(held_on=args[0], repatriation_guidance_given=True)
    elif kind == "health":
        fact = models.HealthAssessment(offered_on=args[0])
    elif kind in ("close", "reopen"):
        closing = kind == "close"
        if (case.status == models.CaseStatus.OPEN) != closing:
            return
        services.case_transition(
            actor=None,
            case=case,
            version=case.version,
            to_status=models.CaseStatus.CLOSED if closing else models.CaseStatus.OPEN,
            on=args[0] if closing else dt.date(2026, 3, 1),
            reason=models.ClosingReason.MOVED_AWAY if closing else "",
            note="" if closing else "Back again.",
        )
        return
    elif kind == "move_team":
        team = teams["b"] if case.team_id == teams["a"].pk else teams["a"]
        services.case_assign(
            actor=None, case=case, version=case.version, team=team, caseworker=None
        )
        return
    elif kind == "citizen":
        basis, arrival = args
        services.citizen_update(
            actor=None,
            case=case,
            version=case.version,
            residence_basis=basis,
            arrival_date=max(arrival, case.citizen.birth_date),
        )
        return
    else:
        services.journal_note_create(
            actor=writer, case=case, happened_on=dt.date(2026, 3, 1), text="Spoke on the phone."
        )
        return
    services.fact_save(actor=None, case=case, fact=fact)


def _assert_cached_equal_live(days, narrow, teams):
    options = {
        "team_id": teams[narrow["team"]].pk if narrow["team"] else None,
        "residence_basis": narrow["residence_basis"],
    }
    assert report_cache.ladder_on_days(None, days, **options) == report_days.ladder_on_days(
        None, days, **options
    )
    for day in days:
        live = report_days.programme_counts_on_days(None, [day], **options)[day]
        assert report_cache.programme_counts(None, day, **options) == live
    # The dashboard's other case figures, over the period the days end.
    start, end, today = dt.date(2025, 12, 1), max(days), dt.date(2026, 3, 2)
    for name, args, kwargs in (
        ("arrivals", (start, end), options),
        ("arrivals_by_month", (start, end), options),
        ("placement_delays", (start, end), {"today": today, **options}),
        ("overdue_by_team", (today,), options),
        ("cohort_counts", (), {"as_of": end, **options}),
    ):
        cached = getattr(report_cache, name)(None, *args, **kwargs)
        assert cached == getattr(rs, name)(None, *args, **kwargs), name


@pytest.mark.slow
@settings(max_examples=60, deadline=None, suppress_health_check=list(HealthCheck))
@given(
    citizens=st.lists(citizen_st, min_size=1, max_size=5),
    steps=st.lists(step_st, min_size=1, max_size=12),
)
def test_cached_counts_equal_fresh_counts_with_changes_between_reads(
    citizens, steps, team_a, team_b, provider_org, caseworker_a
):
    teams = {"a": team_a, "b": team_b}
    try:
        with transaction.atomic():
            _make_history(citizens, teams, provider_org)
            # The history is written straight to the tables, as an import
            # would write it, and like an import it moves the version; so
            # does the rollback of the last example's history.
            data_version.bump()
            cases = list(models.Case.objects.order_by("pk"))
            for which, step in steps:
                if step[0] == "read":
                    _assert_cached_equal_live(step[1], step[2], teams)
                    continue
                try:
                    _write(step, cases[which % len(cases)], teams, provider_org, caseworker_a)
                except ValidationError:
                    pass  # refused, and nothing changed
            _assert_cached_equal_live(MONTH_ENDS, {"team": None, "residence_basis": None}, teams)
            raise Rollback
    except Rollback:
        pass


# --- what voids the cache ------------------------------------------------------------


@pytest.fixture
def counted(calls_to):
    """``report_days``'s counts made afresh, call by call."""
    return calls_to(report_days, "ladder_on_days", "programme_counts_on_days")


def _days(calls):
    return [(name, sorted(args[1])) for name, args in calls]


def test_past_days_are_counted_once_and_only_the_new_day_afresh(team_a, counted):
    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    place(case, step=models.LadderStep.ORDINARY, start=dt.date(2026, 1, 10))
    first = report_cache.ladder_on_days(None, MONTH_ENDS)
    later = report_cache.ladder_on_days(None, [*MONTH_ENDS, dt.date(2026, 3, 31)])

    # Worked by hand: placed on step 1 from 10 January on, so on every day asked.
    assert first == {day: {models.LadderStep.ORDINARY: 1} for day in MONTH_ENDS}
    assert later[dt.date(2026, 3, 31)] == {models.LadderStep.ORDINARY: 1}
    assert _days(counted) == [
        ("ladder_on_days", MONTH_ENDS),
        ("ladder_on_days", [dt.date(2026, 3, 31)]),
    ]


def test_a_new_score_or_note_leaves_the_counts_cached_a_placement_voids_them(
    team_a, caseworker_a, questionnaire, counted
):
    from tests.progression.test_report_cache import _save as save_round

    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    day = POINTS[-1]
    assert report_cache.ladder_on_days(None, [day]) == {day: {None: 1}}
    assert report_cache.programme_counts(None, day)["adults"] == 1
    before = len(counted)

    save_round(case, day, 3)
    services.journal_note_create(
        actor=caseworker_a, case=case, happened_on=day, text="Met at the school."
    )
    assert report_cache.ladder_on_days(None, [day]) == {day: {None: 1}}
    assert report_cache.programme_counts(None, day)["adults"] == 1
    assert len(counted) == before  # nothing counted again

    place(case, step=models.LadderStep.INTERNSHIP_PUBLIC, start=dt.date(2026, 1, 5))
    assert report_cache.ladder_on_days(None, [day]) == {
        day: {models.LadderStep.INTERNSHIP_PUBLIC: 1}
    }
    assert _days(counted[before:]) == [("ladder_on_days", [day])]


@pytest.mark.parametrize(
    "write, key, after",
    [
        (("close", dt.date(2026, 1, 15)), "total", 0),
        (("move_team",), "total", 0),
        (("citizen", models.ResidenceBasis.FAMILY_REUNIFIED, dt.date(2025, 12, 1)), "total", 0),
        (("enrol", (dt.date(2026, 1, 1), None)), "adults_in_course", 1),
    ],
)
def test_changes_the_counts_read_void_them(
    write, key, after, team_a, team_b, provider_org, caseworker_a, counted
):
    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    day = MONTH_ENDS[-1]
    narrow = {"team_id": team_a.pk, "residence_basis": models.ResidenceBasis.REFUGEE}
    assert report_cache.programme_counts(None, day, **narrow)["total"] == 1
    _write(write, case, {"a": team_a, "b": team_b}, provider_org, caseworker_a)
    assert report_cache.programme_counts(None, day, **narrow)[key] == after
    assert [name for name, _args in counted] == ["programme_counts_on_days"] * 2


# Every case figure of the dashboard, by the name of the function that counts it.
EVERY_FIGURE = {
    "ladder_on_days",
    "programme_counts_on_days",
    "arrivals",
    "arrivals_by_month",
    "placement_delays",
    "overdue_by_team",
    "cohort_counts",
}


def _read_every_figure(day: dt.date) -> None:
    start, today = dt.date(2025, 12, 1), dt.date(2026, 3, 2)
    report_cache.ladder_on_days(None, [day])
    report_cache.programme_counts(None, day)
    report_cache.arrivals(None, start, day)
    report_cache.arrivals_by_month(None, start, day)
    report_cache.placement_delays(None, start, day, today=today)
    report_cache.overdue_by_team(None, today)
    report_cache.cohort_counts(None, as_of=day)


@pytest.mark.parametrize(
    "new_fact, counted_again",
    [
        # A second placement: the first (3 December) and the deadlines stay.
        pytest.param(
            lambda provider: models.LadderPlacement(
                step=models.LadderStep.ORDINARY, start_date=dt.date(2026, 2, 2)
            ),
            {"ladder_on_days", "programme_counts_on_days"},
            id="second-placement",
        ),
        pytest.param(
            lambda provider: models.DanishCourse(
                provider=provider, module="DU2", start_date=dt.date(2026, 1, 5)
            ),
            {"programme_counts_on_days"},
            id="course",
        ),
        pytest.param(
            lambda provider: models.EmploymentSpell(
                category=models.EmploymentCategory.ORDINARY_EMPLOYMENT,
                start_date=dt.date(2026, 2, 1),
            ),
            {"programme_counts_on_days", "cohort_counts"},
            id="employment",
        ),
        # Worked by hand: arrived 1 December 2025, placed 3 December, so the
        # next deadline is the contract's, 1 January 2026 (health and
        # follow-up are due 1 March). A follow-up or a health offer leaves it;
        # the contract signed moves it to 1 March.
        pytest.param(
            lambda provider: models.FollowUp(held_on=dt.date(2026, 1, 10)), set(), id="follow-up"
        ),
        pytest.param(
            lambda provider: models.HealthAssessment(offered_on=dt.date(2026, 1, 10)),
            set(),
            id="health-offer",
        ),
        pytest.param(
            lambda provider: models.IntegrationContract(signed_on=dt.date(2026, 1, 10)),
            {"overdue_by_team", "placement_delays"},
            id="contract",
        ),
    ],
)
def test_a_fact_voids_the_figures_that_read_its_kind_or_the_deadlines_it_moved(
    new_fact, counted_again, team_a, provider_org, calls_to
):
    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    place(case, step=models.LadderStep.INTERNSHIP_PUBLIC, start=dt.date(2025, 12, 3))
    deadlines_before = models.Case.objects.values_list("next_deadline", "first_placement_on")
    assert list(deadlines_before) == [(dt.date(2026, 1, 1), dt.date(2025, 12, 3))]
    day = MONTH_ENDS[-1]
    counted = calls_to(report_days, "ladder_on_days", "programme_counts_on_days")
    calls_to(rs, *(EVERY_FIGURE - {"ladder_on_days", "programme_counts_on_days"}))
    _read_every_figure(day)
    assert {name for name, _args in counted} == EVERY_FIGURE
    counted.clear()

    services.fact_save(actor=None, case=case, fact=new_fact(provider_org))
    _read_every_figure(day)

    assert {name for name, _args in counted} == counted_again
    # And what stayed cached is what a fresh count gives.
    _assert_cached_equal_live([day], {"team": None, "residence_basis": None}, {"a": team_a})


def test_a_first_placement_voids_the_ladder_and_the_deadlines(team_a, calls_to):
    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    day = MONTH_ENDS[-1]
    counted = calls_to(report_days, "ladder_on_days", "programme_counts_on_days")
    calls_to(rs, *(EVERY_FIGURE - {"ladder_on_days", "programme_counts_on_days"}))
    _read_every_figure(day)
    counted.clear()

    place(case, step=models.LadderStep.INTERNSHIP_PUBLIC, start=dt.date(2025, 12, 8))
    _read_every_figure(day)

    assert {name for name, _args in counted} == {
        "ladder_on_days",
        "programme_counts_on_days",
        "overdue_by_team",
        "placement_delays",
    }
    assert report_cache.placement_delays(
        None, dt.date(2025, 12, 1), day, today=dt.date(2026, 3, 2)
    ) == rs.placement_delays(None, dt.date(2025, 12, 1), day, today=dt.date(2026, 3, 2))


def test_an_employment_import_voids_what_reads_employment_and_a_repeat_voids_nothing(
    team_a, calls_to
):
    from integration import imports

    case = make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    place(case, step=models.LadderStep.INTERNSHIP_PUBLIC, start=dt.date(2025, 12, 3))
    extract = (
        "cpr,start_date,end_date,category\n"
        f"{case.citizen.cpr},2026-01-05,,{models.EmploymentCategory.ORDINARY_EMPLOYMENT.value}\n"
    )
    day = MONTH_ENDS[-1]
    counted = calls_to(report_days, "ladder_on_days", "programme_counts_on_days")
    calls_to(rs, *(EVERY_FIGURE - {"ladder_on_days", "programme_counts_on_days"}))
    _read_every_figure(day)
    counted.clear()

    assert imports.import_employment(extract).created == 1
    _read_every_figure(day)
    assert {name for name, _args in counted} == {"programme_counts_on_days", "cohort_counts"}
    assert report_cache.programme_counts(None, day)["adults_employed"] == 1
    counted.clear()

    # The next month's extract repeats the spell: the import names the
    # citizen in the access log and moves no figure.
    assert imports.import_employment(extract).unchanged == 1
    _read_every_figure(day)
    assert counted == []


def test_a_refused_user_is_refused_when_the_counts_are_cached(
    team_a, caseworker_a, provider_user, manager
):
    make_case(team=team_a, arrival=dt.date(2025, 12, 1))
    day = MONTH_ENDS[0]
    assert report_cache.ladder_on_days(manager, [day]) == {day: {None: 1}}
    assert report_cache.programme_counts(manager, day)["total"] == 1
    for user in (caseworker_a, provider_user):
        with pytest.raises(PermissionDenied):
            report_cache.ladder_on_days(user, [day])
        with pytest.raises(PermissionDenied):
            report_cache.programme_counts(user, day)
