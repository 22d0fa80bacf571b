"""What the report templates print, built from a figures dict (the one that
is archived with the PDF), never from models.

Each builder applies disclosure once, through :class:`~evaluation.pdf.marks.Marks`,
and writes the numbers in Danish; a mean or median built on fewer people than
the minimum cell is not shown at all, since one person's value could be read
from it. The PDF is always Danish.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from fractions import Fraction

from django.conf import settings

from evaluation import charts, disclosure
from evaluation.figures import MONTHLY_TREND_MONTHS, REVIEW_TREND_MONTHS
from evaluation.pdf.formatting import (
    BENCHMARK_PLACES,
    LADDER_STEPS_DA,
    MEAN_PLACES,
    da_date,
    da_moment,
    decimal_da,
    month_short,
    months_ago,
    period_text,
)
from evaluation.pdf.marks import Marks, Shown
from evaluation.period import ReportPeriod
from evaluation.reports import NARRATIVE_KEYS, TITLES

LADDER_KEYS = [str(s) for s in range(1, 7)] + ["none"]


def period_of(figures: Mapping) -> ReportPeriod:
    """The period a figures dict was computed for: read once per page, since
    the dict may come from the archive as JSON."""
    return ReportPeriod.parse(figures["kind"], figures["period"])


# --- context for the templates ---------------------------------------------------


def _base_context(figures: Mapping, period: ReportPeriod, *, min_cell: int, draft: bool) -> dict:
    return {
        "kind": period.kind,
        "title": TITLES[period.kind],
        "municipality": settings.MUNICIPALITY_NAME,
        "period_label": period.label,
        "as_of": da_date(figures["as_of"]),
        "generated": da_moment(figures.get("generated_at")),
        "min_cell": min_cell,
        "rule_text": disclosure.rule_text(min_cell, language="da"),
        "draft": draft,
    }


def _ladder_rows(counts: Mapping, keys: Sequence[str]) -> list[int]:
    return [int(counts.get(k, 0) or 0) for k in keys]


def _ladder_months(
    months: list[Mapping], marks: Marks, *, last: tuple[list[Shown], Shown] | None
) -> dict:
    """The ladder month by month: each month a group of its own (its adults are
    not printed elsewhere), except the report month, which is the ladder of
    table 3.1 and takes its cells from there."""
    rows = []
    chart_steps: list[list[int | None]] = [[] for _k in LADDER_KEYS]
    hidden: list[int | None] = []
    for position, month in enumerate(months):
        counts = _ladder_rows(month["counts"], LADDER_KEYS)
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
    svg = charts.ladder_months_svg(
        [month_short(m["month"]).replace(" ", "\n") for m in months],
        [
            (f"{i}. {LADDER_STEPS_DA[i]}" if i else LADDER_STEPS_DA[None], series)
            for i, series in zip([1, 2, 3, 4, 5, 6, None], chart_steps, strict=True)
        ],
        hidden,
    )
    return {"rows": rows, "chart": charts.data_uri(svg) if months else None}


def _trend_with_total(
    trend: list[Mapping], marks: Marks, *, total: int, since: str, first: str
) -> tuple[dict, Shown]:
    """The month-by-month table and a count printed beside it that is the sum of
    its months from ``since`` on (the year's measurements; the review period's).

    Printed on their own, the total less the months shown would give a hidden
    month away, so they are protected as one sum. When the period starts before
    the table's first month ``first`` (a month without measurements is not
    listed), the measurements before it are a part the reader cannot see,
    protected like a cell. When the months hold more than the total
    (a measurement without an index is in the months only), no month can be
    worked out from it exactly and each is protected on its own.
    """
    counts = {m["month"]: int(m.get("caseworker_measurements") or 0) for m in trend}
    members = [month for month in counts if month >= since]
    earlier = int(total) - sum(counts[m] for m in members)
    unseen = since < first
    if not members or earlier < 0 or (earlier and not unseen):
        return _trend(trend, marks), marks.count(total)
    values = {m: counts[m] for m in members}
    if unseen:
        values["earlier"] = earlier
    values["total"] = int(total)
    linked = disclosure.suppress_linked(
        values, [([k for k in values if k != "total"], "total")], min_cell=marks.min_cell
    )
    cells = {month: marks.cell(linked[month]) for month in members}
    return _trend(trend, marks, cells=cells), marks.cell(linked["total"])


def _trend(
    trend: list[Mapping],
    marks: Marks,
    *,
    chart: bool = True,
    cells: Mapping[str, Shown] | None = None,
) -> dict:
    """The months' measurements and means; ``cells`` are months' counts already
    protected together with a total (``_trend_with_total``)."""
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
        svg = charts.trend_svg(
            [month_short(m["month"]).replace(" ", "\n") for m in trend],
            [
                ("Sagsbehandlerens indeks (spm. 1–12)", index_series),
                ("Borgerens egen vurdering (spm. 13)", citizen_series),
            ],
        )
        out["chart"] = charts.data_uri(svg)
    return out


def _country_rows(rows: list[Mapping], marks: Marks, *, with_year: bool) -> dict:
    """Repatriations per country (and year) with their totals.

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
        key = (row.get("year") if with_year else 0, 1 if small else 0, "" if small else country)
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
    )
    households, households_total = marks.group([e["households"] for e in entries], None)
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


