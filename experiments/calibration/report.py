"""What a calibration writes: the calibrated config, its JSON record, and the fit report (Markdown and figures).

Figures are drawn on bare :class:`matplotlib.figure.Figure` objects (Agg canvas,
no pyplot state), as in :mod:`simulation.chart`.
"""

from __future__ import annotations

import hashlib
import json
import math
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments import seeds
from experiments.calibration.fit import STEP, Z95, Fit, Problem
from experiments.calibration.targets import WEIGHTS, Target
from simulation.chart import COLOURS
from simulation.config import config_to_json
from simulation.outputs import MARKERS
from simulation.schema import Config

#: First line of every calibrated config: how the command recognises a file it may replace.
HEADER = "# Written by talentflow calibrate"
#: Kind recorded in calibration.json (the marker of a calibration output folder).
KIND = MARKERS["calibration.json"]


def number(value: float, digits: int = 4) -> str:
    """A value with ``digits`` significant digits, as TOML and people read it."""
    if not math.isfinite(value):
        return "inf" if value > 0 else ("-inf" if value < 0 else "nan")
    if abs(value) >= 10 ** digits:
        return f"{value:,.0f}"
    return f"{value:.{digits}g}"


def config_sha256(config: Config) -> str:
    """SHA-256 of a config (as JSON): tells whether the base has changed since the fit."""
    text = json.dumps(config_to_json(config), sort_keys=True)
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def target_rows(fit: Fit, problem: Problem) -> list[dict[str, Any]]:
    """One row a target: observed value and SE, the model's value and SE at the optimum, and the gap in SEs."""
    rows = []
    for target in (*problem.targets.fitted, *problem.targets.checked):
        column = fit.functions.index(target.function)
        model, model_se = float(fit.final.moments[column]), float(fit.moment_se[column])
        # A fitted target's model SE contains its own observed SE (the fit passes it on): compare with that alone.
        scale = target.se if target.fitted else math.hypot(target.se, model_se)
        rows.append({"target": target.name, "role": target.role, "function": target.function, "year": target.year,
                     "observed": target.value, "observed_se": target.se, "model": model, "model_se": model_se,
                     "gap_in_se": (model - target.value) / scale})
    return rows


def summary(fit: Fit, problem: Problem, *, command: list[str], base_path: str, seconds: float) -> dict[str, Any]:
    """Everything about the fit as JSON-safe data (calibrated.json and the report's calibration.json)."""
    low, high = fit.interval()
    sim = problem.base.simulation
    return {
        "kind": KIND,
        "command": command,
        "base": base_path,
        "base_config_sha256": config_sha256(problem.base),
        "targets_file": problem.targets.path,
        "targets_sha256": hashlib.sha256(Path(problem.targets.path).read_bytes()).hexdigest(),
        "window": {"first": problem.window.first, "last": problem.window.last},
        "researchers": sim.researchers, "years": sim.years, "replicates": problem.replicates,
        "seeds": [seeds.describe(s) for s in problem.seeds],
        "evaluations": len(problem.history), "search_evaluations": fit.search_evaluations,
        "converged": fit.converged, "message": fit.message, "seconds": round(seconds, 1),
        "loss": fit.final.loss,
        "degrees_of_freedom": len(problem.functions) - len(fit.names),
        "fitted": {name: {"value": float(v), "se": float(s), "log_value": float(lv), "log_se": float(ls),
                          "ci95": [float(lo), float(hi)], "bounds": list(problem.targets.bounds[name])}
                   for name, v, s, lv, ls, lo, hi in zip(fit.names, fit.weights, fit.se, fit.log_weights, fit.log_se,
                                                         low, high, strict=True)},
        "fixed": {name: getattr(problem.base.preferences, name) for name in WEIGHTS if name not in fit.names},
        "log_covariance": _safe(fit.covariance.tolist()),
        "targets": _safe(target_rows(fit, problem)),
        "sensitivity": {"step_log": STEP, "weights": list(WEIGHTS), "measures": list(fit.functions),
                        "d_measure_d_log_weight": _safe(fit.sensitivity.tolist())},
    }


def _safe(value: Any) -> Any:
    """Non-finite floats as strings, for JSON."""
    if isinstance(value, list):
        return [_safe(v) for v in value]
    if isinstance(value, dict):
        return {k: _safe(v) for k, v in value.items()}
    if isinstance(value, float) and not math.isfinite(value):
        return str(value)
    return value


