"""Disclosure control: what a published count or share may show.

Every count printed in a report, on the secretariat's figures page or in a
preview passes through here (the minimum is ``settings.REPORT_MIN_CELL``;
``min_cell`` is always passed in, so this module stays pure and testable).
The rule holds for the whole published series, not one PDF: Statistics
Denmark's practice is the reference (pool rather than blank, protect a sum of
months and its running total as one set, prefer ranges and bounds to hiding).

The central functions, through which any new count or share should go:

- :func:`count_cell`: a count on its own; below the minimum it prints as
  ``<5`` (zero included: "no one" is also a fact about a person).
- :func:`suppress_group`, :func:`suppress_table`, :func:`suppress_linked`:
  counts published with the totals that tie them (also across tables of one
  report). A small cell that a total and the cells shown would give away is
  protected by hiding a second cell (the least informative one; a total only
  when a line has no cell left). A cell hidden so prints as the range a reader
  works out anyway (``49–53``) when that range is finite and not below the
  minimum, otherwise as :data:`HIDDEN` (``..``). ``floors`` say what a reader
  knows without the number (a listed row holds at least one household).
- :func:`share_cell`: a share, exact when at least the minimum stand behind
  it and behind the rest; bounded ("mindst 66 %", "højst 34 %") when one side
  is small (:func:`bounded_share`); hidden only when both are or the bound is
  empty.
- :func:`series_anchor`: a running total (the year to date) is printed only
  through the last month that closes a safe pool of months, so that no month's
  cell follows from two monthly reports (or two previews).
- :func:`pool_runs`: consecutive groups (cohorts by arrival year) pooled until
  each holds enough people for its shares to be shown.
- :func:`rule_text`: the rule as printed in every report.

Means and medians are shown only when at least the minimum stand behind them
(``evaluation.pdf.marks.Marks.mean``). A minimum of 1 turns the rule off.

How "derivable" is judged: a reader knows each shown number, that a ``<5``
cell lies in 0–4, that a ``..`` cell is at least 5 (it would read ``<5``
otherwise), and each printed range. A hidden number counts as revealed when
the published totals pin it to one value, either by linear algebra (it is a
combination of published figures) or by those bounds along the table's lines.
The hidden cells of a line with a shown total must also add up to at least
the minimum: the total less the shown cells gives their sum away, and
together they are a group of people too. Cells are added to the hidden set,
smallest first, until no hidden number is pinned and no such group is small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

from evaluation.suppression import Problem, is_small

# A value hidden because a total, a share or another report would reveal it.
# Statistics Denmark's mark for a confidential figure; it is neither "#" (not
# yet reached), nor "–" (nothing to count), nor a footnote mark ("*", "**").
HIDDEN = ".."
FOOTNOTE_MARKER = ""  # kept for callers that append it; the mark needs no footnote sign
RANGE_DASH = "–"


def min_cell_setting() -> int:
    """The configured minimum (``REPORT_MIN_CELL``), read when asked, not at import."""
    from django.conf import settings

    return settings.REPORT_MIN_CELL


@dataclass(frozen=True)
class Cell:
    """One published count. Templates print ``shown`` (or the cell itself), never ``value``."""

    value: int
    shown: str
    suppressed: bool
    marker: str = ""

    def __str__(self) -> str:
        return self.shown + self.marker

    @property
    def hidden(self) -> bool:
        """Hidden for a total or another report (``..`` or a range), not small."""
        return self.suppressed and not self.shown.startswith("<")


@dataclass(frozen=True)
class ShareCell:
    """One published share; ``percent`` is None when the share is hidden, and a
    bound (``bound`` says which) when only a bound is published."""

    numerator: int
    denominator: int
    percent: int | None
    shown: str
    suppressed: bool
    marker: str = ""
    bound: str = ""  # "at_least" or "at_most" when ``percent`` is a bound

    def __str__(self) -> str:
        return self.shown + self.marker


class Group(NamedTuple):
    """A group of cells and its total's cell (None when published without a total)."""

    cells: list[Cell]
    total: Cell | None


class Table(NamedTuple):
    """A cross table's cells and margins; a margin is None when not published.

    ``grand_total`` is present whenever a margin is: it can be added up from a
    complete margin, so it is protected (and may be printed) like one.
    """

    cells: list[list[Cell]]
    row_totals: list[Cell] | None
    col_totals: list[Cell] | None
    grand_total: Cell | None


