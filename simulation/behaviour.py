"""A researcher's year as pure functions over a Population: training, ageing, offers, choosing, moving.

The vectorized engine calls them on everyone at once. The agent engine's
researchers (:mod:`simulation.agents`) implement the same formulas again in
scalar Python, each over its own alternatives, with the same floating-point
operations in the same order; tests/test_agents.py holds the two to the same
choices, researcher by researcher.
"""

from __future__ import annotations

import numpy as np

from simulation import choice
from simulation.arrays import select
from simulation.careers import ACADEMIA, INDUSTRY, PHD, POSTDOC
from simulation.hours import cap_cut, is_employee
from simulation.lifecycle import advance_careers, exits
from simulation.mentors import is_trainee, talent_growth
from simulation.population import Population
from simulation.schema import Config
from simulation.world import World


def training_quality(pop: Population, mentor_quality: np.ndarray, lab_cut: np.ndarray, lab_gain: np.ndarray
                     ) -> np.ndarray:
    """Mentor quality each researcher trains under: the country's, plus a star lab's gain for the trainees of
    talent at or above the country's ``lab_cut`` (C,; inf where there are no labs)."""
    c = pop.country.astype(np.intp)  # np.take is several times faster with an intp index
    quality = np.take(mentor_quality, c)
    if np.isfinite(lab_cut).any():
        in_lab = pop.ln_talent >= np.take(lab_cut, c)
        quality += select(in_lab, np.take(lab_gain, c), 0.0)
    else:
        quality += 0.0  # what adding no lab's gain does (-0.0 becomes 0.0)
    return quality


