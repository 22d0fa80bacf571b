"""The service review's figures from outside the system (sections 3 and 6),
for ``evaluation.figures``: benchmark rows read through ``evaluation.selectors``,
the municipality's own absence through ``integration.report_selectors``.

Only periods that have ended by the review's date are shown, and a figure is
set only against one of the same period and of the right role: our own row is
ours, the national row is national, another municipality's row is never ours.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping

from common import dates
from evaluation import metrics, selectors
from evaluation.models import BenchmarkIndicator, BenchmarkRole
from evaluation.models import benchmarks as bm
from integration import report_selectors as rs
from integration.models import User


def _shown_benchmarks(indicators: list[str], as_of: dt.date) -> list[dict]:
    """The benchmark rows of some indicators whose period has ended by ``as_of``
    (a period ends on its last day, which counts as ended)."""
    return [b for b in selectors.benchmark_rows(indicators) if bm.period_end(b["period"]) <= as_of]


def _latest_download(rows: Iterable[Mapping]) -> str | None:
    days = [r["downloaded_on"] for r in rows]
    return max(days).isoformat() if days else None


def _benchmark_employment(as_of: dt.date) -> dict:
    """Table 3.1: one column per period, our own row first, the neighbours by
    name, the national row last."""
    rows = _shown_benchmarks([BenchmarkIndicator.REFUGEES_ORDINARY_EMPLOYMENT], as_of)
    periods: dict[str, dict] = {}
    roles: dict[str, str] = {}
    for b in rows:
        periods.setdefault(b["period"], {})[b["municipality"]] = float(b["value"])
        roles[b["municipality"]] = b["role"]
    order = {role: i for i, role in enumerate(BenchmarkRole.values)}
    return {
        "benchmark_employment": [{"period": p, "values": periods[p]} for p in sorted(periods)],
        "benchmark_municipalities": sorted(roles, key=lambda n: (order[roles[n]], n.casefold())),
        "benchmark_roles": roles,
        "benchmark_employment_downloaded": _latest_download(rows),
    }


def _wellbeing(as_of: dt.date) -> dict:
    """Table 3.2: our own pupils' wellbeing beside the national figure of the
    same survey; another municipality's rows are not shown."""
    keys = {
        (BenchmarkIndicator.WELLBEING_BILINGUAL, BenchmarkRole.OWN): "bilingual",
        (BenchmarkIndicator.WELLBEING_DANISH, BenchmarkRole.OWN): "danish",
        (BenchmarkIndicator.WELLBEING_BILINGUAL, BenchmarkRole.NATIONAL): "national_bilingual",
        (BenchmarkIndicator.WELLBEING_DANISH, BenchmarkRole.NATIONAL): "national_danish",
    }
    rows = [
        b
        for b in _shown_benchmarks(
            [BenchmarkIndicator.WELLBEING_BILINGUAL, BenchmarkIndicator.WELLBEING_DANISH], as_of
        )
        if (b["indicator"], b["role"]) in keys
    ]
    by_period: dict[str, dict] = {}
    for b in rows:
        by_period.setdefault(b["period"], {"period": b["period"], **dict.fromkeys(keys.values())})[
            keys[(b["indicator"], b["role"])]
        ] = float(b["value"])
    return {
        "wellbeing": [by_period[p] for p in sorted(by_period)],
        "wellbeing_downloaded": _latest_download(rows),
    }


def _absence_means(own_rows: list[dict], start: dt.date, end: dt.date) -> tuple[float | None, int]:
    """The mean of every absence record of the months from ``start`` to ``end``
    (each month's mean weighted by its records), and the number of records."""
    inside = [r for r in own_rows if start <= r["month"] <= end and r["n"]]
    n = sum(r["n"] for r in inside)
    if not n:
        return None, 0
    return metrics.mean_or_none(sum(float(r["mean"]) * r["n"] for r in inside) / n), n


def _danish_absence(user: User | None, as_of: dt.date) -> dict:
    """Figure and table 6.1: the municipality's absence set against national
    figures of the same periods only. Months: the municipality's last 12, each
    beside the national figure of that month. Quarters and years: each
    national figure beside the municipality's mean of the same months."""
    national = [
        b
        for b in _shown_benchmarks([BenchmarkIndicator.DANISH_ABSENCE], as_of)
        if b["role"] == BenchmarkRole.NATIONAL
    ]
    window = dates.add_months(as_of.replace(day=1), -11)
    first = min([window, *(bm.period_start(b["period"]) for b in national)])
    own_rows = rs.danish_absence_by_month(user, first, as_of)
    months = []
    for r in (r for r in own_rows if r["month"] >= window):
        mean, n = _absence_means([r], r["month"], r["month"])
        months.append(
            {
                "period": r["month"].strftime("%Y-%m"),
                "municipality": mean,
                "municipality_n": n,
                "national": None,
            }
        )
    national_months = {b["period"]: b for b in national if b["period_kind"] == "month"}
    shown_months, shown_longer = [], []
    for row in months:
        if row["period"] in national_months:
            shown_months.append(national_months[row["period"]])
            row["national"] = float(national_months[row["period"]]["value"])
    longer = []
    for b in sorted(national, key=lambda b: (bm.period_end(b["period"]), b["period"])):
        if b["period_kind"] == "month":
            continue
        mean, n = _absence_means(own_rows, bm.period_start(b["period"]), bm.period_end(b["period"]))
        if n:
            shown_longer.append(b)
            longer.append(
                {
                    "period": b["period"],
                    "period_kind": b["period_kind"],
                    "municipality": mean,
                    "municipality_n": n,
                    "national": float(b["value"]),
                }
            )
    return {
        "danish_absence": months,
        "danish_absence_periods": longer,
        "danish_absence_downloaded": _latest_download(shown_months),
        "danish_absence_periods_downloaded": _latest_download(shown_longer),
    }


def benchmark_figures(user: User | None, as_of: dt.date) -> dict:
    """Sections 3 and 6 of the service review: only periods ended by ``as_of``."""
    return {**_benchmark_employment(as_of), **_wellbeing(as_of), **_danish_absence(user, as_of)}
