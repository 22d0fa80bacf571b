"""What the report templates print, built from a figures dict (the one that
is archived with the PDF), never from models.

Each builder applies disclosure once, through :class:`~evaluation.pdf.marks.Marks`,
and writes the numbers in Danish; a mean or median built on fewer people than
the minimum cell is not shown at all, since one person's value could be read
from it. The PDF is always Danish.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from fractions import Fraction

from django.conf import settings

from common import dates
from evaluation import charts, disclosure
from evaluation.figures import MONTHLY_TREND_MONTHS
from evaluation.pdf import additions, review_sections, sources
from evaluation.pdf.benchmark_context import (
    danish_absence_context,
    external_shown,
    external_value,
    wellbeing_context,
)
from evaluation.pdf.formatting import (
    BENCHMARK_PLACES,
    LADDER_STEPS_DA,
    MEAN_PLACES,
    da_date,
    da_moment,
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
from evaluation.progression_figures import REVIEW_TREND_MONTHS
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
    the employment, of the Danish courses and of the follow-ups; the arrivals
    of the month are part of the year's, and refugees and family reunified
    are each counted for the month and the year (the quota is the refugees').
    Those displaced from Ukraine have a row of their own, never the refugees';
    figures archived before that row print without it, as they did."""
    p, a, pl = figures["in_programme"], figures["arrivals"], figures["placement_96h"]
    e, d, fu = figures["employed"], figures["danish"], figures["compliance"]["follow_up"]
    if e["of"] != p["adults"] or d["of"] != p["adults"] or fu["open_cases"] != p["adults"]:
        raise ValueError("The figures' bases disagree with the programme counts.")
    ladder = {
        str(r["step"]) if r["step"] else "none": int(r["count"]) for r in figures["ladder_now"]
    }
    # A row for those displaced from Ukraine where the figures count them apart.
    ukraine = ["ukraine"] if "displaced_ukraine" in p else []
    values = {
        **(
            {"ukraine": p["displaced_ukraine"], "month_ukraine": a["month_displaced_ukraine"]}
            if ukraine
            else {}
        ),
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
        "within": pl["within"],
        "late": int(pl["arrivals"]) - int(pl["within"]) - int(pl["not_placed"]),
        "not_placed": pl["not_placed"],
        "adult_arrivals": pl["arrivals"],
    }
    lines = [
        (["adults", "children"], "total"),
        (["refugees", "family", *ukraine], "total"),
        ([f"ladder_{k}" for k in LADDER_KEYS], "adults"),
        (["employed", "not_employed"], "adults"),
        (["in_course", "not_in_course"], "adults"),
        (["with_work", "course_only"], "in_course"),
        (["fu_ok", "fu_not"], "adults"),
        (["month_refugees", "month_family", *[f"month_{k}" for k in ukraine]], "month"),
        (["within", "late", "not_placed"], "adult_arrivals"),
    ]
    additions.link(figures, period, values, lines)
    # The year to date is not tied in here: it is printed only through a month
    # that the series allows (``_year_to_date``); the 96-hour table covers a
    # rolling 12 months, not the year.
    return values, lines


def _share_of_quota(marks: Marks, arrived: int, quota: int | None, arrived_cell: Shown) -> Shown:
    """Arrivals so far as a share of the year's quota (may pass 100 %). The
    quota is a published expectation, not people; the share is hidden when
    the count behind it is."""
    if not quota:
        return marks.dash()
    if arrived_cell.suppressed:
        return marks.hidden()
    return Shown(f"{disclosure.round_half_up(Fraction(100 * int(arrived), int(quota)))} %")


def _through(
    year: int, months: list[int], marks: Marks, hidden: list[bool] | None = None
) -> tuple[int, str | None]:
    """The months of the year a running total may cover (``series_anchor``), and
    the last day it covers (None: not one month yet)."""
    through = disclosure.series_anchor(months, min_cell=marks.min_cell, hidden=hidden)
    if through < 0:
        return 0, None
    return through + 1, da_date(dates.month_end(dt.date(year, through + 1, 1)))


