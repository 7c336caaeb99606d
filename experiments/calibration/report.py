"""What a calibration writes: the posterior, its summary and diagnostics, the calibrated config, figures and a
Markdown report.

Figures are drawn on bare :class:`matplotlib.figure.Figure` objects (Agg canvas,
no pyplot state), as in :mod:`simulation.chart`; the pairs plot is arviz's.
"""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibration.posterior import Generation, Posterior, summary_table
from experiments.calibration.targets import Calibration
from simulation.chart import COLOURS

#: First line of every calibrated config: how the command recognises a file it may replace.
HEADER = "# Written by talentflow calibrate"
#: Parameters shown in the pairs plot: those the data narrowed most.
PAIRS = 6


def number(value: float, digits: int = 3) -> str:
    """A value with ``digits`` significant digits, as TOML and people read it."""
    if not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def calibrated_toml(point: dict[str, float], summary: pd.DataFrame, *, extends: str, command: str,
                    calibration: Calibration, final_epsilon: float) -> str:
    """The calibrated scenario: ``extends`` plus each fitted key at its posterior median, with its interval."""
    lines = [f"{HEADER}: the base scenario with its behavioural weights at their posterior medians.",
             "# Do not edit by hand: run the command again (docs/calibration.md).",
             f"# Command: {command}",
             f"# ABC-SMC (pyabc): {calibration.population_size} particles a generation, final epsilon "
             f"{number(final_epsilon)}; {len(calibration.fitted)} fitted targets; uniform priors with their sources "
             f"in {Path(calibration.path).name}. The posterior (particles and weights) is in calibrated.posterior.csv "
             "beside this file; results draw from it, not from these medians alone.",
             f'extends = "{extends}"', 'name = "calibrated"',
             'description = "Baseline with the behavioural weights at their posterior medians (talentflow calibrate)"',
             ""]
    for row in summary.itertuples():
        lines.append(f"{row.parameter} = {number(row.median, 4)}  # 90% credible interval {number(row.low_5)} to "
                     f"{number(row.high_95)}; prior {number(row.prior_low)} to {number(row.prior_high)}")
    return "\n".join(lines) + "\n"


def diagnostics_table(generations: list[Generation]) -> pd.DataFrame:
    """One row a generation: epsilon, simulations, acceptance rate, effective sample size."""
    return pd.DataFrame([{"generation": g.t, "epsilon": g.epsilon, "simulations": g.simulations,
                          "acceptance_rate": g.acceptance_rate, "effective_sample_size": g.ess}
                         for g in generations])


def markdown_table(frame: pd.DataFrame, formats: dict[str, Any] | None = None) -> str:
    """A DataFrame as a Markdown table, numbers shown with :func:`number` unless ``formats`` says otherwise."""
    formats = formats or {}
    header = "| " + " | ".join(frame.columns) + " |"
    rule = "|" + "|".join("---" for _ in frame.columns) + "|"
    rows = []
    for _, row in frame.iterrows():
        cells = []
        for column in frame.columns:
            value = row[column]
            if column in formats:
                cells.append(formats[column](value))
            elif isinstance(value, float | np.floating):
                cells.append(number(float(value)))
            else:
                cells.append(str(value))
        rows.append("| " + " | ".join(cells) + " |")
    return "\n".join([header, rule, *rows])


def prior_posterior_figure(posterior: Posterior, calibration: Calibration, path: Path) -> None:
    """One panel a fitted parameter: the posterior's weighted histogram over the uniform prior's density."""
    priors = calibration.priors
    cols = 4
    rows = math.ceil(len(priors) / cols)
    fig = Figure(figsize=(3.2 * cols, 2.4 * rows), layout="constrained")
    for i, prior in enumerate(priors):
        ax = fig.add_subplot(rows, cols, i + 1)
        bins = np.linspace(prior.low, prior.high, 21)
        ax.hist(posterior.particles[prior.key], bins=bins, weights=posterior.weights, density=True,
                color=COLOURS[0], alpha=0.7, label="posterior")
        ax.hlines(1 / (prior.high - prior.low), prior.low, prior.high, colors="black", linestyles="--",
                  label="prior")
        ax.set_title(short_name(prior.key), fontsize=8)
        ax.tick_params(labelsize=7)
    fig.axes[0].legend(fontsize=7)
    fig.suptitle("Prior (dashed) and posterior of each fitted parameter")
    fig.savefig(path, dpi=110)


