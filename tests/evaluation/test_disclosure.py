"""Disclosure control, checked against examples worked out by hand and against a
brute-force reader who tries every value a hidden cell could take."""

import itertools
import re
from decimal import Decimal
from fractions import Fraction

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import disclosure
from evaluation.disclosure import (
    HIDDEN,
    count_cell,
    page_count,
    pool_runs,
    round_half_up,
    rule_text,
    series_anchor,
    share_cell,
    suppress_group,
    suppress_table,
)

# --- what a reader can work out ---------------------------------------------------------

RANGE = re.compile(r"(\d+)–(\d+)")


def _hidden_form(shown: str) -> bool:
    """``..`` or a range: a number hidden because a total would reveal it."""
    return shown == HIDDEN or RANGE.fullmatch(shown) is not None


def _known_range(cell, *, min_cell: int, upper: int, blind: bool) -> range:
    """The values a reader allows for a cell: exact when shown, 0..min-1 for "<min",
    min or more for a cell hidden only because a total would reveal it. When no
    "<min" is printed at all, a "–" says nothing (every hidden number is "–")."""
    if not cell.suppressed:
        return range(cell.value, cell.value + 1)
    if cell.shown == f"<{min_cell}":
        return range(0, min_cell)
    if RANGE.fullmatch(cell.shown):
        lo, hi = (int(x) for x in RANGE.fullmatch(cell.shown).groups())
        assert lo >= min_cell, cell
        return range(lo, hi + 1)
    assert cell.shown == HIDDEN
    return range(0 if blind else min_cell, upper + 1)


def _blind(cells, min_cell: int) -> bool:
    return not any(c.shown == f"<{min_cell}" for c in cells)


def _group_possible_values(cells, total, *, min_cell: int) -> list[set[int]]:
    """For each cell, every value it can take given what is published."""
    upper = total.value if not total.suppressed else sum(c.value for c in cells) + min_cell
    blind = _blind([*cells, total], min_cell)
    ranges = [_known_range(c, min_cell=min_cell, upper=upper, blind=blind) for c in cells]
    total_range = _known_range(total, min_cell=min_cell, upper=upper, blind=blind)
    seen: list[set[int]] = [set() for _ in cells]
    for values in itertools.product(*ranges):
        if sum(values) in total_range:
            for i, v in enumerate(values):
                seen[i].add(v)
    return seen


def _table_possible_values(table, *, min_cell: int) -> dict[tuple, set[int]]:
    """For each hidden cell or margin of a table, every value it can take.

    Tries every combination of the hidden cells' values (a cell is fixed by its
    row's or column's shown total when it is the last unknown there), and keeps
    those that agree with every published margin.
    """
    cells, row_totals, col_totals, grand = table
    n_rows, n_cols = len(cells), len(cells[0])
    true_grand = sum(c.value for row in cells for c in row)
    upper = grand.value if grand is not None and not grand.suppressed else true_grand + min_cell
    positions = [(r, c) for r in range(n_rows) for c in range(n_cols)]
    everything = [c for row in cells for c in row] + (row_totals or []) + (col_totals or [])
    blind = _blind(everything + ([grand] if grand else []), min_cell)
    seen: dict[tuple, set[int]] = {}

    def known(cell) -> range:
        return _known_range(cell, min_cell=min_cell, upper=upper, blind=blind)

    def margin_ok(cell, value) -> bool:
        return value in known(cell)

    def record(grid):
        row_sums = [sum(row) for row in grid]
        col_sums = [sum(grid[r][c] for r in range(n_rows)) for c in range(n_cols)]
        if row_totals and not all(
            margin_ok(t, s) for t, s in zip(row_totals, row_sums, strict=True)
        ):
            return
        if col_totals and not all(
            margin_ok(t, s) for t, s in zip(col_totals, col_sums, strict=True)
        ):
            return
        if grand is not None and not margin_ok(grand, sum(row_sums)):
            return
        for r, c in positions:
            if cells[r][c].suppressed:
                seen.setdefault(("cell", r, c), set()).add(grid[r][c])
        for name, margin, sums in (("row", row_totals, row_sums), ("col", col_totals, col_sums)):
            for i, t in enumerate(margin or []):
                if t.suppressed:
                    seen.setdefault((name, i), set()).add(sums[i])
        if grand is not None and grand.suppressed:
            seen.setdefault(("grand",), set()).add(sum(row_sums))

    def hidden_after(r, c, along_row: bool) -> bool:
        rest = range(c + 1, n_cols) if along_row else range(r + 1, n_rows)
        return any(cells[r][k].suppressed if along_row else cells[k][c].suppressed for k in rest)

    def fill(k: int, grid):
        if k == len(positions):
            record(grid)
            return
        r, c = positions[k]
        cell = cells[r][c]
        if not cell.suppressed:
            options = [cell.value]
        elif row_totals and not row_totals[r].suppressed and not hidden_after(r, c, True):
            options = [
                row_totals[r].value - sum(grid[r][:c]) - sum(x.value for x in cells[r][c + 1 :])
            ]
        elif col_totals and not col_totals[c].suppressed and not hidden_after(r, c, False):
            options = [
                col_totals[c].value
                - sum(grid[i][c] for i in range(r))
                - sum(cells[i][c].value for i in range(r + 1, n_rows))
            ]
        else:
            options = list(known(cell))
        for v in options:
            if v in known(cell):
                grid[r][c] = v
                fill(k + 1, grid)
        grid[r][c] = 0

    fill(0, [[0] * n_cols for _ in range(n_rows)])
    return seen


