"""The reports' charts, drawn with matplotlib as vector SVG.

Every function takes numbers that may be published as they are: the caller has
already put them through ``evaluation.disclosure``, and a value hidden there
arrives here as ``None`` (drawn as a gap, or as part of a hatched "hidden"
segment whose size the table beside the chart already reveals). So a chart
never shows more than its table.

Text stays text in the SVG (``svg.fonttype = none``): the PDF stays small, its
words can be searched, and the labels print sharply at any size. Charts are
measured and drawn in the report's own font (Rapport Sans, shipped in
``static/fonts``), never in whatever font the host has.
"""

from __future__ import annotations

import base64
import io
import multiprocessing
import multiprocessing.pool
import textwrap
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from contextvars import ContextVar
from decimal import ROUND_HALF_UP, Decimal
from functools import cache

from django.utils import translation
from django.utils.translation import gettext as _

from common.pdf import REPORT_BASE_URL

# Colours that stay apart for colour-blind readers and in greyscale print
# (Okabe & Ito), darkest for the step closest to ordinary work.
LADDER_COLOURS = ["#0b3d91", "#0072b2", "#56b4e9", "#009e73", "#e69f00", "#d55e00", "#bbbbbb"]
SERIES_COLOURS = ["#0072b2", "#d55e00", "#009e73", "#cc79a7", "#e69f00", "#56b4e9", "#000000"]
HIDDEN_HATCH = "////"
# A bar of a stacked chart, as a share of the space a month has.
BAR_WIDTH = 0.7

# The report's font, as static files (the same the PDF's @font-face loads).
FONT_FAMILY = "Rapport Sans"
FONT_FILES = (
    "fonts/RapportSans-Regular.ttf",
    "fonts/RapportSans-Bold.ttf",
    "fonts/RapportSans-Italic.ttf",
)

# A4 less the page margins is about 17 cm across.
FULL_WIDTH = 6.6

_RC = {
    "svg.fonttype": "none",
    "svg.hashsalt": "report",
    "font.family": [FONT_FAMILY],
    "font.size": 8,
    "axes.titlesize": 9,
    "axes.edgecolor": "#444444",
    "axes.linewidth": 0.6,
    "xtick.major.width": 0.6,
    "ytick.major.width": 0.6,
    "hatch.linewidth": 0.6,
    "legend.frameon": False,
    # The shipped font has no minus sign (U+2212): negative ticks take a hyphen.
    "axes.unicode_minus": False,
}


@cache
def _register_font() -> None:
    """Give matplotlib the shipped font files, and fail rather than let it fall
    back to a host font: the labels' widths decide the chart's layout."""
    from django.contrib.staticfiles import finders
    from matplotlib import font_manager

    for name in FONT_FILES:
        path = finders.find(name)
        if not path:
            raise FileNotFoundError(f"The report font {name} is missing from the static files.")
        font_manager.fontManager.addfont(path)
    font_manager.findfont(
        font_manager.FontProperties(family=FONT_FAMILY), fallback_to_default=False
    )


def load_plotting() -> None:
    """Import matplotlib's plotting, as the first chart would."""
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot  # noqa: F401


@contextmanager
def _figure(width: float, height: float):
    import matplotlib

    matplotlib.use("Agg")
    from matplotlib import pyplot as plt

    _register_font()
    with matplotlib.rc_context(_RC):
        fig, ax = plt.subplots(figsize=(width, height))
        try:
            yield fig, ax
        finally:
            plt.close(fig)


def _svg(fig) -> str:
    buffer = io.StringIO()
    fig.savefig(buffer, format="svg", bbox_inches="tight", metadata={"Date": None})
    return buffer.getvalue()


def _comma(value: float, places: int = 1) -> str:
    """Rounded half up like the tables beside the charts, with a decimal comma
    and a dot between thousands (``1914.25`` -> ``1.914,3``)."""
    quantum = Decimal(1).scaleb(-places)
    rounded = Decimal(str(value)).quantize(quantum, rounding=ROUND_HALF_UP)
    return f"{rounded:,.{places}f}".replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def _percent_axis(ax, top: float = 100) -> None:
    from matplotlib.ticker import FuncFormatter

    ax.set_ylim(0, top)
    ax.yaxis.set_major_formatter(FuncFormatter(lambda v, _pos: f"{v:.0f} %"))


