"""Working hours: what researchers want, what a cap leaves them, and what hours produce.

A researcher wants ``D`` hours in an ordinary week (persistent, drawn once) and
``D + P`` in a peak week (training runs, deadlines), which make a share ``pi`` of
the year. A cap of ``c`` hours a week binds employees whose employer it covers:
in a year it takes away, on average over the weeks,

    cut = (1 - pi) max(D - c, 0) + pi max(D + P - c, 0)    hours a week,

so that a researcher who wants 46 hours loses nothing in ordinary weeks and a
few hours in peaks. Research output is concave in hours (Pencavel 2014): each
hour up to a kink (50 hours a week) counts fully, then the value of an extra hour
falls linearly to zero at a flat point (55), beyond which hours add nothing.

Pure functions over numpy arrays; hours are in hours a week.
"""

from __future__ import annotations

import numpy as np
from scipy import optimize, stats

#: Hours a week that make one unit of research time (research output = talent x research time).
REFERENCE_HOURS = 40.0


def cap_cut(desired: np.ndarray, cap: np.ndarray, peak_share: float, peak_extra: float) -> np.ndarray:
    """Average weekly hours a cap takes away: ``(1-pi) max(D-c, 0) + pi max(D+P-c, 0)`` (broadcasts; inf cap: 0)."""
    ordinary = np.maximum(desired - cap, 0.0)
    peak = np.maximum(desired + peak_extra - cap, 0.0)
    return (1.0 - peak_share) * ordinary + peak_share * peak


def is_employee(stage: np.ndarray, capped: np.ndarray) -> np.ndarray:
    """Whether each researcher's stage is one a working-hour cap binds (``capped``, (stage,) bool), (n,)."""
    return np.take(capped, stage.astype(np.intp))  # np.take is several times faster with an intp index


def output_hours(hours: np.ndarray, kink: float, flat: float) -> np.ndarray:
    """Effective research hours in a week of ``hours``: linear to ``kink``, concave to ``flat``, then flat.

    ``f(h) = h`` for ``h <= kink``; ``h - (h - kink)^2 / (2 (flat - kink))`` up to ``flat``;
    ``(kink + flat) / 2`` beyond.
    """
    h = np.minimum(hours, flat)
    over = np.maximum(h - kink, 0.0)
    over *= over  # in place on arrays (fewer passes over memory), the same operations in the same order
    over /= 2.0 * (flat - kink)
    h -= over
    return h


def research_time(desired: np.ndarray, cap: np.ndarray, peak_share: float, peak_extra: float, kink: float,
                  flat: float) -> np.ndarray:
    """A year's research time in units of :data:`REFERENCE_HOURS`: effective hours over ordinary and peak weeks,
    each capped at ``cap`` (inf where no cap binds)."""
    ordinary = output_hours(np.minimum(desired, cap), kink, flat)
    peak = output_hours(np.minimum(desired + peak_extra, cap), kink, flat)
    ordinary *= 1.0 - peak_share  # in place: ((1 - pi) ordinary + pi peak) / REFERENCE_HOURS, bit for bit
    peak *= peak_share
    ordinary += peak
    ordinary /= REFERENCE_HOURS
    return ordinary


def hours_worked(desired: np.ndarray, cap: np.ndarray, peak_share: float, peak_extra: float) -> np.ndarray:
    """Average weekly hours worked over the year: desired hours (with peaks) less what the cap takes away."""
    return desired + peak_share * peak_extra - cap_cut(desired, cap, peak_share, peak_extra)


def normal_excess(mean: float, sd: float, cap: float) -> float:
    """``E[max(X - cap, 0)]`` for ``X ~ N(mean, sd^2)``.

    ``sd phi(a) + (mean - cap)(1 - Phi(a))`` with ``a = (cap - mean) / sd``.
    """
    if sd <= 0:
        return max(mean - cap, 0.0)
    a = (cap - mean) / sd
    return float(sd * stats.norm.pdf(a) + (mean - cap) * stats.norm.sf(a))


def population_hours(mean: float, sd: float, cap: float, peak_share: float, peak_extra: float
                     ) -> tuple[float, float]:
    """Mean weekly hours worked and mean hours cut by the cap, over researchers whose ordinary desired hours are
    ``N(mean, sd^2)`` and who are all bound by ``cap``."""
    cut = (1.0 - peak_share) * normal_excess(mean, sd, cap) + peak_share * normal_excess(mean + peak_extra, sd, cap)
    return mean + peak_share * peak_extra - cut, cut


def fit_desired_hours(mean_worked: float, mean_cut: float, cap: float, peak_share: float, peak_extra: float
                      ) -> tuple[float, float]:
    """The mean and spread of ordinary desired hours that give ``mean_worked`` hours worked and ``mean_cut`` hours
    cut under ``cap`` (:func:`population_hours` solved for its first two arguments).

    Raises ValueError when no spread reproduces the cut (the peaks alone cut more than ``mean_cut``, say).
    """
    def cut_at(sd: float) -> float:
        # The mean worked hours pin the mean desired hours once the cut is known: solve that inner equation too.
        mean = optimize.brentq(lambda m: population_hours(m, sd, cap, peak_share, peak_extra)[0] - mean_worked,
                               mean_worked - peak_share * peak_extra - 60.0, mean_worked + 60.0)
        return population_hours(mean, sd, cap, peak_share, peak_extra)[1]

    impossible = (f"no spread of desired hours gives {mean_worked:g} hours worked and {mean_cut:g} cut by a "
                  f"{cap:g}-hour cap with peaks of +{peak_extra:g} hours in {peak_share:.0%} of weeks")
    low, high = 1e-6, 40.0
    try:  # brentq raises ValueError where no mean gives the hours worked (more than the cap allows, say)
        feasible = (cut_at(low) - mean_cut) * (cut_at(high) - mean_cut) < 0
    except ValueError:
        feasible = False
    if not feasible:
        raise ValueError(impossible)
    sd = optimize.brentq(lambda s: cut_at(s) - mean_cut, low, high, xtol=1e-10)
    mean = optimize.brentq(lambda m: population_hours(m, sd, cap, peak_share, peak_extra)[0] - mean_worked,
                           mean_worked - peak_share * peak_extra - 60.0, mean_worked + 60.0, xtol=1e-10)
    return mean, sd
