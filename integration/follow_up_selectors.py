"""Aggregated reads for the monthly follow-up's newer tables: employment by
ladder step, follow-ups and repatriation guidance, reception and moving away,
and the contract and plan deadlines.

The same rules as ``integration.report_selectors``: counts, never persons,
for a reader with ``view_aggregates`` or ``view_all_cases`` (``None``: the
system itself).
"""

from __future__ import annotations

import datetime as dt

from django.db.models import (
    BooleanField,
    Count,
    Exists,
    Func,
    OuterRef,
    Q,
    Sum,
)
from django.db.models.functions import ExtractDay, ExtractMonth, ExtractYear
from django.db.models.lookups import GreaterThanOrEqual

from common import dates
from integration import deadlines, kept_figures
from integration.models import (
    ClosingReason,
    FiguresRead,
    FollowUp,
    HealthAssessment,
    HousingPlacement,
    IntegrationContract,
    IntegrationPlan,
    PlanStatus,
    Repatriation,
    ResidenceBasis,
    ScreeningVisit,
    User,
)
from integration.models.people import ADULT_AGE
from integration.report_selectors import (
    _adult_cutoff,
    _check,
    _citizens,
    _employed_on,
    _step_on,
    in_programme_q,
)


def _day_number(expression):
    """A date as the number YYYYMMDD: two of them differ by 180000 or more exactly
    when the later day is on or after the 18th birthday the earlier one gives."""
    return ExtractYear(expression) * 10000 + ExtractMonth(expression) * 100 + ExtractDay(expression)


class AdultOn(Func):
    """Whether one born on the second date is 18 or over on the first: born on
    or before ``report_selectors._adult_cutoff(day)`` (one born on 29 February
    comes of age on 1 March in a year without one)."""

    arity = 2
    output_field = BooleanField()

    def as_sql(self, compiler, connection, **extra_context):
        day, birth = self.get_source_expressions()
        of_age = GreaterThanOrEqual(_day_number(day), _day_number(birth) + ADULT_AGE * 10000)
        return compiler.compile(of_age.resolve_expression(compiler.query))

    def as_postgresql(self, compiler, connection, **extra_context):
        # A day less whole years, a 29 February the year lacks clipped to the
        # 28th, as add_months clips it: 2,5 times as fast as the numbers over
        # 1,5 million follow-ups.
        day, birth = (compiler.compile(e) for e in self.get_source_expressions())
        sql = f"({birth[0]} <= ({day[0]} - INTERVAL '{int(ADULT_AGE)} years')::date)"
        return sql, (*birth[1], *day[1])


def _month_number(field: str):
    """A date as (YYYY * 12 + MM) * 100 + DD: ``b`` is at most ``n`` calendar months
    after ``a`` (``common.dates.add_months``: a missing day is the month's last)
    exactly when ``number(b) <= number(a) + 100 * n``."""
    return (ExtractYear(field) * 12 + ExtractMonth(field)) * 100 + ExtractDay(field)


def employed_by_step(user: User | None, day: dt.date) -> dict[int | None, int]:
    """Adults in the programme on ``day`` who are employed or self-supporting then
    (``programme_counts``' ``adults_employed``), by their ladder step that day as
    ``ladder_on`` counts it (None = no placement)."""
    rows = (
        _citizens(user)
        .filter(in_programme_q(day), birth_date__lte=_adult_cutoff(day))
        .filter(_employed_on(day))
        .annotate(step=_step_on(day))
        .values("step")
        .annotate(n=Count("id"))
    )
    return {row["step"]: row["n"] for row in rows}


def _adult_follow_ups(start: dt.date, end: dt.date, *, per: str):
    """Follow-ups held in [start, end] with citizens who were 18 or over that day,
    ``held`` and ``guided`` per ``per`` ("year" or "month" of the day held)."""
    extract = {"year": ExtractYear, "month": ExtractMonth}[per]
    return (
        FollowUp.objects.filter(held_on__gte=start, held_on__lte=end)
        .filter(AdultOn("held_on", "case__citizen__birth_date"))
        .annotate(**{per: extract("held_on")})
        .values(per)
        .annotate(held=Count("id"), guided=Count("id", filter=Q(repatriation_guidance_given=True)))
        .order_by(per)
    )


