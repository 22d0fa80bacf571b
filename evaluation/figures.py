"""The figures of the dashboard and of both council reports, from one builder.

Everything is read through selectors as plain rows (``integration.report_selectors``,
``progression.selectors``, ``evaluation.selectors``) and computed with the pure
functions of ``evaluation.metrics``. The result is a JSON-able dict: the
dashboard caches it, and a report is rendered from it and archived with it, so
a published figure can always be traced to the numbers it came from. Counts
here are exact; disclosure control happens when they are printed
(``evaluation.pdf``).

The monthly follow-up's dict::

    {
      "kind": "monthly", "period": "2026-10", "as_of": "2026-10-31",
      "municipality": "Demo Kommune", "generated_at": "2026-11-22T20:15:00+01:00",
      # Each residence basis apart: total = refugees + family_reunified +
      # displaced_ukraine (the special act's people are never counted as
      # refugees; figures archived before them lack the key).
      "in_programme": {"total", "adults", "children", "refugees", "family_reunified",
                       "displaced_ukraine"},
      # The quota is the year's expected refugees: compare it with
      # year_to_date_refugees, never with year_to_date (family reunified and
      # displaced from Ukraine too).
      "arrivals": {"year": 2026, "month": n, "year_to_date": n, "quota": n | None,
                   "month_refugees": n, "month_family_reunified": n,
                   "month_displaced_ukraine": n,
                   "year_to_date_refugees": n, "year_to_date_family_reunified": n,
                   "year_to_date_displaced_ukraine": n,
                   "months": [n, ...], "months_refugees": [n, ...]},  # January first
      # placement_96h: adults arrived in the 12 months up to as_of
      "ladder_now": [{"step": 1..6 | None, "label": str, "count": n}, ...],  # None = no placement
      "ladder_months": [{"month": "2025-11", "counts": {"1": n, ..., "6": n, "none": n},
                         "total": n}, ...12 months, oldest first],
      "placement_96h": {"from": date, "to": date, "arrivals": n, "within": n,
                        "share": int | None, "median_hours": float | None, "not_placed": n},
      # by_step: the employed (count) by their ladder step that day, as
      # ladder_now counts it ("none" = no placement): why count and step 1 differ.
      "employed": {"count": n, "of": n, "share": int | None,
                   "by_step": {"1": n, ..., "6": n, "none": n}},
      "danish": {"of": n, "in_course": n, "with_work_or_internship": n,
                 "share_in_course": int | None, "share_combined": int | None,
                 "absence_mean": float | None},
      "progression": {"month_caseworker_measurements": n, "year_caseworker_measurements": n,
                      "trend": [{"month": "2025-11", "caseworker_measurements": n,
                                 "caseworker_index_mean": float | None,
                                 "citizen_item_13_mean": float | None}, ...12]},
      "repatriations": {"year": 2026, "households": n, "adults": n, "children": n,
                        "by_country": [{"country": "SY", "name": str, "households": n,
                                        "adults": n, "children": n}, ...],
                        "months": [{"households": n, "persons": n}, ...]},  # January first

      # follow_up: adults (18 or over on as_of) in the programme, so open_cases
      # equals in_programme.adults. contract and plan: adults at arrival whose
      # deadline (CONTRACT_DEADLINE_MONTHS / PLAN_DEADLINE_MONTHS after arrival)
      # fell in the year up to as_of; "months" is the setting used. "by_month":
      # the deadlines that fell in each month of the year so far, January first
      # (a year so far is printed only through a month its series allows).
      "compliance": {"health_offer": {"due": n, "on_time": n, "share": int | None,
                                      "by_month": [{"due": n, "on_time": n}, ...]},
                     "follow_up": {"open_cases": n, "up_to_date": n, "share": int | None},
                     "contract": {"due": n, "on_time": n, "months": n, "by_month": [...]},
                     "plan": {"due": n, "on_time": n, "months": n, "by_month": [...]}},
      # Follow-ups held with adults in the month and in the year to date, and
      # how many gave repatriation guidance.
      "follow_ups": {"month": {"held": n, "guided": n}, "year_to_date": {"held": n, "guided": n}},
      # Cases closed as moved away, in the month and the year to date.
      "moved_away": {"month": n, "year_to_date": n},
      # Refugees arrived in the month / year to date: screened at the asylum
      # centre before arrival, housed near a known job.
      "reception": {"month": {"refugees": n, "screened": n, "near_job": n},
                    "year_to_date": {...the same}},
      # The headline figures on as_of, the month before's last day and the same
      # day a year before (in_programme = total, arrivals_year_to_date its own
      # year's, employed and danish_* counts of adults), for "since last month/year".
      "headline": {"now" | "last_month" | "last_year":
                   {"as_of": date, "in_programme": n, "arrivals_year_to_date": n,
                    "employed": n, "danish_in_course": n, "danish_with_work": n}},
    }

The service review's::

    {
      "kind": "service_review", "period": "2026-11-22", "as_of": "2026-11-22",
      "municipality": str, "generated_at": str,
      "cohorts": [{"year", "persons", "share_6m", "share_12m", "share_as_of",
                   "count_as_of", "employed_6m", "employed_12m"}, ...],  # share None = "#"
      # Who the cohort tables count besides refugees (the option "include
      # displaced from Ukraine"); figures archived before it have neither.
      "cohorts_population": {"family_reunified": False, "displaced_ukraine": bool},
      "benchmark_employment": [{"period": "2018", "values": {"Hedensted": 35.0, ...}}, ...],
      "benchmark_municipalities": ["Demo Kommune", "Odder", ..., "Hele landet"],  # own first
      "benchmark_roles": {"Demo Kommune": "own", "Odder": "neighbour",
                          "Hele landet": "national"},
      "benchmark_employment_downloaded": "2026-11-01" | None,  # latest of the rows shown
      "wellbeing": [{"period", "bilingual": float | None, "danish": float | None,  # our own
                     "national_bilingual": float | None, "national_danish": float | None},
                    ...],  # another municipality's rows are never shown
      "wellbeing_downloaded": "2026-11-01" | None,
      "repatriations": [{"year", "country", "name", "households", "adults", "children"}, ...],
      # Follow-ups held with adults per year, and how many gave repatriation guidance.
      "repatriation_guidance": [{"year": 2018, "held": n, "guided": n}, ...],
      "progression": {"from", "to", "caseworker_measurements", "caseworker_index_mean",
                      "citizen_self_assessment_mean", "caseworker_item_means": {"1": x, ...},
                      "highest_item", "lowest_item", "item_labels": {"1": str, ...},
                      "trend": [...as in monthly...]},
      "danish_absence": [{"period": "2026-10", "municipality": float | None,
                          "municipality_n": n, "national": float | None},
                         ...],  # the municipality's months of the last 12, each beside
                                # the national figure of the same month (None: none)
      "danish_absence_periods": [{"period": "2025" | "2025-Q4", "period_kind": "year",
                                  "municipality": float | None, "municipality_n": n,
                                  "national": float}, ...],  # national quarters and years
                                  # beside the municipality's mean of the same months
      "danish_absence_downloaded": "2026-11-01" | None,  # of the national months shown
      "danish_absence_periods_downloaded": "2026-11-01" | None,  # of the quarters, years
      "narratives": {"section key": {"text": str, "status": "draft" | "final"}, ...},
      "questionnaire_annex": {"versions": [{"version", "published_at", "items": [
                                  {"number", "label", "question", "municipal_wording"}]}],
                              "current_only": bool},  # True: nothing measured in the period
      "cohorts_adjusted": None | {                      # the option "adjusted denominator"
          "rows": [{...as in cohorts..., "left_6m", "left_12m", "left_as_of"}, ...],
          "left_by_reason": {"moved_away": n, "repatriated": n, "deceased": n, "pension": n}},
    }

Dates are ISO strings; shares are whole percentages rounded half up. The
review's benchmark figures (``evaluation.benchmark_figures``) cover only
periods that have ended by ``as_of``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common import dates, snapshot
from common.countries import country_name
from evaluation import metrics, monthly_additions, selectors
from evaluation.benchmark_figures import benchmark_figures
from evaluation.period import ReportPeriod
from evaluation.progression_figures import (
    progression_end,
    progression_figures,
    questionnaire_annex,
    trend_back,
    trend_between,
)
from evaluation.reports import NARRATIVE_KEYS
from integration import follow_up_selectors as fs
from integration import kept_figures, report_cache
from integration import report_selectors as rs
from integration.models import LadderStep, ResidenceBasis, User
from progression import report_cache as progression_cache

# Months of the progression trend: the monthly report's year back, the
# review's two (the reports print these tables whole).
MONTHLY_TREND_MONTHS = 12
# The review's tables of repatriations and progression start with the
# programme's first records.
REVIEW_REPATRIATIONS_FROM = dt.date(2000, 1, 1)
REVIEW_PROGRESSION_FROM = dt.date(2017, 1, 1)


# --- blocks shared by the dashboard and the reports ------------------------------


def _ladder_months(days: list[dt.date], counts: Mapping) -> list[dict]:
    """The ladder distribution on each day, one day per month (``counts``:
    ``report_days.ladder_on_days`` for these days)."""
    out = []
    for day in days:
        row = {str(s): counts[day].get(s, 0) for s in range(1, 7)}
        row["none"] = counts[day].get(None, 0)
        out.append({"month": day.strftime("%Y-%m"), "counts": row, "total": sum(row.values())})
    return out


def cohort_rows(
    user: User | None,
    as_of: dt.date,
    *,
    include_family: bool = False,
    include_ukraine: bool = False,
    adjust_for_leavers: bool = False,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[metrics.CohortRow]:
    counts = rs.cohort_counts(
        user,
        as_of=as_of,
        include_family=include_family,
        include_ukraine=include_ukraine,
        team_id=team_id,
        residence_basis=residence_basis,
    )
    return metrics.cohort_table(counts, adjust_for_leavers=adjust_for_leavers)


# --- the dashboard -----------------------------------------------------------------


def _dashboard_months(
    user: User, start: dt.date, end: dt.date, months: list[dt.date], narrow: Mapping
) -> dict:
    """The month-by-month blocks: arrivals, the ladder, the progression trend."""
    by_month = {
        row["month"].strftime("%Y-%m"): row["n"]
        for row in report_cache.arrivals_by_month(user, start, end, **narrow)
    }
    counts = progression_cache.measurement_counts_by_month(user, start, end, **narrow)
    trend = {row["month"]: row for row in metrics.progression_trend(counts)}
    empty = {"caseworker_measurements": 0, "caseworker_index_mean": None}
    ladder_days = [min(dates.month_end(m), end) for m in months]
    return {
        "arrivals_by_month": [
            {"month": m.strftime("%Y-%m"), "n": by_month.get(m.strftime("%Y-%m"), 0)}
            for m in months
        ],
        "ladder_months": _ladder_months(
            ladder_days, report_cache.ladder_on_days(user, ladder_days, **narrow)
        ),
        "progression": [
            trend.get(
                m.strftime("%Y-%m"),
                {"month": m.strftime("%Y-%m"), **empty, "citizen_item_13_mean": None},
            )
            for m in months
        ],
    }


def dashboard_figures(
    user: User,
    *,
    start: dt.date,
    end: dt.date,
    today: dt.date,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> dict:
    """Every number on the dashboard (``start`` and ``end`` inclusive).

    Stock figures (in the programme, employed, Danish, the ladder) are counted
    on the period's last day; open topics and overdue deadlines are as of today.
    """
    narrow = {"team_id": team_id, "residence_basis": residence_basis}
    months = dates.month_starts(start, end)
    # Side by side in one snapshot (``common.snapshot``), the longest first;
    # each from the cache when it can.
    with snapshot.one_snapshot() as together:
        found = together(
            {
                "cohorts": lambda: report_cache.cohort_counts(user, as_of=end, **narrow),
                "months": lambda: _dashboard_months(user, start, end, months, narrow),
                "programme": lambda: report_cache.programme_counts(user, end, **narrow),
                "teams": lambda: report_cache.overdue_by_team(user, today, **narrow),
                "delays": lambda: report_cache.placement_delays(
                    user, start, end, today=today, **narrow
                ),
                "arrivals": lambda: report_cache.arrivals(user, start, end, **narrow),
                "open_topics": lambda: rs.open_dialogue_topics(user, **narrow),
            }
        )
    arrivals, teams = found["arrivals"], found["teams"]
    if team_id is not None:
        teams = [t for t in teams if t["id"] == team_id]
    blocks = metrics.programme_blocks(found["programme"])
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "today": today.isoformat(),
        "in_programme": blocks["in_programme"],
        "arrivals": {
            key: arrivals[key]
            for key in ("total", "refugees", "family_reunified", "displaced_ukraine", "adults")
        },
        "placement_96h": metrics.placement_summary(found["delays"]),
        "employed": blocks["employed"],
        "danish": blocks["danish"],
        "open_topics": found["open_topics"],
        "overdue": sum(t["overdue"] for t in teams),
        "teams": teams,
        "team_totals": rs.team_totals(teams),
        **found["months"],
        "cohorts": [row.as_dict() for row in metrics.cohort_table(found["cohorts"])],
    }


# --- the monthly follow-up ------------------------------------------------------------


def _by_country(rows: list[dict]) -> list[dict]:
    countries: dict[str, dict] = {}
    for r in rows:
        code = r["destination_country"]
        entry = countries.setdefault(
            code,
            {
                "country": code,
                "name": country_name(code, "da"),
                "households": 0,
                "adults": 0,
                "children": 0,
            },
        )
        entry["households"] += r["households"]
        entry["adults"] += r["adults"] or 0
        entry["children"] += r["children"] or 0
    return sorted(countries.values(), key=lambda e: (-e["households"], e["name"]))


def _heading(period: ReportPeriod) -> dict:
    return {
        "kind": str(period.kind),
        "period": period.text,
        "as_of": period.as_of.isoformat(),
        "municipality": settings.MUNICIPALITY_NAME,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
    }


def _arrivals_block(user: User | None, as_of: dt.date) -> dict:
    month = rs.arrivals(user, as_of.replace(day=1), as_of)
    year = rs.arrivals(user, as_of.replace(month=1, day=1), as_of)

    def by_month(basis: str | None) -> list[int]:
        rows = rs.arrivals_by_month(
            user, as_of.replace(month=1, day=1), as_of, residence_basis=basis
        )
        counts = {row["month"].month: row["n"] for row in rows}
        return [counts.get(m, 0) for m in range(1, as_of.month + 1)]

    return {
        "year": as_of.year,
        # January first: what each monthly report of the year printed as its month.
        "months": by_month(None),
        "months_refugees": by_month(ResidenceBasis.REFUGEE),
        "month": month["total"],
        "month_refugees": month["refugees"],
        "month_family_reunified": month["family_reunified"],
        "month_displaced_ukraine": month["displaced_ukraine"],
        "year_to_date": year["total"],
        "year_to_date_refugees": year["refugees"],
        "year_to_date_family_reunified": year["family_reunified"],
        "year_to_date_displaced_ukraine": year["displaced_ukraine"],
        "quota": selectors.quota_expected(as_of.year),
    }


def _monthly_progression(user: User | None, as_of: dt.date) -> dict:
    """The month's and the year's caseworker measurements, and the trend of the
    twelve months to ``as_of``: the counts are the trend's own months (the
    year's months all lie within them), so the three cannot disagree."""
    trend = trend_back(user, as_of, MONTHLY_TREND_MONTHS)
    measured = {row["month"]: row["caseworker_measurements"] for row in trend}
    year_months = dates.month_starts(as_of.replace(month=1, day=1), as_of)
    return {
        "month_caseworker_measurements": measured.get(as_of.strftime("%Y-%m"), 0),
        "year_caseworker_measurements": sum(
            measured.get(month.strftime("%Y-%m"), 0) for month in year_months
        ),
        "trend": trend,
    }


