"""What the data leave open, as factors a sweep can sample: posterior draws and prior ranges.

A sweep of the ``uncertainties`` design (EMA Workbench's XLRM: uncertainties X crossed with levers L) draws
points of the unit cube, one coordinate a factor, and turns each into config overrides here:

- the **posterior** factor is one coordinate for all the fitted weights together: the coordinate picks a
  particle of the calibration's posterior (``calibrated.posterior.csv``: one column a dotted key, a ``weight``
  column) by the inverse of the weighted step CDF, the particles taken in the order of their first column. A
  uniform coordinate therefore draws a particle with its posterior weight, and the fitted weights always move
  together, as the posterior has them (never one fitted weight against the others' calibrated values);
- a **range** factor is a weight drawn uniformly on ``[low, high]``: the priors of the weights the calibration
  carries (``[carried]`` of a calibration targets file), or any range the sweep file gives.

Pure functions of plain data; reading and checking the files fails with :class:`ConfigError` naming the key.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation import schema
from simulation.config import ConfigError

#: The name of the posterior factor in a design, and of the design-table column holding the particle drawn.
POSTERIOR = "posterior"
PARTICLE = "posterior.particle"
#: The posterior file's column of particle weights.
WEIGHT = "weight"
#: Prefix of the design-table columns holding each point's unit-cube coordinates (what SALib analyses).
UNIT = "unit:"


@dataclass(frozen=True)
class PosteriorDraws:
    """A posterior's particles in the order the factor walks them, and their cumulative weights."""

    path: str
    particles: pd.DataFrame  # one column a dotted config key, sorted by the first column
    cdf: np.ndarray  # cumulative normalised weights, last = 1

    def particle(self, unit: float) -> int:
        """The row of the particle a coordinate in [0, 1] picks (inverse of the weighted step CDF)."""
        return int(min(np.searchsorted(self.cdf, unit, side="right"), len(self.cdf) - 1))


@dataclass(frozen=True)
class Uncertainties:
    """The factors of an uncertainties design: the posterior (optional) and ranges, in this order."""

    posterior: PosteriorDraws | None
    ranges: Mapping[str, tuple[float, float]] = field(default_factory=dict)

    @property
    def factors(self) -> list[str]:
        """The factors' names: ``posterior`` first when there is one, then the ranged keys."""
        return ([POSTERIOR] if self.posterior is not None else []) + list(self.ranges)

    @property
    def keys(self) -> list[str]:
        """Every config key the factors set."""
        fitted = list(self.posterior.particles.columns) if self.posterior is not None else []
        return fitted + list(self.ranges)

    def values(self, unit: Mapping[str, float]) -> dict[str, Any]:
        """The config values at one point of the unit cube (``{factor: coordinate}``).

        The posterior factor gives ``posterior.particle`` (the particle's row) and every fitted key; a range
        factor gives its key at ``low + u (high - low)``, rounded for whole-number keys.
        """
        out: dict[str, Any] = {}
        if self.posterior is not None:
            row = self.posterior.particle(float(unit[POSTERIOR]))
            out[PARTICLE] = row
            for key, value in self.posterior.particles.iloc[row].items():
                out[str(key)] = _typed(str(key), float(value))
        for key, (low, high) in self.ranges.items():
            out[key] = _typed(key, low + float(unit[key]) * (high - low))
        return out


def _typed(key: str, value: float) -> float | int:
    found = schema.field_at(key)
    return round(value) if found is not None and found[0] is int else value


def read_posterior(path: Path, source: str, key: str) -> PosteriorDraws:
    """Read a posterior file (dotted-key columns and ``weight``), failing on the sweep file's ``key``."""
    try:
        frame = pd.read_csv(path)
    except (OSError, ValueError) as err:
        raise ConfigError(source, key, f"cannot read the posterior file {path}: {err}") from None
    if WEIGHT not in frame.columns or len(frame.columns) < 2 or frame.empty:
        raise ConfigError(source, key, f"{path.name} must have a column per fitted key, a '{WEIGHT}' column and at "
                                       "least one particle (talentflow calibrate writes posterior.csv)")
    for column in frame.columns:
        if column != WEIGHT and schema.field_at(column) is None:
            raise ConfigError(source, key, f"{path.name}: column {column!r} is not a config key")
    try:
        values = frame.to_numpy(dtype=float, na_value=np.nan)
    except (TypeError, ValueError):
        raise ConfigError(source, key, f"{path.name} holds a value that is not a number") from None
    if not np.isfinite(values).all():
        raise ConfigError(source, key, f"{path.name} holds a missing or non-finite value")
    weights = frame[WEIGHT].to_numpy(dtype=float)
    if (weights < 0).any() or weights.sum() <= 0:
        raise ConfigError(source, key, f"{path.name}: weights must be >= 0 with a positive sum")
    particles = frame.drop(columns=WEIGHT)
    order = np.argsort(particles.iloc[:, 0].to_numpy(dtype=float), kind="stable")
    particles = particles.iloc[order].reset_index(drop=True)
    cdf = np.cumsum(weights[order]) / weights.sum()
    cdf[-1] = 1.0
    return PosteriorDraws(str(path), particles, cdf)


def read_carried(path: Path, source: str, key: str) -> dict[str, tuple[float, float]]:
    """The prior ranges of the weights a calibration targets file carries (its ``[carried]`` tables)."""
    from experiments.calibration.targets import read_calibration

    try:
        calibration = read_calibration(path)
    except ConfigError as err:
        raise ConfigError(source, key, f"{path.name}: {err.key}: {err.message}") from None
    if not calibration.carried:
        raise ConfigError(source, key, f"{path.name} carries no weight (no [carried] table)")
    return {prior.key: (prior.low, prior.high) for prior in calibration.carried}