def _refugees_so_far(
    a: Mapping, period: ReportPeriod, marks: Marks, refugees_cell: Shown
) -> tuple[Shown, str, int]:
    """The year's refugees, the quota's people, through the last month their
    series allows (``disclosure.series_anchor``): no month's small count follows
    from this report's and an earlier one's. The family reunified and the total
    are printed for the month only; with the year's refugees beside the year's
    total, the few family reunified of a year would follow."""
    months = a.get("months_refugees")
    if period.as_of.month == 1 and months is not None:
        # January's year is the month: the same cell as the month's row.
        return refugees_cell, da_date(period.as_of), int(months[0])
    if months is None or len(months) != period.as_of.month:
        # Figures without their months (archived before): nothing safe to print.
        return marks.hidden(), da_date(period.as_of), 0
    totals = a.get("months") or months
    # A month whose refugee cell its own report hid (a range or "..") is known
    # to be at least the minimum; a "<5" is small.
    hidden = [
        disclosure.suppress_group([r, t - r], total=t, min_cell=marks.min_cell).cells[0].hidden
        for t, r in zip(totals, months, strict=True)
    ]
    covered, through = _through(a["year"], list(months), marks, hidden)
    if through is None:
        return marks.hidden(), da_date(period.as_of), 0
    arrived = sum(months[:covered])
    return marks.count(arrived), through, arrived


def _arrivals(figures: Mapping, period: ReportPeriod, marks: Marks, cells: dict) -> dict:
    a = figures["arrivals"]
    quota = a.get("quota")
    ytd_refugees, through, refugees_arrived = _refugees_so_far(
        a, period, marks, cells["month_refugees"]
    )
    return {
        "year": a["year"],
        "month_label": period.label,
        "month_refugees": cells["month_refugees"],
        "month_family": cells["month_family"],
        "month_ukraine": cells.get("month_ukraine"),
        "month": cells["month"],
        "ytd_refugees": ytd_refugees,
        "through": through,
        # The quota is a published expectation, not a count of people. It is
        # the year's refugees: family reunified are not set against it.
        "quota": Shown(thousands_da(quota)) if quota is not None else marks.dash(),
        "share_of_quota": _share_of_quota(marks, refugees_arrived, quota, ytd_refugees),
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
    """Table 6.1's year is the sum of table 6.2's months of the year through the
    last month the series allows (``series_anchor``), and its month is the
    table's last row."""
    pr = figures["progression"]
    trend = pr.get("trend") or []
    year = period.as_of.year
    counts = {m["month"]: int(m.get("caseworker_measurements") or 0) for m in trend}
    months = [counts.get(f"{year:04d}-{i:02d}", 0) for i in range(1, period.as_of.month + 1)]
    covered, through = _through(year, months, marks)
    progression_trend, year_cell = trend_with_total(
        trend,
        marks,
        total=sum(months[:covered]),
        since=f"{year:04d}-01",
        first=months_ago(period.text, MONTHLY_TREND_MONTHS - 1),
        until=f"{year:04d}-{covered:02d}",
    )
    if through is None:
        year_cell = marks.hidden()
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
        "through": through or da_date(period.as_of),
        "trend": progression_trend,
    }


def _compliance(figures: Mapping, period: ReportPeriod, marks: Marks, cells: dict) -> list:
    fu = figures["compliance"]["follow_up"]
    rows = additions.deadline_rows(figures, period, marks)
    follow_up = {
        "label": "Opfølgning inden for de seneste 3 måneder (voksne i programmet)",
        "of": cells["adults"],
        "ok": cells["fu_ok"],
        "share": marks.share(fu["up_to_date"], fu["open_cases"], cells["fu_ok"], cells["adults"]),
    }
    return [rows[0], follow_up, *rows[1:]]


def monthly_context(figures: Mapping, *, min_cell: int, draft: bool = False) -> dict:
    period = period_of(figures)
    marks = Marks(min_cell)
    values, lines = _linked_numbers(figures, period)
    linked = disclosure.suppress_linked(values, lines, min_cell=min_cell)
    cells = {name: marks.cell(cell) for name, cell in linked.items()}
    ctx = _base_context(figures, period, min_cell=min_cell, draft=draft)
    ctx.update(
        in_programme={
            k: cells[k]
            for k in ("total", "adults", "children", "refugees", "family", "ukraine")
            if k in cells
        },
        arrivals=_arrivals(figures, period, marks, cells),
        **_ladders(figures, period, marks, cells, values),
        placement=_placement(figures, marks, cells),
        **_work_and_danish(figures, marks, cells),
        progression=_monthly_progression(figures, period, marks),
        repatriations=additions.repatriations_of_year(figures, period, marks),
        compliance=_compliance(figures, period, marks, cells),
        **additions.context(figures, period, marks, cells),
    )
    ctx["footnotes"] = marks.footnotes()
    ctx["sources"] = sources.monthly_sources(figures)
    return ctx