def _comma_axis(axis, places: int = 1) -> None:
    """Tick labels with a decimal comma, as Danish readers write numbers."""
    from matplotlib.ticker import FuncFormatter

    axis.set_major_formatter(FuncFormatter(lambda v, _pos: _comma(v, places)))


def _tidy(ax) -> None:
    ax.spines[["top", "right"]].set_visible(False)
    ax.grid(axis="y", color="#dddddd", linewidth=0.5)
    ax.set_axisbelow(True)


def data_uri(svg: str) -> str:
    """An ``<img>`` source WeasyPrint reads without fetching anything, and the
    browser preview shows under the CSP (``img-src data:``)."""
    return "data:image/svg+xml;base64," + base64.b64encode(svg.encode()).decode()


# --- drawing in a process of their own ----------------------------------------------

_apart: ContextVar[ChartProcess | None] = ContextVar("charts_apart", default=None)


def chart_src(draw: Callable[..., str], *args, **kwargs) -> str:
    """The ``<img>`` source of ``draw(*args, **kwargs)``: its ``data:`` URI, or,
    inside :func:`drawn_apart`, the address under which the chart process will
    hand it to the PDF renderer once drawn."""
    process = _apart.get()
    if process is None:
        return data_uri(draw(*args, **kwargs))
    return process.submit(draw, args, kwargs)


class ChartProcess:
    """A child process that draws a paper's charts while this one goes on.

    A fresh ``manage.py report`` is bound by its own CPU, one core of two: the
    child imports matplotlib (0,35 s) while this process imports WeasyPrint and
    counts the figures, and draws each chart (0,1 s) while this one builds the
    page and lays it out. The renderer asks for a chart by its address
    (:meth:`resources`) and waits for it there.

    The child is forked, so it has Django's settings and this process's
    translations without starting again; it reads no database. Fork it before
    any thread starts: a lock another thread holds at the fork (an import's)
    would never be released in the child.
    """

    def __init__(self) -> None:
        self._pool = multiprocessing.get_context("fork").Pool(1, initializer=_load_in_child)
        self._pending: dict[str, multiprocessing.pool.AsyncResult] = {}
        self.fetched: set[str] = set()

    def submit(self, draw: Callable[..., str], args: tuple, kwargs: dict) -> str:
        """Have ``draw(*args, **kwargs)`` drawn; the address the renderer will ask for."""
        url = f"{REPORT_BASE_URL}charts/{len(self._pending) + 1}.svg"
        job = (draw, translation.get_language(), args, kwargs)
        self._pending[url] = self._pool.apply_async(_draw_in_child, job)
        return url

    def resources(self) -> dict[str, Callable[[], bytes]]:
        """Each chart's address, and how to wait for its SVG (a chart that
        failed raises here, and the renderer stops)."""

        def wait(url: str) -> bytes:
            svg = self._pending[url].get(timeout=CHART_TIMEOUT)
            self.fetched.add(url)
            return svg.encode()

        return {url: (lambda url=url: wait(url)) for url in self._pending}

    def check_all_drawn(self) -> None:
        """Raise unless the renderer took every chart: a paper that misses one
        must not be published."""
        missing = sorted(set(self._pending) - self.fetched)
        if missing:
            raise RuntimeError(f"The PDF left out {len(missing)} chart(s): {', '.join(missing)}")

    def close(self) -> None:
        self._pool.terminate()
        self._pool.join()


# A chart takes about 0,1 s; a minute means the child is stuck.
CHART_TIMEOUT = 60


def _load_in_child() -> None:
    load_plotting()
    _register_font()


def _draw_in_child(draw: Callable[..., str], language: str | None, args, kwargs) -> str:
    with translation.override(language):
        return draw(*args, **kwargs)


@contextmanager
def drawn_apart() -> Iterator[ChartProcess | None]:
    """Within this block, :func:`chart_src` hands the charts to a
    :class:`ChartProcess`; the process ends with the block. None where
    processes cannot be forked: the charts are drawn in this one."""
    try:
        process = ChartProcess()
    except (ValueError, OSError):
        # No fork (not Linux), or no shared memory for the pool's locks (a
        # container without /dev/shm): the charts are drawn here, as in a
        # web worker, and the paper is the same.
        yield None
        return
    token = _apart.set(process)
    try:
        yield process
    finally:
        _apart.reset(token)
        process.close()


