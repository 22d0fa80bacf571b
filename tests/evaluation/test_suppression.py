"""The solver's linear check (``suppression.Problem._linearly_determined``):
a hidden number is fixed by the published ones exactly when its unit vector
lies in the span of the lines over the hidden numbers, which a rank test,
worked out here the plain dense way, says independently."""

from __future__ import annotations

from fractions import Fraction

from hypothesis import given, settings
from hypothesis import strategies as st

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
