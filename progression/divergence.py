"""Where the raters disagree: pure functions, no database."""

from __future__ import annotations

from collections.abc import Mapping

Scores = Mapping[int, int | None]


def item_spreads(scores_by_rater: Mapping[str, Scores]) -> dict[int, int]:
    """For each item answered by two or more raters: highest minus lowest score."""
    spreads: dict[int, int] = {}
    items = {n for scores in scores_by_rater.values() for n in scores}
    for n in sorted(items):
        given = [s[n] for s in scores_by_rater.values() if s.get(n) is not None]
        if len(given) >= 2:
            spreads[n] = max(given) - min(given)
    return spreads


def divergent_items(scores_by_rater: Mapping[str, Scores], threshold: int) -> dict[int, int]:
    """Items whose spread is ``threshold`` or more: the topics of the next talk."""
    return {n: d for n, d in item_spreads(scores_by_rater).items() if d >= threshold}
