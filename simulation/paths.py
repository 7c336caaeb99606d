"""Inputs that change by year: a scenario's ``[paths]``.

A path gives a config key a value in some calendar years; in between the value
is interpolated linearly, before the first year it is the first value and after
the last year the last value. A path can follow any number of the world the
model takes as given: pay levels by country and sector, the cap and its
coverage (the 2018-2021 phase-in), the size of entering cohorts, offer chances.
Keys that fix the simulation itself (its years, its size, the people an agent
stands for, the top-talent bar) and the policy levers (which have their own
start and end years) cannot follow a path.

Example (TOML)::

    [paths]
    "countries.KR.cap_coverage" = { 2017 = 0.0, 2018 = 0.5, 2021 = 0.95 }
    "countries.KR.pay_level.industry" = { 2010 = 0.8, 2024 = 1.0 }
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import Any

import numpy as np

from simulation.schema import Config, field_at

#: Keys (or, ending in ".", key prefixes) that cannot follow a path, and why.
FIXED_KEYS: dict[str, str] = {
    "simulation.start_year": "it fixes the simulation",
    "simulation.years": "it fixes the simulation",
    "simulation.spin_up": "it fixes the simulation",
    "simulation.researchers": "it fixes the simulation",
    "simulation.workforce": "it sets the people one agent stands for",
    "simulation.max_career_age": "it fixes the career chain",
    "talent.top_share": "the top-talent bar is fixed at the start",
    "policies.": "levers have their own start_year and end_year",
    "paths.": "paths cannot be nested",
}
#: Earliest and latest calendar year a path may name.
YEAR_RANGE: tuple[int, int] = (1900, 2200)


def path_refusal(key: str) -> str | None:
    """Why ``key`` cannot follow a path, or None if it can (a number-valued config key not fixed above)."""
    for fixed, why in FIXED_KEYS.items():
        if key == fixed or (fixed.endswith(".") and key.startswith(fixed)):
            return f"cannot follow a path: {why}"
    found = field_at(key)
    if found is None:
        return "is not a config key (use a dotted path such as countries.KR.pay_level.industry)"
    if found[0] is not float:
        return "cannot follow a path: only keys with a number value (not a whole number or a table) can"
    return None


def value_in_year(points: Mapping[int, float], year: int) -> float:
    """The value of a path in ``year``: linear between its years, flat outside them."""
    years = sorted(points)
    return float(np.interp(year, years, [points[y] for y in years]))


def values_in_year(config: Config, year: int) -> tuple[float, ...]:
    """Every path's value in ``year``, in the order of ``config.paths``."""
    return tuple(value_in_year(points, year) for points in config.paths.values())


def config_in_year(config: Config, year: int) -> Config:
    """``config`` with each path's key set to its value in ``year`` (``config`` itself if it has no paths)."""
    for key, points in config.paths.items():
        config = with_value(config, key, value_in_year(points, year))
    return config


def with_value(config: Config, key: str, value: float) -> Config:
    """``config`` with the number at the dotted ``key`` replaced by ``value`` (KeyError, AttributeError if absent)."""
    return _replace_at(config, key.split("."), value)


def _replace_at(node: Any, parts: list[str], value: float) -> Any:
    """A copy of the dataclass or dict ``node`` with the value at ``parts`` replaced."""
    head, rest = parts[0], parts[1:]
    if isinstance(node, dict):
        child = node[head]
        return {**node, head: value if not rest else _replace_at(child, rest, value)}
    child = getattr(node, head)
    return dataclasses.replace(node, **{head: value if not rest else _replace_at(child, rest, value)})
