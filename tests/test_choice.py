"""The decision math and the career and mentor rules, against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import choice
from simulation.careers import ACADEMIA, INDUSTRY, JUNIOR, PHD, POSTDOC, SENIOR, STUDENT
from simulation.levers.salary_match import matched_amount
from simulation.lifecycle import advance_careers, decides, exits
from simulation.mentors import mentor_quality, senior_talent_pool, talent_growth

# Two countries, two sectors each: alternative a is country a // 2, sector a % 2.
ALT_COUNTRY = np.array([0, 0, 1, 1])
ALT_SECTOR = np.array([ACADEMIA, INDUSTRY, ACADEMIA, INDUSTRY])


def weights(n: int = 1, *, wage: float = 1.5, hours: float = 0.6, mentor: float = 1.5, network: float = 0.3,
            home: float = 1.0, moving_cost: float = 1.0, switch: float = 0.3) -> choice.Weights:
    return choice.Weights(wage=np.full(n, wage), hours=np.full(n, hours), mentor=np.full(n, mentor),
                          network=network, home=np.full(n, home), moving_cost=np.full(n, moving_cost),
                          sector_switch_cost=switch)


def shares_of_first(wage: np.ndarray, penalty: np.ndarray, mentor: np.ndarray) -> float:
    """Choice share of alternative 0 for one researcher at home (country 0) in academia."""
    u = choice.utility(weights(), wage=wage[None, :], penalty=penalty[None, :], mentor_quality=mentor,
                       contacts=np.array([50.0, 50.0, 10.0, 10.0]),
                       is_home=(ALT_COUNTRY == 0)[None, :], is_other_country=(ALT_COUNTRY != 0)[None, :],
                       is_other_sector=(ALT_SECTOR != ACADEMIA)[None, :])
    return float(choice.logit_shares(u)[0, 0])


# ---------------------------------------------------------------- logit shares and the choice
def test_logit_shares_equal_exp_utility_over_its_sum_and_sum_to_one():
    u = np.array([[0.3, -1.2, 2.0, 0.0], [5.0, 5.0, -3.0, 1.0]])
    expected = np.exp(u) / np.exp(u).sum(axis=1, keepdims=True)
    shares = choice.logit_shares(u)
    np.testing.assert_allclose(shares, expected, rtol=1e-12)
    np.testing.assert_allclose(shares.sum(axis=1), 1.0, rtol=1e-12)


def test_logit_shares_give_closed_alternatives_zero_and_renormalise_over_open_ones():
    u = np.array([[0.3, -1.2, 2.0, 0.0]])
    available = np.array([[True, True, False, True]])
    shares = choice.logit_shares(u, available)
    open_u = u[0, available[0]]
    assert shares[0, 2] == 0.0
    np.testing.assert_allclose(shares[0, available[0]], np.exp(open_u) / np.exp(open_u).sum(), rtol=1e-12)


def test_logit_shares_do_not_overflow_at_large_utilities():
    shares = choice.logit_shares(np.array([[1000.0, 999.0]]))
    np.testing.assert_allclose(shares[0], [1 / (1 + np.exp(-1.0)), 1 / (1 + np.exp(1.0))], rtol=1e-12)


@pytest.mark.parametrize("available", [[True, True, True, True], [True, False, True, True]])
def test_choice_frequencies_over_gumbel_draws_match_logit_shares(available):
    draws = 200_000
    u = np.array([0.3, -0.2, 1.0, 0.0])
    mask = np.broadcast_to(np.array(available), (draws, 4))
    gumbel = np.random.default_rng(20240601).gumbel(size=(draws, 4))
    chosen = choice.choose(np.broadcast_to(u, (draws, 4)), gumbel, mask)
    frequency = np.bincount(chosen, minlength=4) / draws
    expected = choice.logit_shares(u[None, :], np.array([available]))[0]
    standard_error = np.sqrt(expected * (1 - expected) / draws)
    # Five standard errors: a correct implementation fails about once in three million runs.
    assert np.all(np.abs(frequency - expected) <= 5 * standard_error + 1e-12), (frequency, expected)


def test_choose_never_picks_a_closed_alternative_however_good():
    u = np.array([[0.0, 100.0, 0.0, 0.0]])
    available = np.array([[True, False, True, True]])
    gumbel = np.random.default_rng(1).gumbel(size=(1000, 4))
    chosen = choice.choose(np.broadcast_to(u, (1000, 4)), gumbel, np.broadcast_to(available, (1000, 4)))
    assert not np.any(chosen == 1)


def test_utility_matches_its_closed_form_for_one_researcher():
    w = weights(wage=1.5, hours=0.6, mentor=1.5, network=0.3, home=1.0, moving_cost=2.0, switch=0.3)
    wage = np.array([[90.0, 170.0, 250.0, 300.0]])
    penalty = np.array([[0.6, 0.6, 0.0, 0.0]])
    mentor = np.array([1.0, 1.0, 1.5, 1.5])
    contacts = np.array([80.0, 80.0, 20.0, 20.0])
    # Researcher in country 0, academia, origin country 0.
    u = choice.utility(w, wage, penalty, mentor, contacts, is_home=(ALT_COUNTRY == 0)[None, :],
                       is_other_country=(ALT_COUNTRY != 0)[None, :], is_other_sector=(ALT_SECTOR != 0)[None, :])
    expected = (1.5 * np.log(wage[0]) - 0.6 * penalty[0] + 1.5 * mentor + 0.3 * np.log1p(contacts)
                + 1.0 * (ALT_COUNTRY == 0) - 2.0 * (ALT_COUNTRY != 0)
                - 0.3 * ((ALT_SECTOR != 0) & (ALT_COUNTRY == 0)))
    np.testing.assert_allclose(u[0], expected, rtol=1e-12)


def test_choice_share_rises_with_the_alternatives_wage():
    penalty, mentor = np.zeros(4), np.array([1.0, 1.0, 1.5, 1.5])
    shares = [shares_of_first(np.array([w, 170.0, 250.0, 300.0]), penalty, mentor) for w in (50, 90, 150, 400, 2000)]
    assert np.all(np.diff(shares) > 0), shares


def test_choice_share_falls_with_hours_over_the_cap_and_not_under_it():
    cap = np.array([52.0, 52.0, np.inf, np.inf])
    wage, mentor = np.array([90.0, 170.0, 250.0, 300.0]), np.array([1.0, 1.0, 1.5, 1.5])
    desired = np.array([40.0, 52.0, 55.0, 60.0, 70.0, 90.0])
    shares = [shares_of_first(wage, choice.hours_penalty(np.array([h]), cap)[0], mentor) for h in desired]
    assert shares[0] == pytest.approx(shares[1], rel=1e-12)  # under the cap: no bite
    assert np.all(np.diff(shares[1:]) < 0), shares


def test_choice_share_rises_with_the_alternatives_mentor_quality():
    wage, penalty = np.array([90.0, 170.0, 250.0, 300.0]), np.zeros(4)
    shares = [shares_of_first(wage, penalty, np.array([q, 1.0, 1.5, 1.5])) for q in (0.0, 0.4, 1.0, 2.0, 4.0)]
    assert np.all(np.diff(shares) > 0), shares


# --------------------------------------------------------------------------- pay, hours, offers
def test_pay_is_base_times_exp_of_convexity_times_log_talent():
    base = np.array([[100.0, 170.0, 250.0, 300.0], [100.0, 170.0, 250.0, 300.0]])
    convexity = np.array([0.1, 0.1, 1.15, 1.15])
    ln_talent = np.array([0.0, 1.0])
    expected = base * np.exp(convexity[None, :] * ln_talent[:, None])
    np.testing.assert_allclose(choice.pay(base, convexity, ln_talent), expected, rtol=1e-12)
    # At the median (ln talent 0) pay is the schedule's base.
    np.testing.assert_allclose(choice.pay(base, convexity, ln_talent)[0], base[0])


def test_pay_of_the_most_talented_grows_fastest_where_convexity_is_largest():
    base = np.ones((2, 2))
    pay = choice.pay(base, np.array([0.1, 1.15]), np.array([0.0, 1.0]))
    assert pay[1, 1] / pay[0, 1] > pay[1, 0] / pay[0, 0]


def test_hours_penalty_is_hours_over_the_cap_in_tens():
    desired = np.array([40.0, 52.0, 58.0, 72.0])
    cap = np.array([52.0, np.inf])
    expected = np.array([[0.0, 0.0], [0.0, 0.0], [0.6, 0.0], [2.0, 0.0]])
    np.testing.assert_allclose(choice.hours_penalty(desired, cap), expected, rtol=1e-12)


def test_hours_penalty_is_zero_where_the_researcher_is_exempt():
    desired = np.array([58.0, 72.0])
    cap = np.array([52.0, 52.0])
    exempt = np.array([[True, False], [False, True]])
    penalty = choice.hours_penalty(desired, cap, exempt)
    np.testing.assert_allclose(penalty, [[0.0, 0.6], [2.0, 0.0]], rtol=1e-12)


def test_offer_probability_is_logistic_in_standardised_talent():
    ln_talent = np.array([-1.0, 0.0, 0.5, 1.5])
    intercept, slope, sigma = np.array([-0.85, 5.0]), np.array([1.0, 0.0]), 0.5
    z = ln_talent[:, None] / sigma
    expected = 1 / (1 + np.exp(-(intercept[None, :] + slope[None, :] * z)))
    np.testing.assert_allclose(choice.offer_probability(ln_talent, sigma, intercept, slope), expected, rtol=1e-12)


def test_offer_probability_rises_with_talent_when_the_slope_is_positive():
    ln_talent = np.linspace(-2, 2, 9)
    prob = choice.offer_probability(ln_talent, 0.5, np.array([-0.85]), np.array([1.0]))[:, 0]
    assert np.all(np.diff(prob) > 0)
    assert np.all((prob > 0) & (prob < 1))
    median = choice.offer_probability(np.array([0.0]), 0.5, np.array([-0.85]), np.array([1.0]))[0, 0]
    assert median == pytest.approx(1 / (1 + np.exp(0.85)), rel=1e-12)


# ------------------------------------------------------------------------------ open alternatives
def test_open_alternatives_keep_current_and_origin_country_open_without_offers():
    three_countries = np.repeat(np.arange(3), 2)
    sectors = np.tile([ACADEMIA, INDUSTRY], 3)
    # Origin 0, now in country 1, no offers from anyone.
    available = choice.open_alternatives(np.array([False]), np.array([1]), np.array([0]),
                                         np.zeros((1, 3), dtype=bool), three_countries, sectors)
    np.testing.assert_array_equal(available[0], [True, True, True, True, False, False])


def test_open_alternatives_open_a_third_country_only_with_its_offer():
    three_countries = np.repeat(np.arange(3), 2)
    sectors = np.tile([ACADEMIA, INDUSTRY], 3)
    has_offer = np.array([[False, False, True], [False, True, False]])
    available = choice.open_alternatives(np.array([False, False]), np.array([0, 0]), np.array([0, 0]),
                                         has_offer, three_countries, sectors)
    np.testing.assert_array_equal(available[0], [True, True, False, False, True, True])
    np.testing.assert_array_equal(available[1], [True, True, True, True, False, False])


def test_open_alternatives_leave_only_academia_to_researchers_in_training():
    has_offer = np.ones((2, 2), dtype=bool)
    available = choice.open_alternatives(np.array([True, False]), np.array([0, 0]), np.array([0, 0]),
                                         has_offer, ALT_COUNTRY, ALT_SECTOR)
    np.testing.assert_array_equal(available[0], ALT_SECTOR == ACADEMIA)
    np.testing.assert_array_equal(available[1], [True, True, True, True])


# ----------------------------------------------------------------------------- salary matching
def test_matched_amount_is_share_of_the_gap_up_to_the_cap():
    abroad = np.array([300.0, 100.0, 2500.0, 90.0])
    home = np.array([100.0, 100.0, 200.0, 170.0])
    amount = matched_amount(abroad, home, share=0.5, cap=1000.0)
    np.testing.assert_allclose(amount, [100.0, 0.0, 1000.0, 0.0])


# ------------------------------------------------------------------------------------ mentors
def test_senior_talent_pool_sums_the_talent_of_seniors_by_country():
    country = np.array([0, 0, 1, 0, 1])
    stage = np.array([SENIOR, JUNIOR, SENIOR, SENIOR, PHD])
    ln_talent = np.array([0.5, 3.0, -0.2, 1.0, 2.0])
    pool = senior_talent_pool(country, stage, ln_talent, 3)
    np.testing.assert_allclose(pool, [np.exp(0.5) + np.exp(1.0), np.exp(-0.2), 0.0], rtol=1e-12)


def test_mentor_quality_is_floor_plus_weight_times_pool_over_initial_pool():
    floor, weight = np.array([0.4, 1.5, 1.0]), np.array([0.6, 0.0, 0.3])
    pool, initial = np.array([50.0, 20.0, 7.0]), np.array([100.0, 10.0, 0.0])
    quality = mentor_quality(floor, weight, pool, initial)
    np.testing.assert_allclose(quality, [0.4 + 0.6 * 0.5, 1.5, 1.0], rtol=1e-12)


def test_mentor_quality_falls_when_the_senior_pool_shrinks():
    floor, weight, initial = np.array([0.4]), np.array([0.6]), np.array([100.0])
    pools = np.array([[120.0], [100.0], [60.0], [0.0]])
    quality = [mentor_quality(floor, weight, p, initial)[0] for p in pools]
    assert np.all(np.diff(quality) < 0)
    assert quality[-1] == pytest.approx(0.4)


def test_talent_growth_is_gain_times_mentor_quality_for_trainees_only():
    training = np.array([True, True, False])
    quality_where = np.array([0.7, 1.5, 1.5])
    np.testing.assert_allclose(talent_growth(training, quality_where, 0.04), [0.028, 0.06, 0.0], rtol=1e-12)


# ---------------------------------------------------------------------------------- lifecycle
DURATIONS = np.array([2, 5, 2, 7, 10_000])


def test_advance_careers_moves_those_who_complete_a_stage_to_the_next():
    stage = np.array([STUDENT, STUDENT, PHD, POSTDOC, JUNIOR, SENIOR], dtype=np.int8)
    years = np.array([0, 1, 4, 0, 6, 35], dtype=np.int16)
    new_stage, new_years, transition = advance_careers(stage, years, DURATIONS)
    np.testing.assert_array_equal(transition, [False, True, True, False, True, False])
    np.testing.assert_array_equal(new_stage, [STUDENT, PHD, POSTDOC, POSTDOC, SENIOR, SENIOR])
    np.testing.assert_array_equal(new_years, [1, 0, 0, 1, 0, 36])
    assert new_stage.dtype == stage.dtype and new_years.dtype == years.dtype


def test_exits_follow_the_stage_hazard_and_retirement_age():
    hazard = np.array([0.10, 0.05, 0.06, 0.03, 0.025])
    stage = np.array([STUDENT, STUDENT, SENIOR, SENIOR, JUNIOR])
    exit_u = np.array([0.09, 0.11, 0.02, 0.9, 0.9])
    career_age = np.array([0, 1, 20, 40, 10])
    leaving = exits(exit_u, stage, career_age, hazard, max_career_age=40)
    np.testing.assert_array_equal(leaving, [True, False, True, True, False])


def test_decides_includes_transitions_approaches_and_hazard_but_never_leavers():
    transition = np.array([True, False, False, False, True])
    approached = np.array([False, True, False, False, False])
    reconsider_u = np.array([0.9, 0.9, 0.05, 0.5, 0.01])
    leaving = np.array([False, False, False, False, True])
    np.testing.assert_array_equal(decides(transition, reconsider_u, 0.1, approached, leaving),
                                  [True, True, True, False, False])
