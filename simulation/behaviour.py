"""A researcher's year as pure functions over a Population: ageing, choosing, moving.

The vectorized engine calls them on everyone at once; each agent of the agent
engine calls them on a one-row Population of its own state. Same code, same
random numbers, same results.
"""

from __future__ import annotations

import numpy as np

from simulation import choice
from simulation.careers import PHD, POSTDOC
from simulation.lifecycle import advance_careers, exits
from simulation.mentors import talent_growth
from simulation.population import TASTES, Population
from simulation.schema import Config
from simulation.world import World

_WAGE, _HOURS, _MENTOR, _HOME, _MOVING = (TASTES.index(t) for t in ("wage", "hours", "mentor", "home", "moving_cost"))


def age_one_year(pop: Population, world: World, config: Config, mentor_quality: np.ndarray, year: int,
                 exit_u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train, age and advance every researcher of ``pop`` by one year, in place.

    Trainees gain talent from the mentors where they are; those who finish a
    stage move to the next (PhD graduates record where and when). Returns who
    made a transition and who leaves research this year.
    """
    pop.ln_talent += talent_growth(world.training[pop.stage], mentor_quality[pop.country], config.talent.training_gain)
    leaving = exits(exit_u, pop.stage, pop.career_age, world.exit_hazard, config.simulation.max_career_age)
    stage, years, transition = advance_careers(pop.stage, pop.years_in_stage, world.durations)
    graduated = transition & (stage == POSTDOC) & (pop.stage == PHD)
    pop.phd_country[graduated] = pop.country[graduated]
    pop.phd_year[graduated] = year
    pop.stage[:], pop.years_in_stage[:] = stage, years
    pop.career_age += 1
    pop.years_in_place += 1
    pop.moved[:] = False
    pop.support[:] = 0.0
    return transition, leaving


def base_pay(world: World, stage: np.ndarray, ln_talent: np.ndarray) -> np.ndarray:
    """Pay in each alternative (n, A), million KRW a year, before any subsidy."""
    schedule = world.pay[world.alt_country, world.alt_sector]  # (A, stage)
    base = np.take(schedule, stage, axis=1).T  # alternative-major, as in simulation.choice
    return choice.pay(base, world.convexity[world.alt_country], ln_talent)


def choose_alternatives(pop: Population, world: World, config: Config, mentor_quality: np.ndarray,
                        contacts: np.ndarray, pay: np.ndarray, wage_bonus: np.ndarray, exempt: np.ndarray,
                        offer_u: np.ndarray, gumbel: np.ndarray) -> np.ndarray:
    """The alternative each researcher of ``pop`` chooses this year (n,).

    ``pay`` (n, A) is :func:`base_pay`; ``wage_bonus`` and ``exempt`` (n, A) are
    what the policy levers offer; ``offer_u`` (n, C) and ``gumbel`` (n, A) are
    the researcher's draws.
    """
    p = config.preferences
    alt_c = world.alt_country
    prob = choice.offer_probability(pop.ln_talent, config.talent.sigma, world.offer_intercept, world.offer_slope)
    has_offer = offer_u < prob
    training = world.training[pop.stage]
    available = choice.open_alternatives(training, pop.country, pop.origin, has_offer, alt_c, world.alt_sector)
    tie_growth = 1.0 + p.moving_cost_growth * pop.years_in_place
    weights = choice.Weights(
        wage=p.wage * pop.taste[:, _WAGE],
        hours=p.hours * pop.taste[:, _HOURS],
        mentor=np.where(training, p.mentor, p.mentor_working) * pop.taste[:, _MENTOR],
        network=p.network,
        home=p.home * pop.taste[:, _HOME],
        moving_cost=p.moving_cost * pop.taste[:, _MOVING] * tie_growth,
        sector_switch_cost=p.sector_switch_cost,
    )
    u = choice.utility(
        weights,
        wage=pay + wage_bonus,
        penalty=choice.hours_penalty(pop.desired_hours, world.hours_cap[alt_c], exempt),
        mentor_quality=mentor_quality[alt_c],
        contacts=contacts[alt_c],
        is_home=(alt_c[:, None] == pop.origin[None, :]).T,
        is_other_country=(alt_c[:, None] != pop.country[None, :]).T,
        is_other_sector=(world.alt_sector[:, None] != pop.sector[None, :]).T,
    )
    return choice.choose(u, gumbel, available)


def move(pop: Population, rows: np.ndarray, alternative: np.ndarray, world: World) -> None:
    """Put the researchers at ``rows`` in their chosen alternative, in place."""
    new_country = world.alt_country[alternative].astype(pop.country.dtype)
    moved = new_country != pop.country[rows]
    pop.moved[rows] = moved
    pop.years_in_place[rows[moved]] = 0
    pop.country[rows] = new_country
    pop.sector[rows] = world.alt_sector[alternative]
