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

from collections.abc import Mapping

from evaluation import disclosure
from evaluation.pdf.formatting import da_date, month_short
from evaluation.pdf.marks import Marks, Shown
from evaluation.period import ReportPeriod

OTHER_STEPS = ["2", "3", "4", "5", "6"]


def month_in_year(values: dict, lines: list, month: str, year: str, *, january: bool) -> None:
    """The month's count is part of the year's: month + earlier = year (in
    January they are one number). The earlier months are never printed."""
    if january:
        lines.append(([month], year))
        return
    earlier = f"{year}_earlier"
    values[earlier] = int(values[year]) - int(values[month])
    lines.append(([month, earlier], year))


def _month_and_year(values: dict, lines: list, name: str, pair: Mapping, january: bool) -> None:
    values[f"{name}_month"] = int(pair["month"])
    values[f"{name}_ytd"] = int(pair["year_to_date"])
    month_in_year(values, lines, f"{name}_month", f"{name}_ytd", january=january)


def _split(values: dict, lines: list, part: str, rest: str, whole: str) -> None:
    """``part`` and the (unprinted) ``rest`` add up to ``whole``."""
    values[rest] = int(values[whole]) - int(values[part])
    lines.append(([part, rest], whole))


def link(figures: Mapping, period: ReportPeriod, values: dict, lines: list) -> None:
    """Add this module's counts to the report's linked numbers."""
    january = period.as_of.month == 1
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

    follow_ups = figures["follow_ups"]
    for when in ("month", "ytd"):
        key = "month" if when == "month" else "year_to_date"
        values[f"fu_held_{when}"] = int(follow_ups[key]["held"])
        values[f"fu_guided_{when}"] = int(follow_ups[key]["guided"])
        _split(values, lines, f"fu_guided_{when}", f"fu_unguided_{when}", f"fu_held_{when}")
    month_in_year(values, lines, "fu_held_month", "fu_held_ytd", january=january)
    month_in_year(values, lines, "fu_guided_month", "fu_guided_ytd", january=january)

    _month_and_year(values, lines, "moved", figures["moved_away"], january)

    reception = figures["reception"]
    for when, refugees in (("month", "month_refugees"), ("ytd", "ytd_refugees")):
        counts = reception["month" if when == "month" else "year_to_date"]
        if int(counts["refugees"]) != int(values[refugees]):
            raise ValueError("The reception counts other refugees than table 2.")
        for name in ("screened", "near_job"):
            values[f"rec_{name}_{when}"] = int(counts[name])
            _split(values, lines, f"rec_{name}_{when}", f"rec_not_{name}_{when}", refugees)
    for name in ("screened", "near_job"):
        month_in_year(values, lines, f"rec_{name}_month", f"rec_{name}_ytd", january=january)


def _hidden(marks: Marks) -> Shown:
    marks.used.add("hidden")
    return Shown(disclosure.HIDDEN + disclosure.FOOTNOTE_MARKER, suppressed=True)


def _signed(change: int) -> str:
    if change > 0:
        return f"+{change}"
    if change < 0:
        return f"\N{MINUS SIGN}{-change}"
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
    ("arrivals_year_to_date", "year_to_date", "Ankomne i året til og med måneden"),
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
        if key == "arrivals_year_to_date":
            # The year so far starts over in January; in other months the
            # change is the month's arrivals, printed (or hidden) in table 2.
            since_month = marks.dash() if period.as_of.month == 1 else cells["month"]
            if not since_month.suppressed and not since_month.missing:
                since_month = Shown(_signed(int(figures["arrivals"]["month"])))
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
        "der efter deres beskæftigelsesstatus (DREAM og sagsbehandlerens registrering) er i "
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


def context(figures: Mapping, period: ReportPeriod, marks: Marks, cells: Mapping) -> dict:
    """The template values of the additions to the monthly follow-up."""
    fu = figures["follow_ups"]
    as_of = da_date(period.as_of)
    year_label = f"{period.as_of.year} til og med {as_of}"
    follow_ups = [
        _guidance_row(
            label,
            cells[f"fu_held_{when}"],
            cells[f"fu_guided_{when}"],
            marks.share(
                fu[key]["guided"],
                fu[key]["held"],
                cells[f"fu_guided_{when}"],
                cells[f"fu_held_{when}"],
            ),
        )
        for label, when, key in [
            (period.label[:1].upper() + period.label[1:], "month", "month"),
            (year_label, "ytd", "year_to_date"),
        ]
    ]
    reception = {
        "columns": [period.label, year_label],
        "rows": [
            ("Ankomne flygtninge", [cells["month_refugees"], cells["ytd_refugees"]]),
            (
                "heraf med forbesøg på asylcenter før ankomst",
                [cells["rec_screened_month"], cells["rec_screened_ytd"]],
            ),
            (
                "heraf boligplaceret nær et kendt job",
                [cells["rec_near_job_month"], cells["rec_near_job_ytd"]],
            ),
        ],
        "moved_away": [cells["moved_month"], cells["moved_ytd"]],
    }
    return {
        "headline": headline(figures, period, marks, cells),
        "employed_note": employed_note(figures, period, cells),
        "follow_ups": follow_ups,
        "reception": reception,
    }


def deadline_rows(figures: Mapping, period: ReportPeriod, marks: Marks) -> list[dict]:
    """Table 8's rows for the integration contract and plan, protected like the
    health offers (each a group: on time and late add up to those due)."""
    year = f"frist i {period.as_of.year} til og med {da_date(period.as_of)}"
    rows = []
    for key, what in [
        ("contract", "Integrationskontrakt indgået"),
        ("plan", "Integrationsplan tilbudt"),
    ]:
        c = figures["compliance"][key]
        months = int(c["months"])
        span = "1 måned" if months == 1 else f"{months} måneder"
        (ok, _late), due = marks.group([c["on_time"], c["due"] - c["on_time"]], c["due"])
        rows.append(
            {
                "label": f"{what} senest {span} efter ankomst ({year})",
                "of": due,
                "ok": ok,
                "share": marks.share(c["on_time"], c["due"], ok, due),
            }
        )
    return rows


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
