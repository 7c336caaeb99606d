"""The charts of the analysis, in one style: Okabe-Ito colours, labelled axes with units, PNG and PDF.

Each function draws on a bare :class:`matplotlib.figure.Figure` (no pyplot state, no display) and
saves ``stem.png`` and ``stem.pdf``; it returns the PNG's path. Inputs are the frames of
:mod:`experiments.analysis.stats`, :mod:`~experiments.analysis.comparison` and
:mod:`~experiments.analysis.sensitivity`.
"""

from __future__ import annotations

import math
import textwrap
from collections.abc import Mapping, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.figure import Figure
from matplotlib.ticker import FuncFormatter

from experiments.analysis.measures import measure, parameter_label
from simulation.chart import COLOURS

#: Line styles, cycled after the colours so that lines differ without colour too.
STYLES: tuple[str, ...] = ("-", "--", "-.", ":")
#: Markers for points (cost-effectiveness, Morris).
MARKERS: tuple[str, ...] = ("o", "s", "^", "D", "v", "P", "X", "*")
#: A sequential, colour-blind-safe colour map for heat maps.
SEQUENTIAL = "cividis"
#: Resolution of the PNGs.
DPI = 150
#: One style for every chart.
STYLE: dict[str, Any] = {
    "font.size": 9, "axes.titlesize": 10, "axes.labelsize": 9, "legend.fontsize": 8, "xtick.labelsize": 8,
    "ytick.labelsize": 8, "axes.grid": True, "grid.alpha": 0.3, "axes.spines.top": False,
    "axes.spines.right": False, "legend.frameon": False, "pdf.fonttype": 42,
    "axes.prop_cycle": mpl.cycler(color=list(COLOURS)),
    "text.parse_math": False,  # labels hold names from configs and sweep files ("$5 grant"): plain text, not TeX
}
#: Tick labels with thousands separators.
_TICKS = FuncFormatter(lambda v, _: f"{v:,.0f}" if abs(v) >= 1000 else f"{v:g}")


@contextmanager
def _style() -> Any:
    with mpl.rc_context(STYLE):
        yield


def colour_of(point: int) -> str:
    """The colour of a design point: the same point has the same colour in every chart of a sweep."""
    return COLOURS[point % len(COLOURS)]


def save(fig: Figure, stem: Path) -> Path:
    """Write ``stem.png`` and ``stem.pdf``; returns the PNG's path."""
    stem.parent.mkdir(parents=True, exist_ok=True)
    png = stem.with_suffix(".png")
    fig.savefig(png, dpi=DPI)
    fig.savefig(stem.with_suffix(".pdf"))
    return png


def _grid(n: int, width: float = 4.2, height: float = 3.0, columns: int = 2) -> tuple[Figure, list[Any]]:
    cols = min(columns, n)
    rows = math.ceil(n / cols)
    fig = Figure(figsize=(width * cols, height * rows), layout="constrained")
    axes = np.atleast_1d(fig.subplots(rows, cols)).ravel().tolist()
    for ax in axes[n:]:
        ax.set_visible(False)
    return fig, axes[:n]


