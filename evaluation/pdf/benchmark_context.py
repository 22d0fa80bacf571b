"""The service review's tables and figures of figures from outside the system
(tables 3.2 and 6.1), for ``evaluation.pdf.context``: our own figures set
only against national figures of the same period.
"""

from __future__ import annotations

from collections.abc import Mapping

from django.conf import settings

from evaluation import charts
from evaluation.pdf.formatting import (
    BENCHMARK_PLACES,
    decimal_da,
    month_axis_labels,
    period_text,
)
from evaluation.pdf.marks import Marks, Shown


def external_value(value) -> float | None:
    return None if value is None else float(value)


def external_shown(value, marks: Marks) -> Shown:
    """A published figure from outside (Jobindsats, the wellbeing survey)."""
    if value is None:
        return marks.dash()
    return Shown(decimal_da(value, BENCHMARK_PLACES))


def wellbeing_context(figures: Mapping, marks: Marks) -> dict:
    """Table 3.2: our own pupils, and the national figure in columns of its own."""
    keys = ("bilingual", "danish", "national_bilingual", "national_danish")
    rows = [
        {"period": period_text(w["period"]), **{k: external_shown(w.get(k), marks) for k in keys}}
        for w in figures.get("wellbeing") or []
    ]
    return {
        "rows": rows,
        "national": any(
            w.get("national_bilingual") or w.get("national_danish")
            for w in figures.get("wellbeing") or []
        ),
    }


def _absence_row(a: Mapping, marks: Marks) -> dict:
    # The municipality's mean is of its own citizens' absence records: shown
    # only when enough records stand behind it.
    return {
        "period": period_text(a["period"]),
        "municipality": marks.mean(
            a.get("municipality"), a.get("municipality_n"), BENCHMARK_PLACES
        ),
        "national": external_shown(a.get("national"), marks),
    }


def danish_absence_context(figures: Mapping, marks: Marks) -> dict:
    """Figure and table 6.1: months beside the same months, quarters and years
    beside the same quarters and years. The national line is drawn only where
    a national month meets one of the municipality's; when none does, the
    table and the figure say so."""
    absence = figures.get("danish_absence") or []
    periods = figures.get("danish_absence_periods") or []
    rows = [_absence_row(a, marks) for a in absence]
    longer = [_absence_row(a, marks) for a in periods]
    own_series = [
        None if row["municipality"].missing else external_value(a.get("municipality"))
        for row, a in zip(rows, absence, strict=True)
    ]
    national_series = [external_value(a.get("national")) for a in absence]
    months_overlap = any(
        o is not None and n is not None for o, n in zip(own_series, national_series, strict=True)
    )
    out = {
        "rows": rows,
        "periods": longer,
        "months_overlap": months_overlap,
        "no_national_months": bool(rows) and not any(v is not None for v in national_series),
        "chart": None,
    }
    if any(v is not None for v in own_series):
        series = [(settings.MUNICIPALITY_NAME, own_series)]
        if months_overlap:
            series.append(("Landsgennemsnit, samme måned", national_series))
        top = max(v for _label, values in series for v in values if v is not None)
        out["chart"] = charts.chart_src(
            charts.trend_svg,
            month_axis_labels([str(a["period"]) for a in absence]),
            series,
            y_label="Fravær (%)",
            y_range=(0, max(top, 10) * 1.2),
        )
    return out
