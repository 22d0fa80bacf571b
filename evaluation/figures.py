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
      "in_programme": {"total", "adults", "children", "refugees", "family_reunified"},
      "arrivals": {"year": 2026, "month": n, "year_to_date": n, "quota": n | None,
                   "month_refugees": n, "month_family_reunified": n,
                   "months": [n, ...], "months_refugees": [n, ...]},  # January first
      # placement_96h: adults arrived in the 12 months up to as_of
      "ladder_now": [{"step": 1..6 | None, "label": str, "count": n}, ...],  # None = no placement
      "ladder_months": [{"month": "2025-11", "counts": {"1": n, ..., "6": n, "none": n},
                         "total": n}, ...12 months, oldest first],
      "placement_96h": {"from": date, "to": date, "arrivals": n, "within": n,
                        "share": int | None, "median_hours": float | None, "not_placed": n},
      "employed": {"count": n, "of": n, "share": int | None},
      "danish": {"of": n, "in_course": n, "with_work_or_internship": n,
                 "share_in_course": int | None, "share_combined": int | None,
                 "absence_mean": float | None},
      "progression": {"month_caseworker_measurements": n, "year_caseworker_measurements": n,
                      "trend": [{"month": "2025-11", "caseworker_measurements": n,
                                 "caseworker_index_mean": float | None,
                                 "citizen_item_13_mean": float | None}, ...12]},
      "repatriations": {"year": 2026, "households": n, "adults": n, "children": n,
                        "by_country": [{"country": "SY", "name": str, "households": n,
                                        "adults": n, "children": n}, ...]},
      "compliance": {"health_offer": {"due": n, "on_time": n, "share": int | None},
                     "follow_up": {"open_cases": n, "up_to_date": n, "share": int | None}},
    }

The service review's::

    {
      "kind": "service_review", "period": "2026-11-22", "as_of": "2026-11-22",
      "municipality": str, "generated_at": str,
      "cohorts": [{"year", "persons", "share_6m", "share_12m", "share_as_of",
                   "count_as_of", "employed_6m", "employed_12m"}, ...],  # share None = "#"
      "benchmark_employment": [{"period": "2018", "values": {"Hedensted": 35.0, ...}}, ...],
      "benchmark_municipalities": ["Demo Kommune", "Odder", ..., "Hele landet"],
      "wellbeing": [{"period", "bilingual": float | None, "danish": float | None}, ...],
      "repatriations": [{"year", "country", "name", "households", "adults", "children"}, ...],
      "progression": {"from", "to", "caseworker_measurements", "caseworker_index_mean",
                      "citizen_self_assessment_mean", "caseworker_item_means": {"1": x, ...},
                      "highest_item", "lowest_item", "item_labels": {"1": str, ...},
                      "trend": [...as in monthly...]},
      "danish_absence": [{"period": "2026-10", "municipality": float | None,
                          "national": float | None}, ...],
      "narratives": {"section key": {"text": str, "status": "draft" | "final"}, ...},
    }

Dates are ISO strings; shares are whole percentages rounded half up.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from django.conf import settings
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from common import dates
from common.countries import country_name
from evaluation import metrics, selectors
from evaluation.models import BenchmarkIndicator
from evaluation.period import ReportPeriod
from evaluation.reports import NARRATIVE_KEYS
from integration import report_selectors as rs
from integration import selectors as case_selectors
from integration.models import LadderStep, ResidenceBasis, User
from progression import selectors as progression_selectors

# Months of the progression trend: the monthly report's year back, the
# review's two (the reports print these tables whole).
MONTHLY_TREND_MONTHS = 12
REVIEW_TREND_MONTHS = 24
# The review's tables of repatriations and progression start with the
# programme's first records.
REVIEW_REPATRIATIONS_FROM = dt.date(2000, 1, 1)
REVIEW_PROGRESSION_FROM = dt.date(2017, 1, 1)
PROGRAMME_KEYS = ("total", "adults", "children", "refugees", "family_reunified")


# --- blocks shared by the dashboard and the reports ------------------------------


def _programme_blocks(programme: Mapping) -> dict:
    """In the programme, employed and in a Danish course, on one day."""
    adults = programme["adults"]
    return {
        "in_programme": {key: programme[key] for key in PROGRAMME_KEYS},
        "employed": {
            "count": programme["adults_employed"],
            "of": adults,
            "share": metrics.share(programme["adults_employed"], adults),
        },
        "danish": {
            "of": adults,
            "in_course": programme["adults_in_course"],
            "with_work_or_internship": programme["adults_course_and_work"],
            "share_in_course": metrics.share(programme["adults_in_course"], adults),
            "share_combined": metrics.share(programme["adults_course_and_work"], adults),
        },
    }