def time_series(summary: pd.DataFrame, outputs: Sequence[str], names: Mapping[int, str], stem: Path, *,
                title: str = "", level: float = 0.95, difference: bool = False) -> Path:
    """Mean of each output over the replicates, a line per point with its confidence band, a panel per output.

    ``summary`` is :func:`experiments.analysis.stats.replicate_summary` (or, with ``difference``,
    :func:`~experiments.analysis.stats.paired_summary`) by point and year.
    """
    with _style():
        fig, axes = _grid(len(outputs))
        for ax, output in zip(axes, outputs, strict=True):
            shown = measure(output)
            rows = summary[summary["output"] == output]
            for point, label in names.items():
                series = rows[rows["point"] == point].sort_values("year")
                if series.empty:
                    continue
                colour, style = colour_of(point), STYLES[point % len(STYLES)]
                x = series["year"].to_numpy()
                ax.fill_between(x, series["ci_low"] * shown.scale, series["ci_high"] * shown.scale, color=colour,
                                alpha=0.2, linewidth=0)
                ax.plot(x, series["mean"] * shown.scale, color=colour, linestyle=style, linewidth=1.5, label=label)
            ax.set_xlabel("year")
            if difference:
                ax.axhline(0, color="black", linewidth=0.6)
                ax.set_ylabel(f"change ({'percentage points' if shown.unit == '%' else shown.unit})")
                ax.set_title(f"Change in {shown.label}")
            else:
                ax.set_ylabel(textwrap.fill(shown.axis, 38))
                ax.set_title(shown.label[:1].upper() + shown.label[1:])
            ax.yaxis.set_major_formatter(_TICKS)
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(3, len(labels)))
        fig.suptitle(title or f"Mean over replicates with {level:.0%} confidence bands", fontsize=11)
        return save(fig, stem)


def heat_map(values: pd.DataFrame, x: str, y: str, output_axis: str, stem: Path, *, title: str = "",
             low: pd.DataFrame | None = None, high: pd.DataFrame | None = None) -> Path:
    """A heat map of ``values`` (rows: levels of ``y``, columns: levels of ``x``, both dotted config keys).

    Each cell is annotated with its value, and with its interval when ``low`` and ``high`` are given.
    """
    from experiments.analysis.tables import number, value

    with _style():
        fig = Figure(figsize=(1.3 * values.shape[1] + 2.8, 0.75 * values.shape[0] + 1.8), layout="constrained")
        ax = fig.subplots()
        data = values.to_numpy(dtype=float)
        finite = data[np.isfinite(data)]
        low_end, high_end = (finite.min(), finite.max()) if finite.size else (0.0, 1.0)
        if low_end == high_end:  # one value: a colour scale around it
            low_end, high_end = low_end - 0.5, high_end + 0.5
        image = ax.imshow(data, cmap=SEQUENTIAL, origin="lower", aspect="auto", vmin=low_end, vmax=high_end)
        ax.grid(False)
        ax.set_xticks(range(values.shape[1]), [value(v) for v in values.columns])
        ax.set_yticks(range(values.shape[0]), [value(v) for v in values.index])
        ax.set_xlabel(parameter_label(x, unit=True))
        ax.set_ylabel(parameter_label(y, unit=True))
        middle = (low_end + high_end) / 2
        for (r, c), cell in np.ndenumerate(data):
            text = number(cell)
            if low is not None and high is not None:
                text += f"\n({number(low.iloc[r, c])} to {number(high.iloc[r, c])})"
            ax.text(c, r, text, ha="center", va="center", fontsize=7,
                    color="black" if np.isfinite(cell) and cell > middle else "white")
        fig.colorbar(image, ax=ax, label=output_axis)
        ax.set_title(title)
        return save(fig, stem)


def sobol_chart(indices: pd.DataFrame, stem: Path, *, title: str = "") -> Path:
    """First-order and total Sobol indices with their intervals, a panel per output, a bar pair per parameter."""
    outputs = list(dict.fromkeys(indices["output"]))
    with _style():
        fig, axes = _grid(len(outputs), width=4.6, height=0.35 * indices["parameter"].nunique() + 1.4)
        for ax, output in zip(axes, outputs, strict=True):
            rows = indices[indices["output"] == output].reset_index(drop=True)
            y = np.arange(len(rows))
            for offset, (key, label, colour) in zip((-0.2, 0.2), (("S1", "first order", COLOURS[0]),
                                                                ("ST", "total", COLOURS[1])), strict=True):
                err = np.vstack([rows[key] - rows[f"{key}_low"], rows[f"{key}_high"] - rows[key]])
                ax.barh(y + offset, rows[key], height=0.38, color=colour, label=label,
                        xerr=np.clip(err, 0, None), error_kw={"elinewidth": 0.8, "capsize": 2})
            ax.set_yticks(y, [parameter_label(p) for p in rows["parameter"]])
            ax.invert_yaxis()
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_xlabel("Sobol index (share of output variance)")
            ax.set_title(measure(output).label[:1].upper() + measure(output).label[1:])
        axes[0].legend(loc="lower right")
        fig.suptitle(title or "Sobol indices with 95% bootstrap intervals", fontsize=11)
        return save(fig, stem)