def _assert_nothing_derivable(table, *, min_cell: int) -> None:
    possible = _table_possible_values(table, min_cell=min_cell)
    hidden = sum(c.suppressed for row in table.cells for c in row)
    hidden += sum(t.suppressed for t in (table.row_totals or []) + (table.col_totals or []))
    hidden += bool(table.grand_total and table.grand_total.suppressed)
    assert len(possible) == hidden  # the true table is always one solution
    pinned = {where: values for where, values in possible.items() if len(values) < 2}
    assert pinned == {}


# --- single counts ---------------------------------------------------------------------


def test_count_below_minimum_prints_as_less_than():
    assert count_cell(3, min_cell=5).shown == "<5"
    assert count_cell(0, min_cell=5).shown == "<5"
    assert count_cell(5, min_cell=5).shown == "5"
    assert str(count_cell(3, min_cell=5)) == "<5"


def test_minimum_of_one_suppresses_nothing_not_even_zero():
    assert count_cell(0, min_cell=1).shown == "0"
    group = suppress_group([0, 1, 2], total=3, min_cell=1)
    assert [c.shown for c in group.cells] == ["0", "1", "2"]
    assert group.total.shown == "3"
    assert share_cell(0, 3, min_cell=1).shown == "0"
    assert share_cell(3, 3, min_cell=1).shown == "100"


def test_minimum_below_one_is_refused():
    with pytest.raises(ValueError):
        count_cell(3, min_cell=0)


def test_negative_count_is_refused():
    with pytest.raises(ValueError):
        suppress_group([3, -1], total=2, min_cell=5)


# --- groups ----------------------------------------------------------------------------


def test_small_cell_and_the_smallest_other_cell_are_hidden():
    # 23 - 12 - 8 = 3 would give the small cell away; hiding 8 leaves 3 + 8 = 11
    # unknown: the 8 is 11 less 0–4, printed as the range 7–11 a reader works out anyway.
    cells, total = suppress_group([12, 3, 8], total=23, min_cell=5)
    assert [c.shown for c in cells] == ["12", "<5", "7–11"]
    assert [c.suppressed for c in cells] == [False, True, True]
    assert total.shown == "23"


def test_group_without_small_cells_is_shown_whole():
    cells, total = suppress_group([12, 7, 8], total=27, min_cell=5)
    assert [c.shown for c in cells] == ["12", "7", "8"]
    assert total.shown == "27"


def test_small_total_hides_total_and_every_cell():
    cells, total = suppress_group([1, 2, 1], total=4, min_cell=5)
    assert [c.shown for c in cells] == ["<5", "<5", "<5"]
    assert total.shown == "<5"


def test_two_small_cells_that_add_up_to_their_maximum_are_protected():
    # 38 - 30 = 8, and two cells below 5 adding to 8 can only be 4 and 4;
    # the 30 is 38 less 0–8.
    cells, _total = suppress_group([4, 4, 30], total=38, min_cell=5)
    assert [c.shown for c in cells] == ["<5", "<5", "30–38"]


