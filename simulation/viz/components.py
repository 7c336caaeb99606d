"""The demo's views as pure functions: yearly outputs (or the researchers) in, an SVG string out.

Each chart draws the policy run in full colour and the no-policy baseline run
(same seed) faintly and dashed beside it, so a lever's effect shows as the run
goes. Charts are SVG written directly (:mod:`simulation.viz.svgchart`), a
millisecond each, so that a step is redrawn well within the 200 ms a live demo
allows. Counts are people, money billion KRW a year (the model's million KRW / 1,000).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from html import escape

import numpy as np
import pandas as pd

from simulation.careers import SECTORS, STAGES
from simulation.viz.svgchart import Panel, Series, chart

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


def stage_counts(yearly: pd.DataFrame, codes: Sequence[str]) -> pd.DataFrame:
    """People in each stage summed over ``codes`` and both sectors: one column per stage, one row a year."""
    return pd.DataFrame({stage: yearly[[f"researchers_{c}_{s}_{stage}" for c in codes for s in SECTORS]]
                         .to_numpy(dtype=float).sum(axis=1) for stage in STAGES}, index=yearly.index)


def _stacked(years: np.ndarray, layers: np.ndarray, labels: Sequence[str], colours: Sequence[str]
             ) -> list[Series]:
    """Layers (k, years) stacked from the bottom up, as area series."""
    tops = np.cumsum(layers, axis=0)
    bases = np.vstack([np.zeros(layers.shape[1]), tops[:-1]])
    return [Series(label, years, top, colour, style="area", base=base)
            for label, top, base, colour in zip(labels, tops, bases, colours, strict=True)]


def researchers_by_stage(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str], origin: int,
                         horizon: tuple[int, int]) -> str:
    """Researchers at home and abroad by stage (stacked, people), with the baseline's totals dashed."""
    home = [codes[origin]]
    abroad = [c for i, c in enumerate(codes) if i != origin]
    years, base_years = policy["year"].to_numpy(), baseline["year"].to_numpy()
    panels = []
    for where, title, legend in ((home, f"In {codes[origin]}", False), (abroad, "Abroad", True)):
        layers = _stacked(years, stage_counts(policy, where).T.to_numpy(dtype=float), STAGES, STAGE_COLOURS)
        total = Series("baseline total", base_years, stage_counts(baseline, where).sum(axis=1).to_numpy(dtype=float),
                       "black", style="baseline")
        panels.append(Panel(title, tuple(dataclasses.replace(s, legend=legend) for s in [*layers, total])))
    return chart("Researchers by stage (people)", panels, horizon)


def _lines_by_country(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str], column: str,
                      title: str, horizon: tuple[int, int], ylabel: str) -> str:
    series = []
    for i, code in enumerate(codes):
        colour = COUNTRY_COLOURS[i % len(COUNTRY_COLOURS)]
        name = column.format(c=code)
        series.append(Series(f"{code} baseline", baseline["year"].to_numpy(), baseline[name].to_numpy(dtype=float),
                             colour, style="baseline", legend=False))
        series.append(Series(code, policy["year"].to_numpy(), policy[name].to_numpy(dtype=float), colour))
    series.append(Series("baseline", np.zeros(0), np.zeros(0), "grey", style="baseline"))
    return chart(title, [Panel("", tuple(series))], horizon, y_label=ylabel)


def top_talent(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str], horizon: tuple[int, int]) -> str:
    """Top-decile researchers of Korean origin in each country (people)."""
    return _lines_by_country(policy, baseline, codes, "top_talent_{c}", "Top talent by country", horizon, "people")


def mentor_quality(policy: pd.DataFrame, baseline: pd.DataFrame, codes: Sequence[str],
                   horizon: tuple[int, int]) -> str:
    """Mentor quality in each country (model units; 1 = a typical strong department)."""
    return _lines_by_country(policy, baseline, codes, "mentor_quality_{c}", "Mentor quality by country", horizon,
                             "mentor quality")


def emigration_and_returns(policy: pd.DataFrame, baseline: pd.DataFrame, horizon: tuple[int, int]) -> str:
    """Yearly emigration and returns (people a year); row 0, the initial state, has no flows and is left out."""
    series = []
    for column, colour in (("emigration", "#d62728"), ("returns", "#2ca02c")):
        series.append(Series(f"{column} baseline", baseline["year"].to_numpy()[1:],
                             baseline[column].to_numpy(dtype=float)[1:], colour, style="baseline", legend=False))
        series.append(Series(column, policy["year"].to_numpy()[1:], policy[column].to_numpy(dtype=float)[1:], colour))
    series.append(Series("baseline", np.zeros(0), np.zeros(0), "grey", style="baseline"))
    return chart("Emigration and returns (people a year)", [Panel("", tuple(series))], horizon)


def spending(policy: pd.DataFrame, levers: Sequence[str], horizon: tuple[int, int]) -> str:
    """Yearly spending of each lever switched on, stacked (billion KRW a year); the baseline spends nothing."""
    title = "Spending by policy (billion KRW a year)"
    if not levers:
        return chart(title, [Panel("", (), note="no policy switched on")], horizon)
    values = np.array([policy[f"spending_{name}"].to_numpy(dtype=float) / 1000.0 for name in levers])
    colours = (COUNTRY_COLOURS[2:] + COUNTRY_COLOURS[:2])[:len(levers)]
    layers = _stacked(policy["year"].to_numpy(), values, [LEVER_LABELS.get(n, n) for n in levers], colours)
    return chart(title, [Panel("", tuple(layers))], horizon)


def _fraction(ids: np.ndarray, multiplier: float) -> np.ndarray:
    """A fixed pseudo-random fraction in [0, 1) for each id (so a dot keeps its place from year to year)."""
    return np.modf(ids.astype(np.float64) * multiplier)[0]


def agent_svg(ids: np.ndarray, country: np.ndarray, sector: np.ndarray, stage: np.ndarray, ln_talent: np.ndarray,
              codes: Sequence[str], *, origin: int = 0, max_dots: int = 1000, width: int = 620,
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
    order = np.argsort(-radius, kind="stable")  # small dots on top of big ones, so every dot can be hovered
    names = [escape(code) for code in codes]
    for i, st, se, c, t, cx, cy, r in zip(*(np.asarray(a)[order].tolist() for a in (  # Python numbers: 4x faster
            ids, stage, sector, country, talent, x, y, radius)), strict=True):
        parts.append(f'<circle class="s{st}" cx="{cx:.0f}" cy="{cy:.0f}" r="{r:.1f}"><title>#{i} {STAGES[st]}, '
                     f'{SECTORS[se]}, in {names[c]}, talent {t:.2f}</title></circle>')
    parts.append("</svg>")
    return "".join(parts)
