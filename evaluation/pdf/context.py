"""What the report templates print, built from a figures dict (the one that
is archived with the PDF), never from models.

Each builder applies disclosure once, through :class:`~evaluation.pdf.marks.Marks`,
and writes the numbers in Danish; a mean or median built on fewer people than
the minimum cell is not shown at all, since one person's value could be read
from it. The PDF is always Danish.
"""

from __future__ import annotations

from collections.abc import Mapping
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
    month_axis_labels,
    months_ago,
    period_text,
    quotes_da,
    thousands_da,
)
from evaluation.pdf.marks import Marks, Shown
from evaluation.pdf.tables import (
    LADDER_KEYS,
    country_rows,
    ladder_counts,
    ladder_months_table,
    trend_with_total,
)
from evaluation.period import ReportPeriod
from evaluation.reports import NARRATIVE_KEYS, TITLES


def period_of(figures: Mapping) -> ReportPeriod:
    """The period a figures dict was computed for: read once per page, since
    the dict may come from the archive as JSON."""
    return ReportPeriod.parse(figures["kind"], figures["period"])


def _base_context(figures: Mapping, period: ReportPeriod, *, min_cell: int, draft: bool) -> dict:
    return {
        "kind": period.kind,
        "title": TITLES[period.kind],
        "municipality": settings.MUNICIPALITY_NAME,
        "period_label": period.label,
        "as_of": da_date(figures["as_of"]),
        # The council's case number, when the figures were made for one; the
        # cover prints a blank field for the secretariat otherwise.
        "case_number": figures.get("case_number") or "",
        "generated": da_moment(figures.get("generated_at")),
        "min_cell": min_cell,
        "rule_text": disclosure.rule_text(min_cell, language="da"),
        "draft": draft,
    }


# --- the monthly follow-up -------------------------------------------------------------


def _linked_numbers(figures: Mapping, period: ReportPeriod) -> tuple[dict, list]:
    """Every number of tables 1–5 and 8 that is tied to another by a sum, as
    one problem: the adults in the programme are the base of the ladder, of
    the employment and of the Danish courses; the programme's total is the
    base of the follow-ups; the arrivals of the month are part of the year's."""
    p, a, pl = figures["in_programme"], figures["arrivals"], figures["placement_96h"]
    e, d, fu = figures["employed"], figures["danish"], figures["compliance"]["follow_up"]
    if e["of"] != p["adults"] or d["of"] != p["adults"] or fu["open_cases"] != p["total"]:
        raise ValueError("The figures' bases disagree with the programme counts.")
    ladder = {
        str(r["step"]) if r["step"] else "none": int(r["count"]) for r in figures["ladder_now"]
    }
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
        "late": int(pl["arrivals"]) - int(pl["within"]) - int(pl["not_placed"]),
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
    if period.as_of.month == 1:
        # In January the month is the year so far: one number printed twice.
        lines.append((["month"], "year_to_date"))
        values.pop("earlier")
    else:
        lines.append((["month", "earlier"], "year_to_date"))
    return values, lines


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


def _arrivals(figures: Mapping, period: ReportPeriod, marks: Marks, cells: dict) -> dict:
    a = figures["arrivals"]
    quota = a.get("quota")
    return {
        "year": a["year"],
        "month_label": period.label,
        "month_refugees": cells["month_refugees"],
        "month_family": cells["month_family"],
        "month": cells["month"],
        "year_to_date": cells["year_to_date"],
        # The quota is a published expectation, not a count of people.
        "quota": Shown(thousands_da(quota)) if quota is not None else marks.dash(),
        "share_of_quota": _share_of_quota(marks, a["year_to_date"], quota, cells["year_to_date"]),
    }


def _ladders(
    figures: Mapping, period: ReportPeriod, marks: Marks, cells: dict, values: dict
) -> dict:
    """Table 3.1 (the ladder now) and 3.2 (month by month), whose last month
    is table 3.1 and takes its cells from there."""
    ladder_cells = [cells[f"ladder_{k}"] for k in LADDER_KEYS]
    months = list(figures["ladder_months"])
    last = None
    if months and months[-1]["month"] == period.text:
        if ladder_counts(months[-1]["counts"], LADDER_KEYS) != [
            values[f"ladder_{k}"] for k in LADDER_KEYS
        ]:
            raise ValueError("The report month's ladder differs between the two tables.")
        last = (ladder_cells, cells["adults"])
    return {
        "ladder_now": {
            "rows": [
                {"step": step, "label": LADDER_STEPS_DA[step], "cell": cell}
                for step, cell in zip([1, 2, 3, 4, 5, 6, None], ladder_cells, strict=True)
            ],
            "total": cells["adults"],
        },
        "ladder_months": ladder_months_table(months, marks, last=last),
        "ladder_legend": [(i, LADDER_STEPS_DA[i]) for i in range(1, 7)],
    }


