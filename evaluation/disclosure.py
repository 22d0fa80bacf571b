"""Disclosure control: what a published count or share may show.

Every count printed in a report or shown to the secretariat passes through
here (the minimum is ``settings.REPORT_MIN_CELL``; ``min_cell`` is always
passed in, so this module stays pure and testable):

- a count below the minimum prints as ``<5`` (zero included: "no one" is
  also a fact about a person);
- when cells are published with their total, a suppressed cell must not be
  derivable from the total and the cells shown, so further cells are hidden
  (printed ``–`` with a footnote marker) until none is;
- a share is hidden when fewer than ``min_cell`` people stand behind it, behind
  its complement, or behind its denominator.

A minimum of 1 turns the rule off: every count and share is shown.

How "derivable" is judged: a reader knows each shown number, that a ``<5``
cell lies in 0–4, and that a ``–`` cell is at least 5 (it would read ``<5``
otherwise). A hidden number counts as revealed when the published totals pin
it to one value, either by linear algebra (it is a combination of published
figures) or by those bounds along the table's lines. The hidden cells of a
line with a shown total must also add up to at least the minimum: the total
less the shown cells gives their sum away, and together they are a group of
people too. Cells are added to the hidden set, smallest first, until no hidden
number is pinned and no such group is small.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import NamedTuple

HIDDEN = "–"  # a cell hidden because a total would reveal it, or a hidden share
FOOTNOTE_MARKER = "*"  # printed after HIDDEN; the report's footnote gives the rule


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


@dataclass(frozen=True)
class ShareCell:
    """One published share; ``percent`` is None when the share is hidden."""

    numerator: int
    denominator: int
    percent: int | None
    shown: str
    suppressed: bool
    marker: str = ""

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


def is_small(value: int, *, min_cell: int) -> bool:
    """Whether a count must print as ``<min_cell``; never with a minimum of 1."""
    return min_cell > 1 and value < min_cell


def _shown(value: int, *, primary: bool, hidden: bool, min_cell: int) -> Cell:
    if primary:
        return Cell(value, f"<{min_cell}", True)
    if hidden:
        return Cell(value, HIDDEN, True, FOOTNOTE_MARKER)
    return Cell(value, str(value), False)


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
    """The share numerator/denominator as a whole percentage, or hidden.

    Hidden when fewer than ``min_cell`` people are behind the numerator, behind
    the rest (denominator − numerator, which the published denominator would
    reveal), or behind the denominator. A share of nobody (denominator 0) has
    no value and prints as ``–`` without a marker when nothing is suppressed.
    """
    _check_min_cell(min_cell)
    _check_count(numerator)
    _check_count(denominator)
    if numerator > denominator:
        raise ValueError(f"The numerator {numerator} exceeds the denominator {denominator}.")
    small = min_cell > 1 and (
        numerator < min_cell or denominator - numerator < min_cell or denominator < min_cell
    )
    if small:
        return ShareCell(numerator, denominator, None, HIDDEN, True, FOOTNOTE_MARKER)
    if denominator == 0:
        return ShareCell(numerator, denominator, None, HIDDEN, False)
    percent = round_half_up(Fraction(100 * numerator, denominator))
    return ShareCell(numerator, denominator, percent, str(percent), False)


# --- complementary suppression ------------------------------------------------------


def _sum(bounds: list[float], indices: list[int]) -> float:
    total = 0
    for i in indices:
        if bounds[i] == math.inf:
            return math.inf
        total += bounds[i]
    return total


class _Problem:
    """Published numbers tied by equations ``sum(cells) - total == 0``.

    ``values`` are the exact counts; ``lines`` list, for each equation, the
    indices of its cells and of its total.
    """

    def __init__(self, values: list[int], lines: list[tuple[list[int], int]], min_cell: int):
        self.values = values
        self.lines = lines
        self.min_cell = min_cell
        self.primary = [is_small(v, min_cell=min_cell) for v in values]
        self.hidden = list(self.primary)
        self.blind = False
        self.totals = {total for _cells, total in lines}

    def protect(self) -> None:
        if self.min_cell <= 1 or not self.lines:
            return
        while True:
            pinned = self._pinned()
            if not pinned:
                partner = self._small_group_partner()
                if partner is None:
                    return
                self.hidden[partner] = True
                continue
            extra = self._next_to_hide(pinned)
            if extra is None:
                shown = [i for i, hidden in enumerate(self.hidden) if not hidden]
                if shown:
                    extra = min(shown, key=lambda j: (j in self.totals, self.values[j], j))
            if extra is not None:
                self.hidden[extra] = True
            elif not self.blind:
                # Everything is hidden and the bounds a reader reads off "<5" and
                # "–" still pin a number (cells "<2" under a total of 2): print
                # every hidden number as "–", which tells nothing.
                self.blind = True
            else:
                return

    def _bounds(self) -> list[tuple[float, float]]:
        """What a reader knows of each number, narrowed along the lines to a fixpoint."""
        lo: list[float] = []
        hi: list[float] = []
        for value, hidden, primary in zip(self.values, self.hidden, self.primary, strict=True):
            if not hidden:
                lo.append(value)
                hi.append(value)
            elif primary and not self.blind:
                lo.append(0)
                hi.append(self.min_cell - 1)
            else:
                lo.append(0 if self.blind else self.min_cell)
                hi.append(math.inf)
        # Each pass can only narrow; a pass limit keeps a slow creep finite (the
        # bounds stay correct, just possibly wider than they could be).
        for _pass in range(100):
            changed = False
            for cells, total in self.lines:
                # total = sum(cells)
                new = (max(lo[total], _sum(lo, cells)), min(hi[total], _sum(hi, cells)))
                if new != (lo[total], hi[total]):
                    (lo[total], hi[total]), changed = new, True
                # cell = total - sum(other cells)
                for i in cells:
                    others = [j for j in cells if j != i]
                    others_hi = _sum(hi, others)
                    cand_lo = lo[total] - others_hi if others_hi != math.inf else -math.inf
                    cand_hi = hi[total] - _sum(lo, others)
                    new = (max(lo[i], cand_lo), min(hi[i], cand_hi))
                    if new != (lo[i], hi[i]):
                        (lo[i], hi[i]), changed = new, True
            if not changed:
                break
        return list(zip(lo, hi, strict=True))

    def _linearly_determined(self) -> set[int]:
        """Hidden numbers that are a linear combination of the published ones."""
        hidden = [i for i, h in enumerate(self.hidden) if h]
        column = {v: k for k, v in enumerate(hidden)}
        matrix: list[list[Fraction]] = []
        for cells, total in self.lines:
            row = [Fraction(0)] * len(hidden)
            for i in cells:
                if i in column:
                    row[column[i]] += 1
            if total in column:
                row[column[total]] -= 1
            if any(row):
                matrix.append(row)
        # Reduced row echelon form; a pivot variable is fixed when its row has
        # nothing in the free columns.
        pivots: list[int] = []
        r = 0
        for c in range(len(hidden)):
            pivot = next((k for k in range(r, len(matrix)) if matrix[k][c] != 0), None)
            if pivot is None:
                continue
            matrix[r], matrix[pivot] = matrix[pivot], matrix[r]
            lead = matrix[r][c]
            matrix[r] = [x / lead for x in matrix[r]]
            for k in range(len(matrix)):
                if k != r and matrix[k][c] != 0:
                    factor = matrix[k][c]
                    matrix[k] = [a - factor * b for a, b in zip(matrix[k], matrix[r], strict=True)]
            pivots.append(c)
            r += 1
        free = set(range(len(hidden))) - set(pivots)
        fixed = set()
        for k, c in enumerate(pivots):
            if not any(matrix[k][f] != 0 for f in free):
                fixed.add(hidden[c])
        return fixed

    def _pinned(self) -> list[int]:
        fixed = self._linearly_determined()
        bounds = self._bounds()
        for i, hidden in enumerate(self.hidden):
            if hidden and bounds[i][0] == bounds[i][1]:
                fixed.add(i)
        return sorted(fixed)

    def _small_group_partner(self) -> int | None:
        """A shown cell to hide on a line whose hidden cells add up to fewer than
        the minimum: its shown total less its shown cells gives that sum away,
        and those cells together are then a small group of people (seven cells
        "<5" beside a 6 under a total of 7 say that one person is on them)."""
        for cells, total in self.lines:
            if self.hidden[total]:
                continue
            hidden = [i for i in cells if self.hidden[i]]
            if hidden and sum(self.values[i] for i in hidden) < self.min_cell:
                shown = [i for i in cells if not self.hidden[i]]
                # A shown cell is at least the minimum, and the total is more than
                # the hidden cells, so there is one.
                return min(shown, key=lambda j: (self.values[j], j))
        return None

    def _next_to_hide(self, pinned: list[int]) -> int | None:
        """The smallest shown cell on a line through a pinned number; a total only
        when a line has no shown cell left."""
        for want_total in (False, True):
            candidates = set()
            for i in pinned:
                for cells, total in self.lines:
                    if i not in cells and i != total:
                        continue
                    members = [total] if want_total else cells
                    candidates.update(j for j in members if not self.hidden[j])
            if candidates:
                return min(candidates, key=lambda j: (self.values[j], j))
        return None

    def cell(self, i: int) -> Cell:
        primary = self.primary[i] and not self.blind
        return _shown(
            self.values[i], primary=primary, hidden=self.hidden[i], min_cell=self.min_cell
        )


def suppress_group(counts: Sequence[int], *, total: int | None, min_cell: int) -> Group:
    """The cells of one group and its total's cell, with complementary suppression.

    ``total`` must be the sum of ``counts`` (publish an "other" cell for a partial
    breakdown), or None when the group is published without a total. With a
    total below the minimum, the total and every cell are hidden.
    """
    _check_min_cell(min_cell)
    values = list(counts)
    for value in values:
        _check_count(value)
    if total is None:
        problem = _Problem(values, [], min_cell)
        problem.protect()
        return Group([problem.cell(i) for i in range(len(values))], None)
    _check_count(total)
    if total != sum(values):
        raise ValueError(f"The total {total} is not the sum of the cells ({sum(values)}).")
    n = len(values)
    problem = _Problem([*values, total], [(list(range(n)), n)], min_cell)
    problem.protect()
    return Group([problem.cell(i) for i in range(n)], problem.cell(n))


def suppress_table(
    rows: list[list[int]], *, row_totals: bool, col_totals: bool, min_cell: int
) -> Table:
    """A cross table's cells and margins, suppressed along rows and columns until stable.

    With ``row_totals`` each row is published with its sum, with ``col_totals``
    each column; the grand total is then treated as published too.
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

    problem = _Problem(values, lines, min_cell)
    problem.protect()
    return Table(
        cells=[[problem.cell(at(r, c)) for c in range(n_cols)] for r in range(n_rows)],
        row_totals=[problem.cell(i) for i in row_index] if row_totals else None,
        col_totals=[problem.cell(i) for i in col_index] if col_totals else None,
        grand_total=problem.cell(grand) if grand is not None else None,
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
    problem = _Problem(
        [int(values[name]) for name in names],
        [([index[c] for c in cells], index[total]) for cells, total in lines],
        min_cell,
    )
    problem.protect()
    return {name: problem.cell(index[name]) for name in names}


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
            f"Counts below {n} are shown as <{n}, and a cell that a total would reveal "
            f"is also hidden ({HIDDEN}). Shares are not shown ({HIDDEN}) when fewer than "
            f"{n} people are behind the share or behind the rest."
        )
    if n <= 1:
        return "Alle antal og andele vises; intet er skjult."
    return (
        f"Antal under {n} vises som <{n}, og et felt, som en total ville afsløre, "
        f"er også skjult ({HIDDEN}). Andele vises ikke ({HIDDEN}), når færre end "
        f"{n} personer står bag andelen eller bag resten."
    )
