"""Drawing: every chart 1280x720 (the summary's smaller), on an opaque dark background (readable in
dark and light chat themes alike), no text under 14 px, at most 9 named series plus "others".

Each function returns a Chart: the PNG and the series exactly as drawn (after folding the rest into
"others"), so what a picture shows can be checked against the numbers a command prints.
"""
from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field

MAX_SERIES = 9
OTHERS = "others"
SIZE = (1280, 720)            # pixels
SMALL = (960, 540)            # the daily summary's chart
DPI = 100
PX = 72 / DPI                 # points per pixel at DPI: font sizes are given in pixels below
BACKGROUND, PANEL, TEXT, GRID = "#1e1f22", "#2b2d31", "#e6e6e6", "#4a4d55"
# distinguishable on the dark background; "others" is always grey
COLOURS = ("#4e9cff", "#ff6b6b", "#ffd166", "#06d6a0", "#c77dff", "#ff9f1c", "#7bdff2", "#f15bb5", "#b5e48c")
OTHERS_COLOUR = "#9a9a9a"


@dataclass
class Chart:
    name: str                                   # file name shown in the chat: "missed-7d.png"
    title: str
    png: bytes
    series: dict[str, list[float]]              # label -> values, as drawn (one per x position)
    x: list = field(default_factory=list)       # unix times (time charts) or category names (bar charts)


def keep_top(series: dict[str, list[float]], rank: Callable[[str], float],
             fold: Callable[[list[str]], list[float]] | None = None, limit: int = MAX_SERIES) -> dict[str, list[float]]:
    """The `limit` series ranked highest (ties by label), then the rest folded into one labelled
    "others (N)": their mean point by point (a sum of hundreds would flatten the nine), unless
    `fold` (given the labels folded) says otherwise."""
    ordered = sorted(series, key=lambda label: (-rank(label), label))
    kept = {label: series[label] for label in ordered[:limit]}
    rest = ordered[limit:]
    if rest:
        values = fold(rest) if fold else [sum(points) / len(rest) for points in zip(*(series[label] for label in rest))]
        kept[f"{OTHERS} ({len(rest)}{'' if fold else ', mean'})"] = values
    return kept


def _figure(size: tuple[int, int]):
    # the object API with its own canvas: no pyplot, no global state, safe on the command thread
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    figure = Figure(figsize=(size[0] / DPI, size[1] / DPI), dpi=DPI, facecolor=BACKGROUND)
    FigureCanvasAgg(figure)
    return figure


def _style(axes, title: str, ylabel: str) -> None:
    axes.set_facecolor(PANEL)
    axes.set_title(title, color=TEXT, fontsize=22 * PX, loc="left", pad=12)
    axes.set_ylabel(ylabel, color=TEXT, fontsize=16 * PX)
    axes.tick_params(colors=TEXT, labelsize=15 * PX)
    axes.grid(True, color=GRID, linewidth=0.6)
    axes.set_axisbelow(True)             # bars over the grid, not under it
    for spine in axes.spines.values():
        spine.set_color(GRID)


def _legend(axes) -> None:
    legend = axes.legend(fontsize=14 * PX, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT, loc="upper left",
                         bbox_to_anchor=(1.01, 1.0), borderaxespad=0)
    legend.get_frame().set_alpha(1.0)


def _colour(i: int, label: str) -> str:
    return OTHERS_COLOUR if label.startswith(OTHERS) else COLOURS[i % len(COLOURS)]


def _png(figure) -> bytes:
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png", dpi=DPI, facecolor=BACKGROUND, transparent=False)
    return buffer.getvalue()


def _times(x: list[float]):
    import datetime as dt
    return [dt.datetime.fromtimestamp(t) for t in x]


def _time_axis(axes, window: tuple[float, float]) -> None:
    """The whole window, even where it has no data yet; hours within two days, dates beyond."""
    from matplotlib import dates
    start, end = window
    axes.set_xlim(*_times([start, end + (end - start) * 0.02]))     # the newest point whole, not cut by the edge
    axes.xaxis.set_major_formatter(dates.DateFormatter("%H:%M" if end - start <= 2 * 86400 else "%d %b"))


