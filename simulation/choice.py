"""The decision math: pay, the hours cap's bite, offers, utility and the logit choice.

Pure functions over numpy arrays with a leading researcher axis (n) and, where
it applies, an alternative axis (A). Both engines call these same functions, the
agent engine with one row at a time, so they compute the same numbers.

Arrays (n, A) built here are laid out alternative-major: computed as an (A, n)
array and returned as its transpose. A is a handful and n up to a million, so
numpy then loops over researchers in its inner loop, several times faster than
over the alternatives of one researcher. Layout never changes a value: each
element goes through the same floating-point operations either way.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.careers import ACADEMIA

#: Hours a week over the cap that make one unit of the hours penalty.
HOURS_UNIT = 10.0


def pay(base: np.ndarray, convexity: np.ndarray, ln_talent: np.ndarray) -> np.ndarray:
    """Pay in million KRW a year: ``base * exp(convexity * ln_talent)``.

    ``base`` (n, A) is the schedule's pay for each researcher's stage at median
    entry talent (``ln_talent = 0``); ``convexity`` (A,) is the elasticity of pay
    to talent, larger at the US top ("seven figures" only for the best).
    """
    return base * np.exp(convexity[:, None] * ln_talent[None, :]).T


def hours_penalty(desired_hours: np.ndarray, cap: np.ndarray, exempt: np.ndarray | None = None) -> np.ndarray:
    """Hours the cap takes away, in units of 10 hours a week: ``max(0, desired - cap) / 10``.

    ``desired_hours`` (n,), ``cap`` (A,) hours a week (inf: no cap); ``exempt``
    (n, A) marks alternatives where the researcher is exempt from the cap.
    """
    over = (np.maximum(desired_hours[None, :] - cap[:, None], 0.0) / HOURS_UNIT).T
    if exempt is not None and exempt.any():
        over = np.where(exempt, 0.0, over)
    return over


def offer_probability(ln_talent: np.ndarray, sigma: float, intercept: np.ndarray, slope: np.ndarray) -> np.ndarray:
    """Chance of an offer (admission, job or visa) from each country, rising with talent.

    Logistic in standardized talent ``z = ln_talent / sigma``:
    ``1 / (1 + exp(-(intercept + slope * z)))``; shape (n, C).
    """
    z = ln_talent[None, :] / sigma
    return (1.0 / (1.0 + np.exp(-(intercept[:, None] + slope[:, None] * z)))).T


@dataclass(frozen=True)
class Weights:
    """Utility weights, each already multiplied by the researcher's own taste, shape (n,)."""

    wage: np.ndarray
    hours: np.ndarray
    mentor: np.ndarray
    network: float
    home: np.ndarray
    moving_cost: np.ndarray
    sector_switch_cost: float


def utility(
    weights: Weights,
    wage: np.ndarray,
    penalty: np.ndarray,
    mentor_quality: np.ndarray,
    contacts: np.ndarray,
    is_home: np.ndarray,
    is_other_country: np.ndarray,
    is_other_sector: np.ndarray,
) -> np.ndarray:
    """Systematic utility of each alternative, shape (n, A).

    ``U = b_wage ln(wage) - b_hours penalty + b_mentor mentor + b_net ln(1 + contacts)
    + b_home [home] - moving_cost [other country] - switch_cost [other sector, same country]``.
    ``wage`` includes any subsidy (million KRW a year); ``mentor_quality`` and
    ``contacts`` are per alternative (A,); the indicator arrays are (n, A).
    """
    u = weights.wage[:, None] * np.log(wage)
    u -= weights.hours[:, None] * penalty
    u += (mentor_quality[:, None] * weights.mentor[None, :]).T
    u += weights.network * np.log1p(contacts)[None, :]
    u += weights.home[:, None] * is_home
    u -= weights.moving_cost[:, None] * is_other_country
    u -= weights.sector_switch_cost * (is_other_sector & ~is_other_country)
    return u


def logit_shares(u: np.ndarray, available: np.ndarray | None = None) -> np.ndarray:
    """Choice probabilities of the multinomial logit, ``exp(U_a) / sum_b exp(U_b)`` over the open alternatives."""
    u = np.where(available, u, -np.inf) if available is not None else u
    top = np.max(u, axis=-1, keepdims=True)
    e = np.exp(u - top)
    return e / e.sum(axis=-1, keepdims=True)


def choose(u: np.ndarray, gumbel: np.ndarray, available: np.ndarray) -> np.ndarray:
    """Index of the chosen alternative: the argmax of ``U + Gumbel noise`` over the open ones."""
    return first_argmax(np.where(available, u + gumbel, -np.inf))


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


def open_alternatives(
    training: np.ndarray,
    country: np.ndarray,
    origin: np.ndarray,
    has_offer: np.ndarray,
    alt_country: np.ndarray,
    alt_sector: np.ndarray,
) -> np.ndarray:
    """Which alternatives a researcher may choose, shape (n, A).

    The current country and the origin country are always open; any other
    needs an offer (``has_offer``, (n, C)). Researchers in training (``training``,
    (n,)) can only choose academia.
    """
    reachable = has_offer.T[alt_country]  # (A, n)
    reachable |= alt_country[:, None] == country[None, :]
    reachable |= alt_country[:, None] == origin[None, :]
    reachable &= ~((alt_sector[:, None] != ACADEMIA) & training[None, :])
    return reachable.T