def test_hidden_partner_exactly_at_the_minimum_is_not_enough():
    # Hiding 0 and 5 leaves 5 for a "<5" cell and a cell of at least 5: 0 and 5
    # exactly. The 12 is hidden too: 17 less 0–4 for two cells of at least 5 each.
    cells, _total = suppress_group([12, 0, 5], total=17, min_cell=5)
    assert [c.shown for c in cells] == ["5–12", "<5", "5–12"]


def test_rows_known_to_hold_someone_do_not_give_their_small_cells_away():
    # Six listed rows of repatriated households under a total of 6: each row holds
    # at least one, so every "<5" is exactly 1. The total is hidden instead.
    cells, total = suppress_group([1] * 6, total=6, min_cell=5, floors=[1] * 6)
    assert [c.shown for c in cells] == ["<5"] * 6
    assert total.suppressed
    # Without the floors a reader allows 0 for a row, and the old rule printed 6.
    assert suppress_group([1] * 6, total=6, min_cell=5).total.shown == "6"


def test_group_without_total_only_hides_small_cells():
    cells, total = suppress_group([12, 3, 8], total=None, min_cell=5)
    assert [c.shown for c in cells] == ["12", "<5", "8"]
    assert total is None


def test_total_must_be_the_sum_of_the_cells():
    with pytest.raises(ValueError):
        suppress_group([12, 3, 8], total=30, min_cell=5)


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    counts=st.lists(st.integers(min_value=0, max_value=14), min_size=1, max_size=4),
    min_cell=st.integers(min_value=1, max_value=6),
)
def test_no_hidden_cell_of_a_group_can_be_worked_out(counts, min_cell):
    cells, total = suppress_group(counts, total=sum(counts), min_cell=min_cell)
    for count, cell in zip(counts, cells, strict=True):
        assert cell.value == count
        if min_cell > 1 and count < min_cell:
            assert cell.suppressed
            assert cell.shown == f"<{min_cell}" or _hidden_form(cell.shown)
        else:
            assert cell.shown == str(count) or _hidden_form(cell.shown)
    shown = [c.value for c in cells if not c.suppressed]
    hidden = [c for c in cells if c.suppressed]
    if not total.suppressed and len(hidden) == 1:
        pytest.fail(f"{total.value} - {sum(shown)} gives the hidden cell away")
    for cell, values in zip(
        cells, _group_possible_values(cells, total, min_cell=min_cell), strict=True
    ):
        if cell.suppressed:
            assert len(values) >= 2, (counts, [c.shown for c in cells], total.shown)


# --- cross tables ----------------------------------------------------------------------


def test_two_by_two_with_one_small_cell_hides_a_whole_cycle():
    table = suppress_table([[1, 10], [10, 10]], row_totals=True, col_totals=True, min_cell=5)
    assert table.cells[0][0].shown == "<5"
    # Row 0 and column 0 each need a second hidden cell, and those need partners in
    # row 1 and column 1: all four cells, while every margin stays shown.
    assert [[c.suppressed for c in row] for row in table.cells] == [[True, True], [True, True]]
    assert [t.shown for t in table.row_totals] == ["11", "20"]
    assert [t.shown for t in table.col_totals] == ["11", "20"]
    assert table.grand_total.shown == "31"
    _assert_nothing_derivable(table, min_cell=5)


def test_table_with_small_row_total_hides_another_row_total():
    # Row 0 totals 3: hidden with its cells; the grand total 3 + 17 would give it
    # away, so row 1's total is hidden too, and then its cells around it.
    table = suppress_table([[1, 2], [9, 8]], row_totals=True, col_totals=True, min_cell=5)
    assert table.row_totals[0].shown == "<5"
    assert table.row_totals[1].suppressed
    _assert_nothing_derivable(table, min_cell=5)


def test_table_without_margins_only_hides_small_cells():
    table = suppress_table([[1, 10], [10, 10]], row_totals=False, col_totals=False, min_cell=5)
    assert [[c.shown for c in row] for row in table.cells] == [["<5", "10"], ["10", "10"]]
    assert table.row_totals is None and table.col_totals is None and table.grand_total is None


def test_when_bounds_alone_give_cells_away_everything_reads_as_hidden():
    # Two cells "<2" under a total of 2 can only be 1 and 1, and hiding the total
    # as "–" (at least 2) still says 2: so nothing is printed but "–".
    cells, total = suppress_group([1, 1], total=2, min_cell=2)
    assert [c.shown for c in cells] == [HIDDEN, HIDDEN]
    assert total.shown == HIDDEN


