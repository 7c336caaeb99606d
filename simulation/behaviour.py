"""A researcher's year as functions over a Population: training, ageing, offers, choosing, moving.

The vectorized engine calls them on everyone at once. Their hot loops are
compiled (:mod:`simulation.loops`): one pass over the researchers, each going
through the formulas of the pure numpy functions of :mod:`simulation.choice`,
:mod:`simulation.lifecycle`, :mod:`simulation.mentors` and :mod:`simulation.hours`
(and :func:`mentor_by_alternative` and :func:`cut_by_alternative` here), which
state the math; tests/test_loops.py holds the loops to those functions. The
agent engine's researchers (:mod:`simulation.agents`) implement the same formulas
again in scalar Python, each over its own alternatives, with the same
floating-point operations in the same order; tests/test_agents.py holds the two
to the same choices, researcher by researcher.
"""

from __future__ import annotations

import numpy as np

from simulation import choice, loops, threads
from simulation.arrays import select
from simulation.careers import ACADEMIA, SECTORS
from simulation.hours import cap_cut, is_employee
from simulation.population import Population
from simulation.schema import Config
from simulation.world import World


def age_one_year(pop: Population, world: World, config: Config, mentor_quality: np.ndarray, lab_cut: np.ndarray,
                 lab_gain: np.ndarray, year: int, exit_u: np.ndarray, advance_u: np.ndarray
                 ) -> tuple[np.ndarray, np.ndarray]:
    """Train, age and advance every researcher of ``pop`` by one year, in place.

    Trainees (:func:`~simulation.mentors.is_trainee`) gain ``training_gain`` log
    talent per SD of the mentor quality where they train: their country's
    ``mentor_quality`` (C,), plus a star lab's ``lab_gain`` (C,) for those of log
    talent at or above the country's ``lab_cut`` (C,; inf where there are no
    labs). Those who finish a stage (:func:`~simulation.lifecycle.advance_careers`)
    move to the next (PhD graduates record where and when); those the stage's
    exit hazard or retirement takes leave (:func:`~simulation.lifecycle.exits`).
    Returns who made a transition and who leaves research this year, (n,) bool.
    """
    n = len(pop)
    transition, leaving = np.empty(n, dtype=bool), np.empty(n, dtype=bool)

    def span(start: int, stop: int) -> None:  # views of the span's rows
        rows = slice(start, stop)
        loops.age(pop.stage[rows], pop.sector[rows], pop.country[rows], pop.years_in_stage[rows],
                  pop.career_age[rows], pop.years_in_place[rows], pop.ln_talent[rows], pop.phd_country[rows],
                  pop.phd_year[rows], pop.moved[rows], pop.support[rows], exit_u[rows], advance_u[rows],
                  mentor_quality, lab_cut, lab_gain, config.talent.training_gain, world.exit_hazard, world.min_years,
                  world.advance_p, config.simulation.max_career_age, year, transition[rows], leaving[rows])

    threads.each(span, n)
    return transition, leaving


def by_stage(table: np.ndarray, stage: np.ndarray) -> np.ndarray:
    """Rows of a (stage, A) table for each researcher, as an (n, A) array laid out alternative-major."""
    return np.take(table.T, stage, axis=1).T


