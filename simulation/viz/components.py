"""The demo's views as pure functions: yearly outputs in, a matplotlib Figure (or an SVG string) out.

Each chart draws the policy run in full colour and the no-policy baseline run
(same seed) faintly and dashed beside it, so a lever's effect shows as the run
goes. Figures are built with :class:`matplotlib.figure.Figure`, not pyplot, so
they are safe in the server's threads and need no closing. Counts are people,
money billion KRW a year (the model's million KRW / 1,000).
"""

from __future__ import annotations

from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from simulation.careers import SECTORS, STAGES

#: Colour of each career stage, in STAGES order (the agent view uses the same).
STAGE_COLOURS: tuple[str, ...] = ("#9ecae1", "#4292c6", "#41ab5d", "#fd8d3c", "#d62728")
#: Colour of each country, in config order (Korea first in the shipped scenarios).
COUNTRY_COLOURS: tuple[str, ...] = ("#1f77b4", "#d62728", "#2ca02c", "#9467bd", "#8c564b")
#: Display names of the levers, by config section.
LEVER_LABELS: dict[str, str] = {
    "salary_match": "salary matching",
    "hours_exemption": "52-hour exemption",
    "star_recruitment": "star recruitment",
    "return_grant": "return grant",
}
BASELINE_STYLE = {"alpha": 0.45, "linestyle": "--", "linewidth": 1.4}
FIGSIZE = (5.6, 3.3)
DPI = 90


def _figure(title: str, ncols: int = 1) -> tuple[Figure, list]:
    # Fixed margins, not a layout engine: the engines double the time a chart takes to draw on each step.
    fig = Figure(figsize=FIGSIZE, dpi=DPI)
    fig.subplots_adjust(left=0.13, right=0.97, bottom=0.1, top=0.84 if ncols > 1 else 0.88, wspace=0.08)
    axes = fig.subplots(1, ncols, sharey=True, squeeze=False)[0].tolist()
    fig.suptitle(title, fontsize=11)
    return fig, axes


def _years_axis(ax, horizon: tuple[int, int]) -> None:
    ax.set_xlim(*horizon)
    ax.grid(alpha=0.3)
    ax.tick_params(labelsize=8)


def stage_counts(yearly: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """People in each stage summed over ``codes`` and both sectors: one column per stage, one row a year."""
    return pd.DataFrame({stage: sum(yearly[f"researchers_{c}_{s}_{stage}"] for c in codes for s in SECTORS)
                         for stage in STAGES})


def researchers_by_stage(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str], origin: int,
                         horizon: tuple[int, int]) -> Figure:
    """Researchers at home and abroad by stage (stacked, people), with the baseline's totals dashed."""
    home = [codes[origin]]
    abroad = [c for i, c in enumerate(codes) if i != origin]
    fig, axes = _figure("Researchers by stage (people)", ncols=2)
    for ax, where, title in ((axes[0], home, f"In {codes[origin]}"), (axes[1], abroad, "Abroad")):
        counts = stage_counts(policy, where)
        ax.stackplot(policy["year"], counts.T.to_numpy(), colors=STAGE_COLOURS, labels=STAGES, alpha=0.9)
        ax.plot(baseline["year"], stage_counts(baseline, where).sum(axis=1), color="black",
                label="baseline total", **BASELINE_STYLE)
        ax.set_title(title, fontsize=10)
        _years_axis(ax, horizon)
    axes[1].legend(fontsize=7, loc="upper left", ncols=2)
    return fig


def _lines_by_country(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str], column: str,
                      title: str, horizon: tuple[int, int], ylabel: str) -> Figure:
    fig, (ax,) = _figure(title)
    for i, code in enumerate(codes):
        colour = COUNTRY_COLOURS[i % len(COUNTRY_COLOURS)]
        ax.plot(baseline["year"], baseline[column.format(c=code)], color=colour, **BASELINE_STYLE)
        ax.plot(policy["year"], policy[column.format(c=code)], color=colour, linewidth=2, marker="o", markersize=2,
                label=code)
    ax.plot([], [], color="grey", label="baseline", **BASELINE_STYLE)
    ax.set_ylabel(ylabel, fontsize=8)
    ax.legend(fontsize=7, loc="best")
    _years_axis(ax, horizon)
    return fig


def top_talent(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str],
               horizon: tuple[int, int]) -> Figure:
    """Top-decile researchers of Korean origin in each country (people)."""
    return _lines_by_country(policy, baseline, codes, "top_talent_{c}", "Top talent by country", horizon, "people")


def mentor_quality(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str],
                   horizon: tuple[int, int]) -> Figure:
    """Mentor quality in each country (model units; 1 = a typical strong department)."""
    return _lines_by_country(policy, baseline, codes, "mentor_quality_{c}", "Mentor quality by country", horizon,
                             "mentor quality")


