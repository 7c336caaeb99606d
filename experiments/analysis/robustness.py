"""Policy effects over what the data leave open: draws of the uncertain weights crossed with the levers.

The input is an uncertainties sweep (:mod:`experiments.uncertainties`): every lever setting at every draw of
the weights, with R replicates a draw on common random numbers within the draw. A lever's **effect** at a draw
and replicate is its run minus the baseline's run at the same draw and replicate (the same random numbers).

Over D draws and R replicates an effect ``x[d, r]`` has two sources of spread: the weights (the draw) and the
simulation's noise (the replicate). With the one-way random-effects model ``x[d, r] = mu + a[d] + e[d, r]``:

- the noise variance is the mean within-draw variance, ``s2_noise = mean_d var_r(x[d, r])`` (ddof 1);
- the parameter variance is what the draw means vary beyond their noise,
  ``s2_param = max(var_d(mean_r x[d, r]) - s2_noise / R, 0)``;

and ``s2_param / (s2_param + s2_noise)`` is the share of one run's spread that is due to the weights. The
reported median and 90% interval are those of the draw means (they carry the noise of R replicates, s2_noise / R).

Cost-effectiveness is the extra top-decile researchers per 100 billion KRW a year of spending, a ratio of the
draw's means; a lever that spends nothing has none (it is compared on its effect and on what it costs
researchers instead). The probability that a lever is the best is the share of draws at which it is.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.analysis import tables
from experiments.analysis.measures import infer_origin

#: The reference lever of an uncertainties sweep.
BASELINE = "baseline"
#: The credible interval reported: 5 to 95 percent of the draws.
LOWER, UPPER = 0.05, 0.95
#: Spending is shown per this many million KRW a year (100 billion KRW) in cost-effectiveness.
PER = 100_000.0
#: The columns that identify a run of an uncertainties sweep.
KEYS: tuple[str, ...] = ("arm", "setting", "uncertainty", "replicate")


@dataclass(frozen=True)
class Effect:
    """An effect measure: its column, label and unit."""

    name: str
    label: str
    unit: str


def effects_of(origin: str, horizon: int, years: int) -> list[Effect]:
    """The effect measures (lever minus baseline at the same draw and replicate)."""
    return [
        Effect("top_talent", f"extra top-decile researchers in {origin}, year {horizon}", "people"),
        Effect("researchers", f"extra researchers in {origin}, year {horizon}", "people"),
        Effect("researcher_years", f"extra researcher-years in {origin}, years 1-{years}", "researcher-years"),
        Effect("hours_worked", f"change in weekly hours worked in {origin}, mean of years 1-{years}",
               "hours a week"),
        Effect("research_output", f"change in research output in {origin}, years 1-{years}", "% of baseline"),
    ]


def run_table(data: pd.DataFrame, horizon: int, origin: str | None = None) -> pd.DataFrame:
    """One row a run of an uncertainties sweep: its keys and the levels the effects are computed from.

    Columns: ``arm``, ``setting``, ``uncertainty``, ``replicate``; ``top_talent`` and ``researchers`` in the
    origin ``horizon`` years after the start (people); ``researcher_years`` there over years 1..Y; mean
    ``hours_worked`` there (hours a week) and total ``research_output`` over years 1..Y; ``spending`` (million
    KRW a year, mean over years 1..Y); for the lever run, ``recipients`` (people a year), ``value_share``
    (value to recipients, share of their pay, mean over years with recipients) and ``deadweight`` (million KRW
    a year; NaN when the sweep did not run the baseline twin).
    """
    origin = origin or infer_origin(data)
    data = data.sort_values(["run", "year"], kind="stable")
    offset = (data["year"] - data.groupby("run")["year"].transform("min")).to_numpy()
    if int(offset.max()) < horizon:
        raise ValueError(f"the runs last {int(offset.max())} years, fewer than the horizon ({horizon} years)")
    later = data[offset > 0]
    runs = later.groupby("run", sort=True)
    out = runs[list(KEYS)].first()
    out["top_talent"] = data[offset == horizon].set_index("run")[f"top_talent_{origin}"]
    out["researchers"] = data[offset == horizon].set_index("run")[f"researchers_{origin}"]
    out["researcher_years"] = runs[f"researchers_{origin}"].sum()
    out["hours_worked"] = runs[f"hours_worked_{origin}"].mean()
    out["research_output"] = runs[f"research_output_{origin}"].sum()
    out["spending"] = runs["spending_total"].mean()
    levers = sorted({c.removeprefix("recipients_") for c in data.columns
                     if c.startswith("recipients_") and c != "recipients_total"})
    recipients = later[[f"recipients_{name}" for name in levers]].fillna(0.0)
    out["recipients"] = recipients.sum(axis=1).groupby(later["run"]).mean() if levers else 0.0
    value = _lever_sum(later, "wage_equivalent_", levers, weights=recipients)
    out["value_share"] = value.groupby(later["run"]).mean() if levers else np.nan
    dead = _lever_sum(later, "deadweight_", levers)
    out["deadweight"] = dead.groupby(later["run"]).mean() if levers else np.nan
    return out.reset_index()


def _lever_sum(data: pd.DataFrame, prefix: str, levers: Sequence[str],
               weights: pd.DataFrame | None = None) -> pd.Series:
    """Per row, the levers' ``prefix`` columns summed (weighted by recipients: a mean over recipients)."""
    if not levers:
        return pd.Series(np.nan, index=data.index)
    values = data[[f"{prefix}{name}" for name in levers]].to_numpy(dtype=float)
    if weights is None:
        return pd.Series(np.where(np.isnan(values).all(axis=1), np.nan, np.nansum(values, axis=1)), index=data.index)
    w = weights.to_numpy(dtype=float)
    total = w.sum(axis=1)
    mean = np.nansum(np.where(w > 0, values, 0.0) * w, axis=1) / np.where(total > 0, total, np.nan)
    return pd.Series(mean, index=data.index)