def test_table_rows_must_be_equally_long():
    with pytest.raises(ValueError):
        suppress_table([[1, 2], [3]], row_totals=True, col_totals=False, min_cell=5)


@settings(max_examples=120, deadline=None, derandomize=True)
@given(
    rows=st.integers(min_value=1, max_value=3).flatmap(
        lambda n_cols: st.lists(
            st.lists(st.integers(min_value=0, max_value=9), min_size=n_cols, max_size=n_cols),
            min_size=1,
            max_size=2,
        )
    ),
    row_totals=st.booleans(),
    col_totals=st.booleans(),
    min_cell=st.integers(min_value=2, max_value=5),
)
def test_no_hidden_cell_of_a_table_can_be_worked_out(rows, row_totals, col_totals, min_cell):
    table = suppress_table(rows, row_totals=row_totals, col_totals=col_totals, min_cell=min_cell)
    for row, cells in zip(rows, table.cells, strict=True):
        for value, cell in zip(row, cells, strict=True):
            if value < min_cell:
                assert cell.shown == f"<{min_cell}" or _hidden_form(cell.shown)
                assert cell.suppressed
    _assert_nothing_derivable(table, min_cell=min_cell)


# --- shares ----------------------------------------------------------------------------


def test_share_of_one_person_is_bounded_not_hidden():
    # 1 of 45: "<5" allows up to 4 of 45 = 8.9 %, so "at most 9 %" says no more.
    cell = share_cell(1, 45, min_cell=5)
    assert (cell.shown, cell.percent, cell.suppressed, cell.bound) == (
        "højst 9 %",
        9,
        True,
        "at_most",
    )


def test_share_whose_complement_is_small_is_a_lower_bound():
    # 24 of 25 within 96 hours: the 1 late is "<5", so at least (25 - 4) / 25 = 84 %.
    cell = share_cell(24, 25, min_cell=5)
    assert (cell.shown, cell.percent, cell.bound) == ("mindst 84 %", 84, "at_least")
    # 12 of 12 health offers on time: at least 8 / 12 = 66.7 %, rounded down.
    assert share_cell(12, 12, min_cell=5).shown == "mindst 66 %"


def test_share_with_both_sides_small_is_hidden_with_its_own_mark():
    cell = share_cell(3, 7, min_cell=5)
    assert (cell.shown, cell.percent, cell.suppressed) == (HIDDEN, None, True)
    assert HIDDEN not in {"#", "–", "*", "**"}


@settings(max_examples=300, deadline=None, derandomize=True)
@given(
    denominator=st.integers(min_value=0, max_value=60),
    data=st.data(),
    min_cell=st.integers(min_value=2, max_value=6),
)
def test_a_bounded_share_tells_no_more_than_less_than_the_minimum(denominator, data, min_cell):
    numerator = data.draw(st.integers(min_value=0, max_value=denominator))
    cell = share_cell(numerator, denominator, min_cell=min_cell)
    if not cell.bound:
        return
    # Every numerator the reader allows from "<min" on the small side fits the bound.
    small_side = range(0, min_cell)
    fits = [
        n
        for n in range(denominator + 1)
        if (denominator - n if cell.bound == "at_least" else n) in small_side
    ]
    for n in fits:
        share = Fraction(100 * n, denominator)
        assert share >= cell.percent if cell.bound == "at_least" else share <= cell.percent


def test_share_is_whole_percentage_rounded_half_up():
    # 20 / 45 = 44.44 %
    cell = share_cell(20, 45, min_cell=5)
    assert (cell.shown, cell.percent, cell.suppressed, cell.marker) == ("44", 44, False, "")


def test_share_whose_complement_is_small_is_hidden():
    # 45 - 43 = 2 people are not in the share; the published 45 would reveal them.
    assert share_cell(43, 45, min_cell=5).suppressed


def test_share_of_small_denominator_is_hidden():
    assert share_cell(2, 4, min_cell=5).suppressed
    assert share_cell(0, 0, min_cell=5).suppressed


def test_share_of_nobody_has_no_value():
    assert share_cell(0, 0, min_cell=1).shown == "–"
    assert share_cell(0, 0, min_cell=1).percent is None
    assert share_cell(0, 0, min_cell=5).suppressed


