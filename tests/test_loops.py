"""The compiled loops of the vectorized engine against the numpy functions that state the math, bit for bit.

Random populations (any stage, sector, country, talent, hours, years in place,
star labs, exemptions, pay on top) go through a loop of simulation.loops (by way
of simulation.behaviour and simulation.observe) and through the pure numpy forms
of simulation.choice, simulation.lifecycle, simulation.mentors and
simulation.hours; the two must agree exactly.
"""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation import behaviour, choice, observe
from simulation.careers import ACADEMIA, PHD, POSTDOC, SECTORS, SENIOR, STAGES
from simulation.hours import cap_cut, research_time
from simulation.lifecycle import advance_careers, exits
from simulation.mentors import is_trainee, talent_growth
from simulation.parameters import with_parameters
from simulation.population import draw_cohort, gumbel_noise
from simulation.world import World

SETTINGS = settings(max_examples=25, deadline=None)
seeds = st.integers(min_value=0, max_value=2**32 - 1)


@pytest.fixture(scope="module", params=["small", "three_countries"])
def config(request, small_config, three_country_config):
    base = small_config if request.param == "small" else three_country_config
    # A curved utility of income and tie growth: every term of the utility is at work.
    return with_parameters(base, **{"preferences.income_curvature": 0.5, "preferences.tie_growth": 0.05})


def random_population(config, seed: int, n: int = 400):
    """Researchers of every kind, anywhere; and random mentor quality, star labs and contacts by country."""
    rng = np.random.default_rng(seed)
    world = World.from_config(config)
    pop = draw_cohort(rng, n, config, world, 0, 0)
    c = world.n_countries
    pop.stage[:] = rng.integers(0, len(STAGES), n)
    pop.sector[:] = np.where(pop.stage > PHD, rng.integers(0, len(SECTORS), n), ACADEMIA)
    pop.country[:] = rng.integers(0, c, n)
    pop.years_in_stage[:] = rng.integers(0, 8, n)
    pop.career_age[:] = rng.integers(0, 45, n)
    pop.years_in_place[:] = rng.integers(0, 30, n)
    pop.ln_talent[:] = rng.normal(0.0, 1.0, n)
    pop.exempt[:] = rng.random(n) < 0.3
    pop.phd_country[:] = np.where(pop.stage > PHD, rng.integers(0, c, n), -1)
    pop.phd_year[:] = np.where(pop.stage > PHD, rng.integers(2015, 2021, n), -1)
    mentor_quality = rng.normal(0.5, 0.5, c)
    lab_cut = np.where(rng.random(c) < 0.5, rng.normal(0.5, 0.5, c), np.inf)
    lab_gain = rng.random(c)
    contacts = 100.0 * rng.random(c)
    return rng, world, pop, mentor_quality, lab_cut, lab_gain, contacts


@SETTINGS
@given(seed=seeds)
def test_a_year_of_ageing_is_that_of_the_lifecycle_and_mentor_functions(config, seed):
    rng, world, pop, quality, lab_cut, lab_gain, _ = random_population(config, seed)
    exit_u, advance_u = rng.random(len(pop)), rng.random(len(pop))
    expected = {name: getattr(pop, name).copy() for name in ("stage", "years_in_stage", "career_age", "ln_talent")}
    c = pop.country.astype(np.intp)
    where = quality[c] + np.where(pop.ln_talent >= lab_cut[c], lab_gain[c], 0.0)
    expected["ln_talent"] += talent_growth(is_trainee(pop.stage, pop.sector), where, config.talent.training_gain)
    leaving = exits(exit_u, pop.stage, pop.career_age, world.exit_hazard, config.simulation.max_career_age)
    stage, years, transition = advance_careers(pop.stage, pop.years_in_stage, world.min_years, world.advance_p,
                                               advance_u)
    graduated = transition & (pop.stage == PHD)
    phd_country = np.where(graduated, pop.country, pop.phd_country)

    got_transition, got_leaving = behaviour.age_one_year(pop, world, config, quality, lab_cut, lab_gain, 2024, exit_u,
                                                         advance_u)
    np.testing.assert_array_equal(got_transition, transition)
    np.testing.assert_array_equal(got_leaving, leaving)
    np.testing.assert_array_equal(pop.stage, stage)
    np.testing.assert_array_equal(pop.years_in_stage, years)
    np.testing.assert_array_equal(pop.career_age, expected["career_age"] + 1)
    np.testing.assert_array_equal(pop.ln_talent, expected["ln_talent"])  # bit for bit
    np.testing.assert_array_equal(pop.phd_country, phd_country)
    assert (pop.phd_year[graduated] == 2024).all() and not pop.moved.any() and not pop.support.any()