def lever_effects(runs: pd.DataFrame, effects: Sequence[Effect]) -> pd.DataFrame:
    """One row a lever setting, draw and replicate: each effect (lever minus baseline at the same draw and
    replicate), research output in percent of the baseline's, and the lever run's own spending (million KRW
    a year), recipients, value share and deadweight."""
    base = runs[runs["arm"] == BASELINE].set_index(["uncertainty", "replicate"])
    if base.empty:
        raise ValueError(f"the sweep has no [levers.{BASELINE}] runs to measure effects against")
    levers = runs[runs["arm"] != BASELINE].set_index(["uncertainty", "replicate"])
    matched = base.reindex(levers.index)
    out = levers[["arm", "setting"]].copy()
    for effect in effects:
        diff = levers[effect.name] - matched[effect.name]
        if effect.name == "research_output":
            diff = 100.0 * diff / matched[effect.name]
        out[effect.name] = diff
    for column in ("spending", "recipients", "value_share", "deadweight"):
        out[column] = levers[column]
    return out.reset_index().dropna(subset=[effects[0].name])


def draw_means(effects: pd.DataFrame) -> pd.DataFrame:
    """The effects averaged over replicates: one row a lever setting and draw, with ``replicates`` (count)."""
    numeric = [c for c in effects.columns if c not in (*KEYS,)]
    grouped = effects.groupby(["setting", "uncertainty"], sort=False)
    means = grouped[numeric].mean()
    means["replicates"] = grouped.size()
    means["arm"] = grouped["arm"].first()
    return means.reset_index()


def variance_split(values: np.ndarray) -> tuple[float, float]:
    """Parameter and noise variance of ``values[d, r]`` (draws x replicates), one-way random effects.

    Returns ``(s2_param, s2_noise)``: noise is the mean within-draw variance (NaN with one replicate), the
    parameter variance that of the draw means less the noise they carry, at least zero.
    """
    values = np.asarray(values, dtype=float)
    if values.ndim != 2 or values.shape[0] < 2:
        raise ValueError("variance_split needs a draws x replicates array with at least two draws")
    replicates = values.shape[1]
    means = values.mean(axis=1)
    between = float(np.var(means, ddof=1))
    if replicates < 2:
        return between, float("nan")
    noise = float(np.mean(np.var(values, axis=1, ddof=1)))
    return max(between - noise / replicates, 0.0), noise