def morris_chart(indices: pd.DataFrame, stem: Path, *, title: str = "") -> Path:
    """Morris screening: mu* (with its interval) against sigma, a panel per output, a marker per parameter."""
    outputs = list(dict.fromkeys(indices["output"]))
    with _style():
        fig, axes = _grid(len(outputs), width=4.6, height=3.4)
        for ax, output in zip(axes, outputs, strict=True):
            shown = measure(output)
            rows = indices[indices["output"] == output].reset_index(drop=True)
            for i, row in rows.iterrows():
                k = shown.scale
                ax.errorbar(row["mu_star"] * k, row["sigma"] * k,
                            xerr=[[max(row["mu_star"] - row["mu_star_low"], 0) * k],
                                  [max(row["mu_star_high"] - row["mu_star"], 0) * k]],
                            fmt=MARKERS[i % len(MARKERS)], color=COLOURS[i % len(COLOURS)], capsize=2,
                            label=parameter_label(row["parameter"]))
            top = float(max((rows["mu_star_high"] * shown.scale).max(), (rows["sigma"] * shown.scale).max(), 0))
            ax.plot([0, top], [0, top], color="grey", linewidth=0.6, linestyle=":")
            ax.set_xlabel(f"mu* ({shown.unit} across the range)")
            ax.set_ylabel(f"sigma ({shown.unit})")
            ax.xaxis.set_major_formatter(_TICKS)
            ax.yaxis.set_major_formatter(_TICKS)
            ax.set_title(shown.label[:1].upper() + shown.label[1:])
        handles, labels = axes[0].get_legend_handles_labels()
        fig.legend(handles, labels, loc="outside lower center", ncols=min(4, len(labels)))
        fig.suptitle(title or "Morris screening: mean absolute effect (mu*) against spread (sigma)", fontsize=11)
        return save(fig, stem)


def cost_effectiveness(points: pd.DataFrame, x_axis: str, y_axis: str, stem: Path, *, title: str = "") -> Path:
    """Spending against the extra outcome bought, one marker per policy with both intervals.

    ``points`` has columns ``name``, ``x``, ``x_low``, ``x_high``, ``y``, ``y_low``, ``y_high`` and, to keep
    each point's colour across charts, ``point``.
    """
    with _style():
        fig = Figure(figsize=(6.2, 4.4), layout="constrained")
        ax = fig.subplots()
        for i, row in points.reset_index(drop=True).iterrows():
            key = int(row["point"]) if "point" in row else i
            ax.errorbar(row["x"], row["y"], xerr=[[row["x"] - row["x_low"]], [row["x_high"] - row["x"]]],
                        yerr=[[row["y"] - row["y_low"]], [row["y_high"] - row["y"]]],
                        fmt=MARKERS[key % len(MARKERS)], color=colour_of(key), capsize=3,
                        markersize=6, label=row["name"])
        ax.axvline(0, color="black", linewidth=0.6)
        ax.set_xlabel(x_axis)
        ax.set_ylabel(y_axis)
        ax.xaxis.set_major_formatter(_TICKS)
        ax.yaxis.set_major_formatter(_TICKS)
        ax.legend(loc="best")
        ax.set_title(title or "Cost-effectiveness: spending against extra top talent (95% intervals)")
        return save(fig, stem)