def _check_min_cell(min_cell: int) -> None:
    if min_cell < 1:
        raise ValueError(f"The minimum cell size must be 1 or more, not {min_cell}.")


def _check_count(value: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int) or value < 0:
        raise ValueError(f"A count must be a whole number of 0 or more, not {value!r}.")


def _shown(
    value: int,
    *,
    primary: bool,
    hidden: bool,
    min_cell: int,
    bounds: tuple[float, float] | None = None,
) -> Cell:
    if primary:
        return Cell(value, f"<{min_cell}", True)
    if hidden:
        # A range the reader works out anyway from what is printed (finite and
        # not below the minimum) tells more than ".." and gives away nothing.
        if bounds is not None and bounds[1] != math.inf and bounds[0] >= min_cell:
            lo, hi = int(bounds[0]), int(bounds[1])
            if lo < hi:
                return Cell(value, range_text(lo, hi), True)
        return Cell(value, HIDDEN, True)
    return Cell(value, str(value), False)


def range_text(lo: int, hi: int) -> str:
    """A range as printed: ``46–50``."""
    return f"{lo}{RANGE_DASH}{hi}"


def count_cell(value: int, *, min_cell: int) -> Cell:
    """A count published on its own, with no total that could give it away."""
    _check_min_cell(min_cell)
    _check_count(value)
    small = is_small(value, min_cell=min_cell)
    return _shown(value, primary=small, hidden=False, min_cell=min_cell)


# --- rounding and shares ----------------------------------------------------------


def round_half_up(x: int | float | Decimal | Fraction) -> int:
    """The nearest whole number, halves away from zero (2.5 -> 3, 0.5 -> 1, 67.49 -> 67).

    A float is taken as its shortest decimal form (``str(x)``), so 0.285 rounds
    as 0.285 and not as its binary value 0.28499…; a Fraction is rounded exactly.
    """
    if isinstance(x, Fraction):
        # Decimal cannot hold every fraction; halves away from zero, exactly.
        n, d = abs(x.numerator), x.denominator
        whole = (2 * n + d) // (2 * d)
        return whole if x >= 0 else -whole
    if isinstance(x, float):
        if not math.isfinite(x):
            raise ValueError(f"Cannot round {x!r}.")
        x = Decimal(str(x))
    return int(Decimal(x).quantize(Decimal(1), rounding=ROUND_HALF_UP))


def share_cell(numerator: int, denominator: int, *, min_cell: int) -> ShareCell:
    """The share numerator/denominator as a whole percentage, bounded, or hidden.

    Shown exactly when at least ``min_cell`` people are behind the numerator
    and behind the rest (denominator − numerator, which the published
    denominator would reveal). When one side is small, the share is printed
    as the bound that side's ``<min_cell`` allows anyway ("mindst 66 %",
    "højst 34 %", :func:`bounded_share`); hidden only when both sides are
    small, when fewer than ``min_cell`` are behind the denominator, or when
    the bound says nothing. A share of nobody (denominator 0) has no value
    and prints as ``–`` without being suppressed.
    """
    _check_min_cell(min_cell)
    _check_count(numerator)
    _check_count(denominator)
    if numerator > denominator:
        raise ValueError(f"The numerator {numerator} exceeds the denominator {denominator}.")
    if min_cell > 1 and (
        numerator < min_cell or denominator - numerator < min_cell or denominator < min_cell
    ):
        return bounded_share(numerator, denominator, min_cell=min_cell)
    if denominator == 0:
        return ShareCell(numerator, denominator, None, "–", False)
    percent = round_half_up(Fraction(100 * numerator, denominator))
    return ShareCell(numerator, denominator, percent, str(percent), False)


