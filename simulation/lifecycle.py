"""Careers year by year: ageing, stage transitions and exits, as pure functions.

A stage lasts at least its minimum number of years; after that it ends each
year with a fixed chance (a shifted geometric length), so that stage ends, and
the decisions they bring, spread over career ages instead of falling on one
clock for everyone. Exits (leaving research) and stage ends depend on stage and
career age only, never on where a researcher is: :func:`steady_state_presence`
can therefore give the expected life of a cohort in closed form.
"""

from __future__ import annotations

import numpy as np

from simulation.careers import SENIOR


def advance_careers(stage: np.ndarray, years_in_stage: np.ndarray, minimum: np.ndarray, advance_p: np.ndarray,
                    advance_u: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One more year in the stage; those who complete it move to the next.

    ``minimum`` (stage,) is the fewest years of each stage and ``advance_p`` (stage,)
    the yearly chance of ending it after that; ``advance_u`` (n,) are uniform draws.
    Returns the new stage, the new years in stage, and whether each researcher made
    a transition this year (and so chooses where to go).
    """
    years = years_in_stage + 1
    index = stage.astype(np.intp)  # np.take is several times faster with an intp index
    transition = years >= np.take(minimum, index)
    transition &= advance_u < np.take(advance_p, index)
    transition &= stage < SENIOR
    new_stage = (stage + transition).astype(stage.dtype)
    new_years = (years * ~transition).astype(years_in_stage.dtype)
    return new_stage, new_years, transition


def exits(exit_u: np.ndarray, stage: np.ndarray, career_age: np.ndarray, exit_hazard: np.ndarray,
          max_career_age: int) -> np.ndarray:
    """Who leaves research this year: the stage's hazard, or retirement at ``max_career_age``."""
    leaving = exit_u < np.take(exit_hazard, stage.astype(np.intp))
    leaving |= career_age >= max_career_age
    return leaving


def decides(transition: np.ndarray, offered: np.ndarray, approached: np.ndarray, leaving: np.ndarray) -> np.ndarray:
    """Who chooses this year: those at a stage transition, those holding an offer of a post other than their own,
    and those a programme approaches; never those who leave research."""
    return (transition | offered | approached) & ~leaving


def steady_state_presence(minimum: np.ndarray, advance_p: np.ndarray, exit_hazard: np.ndarray,
                          max_career_age: int) -> np.ndarray:
    """Expected researchers in each stage, at each year's observation, per entrant a year, in the steady state.

    Follows one entrant through the year's order of the model: it enters as a
    student, then each year may leave (its stage's hazard, or retirement once its
    career age reaches ``max_career_age``), finishes a year of its stage (and may
    move to the next), and is observed if it stayed. With one entrant a year, the
    number observed in a stage in the steady state is the sum over career ages of
    the chance of being observed there. Shape (stage,), in researchers.
    """
    n_stages = len(minimum)
    depth = int(min(max(minimum[:-1].max(initial=1), 1), max_career_age + 1)) + 1
    mass = np.zeros((n_stages, depth))  # (stage, years in stage capped at the minimum): chance before the year
    mass[0, 0] = 1.0
    presence = np.zeros(n_stages)
    for _ in range(max_career_age):
        mass *= (1.0 - exit_hazard)[:, None]
        after = np.zeros_like(mass)
        for s in range(n_stages):
            for y in range(depth):
                m = mass[s, y]
                if m == 0.0:
                    continue
                served = y + 1
                if s < n_stages - 1 and served >= minimum[s]:
                    after[s + 1, 0] += m * advance_p[s]
                    after[s, min(served, depth - 1)] += m * (1.0 - advance_p[s])
                else:
                    after[s, min(served, depth - 1)] += m
        mass = after
        presence += mass.sum(axis=1)
    return presence