def _repatriations_of_year(user: User | None, as_of: dt.date) -> dict:
    rows = rs.repatriations_by_year_and_country(user, as_of.replace(month=1, day=1), as_of)
    return {
        "year": as_of.year,
        "households": sum(r["households"] for r in rows),
        "adults": sum(r["adults"] or 0 for r in rows),
        "children": sum(r["children"] or 0 for r in rows),
        "by_country": _by_country(rows),
        "months": fs.repatriations_by_month(user, as_of.year, as_of.month),
    }


def monthly_figures(period: ReportPeriod, *, user: User | None = None) -> dict:
    """Everything the monthly council follow-up shows, as of the month's last day.

    The counts are independent of each other: they run side by side, all in
    one snapshot of the database (``common.snapshot``), the longest first."""
    as_of = period.as_of
    # The programme on the day and on the headline's days before, and the
    # ladder on the twelve month ends up to the day: one query each.
    ladder_days = dates.month_ends_back(as_of, MONTHLY_TREND_MONTHS)
    # The 96-hour share over a rolling 12 months: the action plan's headline
    # figure rests on enough arrivals to be shown.
    placement_start = dates.add_months(period.month_start, -(MONTHLY_TREND_MONTHS - 1))
    with snapshot.one_snapshot() as together:
        found = together(
            {
                "ladders": lambda: kept_figures.ladder_on_days(user, [as_of, *ladder_days]),
                "programme": lambda: kept_figures.programme_counts_on_days(
                    user, [as_of, *monthly_additions.headline_days(as_of)]
                ),
                "progression": lambda: _monthly_progression(user, as_of),
                "additions": lambda: monthly_additions.monthly_additions(user, as_of),
                "compliance": lambda: monthly_additions.compliance(user, as_of),
                "arrivals": lambda: _arrivals_block(user, as_of),
                "absence": lambda: rs.danish_absence_by_month(user, period.month_start, as_of),
                "delays": lambda: rs.placement_delays(user, placement_start, as_of, today=as_of),
                "repatriations": lambda: _repatriations_of_year(user, as_of),
            }
        )
        programme, ladders = found["programme"], found["ladders"]
        blocks = metrics.programme_blocks(programme[as_of])
        arrivals = found["arrivals"]
        headline = monthly_additions.headline(user, as_of, blocks, arrivals, programme)
    additions, absence = found["additions"], found["absence"]
    steps = {step.value: str(step.label) for step in LadderStep}
    return {
        **_heading(period),
        "in_programme": blocks["in_programme"],
        "arrivals": arrivals,
        "ladder_now": metrics.ladder_rows(ladders[as_of], steps, str(_("No current placement"))),
        "ladder_months": _ladder_months(ladder_days, ladders),
        "placement_96h": {
            "from": placement_start.isoformat(),
            "to": as_of.isoformat(),
            **metrics.placement_summary(found["delays"]),
        },
        "employed": {**blocks["employed"], "by_step": additions.pop("employed_by_step")},
        "danish": {
            **blocks["danish"],
            "absence_mean": metrics.mean_or_none(absence[0]["mean"]) if absence else None,
            "absence_n": absence[0]["n"] if absence else 0,
        },
        "progression": found["progression"],
        "repatriations": found["repatriations"],
        "compliance": found["compliance"],
        **additions,
        "headline": headline,
    }


