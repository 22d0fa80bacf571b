"""The council reports: from a figures dict to HTML, to PDF, to the archive.

A report is rendered from the figures dict of ``evaluation.report_data`` (the
same dict that is archived with the PDF), never from models. Every count and
share a reader sees goes through ``evaluation.disclosure``; a mean or median
built on fewer people than the minimum cell is not shown at all, since one
person's value could be read from it. The PDF is always Danish.

WeasyPrint fetches nothing but the app's own static files
(:class:`StaticOnlyFetcher`); charts are embedded as ``data:`` URIs.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import logging
import re
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import F
from django.template.loader import render_to_string
from django.utils import timezone, translation

from common.dates import month_end
from evaluation import charts, disclosure
from evaluation.models import ReportArchive, ReportKind, ReportNarrative

logger = logging.getLogger(__name__)

# WeasyPrint resolves relative URLs against this; the fetcher serves only
# ``<REPORT_BASE_URL>static/...`` from the staticfiles finders. ".invalid"
# can never resolve to a real host (RFC 2606).
REPORT_BASE_URL = "https://report.invalid/"
STATIC_PREFIX = "static/"

# Anything shaped like a CPR number (DDMMYY-SSSS) must never reach a report.
CPR_RE = re.compile(r"\d{6}-?\d{4}")

# The service review's narrative sections, in the order they are printed.
NARRATIVE_SECTIONS: list[tuple[str, str]] = [
    ("introduction", "Indledning"),
    ("employment", "Beskæftigelse og selvforsørgelse"),
    ("benchmark", "Sammenligning med andre kommuner"),
    ("repatriation", "Repatriering"),
    ("progression", "Progressionsmålinger"),
    ("danish", "Danskuddannelse"),
    ("conclusion", "Konklusion"),
]
NARRATIVE_KEYS = [key for key, _label in NARRATIVE_SECTIONS]

FILENAME_PREFIX = {
    ReportKind.MONTHLY: "maanedsopfoelgning",
    ReportKind.SERVICE_REVIEW: "serviceeftersyn",
}
TITLES = {
    ReportKind.MONTHLY: "Månedlig opfølgning på integrationsindsatsen",
    ReportKind.SERVICE_REVIEW: "Serviceeftersyn af integrationsindsatsen",
}
MONTHS_DA = [
    "januar", "februar", "marts", "april", "maj", "juni",
    "juli", "august", "september", "oktober", "november", "december",
]  # fmt: skip
MONTHS_DA_SHORT = [
    "jan.", "feb.", "mar.", "apr.", "maj", "jun.",
    "jul.", "aug.", "sep.", "okt.", "nov.", "dec.",
]  # fmt: skip
LADDER_STEPS_DA = {
    1: "Ordinært arbejde eller uddannelse",
    2: "Løntilskud, privat",
    3: "Løntilskud, offentlig",
    4: "Virksomhedspraktik, privat",
    5: "Virksomhedspraktik, offentlig",
    6: "Øvrige udviklingsindsatser",
    None: "Ingen aktuel placering",
}
# Decimals shown: the figures hold means to 2 places; showing fewer would
# round a rounded number.
MEAN_PLACES = 2
BENCHMARK_PLACES = 1

# What a job is doing, for its progress page (keys are stored on the job).
STEPS = {
    "queued": 0,
    "figures": 10,
    "charts": 40,
    "pdf": 60,
    "archive": 90,
    "done": 100,
}

StepCallback = Callable[[str, int], None]


class ReportRefused(Exception):
    """The report cannot be made as asked (a month not over, draft texts...).
    The message names no person and is safe to show to the user."""


# --- periods -----------------------------------------------------------------


def parse_period(kind: str, period: str) -> dt.date:
    """The as-of date a period names: a month's last day, or the review's date.

    Raises ValueError for a malformed period or an unknown kind.
    """
    if kind == ReportKind.MONTHLY:
        if not re.fullmatch(r"\d{4}-\d{2}", period or ""):
            raise ValueError(f"A month is written YYYY-MM, not {period!r}")
        first = dt.date.fromisoformat(f"{period}-01")
        return month_end(first)
    if kind == ReportKind.SERVICE_REVIEW:
        if not re.fullmatch(r"\d{4}-\d{2}-\d{2}", period or ""):
            raise ValueError(f"A date is written YYYY-MM-DD, not {period!r}")
        return dt.date.fromisoformat(period)
    raise ValueError(f"Unknown report kind {kind!r}")


def previous_month(today: dt.date) -> str:
    """The period of the last month that has ended on ``today``."""
    last = today.replace(day=1) - dt.timedelta(days=1)
    return f"{last:%Y-%m}"


def period_label(kind: str, period: str) -> str:
    """``oktober 2026`` for a month, ``22-11-2026`` for a review date."""
    day = parse_period(kind, period)
    if kind == ReportKind.MONTHLY:
        return f"{MONTHS_DA[day.month - 1]} {day.year}"
    return da_date(day)


def da_date(value: dt.date | str | None) -> str:
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = dt.date.fromisoformat(value[:10])
    return f"{value:%d-%m-%Y}"


def _month_short(month: str) -> str:
    """``2025-11`` -> ``nov. 2025``."""
    year, number = month.split("-")
    return f"{MONTHS_DA_SHORT[int(number) - 1]} {year}"


# --- numbers as printed --------------------------------------------------------


def decimal_da(value: float | Decimal | None, places: int = 1) -> str:
    """A decimal with a comma, rounded half up (``3.25`` -> ``3,3``)."""
    if value is None:
        return "–"
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


@dataclass
class Shown:
    """One printed value: the text, and how the table should mark it."""

    text: str
    suppressed: bool = False
    missing: bool = False  # "#" or "–": no figure, for a reason a footnote gives
    percent: int | None = None  # a share's value, for its chart

    def __str__(self) -> str:
        return self.text


@dataclass
class _Marks:
    """Every number a reader sees is made here, through ``evaluation.disclosure``;
    it also remembers which markers were printed, so that the report's
    footnotes explain exactly those."""

    min_cell: int
    used: set[str] = field(default_factory=set)

    def group(self, counts: Iterable[int], total: int | None) -> tuple[list[Shown], Shown]:
        """Cells published with their total (``None``: the total is their sum)."""
        counts = [int(c or 0) for c in counts]
        if total is None:
            total = sum(counts)
        group = disclosure.suppress_group(counts, total=int(total), min_cell=self.min_cell)
        return [self.cell(c) for c in group.cells], self.cell(group.total)

    def count(self, value: int | None) -> Shown:
        """A count published on its own."""
        if value is None:
            return self.dash()
        return self.cell(disclosure.count_cell(int(value), min_cell=self.min_cell))

    def share(
        self,
        numerator: int | None,
        denominator: int | None,
        *shown_with: Shown,
    ) -> Shown:
        """A share; hidden as well when a count printed with it (``shown_with``,
        its numerator or base) is hidden, since the share would give it away."""
        if numerator is None or denominator is None:
            return self.dash()
        cell = disclosure.share_cell(int(numerator), int(denominator), min_cell=self.min_cell)
        if cell.suppressed or any(s.suppressed for s in shown_with):
            self.used.add("hidden")
            return Shown(disclosure.HIDDEN + disclosure.FOOTNOTE_MARKER, suppressed=True)
        if cell.percent is None:
            return self.dash()
        return Shown(f"{cell.percent} %", percent=cell.percent)

    def mean(self, value: float | None, based_on: int | None, places: int = MEAN_PLACES) -> Shown:
        """A mean or median, shown only when enough people or measurements
        stand behind it (one person's value could be read from it otherwise)."""
        if value is None or based_on is None or based_on < self.min_cell:
            return self.dash()
        return Shown(decimal_da(value, places))

    def hash(self) -> Shown:
        self.used.add("hash")
        return Shown("#", missing=True)

    def dash(self) -> Shown:
        self.used.add("dash")
        return Shown("–", missing=True)

    def cell(self, cell: disclosure.Cell) -> Shown:
        if cell.suppressed:
            self.used.add("hidden" if cell.marker else "small")
        return Shown(str(cell), suppressed=bool(cell.suppressed))

    def footnotes(self) -> list[str]:
        n = self.min_cell
        notes = []
        if "small" in self.used:
            notes.append(f"<{n}: Færre end {n} personer (også ingen), så ingen kan genkendes.")
        if "hidden" in self.used:
            notes.append(
                f"{disclosure.HIDDEN}{disclosure.FOOTNOTE_MARKER}: Skjult, fordi tallet ellers "
                f"kunne regnes ud fra en total og de viste tal, eller fordi færre end {n} "
                "personer står bag andelen eller bag resten."
            )
        if "hash" in self.used:
            notes.append(
                "#: Ikke alle personer i årgangen har nået tidspunktet på opgørelsesdagen, "
                "så andelen kan endnu ikke opgøres."
            )
        if "dash" in self.used:
            notes.append(
                f"{disclosure.HIDDEN}: Intet at opgøre, eller gennemsnittet bygger på færre end "
                f"{n} personer eller målinger og vises derfor ikke."
            )
        return notes


# --- context for the templates ---------------------------------------------------


def _base_context(figures: Mapping, *, min_cell: int, draft: bool) -> dict:
    kind = figures["kind"]
    generated = figures.get("generated_at")
    generated_text = ""
    if generated:
        moment = dt.datetime.fromisoformat(generated)
        if timezone.is_aware(moment):
            moment = timezone.localtime(moment)
        generated_text = f"{moment:%d-%m-%Y} kl. {moment:%H:%M}"
    return {
        "kind": kind,
        "title": TITLES[kind],
        "municipality": settings.MUNICIPALITY_NAME,
        "period_label": period_label(kind, figures["period"]),
        "as_of": da_date(figures["as_of"]),
        "generated": generated_text,
        "min_cell": min_cell,
        "rule_text": disclosure.rule_text(min_cell, language="da"),
        "draft": draft,
    }


def suppress_linked(
    values: Mapping[str, int],
    lines: Sequence[tuple[Sequence[str], str]],
    *,
    min_cell: int,
) -> dict[str, disclosure.Cell]:
    """Complementary suppression over several tables that share numbers.

    A report prints the same number in several places (the adults in the
    programme are a row of table 1, the total of the ladder, the base of the
    employment share...), so a table protected on its own could give away a
    cell hidden in another. ``lines`` are the sums that tie the numbers
    (``(cells, total)``: the cells add up to the total).

    A number that is never printed (the adults *not* in a course) takes part
    like any other: the solver then assumes the reader knows it, which only
    ever hides more, and hiding it costs nothing. When it is small it is
    protected like a printed one, since a share or a total would give it away.
    """
    for cells, total in lines:
        if sum(int(values[c]) for c in cells) != int(values[total]):
            raise ValueError(f"{total} is not the sum of {', '.join(cells)}")
    linked = getattr(disclosure, "suppress_linked", None)
    if linked is not None:
        return linked(values, lines, min_cell=min_cell)
    # The disclosure module solves exactly this for one group or one cross
    # table; until it offers a public entry point for linked tables, use its
    # solver directly.
    disclosure._check_min_cell(min_cell)
    names = list(values)
    index = {name: i for i, name in enumerate(names)}
    problem = disclosure._Problem(
        [int(values[name]) for name in names],
        [([index[c] for c in cells], index[total]) for cells, total in lines],
        min_cell,
    )
    problem.protect()
    return {name: problem.cell(index[name]) for name in names}


def _ladder_rows(counts: Mapping, keys: Sequence[str]) -> list[int]:
    return [int(counts.get(k, 0) or 0) for k in keys]


LADDER_KEYS = [str(s) for s in range(1, 7)] + ["none"]


def _ladder_months(
    months: list[Mapping], marks: _Marks, *, last: tuple[list[Shown], Shown] | None
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
        rows.append({"month": _month_short(month["month"]), "cells": cells, "total": total})
        shown = [None if c.suppressed else v for c, v in zip(cells, counts, strict=True)]
        for series, value in zip(chart_steps, shown, strict=True):
            series.append(value)
        # The hidden cells together: what the total less the shown cells gives
        # away in the table anyway. Nothing when the total is hidden too.
        hidden.append(None if total.suppressed else total_value - sum(v or 0 for v in shown))
    svg = charts.ladder_months_svg(
        [_month_short(m["month"]).replace(" ", "\n") for m in months],
        [
            (f"{i}. {LADDER_STEPS_DA[i]}" if i else LADDER_STEPS_DA[None], series)
            for i, series in zip([1, 2, 3, 4, 5, 6, None], chart_steps, strict=True)
        ],
        hidden,
    )
    return {"rows": rows, "chart": charts.data_uri(svg) if months else None}


def _months_ago(month: str, count: int) -> str:
    """``2026-10`` and 23 -> ``2024-11``."""
    year, number = (int(x) for x in month.split("-"))
    index = year * 12 + number - 1 - count
    return f"{index // 12:04d}-{index % 12 + 1:02d}"


def _trend_with_total(
    trend: list[Mapping], marks: _Marks, *, total: int, since: str, first: str
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
    linked = suppress_linked(
        values, [([k for k in values if k != "total"], "total")], min_cell=marks.min_cell
    )
    cells = {month: marks.cell(linked[month]) for month in members}
    return _trend(trend, marks, cells=cells), marks.cell(linked["total"])


def _trend(
    trend: list[Mapping],
    marks: _Marks,
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
                "month": _month_short(month["month"]),
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
            [_month_short(m["month"]).replace(" ", "\n") for m in trend],
            [
                ("Sagsbehandlerens indeks (spm. 1–12)", index_series),
                ("Borgerens egen vurdering (spm. 13)", citizen_series),
            ],
        )
        out["chart"] = charts.data_uri(svg)
    return out


def _country_rows(rows: list[Mapping], marks: _Marks, *, with_year: bool) -> dict:
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
    from evaluation import report_data

    marks = _Marks(min_cell)
    ctx = _base_context(figures, min_cell=min_cell, draft=draft)
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
    as_of = parse_period(ReportKind.MONTHLY, figures["period"])

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
        for name, cell in suppress_linked(values, lines, min_cell=min_cell).items()
    }

    ctx["in_programme"] = {
        k: cells[k] for k in ("total", "adults", "children", "refugees", "family")
    }

    quota = a.get("quota")
    ctx["arrivals"] = {
        "year": a["year"],
        "month_label": period_label(ReportKind.MONTHLY, figures["period"]),
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
    if months and months[-1]["month"] == figures["period"]:
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
        first=_months_ago(figures["period"], report_data.MONTHLY_TREND_MONTHS - 1),
    )
    month_cell = None
    if (
        trend
        and trend[-1]["month"] == figures["period"]
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
    from evaluation import report_data

    marks = _Marks(min_cell)
    ctx = _base_context(figures, min_cell=min_cell, draft=draft)
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
        first=_months_ago(figures["as_of"][:7], report_data.REVIEW_TREND_MONTHS - 1),
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
                "period": _period_text(a["period"]),
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
            [_period_text(a["period"]).replace(" ", "\n") for a in absence],
            [(settings.MUNICIPALITY_NAME, own_series), ("Landsgennemsnit", national_series)],
            y_label="Fravær (%)",
            y_range=(0, max(top, 10) * 1.2),
        )
        ctx["danish_absence"]["chart"] = charts.data_uri(svg)
    ctx["footnotes"] = marks.footnotes()
    return ctx


def _share_of_quota(marks: _Marks, arrived: int, quota: int | None, arrived_cell: Shown) -> Shown:
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


def _external(value, marks: _Marks) -> Shown:
    """A published figure from outside (Jobindsats, the wellbeing survey)."""
    if value is None:
        return marks.dash()
    return Shown(decimal_da(value, BENCHMARK_PLACES))


def _period_text(period: str) -> str:
    if re.fullmatch(r"\d{4}-\d{2}", str(period)):
        return _month_short(period)
    return str(period)


def _item_ref(number, labels: Mapping) -> dict | None:
    if number is None:
        return None
    return {"number": number, "label": labels.get(str(number), labels.get(number, ""))}


# --- HTML and PDF -----------------------------------------------------------------------


def figures_are_draft(figures: Mapping) -> bool:
    """A service review is a draft while any narrative section is not final."""
    if figures.get("kind") != ReportKind.SERVICE_REVIEW:
        return False
    narratives = figures.get("narratives") or {}
    return any(
        (narratives.get(key) or {}).get("status") != ReportNarrative.Status.FINAL
        for key in NARRATIVE_KEYS
    )


def render_html(
    figures: Mapping,
    *,
    min_cell: int | None = None,
    draft: bool | None = None,
    stylesheet_url: str | None = None,
    preview: bool = False,
    back_url: str | None = None,
) -> str:
    """The report as one standalone Danish HTML page.

    ``stylesheet_url`` is where the page finds report.css: by default the
    path WeasyPrint's fetcher serves; the browser preview passes the static URL.
    """
    min_cell = settings.REPORT_MIN_CELL if min_cell is None else min_cell
    draft = figures_are_draft(figures) if draft is None else draft
    kind = figures["kind"]
    with translation.override("da"):
        if kind == ReportKind.MONTHLY:
            ctx = monthly_context(figures, min_cell=min_cell, draft=draft)
            template = "evaluation/pdf/monthly.html"
        elif kind == ReportKind.SERVICE_REVIEW:
            ctx = service_review_context(figures, min_cell=min_cell, draft=draft)
            template = "evaluation/pdf/service_review.html"
        else:
            raise ValueError(f"Unknown report kind {kind!r}")
        ctx["stylesheet_url"] = stylesheet_url or STATIC_PREFIX + "css/report.css"
        ctx["preview"] = preview
        ctx["back_url"] = back_url
        ctx["narrative_sections"] = NARRATIVE_SECTIONS
        return render_to_string(template, ctx)


class FetchRefused(ValueError):
    """WeasyPrint asked for something other than the app's own static files."""


def static_only_fetcher():
    """A WeasyPrint URL fetcher that serves ``static/...`` from the staticfiles
    finders and ``data:`` URIs, and refuses everything else: a report never
    makes a network request or reads a file outside the app's static files.

    A refusal stops the rendering (``fail_on_errors``): a report that misses a
    part must not be published.
    """
    from weasyprint.urls import URLFetcher, URLFetcherResponse

    class StaticOnlyFetcher(URLFetcher):
        def __init__(self):
            super().__init__(allowed_protocols={"data"}, fail_on_errors=True, timeout=1)
            self.fetched: list[str] = []
            self.refused: list[str] = []

        def fetch(self, url, headers=None):
            if url.startswith("data:"):
                return super().fetch(url, headers)
            if url.startswith(REPORT_BASE_URL + STATIC_PREFIX):
                path = url[len(REPORT_BASE_URL + STATIC_PREFIX) :].split("?")[0].split("#")[0]
                found = _find_static(path)
                if found is not None:
                    self.fetched.append(url)
                    with open(found, "rb") as handle:
                        body = handle.read()
                    return URLFetcherResponse(
                        url, body, {"Content-Type": _mime_type(path)}, status=200
                    )
            self.refused.append(url)
            raise FetchRefused(f"Reports may load only the app's static files, not {url}")

    return StaticOnlyFetcher()


def _find_static(path: str) -> str | None:
    from django.contrib.staticfiles import finders

    if not path or path.startswith("/") or ".." in path.split("/") or "\\" in path:
        return None
    found = finders.find(path)
    if isinstance(found, list):
        found = found[0] if found else None
    return found


def _mime_type(path: str) -> str:
    import mimetypes

    guessed, _encoding = mimetypes.guess_type(path)
    return guessed or "application/octet-stream"


def render_pdf(html: str, *, fetcher=None) -> bytes:
    """The PDF of a report page: A4, page numbers from report.css, and tagged
    as PDF/UA-1 so that a screen reader can read the public agenda's
    attachment (the charts' alt texts and table headers go with it)."""
    from weasyprint import HTML

    fetcher = fetcher or static_only_fetcher()
    document = HTML(string=html, base_url=REPORT_BASE_URL, url_fetcher=fetcher)
    return document.write_pdf(pdf_variant="pdf/ua-1")


# --- narratives ----------------------------------------------------------------


class NarrativeConflict(Exception):
    """Someone else saved a section after this form was opened."""

    def __init__(self, sections: list[str]):
        super().__init__(", ".join(sections))
        self.sections = sections


def narratives_for(as_of: dt.date) -> dict[str, ReportNarrative | None]:
    found = {
        n.section: n
        for n in ReportNarrative.objects.filter(as_of=as_of).select_related("updated_by")
    }
    return {key: found.get(key) for key in NARRATIVE_KEYS}


def missing_narratives(as_of: dt.date) -> list[tuple[str, str, str]]:
    """Sections that keep the service review from being made: (key, label, why)."""
    missing = []
    stored = narratives_for(as_of)
    for key, label in NARRATIVE_SECTIONS:
        narrative = stored.get(key)
        if narrative is None or not narrative.text.strip():
            missing.append((key, label, "missing"))
        elif narrative.status != ReportNarrative.Status.FINAL:
            missing.append((key, label, "draft"))
    return missing


def narratives_save(
    *,
    as_of: dt.date,
    user,
    texts: Mapping[str, str],
    versions: Mapping[str, int],
    status: str,
) -> list[str]:
    """Save the sections that changed; returns their keys.

    Optimistic locking: ``versions`` are the versions the form was opened
    with (0 for a section that did not exist). A section whose text or status
    differs from the stored one is written only if nobody saved it in the
    meantime; otherwise nothing is saved and :class:`NarrativeConflict`
    names the stale sections.
    """
    if status not in ReportNarrative.Status.values:
        raise ValueError(f"Unknown status {status!r}")
    for key in texts:
        if key not in NARRATIVE_KEYS:
            raise ValueError(f"Unknown section {key!r}")
        if CPR_RE.search(texts[key] or ""):
            raise ValueError("A narrative may not hold a CPR number")
    changed: list[str] = []
    stale: list[str] = []
    with transaction.atomic():
        current = {
            n.section: n for n in ReportNarrative.objects.select_for_update().filter(as_of=as_of)
        }
        now = timezone.now()
        for key in NARRATIVE_KEYS:
            if key not in texts:
                continue
            text = texts[key] or ""
            row = current.get(key)
            seen = int(versions.get(key) or 0)
            if row is None:
                if not text.strip() and status == ReportNarrative.Status.DRAFT:
                    continue
                if seen != 0:
                    stale.append(key)
                    continue
                try:
                    with transaction.atomic():
                        ReportNarrative.objects.create(
                            as_of=as_of, section=key, text=text, status=status, updated_by=user
                        )
                except IntegrityError:
                    stale.append(key)
                    continue
                changed.append(key)
                continue
            if row.text == text and row.status == status:
                continue
            if row.version != seen:
                stale.append(key)
                continue
            updated = ReportNarrative.objects.filter(pk=row.pk, version=seen).update(
                text=text,
                status=status,
                version=F("version") + 1,
                updated_by=user,
                updated_at=now,
            )
            if not updated:
                stale.append(key)
                continue
            changed.append(key)
        if stale:
            transaction.set_rollback(True)
            raise NarrativeConflict(stale)
    return changed


# --- making and archiving -----------------------------------------------------


def compute_figures(kind: str, period: str) -> dict:
    """The figures dict of a report, computed now (Danish labels)."""
    from evaluation import report_data

    as_of = parse_period(kind, period)
    with translation.override("da"):
        if kind == ReportKind.MONTHLY:
            figures = report_data.monthly_figures(as_of.replace(day=1))
        else:
            figures = report_data.service_review_figures(as_of)
    if kind == ReportKind.SERVICE_REVIEW and "narratives" not in figures:
        figures["narratives"] = {
            key: {"text": n.text, "status": n.status}
            for key, n in narratives_for(as_of).items()
            if n is not None
        }
    return figures


def _check_no_cpr(figures: Mapping) -> None:
    """Last guard: no CPR-shaped string anywhere in the figures (narratives
    included) goes into a published report."""

    def walk(value):
        if isinstance(value, str):
            yield value
        elif isinstance(value, Mapping):
            for k, v in value.items():
                yield str(k)
                yield from walk(v)
        elif isinstance(value, list | tuple):
            for v in value:
                yield from walk(v)

    for text in walk(figures):
        if CPR_RE.search(text):
            raise ReportRefused("The report's text holds something shaped like a CPR number.")


def archive_save(
    *,
    kind: str,
    period: str,
    pdf: bytes,
    figures: Mapping,
    min_cell: int,
    created_by=None,
    seconds: float | None = None,
    attempts: int = 5,
) -> ReportArchive:
    """Store a PDF as the next version of its kind and period; never overwrite.

    The existing versions are locked while the next number is chosen; two
    first versions made at the same moment lock nothing, so the loser of the
    unique constraint tries again.
    """
    digest = hashlib.sha256(pdf).hexdigest()
    for attempt in range(attempts):
        try:
            with transaction.atomic():
                versions = list(
                    ReportArchive.objects.select_for_update()
                    .filter(kind=kind, period=period)
                    .values_list("version", flat=True)
                )
                return ReportArchive.objects.create(
                    kind=kind,
                    period=period,
                    version=max(versions, default=0) + 1,
                    pdf=pdf,
                    sha256=digest,
                    figures=figures,
                    min_cell=min_cell,
                    created_by=created_by,
                    seconds=seconds,
                )
        except IntegrityError:
            if attempt == attempts - 1:
                raise
            time.sleep(0.05 * (attempt + 1))
    raise AssertionError("unreachable")


def make_report(
    *,
    kind: str,
    period: str,
    user=None,
    allow_draft: bool = False,
    on_step: StepCallback | None = None,
    today: dt.date | None = None,
) -> ReportArchive:
    """Compute, render and archive one report; returns the new archive row.

    Refuses (:class:`ReportRefused`) a period that has not ended yet, and a
    service review whose narrative sections are not all final unless
    ``allow_draft`` (then every page is stamped UDKAST).
    """
    started = time.perf_counter()
    step = on_step or (lambda _key, _percent: None)
    try:
        as_of = parse_period(kind, period)
    except ValueError as exc:
        raise ReportRefused(str(exc)) from exc
    today = today or timezone.localdate()
    if as_of > today:
        raise ReportRefused(
            f"The report date {da_date(as_of)} has not passed yet; make the report after it."
        )
    if kind == ReportKind.SERVICE_REVIEW and not allow_draft:
        missing = missing_narratives(as_of)
        if missing:
            names = ", ".join(label for _key, label, _why in missing)
            raise ReportRefused(f"These narrative sections are not final: {names}.")
    min_cell = settings.REPORT_MIN_CELL
    step("figures", STEPS["figures"])
    figures = compute_figures(kind, period)
    _check_no_cpr(figures)
    draft = figures_are_draft(figures)
    if draft and not allow_draft:
        raise ReportRefused("The narrative sections are not final.")
    step("charts", STEPS["charts"])
    html = render_html(figures, min_cell=min_cell, draft=draft)
    step("pdf", STEPS["pdf"])
    pdf = render_pdf(html)
    step("archive", STEPS["archive"])
    return archive_save(
        kind=kind,
        period=period,
        pdf=pdf,
        figures=figures,
        min_cell=min_cell,
        created_by=user,
        seconds=round(time.perf_counter() - started, 3),
    )


def download_filename(archive: ReportArchive) -> str:
    """``maanedsopfoelgning-2026-10-v2.pdf``: plain ASCII, safe in any header."""
    return f"{FILENAME_PREFIX[archive.kind]}-{archive.period}-v{archive.version}.pdf"


def archives_by_period(kind: str) -> list[dict]:
    """Every archived version of a kind, newest period first, without the PDFs."""
    from django.db.models.functions import Length

    rows = (
        ReportArchive.objects.filter(kind=kind)
        .defer("pdf", "figures")
        .select_related("created_by")
        .annotate(size=Length("pdf"))
        .order_by("-period", "-version")
    )
    grouped: dict[str, list[ReportArchive]] = {}
    for row in rows:
        grouped.setdefault(row.period, []).append(row)
    return [
        {"period": period, "label": period_label(kind, period), "versions": versions}
        for period, versions in grouped.items()
    ]