def _bar_segments(ax, x: Sequence[int], bottom: Sequence[float], heights: Sequence[float], **style):
    """One series of a stacked bar chart, ``heights`` on ``bottom``, as a
    single collection of rectangles; the legend's handle for it.

    ``ax.bar`` makes an artist per bar, and each one updates the axes'
    limits and is drawn on its own: a year's ladder (7 series of 13 months)
    cost 40 ms of its 120 ms that way. The caller sets the limits once. The
    bars stand on 0, which autoscaling keeps (as ``ax.bar``'s do).
    """
    from matplotlib.collections import PolyCollection
    from matplotlib.patches import Patch

    half = BAR_WIDTH / 2
    rectangles = [
        [(i - half, b), (i - half, b + h), (i + half, b + h), (i + half, b)]
        for i, b, h in zip(x, bottom, heights, strict=True)
        if h
    ]
    segments = PolyCollection(rectangles, **style)
    segments.sticky_edges.y.append(0)
    ax.add_collection(segments, autolim=False)
    return Patch(
        facecolor=style["facecolors"],
        edgecolor=style.get("edgecolors", "none"),
        hatch=style.get("hatch"),
        linewidth=style.get("linewidths", 0),
    )


def ladder_months_svg(
    months: Sequence[str],
    steps: Sequence[tuple[str, Sequence[int | None]]],
    hidden: Sequence[int | None],
) -> str:
    """Stacked bars, one per month: each ladder step's count (``None`` = hidden),
    and a hatched segment for the hidden counts of the month taken together
    (``hidden[i]`` = the month's total less its shown counts; ``None`` when even
    the total is hidden, and then no bar is drawn)."""
    with _figure(FULL_WIDTH, 2.9) as (fig, ax):
        x = list(range(len(months)))
        bottom = [0] * len(months)
        handles, labels = [], []
        for (label, values), colour in zip(steps, LADDER_COLOURS, strict=False):
            heights = [v or 0 for v in values]
            handles.append(
                _bar_segments(ax, x, bottom, heights, facecolors=colour, edgecolors="none")
            )
            labels.append(label)
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        if any(h for h in hidden if h):
            heights = [h or 0 for h in hidden]
            handles.append(
                _bar_segments(
                    ax,
                    x,
                    bottom,
                    heights,
                    facecolors="white",
                    edgecolors="#666666",
                    hatch=HIDDEN_HATCH,
                    linewidths=0.5,
                )
            )
            labels.append(_("Small counts, hidden"))
            bottom = [b + h for b, h in zip(bottom, heights, strict=True)]
        if x:
            # With nothing to count (a new municipality), an axis up to 1
            # rather than a column of zeros.
            half = BAR_WIDTH / 2
            ax.update_datalim([(-half, 0), (x[-1] + half, max(bottom) or 1)])
            ax.autoscale_view()
        ax.set_xticks(x, list(months), rotation=0)
        ax.set_ylabel(_("Persons"))
        ax.yaxis.get_major_locator().set_params(integer=True)
        _comma_axis(ax.yaxis, 0)
        _tidy(ax)
        ax.legend(handles, labels, loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        return _svg(fig)


def trend_svg(
    months: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    y_label: str = "Gennemsnit (1–5)",
    y_range: tuple[float, float] = (1, 5),
) -> str:
    """Lines over months; a ``None`` (too few measurements to show) breaks the line."""
    with _figure(FULL_WIDTH, 2.5) as (fig, ax):
        x = list(range(len(months)))
        markers = ["o", "s", "^", "D"]
        for i, (label, values) in enumerate(series):
            ys = [float("nan") if v is None else v for v in values]
            ax.plot(
                x,
                ys,
                label=label,
                color=SERIES_COLOURS[i % len(SERIES_COLOURS)],
                marker=markers[i % len(markers)],
                markersize=3.5,
                linewidth=1.4,
            )
        ax.set_xticks(x, list(months))
        ax.set_ylim(*y_range)
        _comma_axis(ax.yaxis, 1 if y_range[1] - y_range[0] <= 10 else 0)
        ax.set_ylabel(y_label)
        _tidy(ax)
        ax.legend(loc="lower left", ncols=len(series), fontsize=7)
        return _svg(fig)


def item_means_svg(
    items: Sequence[tuple[str, float | None]], *, wrap: int = 60, places: int = 2
) -> str:
    """Horizontal bars, one per questionnaire item, labelled with the item's
    number and text; the mean is written at the end of each bar."""
    height = 0.5 + 0.32 * len(items)
    with _figure(FULL_WIDTH, height) as (fig, ax):
        y = list(range(len(items)))
        values = [v or 0 for _label, v in items]
        labels = [textwrap.shorten(label, width=wrap, placeholder=" …") for label, _v in items]
        bars = ax.barh(y, values, color=SERIES_COLOURS[0], height=0.65)
        for bar, (_label, value) in zip(bars, items, strict=True):
            text = "–" if value is None else _comma(value, places)
            ax.text(
                bar.get_width() + 0.05,
                bar.get_y() + bar.get_height() / 2,
                text,
                va="center",
                fontsize=7,
            )
        ax.set_yticks(y, labels, fontsize=7)
        ax.invert_yaxis()
        ax.set_xlim(0, 5.4)
        ax.set_xticks([0, 1, 2, 3, 4, 5])
        ax.set_xlabel("Sagsbehandlerens gennemsnitlige score (1–5)")
        ax.spines[["top", "right"]].set_visible(False)
        ax.grid(axis="x", color="#dddddd", linewidth=0.5)
        ax.set_axisbelow(True)
        return _svg(fig)


def grouped_bars_svg(
    groups: Sequence[str],
    series: Sequence[tuple[str, Sequence[float | None]]],
    *,
    percent: bool = True,
    missing_label: str = "#",
    value_places: int = 0,
    labels: Sequence[Sequence[str | None]] | None = None,
) -> str:
    """Bars side by side per group (a cohort year, a period); a ``None`` value
    draws no bar and writes ``missing_label`` where it would stand. ``labels``
    (per series and group) replace a bar's printed value: a hidden share's
    ``..``, a bound's "mindst 66 %" (its bar drawn to the bound)."""
    with _figure(FULL_WIDTH, 2.6) as (fig, ax):
        n = max(len(series), 1)
        width = 0.8 / n
        top = max([v for _l, vs in series for v in vs if v is not None] or [1]) or 1
        upper = 100 if percent and top <= 100 else top * 1.15
        # Many bars leave no room for a label across: the labels stand upright.
        upright = len(groups) * n > 12
        for i, (label, values) in enumerate(series):
            xs = [g + (i - (n - 1) / 2) * width for g in range(len(groups))]
            heights = [v or 0 for v in values]
            ax.bar(xs, heights, width=width * 0.95, label=label, color=SERIES_COLOURS[i % 7])
            series_labels = labels[i] if labels is not None else [None] * len(values)
            for x, value, label in zip(xs, values, series_labels, strict=True):
                text = (
                    label
                    if label is not None
                    else missing_label
                    if value is None
                    else (_comma(value, value_places) + (" %" if percent else ""))
                )
                ax.text(
                    x,
                    (value or 0) + upper * 0.01,
                    text,
                    ha="center",
                    va="bottom",
                    fontsize=6,
                    rotation=90 if upright else 0,
                )
        ax.set_xticks(list(range(len(groups))), list(groups))
        if percent:
            _percent_axis(ax, upper)
        else:
            ax.set_ylim(0, upper)
            ax.yaxis.get_major_locator().set_params(integer=True)
            _comma_axis(ax.yaxis, 0)
        if upright:
            # Room above the highest bar for an upright label; the axis keeps
            # its ticks.
            ticks = [t for t in ax.get_yticks() if 0 <= t <= upper]
            ax.set_ylim(0, upper * 1.3)
            ax.set_yticks(ticks)
        _tidy(ax)
        ax.legend(loc="upper left", bbox_to_anchor=(1.0, 1.0), fontsize=7)
        return _svg(fig)