def follow_ups_by_year(user: User | None, start: dt.date, end: dt.date) -> list[dict]:
    """Follow-ups held in [start, end] with citizens who were 18 or over that day,
    per year: ``held``, and ``guided`` (repatriation guidance given). A child's
    case carries copies of the guardian's follow-ups; they are not counted twice."""
    _check(user)
    years = [
        (max(start, dt.date(year, 1, 1)), min(end, dt.date(year, 12, 31)))
        for year in range(start.year, end.year + 1)
    ]

    def count(missing: list[tuple[dt.date, dt.date]]) -> dict:
        counted = _adult_follow_ups(missing[0][0], missing[-1][1], per="year")
        rows = {row["year"]: row for row in counted}
        return {year: rows.get(year[0].year, {}) for year in missing}  # {}: none held

    # A past year stays as it was until a change of a case reaches back to it
    # (``kept_figures``): the review's years since 2000 are read, not counted.
    found = kept_figures.kept_periods("follow_ups_by_year", years, count, reads=FiguresRead.CASES)
    return [found[year] for year in years if found[year]]


def _months(rows, last_month: int, keys: tuple[str, ...]) -> list[dict]:
    """Grouped rows (``month`` 1–12 and ``keys``) as one dict per month from
    January to ``last_month``; a month without a row counts 0."""
    by_month = {row["month"]: row for row in rows}
    return [
        {key: int(by_month.get(m, {}).get(key) or 0) for key in keys}
        for m in range(1, last_month + 1)
    ]


def _year_through(year: int, last_month: int) -> tuple[dt.date, dt.date]:
    return dt.date(year, 1, 1), dates.month_end(dt.date(year, last_month, 1))


def follow_ups_by_month(user: User | None, year: int, last_month: int) -> list[dict]:
    """``follow_ups_by_year``'s counts for each month of ``year`` from January to
    ``last_month``, in one query (January first; a month without any is 0)."""
    _check(user)
    start, end = _year_through(year, last_month)
    return _months(_adult_follow_ups(start, end, per="month"), last_month, ("held", "guided"))


def health_offers_by_month(user: User | None, year: int, last_month: int) -> list[dict]:
    """``report_selectors.health_offer_compliance`` for each month of ``year`` from
    January to ``last_month`` (the month the 3-month deadline fell in), in one query."""
    start, end = _year_through(year, last_month)
    offered = Exists(
        HealthAssessment.objects.filter(
            case__citizen=OuterRef("pk"), offered_on__lte=OuterRef("horizon_3m")
        )
    )
    rows = (
        _citizens(user)
        .filter(horizon_3m__gte=start, horizon_3m__lte=end)
        .annotate(offered=offered, month=ExtractMonth("horizon_3m"))
        .values("month")
        .annotate(due=Count("id"), on_time=Count("id", filter=Q(offered=True)))
        .order_by("month")
    )
    return _months(rows, last_month, ("due", "on_time"))


def repatriations_by_month(user: User | None, year: int, last_month: int) -> list[dict]:
    """Households and persons (adults and children) who left in each month of
    ``year`` from January to ``last_month``, in one query."""
    _check(user)
    start, end = _year_through(year, last_month)
    rows = (
        Repatriation.objects.filter(left_on__gte=start, left_on__lte=end)
        .annotate(month=ExtractMonth("left_on"))
        .values("month")
        .annotate(households=Count("id"), adults=Sum("adults"), children=Sum("children"))
        .order_by("month")
    )
    months = _months(rows, last_month, ("households", "adults", "children"))
    return [{"households": m["households"], "persons": m["adults"] + m["children"]} for m in months]