@SETTINGS
@given(seed=seeds)
def test_offers_held_are_draws_below_the_offer_probability_at_posts_the_stage_allows(config, seed):
    rng, world, pop, *_ = random_population(config, seed)
    offer_u = rng.random((len(pop), world.n_alternatives))
    transition = rng.random(len(pop)) < 0.3
    chance = choice.offer_probability(pop.ln_talent, pop.stage, world.talent_sigma, world.offer_intercept,
                                      world.offer_slope, world.stage_shift, transition, world.transition_shift)
    expected = (offer_u < chance) & world.stage_allows[pop.stage]
    held, offered = behaviour.offers_held(pop, world, offer_u, transition)
    np.testing.assert_array_equal(held, expected)
    own = world.alternative(pop.country, pop.sector)
    np.testing.assert_array_equal(offered, (expected & (np.arange(world.n_alternatives) != own[:, None])).any(axis=1))
    assert 0 < expected.sum() < expected.size


def numpy_choice(pop, world, config, quality, lab_cut, lab_gain, contacts, bonus, exempt, available, noise_u):
    """The choice as the numpy functions state it: simulation.choice.utility over the terms of simulation.behaviour,
    then simulation.choice.choose with the Gumbel shocks of simulation.population.gumbel_noise."""
    p, h = config.preferences, config.hours
    c = world.alt_country
    mentor, trainee = behaviour.mentor_by_alternative(pop, world, quality, lab_cut, lab_gain)
    taste = pop.country_taste[:, c] + np.where(world.alt_sector == 1, pop.industry_taste[:, None], 0.0)
    other_country = c[None, :] != pop.country[:, None]
    weights = choice.Weights(wage=p.wage, curvature=p.income_curvature, hours=p.hours, mentor=p.mentor,
                             mentor_working=p.mentor_working, network=p.network, home=p.home,
                             moving_cost=p.moving_cost * (1.0 + p.tie_growth * pop.years_in_place),
                             sector_switch_cost=p.sector_switch_cost)
    pay = behaviour.base_pay(world, pop.stage, pop.ln_talent)
    u = choice.utility(weights, income=np.where(available, pay + bonus, choice.INCOME_REFERENCE),
                       cut=behaviour.cut_by_alternative(pop, world, exempt, h.peak_share, h.peak_extra),
                       mentor_quality=mentor, trainee=trainee, contacts=contacts[c],
                       is_home=world.country_alternatives[pop.origin], taste=taste, is_other_country=other_country,
                       is_other_sector=world.alt_sector[None, :] != pop.sector[:, None])
    return choice.choose(u, gumbel_noise(noise_u), available)


@SETTINGS
@given(seed=seeds)
def test_the_compiled_choice_is_the_utility_and_logit_choice_of_simulation_choice(config, seed):
    rng, world, pop, quality, lab_cut, lab_gain, contacts = random_population(config, seed)
    n, n_alt = len(pop), world.n_alternatives
    noise_u = rng.random((n, n_alt))
    bonus = rng.choice([0.0, 30.0, 400.0, 2500.0], size=(n, n_alt))
    exempt = rng.random((n, n_alt)) < 0.3
    available = (rng.random((n, n_alt)) < 0.6) & world.stage_allows[pop.stage]
    available[np.arange(n), world.alternative(pop.country, pop.sector)] = True
    expected = numpy_choice(pop, world, config, quality, lab_cut, lab_gain, contacts, bonus, exempt, available,
                            noise_u)
    chosen = behaviour.choose_alternatives(pop, world, config, quality, lab_cut, lab_gain, contacts, bonus, exempt,
                                           available, behaviour.minus_gumbel(noise_u.copy()))
    np.testing.assert_array_equal(chosen, expected)
    # The same researchers chosen as rows of the population: their own shocks, whatever the others'.
    rows = np.flatnonzero(rng.random(n) < 0.5)
    some = behaviour.choose_alternatives(pop, world, config, quality, lab_cut, lab_gain, contacts, bonus[rows],
                                         exempt[rows], available[rows], behaviour.minus_gumbel(noise_u[rows]), rows)
    np.testing.assert_array_equal(some, expected[rows])
    assert len(set(chosen.tolist())) > 1


