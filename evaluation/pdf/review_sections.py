"""The service review's optional and annex sections, built from the figures
dict like the rest of :mod:`evaluation.pdf.context`: table 2.2 with the
adjusted denominator (an option when the review is made) and the annex with
the questionnaire's item texts."""

from __future__ import annotations

from collections.abc import Mapping

from evaluation import disclosure
from evaluation.pdf.formatting import da_date
from evaluation.pdf.marks import Marks, Shown

# Why a person is taken out of the adjusted denominator, as the footnote says it.
LEFT_REASONS_DA = {
    "moved_away": "fraflyttet",
    "repatriated": "repatrieret",
    "deceased": "døde",
    "pension": "gået på folkepension",
}


def pooled_cohorts(
    cohorts: list[Mapping], min_cell: int, *, runs: list[range] | None = None
) -> list[dict]:
    """Consecutive arrival years pooled (``disclosure.pool_runs``) until each
    row holds enough people for its shares to be shown: "2013–14". A horizon
    not yet reached by every year of a pool is not reached by the pool. Table
    2.2 passes table 2.1's ``runs``, so both tables pool the same years (a year
    alone in one and pooled in the other could be subtracted)."""
    if runs is None:
        runs = disclosure.pool_runs([int(c["persons"]) for c in cohorts], min_cell=min_cell)
    pooled = []
    for run in runs:
        members = [cohorts[i] for i in run]
        first, last = str(members[0]["year"]), str(members[-1]["year"])
        entry: dict = {"year": first if first == last else f"{first}–{last[-2:]}"}
        for key in ("persons", "count_as_of", "left_6m", "left_12m", "left_as_of"):
            entry[key] = sum(int(c.get(key) or 0) for c in members)
        for horizon in ("6m", "12m"):
            reached = all(
                c.get(f"share_{horizon}") is not None and c.get(f"employed_{horizon}") is not None
                for c in members
            )
            total = sum(int(c.get(f"employed_{horizon}") or 0) for c in members)
            entry[f"employed_{horizon}"] = total if reached else None
            entry[f"share_{horizon}"] = 0 if reached else None  # a flag; the share is printed
        pooled.append(entry)
    return pooled


def _adjusted_share(
    marks: Marks, numerator: int, denominator: int, numerator_all, *shown_with: Shown
) -> Shown:
    """A share of table 2.2, hidden as well when it and table 2.1's count
    together would give away a small number of leavers who were employed."""
    shown = marks.share(numerator, denominator, *shown_with)
    if shown.missing or shown.suppressed or numerator_all is None:
        return shown
    if 0 < int(numerator_all) - int(numerator) < marks.min_cell:
        marks.used.add("hidden")
        return Shown(disclosure.HIDDEN + disclosure.FOOTNOTE_MARKER, suppressed=True)
    return shown


def _adjusted_column(row: Mapping, plain: Mapping, marks: Marks) -> dict:
    """One arrival year of table 2.2: shares only. The leavers of one year are
    too few to print; the footnote gives them for all years together."""
    persons_value, left_value = int(row["persons"]), int(row["left_as_of"])
    persons = marks.count(persons_value)
    column = {"year": row["year"]}
    for horizon in ("6m", "12m"):
        key = f"m{horizon[:-1]}"
        if row.get(f"share_{horizon}") is None or row.get(f"employed_{horizon}") is None:
            column[key] = marks.hash()
            continue
        column[key] = _adjusted_share(
            marks,
            row[f"employed_{horizon}"],
            persons_value - int(row[f"left_{horizon}"]),
            plain.get(f"employed_{horizon}"),
            persons,
        )
    column["as_of"] = _adjusted_share(
        marks,
        int(row.get("count_as_of") or 0),
        persons_value - left_value,
        plain.get("count_as_of"),
        persons,
    )
    return column


def cohorts_adjusted(figures: Mapping, marks: Marks) -> dict | None:
    """Table 2.2, the option: the cohorts without those who had left, and the
    footnote saying who was taken out and how many."""
    adjusted = figures.get("cohorts_adjusted")
    if not adjusted:
        return None
    cohorts = list(figures.get("cohorts") or [])
    rows = list(adjusted["rows"])
    if [str(c["year"]) for c in cohorts] != [str(r["year"]) for r in rows]:
        raise ValueError("Table 2.2's arrival years differ from table 2.1's.")
    runs = disclosure.pool_runs([int(c["persons"]) for c in cohorts], min_cell=marks.min_cell)
    plain = pooled_cohorts(cohorts, marks.min_cell, runs=runs)
    pooled = pooled_cohorts(rows, marks.min_cell, runs=runs)
    columns = [_adjusted_column(r, p, marks) for r, p in zip(pooled, plain, strict=True)]
    by_reason = adjusted.get("left_by_reason") or {}
    # A reason nobody left for is left out: a zero points at no one, and
    # printed as "<5" it would only force its neighbours to be hidden too.
    reasons = [key for key in LEFT_REASONS_DA if by_reason.get(key)]
    if not reasons:
        return {"columns": columns, "total_left": None, "left_by_reason": ""}
    cells, total = marks.group([by_reason[key] for key in reasons], None)
    parts = [f"{cell} {LEFT_REASONS_DA[key]}" for key, cell in zip(reasons, cells, strict=True)]
    listed = ", ".join(parts[:-1]) + f" og {parts[-1]}" if len(parts) > 1 else parts[0]
    return {"columns": columns, "total_left": total, "left_by_reason": listed}


def questionnaire_annex(figures: Mapping) -> dict:
    annex = figures.get("questionnaire_annex") or {}
    versions = annex.get("versions") or []
    return {
        "versions": [
            {
                **v,
                "published": da_date(v.get("published_at")),
                "own_count": sum(1 for i in v["items"] if i["municipal_wording"]),
            }
            for v in versions
        ],
        "current_only": bool(annex.get("current_only")),
        "has_own": any(i["municipal_wording"] for v in versions for i in v["items"]),
    }
