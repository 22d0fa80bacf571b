"""The figures of each report, as plain JSON-able dicts.

A report is rendered from these dicts, and they are archived with the PDF, so
a published figure can always be traced to the numbers it came from. Counts
here are exact; disclosure control happens when they are shown
(``evaluation.disclosure``).

monthly_figures(month) returns::

    {
      "kind": "monthly", "period": "2026-10", "as_of": "2026-10-31",
      "municipality": "Demo Kommune", "generated_at": "2026-11-22T20:15:00+01:00",
      "in_programme": {"total", "adults", "children", "refugees", "family_reunified"},
      "arrivals": {"year": 2026, "month": n, "year_to_date": n, "quota": n | None,
                   "month_refugees": n, "month_family_reunified": n},
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

service_review_figures(as_of) returns::

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

from django.conf import settings
from django.utils import timezone
from django.utils.translation import gettext as _

from common.countries import country_name
from common.dates import add_months, month_end, month_ends_back
from evaluation import metrics
from integration import report_selectors as rs
from integration.models import LadderStep, User
from progression import selectors as progression_selectors

# Months of the progression trend: the monthly report's year back, the
# review's two (the reports print these tables whole).
MONTHLY_TREND_MONTHS = 12
REVIEW_TREND_MONTHS = 24

# Sections of the service review that a manager writes (seed 001's headings).
NARRATIVE_SECTIONS = [
    "introduction",
    "employment",
    "benchmark",
    "repatriation",
    "progression",
    "danish",
    "conclusion",
]


def _step_labels() -> dict[int, str]:
    return {step.value: str(step.label) for step in LadderStep}


def ladder_months(user: User | None, end: dt.date, count: int = 12, **filters) -> list[dict]:
    """The ladder distribution on the last day of each of ``count`` months."""
    out = []
    for day in month_ends_back(end, count):
        counts = rs.ladder_on(user, day, **filters)
        row = {str(s): counts.get(s, 0) for s in range(1, 7)}
        row["none"] = counts.get(None, 0)
        out.append({"month": day.strftime("%Y-%m"), "counts": row, "total": sum(row.values())})
    return out


def progression_trend(
    user: User | None, end: dt.date, count: int = MONTHLY_TREND_MONTHS, **kw
) -> list[dict]:
    start = add_months(end.replace(day=1), -(count - 1))
    return metrics.progression_trend(
        progression_selectors.measurement_counts_by_month(user, start, end, **kw)
    )


def monthly_figures(month: dt.date, *, user: User | None = None) -> dict:
    """Everything the monthly council follow-up shows, as of the month's last day."""
    as_of = month_end(month)
    year_start = as_of.replace(month=1, day=1)
    month_start = as_of.replace(day=1)
    programme = rs.programme_counts(user, as_of)
    month_arrivals = rs.arrivals(user, month_start, as_of)
    ytd = rs.arrivals(user, year_start, as_of)
    from evaluation.models import ArrivalQuota

    quota = ArrivalQuota.objects.filter(year=as_of.year).values_list("expected", flat=True).first()
    delays = rs.placement_delays(user, year_start, as_of, today=as_of)
    placement = metrics.placement_summary(delays)
    summary_month = progression_selectors.progression_summary(user, month_start, as_of)
    summary_year = progression_selectors.progression_summary(user, year_start, as_of)
    repatriations = rs.repatriations_by_year_and_country(user, year_start, as_of)
    health = rs.health_offer_compliance(user, year_start, as_of)
    follow_up = rs.follow_up_compliance(user, as_of)
    absence = rs.danish_absence_by_month(user, month_start, as_of)
    return {
        "kind": "monthly",
        "period": as_of.strftime("%Y-%m"),
        "as_of": as_of.isoformat(),
        "municipality": settings.MUNICIPALITY_NAME,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "in_programme": {
            k: programme[k] for k in ("total", "adults", "children", "refugees", "family_reunified")
        },
        "arrivals": {
            "year": as_of.year,
            "month": month_arrivals["total"],
            "month_refugees": month_arrivals["refugees"],
            "month_family_reunified": month_arrivals["family_reunified"],
            "year_to_date": ytd["total"],
            "quota": quota,
        },
        "ladder_now": metrics.ladder_rows(
            rs.ladder_on(user, as_of), _step_labels(), str(_("No current placement"))
        ),
        "ladder_months": ladder_months(user, as_of),
        "placement_96h": {"from": year_start.isoformat(), "to": as_of.isoformat(), **placement},
        "employed": {
            "count": programme["adults_employed"],
            "of": programme["adults"],
            "share": metrics.share(programme["adults_employed"], programme["adults"]),
        },
        "danish": {
            "of": programme["adults"],
            "in_course": programme["adults_in_course"],
            "with_work_or_internship": programme["adults_course_and_work"],
            "share_in_course": metrics.share(programme["adults_in_course"], programme["adults"]),
            "share_combined": metrics.share(
                programme["adults_course_and_work"], programme["adults"]
            ),
            "absence_mean": metrics.mean_or_none(absence[0]["mean"]) if absence else None,
            "absence_n": absence[0]["n"] if absence else 0,
        },
        "progression": {
            "month_caseworker_measurements": summary_month["caseworker_measurements"],
            "year_caseworker_measurements": summary_year["caseworker_measurements"],
            "trend": progression_trend(user, as_of),
        },
        "repatriations": {
            "year": as_of.year,
            "households": sum(r["households"] for r in repatriations),
            "adults": sum(r["adults"] or 0 for r in repatriations),
            "children": sum(r["children"] or 0 for r in repatriations),
            "by_country": _by_country(repatriations),
        },
        "compliance": {
            "health_offer": {**health, "share": metrics.share(health["on_time"], health["due"])},
            "follow_up": {
                **follow_up,
                "share": metrics.share(follow_up["up_to_date"], follow_up["open_cases"]),
            },
        },
    }


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


