"""The monthly follow-up's numbers beyond its first eight tables (issue 11), and
the service review's repatriation guidance.

- the headline figures with their change since last month and last year;
- why the employed (table 5) and ladder step 1 (table 3.1) differ;
- follow-ups held with adults and how many gave repatriation guidance;
- the integration contract and plan deadlines;
- refugees' reception (screening visit, housing near a known job) and the
  citizens who moved away.

Each count of the month is one of the report's linked numbers (``link`` adds
it, with the sums that tie it to the rest), so it is protected together with
the tables it shares numbers with, through the report's one ``Marks``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping

from common import dates
from evaluation import disclosure
from evaluation.pdf.formatting import da_date, month_short
from evaluation.pdf.marks import Marks, Shown
from evaluation.period import ReportPeriod

OTHER_STEPS = ["2", "3", "4", "5", "6"]


def _split(values: dict, lines: list, part: str, rest: str, whole: str) -> None:
    """``part`` and the (unprinted) ``rest`` add up to ``whole``."""
    values[rest] = int(values[whole]) - int(values[part])
    lines.append(([part, rest], whole))


def link(figures: Mapping, period: ReportPeriod, values: dict, lines: list) -> None:
    """Add this module's counts to the report's linked numbers."""
    by_step = figures["employed"]["by_step"]
    if sum(int(v) for v in by_step.values()) != int(figures["employed"]["count"]):
        raise ValueError("The employed by ladder step do not add up to the employed.")
    values["emp_step1"] = int(by_step["1"])
    values["emp_other_step"] = sum(int(by_step[k]) for k in OTHER_STEPS)
    values["emp_no_step"] = int(by_step["none"])
    values["emp_not_step1"] = values["emp_other_step"] + values["emp_no_step"]
    lines.append((["emp_step1", "emp_not_step1"], "employed"))
    lines.append((["emp_other_step", "emp_no_step"], "emp_not_step1"))
    _split(values, lines, "emp_step1", "step1_not_emp", "ladder_1")

    # The month's counts are tied to the month's other cells here; the years to
    # date are printed apart, through a month the series allows (``_year_so_far``).
    follow_ups = figures["follow_ups"]["month"]
    values["fu_held_month"] = int(follow_ups["held"])
    values["fu_guided_month"] = int(follow_ups["guided"])
    _split(values, lines, "fu_guided_month", "fu_unguided_month", "fu_held_month")

    values["moved_month"] = int(figures["moved_away"]["month"])

    counts = figures["reception"]["month"]
    if int(counts["refugees"]) != int(values["month_refugees"]):
        raise ValueError("The reception counts other refugees than table 2.")
    for name in ("screened", "near_job"):
        values[f"rec_{name}_month"] = int(counts[name])
        _split(values, lines, f"rec_{name}_month", f"rec_not_{name}_month", "month_refugees")


def _hidden(marks: Marks) -> Shown:
    marks.used.add("hidden")
    return Shown(disclosure.HIDDEN + disclosure.FOOTNOTE_MARKER, suppressed=True)


def _signed(change: int) -> str:
    if change > 0:
        return f"+{change}"
    if change < 0:
        # A hyphen: the report font has no minus sign (U+2212).
        return f"-{-change}"
    return "0"


def _change(marks: Marks, now: int, now_cell: Shown, before: int) -> Shown:
    """The change from ``before`` to ``now``. Shown only when both are: with
    ``now`` printed, the change gives ``before`` away."""
    if (
        now_cell.suppressed
        or disclosure.count_cell(int(before), min_cell=marks.min_cell).suppressed
    ):
        return _hidden(marks)
    return Shown(_signed(int(now) - int(before)))


HEADLINE_ROWS = [
    ("in_programme", "total", "Borgere i integrationsprogrammet"),
    ("employed", "employed", "Voksne i beskæftigelse eller selvforsørgende"),
    ("danish_in_course", "in_course", "Voksne i danskuddannelse"),
    ("danish_with_work", "with_work", "Voksne i danskuddannelse og i arbejde eller praktik"),
]


def headline(figures: Mapping, period: ReportPeriod, marks: Marks, cells: Mapping) -> dict:
    """The headline figures of the month beside their change since the month
    before and the same month a year before."""
    h = figures["headline"]
    rows = []
    for key, cell, label in HEADLINE_ROWS:
        now = h["now"][key]
        since_month = _change(marks, now, cells[cell], h["last_month"][key])
        rows.append(
            {
                "label": label,
                "now": cells[cell],
                "since_month": since_month,
                "since_year": _change(marks, now, cells[cell], h["last_year"][key]),
            }
        )
    return {
        "rows": rows,
        "last_month": month_short(h["last_month"]["as_of"][:7]),
        "last_year": month_short(h["last_year"]["as_of"][:7]),
    }


def employed_note(figures: Mapping, period: ReportPeriod, cells: Mapping) -> str:
    """Why table 5's employed and table 3.1's step 1 differ, with the month's counts."""
    return (
        "Tabel 5 og tabel 3.1 bygger på hver sin registrering: tabel 5 tæller voksne, "
        "der efter deres beskæftigelsesstatus i sagssystemet (indlæst eller registreret) er i "
        "beskæftigelse eller selvforsørgende; tabel 3.1 tæller sagsbehandlerens aktuelle "
        f"placering på prioriteringstrappen. Af de {cells['employed']} i beskæftigelse eller "
        f"selvforsørgende står {cells['emp_step1']} på trin 1, {cells['emp_other_step']} på et "
        f"andet trin og {cells['emp_no_step']} uden aktuel placering (fx selvforsørgende "
        "uden et tilbud, eller et job, som trappen endnu ikke er rettet til). "
        f"Af de {cells['ladder_1']} på trin 1 er {cells['step1_not_emp']} ikke registreret "
        f"som i beskæftigelse eller selvforsørgende pr. {da_date(period.as_of)} "
        "(fx en ansættelse, der endnu ikke er indberettet)."
    )