def emigration_and_returns(policy: pd.DataFrame, baseline: pd.DataFrame, horizon: tuple[int, int]) -> Figure:
    """Yearly emigration and returns (people a year); row 0, the initial state, has no flows and is left out."""
    fig, (ax,) = _figure("Emigration and returns (people a year)")
    for column, colour, label in (("emigration", "#d62728", "emigration"), ("returns", "#2ca02c", "returns")):
        ax.plot(baseline["year"].iloc[1:], baseline[column].iloc[1:], color=colour, **BASELINE_STYLE)
        ax.plot(policy["year"].iloc[1:], policy[column].iloc[1:], color=colour, linewidth=2, marker="o",
                markersize=2, label=label)
    ax.plot([], [], color="grey", label="baseline", **BASELINE_STYLE)
    ax.legend(fontsize=7, loc="best")
    _years_axis(ax, horizon)
    return fig


def spending(policy: pd.DataFrame, levers: Sequence[str], horizon: tuple[int, int]) -> Figure:
    """Yearly spending of each lever switched on, stacked (billion KRW a year); the baseline spends nothing."""
    fig, (ax,) = _figure("Spending by policy (billion KRW a year)")
    if levers:
        values = np.array([policy[f"spending_{name}"].to_numpy() / 1000.0 for name in levers])
        ax.stackplot(policy["year"], values, labels=[LEVER_LABELS.get(n, n) for n in levers],
                     colors=COUNTRY_COLOURS[2:] + COUNTRY_COLOURS[:2], alpha=0.85)
        ax.legend(fontsize=7, loc="upper left")
    else:
        ax.text(0.5, 0.5, "no policy switched on", transform=ax.transAxes, ha="center", va="center", color="grey")
    ax.axhline(0.0, color="black", **BASELINE_STYLE)
    _years_axis(ax, horizon)
    return fig


def _fraction(ids: np.ndarray, multiplier: float) -> np.ndarray:
    """A fixed pseudo-random fraction in [0, 1) for each id (so a dot keeps its place from year to year)."""
    return np.modf(ids.astype(np.float64) * multiplier)[0]


def agent_svg(ids: np.ndarray, country: np.ndarray, sector: np.ndarray, stage: np.ndarray, ln_talent: np.ndarray,
              codes: Sequence[str], *, origin: int = 0, max_dots: int = 2000, width: int = 620,
              height: int = 330) -> str:
    """Researchers as SVG dots, one panel a country: column by stage, colour by stage, size by talent.

    Each dot has a ``<title>`` (the browser's tooltip) with its id, stage,
    sector, country and talent (1 = the median at entry). A dot's place inside
    its column comes from its id, not from the model's random numbers, so it
    stays put while the researcher stays. At most ``max_dots`` are drawn: the
    same fixed subset of ids, so the picture is a fair sample.
    """
    keep = np.ones(len(ids), dtype=bool)
    if len(ids) > max_dots:
        keep = _fraction(ids, 0.7548776662466927) < max_dots / len(ids)
    ids, country, sector, stage, ln_talent = ids[keep], country[keep], sector[keep], stage[keep], ln_talent[keep]
    n_countries = len(codes)
    panel_w = width / n_countries
    top, bottom = 34, 22
    column_w = (panel_w - 16) / len(STAGES)
    x = (np.asarray(country) * panel_w + 8 + np.asarray(stage) * column_w
         + (0.12 + 0.76 * _fraction(ids, 0.6180339887498949)) * column_w)
    y = top + (0.04 + 0.92 * _fraction(ids, 0.5698402909980532)) * (height - top - bottom)
    talent = np.exp(ln_talent)
    radius = np.clip(1.2 + 1.3 * talent, 1.2, 7.0)
    stage_styles = "".join(f".s{s}{{fill:{colour}}}" for s, colour in enumerate(STAGE_COLOURS))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" width="100%" viewBox="0 0 {width} {height}" '
             'class="talentflow-agents" style="font-family:sans-serif; max-width:100%">',
             f"<style>circle{{fill-opacity:.8;stroke:#333;stroke-width:.3}}{stage_styles}</style>"]
    for c, code in enumerate(codes):
        x0 = c * panel_w
        here = int((np.asarray(country) == c).sum())
        fill = "#f3f6fb" if c == origin else "#fbf5f3"
        parts.append(f'<rect x="{x0 + 2:.1f}" y="20" width="{panel_w - 4:.1f}" height="{height - 24}" rx="6" '
                     f'fill="{fill}" stroke="#ccc"/>')
        parts.append(f'<text x="{x0 + panel_w / 2:.1f}" y="14" text-anchor="middle" font-size="12">'
                     f'{escape(code)}: {here} shown</text>')
        for s, name in enumerate(STAGES):
            parts.append(f'<text x="{x0 + 8 + (s + 0.5) * column_w:.1f}" y="{height - 8}" text-anchor="middle" '
                         f'font-size="9" fill="#555">{name}</text>')
    order = np.argsort(-radius)  # small dots on top of big ones, so every dot can be hovered
    for k in order:
        tip = f"#{int(ids[k])} {STAGES[stage[k]]}, {SECTORS[sector[k]]}, in {codes[country[k]]}, talent {talent[k]:.2f}"
        parts.append(f'<circle class="s{stage[k]}" cx="{x[k]:.0f}" cy="{y[k]:.0f}" r="{radius[k]:.1f}">'
                     f'<title>{escape(tip)}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