def test_share_at_half_rounds_up():
    # 21 / 40 = 52.5 % -> 53; 27 / 40 = 67.5 % -> 68 (not to the even 68/52 of banker's rounding)
    assert share_cell(21, 40, min_cell=5).percent == 53
    assert share_cell(27, 40, min_cell=5).percent == 68
    assert share_cell(5, 8, min_cell=1).percent == 63  # 62.5


def test_hedensted_published_shares():
    # Seed 001, table 2.1, report date 31 Jan: 2015 had 105 persons and 52 %.
    assert share_cell(55, 105, min_cell=5).percent == 52  # 52.38
    assert share_cell(29, 43, min_cell=5).percent == 67  # 67.44


def test_numerator_above_denominator_is_refused():
    with pytest.raises(ValueError):
        share_cell(5, 4, min_cell=1)


@pytest.mark.parametrize(
    ("x", "expected"),
    [
        (2.5, 3),
        (0.5, 1),
        (52.5, 53),
        (67.49, 67),
        (67.5, 68),
        (1.5, 2),
        (0.49, 0),
        (3, 3),
        (Decimal("44.5"), 45),
        (Fraction(1, 2), 1),
        (Fraction(201, 2), 101),
        (Fraction(199, 2), 100),
        (Fraction(2, 3), 1),
        (-2.5, -3),
    ],
)
def test_round_half_up(x, expected):
    assert round_half_up(x) == expected


def test_round_half_up_refuses_nan():
    with pytest.raises(ValueError):
        round_half_up(float("nan"))


# --- the rule as printed ---------------------------------------------------------------


def test_rule_text_in_danish_states_the_minimum():
    text = rule_text(5)
    assert text.startswith("Antal under 5 vises som <5.")
    assert "skjules (..)" in text
    assert "»mindst« eller »højst«" in text
    assert "Gennemsnit bygger på mindst 5 personer" in text
    assert "til og med den seneste måned" in text


def test_rule_text_in_english_states_the_minimum():
    text = rule_text(3, language="en")
    assert text.startswith("Counts below 3 are shown as <3")
    assert "fewer than 3 people" in text


def test_rule_text_when_nothing_is_suppressed():
    assert rule_text(1) == "Alle antal og andele vises; intet er skjult."
    assert "none are suppressed" in rule_text(1, "en")


# --- the secretariat's figures page ----------------------------------------------------


def test_page_count_shows_zero_but_hides_one_to_four():
    # The page has always printed "no one" as 0; the reports hide it as <5.
    assert [page_count(n, min_cell=5) for n in (0, 1, 4, 5, 12)] == ["0", "<5", "<5", "5", "12"]
    assert str(count_cell(0, min_cell=5)) == "<5"


def test_page_count_with_a_minimum_of_one_shows_everything():
    assert [page_count(n, min_cell=1) for n in (0, 1, 2)] == ["0", "1", "2"]


# --- the series: running totals and pooled groups -------------------------------------------


def test_running_total_stops_before_a_month_it_would_give_away():
    # 10 by September, October 4: printing 14 gives October's 4 away (the demo's
    # leak). March–September (0, 1, 1, 0, 1, 1, 1) are seven small months of 5
    # together, fewer than 7 x 4: September closes; October alone never does.
    months = [3, 2, 0, 1, 1, 0, 1, 1, 1, 4]
    assert series_anchor(months[:9], min_cell=5) == 8
    assert series_anchor(months, min_cell=5) == 8
    # November's 6 is shown, and October's 4 is still alone among the small months.
    assert series_anchor([*months, 6], min_cell=5) == 8


def test_running_total_closes_on_months_shown_whole():
    assert series_anchor([7, 9, 12], min_cell=5) == 2
    assert series_anchor([], min_cell=5) == -1
    assert series_anchor([3], min_cell=5) == -1


def test_two_small_months_at_their_maximum_do_not_close_the_pool():
    # 4 + 4 = 8 can only be 4 and 4; a third month of 0 makes 8 of 0–12.
    assert series_anchor([4, 4], min_cell=5) == -1
    assert series_anchor([4, 4, 0], min_cell=5) == 2


