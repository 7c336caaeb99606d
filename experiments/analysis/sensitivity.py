"""Global sensitivity analysis through SALib: Sobol indices and Morris screening of a sweep's outputs.

A ``sobol`` sweep holds Saltelli's sample in SALib's order, a ``morris`` sweep Morris's trajectories in
SALib's order (see :mod:`experiments.designs`); the outputs of its points, averaged over replicates and
kept in point order, go straight into ``SALib.analyze``. With one replicate and common random numbers
every point sees the same draws, so the model is a fixed function of its parameters and the indices
measure the parameters' effects, not the noise between runs.

Sobol indices are shares of the output's variance (first order: the parameter alone; total: with all its
interactions), with SALib's bootstrap intervals. Morris's ``mu_star`` is the mean absolute elementary
effect: the change in the output when a parameter moves across its whole range, one at a time (in the
output's units); ``sigma``, their spread, signals interactions or non-linearity.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis import stats
from experiments.designs import MORRIS_LEVELS

#: Bootstrap resamples behind the SALib intervals.
RESAMPLES = 1000
#: Seed of SALib's bootstrap. Not 0: SALib's Sobol analysis treats a seed of 0 as no seed at all.
BOOTSTRAP_SEED = 20240604


def sweep_bounds(manifest: Mapping[str, Any]) -> dict[str, tuple[float, float]]:
    """The ranges ``{ low, high }`` of a latin, sobol or morris sweep's varied parameters, from its manifest."""
    vary = tomllib.loads(manifest["sweep"]["text"]).get("vary", {})
    out: dict[str, tuple[float, float]] = {}

    def walk(node: Mapping[str, Any], path: str) -> None:
        for key, value in node.items():
            dotted = f"{path}.{key}" if path else key
            if isinstance(value, dict) and {"low", "high"} <= set(value):
                out[dotted] = (float(value["low"]), float(value["high"]))
            elif isinstance(value, dict):
                walk(value, dotted)

    walk(vary, "")
    return {name: out[name] for name in manifest["parameters"]}


def second_order(manifest: Mapping[str, Any]) -> bool:
    """Whether a sobol sweep's sample has the second-order rows (SALib's default, true)."""
    return bool(tomllib.loads(manifest["sweep"]["text"]).get("second_order", True))


def problem(bounds: Mapping[str, tuple[float, float]], groups: Mapping[str, str] | None = None) -> dict[str, Any]:
    """SALib's problem description (with ``groups``, key -> group name, each key's group)."""
    from experiments.designs import problem as design_problem

    return design_problem(bounds, groups)


def group_names(bounds: Mapping[str, tuple[float, float]], groups: Mapping[str, str] | None) -> list[str]:
    """The names the indices are reported under: each group once, in order of its first key; ungrouped keys."""
    return list(dict.fromkeys((groups or {}).get(k, k) for k in bounds))


def point_means(data: pd.DataFrame, outputs: Sequence[str], year: int | None = None) -> pd.DataFrame:
    """Each output's mean over replicates per point, in point order, at ``year`` (default: the last year)."""
    year = int(data["year"].max()) if year is None else year
    at = data[data["year"] == year]
    return at.groupby("point", sort=True)[list(outputs)].mean()


def sobol_indices(y: np.ndarray, bounds: Mapping[str, tuple[float, float]], *, calc_second_order: bool = True,
                  level: float = stats.LEVEL, seed: int = BOOTSTRAP_SEED,
                  groups: Mapping[str, str] | None = None) -> pd.DataFrame:
    """First-order and total Sobol indices of ``y`` (one value a point, Saltelli's order), with intervals.

    Returns one row a parameter: ``parameter``, ``S1``, ``S1_low``, ``S1_high``, ``ST``, ``ST_low``,
    ``ST_high`` (shares of the output's variance). All NaN when ``y`` does not vary.
    """
    from SALib.analyze import sobol as salib_sobol

    if seed == 0:
        raise ValueError("seed 0 would leave SALib's bootstrap unseeded; choose another")

    y = np.asarray(y, dtype=float)
    names = group_names(bounds, groups)
    if np.nanstd(y) == 0:
        nan = np.full(len(names), np.nan)
        return pd.DataFrame({"parameter": names, "S1": nan, "S1_low": nan, "S1_high": nan, "ST": nan,
                             "ST_low": nan, "ST_high": nan})
    result = salib_sobol.analyze(problem(bounds, groups), y, calc_second_order=calc_second_order, conf_level=level,
                                 num_resamples=RESAMPLES, seed=seed)
    return pd.DataFrame({
        "parameter": names,
        "S1": result["S1"], "S1_low": result["S1"] - result["S1_conf"], "S1_high": result["S1"] + result["S1_conf"],
        "ST": result["ST"], "ST_low": result["ST"] - result["ST_conf"], "ST_high": result["ST"] + result["ST_conf"],
    })


def morris_indices(x: np.ndarray, y: np.ndarray, bounds: Mapping[str, tuple[float, float]], *,
                   level: float = stats.LEVEL, seed: int = BOOTSTRAP_SEED,
                   groups: Mapping[str, str] | None = None) -> pd.DataFrame:
    """Morris screening of ``y`` at the trajectory points ``x`` (one row a point, SALib's order).

    Returns one row a parameter: ``parameter``, ``mu``, ``mu_star``, ``mu_star_low``, ``mu_star_high``,
    ``sigma``, in the output's units per move across the parameter's whole range.
    """
    from SALib.analyze import morris as salib_morris

    result = salib_morris.analyze(problem(bounds, groups), np.asarray(x, dtype=float), np.asarray(y, dtype=float),
                                  num_resamples=RESAMPLES, conf_level=level, num_levels=MORRIS_LEVELS, seed=seed)
    names = group_names(bounds, groups)
    mu_star = np.asarray(result["mu_star"], dtype=float)
    conf = np.asarray(result["mu_star_conf"], dtype=float)
    return pd.DataFrame({"parameter": names, "mu": np.asarray(result["mu"], dtype=float), "mu_star": mu_star,
                         "mu_star_low": mu_star - conf, "mu_star_high": mu_star + conf,
                         "sigma": np.asarray(result["sigma"], dtype=float)})


def analyse(data: pd.DataFrame, manifest: Mapping[str, Any], outputs: Sequence[str], *,
            year: int | None = None, seed: int = BOOTSTRAP_SEED) -> pd.DataFrame:
    """Sobol or Morris indices (by the sweep's design) of each output at ``year`` (default: the last).

    Returns the indices' rows with an ``output`` column first.
    """
    design = manifest["design"]
    if design not in ("sobol", "morris"):
        raise ValueError(f"sensitivity indices need a sobol or morris sweep, not {design}")
    bounds = sweep_bounds(manifest)
    means = point_means(data, outputs, year)
    expected = len(manifest["design_table"])
    if len(means) != expected:
        raise ValueError(f"the sweep has {len(means)} of its {expected} points: indices need them all")
    if design == "sobol":
        with_second_order = second_order(manifest)
    else:
        points = pd.DataFrame(manifest["design_table"]).sort_values("point")[list(bounds)].to_numpy(dtype=float)
    frames = []
    for output in outputs:
        y = means[output].to_numpy(dtype=float)
        if design == "sobol":
            table = sobol_indices(y, bounds, calc_second_order=with_second_order, seed=seed)
        else:
            table = morris_indices(points, y, bounds, seed=seed)
        table.insert(0, "output", output)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)
