"""Experimental designs: pure functions from parameter ranges to a table of points.

Each function returns a list of points, one dict ``{dotted_key: value}`` a point,
in the design's own order (Sobol and Morris keep SALib's sample order, which
``SALib.analyze.sobol`` and ``SALib.analyze.morris`` expect).
"""

from __future__ import annotations

import itertools
from collections.abc import Mapping, Sequence
from typing import Any

import numpy as np

DESIGNS: tuple[str, ...] = ("grid", "latin", "sobol", "arms", "morris", "uncertainties")
#: Levels of the Morris grid (SALib's default); ``SALib.analyze.morris`` must be told the same number.
MORRIS_LEVELS = 4


def grid(levels: Mapping[str, Sequence[Any]]) -> list[dict[str, Any]]:
    """Every combination of the levels, the last key varying fastest."""
    keys = list(levels)
    return [dict(zip(keys, combo, strict=True)) for combo in itertools.product(*(levels[k] for k in keys))]


def latin(bounds: Mapping[str, tuple[float, float]], samples: int, rng: np.random.Generator) -> list[dict[str, float]]:
    """A Latin hypercube of ``samples`` points: each range cut in ``samples`` equal strata, one point in each."""
    keys = list(bounds)
    d = len(keys)
    strata = np.stack([rng.permutation(samples) for _ in range(d)], axis=1)
    unit = (strata + rng.random((samples, d))) / samples
    return _scale(keys, bounds, unit)


def problem(bounds: Mapping[str, tuple[float, float]], groups: Mapping[str, str] | None = None) -> dict[str, Any]:
    """SALib's problem: names and bounds, and with ``groups`` (key -> group name) each key's group."""
    keys = list(bounds)
    out: dict[str, Any] = {"num_vars": len(keys), "names": keys, "bounds": [list(bounds[k]) for k in keys]}
    if groups:
        out["groups"] = [groups.get(k, k) for k in keys]
    return out


def sobol(bounds: Mapping[str, tuple[float, float]], samples: int, *, second_order: bool,
          seed: int, groups: Mapping[str, str] | None = None) -> list[dict[str, float]]:
    """Saltelli's scheme via SALib: ``samples * (2 D + 2)`` points (``D + 2`` without second order), SALib's order.

    With ``groups`` (key -> group name; a key not named is its own group) D counts groups, whose keys move together.
    """
    from SALib.sample import sobol as salib_sobol

    keys = list(bounds)
    table = salib_sobol.sample(problem(bounds, groups), samples, calc_second_order=second_order, seed=seed)
    return [dict(zip(keys, (float(v) for v in row), strict=True)) for row in table]


def morris(bounds: Mapping[str, tuple[float, float]], trajectories: int, *, seed: int,
           groups: Mapping[str, str] | None = None) -> list[dict[str, float]]:
    """Morris's one-at-a-time trajectories via SALib: ``trajectories * (D + 1)`` points, SALib's order.

    Each trajectory starts at a random point of a ``MORRIS_LEVELS``-level grid and moves one parameter (with
    ``groups``: one group) at a time.
    """
    from SALib.sample import morris as salib_morris

    keys = list(bounds)
    table = salib_morris.sample(problem(bounds, groups), trajectories, num_levels=MORRIS_LEVELS, seed=seed)
    return [dict(zip(keys, (float(v) for v in row), strict=True)) for row in table]


def sobol_size(samples: int, n_vars: int, second_order: bool) -> int:
    """Points in a Sobol design."""
    return samples * (2 * n_vars + 2 if second_order else n_vars + 2)


def _scale(keys: list[str], bounds: Mapping[str, tuple[float, float]], unit: np.ndarray) -> list[dict[str, float]]:
    lo = np.array([bounds[k][0] for k in keys], dtype=float)
    hi = np.array([bounds[k][1] for k in keys], dtype=float)
    values = lo + unit * (hi - lo)
    return [dict(zip(keys, (float(v) for v in row), strict=True)) for row in values]
