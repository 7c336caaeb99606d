"""Mentor quality and the talent it gives: the vicious cycle's two halves.

Mentor quality of a country is an institutional floor plus a part that scales
with the talent of the senior researchers located there (Azoulay et al. 2010:
losing a superstar collaborator costs 5 to 8 percent of output). Trainees gain
log talent in proportion to the mentor quality where they train (Waldinger
2010: +1 SD faculty quality gives +10 to 13 points of later success).
"""

from __future__ import annotations

import numpy as np

from simulation.careers import SENIOR


def senior_talent_pool(country: np.ndarray, stage: np.ndarray, ln_talent: np.ndarray, n_countries: int) -> np.ndarray:
    """Sum of the talent (``exp(ln_talent)``) of senior researchers, by country, shape (C,)."""
    senior = stage == SENIOR
    return np.bincount(country[senior], weights=np.exp(ln_talent[senior]), minlength=n_countries)


def mentor_quality(floor: np.ndarray, pool_weight: np.ndarray, pool: np.ndarray,
                   initial_pool: np.ndarray) -> np.ndarray:
    """``floor + pool_weight * pool / initial_pool`` by country (the pool term is 0 where the initial pool is)."""
    ratio = np.divide(pool, initial_pool, out=np.zeros_like(pool, dtype=float), where=initial_pool > 0)
    return floor + pool_weight * ratio


def talent_growth(training: np.ndarray, quality_where: np.ndarray, gain: float) -> np.ndarray:
    """Log talent gained this year: ``gain * mentor quality`` for trainees, 0 for others."""
    return np.where(training, gain * quality_where, 0.0)
