"""Disclosure as printed: every number a council report shows is made here."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

from evaluation import disclosure
from evaluation.pdf.formatting import MEAN_PLACES, decimal_da, numbers_da


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
class Marks:
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
        return Shown(numbers_da(str(cell)), suppressed=bool(cell.suppressed))

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
