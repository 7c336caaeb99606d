"""The chart of a run's main series (or of several runs side by side), as a PNG.

The runs are of one seed each, and the chart says so; every y axis starts at
zero, so that one seed's noise does not look like a trend.

Drawn on a bare :class:`matplotlib.figure.Figure` with the Agg canvas, so it
needs no display and does not touch pyplot's global state.
"""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.figure import Figure

from simulation.schema import Config
from simulation.summary import BILLION

#: Okabe-Ito colours, safe for colour-blind readers.
COLOURS: tuple[str, ...] = ("#0072B2", "#D55E00", "#009E73", "#CC79A7", "#E69F00", "#56B4E9", "#F0E442", "#000000")
#: Line styles of the runs drawn together (the first run solid).
STYLES: tuple[str, ...] = ("-", "--", ":", "-.")
#: Labels hold names from the configs ("$5 grant", "$\\alpha$"): drawn as plain text, never as TeX mathematics.
PLAIN_TEXT: dict[str, bool] = {"text.parse_math": False}


def _series(yearly: pd.DataFrame, config: Config) -> list[tuple[str, str, list[tuple[str, pd.Series]]]]:
    """The panels as (title, y label, [(legend label, series)]) for one run."""
    origin = config.simulation.origin
    home = config.countries[origin].name
    names = {code: country.name for code, country in config.countries.items()}
    flows = yearly.iloc[1:]  # row 0 is the initial state: no flows yet

    def by_year(frame: pd.DataFrame, column: str, scale: float = 1.0) -> pd.Series:
        return pd.Series(frame[column].to_numpy() * scale, index=frame["year"].to_numpy())

    spending = [("all programmes", by_year(flows, "spending_total", 1 / BILLION))]
    spending += [(name.removeprefix("spending_").replace("_", " "), by_year(flows, name, 1 / BILLION))
                 for name in yearly.columns if name.startswith("spending_") and name != "spending_total"]
    return [
        (f"Researchers in {home} and abroad", "researchers (people)",
         [(f"in {home}", by_year(yearly, "researchers_home")), ("abroad", by_year(yearly, "researchers_abroad"))]),
        (f"Post-PhD researchers from {home} who are abroad", "share abroad (% of post-PhD researchers)",
         [("share abroad", by_year(yearly, "share_abroad", 100.0))]),
        ("Top talent by country", "share of top-decile researchers (%)",
         [(names[c], by_year(yearly, f"top_talent_share_{c}", 100.0)) for c in config.country_codes]),
        ("Mentor quality by country", "mentor quality (model index)",
         [(names[c], by_year(yearly, f"mentor_quality_{c}")) for c in config.country_codes]),
        (f"Emigration from and returns to {home}", "researchers a year (people)",
         [("emigration", by_year(flows, "emigration")), ("returns", by_year(flows, "returns"))]),
        ("Policy spending", "spending (billion KRW a year)", spending),
    ]


def _draw_panel(ax: Axes, title: str, ylabel: str, lines: list[tuple[str, pd.Series, str, str]]) -> None:
    """One panel; its y axis starts at zero (or below, for a negative value), so that a change is seen against
    the whole level rather than magnified in a band around it."""
    lowest = 0.0
    for label, series, colour, style in lines:
        values = series.to_numpy(dtype=float)
        ax.plot(series.index, values, color=colour, linestyle=style, linewidth=1.6, label=label)
        if np.isfinite(values).any():
            lowest = min(lowest, float(np.nanmin(values[np.isfinite(values)])))
    ax.set_ylim(bottom=lowest)
    ax.set_title(title, fontsize=10)
    ax.set_xlabel("year")
    ax.set_ylabel(ylabel, fontsize=9)
    ax.grid(alpha=0.3)
    ax.legend(fontsize=7, frameon=False)


def caption(seed: int, runs: int) -> str:
    """The note under a chart's title: it shows one seed, which is not a result."""
    each = "One run per scenario, " if runs > 1 else "One run, "
    return (f"{each}one seed (seed {seed}): wiggles and small gaps may be noise; talentflow sweep runs replicates "
            "with confidence intervals")


def draw_runs(runs: Mapping[str, tuple[pd.DataFrame, Config]], path: str | Path, *, title: str = "",
              seed: int | None = None) -> Path:
    """Draw the main yearly series of each run (label -> (yearly, config)) into the PNG ``path``.

    See :func:`runs_figure`.
    """
    with mpl.rc_context(PLAIN_TEXT):
        fig = runs_figure(runs, title=title, seed=seed)
        path = Path(path)
        fig.savefig(path, dpi=100)
    return path


def runs_figure(runs: Mapping[str, tuple[pd.DataFrame, Config]], *, title: str = "",
                seed: int | None = None) -> Figure:
    """The figure of the main yearly series of each run (label -> (yearly, config)).

    Panels: researchers in the origin country and abroad (people), share abroad
    (percent), top-talent share by country (percent), mentor quality by country,
    emigration and returns (people a year) and spending (billion KRW a year),
    each from zero. Each run has its own line style; each series its own colour.
    With ``seed``, the title says that the runs are of that one seed.
    """
    with mpl.rc_context(PLAIN_TEXT):
        return _figure(runs, title, seed)


def _figure(runs: Mapping[str, tuple[pd.DataFrame, Config]], title: str, seed: int | None) -> Figure:
    fig = Figure(figsize=(13, 10), layout="constrained")
    axes = fig.subplots(3, 2).ravel()
    panels: list[list[tuple[str, pd.Series, str, str]]] = [[] for _ in axes]
    colours: list[dict[str, str]] = [{} for _ in axes]  # a series keeps its colour across runs
    titles: list[tuple[str, str]] = []
    several = len(runs) > 1
    for r, (run_label, (yearly, config)) in enumerate(runs.items()):
        style = STYLES[r % len(STYLES)]
        for p, (panel_title, ylabel, series) in enumerate(_series(yearly, config)):
            if r == 0:
                titles.append((panel_title, ylabel))
            for label, values in series:
                colour = colours[p].setdefault(label, COLOURS[len(colours[p]) % len(COLOURS)])
                legend = f"{label} ({run_label})" if several else label
                panels[p].append((legend, values, colour, style))
    for ax, (panel_title, ylabel), lines in zip(axes, titles, panels, strict=True):
        _draw_panel(ax, panel_title, ylabel, lines)
    heading = [text for text in (title, caption(seed, len(runs)) if seed is not None else "") if text]
    if heading:
        fig.suptitle("\n".join(heading))
    return fig