def summarize(effects: pd.DataFrame, columns: Sequence[str]) -> pd.DataFrame:
    """Per lever setting and effect: median and 5-95% interval over draw means, and the variance split.

    Columns: ``setting``, ``arm``, ``effect``, ``median``, ``low``, ``high``, ``mean``, ``draws``,
    ``param_share`` (share of one run's variance due to the weights; NaN with one replicate), ``noise_sd``.
    """
    rows = []
    for (setting, arm), group in effects.groupby(["setting", "arm"], sort=False):
        wide_draws = group.pivot_table(index="uncertainty", columns="replicate", aggfunc="first")
        for column in columns:
            table = wide_draws[column].dropna()
            means = table.mean(axis=1).to_numpy()
            if len(means) == 0:
                continue
            param, noise = variance_split(table.to_numpy()) if len(means) > 1 else (np.nan, np.nan)
            total = param + noise
            rows.append({"setting": setting, "arm": arm, "effect": column, "median": float(np.median(means)),
                         "low": float(np.quantile(means, LOWER)), "high": float(np.quantile(means, UPPER)),
                         "mean": float(means.mean()), "draws": len(means),
                         "param_share": param / total if total > 0 else np.nan,
                         "noise_sd": float(np.sqrt(noise)) if np.isfinite(noise) else np.nan})
    return pd.DataFrame(rows)


def cost_effectiveness(means: pd.DataFrame, effect: str = "top_talent") -> pd.Series:
    """``effect`` per 100 billion KRW a year of spending, per row of :func:`draw_means` (NaN: no spending)."""
    spending = means["spending"].to_numpy(dtype=float)
    ratio = np.where(spending > 0, means[effect].to_numpy(dtype=float) * PER / np.where(spending > 0, spending, 1),
                     np.nan)
    return pd.Series(ratio, index=means.index)


def wide(means: pd.DataFrame, column: str | pd.Series) -> pd.DataFrame:
    """A draws x lever settings table of ``column`` (a column of ``means`` or a series aligned with it)."""
    values = means[column] if isinstance(column, str) else column
    frame = means[["uncertainty", "setting"]].assign(value=values.to_numpy())
    return frame.pivot(index="uncertainty", columns="setting", values="value")


def probability_best(table: pd.DataFrame) -> pd.Series:
    """Share of draws (rows) at which each setting (column) has the highest value; ties share the draw.

    Draws where a setting has no value (NaN) leave that setting out at that draw; draws with no value at all
    are dropped.
    """
    values = table.to_numpy(dtype=float)
    usable = ~np.isnan(values).all(axis=1)
    values = values[usable]
    if len(values) == 0:
        return pd.Series(np.nan, index=table.columns)
    top = np.nanmax(values, axis=1, keepdims=True)
    best = (values == top) & ~np.isnan(values)
    share = (best / best.sum(axis=1, keepdims=True)).mean(axis=0)
    return pd.Series(share, index=table.columns)


def probability_beats(table: pd.DataFrame) -> pd.DataFrame:
    """``P[row beats column]``: the share of draws at which the row's value exceeds the column's (ties count
    half; draws where either is missing are left out)."""
    names = list(table.columns)
    out = pd.DataFrame(np.nan, index=names, columns=names)
    for a in names:
        for b in names:
            if a == b:
                continue
            x, y = table[a].to_numpy(dtype=float), table[b].to_numpy(dtype=float)
            both = ~np.isnan(x) & ~np.isnan(y)
            if both.any():
                out.loc[a, b] = float(np.mean((x[both] > y[both]) + 0.5 * (x[both] == y[both])))
    return out


def inputs_of(manifest_table: pd.DataFrame, parameters: Sequence[str]) -> pd.DataFrame:
    """The uncertain weights of each draw (one row a draw, indexed by ``uncertainty``), from the design table."""
    keys = [p for p in parameters if p not in ("arm", "setting", "uncertainty", "posterior.particle")
            and p in manifest_table.columns and manifest_table[p].notna().all()]
    draws = manifest_table.groupby("uncertainty")[keys]
    same = draws.nunique().max() <= 1  # the weights are the draw's; a lever's grid value varies within a draw
    return draws.first()[[k for k in keys if same[k]]]


def spread_text(values: pd.Series) -> str:
    """``median (5th to 95th percentile)`` of values over draws; ``n/a`` when there are none."""
    values = values.dropna()
    if values.empty:
        return "n/a"
    return tables.interval(float(values.median()), float(values.quantile(LOWER)), float(values.quantile(UPPER)))