def _ladder_months(user: User | None, days: Iterable[dt.date], **narrow) -> list[dict]:
    """The ladder distribution on each day, one day per month."""
    out = []
    for day in days:
        counts = rs.ladder_on(user, day, **narrow)
        row = {str(s): counts.get(s, 0) for s in range(1, 7)}
        row["none"] = counts.get(None, 0)
        out.append({"month": day.strftime("%Y-%m"), "counts": row, "total": sum(row.values())})
    return out


def _trend(
    user: User | None, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> list[dict]:
    """The progression measurements month by month (months without any left out)."""
    return metrics.progression_trend(
        progression_selectors.measurement_counts_by_month(user, start, end, citizen_ids)
    )


def _trend_back(user: User | None, end: dt.date, count: int) -> list[dict]:
    return _trend(user, dates.add_months(end.replace(day=1), -(count - 1)), end)


def cohort_rows(
    user: User | None,
    as_of: dt.date,
    *,
    include_family: bool = False,
    adjust_for_leavers: bool = False,
    team_id: int | None = None,
    residence_basis: str | None = None,
) -> list[metrics.CohortRow]:
    counts = rs.cohort_counts(
        user,
        as_of=as_of,
        include_family=include_family,
        team_id=team_id,
        residence_basis=residence_basis,
    )
    return metrics.cohort_table(counts, adjust_for_leavers=adjust_for_leavers)


# --- the dashboard -----------------------------------------------------------------


def _citizen_ids(user: User, *, team_id: int | None, residence_basis: str | None):
    """The citizens of a team and residence basis, for progression's ``citizen_ids``."""
    cases = case_selectors.cases_visible_to(user)
    if team_id is not None:
        cases = cases.filter(team_id=team_id)
    if residence_basis:
        cases = cases.filter(citizen__residence_basis=residence_basis)
    return cases.values_list("citizen_id", flat=True)


def _dashboard_months(
    user: User, start: dt.date, end: dt.date, months: list[dt.date], narrow: Mapping
) -> dict:
    """The month-by-month blocks: arrivals, the ladder, the progression trend."""
    by_month = {
        row["month"].strftime("%Y-%m"): row["n"]
        for row in rs.arrivals_by_month(user, start, end, **narrow)
    }
    citizen_ids = None
    if narrow["team_id"] is not None or narrow["residence_basis"]:
        citizen_ids = _citizen_ids(user, **narrow)
    trend = {row["month"]: row for row in _trend(user, start, end, citizen_ids)}
    empty = {"caseworker_measurements": 0, "caseworker_index_mean": None}
    return {
        "arrivals_by_month": [
            {"month": m.strftime("%Y-%m"), "n": by_month.get(m.strftime("%Y-%m"), 0)}
            for m in months
        ],
        "ladder_months": _ladder_months(
            user, [min(dates.month_end(m), end) for m in months], **narrow
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
    arrivals = rs.arrivals(user, start, end, **narrow)
    teams = rs.overdue_by_team(user, today, **narrow)
    if team_id is not None:
        teams = [t for t in teams if t["id"] == team_id]
    blocks = _programme_blocks(rs.programme_counts(user, end, **narrow))
    months = _dashboard_months(user, start, end, dates.month_starts(start, end), narrow)
    return {
        "start": start.isoformat(),
        "end": end.isoformat(),
        "today": today.isoformat(),
        "in_programme": blocks["in_programme"],
        "arrivals": {
            key: arrivals[key] for key in ("total", "refugees", "family_reunified", "adults")
        },
        "placement_96h": metrics.placement_summary(
            rs.placement_delays(user, start, end, today=today, **narrow)
        ),
        "employed": blocks["employed"],
        "danish": blocks["danish"],
        "open_topics": rs.open_dialogue_topics(user, **narrow),
        "overdue": sum(t["overdue"] for t in teams),
        "teams": teams,
        "team_totals": rs.team_totals(teams),
        **months,
        "cohorts": [
            row.as_dict()
            for row in cohort_rows(user, end, team_id=team_id, residence_basis=residence_basis)
        ],
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
        "year_to_date": year["total"],
        "quota": selectors.quota_expected(as_of.year),
    }


def _monthly_progression(user: User | None, as_of: dt.date) -> dict:
    def measured_since(start: dt.date) -> int:
        summary = progression_selectors.progression_summary(user, start, as_of)
        return summary["caseworker_measurements"]

    return {
        "month_caseworker_measurements": measured_since(as_of.replace(day=1)),
        "year_caseworker_measurements": measured_since(as_of.replace(month=1, day=1)),
        "trend": _trend_back(user, as_of, MONTHLY_TREND_MONTHS),
    }


def _repatriations_of_year(user: User | None, as_of: dt.date) -> dict:
    rows = rs.repatriations_by_year_and_country(user, as_of.replace(month=1, day=1), as_of)
    return {
        "year": as_of.year,
        "households": sum(r["households"] for r in rows),
        "adults": sum(r["adults"] or 0 for r in rows),
        "children": sum(r["children"] or 0 for r in rows),
        "by_country": _by_country(rows),
    }


def _compliance(user: User | None, as_of: dt.date) -> dict:
    health = rs.health_offer_compliance(user, as_of.replace(month=1, day=1), as_of)
    follow_up = rs.follow_up_compliance(user, as_of)
    return {
        "health_offer": {**health, "share": metrics.share(health["on_time"], health["due"])},
        "follow_up": {
            **follow_up,
            "share": metrics.share(follow_up["up_to_date"], follow_up["open_cases"]),
        },
    }


def monthly_figures(period: ReportPeriod, *, user: User | None = None) -> dict:
    """Everything the monthly council follow-up shows, as of the month's last day."""
    as_of = period.as_of
    blocks = _programme_blocks(rs.programme_counts(user, as_of))
    absence = rs.danish_absence_by_month(user, period.month_start, as_of)
    # The 96-hour share over a rolling 12 months: the action plan's headline
    # figure rests on enough arrivals to be shown.
    placement_start = dates.add_months(period.month_start, -(MONTHLY_TREND_MONTHS - 1))
    delays = rs.placement_delays(user, placement_start, as_of, today=as_of)
    steps = {step.value: str(step.label) for step in LadderStep}
    return {
        **_heading(period),
        "in_programme": blocks["in_programme"],
        "arrivals": _arrivals_block(user, as_of),
        "ladder_now": metrics.ladder_rows(
            rs.ladder_on(user, as_of), steps, str(_("No current placement"))
        ),
        "ladder_months": _ladder_months(user, dates.month_ends_back(as_of, MONTHLY_TREND_MONTHS)),
        "placement_96h": {
            "from": placement_start.isoformat(),
            "to": as_of.isoformat(),
            **metrics.placement_summary(delays),
        },
        "employed": blocks["employed"],
        "danish": {
            **blocks["danish"],
            "absence_mean": metrics.mean_or_none(absence[0]["mean"]) if absence else None,
            "absence_n": absence[0]["n"] if absence else 0,
        },
        "progression": _monthly_progression(user, as_of),
        "repatriations": _repatriations_of_year(user, as_of),
        "compliance": _compliance(user, as_of),
    }


# --- the service review ------------------------------------------------------------------


def _item_labels() -> dict[str, str]:
    try:
        from progression.selectors import questionnaire_current

        questionnaire = questionnaire_current()
        return {str(i.number): i.text("label") for i in questionnaire.items.all()}
    except Exception:  # noqa: BLE001 - no questionnaire published yet: numbers only
        return {}


def progression_figures(
    user: User | None, start: dt.date, end: dt.date, *, trend_end: dt.date | None = None
) -> dict:
    """Section 5.1 of the service review: measurements, index, self-assessment, items
    from ``start`` to ``end``; the trend's months run to ``trend_end`` (``end``)."""
    summary = progression_selectors.progression_summary(user, start, end)
    means = summary["caseworker_item_means"]
    highest, lowest = metrics.item_extremes(means)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "caseworker_measurements": summary["caseworker_measurements"],
        "caseworker_index_mean": metrics.mean_or_none(summary["caseworker_index_mean"]),
        "citizen_self_assessment_mean": metrics.mean_or_none(
            summary["citizen_self_assessment_mean"]
        ),
        "citizen_measurements": summary["citizen_measurements"],
        "caseworker_item_means": {str(n): metrics.mean_or_none(v) for n, v in means.items()},
        "highest_item": highest,
        "lowest_item": lowest,
        "item_labels": _item_labels(),
        "trend": _trend_back(user, trend_end or end, REVIEW_TREND_MONTHS),
    }


def progression_end(user: User | None, start: dt.date, as_of: dt.date) -> dt.date:
    """The last day the review's key progression figures may cover.

    Two reviews a month apart would otherwise give the last month's count and
    the sum of its scores (the difference of two means over known counts); the
    figures run through the last month ``disclosure.series_anchor`` closes, for
    the caseworkers' measurements and the citizens' answers together.
    """
    from evaluation import disclosure

    by_month = {row["month"]: row for row in _trend(user, start, as_of)}
    months = dates.month_starts(start.replace(day=1), as_of)
    rows = [by_month.get(m.strftime("%Y-%m"), {}) for m in months]
    through = disclosure.series_anchor(
        [int(r.get("caseworker_measurements") or 0) for r in rows],
        [int(r.get("citizen_measurements") or 0) for r in rows],
        min_cell=settings.REPORT_MIN_CELL,
    )
    if through < 0 or through == len(months) - 1:
        return as_of
    return dates.month_end(months[through])


def _benchmark_employment() -> dict:
    periods: dict[str, dict] = {}
    municipalities: list[str] = []
    for b in selectors.benchmark_rows([BenchmarkIndicator.REFUGEES_ORDINARY_EMPLOYMENT]):
        periods.setdefault(b["period"], {})[b["municipality"]] = float(b["value"])
        if b["municipality"] not in municipalities:
            municipalities.append(b["municipality"])
    return {
        "benchmark_employment": [{"period": p, "values": periods[p]} for p in sorted(periods)],
        "benchmark_municipalities": municipalities,
    }


def _wellbeing() -> list[dict]:
    by_period: dict[str, dict] = {}
    indicators = [BenchmarkIndicator.WELLBEING_BILINGUAL, BenchmarkIndicator.WELLBEING_DANISH]
    for b in selectors.benchmark_rows(indicators):
        key = "bilingual" if b["indicator"] == BenchmarkIndicator.WELLBEING_BILINGUAL else "danish"
        by_period.setdefault(
            b["period"], {"period": b["period"], "bilingual": None, "danish": None}
        )[key] = float(b["value"])
    return [by_period[p] for p in sorted(by_period)]


def _danish_absence(user: User | None, as_of: dt.date) -> list[dict]:
    """The municipality's absence month by month beside the national figure."""
    national = {
        b["period"]: float(b["value"])
        for b in selectors.benchmark_rows([BenchmarkIndicator.DANISH_ABSENCE])
    }
    own_rows = rs.danish_absence_by_month(user, dates.add_months(as_of.replace(day=1), -11), as_of)
    own = {r["month"].strftime("%Y-%m"): metrics.mean_or_none(r["mean"]) for r in own_rows}
    own_n = {r["month"].strftime("%Y-%m"): r["n"] for r in own_rows}
    return [
        {
            "period": p,
            "municipality": own.get(p),
            "municipality_n": own_n.get(p, 0),
            "national": national.get(p),
        }
        for p in sorted(set(own) | {p for p in national if len(p) == 7})
    ]


def service_review_figures(
    period: ReportPeriod, *, user: User | None = None, progression_from: dt.date | None = None
) -> dict:
    """Everything the service review shows, as of its date."""
    as_of = period.as_of
    repatriations = rs.repatriations_by_year_and_country(user, REVIEW_REPATRIATIONS_FROM, as_of)
    narratives = selectors.narrative_texts(as_of)
    return {
        **_heading(period),
        "cohorts": [row.as_dict() for row in cohort_rows(user, as_of)],
        **_benchmark_employment(),
        "wellbeing": _wellbeing(),
        "repatriations": [
            {
                **r,
                "country": r["destination_country"],
                "name": country_name(r["destination_country"], "da"),
            }
            for r in repatriations
        ],
        "progression": progression_figures(
            user,
            progression_from or REVIEW_PROGRESSION_FROM,
            progression_end(user, progression_from or REVIEW_PROGRESSION_FROM, as_of),
            trend_end=as_of,
        ),
        "danish_absence": _danish_absence(user, as_of),
        "narratives": {
            key: narratives.get(key, {"text": "", "status": "draft"}) for key in NARRATIVE_KEYS
        },
    }


def report_figures(period: ReportPeriod) -> dict:
    """A report's figures computed now, for the whole municipality (Danish labels)."""
    with translation.override("da"):
        if period.is_monthly:
            return monthly_figures(period)
        return service_review_figures(period)
