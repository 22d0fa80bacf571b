"""The progression's figures of the reports: the measurements month by month
(the trend), and the service review's section 5.1 with the last month its key
figures may cover and the annex of questionnaire versions used. Part of the
one builder in ``evaluation.figures``."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable

from django.conf import settings

from common import dates
from evaluation import metrics
from integration.models import User
from progression import report_cache as progression_cache
from progression import selectors as progression_selectors

# Months of the service review's progression trend (its table prints them whole).
REVIEW_TREND_MONTHS = 24


def trend_between(
    user: User | None, start: dt.date, end: dt.date, citizen_ids: Iterable[int] | None = None
) -> list[dict]:
    """The progression measurements month by month (months without any left out);
    of everyone, each month as kept since it was last counted
    (``progression.report_cache.kept_measurement_counts_by_month``)."""
    if citizen_ids is None:
        counts = progression_cache.kept_measurement_counts_by_month(user, start, end)
    else:
        counts = progression_selectors.measurement_counts_by_month(user, start, end, citizen_ids)
    return metrics.progression_trend(counts)


def trend_back(user: User | None, end: dt.date, count: int) -> list[dict]:
    """:func:`trend_between` over the ``count`` months to ``end``."""
    return trend_between(user, dates.add_months(end.replace(day=1), -(count - 1)), end)


def _item_labels() -> dict[str, str]:
    try:
        questionnaire = progression_selectors.questionnaire_current()
        return {str(i.number): i.text("label") for i in questionnaire.items.all()}
    except Exception:  # noqa: BLE001 - no questionnaire published yet: numbers only
        return {}


def _review_trend(
    user: User | None, trend_end: dt.date, counted: list[dict] | None, counted_from: dt.date
) -> list[dict]:
    """The review's trend: the ``REVIEW_TREND_MONTHS`` to ``trend_end``, taken
    from ``counted`` (``trend_between`` from ``counted_from`` to ``trend_end``) when
    that covers them."""
    first = dates.add_months(trend_end.replace(day=1), -(REVIEW_TREND_MONTHS - 1))
    if counted is None or counted_from > first:
        return trend_back(user, trend_end, REVIEW_TREND_MONTHS)
    return [row for row in counted if row["month"] >= first.strftime("%Y-%m")]


def progression_figures(
    user: User | None,
    start: dt.date,
    end: dt.date,
    *,
    trend_end: dt.date | None = None,
    trend_from_start: list[dict] | None = None,
    summary: dict | None = None,
) -> dict:
    """Section 5.1 of the service review: measurements, index, self-assessment, items
    from ``start`` to ``end``; the trend's months run to ``trend_end`` (``end``).

    ``trend_from_start`` (``trend_between`` from ``start`` to ``trend_end``) and
    ``summary`` (``progression_summary``) spare counting what the caller has."""
    summary = summary or progression_selectors.progression_summary(user, start, end)
    means = summary["caseworker_item_means"]
    highest, lowest = metrics.item_extremes(means)
    return {
        "from": start.isoformat(),
        "to": end.isoformat(),
        "caseworker_measurements": summary["caseworker_measurements"],
        # Left out of the index (too few of items 1–12 answered), counted apart.
        "caseworker_too_few": summary["caseworker_too_few"],
        "caseworker_index_mean": metrics.mean_or_none(summary["caseworker_index_mean"]),
        "citizen_self_assessment_mean": metrics.mean_or_none(
            summary["citizen_self_assessment_mean"]
        ),
        "citizen_measurements": summary["citizen_measurements"],
        "caseworker_item_means": {str(n): metrics.mean_or_none(v) for n, v in means.items()},
        "highest_item": highest,
        "lowest_item": lowest,
        "item_labels": _item_labels(),
        "trend": _review_trend(user, trend_end or end, trend_from_start, start),
    }


def progression_end(
    user: User | None, start: dt.date, as_of: dt.date, *, trend: list[dict] | None = None
) -> dt.date:
    """The last day the review's key progression figures may cover.

    Two reviews a month apart would otherwise give the last month's count and
    the sum of its scores (the difference of two means over known counts); the
    figures run through the last month ``disclosure.series_anchor`` closes, for
    the caseworkers' measurements and the citizens' answers together.
    ``trend`` is ``trend_between(user, start, as_of)`` when the caller has it.
    """
    from evaluation import disclosure

    if trend is None:
        trend = trend_between(user, start, as_of)
    by_month = {row["month"]: row for row in trend}
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


def questionnaire_annex(user: User | None, start: dt.date, end: dt.date) -> dict:
    """The item texts of the versions used in the period (the current version
    when nothing was measured), for the annex."""
    versions = progression_selectors.questionnaires_used(user, start, end)
    if versions:
        return {"versions": versions, "current_only": False}
    current = progression_selectors.questionnaire_current_texts()
    return {"versions": [current] if current else [], "current_only": True}
