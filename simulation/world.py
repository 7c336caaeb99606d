"""The scenario's countries and careers as arrays, built once per run.

An *alternative* is a (country, sector) pair; alternative ``a`` is country
``a // 2`` and sector ``a % 2``. Arrays here are read-only inputs to the pure
functions of the decision math.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.careers import SECTORS, STAGES, TRAINING_STAGES
from simulation.schema import Config


@dataclass(frozen=True)
class World:
    """Country and career parameters as arrays (C countries, A = 2C alternatives)."""

    codes: tuple[str, ...]
    origin: int
    pay: np.ndarray  # (C, sector, stage) million KRW a year at median entry talent
    convexity: np.ndarray  # (C,) elasticity of pay to talent
    hours_cap: np.ndarray  # (C,) hours a week; inf where there is no cap
    mentor_floor: np.ndarray  # (C,)
    mentor_pool_weight: np.ndarray  # (C,)
    offer_intercept: np.ndarray  # (C,)
    offer_slope: np.ndarray  # (C,)
    abroad_weight: np.ndarray  # (C,) initial split of researchers abroad
    alt_country: np.ndarray  # (A,)
    alt_sector: np.ndarray  # (A,)
    durations: np.ndarray  # (stage,) years
    exit_hazard: np.ndarray  # (stage,) share a year
    training: np.ndarray  # (stage,) bool: trains under a mentor, academia only

    @property
    def n_countries(self) -> int:
        """Number of countries."""
        return len(self.codes)

    @property
    def n_alternatives(self) -> int:
        """Number of (country, sector) alternatives."""
        return len(self.alt_country)

    @classmethod
    def from_config(cls, config: Config) -> World:
        """Arrays for ``config``'s countries, in config order."""
        countries = list(config.countries.values())
        n = len(countries)
        training = np.zeros(len(STAGES), dtype=bool)
        training[list(TRAINING_STAGES)] = True
        abroad = np.array([c.initial_abroad_weight for c in countries], dtype=float)
        abroad[config.origin_index] = 0.0
        return cls(
            codes=config.country_codes,
            origin=config.origin_index,
            pay=np.stack([c.salary.table() for c in countries]),
            convexity=np.array([c.talent_convexity for c in countries], dtype=float),
            hours_cap=np.array([np.inf if c.hours_cap is None else c.hours_cap for c in countries]),
            mentor_floor=np.array([c.mentor_floor for c in countries], dtype=float),
            mentor_pool_weight=np.array([c.mentor_pool_weight for c in countries], dtype=float),
            offer_intercept=np.array([c.offer_intercept for c in countries], dtype=float),
            offer_slope=np.array([c.offer_slope for c in countries], dtype=float),
            abroad_weight=abroad / abroad.sum(),
            alt_country=np.repeat(np.arange(n), len(SECTORS)),
            alt_sector=np.tile(np.arange(len(SECTORS)), n),
            durations=config.careers.durations(),
            exit_hazard=config.careers.exit_hazards(),
            training=training,
        )
