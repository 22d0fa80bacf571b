"""Published figures: nothing in a council PDF, and nothing the test suite
prints to a PDF or a log, points at a person.

The property tests make the monthly follow-up and the service review from
generated data, read every table back from the report's text, and play a
reader who knows

- every number shown, that "<5" is 0–4, and that ".." is at least 5 (the
  footnote says it hides a cell a total would reveal; one that stands for a
  small count is read as 0 or more);
- each printed range ("49–53") and each bounded share ("mindst 66 %"), and
  that a listed row holds at least one household;
- the shares shown beside their base (a whole percentage narrows the count);
- every sum that ties the numbers: a table's total, the same count printed in
  two tables (the adults of tables 1, 3.1 and 5), a count and the rest of its
  base (the adults not employed), the year's measurements as the sum of its
  months.

Such a reader must not be able to pin a count below ``REPORT_MIN_CELL``
(printed or only implied, like the adults not employed) or a hidden cell to
its value, nor learn that the hidden cells of a sum with a known total add up
to fewer than the minimum (they are then a small group of people together).
The reader is played by bounds along every sum and an exhaustive search over
the hidden values; the disclosure module's own solver plays no part.

The last part tests the leak guard of ``tests/guards.py``.
"""

from __future__ import annotations

import calendar
import datetime as dt
import logging
import math
import re
from dataclasses import dataclass, field
from fractions import Fraction
from html.parser import HTMLParser
from pathlib import Path

import pytest
from django.db import transaction
from hypothesis import HealthCheck, event, given
from hypothesis import settings as hypothesis_settings
from hypothesis import strategies as st

from common import dates
from evaluation import charts, reports
from evaluation import services as evaluation_services
from evaluation.models import ReportKind
from evaluation.pdf import context, formatting, render
from evaluation.period import ReportPeriod
from integration import services
from integration.models import (
    Case,
    CaseStatus,
    ClosingReason,
    DanishAbsence,
    DanishCourse,
    EmploymentCategory,
    EmploymentSpell,
    FollowUp,
    HealthAssessment,
    LadderPlacement,
    Repatriation,
    ResidenceBasis,
)
from progression.models import Measurement, Rater, Round
from progression.selectors import questionnaire_current
from tests import guards
from tests.evaluation.test_reports import monthly_by_hand, review_by_hand
from tests.factories import ProviderFactory, TeamFactory, make_case, replacement_cpr

pytest_plugins = ["pytester"]

MIN = 5
PROJECT = Path(__file__).resolve().parents[2]
LADDER_KEYS = ["1", "2", "3", "4", "5", "6", "none"]
LADDER_LABELS = [f"{step}. {formatting.LADDER_STEPS_DA[step]}" for step in range(1, 7)] + [
    formatting.LADDER_STEPS_DA[None]
]
POOLED = "Øvrige lande"


# --- the report as text --------------------------------------------------------------

# A page's running footer: the municipality and title, then "... Side n af m".
FOOTER = re.compile(r"[^\n]*\n[^\n]*Side \d+ af \d+\s*$")


def pdf_flat(pdf: bytes) -> str:
    """The PDF's text (read by pypdf) without page footers, whitespace collapsed."""
    pages = [FOOTER.sub("", page) for page in guards.pdf_pages(pdf)]
    return " ".join(" ".join(pages).split())