def _guidance_row(label: str, held: Shown, guided: Shown, share: Shown) -> dict:
    return {"label": label, "held": held, "guided": guided, "share": share}


def _year_so_far(
    marks: Marks, period: ReportPeriod, series: dict[str, list[int]]
) -> tuple[dict[str, int], str | None]:
    """The year's sums of ``series`` through the last month every one of them
    allows (``disclosure.series_anchor``), and that month's last day (None: no
    month yet). Two reports' years to date then never give a small month away."""
    names = list(series)
    last = disclosure.series_anchor(*(list(series[n]) for n in names), min_cell=marks.min_cell)
    if last < 0:
        return {}, None
    through = da_date(dates.month_end(dt.date(period.as_of.year, last + 1, 1)))
    return {n: sum(series[n][: last + 1]) for n in names}, through


def _year_label(period: ReportPeriod, through: str | None) -> str:
    return f"{period.as_of.year} til og med {through}" if through else str(period.as_of.year)


def _follow_ups_rows(figures: Mapping, period: ReportPeriod, marks: Marks, cells: Mapping):
    fu = figures["follow_ups"]
    month = _guidance_row(
        period.label[:1].upper() + period.label[1:],
        cells["fu_held_month"],
        cells["fu_guided_month"],
        marks.share(
            fu["month"]["guided"], fu["month"]["held"],
            cells["fu_guided_month"], cells["fu_held_month"],
        ),
    )  # fmt: skip
    if period.as_of.month == 1:
        # January's year is the month: the same cells, whatever the anchor.
        january = _year_label(period, da_date(period.as_of))
        return [month, {**month, "label": january}]
    if "months" not in fu:
        # Figures made before the months were kept: no year to date is safe.
        hidden = marks.hidden()
        return [month, _guidance_row(_year_label(period, None), hidden, hidden, hidden)]
    held = [int(m["held"]) for m in fu["months"]]
    guided = [int(m["guided"]) for m in fu["months"]]
    unguided = [h - g for h, g in zip(held, guided, strict=True)]
    sums, through = _year_so_far(
        marks, period, {"held": held, "guided": guided, "unguided": unguided}
    )
    if through is None:
        hidden = marks.hidden()
        return [month, _guidance_row(_year_label(period, None), hidden, hidden, hidden)]
    (guided_cell, _rest), held_cell = marks.group([sums["guided"], sums["unguided"]], sums["held"])
    share = marks.share(sums["guided"], sums["held"], guided_cell, held_cell)
    return [month, _guidance_row(_year_label(period, through), held_cell, guided_cell, share)]


def _reception(figures: Mapping, period: ReportPeriod, marks: Marks, cells: Mapping) -> dict:
    """Table 9.1 for the month only: the year's refugees are printed once, in
    table 2, through their own month; a second year to date of the same people
    through another month would let a reader subtract the two. Table 9.2's
    moving away has a year to date of its own series."""
    moved = [int(n) for n in figures["moved_away"].get("months", [])]
    sums, through = _year_so_far(marks, period, {"moved": moved}) if moved else ({}, None)
    year_cell = marks.count(sums["moved"]) if through else marks.hidden()
    if period.as_of.month == 1:
        # January's year is the month: the same cell, whatever the anchor.
        through, year_cell = da_date(period.as_of), cells["moved_month"]
    return {
        "columns": [period.label],
        "rows": [
            ("Ankomne flygtninge", [cells["month_refugees"]]),
            ("heraf med forbesøg på asylcenter før ankomst", [cells["rec_screened_month"]]),
            ("heraf boligplaceret nær et kendt job", [cells["rec_near_job_month"]]),
        ],
        "moved_columns": [period.label, _year_label(period, through)],
        "moved_away": [cells["moved_month"], year_cell],
    }


def context(figures: Mapping, period: ReportPeriod, marks: Marks, cells: Mapping) -> dict:
    """The template values of the additions to the monthly follow-up."""
    return {
        "headline": headline(figures, period, marks, cells),
        "employed_note": employed_note(figures, period, cells),
        "follow_ups": _follow_ups_rows(figures, period, marks, cells),
        "reception": _reception(figures, period, marks, cells),
    }