def test_a_utility_that_is_not_finite_is_an_error(small_config):
    _, world, pop, quality, lab_cut, lab_gain, contacts = random_population(small_config, 1, n=20)
    shape = (len(pop), world.n_alternatives)
    with pytest.raises(FloatingPointError, match="not finite"):
        behaviour.choose_alternatives(pop, world, small_config, quality, lab_cut, lab_gain, contacts,
                                      np.full(shape, np.inf),
                                      np.zeros(shape, dtype=bool), np.ones(shape, dtype=bool), np.full(shape, 0.5))


@SETTINGS
@given(seed=seeds)
def test_observed_hours_output_and_graduates_are_the_numpy_sums(config, seed):
    _, world, pop, quality, *_ = random_population(config, seed)
    h = config.hours
    out = observe.observe(pop, world, h, year=2020, people_per_agent=1.0, top_cut=0.5, top1_cut=2.0,
                          mentor_quality=quality, flows=observe.Flows(0, 0, 0, 0, 0), entries=0, exits=0, levers={})
    employee = world.capped[pop.stage]
    covered = employee & (pop.employer_rank < world.cap_coverage[pop.country]) & np.isfinite(world.hours_cap[
        pop.country])
    cap = np.where(covered & ~pop.exempt, world.hours_cap[pop.country], np.inf)
    cut = cap_cut(pop.desired_hours, cap, h.peak_share, h.peak_extra)
    worked = pop.desired_hours + h.peak_share * h.peak_extra - cut
    output = np.bincount(pop.country, weights=np.exp(pop.ln_talent) * research_time(
        pop.desired_hours, cap, h.peak_share, h.peak_extra, h.output_kink, h.output_flat), minlength=world.n_countries)
    native = pop.origin == world.origin
    for i, code in enumerate(world.codes):
        here = pop.country == i
        surveyed = here & covered if (here & covered).any() else here & employee
        assert out[f"research_output_{code}"] == output[i]  # the same sum, in the same order
        if surveyed.any():
            assert out[f"hours_worked_{code}"] == pytest.approx(worked[surveyed].mean(), rel=1e-12)
            assert out[f"hours_cut_{code}"] == pytest.approx(cut[surveyed].mean(), rel=1e-12, abs=1e-12)
        else:
            assert np.isnan(out[f"hours_worked_{code}"]) and np.isnan(out[f"hours_cut_{code}"])
        assert out[f"top_talent_{code}"] == np.count_nonzero(here & (pop.ln_talent >= 0.5))
        for s, sector in enumerate(SECTORS):
            assert out[f"researchers_{code}_{sector}_senior"] == np.count_nonzero(
                here & (pop.sector == s) & (pop.stage == SENIOR))
        if i != world.origin:
            cohort = native & (pop.phd_country == i) & (pop.phd_year == 2015)
            assert out[f"phd_graduates_{code}"] == np.count_nonzero(native & (pop.phd_country == i)
                                                                    & (pop.phd_year == 2020))
            assert out[f"stay_rate_5y_{code}"] == pytest.approx(
                np.count_nonzero(cohort & here) / np.count_nonzero(cohort) if cohort.any() else np.nan, nan_ok=True)
    base = native & (pop.stage > PHD)
    assert out["share_abroad"] == np.count_nonzero(base & (pop.country != world.origin)) / np.count_nonzero(base)
    assert POSTDOC in pop.stage  # a population of every stage