def bounded_share(numerator: int, denominator: int, *, min_cell: int) -> ShareCell:
    """The share as a bound that tells no more than ``<min_cell`` for its small side.

    Fewer than ``min_cell`` behind the rest: "mindst p %" with p the share if
    the rest were ``min_cell − 1`` (rounded down, so the bound holds); fewer
    behind the numerator: "højst p %", the share if the numerator were
    ``min_cell − 1`` (rounded up). Hidden (``..``) when both sides are small,
    when the denominator is, or when the bound is empty (at least 0 %, at most
    100 %). Also used for a share whose exact value would give away a count
    hidden beside it.
    """
    rest = denominator - numerator
    hidden = ShareCell(numerator, denominator, None, HIDDEN, True)
    if denominator < min_cell or (numerator < min_cell and rest < min_cell):
        return hidden
    if rest < min_cell:
        low = (100 * (denominator - (min_cell - 1))) // denominator
        if low <= 0:
            return hidden
        return ShareCell(numerator, denominator, low, f"mindst {low} %", True, bound="at_least")
    if numerator < min_cell:
        high = -((-100 * (min_cell - 1)) // denominator)
        if high >= 100:
            return hidden
        return ShareCell(numerator, denominator, high, f"højst {high} %", True, bound="at_most")
    return hidden


# --- complementary suppression ------------------------------------------------------


def _cell(problem: Problem, i: int) -> Cell:
    primary, hidden, bounds = problem.state(i)
    return _shown(
        problem.values[i],
        primary=primary,
        hidden=hidden,
        min_cell=problem.min_cell,
        bounds=bounds,
    )


def suppress_group(
    counts: Sequence[int],
    *,
    total: int | None,
    min_cell: int,
    floors: Sequence[int] | None = None,
) -> Group:
    """The cells of one group and its total's cell, with complementary suppression.

    ``total`` must be the sum of ``counts`` (publish an "other" cell for a partial
    breakdown), or None when the group is published without a total. With a
    total below the minimum, the total and every cell are hidden. ``floors``
    are what a reader knows of each cell without it (a listed row has at least
    one household): six rows under a total of 6 give every ``<5`` away.
    """
    _check_min_cell(min_cell)
    values = list(counts)
    for value in values:
        _check_count(value)
    if total is None:
        problem = Problem(values, [], min_cell)
        problem.protect()
        return Group([_cell(problem, i) for i in range(len(values))], None)
    _check_count(total)
    if total != sum(values):
        raise ValueError(f"The total {total} is not the sum of the cells ({sum(values)}).")
    n = len(values)
    problem = Problem([*values, total], [(list(range(n)), n)], min_cell, [*(floors or [0] * n), 0])
    problem.protect()
    return Group([_cell(problem, i) for i in range(n)], _cell(problem, n))


def suppress_table(
    rows: list[list[int]],
    *,
    row_totals: bool,
    col_totals: bool,
    min_cell: int,
    row_floor: int = 0,
) -> Table:
    """A cross table's cells and margins, suppressed along rows and columns until stable.

    With ``row_totals`` each row is published with its sum, with ``col_totals``
    each column; the grand total is then treated as published too. A row's
    total is known to be at least ``row_floor`` (a listed row is not empty).
    """
    _check_min_cell(min_cell)
    n_rows = len(rows)
    n_cols = len(rows[0]) if rows else 0
    if any(len(row) != n_cols for row in rows):
        raise ValueError("Every row of a table must have the same number of cells.")
    values = [v for row in rows for v in row]
    for value in values:
        _check_count(value)

    def at(r: int, c: int) -> int:
        return r * n_cols + c

    lines: list[tuple[list[int], int]] = []
    row_index: list[int] = []
    col_index: list[int] = []
    grand = None
    if row_totals or col_totals:
        grand = len(values)
        values.append(sum(sum(row) for row in rows))
    if row_totals:
        for r, row in enumerate(rows):
            row_index.append(len(values))
            values.append(sum(row))
            lines.append(([at(r, c) for c in range(n_cols)], row_index[-1]))
        lines.append((row_index, grand))
    if col_totals:
        for c in range(n_cols):
            col_index.append(len(values))
            values.append(sum(rows[r][c] for r in range(n_rows)))
            lines.append(([at(r, c) for r in range(n_rows)], col_index[-1]))
        lines.append((col_index, grand))

    floors = [0] * len(values)
    for i in row_index:
        floors[i] = row_floor
    problem = Problem(values, lines, min_cell, floors)
    problem.protect()
    return Table(
        cells=[[_cell(problem, at(r, c)) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[_cell(problem, i) for i in row_index] if row_totals else None,
        col_totals=[_cell(problem, i) for i in col_index] if col_totals else None,
        grand_total=_cell(problem, grand) if grand is not None else None,
    )


def suppress_linked(
    values: Mapping[str, int],
    lines: Sequence[tuple[Sequence[str], str]],
    *,
    min_cell: int,
) -> dict[str, Cell]:
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
    _check_min_cell(min_cell)
    for cells, total in lines:
        if sum(int(values[c]) for c in cells) != int(values[total]):
            raise ValueError(f"{total} is not the sum of {', '.join(cells)}")
    names = list(values)
    index = {name: i for i, name in enumerate(names)}
    problem = Problem(
        [int(values[name]) for name in names],
        [([index[c] for c in cells], index[total]) for cells, total in lines],
        min_cell,
    )
    problem.protect()
    return {name: _cell(problem, index[name]) for name in names}


# --- the published series: running totals and pooled groups ---------------------------


def series_anchor(
    months: Sequence[int],
    *others: Sequence[int],
    min_cell: int,
    hidden: Sequence[bool] | None = None,
    allowed: Sequence[bool] | None = None,
) -> int:
    """The last month (index into ``months``) through which a running total may
    be printed exactly, so that no month's cell follows from two reports.

    ``months`` are the counts of a year's months so far, January first, each
    printed in its own monthly report (``<min_cell`` when small). A reader who
    holds every report subtracts one printed running total from the next: the
    months between two printed totals are a pool whose sum is known. A pool may
    be closed (its running total printed) only when none of its unknown months
    is pinned by that sum: a small month is 0 to ``min_cell − 1``, a month
    ``hidden`` in its own report (``..``: a total that would have given its
    split away) is at least ``min_cell``. Their sum must also reach the minimum.
    Otherwise the total stays at the last closed month and the pool grows. The
    decision for a month depends only on that month and the ones before it, so
    every report of the year makes the same decisions for the months it shares
    with the others.

    ``others`` are further counts of the same months printed beside the first
    (the citizens' answers beside the caseworkers' measurements, whose means a
    reader could subtract the same way): a month is closed only when every
    series may be closed there.

    ``allowed`` says which months may close a pool at all: a series that is
    also printed through another table's anchor (table 9.1's refugees are
    table 2's) closes only where that table closes, since two running totals
    through different months give the months between them away.

    Returns −1 when no month can be closed yet. A year's months start a new
    series: the year before ends at December's report.
    """
    _check_min_cell(min_cell)
    series = [list(months), *(list(o) for o in others)]
    if any(len(s) != len(series[0]) for s in series):
        raise ValueError("Every series must have a count for each month.")
    flags = [list(hidden or [False] * len(series[0]))] + [[False] * len(series[0])] * len(others)
    through = -1
    pools: list[list[int]] = [[] for _s in series]  # per series: the unknown months' indices
    for i in range(len(series[0])):
        for pool, counts, hid in zip(pools, series, flags, strict=True):
            _check_count(counts[i])
            if is_small(counts[i], min_cell=min_cell) or (min_cell > 1 and hid[i]):
                pool.append(i)
        if (allowed is None or allowed[i]) and all(
            _pool_safe(
                [counts[j] for j in pool],
                [hid[j] and not is_small(counts[j], min_cell=min_cell) for j in pool],
                min_cell,
            )
            for pool, counts, hid in zip(pools, series, flags, strict=True)
        ):
            through = i
            pools = [[] for _s in series]
    return through


def running_closures(series: Sequence[Sequence[int]], *, min_cell: int) -> list[int]:
    """The months (indices, January 0) through which running totals of counts
    that are never printed month by month may be printed, as one table.

    Each series is printed as its total through the last of these months,
    ``<min_cell`` while that total is small. A reader who subtracts two
    printed totals of a series learns the sum of the months between them, so
    a month closes only when every series' total is still small (a "<5" then
    a number leaves a range of ``min_cell`` values) or has grown by at least
    ``min_cell`` since the last month it was printed exactly. The decision for
    a month depends only on the months up to it, so every report of the year
    makes the same decisions for the months it shares with the others."""
    _check_min_cell(min_cell)
    lengths = {len(s) for s in series}
    if len(lengths) > 1:
        raise ValueError("Every series must have a count for each month.")
    totals = [0] * len(series)
    exact: list[int | None] = [None] * len(series)
    closures = []
    for i in range(lengths.pop() if lengths else 0):
        for k, counts in enumerate(series):
            _check_count(counts[i])
            totals[k] += counts[i]
        if min_cell > 1 and not all(
            t < min_cell or last is None or t - last >= min_cell
            for t, last in zip(totals, exact, strict=True)
        ):
            continue
        closures.append(i)
        exact = [t if t >= min_cell else last for t, last in zip(totals, exact, strict=True)]
    return closures


def _pool_safe(values: list[int], large: list[bool], min_cell: int) -> bool:
    """Whether a reader who learns the sum of these unknown months pins none of
    them: small ones lie in 0…min−1, ``large`` ones (hidden, not small) in min…∞."""
    if not values:
        return True
    total = sum(values)
    n_large = sum(large)
    n_small = len(values) - n_large
    top = min_cell - 1
    if total < min_cell:
        return False
    if n_large == 0:
        return total < n_small * top
    # A small month: at least 0 (a large one takes any excess), at most
    # min(top, total − min × large). A large one: at most total − min × (other
    # large); at least min, or total − top × small when it is the only one.
    if n_small and min(top, total - min_cell * n_large) <= 0:
        return False
    large_high = total - min_cell * (n_large - 1)
    large_low = max(min_cell, total - top * n_small) if n_large == 1 else min_cell
    return large_low < large_high


def pool_runs(sizes: Sequence[int], *, min_cell: int, target: int | None = None) -> list[range]:
    """Consecutive groups (cohorts by arrival year) pooled, oldest first, until
    each holds at least ``target`` people (``2 × min_cell`` unless given), so
    that a share of the group can be shown or bounded rather than hidden.

    The last groups, still growing, are a run of their own however small. A
    closed run keeps its pooling from one report to the next, since the
    decision for a group depends only on the groups before it.
    """
    _check_min_cell(min_cell)
    want = 2 * min_cell if target is None else target
    if min_cell <= 1:
        return [range(i, i + 1) for i in range(len(sizes))]
    runs: list[range] = []
    start = 0
    total = 0
    for i, size in enumerate(sizes):
        total += size
        if total >= want:
            runs.append(range(start, i + 1))
            start, total = i + 1, 0
    if start < len(sizes):
        # The last groups stay a run of their own even when small (their counts
        # print as "<5"): joined to a closed run now and apart later, the two
        # reports would give the small part away.
        runs.append(range(start, len(sizes)))
    return runs


def page_count(value: int, *, min_cell: int) -> str:
    """A count on an aggregate web page (the secretariat's figures), shown
    with no total beside it.

    The page has always printed zero as ``0`` and only 1 to ``min_cell - 1``
    as ``<min_cell``; the reports hide zero too (:func:`count_cell`). The
    page keeps its own output until the secretariat agrees to the change.
    """
    if value == 0:
        return "0"
    return str(count_cell(value, min_cell=min_cell))


# --- the rule as printed --------------------------------------------------------------


def rule_text(min_cell: int, language: str = "da") -> str:
    """The sentence a report prints about the rule it used, in Danish or English."""
    _check_min_cell(min_cell)
    n = min_cell
    if language.split("-")[0].lower() == "en":
        if n <= 1:
            return "All counts and shares are shown; none are suppressed."
        return (
            f"Counts below {n} are shown as <{n}. A number that a total, a share or "
            f"another report would reveal is shown as a range or hidden ({HIDDEN}). "
            f"A share with fewer than {n} people behind it or behind the rest is shown "
            f"as a bound (at least / at most) or hidden. Means rest on at least {n} "
            "people. Small groups are pooled, and a running total is given through "
            "the last month that does not reveal a month's small count."
        )
    if n <= 1:
        return "Alle antal og andele vises; intet er skjult."
    return (
        f"Antal under {n} vises som <{n}. Et tal, som en total, en andel eller en "
        f"anden rapport ville afsløre, vises som et interval eller skjules ({HIDDEN}). "
        f"En andel med færre end {n} personer bag sig eller bag resten vises som "
        f"»mindst« eller »højst« eller skjules. Gennemsnit bygger på mindst {n} "
        "personer. Små grupper lægges sammen, og et løbende tal for året opgøres til "
        "og med den seneste måned, der ikke afslører en anden måneds lille tal."
    )
