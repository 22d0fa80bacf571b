"""Disclosure as printed: every number a council report shows is made here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from fractions import Fraction

from evaluation import disclosure
from evaluation.pdf.formatting import MEAN_PLACES, decimal_da, numbers_da

# What each marker means, in the order the footnotes explain them; ``{n}`` is
# the smallest count shown and ``{hidden}`` the mark of a hidden count.
FOOTNOTES = (
    ("small", "<{n}: Færre end {n} personer (også ingen), så ingen kan genkendes."),
    (
        "hidden",
        "{hidden}: Skjult, fordi tallet ellers kunne regnes ud fra en "
        "total, en andel eller en anden rapport, "
        "eller fordi færre end {n} personer står bag andelen og bag resten.",
    ),
    (
        "range",
        "Interval (f.eks. 49–53): Det præcise tal er skjult, fordi det sammen med "
        "totalen ville afsløre et lille tal; intervallet kan regnes ud af de viste tal.",
    ),
    (
        "bound",
        "Mindst / højst: Færre end {n} personer står bag andelen eller bag resten, "
        "så andelen vises som den grænse, <{n} giver.",
    ),
    (
        "hash",
        "#: Ikke alle personer i årgangen har nået tidspunktet på opgørelsesdagen, "
        "så andelen kan endnu ikke opgøres.",
    ),
    (
        "dash",
        "–: Intet at opgøre, eller gennemsnittet bygger på færre end "
        "{n} personer eller målinger og vises derfor ikke.",
    ),
)


@dataclass
class Shown:
    """One printed value: the text, and how the table should mark it."""

    text: str
    suppressed: bool = False
    missing: bool = False  # "#" or "–": no figure, for a reason a footnote gives
    percent: int | None = None  # a share's value (or its bound), for its chart
    bound: str = ""  # "at_least" / "at_most": ``percent`` is a bound
    span: tuple[int, int] | None = None  # a count printed as a range: its ends

    def __str__(self) -> str:
        return self.text


@dataclass
class Marks:
    """Every number a reader sees is made here, through ``evaluation.disclosure``;
    it also remembers which markers were printed, so that the report's
    footnotes explain exactly those."""

    min_cell: int
    used: set[str] = field(default_factory=set)

    def group(
        self, counts: Iterable[int], total: int | None, *, floor: int = 0
    ) -> tuple[list[Shown], Shown]:
        """Cells published with their total (``None``: the total is their sum);
        ``floor``: each cell is known to hold at least that many (a listed row)."""
        counts = [int(c or 0) for c in counts]
        if total is None:
            total = sum(counts)
        group = disclosure.suppress_group(
            counts, total=int(total), min_cell=self.min_cell, floors=[floor] * len(counts)
        )
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
        """A share: exact, bounded ("mindst 66 %") or hidden (``disclosure.share_cell``).
        An exact share would give away a count printed with it (``shown_with``,
        its numerator or base) that is hidden, so it is then bounded or hidden."""
        if numerator is None or denominator is None:
            return self.dash()
        n, d = int(numerator), int(denominator)
        cell = disclosure.share_cell(n, d, min_cell=self.min_cell)
        if not cell.suppressed and any(s.suppressed for s in shown_with):
            cell = disclosure.bounded_share(n, d, min_cell=self.min_cell)
            if cell.percent is None:
                return self._share_range(n, d, shown_with)
        if cell.percent is None and cell.suppressed:
            return self.hidden()
        if cell.percent is None:
            return self.dash()
        if cell.bound:
            self.used.add("bound")
        text = cell.shown if cell.bound else f"{cell.percent} %"
        return Shown(text, suppressed=cell.suppressed, percent=cell.percent, bound=cell.bound)

    def _share_range(self, numerator: int, denominator: int, shown_with) -> Shown:
        """The share of a numerator printed as a range over a base printed exactly:
        the range of shares the reader works out anyway; hidden otherwise."""
        spans = [s.span for s in shown_with if s.suppressed]
        if len(spans) != 1 or spans[0] is None or denominator <= 0:
            return self.hidden()
        (lo, hi), base = spans[0], str(denominator)
        if not lo <= numerator <= hi or not any(s.text == base for s in shown_with):
            return self.hidden()
        low = disclosure.round_half_up(Fraction(100 * lo, denominator))
        high = disclosure.round_half_up(Fraction(100 * min(hi, denominator), denominator))
        self.used.add("range")
        return Shown(f"{low}{disclosure.RANGE_DASH}{high} %", suppressed=True)

    def hidden(self) -> Shown:
        self.used.add("hidden")
        return Shown(disclosure.HIDDEN, suppressed=True)

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
            if not cell.hidden:
                self.used.add("small")
            elif cell.shown == disclosure.HIDDEN:
                self.used.add("hidden")
            else:
                self.used.add("range")
                lo, hi = (int(end) for end in cell.shown.split(disclosure.RANGE_DASH))
                return Shown(numbers_da(str(cell)), suppressed=True, span=(lo, hi))
        return Shown(numbers_da(str(cell)), suppressed=bool(cell.suppressed))

    def footnotes(self) -> list[str]:
        """The notes for the markers this report printed, in their one order."""
        return [
            note.format(n=self.min_cell, hidden=disclosure.HIDDEN)
            for marker, note in FOOTNOTES
            if marker in self.used
        ]
