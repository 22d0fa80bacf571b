"""The tables both council reports print, with their charts: the ladder
month by month, the progression trend, repatriations by country. Each takes
the figures' rows and a :class:`~evaluation.pdf.marks.Marks`, through which
every number passes."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from evaluation import charts, disclosure
from evaluation.pdf.formatting import LADDER_STEPS_DA, month_axis_labels, month_short
from evaluation.pdf.marks import Marks, Shown

LADDER_KEYS = [str(s) for s in range(1, 7)] + ["none"]


def ladder_counts(counts: Mapping, keys: Sequence[str]) -> list[int]:
    return [int(counts.get(k, 0) or 0) for k in keys]


def ladder_months_table(
    months: list[Mapping], marks: Marks, *, last: tuple[list[Shown], Shown] | None
) -> dict:
    """The ladder month by month: each month a group of its own (its adults are
    not printed elsewhere), except the report month, which is the ladder of
    table 3.1 and takes its cells from there."""
    rows = []
    chart_steps: list[list[int | None]] = [[] for _k in LADDER_KEYS]
    hidden: list[int | None] = []
    for position, month in enumerate(months):
        counts = ladder_counts(month["counts"], LADDER_KEYS)
        total_value = sum(counts)
        if last is not None and position == len(months) - 1:
            cells, total = last
        else:
            cells, total = marks.group(counts, total_value)
        rows.append({"month": month_short(month["month"]), "cells": cells, "total": total})
        shown = [None if c.suppressed else v for c, v in zip(cells, counts, strict=True)]
        for series, value in zip(chart_steps, shown, strict=True):
            series.append(value)
        # The hidden cells together: what the total less the shown cells gives
        # away in the table anyway. Nothing when the total is hidden too.
        hidden.append(None if total.suppressed else total_value - sum(v or 0 for v in shown))
    if not months:
        return {"rows": rows, "chart": None}
    chart = charts.chart_src(
        charts.ladder_months_svg,
        month_axis_labels([m["month"] for m in months]),
        [
            (f"{i}. {LADDER_STEPS_DA[i]}" if i else LADDER_STEPS_DA[None], series)
            for i, series in zip([1, 2, 3, 4, 5, 6, None], chart_steps, strict=True)
        ],
        hidden,
    )
    return {"rows": rows, "chart": chart}


def trend_with_total(
    trend: list[Mapping],
    marks: Marks,
    *,
    total: int,
    since: str,
    first: str,
    until: str = "9999-12",
) -> tuple[dict, Shown]:
    """The month-by-month table and a count printed beside it that is the sum of
    its months from ``since`` through ``until`` (the year's measurements through
    the last month the series allows; the review period's).

    Printed on their own, the total less the months shown would give a hidden
    month away, so they are protected as one sum. When the period starts before
    the table's first month ``first`` (a month without measurements is not
    listed), the measurements before it are a part the reader cannot see,
    protected like a cell. When the months hold more than the total
    (a measurement without an index is in the months only), no month can be
    worked out from it exactly and each is protected on its own.
    """
    counts = {m["month"]: int(m.get("caseworker_measurements") or 0) for m in trend}
    members = [month for month in counts if since <= month <= until]
    earlier = int(total) - sum(counts[m] for m in members)
    unseen = since < first
    if not members or earlier < 0 or (earlier and not unseen):
        return trend_table(trend, marks), marks.count(total)
    values = {m: counts[m] for m in members}
    if unseen:
        values["earlier"] = earlier
    values["total"] = int(total)
    linked = disclosure.suppress_linked(
        values, [([k for k in values if k != "total"], "total")], min_cell=marks.min_cell
    )
    cells = {month: marks.cell(linked[month]) for month in members}
    return trend_table(trend, marks, cells=cells), marks.cell(linked["total"])


def trend_table(
    trend: list[Mapping],
    marks: Marks,
    *,
    chart: bool = True,
    cells: Mapping[str, Shown] | None = None,
) -> dict:
    """The months' measurements and means; ``cells`` are months' counts already
    protected together with a total (``trend_with_total``)."""
    rows = []
    index_series: list[float | None] = []
    citizen_series: list[float | None] = []
    for month in trend:
        n = month.get("caseworker_measurements") or 0
        index = marks.mean(month.get("caseworker_index_mean"), n)
        citizen = marks.mean(month.get("citizen_item_13_mean"), month.get("citizen_measurements"))
        rows.append(
            {
                "month": month_short(month["month"]),
                "measurements": (cells or {}).get(month["month"]) or marks.count(n),
                "index": index,
                "citizen": citizen,
            }
        )
        index_series.append(None if index.missing else month["caseworker_index_mean"])
        citizen_series.append(None if citizen.missing else month["citizen_item_13_mean"])
    out: dict = {"rows": rows, "chart": None}
    if chart and trend:
        out["chart"] = charts.chart_src(
            charts.trend_svg,
            month_axis_labels([m["month"] for m in trend]),
            [
                ("Sagsbehandlerens indeks (spm. 1–12)", index_series),
                ("Borgerens egen vurdering (spm. 13)", citizen_series),
            ],
        )
    return out


def country_rows(rows: list[Mapping], marks: Marks) -> dict:
    """Repatriations per year and country with their totals (the service review's
    table 4.1; the monthly follow-up prints the year's totals only).

    Every country whose people number fewer than the minimum cell is pooled
    into "Øvrige lande" (per year): in a small municipality a country's name
    next to "<5" points at a family. Adults and children are one cross table
    (rows and columns with their totals); households a group with its total.
    """
    grouped: dict[tuple, dict] = {}
    for row in rows:
        persons = int(row.get("adults") or 0) + int(row.get("children") or 0)
        country = row.get("name") or row.get("country") or ""
        small = persons < marks.min_cell
        key = (row.get("year"), 1 if small else 0, "" if small else country)
        entry = grouped.setdefault(
            key,
            {
                "year": row.get("year"),
                "country": "Øvrige lande" if small else country,
                "households": 0,
                "adults": 0,
                "children": 0,
            },
        )
        for name in ("households", "adults", "children"):
            entry[name] += int(row.get(name) or 0)
    entries = [grouped[key] for key in sorted(grouped)]
    if not entries:
        return {"rows": [], "total": None}
    table = disclosure.suppress_table(
        [[e["adults"], e["children"]] for e in entries],
        row_totals=True,
        col_totals=True,
        min_cell=marks.min_cell,
        row_floor=1,
    )
    # A listed row has at least one household and one person: six rows under
    # a total of 6 would give every "<5" away.
    households, households_total = marks.group([e["households"] for e in entries], None, floor=1)
    out = []
    for i, entry in enumerate(entries):
        out.append(
            {
                "year": entry["year"],
                "country": entry["country"],
                "households": households[i],
                "adults": marks.cell(table.cells[i][0]),
                "children": marks.cell(table.cells[i][1]),
                "persons": marks.cell(table.row_totals[i]),
            }
        )
    total = {
        "households": households_total,
        "adults": marks.cell(table.col_totals[0]),
        "children": marks.cell(table.col_totals[1]),
        "persons": marks.cell(table.grand_total),
    }
    return {"rows": out, "total": total}