def _cumulative(months: list[int], upto: int) -> int:
    return sum(months[: upto + 1])


def _year_of_deadlines(c: Mapping, marks: Marks) -> tuple[int, bool]:
    """The last month (index) a deadline row's year so far may run through, and
    whether its on-time count may be exact there.

    The deadlines due are printed through a month their series allows
    (``disclosure.running_closures``). On time and late are printed exactly only
    where each has grown by at least the minimum since the last month they were
    exact: a reader who subtracts two reports' rows learns no small count of
    late deadlines. Elsewhere a small side prints as its bound ("mindst 96 %").
    """
    due = [int(m["due"]) for m in c["by_month"]]
    ok = [int(m["on_time"]) for m in c["by_month"]]
    closures = disclosure.running_closures([due], min_cell=marks.min_cell)
    exact, last = False, None
    for k in closures:
        ok_k, late_k = _cumulative(ok, k), _cumulative(due, k) - _cumulative(ok, k)
        exact = min(ok_k, late_k) >= marks.min_cell and (
            last is None
            or min(ok_k - last[0], late_k - last[1]) >= marks.min_cell
            or marks.min_cell <= 1
        )
        if exact:
            last = (ok_k, late_k)
    return closures[-1], exact


def _deadline_row(what: str, c: Mapping, period: ReportPeriod, marks: Marks) -> dict:
    """A deadline row of table 8: those whose deadline fell in the year so far, on
    time, and the share, through the month ``_year_of_deadlines`` allows."""
    year = period.as_of.year
    if len(c.get("by_month") or []) != period.as_of.month:
        # Figures made before the months were kept: no year so far is safe.
        hidden = marks.hidden()
        return {"label": f"{what} (frist i {year})", "of": hidden, "ok": hidden, "share": hidden}
    last, exact = _year_of_deadlines(c, marks)
    due = _cumulative([int(m["due"]) for m in c["by_month"]], last)
    ok = _cumulative([int(m["on_time"]) for m in c["by_month"]], last)
    through = da_date(dates.month_end(dt.date(year, last + 1, 1)))
    if exact or min(ok, due - ok) < marks.min_cell:
        (ok_cell, _late), due_cell = marks.group([ok, due - ok], due)
        share = marks.share(ok, due, ok_cell, due_cell)
    else:
        due_cell, ok_cell, share = marks.count(due), marks.hidden(), marks.hidden()
    label = f"{what} (frist i {year} til og med {through})"
    return {"label": label, "of": due_cell, "ok": ok_cell, "share": share}


def deadline_rows(figures: Mapping, period: ReportPeriod, marks: Marks) -> list[dict]:
    """Table 8's rows for the health offer, the integration contract and the
    plan: each a group (on time and late add up to those due), its year so far
    through a month that gives no month's count away."""
    compliance = figures["compliance"]
    rows = [
        _deadline_row(
            "Tilbud om helbredsmæssig vurdering inden 3 måneder efter ankomst",
            compliance["health_offer"],
            period,
            marks,
        )
    ]
    for key, what in [
        ("contract", "Integrationskontrakt indgået"),
        ("plan", "Integrationsplan tilbudt"),
    ]:
        months = int(compliance[key]["months"])
        span = "1 måned" if months == 1 else f"{months} måneder"
        rows.append(
            _deadline_row(f"{what} senest {span} efter ankomst", compliance[key], period, marks)
        )
    return rows


def repatriations_of_year(figures: Mapping, period: ReportPeriod, marks: Marks) -> dict:
    """Table 7: households and persons repatriated in the year so far, through
    the last month their series allows (``disclosure.running_closures``). The
    split by country, and into adults and children, is the service review's,
    for whole years: in a running monthly series it would give a family away
    by differencing two reports."""
    r = figures["repatriations"]
    year = r["year"]
    months = r.get("months") or []
    if len(months) != period.as_of.month:
        hidden = marks.hidden()
        return {"year": year, "through": None, "households": hidden, "persons": hidden}
    households = [int(m["households"]) for m in months]
    persons = [int(m["persons"]) for m in months]
    last = disclosure.running_closures([households, persons], min_cell=marks.min_cell)[-1]
    return {
        "year": year,
        "through": da_date(dates.month_end(dt.date(year, last + 1, 1))),
        "households": marks.count(_cumulative(households, last)),
        "persons": marks.count(_cumulative(persons, last)),
    }


def guidance_by_year(rows: list[Mapping], marks: Marks) -> list[dict]:
    """The service review's follow-ups and repatriation guidance per year; each
    year's guided and not guided are a group with the year's follow-ups."""
    out = []
    for row in rows:
        held, guided = int(row["held"]), int(row["guided"])
        (guided_cell, _rest), held_cell = marks.group([guided, held - guided], held)
        share = marks.share(guided, held, guided_cell, held_cell)
        out.append(_guidance_row(str(row["year"]), held_cell, guided_cell, share))
    return out
