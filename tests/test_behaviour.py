"""A researcher's year: offers held, the posts open to them, the cap they face, and the mentors they meet."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import behaviour
from simulation.careers import ACADEMIA, INDUSTRY, JUNIOR, PHD, POSTDOC, SENIOR, STUDENT
from simulation.population import draw_cohort
from simulation.world import World

# Alternatives of the baseline: 0 KR academia, 1 KR industry, 2 US academia, 3 US industry.
KR_ACADEMIA, KR_INDUSTRY, US_ACADEMIA, US_INDUSTRY = range(4)


def population(config, stage, country, sector, **values):
    world = World.from_config(config)
    pop = draw_cohort(np.random.default_rng(1), len(stage), config, world, 0, 0)
    pop.stage[:], pop.country[:], pop.sector[:] = stage, country, sector
    for name, value in values.items():
        getattr(pop, name)[:] = value
    return pop, world


def test_own_post_is_always_open_and_other_posts_need_an_offer(small_config):
    pop, world = population(small_config, [SENIOR, SENIOR], [0, 1], [ACADEMIA, INDUSTRY])
    held = np.zeros((2, 4), dtype=bool)
    held[0, US_INDUSTRY] = True
    available = behaviour.open_alternatives(pop, world, held, np.array([False, False]))
    np.testing.assert_array_equal(available, [[True, False, False, True], [False, False, False, True]])
    # Returning home needs an offer from home too.
    assert not available[1, KR_ACADEMIA] and not available[1, KR_INDUSTRY]


def test_a_stage_transition_opens_the_posts_at_home_and_staying_abroad_needs_an_offer(small_config):
    pop, world = population(small_config, [POSTDOC, PHD, POSTDOC], [1, 0, 1], [ACADEMIA, ACADEMIA, ACADEMIA])
    held = np.zeros((3, 4), dtype=bool)
    held[2, US_INDUSTRY] = True
    available = behaviour.open_alternatives(pop, world, held, np.array([True, True, True]))
    # A new US PhD with no US offer must go home: the PhD's post has ended; with a US industry offer, that too.
    np.testing.assert_array_equal(available[0], [True, True, False, False])
    np.testing.assert_array_equal(available[1], [True, False, False, False])  # a PhD candidate trains in academia
    np.testing.assert_array_equal(available[2], [True, True, False, True])


def test_students_and_phd_candidates_hold_no_industry_offers(small_config):
    pop, world = population(small_config, [STUDENT, PHD, POSTDOC, JUNIOR], [0, 0, 0, 0], [0, 0, 0, 1])
    held, _ = behaviour.offers_held(pop, world, np.zeros((4, 4)), np.zeros(4, dtype=bool))  # draws of 0: all allowed
    np.testing.assert_array_equal(held[:, [KR_INDUSTRY, US_INDUSTRY]], [[False, False], [False, False],
                                                                        [True, True], [True, True]])
    assert held[:, [KR_ACADEMIA, US_ACADEMIA]].all()


def test_holding_an_offer_of_ones_own_post_is_no_new_offer(small_config):
    pop, world = population(small_config, [SENIOR, SENIOR], [0, 0], [ACADEMIA, ACADEMIA])
    offer_u = np.array([[0.0, 1.0, 1.0, 1.0], [0.0, 1.0, 0.0, 1.0]])  # 0: an offer; 1: none, whatever the chance
    held, offered = behaviour.offers_held(pop, world, offer_u, np.zeros(2, dtype=bool))
    np.testing.assert_array_equal(held, offer_u == 0.0)
    np.testing.assert_array_equal(offered, [False, True])


def test_the_cap_binds_employees_of_covered_employers_who_are_not_exempt(small_config):
    pop, world = population(small_config, [PHD, POSTDOC, SENIOR, SENIOR], [0, 0, 0, 0], [0, 0, 1, 1],
                            employer_rank=[0.1, 0.1, 0.1, 0.99])
    cap = behaviour.effective_cap(pop, world)
    np.testing.assert_array_equal(cap[:, KR_ACADEMIA], [np.inf, 52.0, 52.0, np.inf])  # coverage 0.95
    assert np.isinf(cap[:, US_ACADEMIA]).all() and np.isinf(cap[:, US_INDUSTRY]).all()
    exempt = np.zeros((4, 4), dtype=bool)
    exempt[1, KR_ACADEMIA] = True
    assert behaviour.effective_cap(pop, world, exempt)[1, KR_ACADEMIA] == np.inf


def test_a_star_lab_raises_mentor_quality_for_the_trainees_above_its_cut(small_config):
    pop, world = population(small_config, [STUDENT, STUDENT, POSTDOC, POSTDOC, JUNIOR], [0] * 5, [0, 0, 0, 1, 0],
                            ln_talent=[1.0, 0.0, 1.0, 1.0, 1.0])
    quality = np.array([0.8, 1.5])
    lab_cut, lab_gain = np.array([0.5, np.inf]), np.array([1.0, 0.0])
    by_alt, trainee = behaviour.mentor_by_alternative(pop, world, quality, lab_cut, lab_gain)
    np.testing.assert_allclose(by_alt[:, KR_ACADEMIA], [1.8, 0.8, 1.8, 1.8, 0.8])  # a junior is no trainee
    np.testing.assert_allclose(by_alt[:, KR_INDUSTRY], 0.8)
    np.testing.assert_allclose(by_alt[:, US_ACADEMIA], 1.5)
    np.testing.assert_array_equal(trainee[:, KR_ACADEMIA], [True, True, True, True, False])
    np.testing.assert_array_equal(trainee[:, KR_INDUSTRY], [True, True, False, False, False])
    before = pop.ln_talent.copy()
    never = np.ones(len(pop))  # draws of 1: no one leaves or ends a stage
    behaviour.age_one_year(pop, world, small_config, quality, lab_cut, lab_gain, 2020, never, never)
    gain = small_config.talent.training_gain
    # The quality where they train: a postdoc in industry and a junior train under no one.
    np.testing.assert_allclose(pop.ln_talent - before, gain * np.array([1.8, 0.8, 1.8, 0.0, 0.0]))


def test_pay_of_a_post_a_stage_does_not_offer_is_zero_and_such_posts_are_never_open(small_config):
    pop, world = population(small_config, [PHD], [0], [ACADEMIA])
    pay = behaviour.base_pay(world, pop.stage, pop.ln_talent)
    assert pay[0, KR_INDUSTRY] == 0 and pay[0, US_INDUSTRY] == 0
    available = behaviour.open_alternatives(pop, world, np.ones((1, 4), dtype=bool) & world.stage_allows[PHD],
                                            np.array([True]))
    assert not available[0, KR_INDUSTRY] and not available[0, US_INDUSTRY]


def test_current_pay_is_the_pay_of_the_own_post(small_config):
    pop, world = population(small_config, [SENIOR, JUNIOR], [1, 0], [INDUSTRY, ACADEMIA], ln_talent=[0.3, -0.2])
    pay = behaviour.base_pay(world, pop.stage, pop.ln_talent)
    np.testing.assert_allclose(behaviour.current_pay(world, pop, np.arange(2)), [pay[0, US_INDUSTRY],
                                                                                 pay[1, KR_ACADEMIA]], rtol=1e-12)
    assert pay[0, US_INDUSTRY] == pytest.approx(380.0 * np.exp(1.0 * 0.3))