def cohort_rows(
    user: User | None,
    as_of: dt.date,
    *,
    include_family: bool = False,
    adjust_for_leavers: bool = False,
    team_id: int | None = None,
) -> list[metrics.CohortRow]:
    counts = rs.cohort_counts(user, as_of=as_of, include_family=include_family, team_id=team_id)
    return metrics.cohort_table(counts, adjust_for_leavers=adjust_for_leavers)


def progression_figures(user: User | None, start: dt.date, end: dt.date) -> dict:
    """Section 5.1 of the service review: measurements, index, self-assessment, items."""
    summary = progression_selectors.progression_summary(user, start, end)
    means = summary["caseworker_item_means"]
    highest, lowest = metrics.item_extremes(means)
    labels = {}
    try:
        from progression.services import questionnaire_current

        questionnaire = questionnaire_current()
        labels = {str(i.number): i.text("label") for i in questionnaire.items.all()}
    except Exception:  # noqa: BLE001 - no questionnaire published yet: numbers only
        labels = {}
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
        "item_labels": labels,
        "trend": progression_trend(user, end, count=REVIEW_TREND_MONTHS),
    }


def service_review_figures(
    as_of: dt.date, *, user: User | None = None, progression_from: dt.date | None = None
) -> dict:
    """Everything the service review shows, as of ``as_of``."""
    from evaluation.models import BenchmarkIndicator, BenchmarkValue, ReportNarrative

    benchmark = BenchmarkValue.objects.filter(
        indicator=BenchmarkIndicator.REFUGEES_ORDINARY_EMPLOYMENT
    ).values("period", "municipality", "value")
    periods: dict[str, dict] = {}
    municipalities: list[str] = []
    for b in benchmark:
        periods.setdefault(b["period"], {})[b["municipality"]] = float(b["value"])
        if b["municipality"] not in municipalities:
            municipalities.append(b["municipality"])
    wellbeing: dict[str, dict] = {}
    for b in BenchmarkValue.objects.filter(
        indicator__in=[BenchmarkIndicator.WELLBEING_BILINGUAL, BenchmarkIndicator.WELLBEING_DANISH]
    ).values("period", "indicator", "value"):
        key = "bilingual" if b["indicator"] == BenchmarkIndicator.WELLBEING_BILINGUAL else "danish"
        wellbeing.setdefault(
            b["period"], {"period": b["period"], "bilingual": None, "danish": None}
        )[key] = float(b["value"])
    national_absence = {
        b["period"]: float(b["value"])
        for b in BenchmarkValue.objects.filter(indicator=BenchmarkIndicator.DANISH_ABSENCE).values(
            "period", "value"
        )
    }
    absence_start = add_months(as_of.replace(day=1), -11)
    own_rows = rs.danish_absence_by_month(user, absence_start, as_of)
    own_absence = {r["month"].strftime("%Y-%m"): metrics.mean_or_none(r["mean"]) for r in own_rows}
    own_absence_n = {r["month"].strftime("%Y-%m"): r["n"] for r in own_rows}
    absence_periods = sorted(set(own_absence) | {p for p in national_absence if len(p) == 7})
    repatriations = [
        {
            **r,
            "country": r["destination_country"],
            "name": country_name(r["destination_country"], "da"),
        }
        for r in rs.repatriations_by_year_and_country(user, dt.date(2000, 1, 1), as_of)
    ]
    narratives = {
        n.section: {"text": n.text, "status": n.status}
        for n in ReportNarrative.objects.filter(as_of=as_of)
    }
    return {
        "kind": "service_review",
        "period": as_of.isoformat(),
        "as_of": as_of.isoformat(),
        "municipality": settings.MUNICIPALITY_NAME,
        "generated_at": timezone.localtime().isoformat(timespec="seconds"),
        "cohorts": [row.as_dict() for row in cohort_rows(user, as_of)],
        "benchmark_employment": [{"period": p, "values": periods[p]} for p in sorted(periods)],
        "benchmark_municipalities": municipalities,
        "wellbeing": [wellbeing[p] for p in sorted(wellbeing)],
        "repatriations": repatriations,
        "progression": progression_figures(user, progression_from or dt.date(2017, 1, 1), as_of),
        "danish_absence": [
            {
                "period": p,
                "municipality": own_absence.get(p),
                "municipality_n": own_absence_n.get(p, 0),
                "national": national_absence.get(p),
            }
            for p in absence_periods
        ],
        "narratives": {
            section: narratives.get(section, {"text": "", "status": "draft"})
            for section in NARRATIVE_SECTIONS
        },
    }