def pairs_figure(posterior: Posterior, summary: pd.DataFrame, path: Path, rng: np.random.Generator) -> None:
    """arviz's pairs plot of the parameters the data narrowed most (resampled, equally weighted draws)."""
    import arviz as az
    import matplotlib.pyplot as plt  # arviz draws through pyplot: its figure is closed below

    keys = summary.sort_values("narrowing")["parameter"].head(PAIRS).tolist()
    draws = posterior.draws(2000, rng)
    data = az.from_dict({"posterior": {short_name(k): draws[k].to_numpy()[None] for k in keys}})
    plots = az.plot_pair(data, backend="matplotlib", marginal=True, figure_kwargs={"figsize": (11, 10)})
    plots.savefig(path, dpi=90)
    plt.close("all")


def short_name(key: str) -> str:
    """A dotted key without its section's prefix, for figure labels."""
    return key.replace("preferences.", "").replace("countries.", "")


def predictive_figure(predictive: pd.DataFrame, path: Path) -> None:
    """Each target: observed value with two SEs, and the model's median with its 90 percent interval."""
    rows = len(predictive)
    fig = Figure(figsize=(8, 0.55 * rows + 1.2), layout="constrained")
    ax = fig.add_subplot()
    for i, row in enumerate(predictive.itertuples()):
        scale = abs(row.observed) if row.observed else 1.0
        ax.errorbar((row.observed) / scale, i + 0.15, xerr=2 * row.observed_se / scale, fmt="o", color="black",
                    label="observed (2 SE)" if i == 0 else None)
        ax.errorbar(row.model_median / scale, i - 0.15,
                    xerr=[[(row.model_median - row.model_low_5) / scale], [(row.model_high_95 - row.model_median)
                                                                           / scale]],
                    fmt="s", color=COLOURS[0], label="model: median, 90% interval" if i == 0 else None)
    ax.set_yticks(range(rows), [f"{r.target} ({r.role})" for r in predictive.itertuples()], fontsize=8)
    ax.axvline(1.0, color="grey", lw=0.5)
    ax.set_xlabel("relative to the observed value")
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    ax.set_title("Posterior predictive check of every target")
    fig.savefig(path, dpi=110)


def generations_figure(diagnostics: pd.DataFrame, path: Path) -> None:
    """Epsilon and acceptance rate by generation."""
    fig = Figure(figsize=(8, 3), layout="constrained")
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2)
    left.plot(diagnostics["generation"], diagnostics["epsilon"], "o-", color=COLOURS[0])
    left.set(xlabel="generation", ylabel="epsilon (distance in target SEs)", yscale="log")
    right.plot(diagnostics["generation"], diagnostics["acceptance_rate"], "o-", color=COLOURS[1])
    right.set(xlabel="generation", ylabel="acceptance rate", yscale="log")
    fig.savefig(path, dpi=110)


def write_summary_json(path: Path, info: dict[str, Any]) -> None:
    path.write_text(json.dumps(info, indent=2, allow_nan=True) + "\n", encoding="utf-8")


def summary_markdown(summary: pd.DataFrame, diagnostics: pd.DataFrame) -> str:
    """The posterior summary and the run's diagnostics, as committed beside configs/calibrated.toml."""
    return "\n\n".join([
        "Each fitted parameter: its uniform prior, posterior median and 90 percent credible interval, and the "
        "interval's width over the prior's 90 percent width (1: the targets say nothing about it).",
        markdown_table(summary.rename(columns={"prior_low": "prior low", "prior_high": "prior high",
                                               "low_5": "5%", "high_95": "95%"})),
        "Each generation: tolerance, simulations run, acceptance rate and effective sample size of its particles.",
        markdown_table(diagnostics, {"generation": lambda v: f"{int(v)}", "simulations": lambda v: f"{int(v):,}"}),
    ])


__all__ = ["HEADER", "calibrated_toml", "diagnostics_table", "generations_figure", "markdown_table", "number",
           "pairs_figure", "predictive_figure", "prior_posterior_figure", "summary_markdown", "summary_table",
           "write_summary_json"]
