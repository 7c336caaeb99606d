"""The targets file (configs/calibration/targets.toml): observed values, their uncertainty, their measurement.

Parsed with :mod:`tomllib` and validated once into the frozen :class:`Targets`.
Every problem raises :class:`simulation.config.ConfigError` naming the file, the
key and what is allowed (one line on the command line, exit code 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.calibration.moments import MEASURES
from simulation.config import ConfigError, read_toml

#: The utility weights the calibration may fit (keys of ``[preferences]``).
WEIGHTS: tuple[str, ...] = ("wage", "hours", "mentor", "network", "home", "moving_cost")
#: What a target is for: in the loss, checked against inputs, or compared in docs/validation.md.
ROLES: tuple[str, ...] = ("fitted", "checked", "validation")
TARGET_KEYS: tuple[str, ...] = ("value", "se", "se_reason", "role", "function", "year", "measure", "source", "also")
TOP_LEVEL: tuple[str, ...] = ("measurement", "fit", "targets", "inputs")


@dataclass(frozen=True)
class Target:
    """One observed number and the model measurement that corresponds to it."""

    name: str
    value: float
    se: float  # standard error, in the target's unit
    se_reason: str
    role: str  # one of ROLES
    function: str  # a name in experiments.calibration.moments.MEASURES
    year: int
    measure: str
    source: str

    @property
    def fitted(self) -> bool:
        """Whether the target enters the loss."""
        return self.role == "fitted"


@dataclass(frozen=True)
class Targets:
    """A validated targets file."""

    path: str
    burn_in_years: int
    parameters: tuple[str, ...]  # weights fitted, in order
    bounds: dict[str, tuple[float, float]]  # natural units
    targets: tuple[Target, ...]

    @property
    def fitted(self) -> tuple[Target, ...]:
        """The targets in the loss, in file order."""
        return tuple(t for t in self.targets if t.fitted)

    @property
    def checked(self) -> tuple[Target, ...]:
        """The targets measured and reported but not fitted."""
        return tuple(t for t in self.targets if not t.fitted)


def read_targets(path: str | Path) -> Targets:
    """Parse and validate a targets file."""
    source = str(path)
    raw = read_toml(path)

    def fail(key: str, message: str) -> Any:
        raise ConfigError(source, key, message)

    for key in raw:
        if key not in TOP_LEVEL:
            fail(key, f"unknown key; allowed: {', '.join(TOP_LEVEL)}")
    measurement = _table(raw, "measurement", fail)
    for key in measurement:
        if key != "burn_in_years":
            fail(f"measurement.{key}", "unknown key; allowed: burn_in_years")
    burn_in = measurement.get("burn_in_years", 10)
    if isinstance(burn_in, bool) or not isinstance(burn_in, int) or burn_in < 6:
        fail("measurement.burn_in_years", f"must be a whole number >= 6 (years; the stay rate looks 5 years back), "
                                          f"got {burn_in!r}")

    fit = _table(raw, "fit", fail)
    for key in fit:
        if key not in ("parameters", "bounds"):
            fail(f"fit.{key}", "unknown key; allowed: parameters, bounds")
    parameters = fit.get("parameters")
    if (not isinstance(parameters, list) or not parameters or any(p not in WEIGHTS for p in parameters)
            or len(set(parameters)) != len(parameters)):
        fail("fit.parameters", f"must be a list of distinct weights from {', '.join(WEIGHTS)}, got {parameters!r}")
    bounds_raw = _table(fit, "bounds", lambda k, m: fail(f"fit.{k}", m))
    bounds = {}
    for name in parameters:
        pair = bounds_raw.get(name)
        if (not isinstance(pair, list) or len(pair) != 2 or not all(_is_number(v) for v in pair)
                or not 0 < pair[0] < pair[1] or not math.isfinite(pair[1])):
            fail(f"fit.bounds.{name}", f"must be [low, high] with 0 < low < high (utils), got {pair!r}")
        bounds[name] = (float(pair[0]), float(pair[1]))
    for name in bounds_raw:
        if name not in parameters:
            fail(f"fit.bounds.{name}", f"is not a fitted parameter ({', '.join(parameters)})")

    table = _table(raw, "targets", fail)
    targets = tuple(_target(name, entry, fail) for name, entry in table.items())
    n_fitted = sum(t.fitted for t in targets)
    if n_fitted < len(parameters):
        fail("fit.parameters", f"{len(parameters)} weights cannot be identified by {n_fitted} fitted targets; "
                               "fit at most as many weights as there are targets with role = \"fitted\"")
    return Targets(path=source, burn_in_years=burn_in, parameters=tuple(parameters), bounds=bounds, targets=targets)


def _target(name: str, entry: Any, fail: Any) -> Target:
    key = f"targets.{name}"
    if not isinstance(entry, dict):
        fail(key, f"must be a table, got {entry!r}")
    for sub in entry:
        if sub not in TARGET_KEYS:
            fail(f"{key}.{sub}", f"unknown key; allowed: {', '.join(TARGET_KEYS)}")
    value, se = entry.get("value"), entry.get("se")
    if not _is_number(value) or not math.isfinite(value):
        fail(f"{key}.value", f"must be a finite number, got {value!r}")
    if not _is_number(se) or not 0 < se < math.inf:
        fail(f"{key}.se", f"must be a positive number (the standard error, in the target's unit), got {se!r}")
    role = entry.get("role")
    if role not in ROLES:
        fail(f"{key}.role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    function = entry.get("function")
    if function not in MEASURES:
        fail(f"{key}.function", f"must name a function of experiments/calibration/moments.py "
                                f"({', '.join(MEASURES)}), got {function!r}")
    year = entry.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        fail(f"{key}.year", f"must be a whole number (the year observed), got {year!r}")
    texts = {}
    for sub in ("se_reason", "measure", "source"):
        text = entry.get(sub)
        if not isinstance(text, str) or not text.strip():
            fail(f"{key}.{sub}", "is required: a non-empty string")
        texts[sub] = text
    return Target(name=name, value=float(value), se=float(se), role=role, function=function, year=year, **texts)


def _table(raw: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        fail(key, f"must be a table, got {value!r}")
    return value


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
