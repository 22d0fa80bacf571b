"""The solver behind complementary suppression (``evaluation.disclosure``):
which further numbers to hide so that no hidden one is pinned by the totals
that tie them. Pure; the rule and the printed forms live in ``disclosure``."""

from __future__ import annotations

import math
from collections.abc import Sequence
from fractions import Fraction


def is_small(value: int, *, min_cell: int) -> bool:
    """Whether a count must print as ``<min_cell``; never with a minimum of 1."""
    return min_cell > 1 and value < min_cell


def _subtract(row: dict[int, Fraction], factor: Fraction, other: dict[int, Fraction]) -> None:
    """``row -= factor * other``, in place, keeping only entries that are not 0."""
    for i, x in other.items():
        value = row.get(i, 0) - factor * x
        if value:
            row[i] = value
        else:
            row.pop(i, None)


# How many times at most the bounds are narrowed along every line.
BOUND_PASSES = 100


class Problem:
    """Published numbers tied by equations ``sum(cells) - total == 0``.

    ``values`` are the exact counts; ``lines`` list, for each equation, the
    indices of its cells and of its total.
    """

    def __init__(
        self,
        values: list[int],
        lines: list[tuple[list[int], int]],
        min_cell: int,
        floors: Sequence[int] | None = None,
    ):
        self.values = values
        self.lines = lines
        self.min_cell = min_cell
        # What a reader knows without the number: a listed row holds at least one.
        self.floors = list(floors) if floors is not None else [0] * len(values)
        self._final: list[tuple[float, float]] | None = None
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

    def _start_bounds(self) -> tuple[list[float], list[float]]:
        """What a reader knows of each number from its own printed form alone."""
        lo: list[float] = []
        hi: list[float] = []
        for value, hidden, primary, floor in zip(
            self.values, self.hidden, self.primary, self.floors, strict=True
        ):
            if not hidden:
                lo.append(value)
                hi.append(value)
            elif primary and not self.blind:
                lo.append(floor)
                hi.append(self.min_cell - 1)
            else:
                lo.append(floor if self.blind else max(floor, self.min_cell))
                hi.append(math.inf)
        return lo, hi

    def _bounds(self) -> list[tuple[float, float]]:
        """What a reader knows of each number, narrowed along the lines to a fixpoint."""
        lo, hi = self._start_bounds()
        # Each pass can only narrow; a pass limit keeps a slow creep finite (the
        # bounds stay correct, just possibly wider than they could be).
        for _pass in range(BOUND_PASSES):
            changed = False
            for cells, total in self.lines:
                # The line's sums, taken once: lower bounds are finite, upper
                # ones may not be.
                lo_sum = sum(lo[j] for j in cells)
                hi_finite = sum(hi[j] for j in cells if hi[j] != math.inf)
                hi_unbounded = sum(1 for j in cells if hi[j] == math.inf)
                # total = sum(cells)
                new = (
                    max(lo[total], lo_sum),
                    min(hi[total], math.inf if hi_unbounded else hi_finite),
                )
                if new != (lo[total], hi[total]):
                    (lo[total], hi[total]), changed = new, True
                # cell = total - sum(other cells): the other cells' sum is the
                # line's less the cell's own (a line of the country table has
                # 40 cells, and summing the others anew for each cell was 0,2 s
                # of the review). The line's sums are taken before its cells
                # narrow: a cell narrowed by this line cannot narrow another
                # through it (its new bound is the total less the others', so
                # the other's candidate stays beyond its own bound).
                for i in cells:
                    unbounded = hi[i] == math.inf
                    if hi_unbounded - unbounded:
                        cand_lo = -math.inf
                    else:
                        cand_lo = lo[total] - (hi_finite - (0 if unbounded else hi[i]))
                    cand_hi = hi[total] - (lo_sum - lo[i])
                    new = (max(lo[i], cand_lo), min(hi[i], cand_hi))
                    if new != (lo[i], hi[i]):
                        (lo[i], hi[i]), changed = new, True
            if not changed:
                break
        return list(zip(lo, hi, strict=True))

    def _linearly_determined(self) -> set[int]:
        """Hidden numbers that are a linear combination of the published ones.

        Each line, over the hidden numbers only, is reduced against a basis kept
        fully reduced: every basis row holds its pivot number with 1 and no
        other row's pivot. A hidden number is then fixed exactly when it is a
        pivot whose row holds nothing else (the unit vector lies in the rows'
        span), whichever pivots the order of the lines chose. Rows are sparse:
        a line ties a few numbers of a table of hundreds.
        """
        hidden = {i for i, h in enumerate(self.hidden) if h}
        basis: dict[int, dict[int, Fraction]] = {}
        for cells, total in self.lines:
            row: dict[int, Fraction] = {}
            for i in cells:
                if i in hidden:
                    row[i] = row.get(i, Fraction(0)) + 1
            if total in hidden:
                row[total] = row.get(total, Fraction(0)) - 1
            row = {i: x for i, x in row.items() if x}
            for pivot in [i for i in row if i in basis]:
                _subtract(row, row[pivot], basis[pivot])
            if not row:
                continue
            pivot = min(row)
            lead = row[pivot]
            row = {i: x / lead for i, x in row.items()}
            for other in basis.values():
                if pivot in other:
                    _subtract(other, other[pivot], row)
            basis[pivot] = row
        return {pivot for pivot, row in basis.items() if len(row) == 1}

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

    def state(self, i: int) -> tuple[bool, bool, tuple[float, float] | None]:
        """How number ``i`` is printed: small (``<min``), hidden, and the bounds
        a reader works out for a hidden number (None when there are none)."""
        primary = self.primary[i] and not self.blind
        if self._final is None:
            self._final = self._bounds() if any(self.hidden) else []
        bounds = None if self.blind or not self.hidden[i] else self._final[i]
        return primary, self.hidden[i], bounds
