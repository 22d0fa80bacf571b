"""The monthly follow-up's figures beyond its first eight tables (seeds 000,
002 and 004): employment by ladder step, follow-ups with repatriation
guidance, moving away, reception, the contract and plan deadlines, and the
headline figures beside last month's and last year's.

Part of the one builder in ``evaluation.figures``; counts are exact here.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from django.conf import settings

from common import dates
from evaluation import metrics
from integration import follow_up_selectors as fs
from integration import kept_figures
from integration import report_selectors as rs
from integration.models import User


def year_of_months(months: list[Mapping]) -> dict:
    """Deadlines by month (``due``, ``on_time``) as the year's sums with the months kept."""
    return {
        "due": sum(m["due"] for m in months),
        "on_time": sum(m["on_time"] for m in months),
        "by_month": months,
    }


def compliance(user: User | None, as_of: dt.date) -> dict:
    """Table 8's deadlines: the health offers, contracts and plans whose deadline
    fell in the year up to ``as_of`` (a month's last day), month by month, and
    the adults whose follow-up is up to date on ``as_of``."""
    # Each month and day as kept since it was last counted (``kept_figures``):
    # last month's paper reads them unless a change has reached back since.
    year, month = as_of.year, as_of.month
    health = year_of_months(
        kept_figures.months_of_year("health_offers", fs.health_offers_by_month, user, year, month)
    )
    follow_up = kept_figures.on_day("follow_up_compliance", rs.follow_up_compliance, user, as_of)
    contract, plan = settings.CONTRACT_DEADLINE_MONTHS, settings.PLAN_DEADLINE_MONTHS

    def contract_and_plan(user: User | None, year: int, last_month: int) -> list[dict]:
        rows = fs.contract_and_plan_by_month(
            user, year, last_month, contract_months=contract, plan_months=plan
        )
        return [
            {"contract": c, "plan": p} for c, p in zip(rows["contract"], rows["plan"], strict=True)
        ]

    months = kept_figures.months_of_year(
        f"contract_and_plan:{contract}:{plan}", contract_and_plan, user, year, month
    )
    rows = {"contract": [m["contract"] for m in months], "plan": [m["plan"] for m in months]}
    return {
        "health_offer": {**health, "share": metrics.share(health["on_time"], health["due"])},
        "follow_up": {
            **follow_up,
            "share": metrics.share(follow_up["up_to_date"], follow_up["open_cases"]),
        },
        "contract": {**year_of_months(rows["contract"]), "months": contract},
        "plan": {**year_of_months(rows["plan"]), "months": plan},
    }


def _headline(blocks: Mapping, day: dt.date, arrivals_year_to_date: int) -> dict:
    """The figures the follow-up opens with, from the blocks of one day."""
    return {
        "as_of": day.isoformat(),
        "in_programme": blocks["in_programme"]["total"],
        "arrivals_year_to_date": arrivals_year_to_date,
        "employed": blocks["employed"]["count"],
        "danish_in_course": blocks["danish"]["in_course"],
        "danish_with_work": blocks["danish"]["with_work_or_internship"],
    }


def headline_days(as_of: dt.date) -> tuple[dt.date, dt.date]:
    """The days the headline compares ``as_of`` (a month's last day) with: the
    month before's last day and the same month's last day a year before."""
    month_start = as_of.replace(day=1)
    return (
        dates.month_end(dates.add_months(month_start, -1)),
        dates.month_end(dates.add_months(month_start, -12)),
    )


def _headline_on(user: User | None, day: dt.date, programme: Mapping) -> dict:
    """The headline figures of another month: the same blocks as the report's,
    from ``programme`` (``report_days.programme_counts_on_days``, read with
    the report's day) and the year's arrivals (not the whole builder)."""
    blocks = metrics.programme_blocks(programme[day])
    arrived = rs.arrivals(user, day.replace(month=1, day=1), day)["total"]
    return _headline(blocks, day, arrived)


def _of_year(months: list) -> dict:
    """A count for each month of the year so far (January first, each
    selector's one grouped query), the month's, and the year's: a year to
    date is printed only through a month the series allows
    (``evaluation.disclosure.series_anchor``), so its months are kept."""
    if isinstance(months[0], Mapping):
        year = {key: sum(int(m[key]) for m in months) for key in months[0]}
    else:
        year = sum(months)
    return {"month": months[-1], "year_to_date": year, "months": months}


def monthly_additions(user: User | None, as_of: dt.date) -> dict:
    """The follow-up's counts beyond the original eight tables (seeds 000, 002,
    004), but the headline (:func:`headline`), which needs the programme."""
    by_step = kept_figures.on_day("employed_by_step", fs.employed_by_step, user, as_of)
    follow_ups = kept_figures.months_of_year(
        "follow_ups_by_month", fs.follow_ups_by_month, user, as_of.year, as_of.month
    )
    return {
        "employed_by_step": {
            **{str(s): by_step.get(s, 0) for s in range(1, 7)},
            "none": by_step.get(None, 0),
        },
        "follow_ups": _of_year(follow_ups),
        "moved_away": _of_year(fs.moved_away_by_month(user, as_of.year, as_of.month)),
        "reception": _of_year(fs.reception_by_month(user, as_of.year, as_of.month)),
    }


def headline(
    user: User | None, as_of: dt.date, blocks: Mapping, arrivals: Mapping, programme: Mapping
) -> dict:
    """The headline figures on ``as_of`` (``blocks`` and ``arrivals``) beside
    last month's and last year's (``programme``: the programme counts on
    ``as_of`` and the ``headline_days``)."""
    last_month, last_year = headline_days(as_of)
    return {
        "now": _headline(blocks, as_of, arrivals["year_to_date"]),
        "last_month": _headline_on(user, last_month, programme),
        "last_year": _headline_on(user, last_year, programme),
    }
