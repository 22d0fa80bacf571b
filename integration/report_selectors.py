"""Aggregated reads for reports and dashboards: counts, never persons.

Every function aggregates in the database and returns plain numbers or
small rows per year, month, step or country. ``user`` is the reader: a
manager, the secretariat or an administrator (``view_aggregates`` or
``view_all_cases``); ``None`` is the system itself (a command run by cron).
``team_id`` and ``residence_basis`` narrow the population for the dashboard.
"""

from __future__ import annotations

import datetime as dt

from django.core.exceptions import PermissionDenied
from django.db import connection
from django.db.models import (
    BooleanField,
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    OuterRef,
    Q,
    QuerySet,
    Sum,
)
from django.db.models.functions import ExtractYear

from common import dates
from integration import deadlines
from integration.models import (
    EMPLOYED_OR_SELF_SUPPORTING,
    Case,
    CaseStatus,
    Citizen,
    ClosingReason,
    DanishAbsence,
    EmploymentSpell,
    FollowUp,
    LadderPlacement,
    Repatriation,
    ResidenceBasis,
    User,
)

# Closing reasons that take a person out of the municipality's population,
# for the adjusted denominator of the cohort table.
LEFT_REASONS = [
    ClosingReason.MOVED_AWAY,
    ClosingReason.REPATRIATED,
    ClosingReason.DECEASED,
    ClosingReason.PENSION,
]
# Ladder steps that are work or an internship (1–5; 6 is other activity).
WORK_OR_INTERNSHIP_STEPS = [1, 2, 3, 4, 5]


def _check(user: User | None) -> None:
    if user is None:
        return
    if not (
        user.is_authenticated
        and (
            user.has_perm("integration.view_aggregates")
            or user.has_perm("integration.view_all_cases")
        )
    ):
        raise PermissionDenied


def _citizens(
    user: User | None, *, team_id: int | None = None, residence_basis: str | None = None
) -> QuerySet[Citizen]:
    _check(user)
    qs = Citizen.objects.all()
    if team_id is not None:
        qs = qs.filter(case__team_id=team_id)
    if residence_basis:
        qs = qs.filter(residence_basis=residence_basis)
    return qs


def _active(day, prefix: str = "") -> Q:
    """A spell (start and end inclusive, empty end = ongoing) covering ``day``."""
    return Q(**{f"{prefix}start_date__lte": day}) & (
        Q(**{f"{prefix}end_date__isnull": True}) | Q(**{f"{prefix}end_date__gte": day})
    )


def _employed_on(day) -> Exists:
    """The citizen (OuterRef pk) is employed or self-supporting on ``day``."""
    return Exists(
        EmploymentSpell.objects.filter(
            Q(case__citizen=OuterRef("pk"), category__in=EMPLOYED_OR_SELF_SUPPORTING) & _active(day)
        )
    )


def in_programme_q(day: dt.date) -> Q:
    """Arrived by ``day`` and the case not closed before it."""
    return Q(arrival_date__lte=day) & (
        Q(case__status=CaseStatus.OPEN, case__closed_on__isnull=True) | Q(case__closed_on__gt=day)
    )


def _adult_cutoff(day: dt.date) -> dt.date:
    """Born on or before this date = 18 or over on ``day``."""
    return dates.add_months(day, -12 * 18)


# --- cohort outcomes ----------------------------------------------------------


def cohort_bases(*, include_family: bool = False, include_ukraine: bool = False) -> list[str]:
    """The residence bases of the cohort table: refugees, as in the seeds'
    table 2.1, and by option the family reunified and those displaced from
    Ukraine (the special act's people, who arrived after the seeds' years)."""
    bases = [ResidenceBasis.REFUGEE]
    if include_family:
        bases.append(ResidenceBasis.FAMILY_REUNIFIED)
    if include_ukraine:
        bases.append(ResidenceBasis.UKRAINE)
    return bases


# The columns of cohort_counts' rows, in the order its query counts them.
COHORT_COUNT_KEYS = (
    "year",
    "persons",
    "reached_6m",
    "reached_12m",
    "employed_6m",
    "employed_12m",
    "employed_as_of",
    "left_6m",
    "left_12m",
    "left_as_of",
    "employed_6m_stayed",
    "employed_12m_stayed",
    "employed_as_of_stayed",
)