def monthly_context(figures: Mapping, *, min_cell: int, draft: bool = False) -> dict:
    period = period_of(figures)
    marks = Marks(min_cell)
    ctx = _base_context(figures, period, min_cell=min_cell, draft=draft)
    p = figures["in_programme"]
    a = figures["arrivals"]
    pl = figures["placement_96h"]
    e = figures["employed"]
    d = figures["danish"]
    fu = figures["compliance"]["follow_up"]
    ho = figures["compliance"]["health_offer"]
    ladder = {
        str(r["step"]) if r["step"] else "none": int(r["count"]) for r in figures["ladder_now"]
    }
    as_of = period.as_of

    # Every number of tables 1–5 and 8 that is tied to another by a sum, in
    # one problem: the adults in the programme are the base of the ladder, of
    # the employment and of the Danish courses; the programme's total is the
    # base of the follow-ups; the arrivals of the month are part of the year's.
    placed_late = int(pl["arrivals"]) - int(pl["within"]) - int(pl["not_placed"])
    values = {
        "total": p["total"],
        "adults": p["adults"],
        "children": p["children"],
        "refugees": p["refugees"],
        "family": p["family_reunified"],
        **{f"ladder_{k}": ladder.get(k, 0) for k in LADDER_KEYS},
        "employed": e["count"],
        "not_employed": e["of"] - e["count"],
        "in_course": d["in_course"],
        "not_in_course": d["of"] - d["in_course"],
        "with_work": d["with_work_or_internship"],
        "course_only": d["in_course"] - d["with_work_or_internship"],
        "fu_ok": fu["up_to_date"],
        "fu_not": fu["open_cases"] - fu["up_to_date"],
        "month_refugees": a["month_refugees"],
        "month_family": a["month_family_reunified"],
        "month": a["month"],
        "earlier": a["year_to_date"] - a["month"],
        "year_to_date": a["year_to_date"],
        "within": pl["within"],
        "late": placed_late,
        "not_placed": pl["not_placed"],
        "adult_arrivals": pl["arrivals"],
        "child_arrivals": a["year_to_date"] - pl["arrivals"],
    }
    lines = [
        (["adults", "children"], "total"),
        (["refugees", "family"], "total"),
        ([f"ladder_{k}" for k in LADDER_KEYS], "adults"),
        (["employed", "not_employed"], "adults"),
        (["in_course", "not_in_course"], "adults"),
        (["with_work", "course_only"], "in_course"),
        (["fu_ok", "fu_not"], "total"),
        (["month_refugees", "month_family"], "month"),
        (["within", "late", "not_placed"], "adult_arrivals"),
        (["adult_arrivals", "child_arrivals"], "year_to_date"),
    ]
    if as_of.month == 1:
        # In January the month is the year so far: one number printed twice.
        lines.append((["month"], "year_to_date"))
        values.pop("earlier")
    else:
        lines.append((["month", "earlier"], "year_to_date"))
    if e["of"] != p["adults"] or d["of"] != p["adults"] or fu["open_cases"] != p["total"]:
        raise ValueError("The figures' bases disagree with the programme counts.")
    cells = {
        name: marks.cell(cell)
        for name, cell in disclosure.suppress_linked(values, lines, min_cell=min_cell).items()
    }

    ctx["in_programme"] = {
        k: cells[k] for k in ("total", "adults", "children", "refugees", "family")
    }

    quota = a.get("quota")
    ctx["arrivals"] = {
        "year": a["year"],
        "month_label": period.label,
        "month_refugees": cells["month_refugees"],
        "month_family": cells["month_family"],
        "month": cells["month"],
        "year_to_date": cells["year_to_date"],
        # The quota is a published expectation, not a count of people.
        "quota": Shown(str(quota)) if quota is not None else marks.dash(),
        "share_of_quota": _share_of_quota(marks, a["year_to_date"], quota, cells["year_to_date"]),
    }

    ladder_cells = [cells[f"ladder_{k}"] for k in LADDER_KEYS]
    ctx["ladder_now"] = {
        "rows": [
            {"step": step, "label": LADDER_STEPS_DA[step], "cell": cell}
            for step, cell in zip([1, 2, 3, 4, 5, 6, None], ladder_cells, strict=True)
        ],
        "total": cells["adults"],
    }
    months = list(figures["ladder_months"])
    last = None
    if months and months[-1]["month"] == period.text:
        if _ladder_rows(months[-1]["counts"], LADDER_KEYS) != [
            values[f"ladder_{k}"] for k in LADDER_KEYS
        ]:
            raise ValueError("The report month's ladder differs between the two tables.")
        last = (ladder_cells, cells["adults"])
    ctx["ladder_months"] = _ladder_months(months, marks, last=last)
    ctx["ladder_legend"] = [(i, LADDER_STEPS_DA[i]) for i in range(1, 7)]

    placed = int(pl["arrivals"]) - int(pl["not_placed"])
    ctx["placement"] = {
        "from": da_date(pl.get("from")),
        "to": da_date(pl.get("to")),
        "arrivals": cells["adult_arrivals"],
        "within": cells["within"],
        "late": cells["late"],
        "not_placed": cells["not_placed"],
        "share": marks.share(
            pl["within"], pl["arrivals"], cells["within"], cells["adult_arrivals"]
        ),
        "median_hours": marks.mean(pl.get("median_hours"), placed, 0),
    }
    ctx["employed"] = {
        "count": cells["employed"],
        "of": cells["adults"],
        "share": marks.share(e["count"], e["of"], cells["employed"], cells["adults"]),
    }
    ctx["danish"] = {
        "of": cells["adults"],
        "in_course": cells["in_course"],
        "with_work": cells["with_work"],
        "share_in_course": marks.share(
            d["in_course"], d["of"], cells["in_course"], cells["adults"]
        ),
        "share_combined": marks.share(
            d["with_work_or_internship"], d["of"], cells["with_work"], cells["adults"]
        ),
        # A mean of too few absence records would give away one person's absence.
        "absence_mean": marks.mean(d.get("absence_mean"), d.get("absence_n"), 1),
    }

    pr = figures["progression"]
    trend = pr.get("trend") or []
    # Table 6.1's year is the sum of table 6.2's months of the year, and its
    # month is the table's last row.
    progression_trend, year_cell = _trend_with_total(
        trend,
        marks,
        total=pr["year_caseworker_measurements"],
        since=f"{as_of.year:04d}-01",
        first=months_ago(period.text, MONTHLY_TREND_MONTHS - 1),
    )
    month_cell = None
    if (
        trend
        and trend[-1]["month"] == period.text
        and trend[-1].get("caseworker_measurements") == pr["month_caseworker_measurements"]
    ):
        month_cell = progression_trend["rows"][-1]["measurements"]
    ctx["progression"] = {
        "month": month_cell or marks.count(pr["month_caseworker_measurements"]),
        "year": year_cell,
        "trend": progression_trend,
    }

    r = figures["repatriations"]
    ctx["repatriations"] = {
        "year": r["year"],
        **_country_rows(r.get("by_country") or [], marks, with_year=False),
    }

    (ho_ok, _late), ho_due = marks.group([ho["on_time"], ho["due"] - ho["on_time"]], ho["due"])
    ctx["compliance"] = [
        {
            "label": "Tilbud om helbredsmæssig vurdering inden 3 måneder efter ankomst "
            f"(frist i {a['year']} til og med {da_date(as_of)})",
            "of": ho_due,
            "ok": ho_ok,
            "share": marks.share(ho["on_time"], ho["due"], ho_ok, ho_due),
        },
        {
            "label": "Opfølgning inden for de seneste 3 måneder (borgere i programmet)",
            "of": cells["total"],
            "ok": cells["fu_ok"],
            "share": marks.share(
                fu["up_to_date"], fu["open_cases"], cells["fu_ok"], cells["total"]
            ),
        },
    ]
    ctx["footnotes"] = marks.footnotes()
    return ctx