def time_chart(name: str, title: str, window: tuple[float, float], x: list[float], series: dict[str, list[float]],
               ylabel: str, bars: bool = False, size: tuple[int, int] = SIZE) -> Chart:
    """Series over time in `window` (start, end): lines (a missing value, NaN, is a gap) or bars
    grouped per x (counts per day)."""
    figure = _figure(size)
    axes = figure.add_axes((0.07, 0.1, 0.72, 0.8))
    _style(axes, title, ylabel)
    times = _times(x)
    if bars and x:
        step = (x[1] - x[0]) if len(x) > 1 else 86400.0
        width = step / 86400 * 0.8 / max(1, len(series))
        from matplotlib import dates
        from matplotlib.ticker import MaxNLocator
        middle = step / 86400 / 2                        # x is each step's start: a group stands over its step
        for i, (label, values) in enumerate(series.items()):
            axes.bar([dates.date2num(t) + middle + (i - (len(series) - 1) / 2) * width for t in times], values,
                     width=width, label=label, color=_colour(i, label))
        axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    else:
        for i, (label, values) in enumerate(series.items()):
            axes.plot(times, values, label=label, color=_colour(i, label), linewidth=2.2, marker="o" if len(x) < 3 else None)
    _time_axis(axes, window)
    if series:
        _legend(axes)
    else:
        axes.text(0.5, 0.5, "no data in this window", transform=axes.transAxes, ha="center", color=TEXT, fontsize=18 * PX)
    axes.set_ylim(bottom=0)
    return Chart(name, title, _png(figure), series, x)


def two_axis_chart(name: str, title: str, window: tuple[float, float], x: list[float], left: tuple[str, list[float]],
                   right: tuple[str, list[float]], size: tuple[int, int] = SIZE) -> Chart:
    """Two series of different units over time in `window` (plot count and farm size)."""
    figure = _figure(size)
    axes = figure.add_axes((0.08, 0.1, 0.8, 0.8))
    _style(axes, title, left[0])
    times = _times(x)
    axes.plot(times, left[1], color=COLOURS[0], linewidth=2.4, marker="o", label=left[0])
    twin = axes.twinx()
    twin.plot(times, right[1], color=COLOURS[2], linewidth=2.4, marker="s", label=right[0])
    twin.set_ylabel(right[0], color=TEXT, fontsize=16 * PX)
    twin.tick_params(colors=TEXT, labelsize=15 * PX)
    for spine in twin.spines.values():
        spine.set_color(GRID)
    _time_axis(axes, window)
    if not x:
        axes.text(0.5, 0.5, "no daily figures yet", transform=axes.transAxes, ha="center", color=TEXT, fontsize=18 * PX)
    handles = axes.get_legend_handles_labels()[0] + twin.get_legend_handles_labels()[0]
    legend = axes.legend(handles=handles, fontsize=14 * PX, facecolor=PANEL, edgecolor=GRID, labelcolor=TEXT, loc="lower right")
    legend.get_frame().set_alpha(1.0)
    return Chart(name, title, _png(figure), {left[0]: left[1], right[0]: right[1]}, x)


def stacked_bars(name: str, title: str, categories: dict[str, list[float]], parts: tuple[str, ...], xlabel: str,
                 size: tuple[int, int] = SIZE) -> Chart:
    """Horizontal bars, one per category (a machine), split into `parts` (used, free)."""
    figure = _figure(size)
    axes = figure.add_axes((0.16, 0.12, 0.66, 0.78))
    _style(axes, title, "")
    axes.set_xlabel(xlabel, color=TEXT, fontsize=16 * PX)
    labels = list(categories)[::-1]                       # the first category on top
    left = [0.0] * len(labels)
    for i, part in enumerate(parts):
        values = [categories[label][i] for label in labels]
        axes.barh(labels, values, left=left, label=part, color=(COLOURS[0], GRID)[i % 2] if len(parts) == 2 else COLOURS[i])
        left = [a + b for a, b in zip(left, values)]
    if categories:
        _legend(axes)
    else:
        axes.text(0.5, 0.5, "no disks reported", transform=axes.transAxes, ha="center", color=TEXT, fontsize=18 * PX)
    return Chart(name, title, _png(figure), categories, list(categories))

