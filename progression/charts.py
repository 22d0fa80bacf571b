"""The progress chart of one citizen, drawn on the server as SVG."""

from __future__ import annotations

import base64
import io
from collections.abc import Sequence

from django.utils.translation import gettext as _

from progression.models import Rater
from progression.selectors import ProgressPoint

# In the raters' one order (progression.models.RATER_ORDER).
RATER_STYLE = {
    Rater.CITIZEN: {"color": "#b02a37", "marker": "s"},
    Rater.CASEWORKER: {"color": "#0d6efd", "marker": "o"},
    Rater.PROVIDER: {"color": "#146c43", "marker": "^"},
}


def progress_svg(points: Sequence[ProgressPoint]) -> str:
    """Each rater's index (items 1–12) and the citizen's item 13 over time."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt
    from matplotlib.dates import DateFormatter

    fig, ax = plt.subplots(figsize=(7.5, 3.2), dpi=100)
    try:
        for rater, style in RATER_STYLE.items():
            series = [(p.measured_on, p.index) for p in points if p.rater == rater and p.index]
            if series:
                xs, ys = zip(*series, strict=True)
                label = _("%(rater)s, index 1–12") % {"rater": Rater(rater).label}
                ax.plot(xs, ys, label=label, linewidth=2, **style)
        item_13 = [
            (p.measured_on, p.item_13)
            for p in points
            if p.rater == Rater.CITIZEN and p.item_13 is not None
        ]
        if item_13:
            xs, ys = zip(*item_13, strict=True)
            ax.plot(
                xs,
                ys,
                label=_("Citizen, item 13"),
                linestyle="--",
                color="#6f42c1",
                marker="D",
                linewidth=1.5,
            )
        ax.set_ylim(0.8, 5.2)
        ax.set_yticks([1, 2, 3, 4, 5])
        ax.grid(axis="y", color="#dee2e6")
        ax.xaxis.set_major_formatter(DateFormatter("%m-%Y"))
        ax.spines[["top", "right"]].set_visible(False)
        if ax.get_legend_handles_labels()[0]:  # every index may be "too few answers"
            ax.legend(loc="upper left", fontsize=8, frameon=False, ncols=2)
        fig.autofmt_xdate()
        fig.tight_layout()
        buffer = io.StringIO()
        fig.savefig(buffer, format="svg", metadata={"Date": None})
    finally:
        plt.close(fig)
    return buffer.getvalue()


def svg_data_uri(svg: str) -> str:
    """An <img> source: the page's CSP forbids the inline styles matplotlib writes."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()
