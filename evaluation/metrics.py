"""The report figures, computed from aggregated rows: no ORM, no request.

Inputs are the small per-year, per-month or per-step rows that
``integration.report_selectors`` and ``progression.selectors`` aggregate in
the database; outputs are dataclasses or plain dicts ready to render.
Shares are whole percentages rounded half up (2.5 % -> 3 %).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import asdict, dataclass
from decimal import ROUND_HALF_UP, Decimal

from integration.report_days import IN_PROGRAMME_KEYS


def round_half_up(value: float | Decimal) -> int:
    return int(Decimal(str(value)).quantize(Decimal("1"), rounding=ROUND_HALF_UP))


def share(numerator: int, denominator: int) -> int | None:
    """numerator / denominator as a whole percentage; None when nobody is counted."""
    if not denominator:
        return None
    return round_half_up(Decimal(numerator) * 100 / Decimal(denominator))


@dataclass(frozen=True)
class CohortRow:
    """One arrival year of the cohort outcome table.

    ``share_6m``/``share_12m`` are None ("#") until every member of the cohort
    has reached that horizon by the report date.
    """

    year: int
    persons: int
    share_6m: int | None
    share_12m: int | None
    share_as_of: int | None
    count_as_of: int
    employed_6m: int | None
    employed_12m: int | None

    def as_dict(self) -> dict:
        return asdict(self)


def _horizon(row: Mapping, horizon: str, adjust: bool) -> tuple[int | None, int | None]:
    """Share and count employed at a horizon ("6m" or "12m"), or (None, None) for "#"."""
    persons = row["persons"]
    if row[f"reached_{horizon}"] < persons:
        return None, None
    if adjust:
        employed = row[f"employed_{horizon}_stayed"]
        return share(employed, persons - row[f"left_{horizon}"]), employed
    employed = row[f"employed_{horizon}"]
    return share(employed, persons), employed


def cohort_table(rows: Iterable[Mapping], *, adjust_for_leavers: bool = False) -> list[CohortRow]:
    """The cohort outcome table from ``report_selectors.cohort_counts`` rows.

    Without adjustment the denominator is every person of the cohort (never
    adjusted back in time for those who moved, retired or died). With it,
    people who had left by a horizon are out of that horizon's numerator and
    denominator.
    """
    table = []
    for row in rows:
        share_6m, employed_6m = _horizon(row, "6m", adjust_for_leavers)
        share_12m, employed_12m = _horizon(row, "12m", adjust_for_leavers)
        if adjust_for_leavers:
            count_as_of = row["employed_as_of_stayed"]
            share_as_of = share(count_as_of, row["persons"] - row["left_as_of"])
        else:
            count_as_of = row["employed_as_of"]
            share_as_of = share(count_as_of, row["persons"])
        table.append(
            CohortRow(
                year=row["year"],
                persons=row["persons"],
                share_6m=share_6m,
                share_12m=share_12m,
                share_as_of=share_as_of,
                count_as_of=count_as_of,
                employed_6m=employed_6m,
                employed_12m=employed_12m,
            )
        )
    return table


def median_from_histogram(histogram: Mapping[int, int]) -> float | None:
    """The median of values given as ``{value: how many}``."""
    total = sum(histogram.values())
    if total == 0:
        return None
    ordered = sorted(histogram.items())
    middle = [(total - 1) // 2, total // 2]
    found = []
    seen = 0
    for value, count in ordered:
        for index in middle:
            if seen <= index < seen + count:
                found.append(value)
        seen += count
    return sum(found) / len(found)


def placement_summary(delays: Mapping) -> dict:
    """Share of arrivals placed within 96 hours and the median hours to placement."""
    median_days = median_from_histogram(delays["delay_days"])
    return {
        "arrivals": delays["arrivals"],
        "within": delays["within"],
        "not_placed": delays["not_placed"],
        "share": share(delays["within"], delays["arrivals"]),
        "median_hours": None if median_days is None else median_days * 24,
    }


def ladder_rows(
    counts: Mapping[int | None, int], labels: Mapping[int, str], none_label: str
) -> list[dict]:
    """Steps 1–6 in order, then those with no current placement."""
    rows = [
        {"step": step, "label": labels[step], "count": counts.get(step, 0)}
        for step in sorted(labels)
    ]
    rows.append({"step": None, "label": none_label, "count": counts.get(None, 0)})
    return rows


def item_extremes(item_means: Mapping[int, float]) -> tuple[int | None, int | None]:
    """The items with the highest and the lowest caseworker mean (lowest number on ties)."""
    if not item_means:
        return None, None
    highest = min(item_means, key=lambda n: (-item_means[n], n))
    lowest = min(item_means, key=lambda n: (item_means[n], n))
    return highest, lowest


def progression_trend(rows: Iterable[Mapping]) -> list[dict]:
    """Per month: caseworker measurements, their mean index, the citizens' item-13 mean.

    ``rows`` come from ``progression.selectors.measurement_counts_by_month``
    (one row per month and rater). A few dozen rows: plain Python, so that a
    report process does not import pandas (0,3-0,5 s) for them.
    """
    months: dict[str, dict[str, Mapping]] = {}
    for row in rows:
        months.setdefault(row["month"].strftime("%Y-%m"), {})[row["rater"]] = row
    out = []
    for month in sorted(months):
        caseworker = months[month].get("caseworker")
        citizen = months[month].get("citizen")
        out.append(
            {
                "month": month,
                # Measurements with too few answers for an index are counted apart.
                "caseworker_measurements": int(caseworker["n"] - caseworker.get("too_few", 0))
                if caseworker is not None
                else 0,
                "caseworker_too_few": int(caseworker.get("too_few", 0))
                if caseworker is not None
                else 0,
                "caseworker_index_mean": _round(caseworker["index_mean"])
                if caseworker is not None
                else None,
                "citizen_measurements": int(citizen["n"]) if citizen is not None else 0,
                "citizen_item_13_mean": _round(citizen["item_13_mean"])
                if citizen is not None
                else None,
            }
        )
    return out


def _round(value, places: int = 2) -> float | None:
    if value is None or value != value:  # NaN from a float column
        return None
    return float(Decimal(str(value)).quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP))


def mean_or_none(value) -> float | None:
    return _round(value)


def programme_blocks(programme: Mapping) -> dict:
    """In the programme, employed and in a Danish course, on one day."""
    adults = programme["adults"]
    return {
        "in_programme": {key: programme[key] for key in IN_PROGRAMME_KEYS},
        "employed": {
            "count": programme["adults_employed"],
            "of": adults,
            "share": share(programme["adults_employed"], adults),
        },
        "danish": {
            "of": adults,
            "in_course": programme["adults_in_course"],
            "with_work_or_internship": programme["adults_course_and_work"],
            "share_in_course": share(programme["adults_in_course"], adults),
            "share_combined": share(programme["adults_course_and_work"], adults),
        },
    }