def test_running_total_of_several_series_closes_where_all_may():
    # Total 6 (shown), refugees 6, family 0: the family's 0 cannot close alone.
    assert series_anchor([6], [6], [0], min_cell=5) == -1
    assert series_anchor([6, 6], [6, 1], [0, 5], min_cell=5) == -1
    # The family's 0, 3, 2 and the refugees' 2, 3 are pools of 5: all close in March.
    assert series_anchor([6, 5, 5], [6, 2, 3], [0, 3, 2], min_cell=5) == 2


def test_running_total_with_minimum_one_is_always_current():
    assert series_anchor([0, 1, 0], min_cell=1) == 2


@settings(max_examples=300, deadline=None, derandomize=True)
@given(months=st.lists(st.integers(min_value=0, max_value=9), max_size=12))
def test_no_small_month_follows_from_the_printed_running_totals(months):
    """A reader holding every report of the year: each month's cell ("<5" or
    its count) and each report's running total, through ``series_anchor``."""
    anchors = sorted({series_anchor(months[: m + 1], min_cell=5) for m in range(len(months))})
    anchors = [a for a in anchors if a >= 0]
    edges = [-1, *anchors]
    for low, high in itertools.pairwise(edges):
        pool = months[low + 1 : high + 1]
        small = [v for v in pool if v < 5]
        if not small:
            continue
        # The pool's sum is known; each small month is 0–4: none may be pinned.
        others = sum(small)
        for v in small:
            possible = [x for x in range(5) if 0 <= others - x <= 4 * (len(small) - 1)]
            assert len(possible) >= 2, (months, pool, v)
        assert others >= 5


def test_small_cohorts_are_pooled_until_a_share_can_be_shown():
    # The demo's cohorts 2012–2026 (persons): pooled to at least 10 each, oldest first.
    sizes = [11, 9, 15, 35, 19, 14, 8, 6, 3, 5, 24, 13, 9, 7, 6]
    runs = pool_runs(sizes, min_cell=5)
    assert [(r.start + 2012, r.stop - 1 + 2012) for r in runs] == [
        (2012, 2012),
        (2013, 2014),
        (2015, 2015),
        (2016, 2016),
        (2017, 2017),
        (2018, 2019),
        (2020, 2022),
        (2023, 2023),
        (2024, 2025),
        (2026, 2026),
    ]


def test_a_closed_pool_does_not_change_when_later_groups_arrive():
    before = pool_runs([3, 4, 6, 2], min_cell=5)
    after = pool_runs([3, 4, 6, 2, 1, 12], min_cell=5)
    assert before == [range(0, 3), range(3, 4)]
    assert after[:1] == before[:1]


def test_a_month_hidden_in_its_own_report_is_not_given_away_by_the_running_total():
    # January: 0 refugees and 5 family-reunified, 5 in all. The 5 would give the
    # 0 away, so the month's total is hidden (".."); a running total through
    # January would print it. With February's 3 ("<5") beside it, the pool is
    # 8: January 5–8 and February 0–3, neither pinned.
    assert series_anchor([5], min_cell=5, hidden=[True]) == -1
    assert series_anchor([5, 3], min_cell=5, hidden=[True, False]) == 1
    # Two hidden months of 5 under a pool of 10 are 5 and 5.
    assert series_anchor([5, 5], min_cell=5, hidden=[True, True]) == -1
    assert series_anchor([5, 6], min_cell=5, hidden=[True, True]) == 1


def test_running_closures_need_each_exact_total_to_grow_by_the_minimum():
    # 2 ("<5"), 5 (first exact), 6 (1 more), 8 (3 more), 10 (5 more: closes).
    assert disclosure.running_closures([[2, 3, 1, 2, 2]], min_cell=5) == [0, 1, 4]
    # Two series close together: the second's 0 → 6 → 7 holds the first back
    # at its third month.
    assert disclosure.running_closures([[5, 5, 5], [0, 6, 1]], min_cell=5) == [0, 1]
    # A total that stays small closes every month ("<5" each time).
    assert disclosure.running_closures([[0, 1, 0, 2]], min_cell=5) == [0, 1, 2, 3]
    # With a minimum of 1 every count is shown: every month closes.
    assert disclosure.running_closures([[0, 0, 1]], min_cell=1) == [0, 1, 2]
    with pytest.raises(ValueError):
        disclosure.running_closures([[1, 2], [1]], min_cell=5)