# --- the service review ------------------------------------------------------------------


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
    cohorts = review_sections.pooled_cohorts(list(figures.get("cohorts") or []), marks.min_cell)
    columns = [_cohort_column(c, marks) for c in cohorts]
    out = {
        "columns": columns,
        "chart": None,
        "has_hash": any(column[k].text == "#" for column in columns for k in ("m6", "m12")),
        "pooled": any("–" in str(column["year"]) for column in columns),
        "chart_marks": any(
            column[k].suppressed for column in columns for k in ("m6", "m12", "as_of")
        ),
        "pool_target": 2 * marks.min_cell,
        # Figures archived before the option counted refugees alone.
        "with_ukraine": bool((figures.get("cohorts_population") or {}).get("displaced_ukraine")),
    }
    if cohorts:

        def series(key: str) -> list[int | None]:
            # A bound or a hidden share draws no bar: its label stands alone.
            return [
                None if c[key].missing or c[key].suppressed else c[key].percent for c in columns
            ]

        def labels(key: str) -> list[str | None]:
            # A hidden share keeps its mark (".."), a bound its words; "#" is
            # only "not yet reached".
            # Words, as in the tables: the report's font has no ≤ or ≥.
            signs = {"at_least": "mindst ", "at_most": "højst "}
            return [
                f"{signs[c[key].bound]}{c[key].percent} %"
                if c[key].bound
                else c[key].text
                if c[key].suppressed or c[key].missing
                else None
                for c in columns
            ]

        out["chart"] = charts.chart_src(
            charts.grouped_bars_svg,
            [str(c["year"]) for c in cohorts],
            [
                ("6 måneder efter ankomst", series("m6")),
                ("12 måneder efter ankomst", series("m12")),
                (f"Pr. {as_of_text}", series("as_of")),
            ],
            labels=[labels("m6"), labels("m12"), labels("as_of")],
        )
    return out


BENCHMARK_CHART_PERIODS = 3


def _benchmark(figures: Mapping, marks: Marks) -> dict:
    municipalities = figures.get("benchmark_municipalities") or []
    bench = figures.get("benchmark_employment") or []
    out = {
        "periods": [b["period"] for b in bench],
        "rows": [
            {
                "municipality": name,
                # Archived figures from before roles were stored know only the name.
                "own": (figures.get("benchmark_roles") or {}).get(
                    name, "own" if name == figures.get("municipality") else ""
                )
                == "own",
                "values": [external_shown(b["values"].get(name), marks) for b in bench],
            }
            for name in municipalities
        ],
        "chart": None,
    }
    # The figure draws the latest periods only, so that its bars stay
    # readable; the table holds them all.
    charted = bench[-BENCHMARK_CHART_PERIODS:]
    if charted:
        periods = "–".join(
            dict.fromkeys([period_text(charted[0]["period"]), period_text(charted[-1]["period"])])
        )
        out["chart_caption"] = (
            f"Figur 3.1. Andel i ordinær beskæftigelse, kommunerne og hele landet, {periods}"
        )
    if bench and municipalities:
        out["chart"] = charts.chart_src(
            charts.grouped_bars_svg,
            municipalities,
            [
                (
                    str(b["period"]),
                    [external_value(b["values"].get(name)) for name in municipalities],
                )
                for b in charted
            ],
            missing_label="–",
            value_places=BENCHMARK_PLACES,
        )
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
        until=str(pr.get("to") or figures["as_of"])[:7],
    )
    chart = None
    if items and enough:
        chart = charts.chart_src(
            charts.item_means_svg,
            [(f"{i['number']}. {i['label']}", item_means[i["number"]]) for i in items],
            places=MEAN_PLACES,
        )
    return {
        "from": da_date(pr.get("from")),
        "to": da_date(pr.get("to")),
        "measurements": measurements,
        "too_few": marks.count(pr.get("caseworker_too_few") or 0)
        if pr.get("caseworker_too_few")
        else None,
        "min_answered": settings.PROGRESSION_MIN_ANSWERED,
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
        wellbeing=wellbeing_context(figures, marks),
        repatriations=country_rows(figures.get("repatriations") or [], marks),
        repatriation_guidance=additions.guidance_by_year(
            figures.get("repatriation_guidance") or [], marks
        ),
        progression=_review_progression(figures, marks),
        danish_absence=danish_absence_context(figures, marks),
        cohorts_adjusted=review_sections.cohorts_adjusted(figures, marks),
        questionnaire_annex=review_sections.questionnaire_annex(figures),
    )
    ctx["footnotes"] = marks.footnotes()
    ctx["sources"] = sources.review_sources(figures)
    return ctx
