"""The solver's linear check (``suppression.Problem._linearly_determined``)
and its bounds (``_bounds``):
a hidden number is fixed by the published ones exactly when its unit vector
lies in the span of the lines over the hidden numbers, which a rank test,
worked out here the plain dense way, says independently."""

from __future__ import annotations

import math
from fractions import Fraction
from unittest.mock import patch

from hypothesis import given, settings
from hypothesis import strategies as st

from evaluation import suppression
from evaluation.suppression import Problem


def _rank(rows: list[list[Fraction]]) -> int:
    rows = [list(r) for r in rows]
    rank = 0
    for c in range(len(rows[0]) if rows else 0):
        pivot = next((k for k in range(rank, len(rows)) if rows[k][c] != 0), None)
        if pivot is None:
            continue
        rows[rank], rows[pivot] = rows[pivot], rows[rank]
        for k in range(rank + 1, len(rows)):
            factor = rows[k][c] / rows[rank][c]
            rows[k] = [a - factor * b for a, b in zip(rows[k], rows[rank], strict=True)]
        rank += 1
    return rank


def _determined_by_rank(problem: Problem) -> set[int]:
    hidden = [i for i, h in enumerate(problem.hidden) if h]
    column = {i: k for k, i in enumerate(hidden)}
    rows = []
    for cells, total in problem.lines:
        row = [Fraction(0)] * len(hidden)
        for i in cells:
            if i in column:
                row[column[i]] += 1
        if total in column:
            row[column[total]] -= 1
        rows.append(row)
    base = _rank(rows)
    found = set()
    for i in hidden:
        unit = [Fraction(int(k == column[i])) for k in range(len(hidden))]
        if _rank([*rows, unit]) == base:
            found.add(i)
    return found


@st.composite
def problems(draw):
    size = draw(st.integers(min_value=2, max_value=12))
    lines = draw(
        st.lists(
            st.tuples(
                st.lists(st.integers(0, size - 1), min_size=1, max_size=5, unique=True),
                st.integers(0, size - 1),
            ).filter(lambda line: line[1] not in line[0]),
            min_size=1,
            max_size=8,
        )
    )
    problem = Problem([5] * size, lines, min_cell=5)
    problem.hidden = draw(st.lists(st.booleans(), min_size=size, max_size=size))
    return problem


@settings(max_examples=300, deadline=None)
@given(problems())
def test_the_linear_check_finds_exactly_the_numbers_a_rank_test_finds(problem):
    assert problem._linearly_determined() == _determined_by_rank(problem)


def test_a_table_row_with_one_hidden_cell_is_fixed_and_two_are_not():
    # cells 0, 1, 2 under total 3; cells 4, 5 under total 6
    problem = Problem([1, 7, 8, 16, 2, 3, 5], [([0, 1, 2], 3), ([4, 5], 6)], min_cell=5)
    problem.hidden = [True, False, False, False, True, True, False]
    assert problem._linearly_determined() == {0}


def _bounds_summing_the_others_anew(
    problem: Problem, passes: int = suppression.BOUND_PASSES
) -> list[tuple[float, float]]:
    """``_bounds`` as first written, each cell's other cells summed anew for
    every cell: the oracle that taking each line's sums once must agree with
    exactly. Its loop repeats the product's first lines on purpose."""

    def total_of(bounds, indices):
        return (
            math.inf
            if any(bounds[i] == math.inf for i in indices)
            else sum(bounds[i] for i in indices)
        )

    lo, hi = problem._start_bounds()
    for _pass in range(passes):
        changed = False
        for cells, total in problem.lines:
            new = (max(lo[total], total_of(lo, cells)), min(hi[total], total_of(hi, cells)))
            if new != (lo[total], hi[total]):
                (lo[total], hi[total]), changed = new, True
            for i in cells:
                others = [j for j in cells if j != i]
                others_hi = total_of(hi, others)
                cand_lo = lo[total] - others_hi if others_hi != math.inf else -math.inf
                cand_hi = hi[total] - total_of(lo, others)
                new = (max(lo[i], cand_lo), min(hi[i], cand_hi))
                if new != (lo[i], hi[i]):
                    (lo[i], hi[i]), changed = new, True
        if not changed:
            break
    return list(zip(lo, hi, strict=True))


@st.composite
def tables(draw):
    """A table of counts with its row, column and grand totals (rows of up to
    40 cells, as the country table's), some numbers hidden, as the disclosure
    rules leave them on the way to a protected table."""
    rows = draw(st.integers(1, 4))
    columns = draw(st.integers(1, 40))
    counts = draw(
        st.lists(
            st.lists(st.integers(0, 30), min_size=columns, max_size=columns),
            min_size=rows,
            max_size=rows,
        )
    )
    values = [n for row in counts for n in row]
    lines = []
    for r in range(rows):
        lines.append(([r * columns + c for c in range(columns)], len(values)))
        values.append(sum(counts[r]))
    for c in range(columns):
        lines.append(([r * columns + c for r in range(rows)], len(values)))
        values.append(sum(counts[r][c] for r in range(rows)))
    row_totals = [line[1] for line in lines[:rows]]
    lines.append((row_totals, len(values)))
    values.append(sum(values[i] for i in row_totals))
    size = len(values)
    # A floor is what a reader knows: a listed row holds at least one, if it does.
    floors = [
        min(floor, value)
        for floor, value in zip(
            draw(st.lists(st.integers(0, 1), min_size=size, max_size=size)), values, strict=True
        )
    ]
    problem = Problem(values, lines, min_cell=draw(st.integers(2, 10)), floors=floors)
    problem.hidden = [
        primary or hide
        for primary, hide in zip(
            problem.primary,
            draw(st.lists(st.booleans(), min_size=size, max_size=size)),
            strict=True,
        )
    ]
    problem.blind = draw(st.booleans())
    return problem


@settings(max_examples=400, deadline=None)
@given(tables(), st.sampled_from([1, 2, suppression.BOUND_PASSES]))
def test_the_bounds_equal_those_of_summing_each_cells_others_anew(problem, passes):
    """Equal after one pass, two and all of them: the line's sums, taken before
    its cells narrow, give what summing each cell's others anew, as they
    narrow, gives."""
    with patch.object(suppression, "BOUND_PASSES", passes):
        kept = problem._bounds()
    assert kept == _bounds_summing_the_others_anew(problem, passes)


def test_a_hidden_cell_beside_an_unbounded_one_learns_nothing_from_the_total():
    # 3 + 9 = 12 published; cell 0 small (<5), cell 1 hidden beyond the minimum.
    problem = Problem([3, 9, 12], [([0, 1], 2)], min_cell=5)
    problem.hidden = [True, True, False]
    assert problem._bounds() == [(0, 4), (8, 12), (12, 12)]