def offers_held(pop: Population, world: World, offer_u: np.ndarray, transition: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
    """Which alternatives each researcher holds an offer of this year (n, A), and whether each holds an offer of a
    post other than their own (n,).

    An offer is held where the draw ``offer_u`` (n, A) is below its chance
    (:func:`simulation.choice.offer_probability`), for posts open at the
    researcher's stage; ``transition`` (n,) marks those who end a stage this year.
    """
    minus_slope, chance_u = np.negative(world.offer_slope), offer_u.T
    n = len(pop)
    held, offered = np.empty((world.n_alternatives, n), dtype=bool), np.empty(n, dtype=bool)

    def span(start: int, stop: int) -> None:
        rows = slice(start, stop)
        allowed = np.empty(stop - start, dtype=np.int64)
        exponent = loops.offer_exponents(pop.ln_talent[rows], pop.stage[rows], transition[rows], world.talent_sigma,
                                         minus_slope, world.offer_intercept, world.stage_shift,
                                         world.transition_shift, world.stage_allows,
                                         np.empty((world.n_alternatives, stop - start)), allowed)
        loops.offers(np.exp(exponent, out=exponent), chance_u, pop.country[rows], pop.sector[rows], allowed,
                     len(SECTORS), start, held[:, rows], offered[rows])

    threads.each(span, n)
    return held.T, offered


def current_alternative(pop: Population, world: World) -> np.ndarray:
    """Index of the alternative (country, sector) each researcher is in (n,)."""
    return world.alternative(pop.country, pop.sector)


def open_alternatives(pop: Population, world: World, held: np.ndarray, transition: np.ndarray,
                      rows: np.ndarray | None = None) -> np.ndarray:
    """The posts each researcher at ``rows`` (all: None) may choose this year (len(rows), A): those they hold offers
    of (``held``, (n, A)), and their own post; at a stage transition (``transition``, (n,)), every post of their origin
    country open at the new stage instead of their own post.

    A stage transition ends a post (the PhD, a postdoc, the years before tenure): the researcher is on the job
    market. A post at home can always be found; any other, staying on abroad included, takes an offer (an
    employer, and the visa it sponsors).
    """
    home_posts = world.country_alternatives[:, None, :] & world.stage_allows[None, :, :]  # (C, stage, A)
    index, held_t = _rows(pop, rows), held.T
    available = np.empty((len(index), world.n_alternatives), dtype=bool)
    threads.each(lambda start, stop: loops.open_posts(index[start:stop], pop.origin, pop.country, pop.sector,
                                                      pop.stage, held_t, transition, home_posts, len(SECTORS),
                                                      available[start:stop]), len(index))
    return available


def _rows(pop: Population, rows: np.ndarray | None) -> np.ndarray:
    return np.arange(len(pop)) if rows is None else rows


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
                        lab_cut: np.ndarray, lab_gain: np.ndarray, contacts: np.ndarray, wage_bonus: np.ndarray,
                        exempt: np.ndarray, available: np.ndarray, minus_shock: np.ndarray,
                        rows: np.ndarray | None = None) -> np.ndarray:
    """The alternative each researcher of ``pop`` at ``rows`` (all: None) chooses this year (len(rows),).

    The open post (``available``, (len(rows), A), :func:`open_alternatives`) of
    highest systematic utility (:func:`simulation.choice.utility`) plus a Gumbel
    taste shock; ``minus_shock`` (len(rows), A) is minus the shocks of the
    researchers at ``rows`` (:func:`minus_gumbel`). Income is
    :func:`base_pay` plus ``wage_bonus``; ``wage_bonus`` (million KRW a year) and
    ``exempt`` (from the hours cap), (len(rows), A), are what the policy levers
    offer. Mentor quality is the country's ``mentor_quality`` (C,) and, for a
    trainee of log talent at or above ``lab_cut`` in its academia, a star lab's
    ``lab_gain``; ``contacts`` (C,) are the same-origin contacts in each country.
    """
    p, h = config.preferences, config.hours
    c = world.alt_country
    labs = np.isfinite(lab_cut[c]) & (world.alt_sector == ACADEMIA)
    index = _rows(pop, rows)
    m = len(index)
    chosen = np.empty(m, dtype=np.intp)
    # Decider-major, as loops.choose reads them.
    bonus, exempt_c = np.ascontiguousarray(wage_bonus, dtype=np.float64), np.ascontiguousarray(exempt, dtype=bool)
    available_c = np.ascontiguousarray(available, dtype=bool)
    pay_table = np.ascontiguousarray(world.pay[c, world.alt_sector].T)
    cap_table = np.where(world.capped[:, None], world.hours_cap[c][None, :], np.inf)
    mentor_table = np.where(world.trains_in, p.mentor, p.mentor_working)
    lab_cut_table = np.where(world.trains_in & labs[None, :], lab_cut[c][None, :], np.inf)
    network, home = p.network * np.log1p(contacts[c]), p.home * world.country_alternatives

    def span(start: int, stop: int) -> bool:
        span_ = slice(start, stop)  # the span's deciders: their rows, and views of their columns
        talent_pay = loops.talent_exponents(index[span_], pop.ln_talent, world.convexity,
                                            np.empty((stop - start, world.n_alternatives)))
        np.exp(talent_pay, out=talent_pay)  # (span, A): exp(convexity * ln_talent), as simulation.choice.pay
        return loops.choose(
            index[span_], pop.origin, pop.country, pop.sector, pop.stage, pop.years_in_place, pop.ln_talent,
            pop.desired_hours, pop.employer_rank, pop.country_taste, pop.industry_taste, talent_pay, minus_shock[span_],
            bonus[span_], exempt_c[span_], available_c[span_], c, world.alt_sector, pay_table, cap_table,
            world.cap_coverage[c], mentor_table, mentor_quality[c], lab_cut_table, lab_gain[c], network, home, p.wage,
            p.income_curvature, p.hours, h.peak_share, h.peak_extra, p.moving_cost, p.tie_growth,
            p.sector_switch_cost, chosen[span_])

    finite = all(threads.each(span, m))
    if not finite:
        raise FloatingPointError("a utility is not finite: a weight or an input is too large for the model")
    return chosen


def minus_gumbel(noise_u: np.ndarray) -> np.ndarray:
    """Minus the standard Gumbel shocks of the uniforms ``noise_u``, in place: ``log(-log u)``, the operations of
    :func:`simulation.population.gumbel_noise` but the last (a u below 1e-300 counts as 1e-300)."""
    flat = noise_u.reshape(-1)  # a view: the uniforms are contiguous

    def span(start: int, stop: int) -> None:
        part = flat[start:stop]
        np.maximum(part, 1e-300, out=part)
        np.log(part, out=part)
        np.negative(part, out=part)
        np.log(part, out=part)

    threads.each(span, len(flat))
    return noise_u


def move(pop: Population, rows: np.ndarray, alternative: np.ndarray, world: World) -> None:
    """Put the researchers at ``rows`` in their chosen alternative, in place."""
    loops.move(rows, alternative, world.alt_country, world.alt_sector, pop.country, pop.sector, pop.moved,
               pop.years_in_place)
