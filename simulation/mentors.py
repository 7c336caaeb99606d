"""Mentor quality and the talent it gives: the vicious cycle's two halves.

Mentor quality of a country, in standard deviations of faculty quality, is an
institutional floor plus a term that grows with the talent of the simulated
academic seniors there per trainee (students, PhD candidates and academic
postdocs): ``floor + weight * ln(1 + ratio / reference)``. Losing a star lowers
it (Azoulay et al. 2010: losing a superstar collaborator costs 5 to 8 percent of
output); so does a crowd of trainees per senior. Abroad the weight is 0: the
simulated Korean seniors are a small share of US faculty. Trainees gain log
talent in proportion to the mentor quality where they train (Waldinger 2010:
+1 SD of faculty quality gives +10 to 13 points of later success).

A recruited star brings a lab: its funded places go to the most talented
trainees of the country, who train under the country's quality plus the lab's gain.
"""

from __future__ import annotations

import numpy as np

from simulation.careers import ACADEMIA, POSTDOC, SENIOR


def is_trainee(stage: np.ndarray, sector: np.ndarray) -> np.ndarray:
    """Whether researchers train under a mentor: students, PhD candidates and postdocs in academia."""
    return (stage < POSTDOC) | ((stage == POSTDOC) & (sector == ACADEMIA))


def talent_per_trainee(country: np.ndarray, sector: np.ndarray, stage: np.ndarray, ln_talent: np.ndarray,
                       n_countries: int) -> np.ndarray:
    """Sum of the talent (``exp(ln_talent)``) of academic seniors over the number of trainees, by country (C,).

    A country with no trainees counts as one trainee (the ratio stays finite).
    """
    professors = np.flatnonzero((stage == SENIOR) & (sector == ACADEMIA))  # an index: faster than a mask
    pool = np.bincount(country.take(professors).astype(np.intp), weights=np.exp(ln_talent.take(professors)),
                       minlength=n_countries)
    trainee = is_trainee(stage, sector)
    trainees = np.array([np.count_nonzero(trainee & (country == c)) for c in range(n_countries)], dtype=np.int64)
    return pool / np.maximum(trainees, 1)


def mentor_quality(floor: np.ndarray, weight: np.ndarray, ratio: np.ndarray, reference: float) -> np.ndarray:
    """``floor + weight * ln(1 + ratio / reference)`` by country, in SD of faculty quality."""
    return floor + weight * np.log1p(ratio / reference)


def lab_talent_cut(ln_talent: np.ndarray, places: float) -> float:
    """The lowest log talent that gets one of ``places`` lab places among trainees of log talent ``ln_talent``.

    The best ``floor(places)`` trainees get places; inf when there are no places,
    -inf when there are places for everyone.
    """
    k = int(np.floor(places + 1e-9))
    if k <= 0:
        return np.inf
    if k >= len(ln_talent):
        return -np.inf
    return float(np.partition(ln_talent, len(ln_talent) - k)[len(ln_talent) - k])


def talent_growth(trainee: np.ndarray, quality_where: np.ndarray, gain: float) -> np.ndarray:
    """Log talent gained this year: ``gain * mentor quality`` for trainees, 0 for others."""
    return np.where(trainee, gain * quality_where, 0.0)