def calibrated_toml(fit: Fit, problem: Problem, *, extends: str, command: list[str], json_name: str) -> str:
    """The calibrated config: ``extends`` the base, with a [preferences] table of the fitted weights.

    Standard errors and intervals are comments (the config loader accepts no extra keys);
    the full record is in the JSON file ``json_name`` beside it.
    """
    low, high = fit.interval()
    sim = problem.base.simulation
    fixed = ", ".join(f"{name} = {number(getattr(problem.base.preferences, name))}"
                      for name in WEIGHTS if name not in fit.names)
    fitted_targets = ", ".join(f"{t.name} = {number(t.value)} (SE {number(t.se, 2)})" for t in problem.targets.fitted)
    lines = [
        f"{HEADER}: the base scenario with its utility weights fitted to observed data (method of simulated "
        "moments).",
        "# Do not edit by hand: run the command again (docs/calibration.md).",
        f"# Command: {' '.join(command)}",
        f"# Targets fitted: {fitted_targets}.",
        f"# Method of simulated moments: {problem.replicates} replicate runs of {sim.researchers} researchers for "
        f"{sim.years} years per candidate (the same seeds for every candidate), targets measured over "
        f"{problem.window.first}-{problem.window.last}; {len(problem.history)} evaluations; "
        f"loss {number(fit.final.loss, 3)}.",
        f"# Fixed at the base config's stated values, not fitted (docs/calibration.md says why): {fixed}.",
        "# SE: standard error from the central-difference Jacobian of the moments, the targets' SEs and the",
        "# simulation noise; the 95% interval is symmetric in the log of the weight. Details: "
        f"{json_name} beside this file.",
        f'extends = "{extends}"',
        'name = "calibrated"',
        'description = "Baseline with the utility weights fitted to the share abroad and the US-PhD stay rate '
        '(talentflow calibrate)"',
        "",
        "[preferences]",
    ]
    width = max(len(name) for name in fit.names) + len(" = ") + 8
    for name, value, se, lo, hi in zip(fit.names, fit.weights, fit.se, low, high, strict=True):
        assignment = f"{name} = {number(value)}"
        lines.append(f"{assignment:<{width}}# fitted; SE {number(se, 2)}; 95% interval {number(lo, 3)} to "
                     f"{number(hi, 3)}")
    return "\n".join(lines) + "\n"


def history_frame(problem: Problem) -> pd.DataFrame:
    """One row an evaluation: its kind, the weights, the loss and the mean of each measure it ran."""
    rows = []
    for e in problem.history:
        row: dict[str, Any] = {"evaluation": e.index, "kind": e.kind, "loss": e.loss}
        row |= {name: float(np.exp(v)) for name, v in zip(WEIGHTS, e.log_weights, strict=True)}
        functions = problem.all_functions if e.replicates.shape[1] == len(problem.all_functions) else problem.functions
        row |= {f"model_{name}": float(v) for name, v in zip(functions, e.moments, strict=True)}
        rows.append(row)
    return pd.DataFrame(rows)


# -------------------------------------------------------------------------------- figures
def draw_loss(history: pd.DataFrame, path: Path) -> None:
    """The loss of every evaluation in order, by kind, with the best loss of the search so far."""
    fig = Figure(figsize=(7.5, 4.0), layout="constrained")
    ax = fig.add_subplot()
    floor = 1e-4
    for colour, (kind, group) in zip(COLOURS, history.groupby("kind", sort=False), strict=False):
        ax.scatter(group["evaluation"], np.maximum(group["loss"], floor), s=18, color=colour, label=kind)
    search = history[history["kind"] == "search"]
    ax.step(search["evaluation"], np.maximum(search["loss"].cummin(), floor), where="post", color="black",
            linewidth=1.0, label="best so far (search)")
    ax.set_yscale("log")
    ax.set_xlabel(f"evaluation (each: the same replicate seeds; losses below {floor:g} drawn at {floor:g})")
    ax.set_ylabel("loss (squared gaps in target SEs)")
    ax.set_title("Calibration: loss history")
    ax.legend(fontsize=8)
    fig.savefig(path, dpi=110)


