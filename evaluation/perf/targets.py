"""The issue's targets, checked against a ``latest.json``-shaped result; no database.

The targets are for L; the same checks are printed for every size measured,
so a trend shows before L is run. The relative ones (at most 1.5 × the time
at S, the same query count as at S) are checked for the sizes beside S.
"""

from __future__ import annotations

from dataclasses import dataclass

PAGES = ["caseload", "case_page", "grid_get", "grid_post", "provider_list"]
PAGE_P95_MS = 100
GROWTH = 1.5
DASHBOARD_P95_MS = 500
METRICS_SECONDS = 2
MONTHLY_SECONDS = 5
MONTHLY_MB = 500
REVIEW_SECONDS = 15
IMPORT_ROWS_PER_S = 5000
PANDAS_RATIO = 10
LOAD_P95_MS = 300


@dataclass(frozen=True)
class Target:
    size: str
    what: str
    figure: float | int | None
    target: str
    ok: bool | None  # None: could not be checked (a figure is missing)

    @property
    def verdict(self) -> str:
        return "n/a" if self.ok is None else "pass" if self.ok else "MISS"


def _get(data: dict, *keys):
    for key in keys:
        if not isinstance(data, dict) or key not in data:
            return None
        data = data[key]
    return data


def _at_most(size: str, what: str, figure, limit: float, unit: str) -> Target:
    ok = None if figure is None else figure <= limit
    return Target(size, what, figure, f"<= {limit:g} {unit}".strip(), ok)


def _at_least(size: str, what: str, figure, limit: float, unit: str) -> Target:
    ok = None if figure is None else figure >= limit
    return Target(size, what, figure, f">= {limit:g} {unit}".strip(), ok)


def check(result: dict) -> list[Target]:
    out: list[Target] = []
    sizes = result.get("sizes", {})
    small = _get(sizes, "S", "measures") or {}
    for size, data in sizes.items():
        measures = data.get("measures", {})
        for page in PAGES:
            p95 = _get(measures, page, "p95_ms")
            out.append(_at_most(size, f"{page} p95", p95, PAGE_P95_MS, "ms"))
            if size != "S":
                base = _get(small, page, "p95_ms")
                ratio = round(p95 / base, 2) if p95 is not None and base else None
                out.append(_at_most(size, f"{page} p95 / S p95", ratio, GROWTH, "x"))
                q, q_small = _get(measures, page, "queries"), _get(small, page, "queries")
                same = None if q is None or q_small is None else q == q_small
                out.append(Target(size, f"{page} queries", q, f"= S ({q_small})", same))
        out.append(
            _at_most(
                size, "dashboard p95", _get(measures, "dashboard", "p95_ms"), DASHBOARD_P95_MS, "ms"
            )
        )
        for name in ("metrics_cohort", "metrics_progression"):
            seconds = _get(measures, name, "seconds")
            out.append(_at_most(size, name, seconds, METRICS_SECONDS, "s"))
        out.append(
            _at_most(
                size, "monthly_pdf", _get(measures, "monthly_pdf", "seconds"), MONTHLY_SECONDS, "s"
            )
        )
        out.append(
            _at_most(
                size,
                "monthly_pdf peak RSS",
                _get(measures, "monthly_pdf", "peak_rss_mb"),
                MONTHLY_MB,
                "MB",
            )
        )
        out.append(
            _at_most(
                size,
                "service_review_pdf",
                _get(measures, "service_review_pdf", "seconds"),
                REVIEW_SECONDS,
                "s",
            )
        )
        for name in ("import_citizens", "import_employment", "import_measurements"):
            rate = _get(measures, name, "rows_per_s")
            out.append(_at_least(size, name, rate, IMPORT_ROWS_PER_S, "rows/s"))
        admin = _get(result, "ratios", "caseload_vs_admin", size, "ratio")
        out.append(_at_most(size, "caseload p50 / admin change list p50", admin, 1, "x"))
        pandas = _get(result, "ratios", "pandas_vs_database", size, "ratio")
        out.append(_at_least(size, "pandas time / database time", pandas, PANDAS_RATIO, "x"))
    load = result.get("load") or {}
    if load:
        size = load.get("size", "M")
        errors = load.get("errors")
        out.append(
            Target(size, "load errors", errors, "= 0", None if errors is None else errors == 0)
        )
        every = _get(load, "exact", "all", "p95_ms") or load.get("p95_ms")
        out.append(_at_most(size, "load p95, all requests", every, LOAD_P95_MS, "ms"))
        browsing = _get(load, "exact", "browsing", "p95_ms")
        out.append(_at_most(size, "load p95, pages without sign-in", browsing, LOAD_P95_MS, "ms"))
    return out


def ratios(sizes: dict) -> dict:
    """The side-by-side comparisons of each size, from its measures."""
    admin, pandas = {}, {}
    for size, data in sizes.items():
        ours = _get(data, "measures", "caseload")
        theirs = data.get("admin_changelist")
        if ours and theirs:
            admin[size] = {
                "caseload_p50_ms": ours["p50_ms"],
                "admin_p50_ms": theirs["p50_ms"],
                "caseload_p95_ms": ours["p95_ms"],
                "admin_p95_ms": theirs["p95_ms"],
                "caseload_queries": ours["queries"],
                "admin_queries": theirs["queries"],
                "ratio": round(ours["p50_ms"] / theirs["p50_ms"], 2),
            }
        aggregation = data.get("aggregation")
        if aggregation:
            pandas[size] = aggregation
    return {"caseload_vs_admin": admin, "pandas_vs_database": pandas}