def service_review_context(figures: Mapping, *, min_cell: int, draft: bool = False) -> dict:
    period = period_of(figures)
    marks = Marks(min_cell)
    ctx = _base_context(figures, period, min_cell=min_cell, draft=draft)
    narratives = figures.get("narratives") or {}
    ctx["narratives"] = {key: (narratives.get(key) or {}).get("text", "") for key in NARRATIVE_KEYS}

    cohorts = figures.get("cohorts") or []
    years = [c["year"] for c in cohorts]
    columns = []
    chart_series: dict[str, list[float | None]] = {"m6": [], "m12": [], "as_of": []}
    for c in cohorts:
        persons_value = int(c["persons"])
        count_value = int(c.get("count_as_of") or 0)
        # Persons and those employed on the report date are printed together:
        # the ones not employed must not be derivable either.
        (count_as_of, _rest), persons = marks.group(
            [count_value, persons_value - count_value], persons_value
        )
        column = {"year": c["year"], "persons": persons, "count_as_of": count_as_of}
        for horizon in ("6m", "12m"):
            key = f"m{horizon[:-1]}"
            if c.get(f"share_{horizon}") is None or c.get(f"employed_{horizon}") is None:
                column[key] = marks.hash()
            else:
                column[key] = marks.share(c[f"employed_{horizon}"], persons_value, persons)
        column["as_of"] = marks.share(count_value, persons_value, persons, count_as_of)
        columns.append(column)
        for key in chart_series:
            cell = column[key]
            chart_series[key].append(None if cell.missing or cell.suppressed else cell.percent)
    ctx["cohorts"] = {
        "columns": columns,
        "chart": None,
        "has_hash": any(column[k].text == "#" for column in columns for k in ("m6", "m12")),
    }
    if cohorts:
        svg = charts.grouped_bars_svg(
            [str(y) for y in years],
            [
                ("6 måneder efter ankomst", chart_series["m6"]),
                ("12 måneder efter ankomst", chart_series["m12"]),
                (f"Pr. {ctx['as_of']}", chart_series["as_of"]),
            ],
        )
        ctx["cohorts"]["chart"] = charts.data_uri(svg)

    municipalities = figures.get("benchmark_municipalities") or []
    bench = figures.get("benchmark_employment") or []
    ctx["benchmark"] = {
        "periods": [b["period"] for b in bench],
        "rows": [
            {
                "municipality": name,
                "own": name == figures.get("municipality"),
                "values": [
                    Shown(decimal_da(b["values"].get(name), BENCHMARK_PLACES))
                    if b["values"].get(name) is not None
                    else marks.dash()
                    for b in bench
                ],
            }
            for name in municipalities
        ],
        "chart": None,
    }
    if bench and municipalities:
        svg = charts.grouped_bars_svg(
            municipalities,
            [
                (str(b["period"]), [_float(b["values"].get(name)) for name in municipalities])
                for b in bench
            ],
            missing_label="–",
            value_places=BENCHMARK_PLACES,
        )
        ctx["benchmark"]["chart"] = charts.data_uri(svg)
    ctx["wellbeing"] = [
        {
            "period": w["period"],
            "bilingual": _external(w.get("bilingual"), marks),
            "danish": _external(w.get("danish"), marks),
        }
        for w in figures.get("wellbeing") or []
    ]

    ctx["repatriations"] = _country_rows(figures.get("repatriations") or [], marks, with_year=True)

    pr = figures.get("progression") or {}
    n = pr.get("caseworker_measurements") or 0
    labels = pr.get("item_labels") or {}
    item_means = pr.get("caseworker_item_means") or {}
    enough = n >= min_cell
    items = [
        {
            "number": number,
            "label": labels.get(number, ""),
            "mean": marks.mean(item_means[number], n),
        }
        for number in sorted(item_means, key=int)
    ]
    # The period's measurements are the sum of the table's months since its
    # start (and of months before the table when the period starts earlier).
    progression_trend, measurements = _trend_with_total(
        pr.get("trend") or [],
        marks,
        total=n,
        since=str(pr.get("from") or "")[:7],
        first=months_ago(figures["as_of"][:7], REVIEW_TREND_MONTHS - 1),
    )
    ctx["progression"] = {
        "from": da_date(pr.get("from")),
        "to": da_date(pr.get("to")),
        "measurements": measurements,
        "index_mean": marks.mean(pr.get("caseworker_index_mean"), n),
        "citizen_mean": marks.mean(
            pr.get("citizen_self_assessment_mean"), pr.get("citizen_measurements")
        ),
        "items": items,
        "highest": _item_ref(pr.get("highest_item"), labels) if enough else None,
        "lowest": _item_ref(pr.get("lowest_item"), labels) if enough else None,
        "trend": progression_trend,
        "chart": None,
    }
    if items and enough:
        svg = charts.item_means_svg(
            [(f"{i['number']}. {i['label']}", item_means[i["number"]]) for i in items],
            places=MEAN_PLACES,
        )
        ctx["progression"]["chart"] = charts.data_uri(svg)

    absence = figures.get("danish_absence") or []
    rows = []
    own_series: list[float | None] = []
    national_series: list[float | None] = []
    for a in absence:
        # The municipality's mean is of its own citizens' absence records:
        # shown only when enough records stand behind it.
        own = marks.mean(a.get("municipality"), a.get("municipality_n"), BENCHMARK_PLACES)
        rows.append(
            {
                "period": period_text(a["period"]),
                "municipality": own,
                "national": _external(a.get("national"), marks),
            }
        )
        own_series.append(None if own.missing else _float(a.get("municipality")))
        national_series.append(_float(a.get("national")))
    ctx["danish_absence"] = {"rows": rows, "chart": None}
    if absence and any(v is not None for v in own_series + national_series):
        top = max(v for v in own_series + national_series if v is not None)
        svg = charts.trend_svg(
            [period_text(a["period"]).replace(" ", "\n") for a in absence],
            [(settings.MUNICIPALITY_NAME, own_series), ("Landsgennemsnit", national_series)],
            y_label="Fravær (%)",
            y_range=(0, max(top, 10) * 1.2),
        )
        ctx["danish_absence"]["chart"] = charts.data_uri(svg)
    ctx["footnotes"] = marks.footnotes()
    return ctx


def _share_of_quota(marks: Marks, arrived: int, quota: int | None, arrived_cell: Shown) -> Shown:
    """Arrivals so far as a share of the year's quota (may pass 100 %). The
    quota is a published expectation, not people; the share is hidden when
    the count behind it is."""
    if not quota:
        return marks.dash()
    if arrived_cell.suppressed:
        marks.used.add("hidden")
        return Shown(disclosure.HIDDEN + disclosure.FOOTNOTE_MARKER, suppressed=True)
    return Shown(f"{disclosure.round_half_up(Fraction(100 * int(arrived), int(quota)))} %")


def _float(value) -> float | None:
    return None if value is None else float(value)


def _external(value, marks: Marks) -> Shown:
    """A published figure from outside (Jobindsats, the wellbeing survey)."""
    if value is None:
        return marks.dash()
    return Shown(decimal_da(value, BENCHMARK_PLACES))


def _item_ref(number, labels: Mapping) -> dict | None:
    if number is None:
        return None
    return {"number": number, "label": labels.get(str(number), labels.get(number, ""))}