def cohort_counts(
    user: User | None,
    *,
    as_of: dt.date,
    include_family: bool = False,
    include_ukraine: bool = False,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    """Per arrival year: the counts behind the cohort outcome table (seed 001, 2.1).

    Population: refugees (and, optionally, family reunified and those displaced
    from Ukraine) aged 18 or over at arrival, arrived on or before ``as_of``;
    ``residence_basis`` (the dashboard's filter) takes that basis alone instead.
    For each horizon (6 and 12 months after arrival, and ``as_of`` itself) it
    counts who had reached it, who was employed or self-supporting on that day
    (spell ends inclusive), and who had left (closed as moved away,
    repatriated, deceased or pension) by then.
    """
    bases = cohort_bases(include_family=include_family, include_ukraine=include_ukraine)
    if residence_basis:
        bases = [residence_basis]
    qs = _citizens(user, team_id=team_id).filter(
        residence_basis__in=bases, adult_at_arrival=True, arrival_date__lte=as_of
    )
    left = Q(case__closing_reason__in=LEFT_REASONS)

    def left_by(day) -> ExpressionWrapper:
        return ExpressionWrapper(left & Q(case__closed_on__lte=day), output_field=BooleanField())

    # One row per citizen with each flag worked out once; counted per year
    # below. Employment on the three days is one pass over the population's
    # employment spells, grouped per citizen: as a subquery per citizen and
    # day (EXISTS), the database probed each citizen's spells three times
    # (at 100,000 citizens 1.4 s instead of 0.35 s).
    population = (
        qs.annotate(
            year=ExtractYear("arrival_date"),
            case_id=F("case__id"),
            l6=left_by(F("horizon_6m")),
            l12=left_by(F("horizon_12m")),
            la=left_by(as_of),
        )
        .values("id", "year", "case_id", "horizon_6m", "horizon_12m", "l6", "l12", "la")
        .order_by()
    )
    inner, params = population.query.sql_with_params()
    categories = [str(c) for c in EMPLOYED_OR_SELF_SUPPORTING]

    def employed(day: str) -> str:
        active = (
            f"spell.start_date <= {day} AND (spell.end_date IS NULL OR spell.end_date >= {day})"
        )
        return f"MAX(CASE WHEN {active} THEN 1 ELSE 0 END)"

    sql = f"""
        WITH population AS ({inner}),
        employed AS (
            SELECT population.id,
                   {employed("population.horizon_6m")} AS e6,
                   {employed("population.horizon_12m")} AS e12,
                   {employed("%s")} AS ea
            FROM population
            INNER JOIN {EmploymentSpell._meta.db_table} spell
                ON spell.case_id = population.case_id
            WHERE spell.category IN ({", ".join(["%s"] * len(categories))})
            GROUP BY population.id
        ),
        flags AS (
            SELECT population.*, employed.e6 = 1 AS e6, employed.e12 = 1 AS e12,
                   employed.ea = 1 AS ea
            FROM population LEFT OUTER JOIN employed ON employed.id = population.id
        )
        SELECT year, COUNT(*),
               COUNT(CASE WHEN horizon_6m <= %s THEN 1 END),
               COUNT(CASE WHEN horizon_12m <= %s THEN 1 END),
               COUNT(CASE WHEN e6 THEN 1 END),
               COUNT(CASE WHEN e12 THEN 1 END),
               COUNT(CASE WHEN ea THEN 1 END),
               COUNT(CASE WHEN l6 THEN 1 END),
               COUNT(CASE WHEN l12 THEN 1 END),
               COUNT(CASE WHEN la THEN 1 END),
               COUNT(CASE WHEN e6 AND NOT COALESCE(l6, FALSE) THEN 1 END),
               COUNT(CASE WHEN e12 AND NOT COALESCE(l12, FALSE) THEN 1 END),
               COUNT(CASE WHEN ea AND NOT COALESCE(la, FALSE) THEN 1 END)
        FROM flags
        GROUP BY year
        ORDER BY year"""
    with connection.cursor() as cursor:
        cursor.execute(sql, [*params, as_of, as_of, *categories, as_of, as_of])
        # Whole numbers: PostgreSQL's EXTRACT gives the year as a decimal.
        rows = [[int(value) for value in row] for row in cursor.fetchall()]
    return [dict(zip(COHORT_COUNT_KEYS, row, strict=True)) for row in rows]


def cohort_leavers(
    user: User | None,
    *,
    as_of: dt.date,
    include_family: bool = False,
    include_ukraine: bool = False,
) -> dict[str, int]:
    """Per closing reason: how many of the cohort table's population (as in
    :func:`cohort_counts`) had left by ``as_of`` (moved away, repatriated,
    deceased or pension): the footnote of the adjusted denominator."""
    bases = cohort_bases(include_family=include_family, include_ukraine=include_ukraine)
    rows = (
        _citizens(user)
        .filter(
            residence_basis__in=bases,
            adult_at_arrival=True,
            arrival_date__lte=as_of,
            case__closing_reason__in=LEFT_REASONS,
            case__closed_on__lte=as_of,
        )
        .values("case__closing_reason")
        .annotate(n=Count("id"))
    )
    counts = {str(reason): 0 for reason in LEFT_REASONS}
    counts.update({r["case__closing_reason"]: r["n"] for r in rows})
    return counts


# --- the programme on a day -----------------------------------------------------


def arrivals(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    """Arrivals with ``start <= arrival <= end``, by residence basis (each apart)
    and age."""
    qs = _citizens(user, team_id=team_id, residence_basis=residence_basis).filter(
        arrival_date__gte=start, arrival_date__lte=end
    )
    return qs.aggregate(
        total=Count("id"),
        refugees=Count("id", filter=Q(residence_basis=ResidenceBasis.REFUGEE)),
        family_reunified=Count("id", filter=Q(residence_basis=ResidenceBasis.FAMILY_REUNIFIED)),
        displaced_ukraine=Count("id", filter=Q(residence_basis=ResidenceBasis.UKRAINE)),
        adults=Count("id", filter=Q(adult_at_arrival=True)),
    )


def arrivals_by_month(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    from django.db.models.functions import TruncMonth

    return list(
        _citizens(user, team_id=team_id, residence_basis=residence_basis)
        .filter(arrival_date__gte=start, arrival_date__lte=end)
        .annotate(month=TruncMonth("arrival_date"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )


def _step_on(day: dt.date):
    """The citizen's (OuterRef pk) ladder step on ``day``: the spell that started last."""
    from django.db.models import Subquery

    return Subquery(
        LadderPlacement.objects.filter(Q(case__citizen=OuterRef("pk")) & _active(day))
        .order_by("-start_date", "-id")
        .values("step")[:1]
    )


def placement_delays(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    today: dt.date,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    """Adults arriving in [start, end]: how many, how many placed within 96 hours,
    how many not placed, and the days from arrival to first placement as a
    histogram ``{days: count}`` (for the median)."""
    qs = _citizens(user, team_id=team_id, residence_basis=residence_basis).filter(
        arrival_date__gte=start, arrival_date__lte=end, adult_at_arrival=True
    )
    limit = F("arrival_date") + dt.timedelta(days=deadlines.FIRST_PLACEMENT_DAYS)
    totals = qs.aggregate(
        arrivals=Count("id"),
        within=Count("id", filter=Q(case__first_placement_on__lte=limit)),
        not_placed=Count("id", filter=Q(case__first_placement_on__isnull=True)),
    )
    delay = ExpressionWrapper(
        F("case__first_placement_on") - F("arrival_date"), output_field=DurationField()
    )
    histogram: dict[int, int] = {}
    for row in (
        qs.filter(case__first_placement_on__isnull=False)
        .annotate(delay=delay)
        .values("delay")
        .annotate(n=Count("id"))
    ):
        days = row["delay"].days if isinstance(row["delay"], dt.timedelta) else int(row["delay"])
        histogram[days] = histogram.get(days, 0) + row["n"]
    totals["delay_days"] = histogram
    return totals


# --- deadlines ----------------------------------------------------------------


def follow_up_compliance(
    user: User | None,
    day: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    """Adults in the programme on ``day`` and whether their follow-up is up to date:
    a follow-up in the 3 calendar months up to ``day``, or arrival within them.

    Adults are 18 or over on ``day`` (as in ``report_days.programme_counts_on_days``): the act's
    programme and its follow-ups are for those who have turned 18, including
    those who arrived as children; a child's case carries the guardian's
    follow-ups, which are not the child's deadline."""
    since = dates.add_months(day, -deadlines.FOLLOW_UP_MONTHS)
    recent = Exists(
        FollowUp.objects.filter(case__citizen=OuterRef("pk"), held_on__gt=since, held_on__lte=day)
    )
    return (
        _citizens(user, team_id=team_id, residence_basis=residence_basis)
        .filter(in_programme_q(day), birth_date__lte=_adult_cutoff(day))
        .annotate(recent=recent)
        .aggregate(
            open_cases=Count("id"),
            up_to_date=Count("id", filter=Q(recent=True) | Q(arrival_date__gt=since)),
        )
    )


# The counts ``overdue_by_team`` gives each team.
TEAM_COUNTS = ("open_cases", "overdue", "breaches_open", "without_caseworker")


def overdue_by_team(
    user: User | None,
    today: dt.date,
    *,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[dict]:
    """Open cases, overdue deadlines and adults' 96-hour breaches per team."""
    _check(user)
    from integration.models import Team

    due = today - dt.timedelta(days=deadlines.FIRST_PLACEMENT_DAYS)
    open_case = Q(cases__status=CaseStatus.OPEN)
    if residence_basis:
        open_case &= Q(cases__citizen__residence_basis=residence_basis)
    teams = Team.objects.all() if team_id is None else Team.objects.filter(pk=team_id)
    rows = teams.annotate(
        open_cases=Count("cases", filter=open_case),
        overdue=Count("cases", filter=open_case & Q(cases__next_deadline__lt=today)),
        breaches_open=Count(
            "cases",
            filter=open_case
            & Q(cases__citizen__adult_at_arrival=True)
            & (
                Q(cases__first_placement_on__isnull=True, cases__citizen__arrival_date__lt=due)
                | Q(
                    cases__first_placement_on__gt=F("cases__citizen__arrival_date")
                    + dt.timedelta(days=deadlines.FIRST_PLACEMENT_DAYS)
                )
            ),
        ),
        without_caseworker=Count("cases", filter=open_case & Q(cases__caseworker__isnull=True)),
    ).order_by("name")
    return list(rows.values("id", "name", *TEAM_COUNTS))


def team_totals(teams: list[dict]) -> dict[str, int]:
    """The sums over all teams of ``overdue_by_team``'s counts."""
    return {key: sum(team[key] for team in teams) for key in TEAM_COUNTS}


# --- Danish, repatriation -------------------------------------------------------


def danish_absence_by_month(user: User | None, start: dt.date, end: dt.date) -> list[dict]:
    from django.db.models import Avg

    _check(user)
    return list(
        DanishAbsence.objects.filter(month__gte=start.replace(day=1), month__lte=end)
        .values("month")
        .annotate(mean=Avg("absence_percent"), n=Count("id"))
        .order_by("month")
    )


def repatriations_by_year_and_country(
    user: User | None, start: dt.date, end: dt.date
) -> list[dict]:
    """Households, adults and children who left in [start, end], per year and country."""
    _check(user)
    return list(
        Repatriation.objects.filter(left_on__gte=start, left_on__lte=end)
        .annotate(year=ExtractYear("left_on"))
        .values("year", "destination_country")
        .annotate(households=Count("id"), adults=Sum("adults"), children=Sum("children"))
        .order_by("year", "destination_country")
    )


def open_dialogue_topics(
    user: User | None, *, team_id: int | None = None, residence_basis: str | None = None
) -> int:
    _check(user)
    qs = Case.objects.filter(status=CaseStatus.OPEN)
    if team_id is not None:
        qs = qs.filter(team_id=team_id)
    if residence_basis:
        qs = qs.filter(citizen__residence_basis=residence_basis)
    return qs.aggregate(n=Sum("open_topics"))["n"] or 0


# --- the monthly follow-up's further counts ----------------------------------