# --- the service review ------------------------------------------------------------------


def _cohorts_adjusted(user: User | None, as_of: dt.date, *, include_ukraine: bool) -> dict:
    """The cohort table with those who had left by each horizon taken out of
    numerator and denominator, and how many left for which reason."""
    counts = rs.cohort_counts(user, as_of=as_of, include_ukraine=include_ukraine)
    rows = metrics.cohort_table(counts, adjust_for_leavers=True)
    return {
        "rows": [
            {
                **row.as_dict(),
                "left_6m": c["left_6m"],
                "left_12m": c["left_12m"],
                "left_as_of": c["left_as_of"],
            }
            for row, c in zip(rows, counts, strict=True)
        ],
        "left_by_reason": rs.cohort_leavers(user, as_of=as_of, include_ukraine=include_ukraine),
    }


def service_review_figures(
    period: ReportPeriod,
    *,
    user: User | None = None,
    progression_from: dt.date | None = None,
    adjusted_denominator: bool = False,
    include_ukraine: bool = False,
) -> dict:
    """Everything the service review shows, as of its date.

    ``adjusted_denominator`` adds the cohort table without those who moved
    away, were repatriated, died or retired; table 2.1 itself is never
    adjusted back in time (DOMAIN.md). ``include_ukraine`` counts those
    displaced from Ukraine in the cohort tables beside the refugees; without
    it they are left out, as the seeds' table 2.1 predates them.
    """
    as_of = period.as_of
    start = progression_from or REVIEW_PROGRESSION_FROM
    with snapshot.one_snapshot() as together:
        # Side by side, in one snapshot (``common.snapshot``), the longest
        # first; the progression's summary waits for its last month, which the
        # trend decides.
        found = together(
            {
                "trend": lambda: trend_between(user, start, as_of),
                "cohorts": lambda: cohort_rows(user, as_of, include_ukraine=include_ukraine),
                "guidance": lambda: fs.follow_ups_by_year(user, REVIEW_REPATRIATIONS_FROM, as_of),
                "benchmarks": lambda: benchmark_figures(user, as_of),
                "repatriations": lambda: rs.repatriations_by_year_and_country(
                    user, REVIEW_REPATRIATIONS_FROM, as_of
                ),
                "annex": lambda: questionnaire_annex(user, start, as_of),
                "narratives": lambda: selectors.narrative_texts(as_of),
            }
        )
        end = progression_end(user, start, as_of, trend=found["trend"])
        later = together(
            {
                "caseworkers": lambda: progression_cache.kept_summary(
                    "caseworker_summary", user, start, end
                ),
                "citizens": lambda: progression_cache.kept_summary(
                    "citizen_summary", user, start, end
                ),
                "cohorts_adjusted": lambda: (
                    _cohorts_adjusted(user, as_of, include_ukraine=include_ukraine)
                    if adjusted_denominator
                    else None
                ),
            }
        )
        progression = progression_figures(
            user,
            start,
            end,
            trend_end=as_of,
            trend_from_start=found["trend"],
            summary={**later["caseworkers"], **later["citizens"]},
        )
    narratives = found["narratives"]
    return {
        **_heading(period),
        "cohorts": [row.as_dict() for row in found["cohorts"]],
        "cohorts_population": {"family_reunified": False, "displaced_ukraine": include_ukraine},
        **found["benchmarks"],
        "repatriations": [
            {
                **r,
                "country": r["destination_country"],
                "name": country_name(r["destination_country"], "da"),
            }
            for r in found["repatriations"]
        ],
        "repatriation_guidance": found["guidance"],
        "progression": progression,
        "narratives": {
            key: narratives.get(key, {"text": "", "status": "draft"}) for key in NARRATIVE_KEYS
        },
        "questionnaire_annex": found["annex"],
        "cohorts_adjusted": later["cohorts_adjusted"],
    }


def report_figures(
    period: ReportPeriod, *, adjusted_denominator: bool = False, include_ukraine: bool = False
) -> dict:
    """A report's figures computed now, for the whole municipality (Danish labels)."""
    with translation.override("da"):
        if period.is_monthly:
            return monthly_figures(period)
        return service_review_figures(
            period, adjusted_denominator=adjusted_denominator, include_ukraine=include_ukraine
        )
