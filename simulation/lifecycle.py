"""Careers year by year: ageing, stage transitions and exits, as pure functions."""

from __future__ import annotations

import numpy as np

from simulation.careers import SENIOR


def advance_careers(stage: np.ndarray, years_in_stage: np.ndarray, durations: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One more year in the stage; those who complete it move to the next.

    Returns the new stage, the new years in stage, and whether each
    researcher made a transition this year (and so must choose where to go).
    """
    years = years_in_stage + 1
    transition = (years >= durations[stage]) & (stage < SENIOR)
    new_stage = np.where(transition, stage + 1, stage).astype(stage.dtype)
    new_years = np.where(transition, 0, years).astype(years_in_stage.dtype)
    return new_stage, new_years, transition


def exits(exit_u: np.ndarray, stage: np.ndarray, career_age: np.ndarray, exit_hazard: np.ndarray,
          max_career_age: int) -> np.ndarray:
    """Who leaves research this year: the stage's hazard, or retirement at ``max_career_age``."""
    return (exit_u < exit_hazard[stage]) | (career_age >= max_career_age)


def decides(transition: np.ndarray, reconsider_u: np.ndarray, hazard: float, approached: np.ndarray,
            leaving: np.ndarray) -> np.ndarray:
    """Who chooses this year: everyone at a transition or approached by a programme,
    and others with the yearly reconsideration hazard; never those who leave."""
    return (transition | approached | (reconsider_u < hazard)) & ~leaving