class _HtmlText(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self.skipping = 0

    def handle_starttag(self, tag, attrs):
        self.skipping += tag in ("head", "style", "script")
        self.parts.append(" ")

    def handle_endtag(self, tag):
        self.skipping -= tag in ("head", "style", "script")
        self.parts.append(" ")

    def handle_data(self, data):
        if not self.skipping:
            self.parts.append(data)


def html_flat(html: str) -> str:
    parser = _HtmlText()
    parser.feed(html)
    return " ".join("".join(parser.parts).split())


# One printed value: a count, "<5", "..", "–", "#", a range "49–53", a share
# "40 %", a bounded share "mindst 66 %", a range of shares "39–49 %", a mean "3,45"
# or a median of hours "2.184".
TOKEN = r"(<\d+|\.\.|–|#|(?:mindst |højst )?(?:\d{1,3}(?:\.\d{3})+|\d+)(?:,\d+)?(?:–\d+)?(?: %)?)"
RANGE = re.compile(r"(\d+)–(\d+)")


def table_rows(
    text: str, caption: str, header: str, rows: list[tuple[str, int]]
) -> list[list[str]]:
    """The printed values of a table's rows, read in order after its header.

    ``rows`` are the row labels with the number of values each row prints; a
    header repeated after a page break is skipped, and so are a chart's labels
    before it (a chart on the page is drawn after the table's text).
    """
    start = text.find(caption)
    assert start >= 0, f"{caption!r} is not in the report"
    pos = text.find(header, start)
    assert pos >= 0, f"the header {header!r} of {caption!r} is not in the report"
    pos += len(header)
    out = []
    for label, count in rows:
        pattern = (
            r"\s*(?:.{0,600}?"
            + re.escape(header)
            + r"\s*)??"
            + re.escape(label)
            + "".join(r"\s+" + TOKEN for _ in range(count))
            + r"(?=\s|$)"
        )
        match = re.compile(pattern).match(text, pos)
        assert match, f"{caption} has no row {label!r} here: {text[pos : pos + 160]!r}"
        out.append(list(match.groups()))
        pos = match.end()
    return out


# --- what a reader knows ---------------------------------------------------------------


def share_percent(numerator: int, denominator: int) -> int:
    """A whole percentage, halves up, worked out here without the app's rounding."""
    return int(Fraction(100 * numerator, denominator) + Fraction(1, 2))


@dataclass
class Reading:
    """What one report lets a reader know, next to the true counts it was made from."""

    true: dict[str, int]
    lines: list[tuple[tuple[str, ...], str]] = field(default_factory=list)
    shares: list[tuple[str, str, int]] = field(default_factory=list)
    # share bounds: numerator / denominator lies in [low, high] percent
    limits: list[tuple[str, str, Fraction, Fraction]] = field(default_factory=list)
    known: dict[str, tuple[int, int]] = field(default_factory=dict)
    shown: set[str] = field(default_factory=set)
    hidden: set[str] = field(default_factory=set)
    protected: set[str] = field(default_factory=set)
    problems: list[str] = field(default_factory=list)

    def _narrow(self, name: str, lo: int, hi: int) -> None:
        old_lo, old_hi = self.known.get(name, (0, CAP))
        self.known[name] = (max(lo, old_lo), min(hi, old_hi))

    def count(self, name: str, token: str) -> None:
        value = self.true[name]
        if token.isdigit():
            if int(token) != value:
                self.problems.append(f"{name}: printed {token}, the figures say {value}")
            elif value < MIN:
                self.problems.append(f"{name} = {value} is printed as it is")
            self._narrow(name, value, value)
            self.shown.add(name)
        elif token == f"<{MIN}":
            if value >= MIN:
                self.problems.append(f"{name} = {value} is printed as <{MIN}")
            self._narrow(name, 0, MIN - 1)
            self.hidden.add(name)
        elif token == "..":
            # The footnote says a ".." is a number a total would reveal: at least
            # the minimum. A small count printed so is read as 0 or more.
            self._narrow(name, MIN if value >= MIN else 0, CAP)
            self.hidden.add(name)
        elif RANGE.fullmatch(token):
            lo, hi = (int(x) for x in RANGE.fullmatch(token).groups())
            if not lo <= value <= hi:
                self.problems.append(f"{name} = {value} is printed as {token}")
            if lo < MIN:
                self.problems.append(f"{name}: the range {token} reaches below {MIN}")
            self._narrow(name, lo, hi)
            self.hidden.add(name)
        else:
            self.problems.append(f"{name}: {token!r} is not a count")

    def share(self, numerator: str, denominator: str, token: str) -> None:
        if token in ("..", "–", "#"):
            return
        n, d = self.true[numerator], self.true[denominator]
        bound = re.fullmatch(r"(mindst|højst) (\d+) %", token)
        spread = re.fullmatch(r"(\d+)–(\d+) %", token)
        if bound or spread:
            if bound and bound.group(1) == "mindst":
                low, high = Fraction(int(bound.group(2))), Fraction(100)
            elif bound:
                low, high = Fraction(0), Fraction(int(bound.group(2)))
            else:
                # whole percentages rounded half up: a-½ <= share < b+½
                low = int(spread.group(1)) - Fraction(1, 2)
                high = int(spread.group(2)) + Fraction(1, 2)
            if d == 0 or not low <= Fraction(100 * n, d) <= high:
                self.problems.append(f"{numerator} / {denominator}: printed {token}")
            self.limits.append((numerator, denominator, low, high))
            return
        match = re.fullmatch(r"(\d+) %", token)
        if not match:
            self.problems.append(f"{numerator} / {denominator}: {token!r} is not a share")
            return
        percent = int(match.group(1))
        if share_percent(self.true[numerator], self.true[denominator]) != percent:
            self.problems.append(f"{numerator} / {denominator}: printed {token}")
        self.shares.append((numerator, denominator, percent))

    def line(self, cells: list[str], total: str) -> None:
        assert sum(self.true[c] for c in cells) == self.true[total], (cells, total)
        self.lines.append((tuple(cells), total))

    def fixed(self, name: str, value: int) -> None:
        """A number the reader knows without the report (the year's quota)."""
        self.true[name] = value
        self._narrow(name, value, value)
        self.shown.add(name)


CAP = 10**6  # "no upper bound"; the search tries values near the truth first


def _ceil_div(a: int, b: int) -> int:
    return -(-a // b)


def _propagate(
    bounds: dict[str, list[int]],
    lines: list[tuple[tuple[str, ...], str]],
    shares: list[tuple[str, str, int]],
    limits: list[tuple[str, str, Fraction, Fraction]] = (),
) -> bool:
    """Narrow every number's bounds along the sums and shares to a fixpoint;
    False when they contradict each other."""
    changed = True
    while changed:
        changed = False
        for cells, total in lines:
            lo_sum = sum(bounds[c][0] for c in cells)
            hi_sum = sum(bounds[c][1] for c in cells)
            t = bounds[total]
            new = [max(t[0], lo_sum), min(t[1], hi_sum)]
            if new != t:
                bounds[total], changed = new, True
                t = new
            for c in cells:
                b = bounds[c]
                new = [
                    max(b[0], t[0] - (hi_sum - b[1])),
                    min(b[1], t[1] - (lo_sum - b[0])),
                ]
                if new != b:
                    lo_sum += new[0] - b[0]
                    hi_sum += new[1] - b[1]
                    bounds[c], changed = new, True
        for numerator, denominator, p in shares:
            # p % of d people: (2p - 1) d <= 200 k < (2p + 1) d
            n, d = bounds[numerator], bounds[denominator]
            lo = _ceil_div((2 * p - 1) * d[0], 200) if p > 0 else 0
            hi = _ceil_div((2 * p + 1) * d[1], 200) - 1
            new = [max(n[0], lo), min(n[1], hi)]
            if new != n:
                bounds[numerator], changed = new, True
                n = new
            d_lo = (200 * n[0]) // (2 * p + 1) + 1
            d_hi = (200 * n[1]) // (2 * p - 1) if p > 0 else d[1]
            new = [max(d[0], d_lo, 1), min(d[1], d_hi)]
            if new != d:
                bounds[denominator], changed = new, True
        for numerator, denominator, low, high in limits:
            # low <= 100 n / d <= high
            n, d = bounds[numerator], bounds[denominator]
            n_lo = math.ceil(low * d[0] / 100)
            n_hi = math.floor(high * d[1] / 100) if d[1] < CAP else n[1]
            new = [max(n[0], n_lo), min(n[1], n_hi)]
            if new != n:
                bounds[numerator], changed = new, True
                n = new
            d_hi = math.floor(100 * n[1] / low) if low > 0 and n[1] < CAP else d[1]
            d_lo = math.ceil(100 * n[0] / high) if high > 0 else d[0]
            new = [max(d[0], d_lo), min(d[1], d_hi)]
            if new != d:
                bounds[denominator], changed = new, True
        if any(lo > hi for lo, hi in bounds.values()):
            return False
    return True


class _GaveUp(Exception):
    pass


class _Search:
    """Whether the published numbers allow another value for one number."""

    def __init__(self, reading: Reading, bounds: dict[str, list[int]]):
        self.reading = reading
        self.bounds = bounds
        self.budget = 0

    def component(self, name: str):
        names = {name}
        lines = []
        shares = []
        limits = []
        grew = True
        while grew:
            grew = False
            for cells, total in self.reading.lines:
                members = {*cells, total}
                if members & names and (cells, total) not in lines:
                    lines.append((cells, total))
                    names |= members
                    grew = True
            for share in self.reading.shares:
                members = {share[0], share[1]}
                if members & names and share not in shares:
                    shares.append(share)
                    names |= members
                    grew = True
            for limit in self.reading.limits:
                members = {limit[0], limit[1]}
                if members & names and limit not in limits:
                    limits.append(limit)
                    names |= members
                    grew = True
        return sorted(names), lines, (shares, limits)

    def can_differ(self, name: str) -> bool | None:
        """True when another value fits everything published, False when none
        does, None when the search gave up (counted as a disclosure: a hidden
        value must be shown to be free, not assumed to be)."""
        names, lines, shares = self.component(name)
        value = self.reading.true[name]
        lo, hi = self.bounds[name]
        gave_up = False
        for side in ([lo, value - 1], [value + 1, hi]):
            if side[0] > side[1]:
                continue
            bounds = {n: list(self.bounds[n]) for n in names}
            bounds[name] = side
            self.budget = 20_000
            try:
                if self._solve(bounds, names, lines, shares):
                    return True
            except _GaveUp:
                gave_up = True
        return None if gave_up else False

    def _solve(self, bounds, names, lines, shares) -> bool:
        if not _propagate(bounds, lines, *shares):
            return False
        free = [n for n in names if bounds[n][0] < bounds[n][1]]
        if not free:
            return True
        name = min(free, key=lambda n: (bounds[n][1] - bounds[n][0], n))
        lo, hi = bounds[name]
        start = min(max(self.reading.true[name], lo), hi)
        step = 0
        while start - step >= lo or start + step <= hi:
            for value in {start - step, start + step}:
                if not lo <= value <= hi:
                    continue
                self.budget -= 1
                if self.budget < 0:
                    raise _GaveUp
                child = {n: list(b) for n, b in bounds.items()}
                child[name] = [value, value]
                if self._solve(child, names, lines, shares):
                    return True
            step += 1
        return False


def disclosures(reading: Reading) -> list[str]:
    """Everything the reader can work out that the rule says they may not."""
    problems = list(reading.problems)
    bounds = {name: list(reading.known.get(name, (0, CAP))) for name in reading.true}
    assert _propagate(bounds, reading.lines, reading.shares, reading.limits), (
        "the true counts contradict the PDF"
    )
    search = _Search(reading, bounds)
    hidden = reading.hidden - reading.shown
    for name in sorted(reading.protected | hidden):
        if name in reading.shown:
            continue
        if reading.true[name] >= MIN and name not in hidden:
            continue
        free = search.can_differ(name)
        if free is None:
            problems.append(f"{name} = {reading.true[name]}: no other value found in time")
        elif not free:
            problems.append(f"{name} = {reading.true[name]} can be worked out")
    for cells, total in reading.lines:
        if bounds[total][0] != bounds[total][1]:
            continue
        loose = [c for c in cells if bounds[c][0] != bounds[c][1]]
        together = sum(reading.true[c] for c in loose)
        if loose and together < MIN:
            problems.append(
                f"{' + '.join(loose)} = {together}: the hidden cells of {total} add up "
                "to fewer than the minimum"
            )
    return problems


# --- the monthly follow-up as a reader reads it ------------------------------------------


def _month_label(month: str) -> str:
    year, number = month.split("-")
    return f"{formatting.MONTHS_DA_SHORT[int(number) - 1]} {year}"


def _pooled(rows: list[dict], *, by_year: bool) -> list[tuple[str, dict]]:
    """Repatriations per country, countries with fewer than MIN people pooled,
    in the order the report prints them (per year; named countries first)."""
    groups: dict[tuple, dict] = {}
    for row in rows:
        adults, children = row["adults"] or 0, row["children"] or 0
        small = adults + children < MIN
        name = POOLED if small else row["name"]
        year = row.get("year") if by_year else 0
        entry = groups.setdefault(
            (year, small, "" if small else name),
            {"households": 0, "adults": 0, "children": 0, "label": name},
        )
        if by_year:
            entry["label"] = f"{year} {name}"
        entry["households"] += row["households"]
        entry["adults"] += adults
        entry["children"] += children
    return [(groups[key]["label"], groups[key]) for key in sorted(groups)]


def _read_repatriations(
    reading: Reading, text: str, caption: str, header: str, rows: list[dict], by_year: bool
) -> None:
    pooled = _pooled(rows, by_year=by_year)
    if not pooled:
        none = "Ingen repatrieringer." if by_year else "Ingen repatrieringer i året."
        table_rows(text, caption, header, [(none, 0)])
        return
    columns = ("households", "adults", "children", "persons")
    names = []
    for i, (_label, entry) in enumerate(pooled):
        entry["persons"] = entry["adults"] + entry["children"]
        row = {c: f"repatriated {c}, row {i + 1}" for c in columns}
        for c in columns:
            reading.true[row[c]] = entry[c]
        names.append(row)
    totals = {c: f"repatriated {c}, total" for c in columns}
    for c in columns:
        reading.true[totals[c]] = sum(reading.true[row[c]] for row in names)
    printed = table_rows(
        text, caption, header, [(label, 4) for label, _e in pooled] + [("I alt", 4)]
    )
    for row, tokens in zip([*names, totals], printed, strict=True):
        for c, token in zip(columns, tokens, strict=True):
            reading.count(row[c], token)
    for row in names:
        # A listed row holds at least one household of at least one person.
        reading._narrow(row["households"], 1, CAP)
        reading._narrow(row["persons"], 1, CAP)
    for row in [*names, totals]:
        reading.line([row["adults"], row["children"]], row["persons"])
    for c in columns:
        reading.line([row[c] for row in names], totals[c])
    reading.protected |= {n for row in [*names, totals] for n in row.values()}


def _year_column(text: str, caption: str, year: int) -> tuple[str, int | None]:
    """A table's year column as its heading or row names it ("2026 til og med
    30-09-2026", through its own anchor), and the month it runs through (None:
    the year is not printed, its cells are "..")."""
    start = text.find(caption)
    assert start >= 0, caption
    match = re.compile(rf"{year} til og med (\d\d-(\d\d)-{year}) ").search(text, start)
    if match and match.start() < start + 400:
        return f"{year} til og med {match.group(1)}", int(match.group(2))
    return str(year), None


def _month_and_year(
    reading: Reading, name: str, months: list[int], covered: int | None, january: bool
) -> None:
    """``name`` in the month and in the year through ``covered`` (None: not
    printed, read as the whole year); the earlier months unprinted."""
    month = months[-1]
    year = sum(months[: covered or len(months)])
    reading.true[f"{name} in the month"] = month
    reading.true[f"{name} in the year"] = year
    reading.protected |= {f"{name} in the month", f"{name} in the year"}
    if covered is not None and covered < len(months):
        return
    if january:
        reading.line([f"{name} in the month"], f"{name} in the year")
        return
    reading.true[f"{name} earlier in the year"] = year - month
    reading.protected.add(f"{name} earlier in the year")
    reading.line([f"{name} in the month", f"{name} earlier in the year"], f"{name} in the year")


def _part_of(reading: Reading, part: str, value: int, whole: str) -> None:
    """A count and the rest of its base (unprinted) add up to the base."""
    reading.true[part] = value
    reading.true[f"{whole} but not {part}"] = reading.true[whole] - value
    reading.protected |= {part, f"{whole} but not {part}"}
    reading.line([part, f"{whole} but not {part}"], whole)


def _read_month_and_year_parts(
    reading: Reading, figures: dict, january: bool, whole_year: bool
) -> None:
    """The sums that tie table 2's refugees and family reunified across the year
    (when its year runs through the month: ``whole_year``), and the employed by
    ladder step (table 5's note) to table 3.1's step 1."""
    for basis in ["refugees"]:
        month = reading.true[f"{basis} arrived in the month"]
        year = reading.true[f"{basis} arrived in the year"]
        if not whole_year:
            continue
        if not january:
            earlier = f"{basis} arrived earlier in the year"
            reading.true[earlier] = year - month
            reading.protected.add(earlier)
            reading.line([f"{basis} arrived in the month", earlier], f"{basis} arrived in the year")
        else:
            reading.line([f"{basis} arrived in the month"], f"{basis} arrived in the year")
    by_step = figures["employed"]["by_step"]
    reading.true["employed on step 1"] = by_step["1"]
    reading.true["employed on another step"] = sum(by_step[k] for k in "23456")
    reading.true["employed with no placement"] = by_step["none"]
    reading.true["employed not on step 1"] = sum(by_step[k] for k in "23456") + by_step["none"]
    reading.true["on step 1, not employed"] = by_step_gap = reading.true["ladder 1"] - by_step["1"]
    assert by_step_gap >= 0
    reading.protected |= {
        "employed on step 1",
        "employed on another step",
        "employed with no placement",
        "employed not on step 1",
        "on step 1, not employed",
    }
    reading.line(["employed on step 1", "employed not on step 1"], "employed")
    reading.line(
        ["employed on another step", "employed with no placement"], "employed not on step 1"
    )
    reading.line(["employed on step 1", "on step 1, not employed"], "ladder 1")


def _signed(token: str) -> int | None:
    match = re.fullmatch(r"([+-]?)(\d+)", token)
    if not match:
        return None
    return -int(match.group(2)) if match.group(1) == "-" else int(match.group(2))


def _read_additions(
    reading: Reading, text: str, figures: dict, month_title: str, year_title: str, january: bool
) -> None:
    """Table 5's note, the headline figures, tables 8.2, 9.1 and 9.2."""
    token = TOKEN
    note = re.search(
        rf"Af de {token} i beskæftigelse eller selvforsørgende står {token} på trin 1, "
        rf"{token} på et andet trin og {token} uden aktuel placering .*? "
        rf"Af de {token} på trin 1 er {token} ikke registreret",
        text,
    )
    assert note, "table 5's note is not in the report"
    for name, printed in zip(
        [
            "employed",
            "employed on step 1",
            "employed on another step",
            "employed with no placement",
            "ladder 1",
            "on step 1, not employed",
        ],
        note.groups(),
        strict=True,
    ):
        reading.count(name, printed)

    h = figures["headline"]
    rows = [
        ("Borgere i integrationsprogrammet", "in the programme", "in_programme"),
        ("Voksne i beskæftigelse eller selvforsørgende", "employed", "employed"),
        ("Voksne i danskuddannelse", "in a course", "danish_in_course"),
        (
            "Voksne i danskuddannelse og i arbejde eller praktik",
            "course and work",
            "danish_with_work",
        ),
    ]
    pos = text.find("Nøgletal Antal Siden")
    assert pos >= 0, "the headline table is not in the report"
    for label, name, key in rows:
        match = re.compile(re.escape(label) + rf"\s+{token}\s+(\S+)\s+(\S+)").search(text, pos)
        assert match, label
        pos = match.end()
        reading.count(name, match.group(1))
        for when, change in zip(("last_month", "last_year"), match.groups()[1:], strict=True):
            value = _signed(change)
            if value is None:
                assert change in ("..", "–"), (label, change)
                continue
            before = h[when][key]
            if reading.true[name] - value != before:
                reading.problems.append(f"{label}: change {change} is not since {before}")
            if before < MIN:
                reading.problems.append(f"{label}: the change gives {when}'s {before} away")

    assert "Ankomne i året til og med måneden" not in text, "table 2 carries the year"
    year = int(figures["arrivals"]["year"])
    fu = figures["follow_ups"]
    fu_title, covered = _year_column(text, "Tabel 8.2.", year)
    for kind in ("held", "guided"):
        months = [m[kind] for m in fu["months"]]
        _month_and_year(reading, f"follow-ups {kind}", months, covered, january)
    printed = table_rows(
        text,
        "Tabel 8.2.",
        "Periode Opfølgninger Med vejledning om repatriering Andel",
        [(month_title, 3), (fu_title, 3)],
    )
    for when, [held, guided, share] in zip(("in the month", "in the year"), printed, strict=True):
        _part_of(
            reading,
            f"follow-ups guided {when}",
            reading.true[f"follow-ups guided {when}"],
            f"follow-ups held {when}",
        )
        reading.count(f"follow-ups held {when}", held)
        reading.count(f"follow-ups guided {when}", guided)
        reading.share(f"follow-ups guided {when}", f"follow-ups held {when}", share)

    # Table 9.1 is the month's: the year's refugees are table 2's alone.
    rec = figures["reception"]["month"]
    for kind in ("screened", "near_job"):
        _part_of(
            reading, f"refugees {kind} in the month", rec[kind], "refugees arrived in the month"
        )
    printed = table_rows(
        text,
        "Tabel 9.1.",
        f"Flygtninge {month_title}",
        [
            ("Ankomne flygtninge", 1),
            ("heraf med forbesøg på asylcenter før ankomst", 1),
            ("heraf boligplaceret nær et kendt job", 1),
        ],
    )
    for prefix, [token] in zip(
        ["refugees arrived", "refugees screened", "refugees near_job"], printed, strict=True
    ):
        reading.count(f"{prefix} in the month", token)
    moved = figures["moved_away"]
    moved_title, covered = _year_column(text, "Tabel 9.2.", year)
    _month_and_year(reading, "moved away", moved["months"], covered, january)
    [[month, year]] = table_rows(
        text,
        "Tabel 9.2.",
        f"Sager lukket som fraflyttet {month_title} {moved_title}",
        [("Fraflyttede borgere", 2)],
    )
    reading.count("moved away in the month", month)
    reading.count("moved away in the year", year)


def _through_month(text: str, start: str, year: int) -> int:
    """The month a year so far runs through, named after ``start`` ("til og med dd-mm-yyyy")."""
    found = re.search(re.escape(start) + rf".*? til og med \d\d-(\d\d)-{year}\b", text)
    assert found, f"{start!r} names no month"
    return int(found.group(1))


def _read_year_of_repatriations(reading: Reading, text: str, figures: dict) -> None:
    """Table 7: the year's households and persons through the month it names."""
    r = figures["repatriations"]
    through = _through_month(text, "Tabel 7. Repatrierede i", r["year"])
    for key in ("households", "persons"):
        reading.true[f"repatriated {key}"] = sum(m[key] for m in r["months"][:through])
        reading.protected.add(f"repatriated {key}")
    header = f"Repatrierede {r['year']} til og med " + formatting.da_date(
        dates.month_end(dt.date(r["year"], through, 1))
    )
    [[households], [persons]] = table_rows(
        text, "Tabel 7.", header, [("Husstande", 1), ("Personer", 1)]
    )
    reading.count("repatriated households", households)
    reading.count("repatriated persons", persons)


def _read_deadlines(reading: Reading, text: str, figures: dict) -> list[list[str]]:
    """Table 8: each deadline row through the month it names; returns the
    health offers' and the follow-ups' printed values."""
    year = figures["arrivals"]["year"]
    rows = [
        ("health_offer", "Tilbud om helbredsmæssig vurdering inden 3 måneder efter ankomst"),
        ("contract", "Integrationskontrakt indgået senest 1 måned efter ankomst"),
        ("plan", "Integrationsplan tilbudt senest 1 måned efter ankomst"),
    ]
    labels = {}
    for key, what in rows:
        through = _through_month(text, f"{what} (frist i {year}", year)
        labels[key] = (
            f"{what} (frist i {year} til og med "
            + formatting.da_date(dates.month_end(dt.date(year, through, 1)))
            + ")"
        )
        months = figures["compliance"][key]["by_month"][:through]
        names = [f"{key} due", f"{key} on time", f"{key} late"]
        due = sum(m["due"] for m in months)
        on_time = sum(m["on_time"] for m in months)
        for name, value in zip(names, [due, on_time, due - on_time], strict=True):
            reading.true[name] = value
        reading.protected |= set(names)
        reading.line(names[1:], names[0])
    follow_up = "Opfølgning inden for de seneste 3 måneder (voksne i programmet)"
    printed = table_rows(
        text,
        "Tabel 8.",
        "Frist Omfattet Overholdt Andel",
        [(labels["health_offer"], 3), (follow_up, 3), (labels["contract"], 3), (labels["plan"], 3)],
    )
    for (key, _what), tokens in zip(rows, [printed[0], *printed[2:]], strict=True):
        reading.count(f"{key} due", tokens[0])
        reading.count(f"{key} on time", tokens[1])
        reading.share(f"{key} on time", f"{key} due", tokens[2])
    return printed[:2]


def read_monthly(text: str, figures: dict) -> Reading:
    p, a = figures["in_programme"], figures["arrivals"]
    pl, e, d = figures["placement_96h"], figures["employed"], figures["danish"]
    pr = figures["progression"]
    fu = figures["compliance"]["follow_up"]
    period = figures["period"]
    january = period.endswith("-01")
    ladder = {
        "none" if r["step"] is None else str(r["step"]): r["count"] for r in figures["ladder_now"]
    }
    reading = Reading(
        {
            "adults": p["adults"],
            "children": p["children"],
            "refugees": p["refugees"],
            "family reunified": p["family_reunified"],
            "in the programme": p["total"],
            **{f"ladder {k}": ladder.get(k, 0) for k in LADDER_KEYS},
            "employed": e["count"],
            "adults not employed": p["adults"] - e["count"],
            "in a course": d["in_course"],
            "adults not in a course": p["adults"] - d["in_course"],
            "course and work": d["with_work_or_internship"],
            "course only": d["in_course"] - d["with_work_or_internship"],
            "follow-up up to date": fu["up_to_date"],
            "follow-up overdue": fu["open_cases"] - fu["up_to_date"],
            "refugees arrived in the year": a["year_to_date_refugees"],
            "family arrived in the year": a["year_to_date_family_reunified"],
            "refugees arrived in the month": a["month_refugees"],
            "family arrived in the month": a["month_family_reunified"],
            **(
                {
                    "displaced from Ukraine": p["displaced_ukraine"],
                    "Ukraine arrived in the month": a["month_displaced_ukraine"],
                }
                if "displaced_ukraine" in p
                else {}
            ),
            "arrived in the month": a["month"],
            "placed within 96 hours": pl["within"],
            "placed later": pl["arrivals"] - pl["within"] - pl["not_placed"],
            "not placed": pl["not_placed"],
            "adults arrived in 12 months": pl["arrivals"],
            "measurements in the month": pr["month_caseworker_measurements"],
        }
    )
    assert fu["open_cases"] == p["adults"] and e["of"] == d["of"] == p["adults"]
    reading.protected |= set(reading.true)
    as_of = formatting.da_date(figures["as_of"])
    month_label = ReportPeriod.parse(ReportKind.MONTHLY, period).label
    year = a["year"]

    # Those displaced from Ukraine have their own rows where the figures count
    # them apart (figures archived before print without them).
    ukraine = "displaced_ukraine" in p
    bases = ["refugees", "family reunified", *(["displaced from Ukraine"] if ukraine else [])]
    printed = table_rows(
        text,
        "Tabel 1.",
        "Gruppe Antal",
        [
            ("Voksne (18 år og derover)", 1),
            ("Børn (under 18 år)", 1),
            ("Flygtninge", 1),
            ("Familiesammenførte til flygtninge", 1),
            *([("Fordrevne fra Ukraine (særloven)", 1)] if ukraine else []),
            ("I alt", 1),
        ],
    )
    for name, [token] in zip(
        ["adults", "children", *bases, "in the programme"], printed, strict=True
    ):
        reading.count(name, token)

    month_title = month_label[:1].upper() + month_label[1:]
    # Table 2 prints the month for each basis, and the year for refugees only
    # (the quota's people), through the month its row names.
    through = re.search(rf"Flygtninge i {year} til og med (\d\d-(\d\d)-{year}) ", text)
    assert through, "table 2 names no date for the year's refugees"
    covered = int(through.group(2))
    reading.true["refugees arrived in the year"] = sum(a["months_refugees"][:covered])
    reading.protected.add("refugees arrived in the year")
    month_bases = ["refugees arrived in the month", "family arrived in the month"]
    month_bases += ["Ukraine arrived in the month"] if ukraine else []
    *by_basis, [m_all], [y_ref], [quota], [of_quota] = table_rows(
        text,
        "Tabel 2.",
        "Ankomster Antal",
        [
            (f"Flygtninge i {month_label}", 1),
            (f"Familiesammenførte til flygtninge i {month_label}", 1),
            *([(f"Fordrevne fra Ukraine (særloven) i {month_label}", 1)] if ukraine else []),
            (f"I alt i {month_label}", 1),
            (f"Flygtninge i {year} til og med {through.group(1)}", 1),
            (f"Forventet antal flygtninge i {year} (kvote)", 1),
            ("Ankomne flygtninge i forhold til kvoten", 1),
        ],
    )
    for name, [token] in zip(month_bases, by_basis, strict=True):
        reading.count(name, token)
    reading.count("arrived in the month", m_all)
    reading.count("refugees arrived in the year", y_ref)
    if a["quota"]:
        assert quota == str(a["quota"])
        reading.fixed("quota", a["quota"])
        reading.share("refugees arrived in the year", "quota", of_quota)
    assert f"I alt i {year} til og med" not in text, "table 2 prints the year's total"
    _read_month_and_year_parts(reading, figures, january, covered == len(a["months"]))

    ladder_now = table_rows(
        text,
        "Tabel 3.1.",
        "Trin Antal",
        [(label, 1) for label in LADDER_LABELS] + [("I alt", 1)],
    )
    for k, [token] in zip(LADDER_KEYS, ladder_now, strict=False):
        reading.count(f"ladder {k}", token)
    reading.count("adults", ladder_now[-1][0])

    months = figures["ladder_months"]
    printed = table_rows(
        text,
        "Tabel 3.2.",
        "Måned Trin 1 Trin 2 Trin 3 Trin 4 Trin 5 Trin 6 Ingen I alt",
        [(_month_label(m["month"]), 8) for m in months],
    )
    for month, tokens in zip(months, printed, strict=True):
        if month["month"] == period:
            names = [f"ladder {k}" for k in LADDER_KEYS] + ["adults"]
            assert [month["counts"][k] for k in LADDER_KEYS] == [ladder[k] for k in LADDER_KEYS]
        else:
            names = [f"ladder {k}, {month['month']}" for k in LADDER_KEYS]
            names.append(f"adults, {month['month']}")
            for k, name in zip(LADDER_KEYS, names, strict=False):
                reading.true[name] = month["counts"][k]
            reading.true[names[-1]] = month["total"]
            reading.line(names[:-1], names[-1])
            reading.protected |= set(names)
        for name, token in zip(names, tokens, strict=True):
            reading.count(name, token)

    [[within], [later], [not_placed], [arrived], [share_within], _median] = table_rows(
        text,
        "Tabel 4.",
        "Første placering Antal",
        [
            ("Placeret inden for 96 timer", 1),
            ("Placeret senere end 96 timer", 1),
            ("Endnu ikke placeret", 1),
            ("Ankomne voksne i alt", 1),
            ("Andel placeret inden for 96 timer", 1),
            ("Mediantid til første placering (timer)", 1),
        ],
    )
    reading.count("placed within 96 hours", within)
    reading.count("placed later", later)
    reading.count("not placed", not_placed)
    reading.count("adults arrived in 12 months", arrived)
    reading.share("placed within 96 hours", "adults arrived in 12 months", share_within)

    [[of], [employed, employed_share], [course, course_share], [both, both_share], _absence] = (
        table_rows(
            text,
            "Tabel 5.",
            "Voksne i programmet Antal Andel",
            [
                ("I alt", 1),
                ("I beskæftigelse eller selvforsørgende", 2),
                ("I danskuddannelse", 2),
                ("I danskuddannelse og samtidig i arbejde eller praktik", 2),
                ("Gennemsnitligt fravær fra danskuddannelse i måneden", 1),
            ],
        )
    )
    reading.count("adults", of)
    reading.count("employed", employed)
    reading.share("employed", "adults", employed_share)
    reading.count("in a course", course)
    reading.share("in a course", "adults", course_share)
    reading.count("course and work", both)
    reading.share("course and work", "adults", both_share)

    through = re.search(
        rf"{year} til og med (\d\d)-(\d\d)-{year} ", text[text.find("Tabel 6.1.") :]
    )
    assert through, "table 6.1 names no date for the year"
    measured_through = f"{year}-{through.group(2)}"
    reading.true["measurements in the year"] = sum(
        m["caseworker_measurements"]
        for m in pr["trend"]
        if f"{year}-01" <= m["month"] <= measured_through
    )
    reading.protected.add("measurements in the year")
    [[in_month], [in_year]] = table_rows(
        text,
        "Tabel 6.1.",
        "Periode Målinger",
        [
            (month_label[:1].upper() + month_label[1:], 1),
            (f"{year} til og med {through.group(1)}-{through.group(2)}-{year}", 1),
        ],
    )
    reading.count("measurements in the month", in_month)
    reading.count("measurements in the year", in_year)
    trend = pr["trend"]
    trend_names = []
    for month in trend:
        name = f"measurements in {month['month']}"
        if (
            month["month"] == period
            and month["caseworker_measurements"] == pr["month_caseworker_measurements"]
        ):
            name = "measurements in the month"
        reading.true[name] = month["caseworker_measurements"]
        reading.protected.add(name)
        trend_names.append(name)
    printed = table_rows(
        text,
        "Tabel 6.2.",
        "Måned Sagsbehandlerens målinger Indeks, spm. 1–12 Borgerens vurdering, spm. 13",
        [(_month_label(m["month"]), 3) for m in trend] or [("Ingen målinger i perioden.", 0)],
    )
    for name, tokens in zip(trend_names, printed, strict=False):
        reading.count(name, tokens[0])
    # The year's measurements are its months' (a month without any is not
    # listed: the table says so, and that no one was measured is no one's count).
    of_year = [
        n
        for n, m in zip(trend_names, trend, strict=True)
        if f"{year}-01" <= m["month"] <= measured_through
    ]
    if (
        of_year
        and sum(reading.true[n] for n in of_year) == reading.true["measurements in the year"]
    ):
        reading.line(of_year, "measurements in the year")

    _read_year_of_repatriations(reading, text, figures)
    _health, [open_cases, up_to_date, up_to_date_share] = _read_deadlines(reading, text, figures)
    _read_additions(reading, text, figures, month_title, f"{year} til og med {as_of}", january)
    reading.count("adults", open_cases)
    reading.count("follow-up up to date", up_to_date)
    reading.share("follow-up up to date", "adults", up_to_date_share)

    for cells, total in [
        (["adults", "children"], "in the programme"),
        (bases, "in the programme"),
        ([f"ladder {k}" for k in LADDER_KEYS], "adults"),
        (["employed", "adults not employed"], "adults"),
        (["in a course", "adults not in a course"], "adults"),
        (["course and work", "course only"], "in a course"),
        (["follow-up up to date", "follow-up overdue"], "adults"),
        (month_bases, "arrived in the month"),
        (["placed within 96 hours", "placed later", "not placed"], "adults arrived in 12 months"),
    ]:
        reading.line(cells, total)
    return reading


# --- the service review as a reader reads it -------------------------------------------


def read_service_review(text: str, figures: dict) -> Reading:
    reading = Reading({})
    as_of = formatting.da_date(figures["as_of"])
    # The rows are arrival years, or runs of them pooled ("2013–14"): read from
    # the table's row heads, and the true counts summed here for each row.
    start = text.index("Tabel 2.1.")
    table = text[text.index("Antal pr.", start) : text.index("Kilde:", start)]
    known = {str(c["year"]) for c in figures["cohorts"]}
    # A row head is a year or a pool ("2013–14"); counts of 1.000 or more carry
    # a dot, so no count reads as a year.
    years = [y for y in re.findall(r"(?<![\d.–-])(\d{4}(?:–\d{2})?)(?= )", table) if y[:4] in known]
    cohorts = []
    for label in years:
        first = int(label[:4])
        last = int(label[:2] + label[5:]) if "–" in label else first
        members = [c for c in figures["cohorts"] if first <= int(c["year"]) <= last]
        assert members, label
        pooled = {"year": label}
        for key in ("persons", "count_as_of"):
            pooled[key] = sum(int(c[key] or 0) for c in members)
        for horizon in ("6m", "12m"):
            reached = all(c.get(f"employed_{horizon}") is not None for c in members)
            pooled[f"employed_{horizon}"] = (
                sum(c[f"employed_{horizon}"] for c in members) if reached else None
            )
            pooled[f"share_{horizon}"] = 0 if reached else None
        cohorts.append(pooled)
    assert sum(c["persons"] for c in cohorts) == sum(c["persons"] for c in figures["cohorts"])
    rows = table_rows(
        text,
        "Tabel 2.1.",
        "Ankomstår Antal personer* Andel 6 måneder efter ankomst Andel 12 måneder efter ankomst "
        f"Andel pr. {as_of} Antal pr. {as_of}",
        [(year, 5) for year in years],
    )
    # A row per arrival year; read column by column (persons, 6 and 12 months, share, count).
    printed = [list(column) for column in zip(*rows, strict=True)]
    for i, c in enumerate(cohorts):
        year = c["year"]
        persons, employed, rest = f"{year}: persons", f"{year}: employed", f"{year}: not employed"
        reading.true.update(
            {
                persons: c["persons"],
                employed: c["count_as_of"],
                rest: c["persons"] - c["count_as_of"],
            }
        )
        reading.protected |= {persons, employed, rest}
        reading.count(persons, printed[0][i])
        reading.count(employed, printed[4][i])
        reading.share(employed, persons, printed[3][i])
        reading.line([employed, rest], persons)
        for row, horizon in ((1, "6m"), (2, "12m")):
            if c.get(f"share_{horizon}") is None or c.get(f"employed_{horizon}") is None:
                assert printed[row][i] == "#", (year, horizon, printed[row][i])
                continue
            employed_then = f"{year}: employed after {horizon}"
            rest_then = f"{year}: not employed after {horizon}"
            reading.true[employed_then] = c[f"employed_{horizon}"]
            reading.true[rest_then] = c["persons"] - c[f"employed_{horizon}"]
            reading.protected |= {employed_then, rest_then}
            reading.share(employed_then, persons, printed[row][i])
            reading.line([employed_then, rest_then], persons)

    _read_repatriations(
        reading,
        text,
        "Tabel 4.1.",
        "År Land Husstande Voksne Børn Personer",
        figures["repatriations"],
        by_year=True,
    )

    pr = figures["progression"]
    total = "measurements in the period"
    reading.true[total] = pr["caseworker_measurements"]
    reading.protected.add(total)
    [[token]] = table_rows(text, "Tabel 5.1.", "Nøgletal Værdi", [("Sagsbehandlerens målinger", 1)])
    reading.count(total, token)
    trend = pr["trend"]
    names = []
    for month in trend:
        name = f"measurements in {month['month']}"
        reading.true[name] = month["caseworker_measurements"]
        reading.protected.add(name)
        names.append(name)
    printed = table_rows(
        text,
        "Tabel 5.3.",
        "Måned Sagsbehandlerens målinger Indeks, spm. 1–12 Borgerens vurdering, spm. 13",
        [(_month_label(m["month"]), 3) for m in trend] or [("Ingen målinger i perioden.", 0)],
    )
    for name, tokens in zip(names, printed, strict=False):
        reading.count(name, tokens[0])
    # The period's measurements are those of its months in the trend, and, when
    # the period starts before the trend's 24 months, some the reader cannot see.
    period_from = pr["from"][:7]
    window_from = _months_before(dt.date.fromisoformat(pr["to"]), 23).strftime("%Y-%m")
    in_period = [n for n, m in zip(names, trend, strict=True) if m["month"] >= period_from]
    if period_from < window_from:
        before = "measurements before the trend's months"
        reading.true[before] = reading.true[total] - sum(reading.true[n] for n in in_period)
        if reading.true[before] >= 0:
            reading.line([*in_period, before], total)
    elif in_period and sum(reading.true[n] for n in in_period) == reading.true[total]:
        reading.line(in_period, total)
    return reading


# --- generated municipalities, through the real report path --------------------------------

PERIODS = ["2018-06", "2019-01", "2025-10", "2026-03"]
COUNTRIES = ["SY", "IQ", "ER", "SO", "AF"]
FIRST_NAMES = ["Amal", "Yonas", "Farah", "Nour", "Hamid", "Sahra", "Dawit", "Leyla"]

optional_days = st.one_of(st.none(), st.integers(0, 400))
person = st.fixed_dictionaries(
    {
        "days_before": st.integers(0, 900),  # arrival, days before the report date
        "age": st.sampled_from([1, 9, 16, 17, 18, 19, 25, 34, 47, 61]),
        "family_reunified": st.booleans(),
        "ukraine": st.booleans(),  # displaced from Ukraine, unless family reunified
        "closed": st.one_of(
            st.none(), st.tuples(st.sampled_from(ClosingReason.values), st.integers(0, 500))
        ),
        "ladder": st.lists(
            st.tuples(st.integers(1, 6), st.integers(0, 200), optional_days), max_size=2
        ),
        "employment": st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(EmploymentCategory.values), st.integers(0, 500), optional_days
            ),
        ),
        "course": st.one_of(
            st.none(),
            st.tuples(st.integers(0, 150), optional_days, st.one_of(st.none(), st.integers(0, 60))),
        ),
        "follow_ups": st.lists(st.integers(0, 900), max_size=2),
        "health_offer": st.one_of(st.none(), st.integers(0, 150)),
        "repatriation": st.one_of(
            st.none(),
            st.tuples(
                st.sampled_from(COUNTRIES),
                st.integers(1, 3),
                st.integers(0, 3),
                st.integers(0, 400),
            ),
        ),
        # months before the report month, the caseworker's score, and whether
        # the citizen answered item 13 too
        "rounds": st.lists(
            st.tuples(st.integers(0, 23), st.integers(1, 5), st.booleans()),
            max_size=3,
            unique_by=lambda r: r[0],
        ),
    }
)
municipality = st.fixed_dictionaries(
    {"period": st.sampled_from(PERIODS), "people": st.lists(person, min_size=1, max_size=40)}
)