def draw_intervals(rows: pd.DataFrame, panels: Sequence[tuple[str, str]], stem: Path, *, title: str = "") -> Path:
    """Each lever's spread over draws of the uncertain weights: median, 50% and 90% intervals, one panel a measure.

    ``rows`` has a ``name`` column and, per panel ``(column, axis label)``, the columns ``COLUMN`` (draw means);
    it is one row a lever and draw. Levers are shown in the order of ``rows``.
    """
    names = list(dict.fromkeys(rows["name"]))
    with _style():
        fig, axes = _grid(len(panels), width=4.6, height=0.45 * len(names) + 1.2)
        for ax, (column, label) in zip(axes, panels, strict=True):
            for i, name in enumerate(names):
                values = rows.loc[rows["name"] == name, column].dropna().to_numpy(dtype=float)
                if len(values) == 0:
                    continue
                q05, q25, q50, q75, q95 = np.quantile(values, [0.05, 0.25, 0.5, 0.75, 0.95])
                colour = COLOURS[i % len(COLOURS)]
                ax.plot([q05, q95], [i, i], color=colour, linewidth=1.2)
                ax.plot([q25, q75], [i, i], color=colour, linewidth=4.5, solid_capstyle="butt")
                ax.plot([q50], [i], marker="o", color="white", markeredgecolor=colour, markersize=5)
            ax.axvline(0, color="black", linewidth=0.6)
            ax.set_yticks(range(len(names)), [n.replace("_", " ") for n in names])
            ax.invert_yaxis()
            ax.set_xlabel(label)
            ax.xaxis.set_major_formatter(_TICKS)
        fig.suptitle(title or "Over draws of the uncertain weights: median, 50% and 90% of draws")
        return save(fig, stem)


def probability_bars(probabilities: pd.DataFrame, stem: Path, *, title: str = "") -> Path:
    """Grouped bars: for each lever (rows of ``probabilities``), the probability of each column's event."""
    with _style():
        fig = Figure(figsize=(6.2, 0.5 * len(probabilities) + 1.4), layout="constrained")
        ax = fig.subplots()
        k = len(probabilities.columns)
        height = 0.8 / max(k, 1)
        for j, column in enumerate(probabilities.columns):
            y = np.arange(len(probabilities)) + (j - (k - 1) / 2) * height
            ax.barh(y, probabilities[column].to_numpy(dtype=float), height=height, label=column,
                    color=COLOURS[j % len(COLOURS)])
        ax.set_yticks(range(len(probabilities)), [str(n).replace("_", " ") for n in probabilities.index])
        ax.invert_yaxis()
        ax.set_xlim(0, 1)
        ax.set_xlabel("probability over draws of the uncertain weights")
        ax.legend(loc="lower right")
        ax.set_title(title)
        return save(fig, stem)


def budget_lines(rows: pd.DataFrame, y_axis: str, stem: Path, *, title: str = "") -> Path:
    """Effect against yearly budget, one line a lever: median over draws with the 90% band.

    ``rows`` has columns ``name``, ``budget`` (billion KRW a year), ``median``, ``low``, ``high``.
    """
    with _style():
        fig = Figure(figsize=(6.2, 4.2), layout="constrained")
        ax = fig.subplots()
        for i, (name, group) in enumerate(rows.groupby("name", sort=False)):
            group = group.sort_values("budget")
            colour = COLOURS[i % len(COLOURS)]
            ax.plot(group["budget"], group["median"], marker=MARKERS[i % len(MARKERS)], color=colour,
                    label=str(name).replace("_", " "))
            ax.fill_between(group["budget"], group["low"], group["high"], color=colour, alpha=0.15)
        ax.axhline(0, color="black", linewidth=0.6)
        ax.set_xlabel("yearly budget (billion KRW a year)")
        ax.set_ylabel(y_axis)
        ax.yaxis.set_major_formatter(_TICKS)
        ax.legend(loc="best")
        ax.set_title(title or "Each lever at its best setting within the budget (median, 90% of draws)")
        return save(fig, stem)