def draw_fit(rows: list[dict[str, Any]], targets: dict[str, Target], path: Path) -> None:
    """Each target: the observed value and the model's at the optimum, with 95 percent intervals."""
    ncols = min(len(rows), 4)
    nrows = -(-len(rows) // ncols)
    fig = Figure(figsize=(2.6 * ncols, 2.9 * nrows), layout="constrained")
    axes = fig.subplots(nrows, ncols, squeeze=False).ravel()
    for ax in axes[len(rows):]:
        ax.set_visible(False)
    for ax, row in zip(axes, rows, strict=False):
        for x, (value, se, colour) in enumerate(((row["observed"], row["observed_se"], COLOURS[0]),
                                                 (row["model"], row["model_se"], COLOURS[1]))):
            ax.errorbar([x], [value], yerr=[[Z95 * se]], fmt="o", color=colour, capsize=5)
            ax.annotate(number(value, 3), (x, value), textcoords="offset points", xytext=(8, 0), fontsize=8)
        ax.set_xticks([0, 1], ["observed", "model"])
        ax.set_xlim(-0.6, 1.8)
        ax.set_title(f"{row['target']}\n({row['role']}, {targets[row['target']].year})", fontsize=8)
    fig.suptitle("Targets against the calibrated model (95% intervals)", fontsize=10)
    fig.savefig(path, dpi=110)


# ------------------------------------------------------------------------------ Markdown
def report_markdown(fit: Fit, problem: Problem, info: dict[str, Any]) -> str:
    """The fit report: what was fitted, to what, how well, and what stays fixed."""
    low, high = fit.interval()
    lines = [
        "# Calibration report",
        "",
        f"Written by `{' '.join(info['command'])}` in {info['seconds']:.0f} s.",
        "",
        f"Base: `{info['base']}`; targets: `{info['targets_file']}`. Method of simulated moments: each candidate is "
        f"run {problem.replicates} times ({problem.base.simulation.researchers} researchers, "
        f"{problem.base.simulation.years} years) with the same seeds; targets are measured over "
        f"{problem.window.first}-{problem.window.last}. Search: `scipy.optimize.least_squares` (trust-region "
        f"reflective, bounded, on the log weights) - {fit.message}. Evaluations: {len(problem.history)} "
        f"({fit.search_evaluations} in the search). Loss at the optimum: {number(fit.final.loss, 3)} with "
        f"{info['degrees_of_freedom']} degrees of freedom.",
        "",
        "## Fitted weights",
        "",
        "| weight | value | SE | 95% interval | search bounds |",
        "|---|---|---|---|---|",
    ]
    for name, value, se, lo, hi in zip(fit.names, fit.weights, fit.se, low, high, strict=True):
        bounds = problem.targets.bounds[name]
        lines.append(f"| {name} | {number(value)} | {number(se, 2)} | {number(lo, 3)} to {number(hi, 3)} | "
                     f"{number(bounds[0])} to {number(bounds[1])} |")
    lines += ["", "Fixed at the base config's stated values, not fitted (docs/calibration.md says why): "
              + ", ".join(f"{k} = {number(v)}" for k, v in info["fixed"].items()) + ".", "",
              "## Targets", "",
              "Model values at the optimum, mean of the replicates; their SE combines the weights' uncertainty and "
              "the simulation noise left by the replicates. Gap: (model - observed) in observed SEs (fitted) or in "
              "the combined SE (others).", "",
              "| target | role | year | observed (SE) | model (SE) | gap |", "|---|---|---|---|---|---|"]
    for row in info["targets"]:
        lines.append(f"| {row['target']} | {row['role']} | {row['year']} | {number(row['observed'], 3)} "
                     f"({number(row['observed_se'], 2)}) | {number(row['model'], 3)} ({number(row['model_se'], 2)}) "
                     f"| {number(row['gap_in_se'], 2)} |")
    lines += ["", "![targets against the model](fit.png)", "", "## Loss history", "", "![loss history](loss.png)",
              "", "## Identification: sensitivity of each measure to each weight", "",
              f"Change of each measure for a 10 percent rise of each weight (central differences of +-{STEP} in the "
              "log weight at the optimum, divided by 10), in the target's SE. A weight moves the fitted targets in "
              "its own direction or it is not identified; two columns that are proportional cannot both be fitted.",
              "", "| measure | " + " | ".join(WEIGHTS) + " |", "|---|" + "---|" * len(WEIGHTS)]
    ses = {t.function: t.se for t in (*problem.targets.fitted, *problem.targets.checked)}
    for i, function in enumerate(fit.functions):
        cells = [number(fit.sensitivity[i, j] * 0.1 / ses[function], 2) for j in range(len(WEIGHTS))]
        lines.append(f"| {function} | " + " | ".join(cells) + " |")
    lines += ["", "Files: `calibration.json` (everything above as data), `history.csv` (every evaluation), "
              "`fit.png`, `loss.png`.", ""]
    return "\n".join(lines)


def write_report(folder: Path, fit: Fit, problem: Problem, info: dict[str, Any]) -> None:
    """Write calibration.json, history.csv, fit.png, loss.png and report.md into ``folder``."""
    (folder / "calibration.json").write_text(json.dumps(info, indent=2) + "\n", encoding="utf-8")
    history = history_frame(problem)
    history.to_csv(folder / "history.csv", index=False)
    draw_loss(history, folder / "loss.png")
    targets = {t.name: t for t in problem.targets.targets}
    draw_fit(info["targets"], targets, folder / "fit.png")
    (folder / "report.md").write_text(report_markdown(fit, problem, info), encoding="utf-8")