def moved_away_by_month(user: User | None, year: int, last_month: int) -> list[int]:
    """Citizens whose case was closed as moved away, in each month of ``year``
    from January to ``last_month`` (the month of closing), in one query."""
    start, end = _year_through(year, last_month)
    rows = (
        _citizens(user)
        .filter(
            case__closing_reason=ClosingReason.MOVED_AWAY,
            case__closed_on__gte=start,
            case__closed_on__lte=end,
        )
        .annotate(month=ExtractMonth("case__closed_on"))
        .values("month")
        .annotate(n=Count("id"))
        .order_by("month")
    )
    return [m["n"] for m in _months(rows, last_month, ("n",))]


def reception_by_month(user: User | None, year: int, last_month: int) -> list[dict]:
    """Refugees arriving in each month of ``year`` from January to ``last_month``,
    in one query: how many (``refugees``), how many had a screening visit at
    the asylum centre on or before arrival (forbesøg, ``screened``), and how
    many were housed near a known job (``near_job``). Family reunified come
    from abroad to a home the refugee has: neither applies to them."""
    start, end = _year_through(year, last_month)
    screened = Exists(
        ScreeningVisit.objects.filter(
            case__citizen=OuterRef("pk"), visit_date__lte=OuterRef("arrival_date")
        )
    )
    near_job = Exists(
        HousingPlacement.objects.filter(case__citizen=OuterRef("pk"), near_known_job=True)
    )
    rows = (
        _citizens(user)
        .filter(
            residence_basis=ResidenceBasis.REFUGEE, arrival_date__gte=start, arrival_date__lte=end
        )
        .annotate(
            was_screened=screened, housed_near_job=near_job, month=ExtractMonth("arrival_date")
        )
        .values("month")
        .annotate(
            refugees=Count("id"),
            screened=Count("id", filter=Q(was_screened=True)),
            near_job=Count("id", filter=Q(housed_near_job=True)),
        )
        .order_by("month")
    )
    return _months(rows, last_month, ("refugees", "screened", "near_job"))


def contract_and_plan_by_month(
    user: User | None, year: int, last_month: int, *, contract_months: int, plan_months: int
) -> dict[str, list[dict]]:
    """Adults at arrival whose contract (plan) deadline, ``contract_months``
    (``plan_months``) calendar months after arrival, fell in each month of ``year``
    from January to ``last_month``: ``due``, and ``on_time``: a contract signed (a
    plan offered, whatever the answer) on or before the deadline, before arrival
    included. A deadline n calendar months on falls n months after the arrival's
    month (``common.dates.add_months`` keeps the month), so the arrival's month
    gives the deadline's."""
    offered = [PlanStatus.OFFERED, PlanStatus.ACCEPTED, PlanStatus.DECLINED]
    start, end = _year_through(year, last_month)
    out = {}
    for name, model, date_field, months, extra in [
        ("contract", IntegrationContract, "signed_on", contract_months, Q()),
        ("plan", IntegrationPlan, "event_date", plan_months, Q(status__in=offered)),
    ]:
        first, last = deadlines.arrivals_due_between(start, end, months)
        in_time = Exists(
            model.objects.filter(extra, case__citizen=OuterRef("pk"))
            .alias(done=_month_number(date_field))
            .filter(done__lte=OuterRef("arrived") + 100 * months)
        )
        rows = (
            _citizens(user)
            .filter(adult_at_arrival=True, arrival_date__gte=first, arrival_date__lte=last)
            .alias(arrived=_month_number("arrival_date"))
            .annotate(
                in_time=in_time,
                # The deadline's month, counted from January of ``year`` as 1.
                month=(ExtractYear("arrival_date") - year) * 12
                + ExtractMonth("arrival_date")
                + months,
            )
            .values("month")
            .annotate(due=Count("id"), on_time=Count("id", filter=Q(in_time=True)))
            .order_by("month")
        )
        out[name] = _months(rows, last_month, ("due", "on_time"))
    return out
