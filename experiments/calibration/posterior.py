"""A calibration's posterior: weighted particles, their summaries, and the diagnostics of the ABC-SMC run.

Pure functions of pyabc's stored results (read once by :func:`read_history`)
and of plain arrays, so that the report and the tests share them.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.calibration.targets import Prior

#: The credible interval reported: 5 to 95 percent.
LOWER, UPPER = 0.05, 0.95


@dataclass(frozen=True)
class Posterior:
    """The last generation's particles (one column per fitted key) and their normalised weights."""

    particles: pd.DataFrame  # columns: dotted keys
    weights: np.ndarray

    def draws(self, n: int, rng: np.random.Generator) -> pd.DataFrame:
        """``n`` equally weighted draws (resampled by weight, with replacement)."""
        index = rng.choice(len(self.weights), size=n, p=self.weights)
        return self.particles.iloc[index].reset_index(drop=True)

    def median(self) -> dict[str, float]:
        """Each parameter's weighted median."""
        return {k: weighted_quantile(self.particles[k].to_numpy(), self.weights, 0.5) for k in self.particles}


@dataclass(frozen=True)
class Generation:
    """One ABC-SMC generation: its tolerance, simulations, accepted particles and effective sample size."""

    t: int
    epsilon: float
    simulations: int
    particles: int
    ess: float

    @property
    def acceptance_rate(self) -> float:
        return self.particles / self.simulations if self.simulations else float("nan")


def weighted_quantile(values: np.ndarray, weights: np.ndarray, q: float) -> float:
    """The ``q`` quantile of ``values`` under ``weights`` (the inverse of the weighted step CDF)."""
    order = np.argsort(values, kind="stable")
    cdf = np.cumsum(weights[order]) / np.sum(weights)
    return float(values[order][min(np.searchsorted(cdf, q, side="left"), len(values) - 1)])


def effective_sample_size(weights: np.ndarray) -> float:
    """Kish's effective sample size ``(sum w)^2 / sum w^2``."""
    w = np.asarray(weights, dtype=float)
    return float(w.sum() ** 2 / np.sum(w * w)) if len(w) else 0.0


def summary_table(posterior: Posterior, priors: tuple[Prior, ...]) -> pd.DataFrame:
    """Per fitted key: prior range, posterior median and 90 percent credible interval, and how much the data
    narrowed it (the interval's width over the prior's 90 percent width)."""
    rows = []
    for prior in priors:
        x = posterior.particles[prior.key].to_numpy()
        low, mid, high = (weighted_quantile(x, posterior.weights, q) for q in (LOWER, 0.5, UPPER))
        prior_width = (UPPER - LOWER) * (prior.high - prior.low)
        rows.append({"parameter": prior.key, "prior_low": prior.low, "prior_high": prior.high, "median": mid,
                     "low_5": low, "high_95": high, "narrowing": (high - low) / prior_width})
    return pd.DataFrame(rows)


def read_history(history, priors: tuple[Prior, ...]) -> tuple[Posterior, list[Generation]]:
    """The last generation's posterior and every generation's diagnostics, from a pyabc History."""
    frame, weights = history.get_distribution(m=0, t=history.max_t)
    particles = pd.DataFrame({p.key: frame[p.name].to_numpy(dtype=float) for p in priors})
    weights = np.asarray(weights, dtype=float)
    posterior = Posterior(particles=particles, weights=weights / weights.sum())
    generations = []
    table = history.get_all_populations()
    for _, row in table[table["t"] >= 0].iterrows():
        t = int(row["t"])
        _, w = history.get_distribution(m=0, t=t)
        generations.append(Generation(t=t, epsilon=float(row["epsilon"]), simulations=int(row["samples"]),
                                      particles=int(row["particles"]), ess=effective_sample_size(np.asarray(w))))
    return posterior, generations


def interval_holds(posterior: Posterior, key: str, value: float) -> bool:
    """Whether the 90 percent credible interval of ``key`` holds ``value``."""
    x = posterior.particles[key].to_numpy()
    return weighted_quantile(x, posterior.weights, LOWER) <= value <= weighted_quantile(x, posterior.weights, UPPER)
