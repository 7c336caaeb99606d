"""The decision math: pay, the utility of income, offers, utility and the logit choice.

Pure functions over numpy arrays with a leading researcher axis (n) and, where
it applies, an alternative axis (A), for the vectorized engine; the agent
engine's researchers (:mod:`simulation.agents`) compute the same formulas in
scalar Python, operation for operation.

Arrays (n, A) built here are laid out alternative-major: computed as an (A, n)
array and returned as its transpose. A is a handful and n up to a million, so
numpy then loops over researchers in its inner loop, several times faster than
over the alternatives of one researcher. Layout never changes a value: each
element goes through the same floating-point operations either way.

Income enters utility through ``g(y) = ((y / 100)^(1 - rho) - 1) / (1 - rho)``, y in
million KRW a year (``ln(y / 100)`` at rho = 1): its slope at 100 million is 1
per 100 million, so the wage weight is in utils per 100 million KRW a year
whatever the curvature. The default, rho = 0, is income in levels: absolute
gaps drive the choice, as Grogger and Hanson (2011) find for the selection and
sorting of international migrants, and as the structural migration model of
Kennan and Walker (2011) assumes; a gap of a billion won then weighs ten times a
gap of 100 million, not the same as a 10-fold gap at any level (logs).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.arrays import select

#: Pay (million KRW a year) at which the utility of income has slope 1 per 100 million.
INCOME_REFERENCE = 100.0


def pay(base: np.ndarray, convexity: np.ndarray, ln_talent: np.ndarray) -> np.ndarray:
    """Pay in million KRW a year: ``base * exp(convexity * ln_talent)``.

    ``base`` (n, A) is the schedule's pay for each researcher's stage at median
    entry talent (``ln_talent = 0``); ``convexity`` (A,) is the elasticity of pay
    to talent in each alternative, largest at the top of US industry.
    """
    return base * np.exp(convexity[:, None] * ln_talent[None, :]).T


def income_utility(income: np.ndarray, curvature: float) -> np.ndarray:
    """``g(y)`` of the module docstring, in units of the wage weight; ``income`` in million KRW a year."""
    x = income / INCOME_REFERENCE
    if curvature == 0.0:
        return x - 1.0
    if curvature == 1.0:
        return np.log(x)
    return (np.power(x, 1.0 - curvature) - 1.0) / (1.0 - curvature)


def money_equivalent(income: np.ndarray, gain: np.ndarray, curvature: float) -> np.ndarray:
    """Extra pay (million KRW a year) worth ``gain`` (utils over the wage weight) to someone paid ``income``.

    Solves ``g(income + m) = g(income) + gain`` for ``m``.
    """
    target = income_utility(income, curvature) + gain
    if curvature == 0.0:
        total = target + 1.0
    elif curvature == 1.0:
        total = np.exp(target)
    else:
        base = np.maximum(1.0 + (1.0 - curvature) * target, 0.0)
        total = np.power(base, 1.0 / (1.0 - curvature))
    return INCOME_REFERENCE * total - income


def offer_probability(ln_talent: np.ndarray, stage: np.ndarray, sigma: float, intercept: np.ndarray,
                      slope: np.ndarray, stage_shift: np.ndarray, transition: np.ndarray | None = None,
                      transition_shift: float = 0.0) -> np.ndarray:
    """Chance of holding an offer of each alternative this year, rising with talent and by stage, shape (n, A).

    Logistic in standardized entry talent ``z = ln_talent / sigma``:
    ``1 / (1 + exp(-(intercept + slope z + shift[stage] + transition_shift [transition])))``: in a year that
    ends a stage (``transition``, (n,)) a researcher is on the job market.
    """
    shift = np.take(stage_shift, stage.astype(np.intp))  # np.take is several times faster with an intp index
    if transition is not None:
        shift = shift + transition_shift * transition
    # -eta, built negated: negation is exact, so (-slope) z - intercept - shift is -(slope z + intercept + shift)
    # bit for bit (but for the sign of a zero, which exp ignores), and saves a pass
    minus_eta = np.negative(slope)[:, None] * (ln_talent / sigma)[None, :]
    minus_eta -= intercept[:, None]
    minus_eta -= shift[None, :]
    denominator = np.exp(minus_eta, out=minus_eta)
    denominator += 1.0
    return np.reciprocal(denominator, out=denominator).T


@dataclass(frozen=True)
class Weights:
    """Utility weights; ``moving_cost`` is per researcher (n,), grown with years in place."""

    wage: float
    curvature: float
    hours: float
    mentor: float
    mentor_working: float
    network: float
    home: float
    moving_cost: np.ndarray
    sector_switch_cost: float


def utility(
    weights: Weights,
    income: np.ndarray,
    cut: np.ndarray,
    mentor_quality: np.ndarray,
    trainee: np.ndarray,
    contacts: np.ndarray,
    is_home: np.ndarray,
    taste: np.ndarray,
    is_other_country: np.ndarray,
    is_other_sector: np.ndarray,
) -> np.ndarray:
    """Systematic utility of each alternative, shape (n, A).

    ``U = b_wage g(income) - b_hours cut + b_mentor quality + b_net ln(1 + contacts) + b_home [home] + taste
    - moving_cost [other country] - switch_cost [other sector, same country]``, where ``b_mentor`` is the
    training weight where the researcher would train (``trainee``) and the working weight elsewhere.
    ``income`` (pay and any subsidy, million KRW a year), ``cut`` (hours a week), ``mentor_quality``,
    ``trainee``, ``taste`` (persistent tastes, utils) and the indicators are (n, A); ``contacts`` is per
    alternative (A,).
    """
    # Computed on (A, n) views: the inputs are alternative-major (n, A) arrays, see the module docstring.
    u = weights.wage * income_utility(income.T, weights.curvature)
    u -= weights.hours * cut.T
    u += np.where(trainee.T, weights.mentor, weights.mentor_working) * mentor_quality.T
    u += (weights.network * np.log1p(contacts))[:, None]
    u += weights.home * is_home.T
    u += taste.T
    u -= weights.moving_cost[None, :] * is_other_country.T
    u -= weights.sector_switch_cost * (is_other_sector.T & ~is_other_country.T)
    return u.T


def logit_shares(u: np.ndarray, available: np.ndarray | None = None) -> np.ndarray:
    """Choice probabilities of the multinomial logit, ``exp(U_a) / sum_b exp(U_b)`` over the open alternatives."""
    u = np.where(available, u, -np.inf) if available is not None else u
    top = np.max(u, axis=-1, keepdims=True)
    e = np.exp(u - top)
    return e / e.sum(axis=-1, keepdims=True)


def choose(u: np.ndarray, gumbel: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Index of the chosen alternative: the argmax of ``U + Gumbel noise`` over the open ones."""
    return first_argmax(select(available, u + gumbel, -np.inf))


def first_argmax(x: np.ndarray) -> np.ndarray:
    """``np.argmax(x, axis=-1)`` of an (n, A) array: the first alternative holding each row's maximum (or NaN).

    One pass per alternative over all rows, several times faster than numpy's
    argmax, which loops over the few alternatives of each row in turn.
    """
    columns = np.moveaxis(x, -1, 0).reshape(x.shape[-1], -1)  # (A, n)
    top = columns.max(axis=0)
    found = np.zeros(len(top), dtype=bool)
    index = np.zeros(len(top), dtype=np.intp)
    for column in columns:
        found |= (column == top) | np.isnan(column)  # argmax takes the first NaN as the maximum
        index += ~found
    return index.reshape(x.shape[:-1])