def _months_before(day: dt.date, months: int) -> dt.date:
    index = day.year * 12 + day.month - 1 - months
    return dt.date(index // 12, index % 12 + 1, 1)


def build_municipality(spec: dict, *, team, school) -> tuple[str, list[tuple[str, str, str]]]:
    """Make the citizens and their facts; returns the period and who was made."""
    year, month = (int(x) for x in spec["period"].split("-"))
    as_of = dt.date(year, month, calendar.monthrange(year, month)[1])
    entries = []
    for i, p in enumerate(spec["people"]):
        arrival = as_of - dt.timedelta(days=p["days_before"])
        birth = arrival - dt.timedelta(days=int(365.25 * p["age"]) + i % 200)
        entries.append(
            {
                "team": team,
                "cpr": replacement_cpr(birth, female=i % 2 == 0),
                "first_name": FIRST_NAMES[i % len(FIRST_NAMES)],
                "last_name": f"Figur{i:02d}",
                "nationality": COUNTRIES[i % len(COUNTRIES)],
                "residence_basis": ResidenceBasis.FAMILY_REUNIFIED
                if p["family_reunified"]
                else ResidenceBasis.UKRAINE
                if p["ukraine"]
                else ResidenceBasis.REFUGEE,
                "arrival_date": arrival,
            }
        )
    services.cases_create_bulk(actor=None, entries=entries)
    by_cpr = {
        c.citizen.cpr: c
        for c in Case.objects.filter(citizen__cpr__in=[e["cpr"] for e in entries]).select_related(
            "citizen"
        )
    }
    cases = [by_cpr[e["cpr"]] for e in entries]
    facts = []
    courses = []
    questionnaire = questionnaire_current()
    rounds = []
    citizen_scores = {}
    for case, p in zip(cases, spec["people"], strict=True):
        arrival = case.citizen.arrival_date

        def day(offset, start=arrival):
            return start + dt.timedelta(days=offset)

        if p["closed"]:
            reason, after = p["closed"]
            Case.objects.filter(pk=case.pk).update(
                status=CaseStatus.CLOSED, closing_reason=reason, closed_on=day(after)
            )
        for step, start, length in p["ladder"]:
            end = None if length is None else day(start + length)
            facts.append(LadderPlacement(case=case, step=step, start_date=day(start), end_date=end))
        if p["employment"]:
            category, start, length = p["employment"]
            end = None if length is None else day(start + length)
            facts.append(
                EmploymentSpell(case=case, category=category, start_date=day(start), end_date=end)
            )
        if p["course"]:
            start, length, absence = p["course"]
            end = None if length is None else day(start + length)
            course = DanishCourse(
                case=case, provider=school, module="DU2 M1", start_date=day(start), end_date=end
            )
            facts.append(course)
            if absence is not None:
                courses.append((course, absence))
        facts += [FollowUp(case=case, held_on=day(offset)) for offset in p["follow_ups"]]
        if p["health_offer"] is not None:
            facts.append(HealthAssessment(case=case, offered_on=day(p["health_offer"])))
        if p["repatriation"]:
            country, adults, children, before = p["repatriation"]
            facts.append(
                Repatriation(
                    case=case,
                    left_on=max(arrival, as_of - dt.timedelta(days=before)),
                    destination_country=country,
                    adults=adults,
                    children=children,
                )
            )
        for months, score, citizen_too in p["rounds"]:
            measured = _months_before(as_of, months) + dt.timedelta(days=case.pk % 27)
            rounds.append(Round(case=case, measured_on=measured, questionnaire=questionnaire))
            citizen_scores[len(rounds) - 1] = (score, citizen_too)
    services.facts_create_bulk(actor=None, facts=facts)
    services.facts_create_bulk(
        actor=None,
        facts=[
            DanishAbsence(
                case=course.case, course=course, month=as_of.replace(day=1), absence_percent=absence
            )
            for course, absence in courses
        ],
    )
    Round.objects.bulk_create(rounds)
    measurements = []
    for i, round_ in enumerate(rounds):
        score, citizen_too = citizen_scores[i]
        raters = [(Rater.CASEWORKER, {n: score for n in range(1, 14)})]
        if citizen_too:
            raters.append((Rater.CITIZEN, {13: 6 - score}))
        for rater, scores in raters:
            m = Measurement(
                round=round_,
                rater=rater,
                measured_on=round_.measured_on,
                questionnaire=questionnaire,
            )
            m.set_scores(scores)
            measurements.append(m)
    Measurement.objects.bulk_create(measurements)
    people = [(c.citizen.first_name, c.citizen.last_name, c.citizen.cpr) for c in cases]
    return spec["period"], people


@pytest.fixture
def report_settings(settings):
    settings.REPORT_MIN_CELL = MIN
    settings.MUNICIPALITY_NAME = "Figurby Kommune"


@pytest.mark.slow
@pytest.mark.django_db
@hypothesis_settings(
    max_examples=12,
    deadline=None,
    derandomize=True,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(spec=municipality)
def test_no_small_count_can_be_read_from_a_report_pdf(spec, report_settings):
    with transaction.atomic():
        team = TeamFactory(name="Team Figur")
        school = ProviderFactory(name="Sprogskolen")
        period, people = build_municipality(spec, team=team, school=school)
        monthly = evaluation_services.report_make(
            period=ReportPeriod.parse(ReportKind.MONTHLY, period), today=dt.date(2026, 11, 22)
        )
        as_of = ReportPeriod.parse(ReportKind.MONTHLY, period).as_of.isoformat()
        review = evaluation_services.report_make(
            period=ReportPeriod.parse(ReportKind.SERVICE_REVIEW, as_of),
            allow_draft=True,
            today=dt.date(2026, 11, 22),
        )
        transaction.set_rollback(True)
    for archive, read in ((monthly, read_monthly), (review, read_service_review)):
        text = pdf_flat(bytes(archive.pdf))
        # What the example exercised (--hypothesis-show-statistics).
        event(f"{archive.kind}: {'some' if '<5' in text else 'no'} small counts")
        event(f"{archive.kind}: {'some' if '..' in text else 'no'} cells hidden for a total")
        problems = disclosures(read(text, archive.figures))
        assert not problems, f"{archive.kind}: " + "\n".join(problems)
        assert guards.cpr_numbers(text) == []
        for first, last, cpr in people:
            assert f"{first} {last}" not in text
            assert cpr not in text and f"{cpr[:6]}-{cpr[6:]}" not in text


# --- generated figures, through the context and the template (fast) ---------------------

small = st.integers(0, 12)


@st.composite
def monthly_figures(draw) -> dict:
    period = draw(st.sampled_from(["2026-01", "2026-10"]))
    year, month = (int(x) for x in period.split("-"))
    ladder = {k: draw(small) for k in LADDER_KEYS}
    adults = sum(ladder.values())
    children = draw(small)
    total = adults + children
    refugees = draw(st.integers(0, total))
    by_step = {k: draw(st.integers(0, ladder[k])) for k in LADDER_KEYS}
    employed = sum(by_step.values())
    in_course = draw(st.integers(0, adults))
    with_work = draw(st.integers(0, in_course))
    within, later, not_placed = (draw(small) for _ in range(3))
    adult_arrivals = within + later + not_placed
    arrived = draw(small)
    earlier_months = [draw(st.integers(0, 12)) for _ in range(month - 1)]
    year_to_date = sum(earlier_months) + arrived
    month_refugees = draw(st.integers(0, arrived))
    # Each month's refugees, January first (table 2 prints the year through an
    # anchor over the months, so the figures keep them).
    refugee_months = [draw(st.integers(0, n)) for n in earlier_months] + [month_refugees]

    def parts(counts: list[int]) -> list[int]:
        return [draw(st.integers(0, n)) for n in counts]

    def deadline_months() -> dict:
        """Deadlines falling due in each month of the year so far, and in time."""
        due = [draw(st.integers(0, 9)) for _ in range(month)]
        on_time = parts(due)
        by_month = [{"due": d, "on_time": o} for d, o in zip(due, on_time, strict=True)]
        return {"due": sum(due), "on_time": sum(on_time), "by_month": by_month}

    held_months = [draw(small) for _ in range(month)]
    guided_months = parts(held_months)
    moved_months = [draw(small) for _ in range(month)]
    screened_months = parts(refugee_months)
    near_job_months = parts(refugee_months)
    refugees_year = sum(refugee_months)

    def headline_before() -> dict:
        return {
            "in_programme": draw(small),
            "arrivals_year_to_date": draw(small),
            "employed": draw(small),
            "danish_in_course": draw(small),
            "danish_with_work": draw(small),
        }

    last_month = _months_before(dt.date(year, month, 1), 1)
    last_year = _months_before(dt.date(year, month, 1), 12)
    months = [
        _months_before(dt.date(year, month, 1), i).strftime("%Y-%m") for i in range(11, -1, -1)
    ]
    ladder_months = []
    for m in months:
        counts = dict(ladder) if m == period else {k: draw(small) for k in LADDER_KEYS}
        ladder_months.append({"month": m, "counts": counts, "total": sum(counts.values())})
    trend = []
    for m in months:
        n = draw(st.integers(0, 9))
        if n:
            trend.append(
                {
                    "month": m,
                    "caseworker_measurements": n,
                    "caseworker_index_mean": 3.25,
                    "citizen_item_13_mean": None,
                    "citizen_measurements": 0,
                }
            )
    by_country = []
    for code in draw(st.lists(st.sampled_from(COUNTRIES), max_size=4, unique=True)):
        adults_left, children_left = draw(st.integers(0, 7)), draw(st.integers(0, 7))
        by_country.append(
            {
                "country": code,
                "name": {"SY": "Syrien", "IQ": "Irak", "ER": "Eritrea", "SO": "Somalia"}.get(
                    code, "Afghanistan"
                ),
                "households": draw(st.integers(1, 4)),
                "adults": adults_left,
                "children": children_left + (adults_left + children_left == 0),
            }
        )
    return {
        "kind": "monthly",
        "period": period,
        "as_of": dt.date(year, month, calendar.monthrange(year, month)[1]).isoformat(),
        "municipality": "Figurby Kommune",
        "generated_at": "2026-11-01T02:15:00+01:00",
        "in_programme": {
            "total": total,
            "adults": adults,
            "children": children,
            "refugees": refugees,
            "family_reunified": total - refugees,
        },
        "arrivals": {
            "year": year,
            "month": arrived,
            "month_refugees": month_refugees,
            "month_family_reunified": arrived - month_refugees,
            "year_to_date": year_to_date,
            "year_to_date_refugees": refugees_year,
            "year_to_date_family_reunified": year_to_date - refugees_year,
            "months": [*earlier_months, arrived],
            "months_refugees": refugee_months,
            "quota": draw(st.one_of(st.none(), st.integers(1, 80))),
        },
        "ladder_now": [
            {"step": None if k == "none" else int(k), "label": k, "count": ladder[k]}
            for k in LADDER_KEYS
        ],
        "ladder_months": ladder_months,
        "placement_96h": {
            "from": f"{year}-01-01",
            "to": f"{year}-{month:02d}-28",
            "arrivals": adult_arrivals,
            "within": within,
            "not_placed": not_placed,
            "share": None,
            "median_hours": 50.0,
        },
        "employed": {"count": employed, "of": adults, "share": None, "by_step": by_step},
        "danish": {
            "of": adults,
            "in_course": in_course,
            "with_work_or_internship": with_work,
            "absence_mean": 10.0,
            "absence_n": in_course,
        },
        "progression": {
            "month_caseworker_measurements": trend[-1]["caseworker_measurements"]
            if trend and trend[-1]["month"] == period
            else 0,
            "year_caseworker_measurements": sum(
                t["caseworker_measurements"] for t in trend if t["month"][:4] == str(year)
            ),
            "trend": trend,
        },
        "repatriations": {
            "year": year,
            "by_country": by_country,
            "months": [
                {"households": h, "persons": h + draw(st.integers(0, 7))}
                for h in (draw(st.integers(0, 3)) for _ in range(month))
            ],
        },
        "compliance": {
            "health_offer": deadline_months(),
            "follow_up": {"open_cases": adults, "up_to_date": draw(st.integers(0, adults))},
            "contract": {**deadline_months(), "months": 1},
            "plan": {**deadline_months(), "months": 1},
        },
        "follow_ups": {
            "month": {"held": held_months[-1], "guided": guided_months[-1]},
            "year_to_date": {"held": sum(held_months), "guided": sum(guided_months)},
            "months": [
                {"held": h, "guided": g} for h, g in zip(held_months, guided_months, strict=True)
            ],
        },
        "moved_away": {
            "month": moved_months[-1],
            "year_to_date": sum(moved_months),
            "months": moved_months,
        },
        "reception": {
            "month": {
                "refugees": month_refugees,
                "screened": screened_months[-1],
                "near_job": near_job_months[-1],
            },
            "year_to_date": {
                "refugees": refugees_year,
                "screened": sum(screened_months),
                "near_job": sum(near_job_months),
            },
            "months": [
                {"refugees": r, "screened": x, "near_job": n}
                for r, x, n in zip(refugee_months, screened_months, near_job_months, strict=True)
            ],
        },
        "headline": {
            "now": {
                "as_of": f"{year}-{month:02d}-28",
                "in_programme": total,
                "arrivals_year_to_date": year_to_date,
                "employed": employed,
                "danish_in_course": in_course,
                "danish_with_work": with_work,
            },
            "last_month": {"as_of": last_month.isoformat(), **headline_before()},
            "last_year": {"as_of": last_year.isoformat(), **headline_before()},
        },
    }


@st.composite
def review_figures(draw) -> dict:
    as_of = draw(st.sampled_from(["2018-06-30", "2026-10-31"]))
    end = dt.date.fromisoformat(as_of)
    cohorts = []
    for year in sorted(
        draw(st.lists(st.integers(end.year - 4, end.year), max_size=4, unique=True))
    ):
        persons = draw(st.integers(1, 25))
        horizons = {}
        for horizon in ("6m", "12m"):
            employed = draw(st.one_of(st.none(), st.integers(0, persons)))
            horizons[f"employed_{horizon}"] = employed
            horizons[f"share_{horizon}"] = None if employed is None else 0
        cohorts.append(
            {
                "year": year,
                "persons": persons,
                "count_as_of": draw(st.integers(0, persons)),
                **horizons,
            }
        )
    repatriations = []
    for year, code in draw(
        st.lists(
            st.tuples(st.integers(end.year - 2, end.year), st.sampled_from(COUNTRIES)),
            max_size=5,
            unique=True,
        )
    ):
        adults_left, children_left = draw(st.integers(0, 7)), draw(st.integers(0, 7))
        repatriations.append(
            {
                "year": year,
                "country": code,
                "name": code,
                "households": draw(st.integers(1, 4)),
                "adults": adults_left,
                "children": children_left + (adults_left + children_left == 0),
            }
        )
    repatriations.sort(key=lambda r: (r["year"], r["country"]))
    trend = []
    for i in range(23, -1, -1):
        month = _months_before(end.replace(day=1), i).strftime("%Y-%m")
        n = draw(st.integers(0, 9)) if month >= "2017-01" else 0
        if n:
            trend.append(
                {
                    "month": month,
                    "caseworker_measurements": n,
                    "caseworker_index_mean": 3.0,
                    "citizen_item_13_mean": None,
                    "citizen_measurements": 0,
                }
            )
    before = draw(small) if end.year > 2018 else 0
    return {
        "kind": "service_review",
        "period": as_of,
        "as_of": as_of,
        "municipality": "Figurby Kommune",
        "generated_at": f"{as_of}T10:00:00+01:00",
        "cohorts": cohorts,
        "benchmark_employment": [],
        "benchmark_municipalities": [],
        "wellbeing": [],
        "repatriations": repatriations,
        "progression": {
            "from": "2017-01-01",
            "to": as_of,
            "caseworker_measurements": before + sum(t["caseworker_measurements"] for t in trend),
            "caseworker_index_mean": 3.0,
            "citizen_self_assessment_mean": None,
            "citizen_measurements": 0,
            "caseworker_item_means": {},
            "highest_item": None,
            "lowest_item": None,
            "item_labels": {},
            "trend": trend,
        },
        "danish_absence": [],
        "narratives": {
            key: {"text": "Tekst.", "status": "final"} for key in reports.NARRATIVE_KEYS
        },
    }


@pytest.fixture
def plain_charts(monkeypatch):
    """Charts as empty pictures: this test reads the tables, and drawing them
    with matplotlib would cost a second a report (the PDF test draws them)."""
    for name in ("ladder_months_svg", "trend_svg", "grouped_bars_svg", "item_means_svg"):
        monkeypatch.setattr(charts, name, lambda *args, **kwargs: "<svg/>")


@pytest.mark.slow
@hypothesis_settings(
    max_examples=400, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(figures=st.one_of(monthly_figures(), review_figures()))
def test_no_small_count_can_be_read_from_a_report_page(figures, plain_charts, report_settings):
    text = html_flat(render.render_html(figures, min_cell=MIN))
    read = read_monthly if figures["kind"] == "monthly" else read_service_review
    problems = disclosures(read(text, figures))
    assert not problems, "\n".join(problems)


# --- the disclosures these tests found, worked out by hand --------------------------------


def test_small_cells_beside_a_shown_cell_do_not_add_up_to_a_small_group(plain_charts):
    """November 2025: one adult on steps 1–6 and six without a placement, 7 in
    all. Printed as six "<5", 6 and 7, the total less the 6 said that exactly
    one adult was on the ladder; the 6 is hidden too (at least 5 and at most 7)."""
    figures = monthly_by_hand()
    figures["ladder_months"][0]["counts"] = {str(s): 0 for s in range(1, 6)} | {
        "6": 1,
        "none": 6,
    }
    figures["ladder_months"][0]["total"] = 7

    row = context.monthly_context(figures, min_cell=MIN)["ladder_months"]["rows"][0]

    assert row["month"] == "nov. 2025"
    # The 6 is 7 less six cells of 0–4, and at least 5: printed as 5–7.
    assert [str(c) for c in row["cells"]] == ["<5"] * 6 + ["5–7"]
    assert str(row["total"]) == "7"


def test_a_small_month_cannot_be_worked_out_from_the_years_measurements(plain_charts):
    """January to September 2026 had 14 caseworker measurements each, October 3:
    the year's 129 less the nine months shown gave October's 3. The old rule
    hid January with it in October's report, but September's report showed
    January's 14. Now the year is printed through September (9 x 14 = 126),
    the last month that closes the series, and every month of 14 is shown."""
    figures = monthly_by_hand()
    trend = [t for t in figures["progression"]["trend"] if t["month"] >= "2026-01"]
    trend[-1] = {**trend[-1], "caseworker_measurements": 3}
    figures["progression"].update(
        trend=trend, month_caseworker_measurements=3, year_caseworker_measurements=129
    )

    progression = context.monthly_context(figures, min_cell=MIN)["progression"]

    shown = [str(row["measurements"]) for row in progression["trend"]["rows"]]
    assert shown == ["14"] * 9 + ["<5"]
    assert (str(progression["month"]), str(progression["year"])) == ("<5", "126")
    assert progression["through"] == "30-09-2026"


def test_a_small_month_cannot_be_worked_out_from_the_review_periods_measurements(
    plain_charts,
):
    """A review as of 30-06-2018 counts the measurements since 01-01-2017, and
    its table lists every month since July 2016: 17 months of 6 and June 2018
    with 2 make the 104 of table 5.1, so June is hidden and January 2017 with it."""
    figures = review_by_hand(as_of="2018-06-30")
    months = [_months_before(dt.date(2018, 6, 1), i).strftime("%Y-%m") for i in range(17, -1, -1)]
    figures["progression"]["trend"] = [
        {
            "month": month,
            "caseworker_measurements": 2 if month == "2018-06" else 6,
            "caseworker_index_mean": 3.0,
            "citizen_item_13_mean": None,
            "citizen_measurements": 0,
        }
        for month in months
    ]
    figures["progression"]["caseworker_measurements"] = 17 * 6 + 2

    progression = context.service_review_context(figures, min_cell=MIN)["progression"]

    shown = [str(row["measurements"]) for row in progression["trend"]["rows"]]
    # January 2017 is 104 less 16 x 6 less June's 0–4, and at least 5.
    assert shown == ["5–8"] + ["6"] * 16 + ["<5"]
    assert str(progression["measurements"]) == "104"


# --- the reader itself, on tables worked out by hand -----------------------------------------


def _reading(true: dict[str, int], printed: dict[str, str], lines) -> Reading:
    reading = Reading(dict(true))
    reading.protected |= set(true)
    for name, token in printed.items():
        reading.count(name, token)
    for cells, total in lines:
        reading.line(cells, total)
    return reading


def test_reader_finds_a_small_cell_from_the_total_and_the_cells_shown():
    # 23 - 12 - 8 = 3
    reading = _reading(
        {"a": 12, "b": 3, "c": 8, "t": 23},
        {"a": "12", "b": "<5", "c": "8", "t": "23"},
        [(["a", "b", "c"], "t")],
    )
    assert disclosures(reading) == ["b = 3 can be worked out"]


def test_reader_finds_two_small_cells_that_together_are_a_small_group():
    # 14 - 10 = 4 people in b and c together, though neither is pinned.
    reading = _reading(
        {"a": 10, "b": 2, "c": 2, "t": 14},
        {"a": "10", "b": "<5", "c": "<5", "t": "14"},
        [(["a", "b", "c"], "t")],
    )
    assert disclosures(reading) == [
        "b + c = 4: the hidden cells of t add up to fewer than the minimum"
    ]


def test_reader_finds_a_count_through_a_sum_in_another_table():
    # The adults (45) are hidden in one table and shown in another; 45 - 43 = 2.
    reading = _reading(
        {"adults": 45, "employed": 43, "rest": 2, "children": 3, "total": 48},
        {"adults": "45", "employed": "43", "children": "<5", "total": ".."},
        [(["employed", "rest"], "adults"), (["adults", "children"], "total")],
    )
    problems = disclosures(reading)
    assert "rest = 2 can be worked out" in problems


def test_reader_finds_a_count_from_a_share_of_a_shown_base():
    # 10 % of 20 is 2 and nothing else: 1 would print 5 %, 3 15 %.
    reading = _reading({"a": 2, "n": 20}, {"a": "<5", "n": "20"}, [])
    reading.share("a", "n", "10 %")
    assert disclosures(reading) == ["a = 2 can be worked out"]


def test_reader_cannot_pin_a_cycle_of_four_hidden_cells():
    # A 2 x 2 table with every margin shown: each hidden cell can move by one
    # around the cycle, so nothing is pinned and no line's hidden cells are small.
    true = {"a": 1, "b": 10, "c": 10, "d": 10, "r1": 11, "r2": 20, "c1": 11, "c2": 20}
    printed = {n: "<5" if n == "a" else ".." for n in "abcd"}
    printed |= {n: str(true[n]) for n in ("r1", "r2", "c1", "c2")}
    lines = [
        (["a", "b"], "r1"),
        (["c", "d"], "r2"),
        (["a", "c"], "c1"),
        (["b", "d"], "c2"),
    ]
    assert disclosures(_reading(true, printed, lines)) == []


def test_reader_reads_bounds_off_hidden_cells():
    # a + c = 5 with a "<5" and c ".." (at least 5): c = 5 and a = 0, and then
    # b = 11 - 0 and d = 20 - 11 follow, though every cell is hidden.
    true = {"a": 0, "b": 11, "c": 5, "d": 9, "r1": 11, "r2": 14, "c1": 5, "c2": 20}
    printed = {"a": "<5", "b": "..", "c": "..", "d": ".."}
    printed |= {n: str(true[n]) for n in ("r1", "r2", "c1", "c2")}
    lines = [
        (["a", "b"], "r1"),
        (["c", "d"], "r2"),
        (["a", "c"], "c1"),
        (["b", "d"], "c2"),
    ]
    assert disclosures(_reading(true, printed, lines)) == [
        "a = 0 can be worked out",
        "b = 11 can be worked out",
        "c = 5 can be worked out",
        "d = 9 can be worked out",
    ]


# --- the leak guard ---------------------------------------------------------------------------


def test_guard_knows_a_cpr_shaped_number_by_its_date():
    assert guards.cpr_numbers("borger 110190-1234 og 1101901234") == ["110190-1234", "1101901234"]
    # a replacement number: day of birth + 60
    assert guards.cpr_numbers("7101904000") == ["7101904000"]
    # no date: day 32, month 13, or day 92 (32 + 60)
    assert guards.cpr_numbers("3201901234 1113901234 9201901234") == []
    # part of a longer number or word: a UUID, a checksum
    assert guards.cpr_numbers("5f3c1101901234a 123456789012 x1101901234") == []


def test_guard_finds_a_name_across_lines_and_cases():
    leaks = guards.leaks("Sagen om AMAL\n  haddad er lukket", names=[("Amal", "Haddad")])
    assert leaks == ["Amal Haddad"]
    assert guards.leaks("Amal og Haddad", names=[("Amal", "Haddad")]) == []


def test_guard_catches_a_cpr_in_a_log_line(leak_guard):
    logging.getLogger("evaluation.reports").warning("Rapport for %s fejlede", "110190-1234")
    logging.getLogger("evaluation.reports").warning("Rapport for %s fejlede", "11-01-1990")

    assert leak_guard.findings() == [
        "log line 'evaluation.reports WARNING Rapport for 110190-1234 fejlede' holds '110190-1234'"
    ]
    leak_guard.forget()


def test_guard_catches_a_cpr_in_a_traceback(leak_guard):
    try:
        raise ValueError("ugyldigt CPR-nummer 7101904000")
    except ValueError:
        logging.getLogger("evaluation.tasks").exception("Rapportjob fejlede")

    assert [f[-12:] for f in leak_guard.findings()] == ["'7101904000'"]
    leak_guard.forget()


@pytest.mark.django_db
def test_guard_catches_a_saved_citizens_name_in_a_pdf(leak_guard):
    team = TeamFactory(name="Team Vagt")
    make_case(team=team, first_name="Zainab", last_name="Qureshi", cpr="7101904000")

    render.render_pdf("<p>Opfølgning med Zainab Qureshi</p>")

    assert leak_guard.findings() == ["PDF 1 of the test holds 'Zainab Qureshi'"]
    leak_guard.forget()


@pytest.mark.django_db
def test_guard_knows_bulk_created_citizens(leak_guard):
    team = TeamFactory(name="Team Vagt")
    services.cases_create_bulk(
        actor=None,
        entries=[
            {
                "team": team,
                "cpr": replacement_cpr(dt.date(1980, 5, 5)),
                "first_name": "Hamid",
                "last_name": "Rahimi",
                "nationality": "AF",
                "residence_basis": ResidenceBasis.REFUGEE,
                "arrival_date": dt.date(2024, 1, 10),
            }
        ],
    )

    logging.getLogger("django.request").warning("Hamid Rahimi")

    assert leak_guard.findings() == [
        "log line 'django.request WARNING Hamid Rahimi' holds 'Hamid Rahimi'"
    ]
    leak_guard.forget()


def test_guard_fails_the_test_that_leaks(pytester, monkeypatch):
    monkeypatch.setenv("PYTHONPATH", str(PROJECT))
    pytester.makeconftest('pytest_plugins = ["tests.guards"]')
    pytester.makepyfile(
        """
        import logging

        def test_leaks():
            logging.getLogger("evaluation").error("CPR 110190-1234")

        def test_keeps_quiet():
            logging.getLogger("evaluation").error("CPR 110190-xxxx")
        """
    )
    result = pytester.runpytest_subprocess(
        "-p", "no:cacheprovider", "--ds=config.settings", "--rootdir", str(pytester.path)
    )
    result.assert_outcomes(passed=2, errors=1)
    result.stdout.fnmatch_lines(["*A person can be identified*", "*holds '110190-1234'*"])