def age_one_year(pop: Population, world: World, config: Config, quality: np.ndarray, year: int,
                 exit_u: np.ndarray, advance_u: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Train, age and advance every researcher of ``pop`` by one year, in place.

    Trainees gain talent from the mentor ``quality`` they train under (n,);
    those who finish a stage move to the next (PhD graduates record where and
    when). Returns who made a transition and who leaves research this year.
    """
    trainee = is_trainee(pop.stage, pop.sector)
    pop.ln_talent += talent_growth(trainee, quality, config.talent.training_gain)
    leaving = exits(exit_u, pop.stage, pop.career_age, world.exit_hazard, config.simulation.max_career_age)
    stage, years, transition = advance_careers(pop.stage, pop.years_in_stage, world.min_years, world.advance_p,
                                               advance_u)
    graduated = np.flatnonzero(transition & (stage == POSTDOC) & (pop.stage == PHD))  # an index: faster than a mask
    pop.phd_country[graduated] = pop.country[graduated]
    pop.phd_year[graduated] = year
    pop.stage[:], pop.years_in_stage[:] = stage, years
    pop.career_age += 1
    pop.years_in_place += 1
    pop.moved[:] = False
    pop.support[:] = 0.0
    return transition, leaving


def by_stage(table: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Rows of a (stage, A) table for each researcher, as an (n, A) array laid out alternative-major."""
    return np.take(table.T, stage, axis=1).T


def offers_held(pop: Population, world: World, offer_u: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """Which alternatives each researcher holds an offer of this year (n, A): a draw below the offer's chance,
    for posts open at the researcher's stage; ``transition`` (n,) marks those who end a stage this year."""
    prob = choice.offer_probability(pop.ln_talent, pop.stage, world.talent_sigma, world.offer_intercept,
                                    world.offer_slope, world.stage_shift, transition, world.transition_shift)
    held = offer_u.T < prob.T  # (A, n): both alternative-major
    held &= by_stage(world.stage_allows, pop.stage).T
    return held.T


def current_alternative(pop: Population, world: World) -> np.ndarray:
    """Index of the alternative (country, sector) each researcher is in (n,)."""
    return world.alternative(pop.country, pop.sector)


def holds_new_offer(held: np.ndarray, current: np.ndarray) -> np.ndarray:
    """Whether each researcher holds an offer of a post other than their own (n,)."""
    out = np.zeros(len(current), dtype=bool)
    for a, column in enumerate(held.T):
        out |= column & (current != a)
    return out


def open_alternatives(pop: Population, world: World, held: np.ndarray, transition: np.ndarray) -> np.ndarray:
    """The posts each researcher may choose this year (n, A): those they hold offers of, and their own post; at a
    stage transition, every post of their origin country open at the new stage instead of their own post.

    A stage transition ends a post (the PhD, a postdoc, the years before tenure): the researcher is on the job
    market. A post at home can always be found; any other, staying on abroad included, takes an offer (an
    employer, and the visa it sponsors).
    """
    home = np.take(world.country_alternatives.T, pop.origin, axis=1)  # (A, n)
    home &= by_stage(world.stage_allows, pop.stage).T
    home &= transition[None, :]
    home |= held.T
    rows = np.flatnonzero(~transition)
    home[current_alternative(pop, world)[rows], rows] = True
    return home.T


def base_pay(world: World, stage: np.ndarray, ln_talent: np.ndarray) -> np.ndarray:
    """Pay in each alternative (n, A), million KRW a year, before any subsidy; where a sector has no post at a
    stage, its pay is 0 (never chosen: such posts are not open)."""
    schedule = world.pay[world.alt_country, world.alt_sector]  # (A, stage)
    base = np.take(schedule, stage, axis=1).T  # alternative-major, as in simulation.choice
    return choice.pay(base, world.convexity, ln_talent)


def current_pay(world: World, pop: Population, rows: np.ndarray) -> np.ndarray:
    """Pay of the researchers at ``rows`` in their own post, million KRW a year."""
    a = current_alternative(pop, world)[rows]
    base = world.pay[world.alt_country[a], world.alt_sector[a], pop.stage[rows]]
    return base * np.exp(world.convexity[a] * pop.ln_talent[rows])


def effective_cap(pop: Population, world: World, exempt: np.ndarray | None = None) -> np.ndarray:
    """The working-hour cap each researcher would face in each alternative (n, A), hours a week: the country's
    cap where it binds them (employees whose employer it covers, not exempt), inf elsewhere."""
    c = world.alt_country
    bound = pop.employer_rank[None, :] < world.cap_coverage[c][:, None]  # (A, n)
    bound &= world.capped[pop.stage][None, :]
    if exempt is not None:
        bound &= ~exempt.T
    return select(bound, world.hours_cap[c][:, None], np.inf).T


def cut_by_alternative(pop: Population, world: World, exempt: np.ndarray, peak_share: float, peak_extra: float
                       ) -> np.ndarray:
    """Hours a week the cap would take from each researcher in each alternative (n, A), alternative-major:
    :func:`~simulation.hours.cap_cut` under :func:`effective_cap`.

    Computed only for the alternatives of countries with a cap: elsewhere the cap is inf and the cut 0.0, which
    is what cap_cut gives for an infinite cap.
    """
    c = world.alt_country
    capped = np.flatnonzero(np.isfinite(world.hours_cap[c]))
    if len(capped) == len(c):
        return cap_cut(pop.desired_hours[None, :], effective_cap(pop, world, exempt).T, peak_share, peak_extra).T
    cut = np.zeros((len(c), len(pop)))
    employee = is_employee(pop.stage, world.capped)
    for a in capped:
        bound = pop.employer_rank < world.cap_coverage[c[a]]
        bound &= employee
        bound &= ~exempt[:, a]
        cut[a] = cap_cut(pop.desired_hours, select(bound, world.hours_cap[c[a]], np.inf), peak_share, peak_extra)
    return cut.T


def mentor_by_alternative(pop: Population, world: World, mentor_quality: np.ndarray, lab_cut: np.ndarray,
                          lab_gain: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Mentor quality each researcher would meet in each alternative, and whether they would train there (n, A).

    Students and PhD candidates train wherever they go; postdoc-stage researchers
    train in academia. A trainee of talent at or above a country's lab cut would
    get a place in a star's lab there (academia) and its gain.
    """
    c, academia = world.alt_country, world.alt_sector == ACADEMIA
    trainee = by_stage(world.trains_in, pop.stage).T  # (A, n)
    quality = np.repeat(mentor_quality[c][:, None], len(pop), axis=1)
    labs = np.flatnonzero(np.isfinite(lab_cut[c]) & academia)
    for a in labs:  # only the alternatives with star labs: none without the programme
        in_lab = (pop.ln_talent >= lab_cut[c[a]]) & trainee[a]
        quality[a] += select(in_lab, lab_gain[c[a]], 0.0)
    return quality.T, trainee.T


def choose_alternatives(pop: Population, world: World, config: Config, mentor_quality: np.ndarray,
                        lab_cut: np.ndarray, lab_gain: np.ndarray, contacts: np.ndarray, pay: np.ndarray,
                        wage_bonus: np.ndarray, exempt: np.ndarray, available: np.ndarray,
                        gumbel: np.ndarray) -> np.ndarray:
    """The alternative each researcher of ``pop`` chooses this year (n,).

    ``pay`` (n, A) is :func:`base_pay`; ``wage_bonus`` and ``exempt`` (n, A) are
    what the policy levers offer; ``available`` (n, A) the open posts
    (:func:`open_alternatives`); ``gumbel`` (n, A) the year's taste shocks.
    """
    p, h = config.preferences, config.hours
    c = world.alt_country
    weights = choice.Weights(
        wage=p.wage, curvature=p.income_curvature, hours=p.hours, mentor=p.mentor,
        mentor_working=p.mentor_working, network=p.network, home=p.home,
        moving_cost=p.moving_cost * (1.0 + p.tie_growth * pop.years_in_place), sector_switch_cost=p.sector_switch_cost,
    )
    quality, trainee = mentor_by_alternative(pop, world, mentor_quality, lab_cut, lab_gain)
    taste = np.take(pop.country_taste.T, c, axis=0)  # (A, n)
    taste[world.alt_sector == INDUSTRY] += pop.industry_taste
    in_country = np.take(world.country_alternatives.T, pop.country, axis=1)  # (A, n)
    u = choice.utility(
        weights,
        income=select(available, pay + wage_bonus, choice.INCOME_REFERENCE),
        cut=cut_by_alternative(pop, world, exempt, h.peak_share, h.peak_extra),
        mentor_quality=quality,
        trainee=trainee,
        contacts=contacts[c],
        is_home=np.take(world.country_alternatives.T, pop.origin, axis=1).T,
        taste=taste.T,
        is_other_country=~in_country.T,
        is_other_sector=(world.alt_sector[:, None] != pop.sector[None, :]).T,
    )
    if not np.isfinite(u).all():
        raise FloatingPointError("a utility is not finite: a weight or an input is too large for the model")
    return choice.choose(u, gumbel, available)


def move(pop: Population, rows: np.ndarray, alternative: np.ndarray, world: World) -> None:
    """Put the researchers at ``rows`` in their chosen alternative, in place."""
    new_country = world.alt_country[alternative].astype(pop.country.dtype)
    moved = new_country != pop.country[rows]
    pop.moved[rows] = moved
    pop.years_in_place[rows[moved]] = 0
    pop.country[rows] = new_country
    pop.sector[rows] = world.alt_sector[alternative]