def _placement(figures: Mapping, marks: Marks, cells: dict) -> dict:
    pl = figures["placement_96h"]
    placed = int(pl["arrivals"]) - int(pl["not_placed"])
    return {
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


def _work_and_danish(figures: Mapping, marks: Marks, cells: dict) -> dict:
    e, d = figures["employed"], figures["danish"]
    adults = cells["adults"]
    return {
        "employed": {
            "count": cells["employed"],
            "of": adults,
            "share": marks.share(e["count"], e["of"], cells["employed"], adults),
        },
        "danish": {
            "of": adults,
            "in_course": cells["in_course"],
            "with_work": cells["with_work"],
            "share_in_course": marks.share(d["in_course"], d["of"], cells["in_course"], adults),
            "share_combined": marks.share(
                d["with_work_or_internship"], d["of"], cells["with_work"], adults
            ),
            # A mean of too few absence records would give away one person's absence.
            "absence_mean": marks.mean(d.get("absence_mean"), d.get("absence_n"), 1),
        },
    }


def _monthly_progression(figures: Mapping, period: ReportPeriod, marks: Marks) -> dict:
    """Table 6.1's year is the sum of table 6.2's months of the year, and its
    month is the table's last row."""
    pr = figures["progression"]
    trend = pr.get("trend") or []
    progression_trend, year_cell = trend_with_total(
        trend,
        marks,
        total=pr["year_caseworker_measurements"],
        since=f"{period.as_of.year:04d}-01",
        first=months_ago(period.text, MONTHLY_TREND_MONTHS - 1),
    )
    month_cell = None
    if (
        trend
        and trend[-1]["month"] == period.text
        and trend[-1].get("caseworker_measurements") == pr["month_caseworker_measurements"]
    ):
        month_cell = progression_trend["rows"][-1]["measurements"]
    return {
        "month": month_cell or marks.count(pr["month_caseworker_measurements"]),
        "year": year_cell,
        "trend": progression_trend,
    }


def _compliance(figures: Mapping, period: ReportPeriod, marks: Marks, cells: dict) -> list:
    ho = figures["compliance"]["health_offer"]
    fu = figures["compliance"]["follow_up"]
    (ho_ok, _late), ho_due = marks.group([ho["on_time"], ho["due"] - ho["on_time"]], ho["due"])
    return [
        {
            "label": "Tilbud om helbredsmæssig vurdering inden 3 måneder efter ankomst "
            f"(frist i {figures['arrivals']['year']} til og med {da_date(period.as_of)})",
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


def monthly_context(figures: Mapping, *, min_cell: int, draft: bool = False) -> dict:
    period = period_of(figures)
    marks = Marks(min_cell)
    values, lines = _linked_numbers(figures, period)
    linked = disclosure.suppress_linked(values, lines, min_cell=min_cell)
    cells = {name: marks.cell(cell) for name, cell in linked.items()}
    repatriations = figures["repatriations"]
    ctx = _base_context(figures, period, min_cell=min_cell, draft=draft)
    ctx.update(
        in_programme={k: cells[k] for k in ("total", "adults", "children", "refugees", "family")},
        arrivals=_arrivals(figures, period, marks, cells),
        **_ladders(figures, period, marks, cells, values),
        placement=_placement(figures, marks, cells),
        **_work_and_danish(figures, marks, cells),
        progression=_monthly_progression(figures, period, marks),
        repatriations={
            "year": repatriations["year"],
            **country_rows(repatriations.get("by_country") or [], marks, with_year=False),
        },
        compliance=_compliance(figures, period, marks, cells),
    )
    ctx["footnotes"] = marks.footnotes()
    return ctx


# --- the service review ------------------------------------------------------------------


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


def _cohort_column(cohort: Mapping, marks: Marks) -> dict:
    persons_value = int(cohort["persons"])
    count_value = int(cohort.get("count_as_of") or 0)
    # Persons and those employed on the report date are printed together:
    # the ones not employed must not be derivable either.
    (count_as_of, _rest), persons = marks.group(
        [count_value, persons_value - count_value], persons_value
    )
    column = {"year": cohort["year"], "persons": persons, "count_as_of": count_as_of}
    for horizon in ("6m", "12m"):
        key = f"m{horizon[:-1]}"
        if cohort.get(f"share_{horizon}") is None or cohort.get(f"employed_{horizon}") is None:
            column[key] = marks.hash()
        else:
            column[key] = marks.share(cohort[f"employed_{horizon}"], persons_value, persons)
    column["as_of"] = marks.share(count_value, persons_value, persons, count_as_of)
    return column


def _cohorts(figures: Mapping, marks: Marks, as_of_text: str) -> dict:
    cohorts = figures.get("cohorts") or []
    columns = [_cohort_column(c, marks) for c in cohorts]
    out = {
        "columns": columns,
        "chart": None,
        "has_hash": any(column[k].text == "#" for column in columns for k in ("m6", "m12")),
    }
    if cohorts:

        def series(key: str) -> list[int | None]:
            return [
                None if c[key].missing or c[key].suppressed else c[key].percent for c in columns
            ]

        svg = charts.grouped_bars_svg(
            [str(c["year"]) for c in cohorts],
            [
                ("6 måneder efter ankomst", series("m6")),
                ("12 måneder efter ankomst", series("m12")),
                (f"Pr. {as_of_text}", series("as_of")),
            ],
        )
        out["chart"] = charts.data_uri(svg)
    return out


def _benchmark(figures: Mapping, marks: Marks) -> dict:
    municipalities = figures.get("benchmark_municipalities") or []
    bench = figures.get("benchmark_employment") or []
    out = {
        "periods": [b["period"] for b in bench],
        "rows": [
            {
                "municipality": name,
                "own": name == figures.get("municipality"),
                "values": [_external(b["values"].get(name), marks) for b in bench],
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
        out["chart"] = charts.data_uri(svg)
    return out


def _review_progression(figures: Mapping, marks: Marks) -> dict:
    pr = figures.get("progression") or {}
    n = pr.get("caseworker_measurements") or 0
    labels = pr.get("item_labels") or {}
    item_means = pr.get("caseworker_item_means") or {}
    enough = n >= marks.min_cell
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
    progression_trend, measurements = trend_with_total(
        pr.get("trend") or [],
        marks,
        total=n,
        since=str(pr.get("from") or "")[:7],
        first=months_ago(figures["as_of"][:7], REVIEW_TREND_MONTHS - 1),
    )
    chart = None
    if items and enough:
        svg = charts.item_means_svg(
            [(f"{i['number']}. {i['label']}", item_means[i["number"]]) for i in items],
            places=MEAN_PLACES,
        )
        chart = charts.data_uri(svg)
    return {
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
        "chart": chart,
    }


def _danish_absence(figures: Mapping, marks: Marks) -> dict:
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
    out = {"rows": rows, "chart": None}
    if absence and any(v is not None for v in own_series + national_series):
        top = max(v for v in own_series + national_series if v is not None)
        svg = charts.trend_svg(
            month_axis_labels([str(a["period"]) for a in absence]),
            [(settings.MUNICIPALITY_NAME, own_series), ("Landsgennemsnit", national_series)],
            y_label="Fravær (%)",
            y_range=(0, max(top, 10) * 1.2),
        )
        out["chart"] = charts.data_uri(svg)
    return out


def service_review_context(figures: Mapping, *, min_cell: int, draft: bool = False) -> dict:
    period = period_of(figures)
    marks = Marks(min_cell)
    ctx = _base_context(figures, period, min_cell=min_cell, draft=draft)
    narratives = figures.get("narratives") or {}
    ctx.update(
        narratives={
            key: quotes_da((narratives.get(key) or {}).get("text", "")) for key in NARRATIVE_KEYS
        },
        cohorts=_cohorts(figures, marks, ctx["as_of"]),
        benchmark=_benchmark(figures, marks),
        wellbeing=[
            {
                "period": w["period"],
                "bilingual": _external(w.get("bilingual"), marks),
                "danish": _external(w.get("danish"), marks),
            }
            for w in figures.get("wellbeing") or []
        ],
        repatriations=country_rows(figures.get("repatriations") or [], marks, with_year=True),
        progression=_review_progression(figures, marks),
        danish_absence=_danish_absence(figures, marks),
    )
    ctx["footnotes"] = marks.footnotes()
    return ctx
