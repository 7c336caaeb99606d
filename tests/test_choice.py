"""The decision math and the career and mentor rules, against their closed forms."""

from __future__ import annotations

import numpy as np
import pytest

from simulation import choice
from simulation.careers import ACADEMIA, INDUSTRY, JUNIOR, PHD, POSTDOC, SENIOR, STUDENT
from simulation.levers.salary_match import matched_amount
from simulation.lifecycle import advance_careers, decides, exits, steady_state_presence
from simulation.mentors import is_trainee, lab_talent_cut, mentor_quality, talent_growth, talent_per_trainee

# Two countries, two sectors each: alternative a is country a // 2, sector a % 2.
ALT_COUNTRY = np.array([0, 0, 1, 1])
ALT_SECTOR = np.array([ACADEMIA, INDUSTRY, ACADEMIA, INDUSTRY])


def weights(*, wage: float = 0.5, curvature: float = 0.0, hours: float = 0.02, mentor: float = 1.5,
            mentor_working: float = 0.5, network: float = 0.3, home: float = 1.0, moving_cost: float = 1.0,
            switch: float = 0.3, n: int = 1) -> choice.Weights:
    return choice.Weights(wage=wage, curvature=curvature, hours=hours, mentor=mentor, mentor_working=mentor_working,
                          network=network, home=home, moving_cost=np.full(n, moving_cost), sector_switch_cost=switch)


def utility_of(w: choice.Weights, income: np.ndarray, cut: np.ndarray, mentor: np.ndarray,
               trainee: bool = True) -> np.ndarray:
    """Utility of the four alternatives for one researcher of country 0, in academia, origin country 0."""
    return choice.utility(w, income=income[None, :], cut=cut[None, :], mentor_quality=mentor[None, :],
                          trainee=np.full((1, 4), trainee), contacts=np.array([50.0, 50.0, 10.0, 10.0]),
                          is_home=(ALT_COUNTRY == 0)[None, :], taste=np.zeros((1, 4)),
                          is_other_country=(ALT_COUNTRY != 0)[None, :],
                          is_other_sector=(ALT_SECTOR != ACADEMIA)[None, :])


def shares_of_first(income: np.ndarray, cut: np.ndarray, mentor: np.ndarray) -> float:
    """Choice share of alternative 0 for one researcher at home (country 0) in academia."""
    return float(choice.logit_shares(utility_of(weights(), income, cut, mentor))[0, 0])


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
    w = weights(wage=0.5, hours=0.02, mentor=1.5, mentor_working=0.5, network=0.3, home=1.0, moving_cost=2.0,
                switch=0.3)
    income = np.array([90.0, 170.0, 250.0, 300.0])
    cut = np.array([2.5, 2.5, 0.0, 0.0])
    mentor = np.array([1.0, 1.0, 1.5, 1.5])
    trainee = np.array([[True, False, True, False]])
    taste = np.array([[0.2, 0.7, -0.4, 0.1]])
    contacts = np.array([80.0, 80.0, 20.0, 20.0])
    u = choice.utility(w, income[None, :], cut[None, :], mentor[None, :], trainee, contacts,
                       is_home=(ALT_COUNTRY == 0)[None, :], taste=taste, is_other_country=(ALT_COUNTRY != 0)[None, :],
                       is_other_sector=(ALT_SECTOR != 0)[None, :])
    expected = (0.5 * (income / 100.0 - 1.0) - 0.02 * cut + np.where(trainee[0], 1.5, 0.5) * mentor
                + 0.3 * np.log1p(contacts) + 1.0 * (ALT_COUNTRY == 0) + taste[0] - 2.0 * (ALT_COUNTRY != 0)
                - 0.3 * ((ALT_SECTOR != 0) & (ALT_COUNTRY == 0)))
    np.testing.assert_allclose(u[0], expected, rtol=1e-12)


def test_choice_share_rises_with_the_alternatives_pay():
    cut, mentor = np.zeros(4), np.array([1.0, 1.0, 1.5, 1.5])
    shares = [shares_of_first(np.array([w, 170.0, 250.0, 300.0]), cut, mentor) for w in (50, 90, 150, 400, 2000)]
    assert np.all(np.diff(shares) > 0), shares


def test_choice_share_falls_with_the_hours_the_cap_takes():
    income, mentor = np.array([90.0, 170.0, 250.0, 300.0]), np.array([1.0, 1.0, 1.5, 1.5])
    shares = [shares_of_first(income, np.array([c, c, 0.0, 0.0]), mentor) for c in (0.0, 1.0, 2.6, 8.0)]
    assert np.all(np.diff(shares) < 0), shares


def test_choice_share_rises_with_the_alternatives_mentor_quality():
    income, cut = np.array([90.0, 170.0, 250.0, 300.0]), np.zeros(4)
    shares = [shares_of_first(income, cut, np.array([q, 1.0, 1.5, 1.5])) for q in (0.0, 0.4, 1.0, 2.0, 4.0)]
    assert np.all(np.diff(shares) > 0), shares


# ---------------------------------------------------------------------------- the utility of income
@pytest.mark.parametrize("curvature", [0.0, 0.3, 0.5, 1.0])
def test_income_utility_has_slope_one_per_hundred_million_at_a_hundred_million(curvature):
    h = 1e-4
    slope = (choice.income_utility(np.array([100.0 + h]), curvature)
             - choice.income_utility(np.array([100.0 - h]), curvature)) / (2 * h)
    assert slope[0] * 100.0 == pytest.approx(1.0, rel=1e-6)
    assert choice.income_utility(np.array([100.0]), curvature)[0] == pytest.approx(0.0, abs=1e-12)


def test_income_utility_is_levels_at_curvature_zero_and_logs_at_one():
    y = np.array([20.0, 100.0, 2000.0])
    np.testing.assert_allclose(choice.income_utility(y, 0.0), y / 100.0 - 1.0, rtol=1e-12)
    np.testing.assert_allclose(choice.income_utility(y, 1.0), np.log(y / 100.0), rtol=1e-12)
    np.testing.assert_allclose(choice.income_utility(y, 0.5), 2.0 * (np.sqrt(y / 100.0) - 1.0), rtol=1e-12)


def test_in_levels_a_billion_won_gap_weighs_ten_times_a_hundred_million_gap():
    top = choice.income_utility(np.array([2000.0]), 0.0) - choice.income_utility(np.array([1000.0]), 0.0)
    low = choice.income_utility(np.array([200.0]), 0.0) - choice.income_utility(np.array([100.0]), 0.0)
    assert top[0] == pytest.approx(10 * low[0], rel=1e-12)
    # In logs the two doublings would weigh the same.
    top_log = choice.income_utility(np.array([2000.0]), 1.0) - choice.income_utility(np.array([1000.0]), 1.0)
    low_log = choice.income_utility(np.array([200.0]), 1.0) - choice.income_utility(np.array([100.0]), 1.0)
    assert top_log[0] == pytest.approx(low_log[0], rel=1e-12)


@pytest.mark.parametrize("curvature", [0.0, 0.4, 1.0])
def test_money_equivalent_inverts_the_utility_of_income(curvature):
    income = np.array([30.0, 100.0, 900.0])
    gain = np.array([0.05, 0.4, 2.0])
    m = choice.money_equivalent(income, gain, curvature)
    np.testing.assert_allclose(choice.income_utility(income + m, curvature) - choice.income_utility(income, curvature),
                               gain, rtol=1e-9)
    assert np.all(m > 0)


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


def test_offer_probability_is_logistic_in_standardised_talent_plus_the_stage_shift():
    ln_talent = np.array([-1.0, 0.0, 0.5, 1.5])
    stage = np.array([STUDENT, PHD, POSTDOC, SENIOR])
    shift = np.array([1.0, -2.0, 0.0, -0.5, -1.5])
    intercept, slope, sigma = np.array([-0.85, 5.0]), np.array([1.0, 0.0]), 0.5
    z = ln_talent[:, None] / sigma
    expected = 1 / (1 + np.exp(-(intercept[None, :] + slope[None, :] * z + shift[stage][:, None])))
    np.testing.assert_allclose(choice.offer_probability(ln_talent, stage, sigma, intercept, slope, shift), expected,
                               rtol=1e-12)


def test_offer_probability_rises_with_talent_when_the_slope_is_positive():
    ln_talent = np.linspace(-2, 2, 9)
    stage = np.full(9, SENIOR)
    prob = choice.offer_probability(ln_talent, stage, 0.5, np.array([-0.85]), np.array([1.0]), np.zeros(5))[:, 0]
    assert np.all(np.diff(prob) > 0)
    assert np.all((prob > 0) & (prob < 1))


# ----------------------------------------------------------------------------- salary matching
def test_matched_amount_is_share_of_the_gap_up_to_the_cap():
    abroad = np.array([300.0, 100.0, 2500.0, 90.0])
    home = np.array([100.0, 100.0, 200.0, 170.0])
    amount = matched_amount(abroad, home, share=0.5, cap=1000.0)
    np.testing.assert_allclose(amount, [100.0, 0.0, 1000.0, 0.0])


# ------------------------------------------------------------------------------------ mentors
def test_trainees_are_students_phd_candidates_and_academic_postdocs():
    stage = np.array([STUDENT, PHD, POSTDOC, POSTDOC, JUNIOR, SENIOR])
    sector = np.array([ACADEMIA, ACADEMIA, ACADEMIA, INDUSTRY, ACADEMIA, ACADEMIA])
    np.testing.assert_array_equal(is_trainee(stage, sector), [True, True, True, False, False, False])


def test_talent_per_trainee_sums_academic_seniors_talent_over_trainees_by_country():
    country = np.array([0, 0, 0, 0, 1, 1, 0])
    sector = np.array([ACADEMIA, INDUSTRY, ACADEMIA, ACADEMIA, ACADEMIA, ACADEMIA, ACADEMIA])
    stage = np.array([SENIOR, SENIOR, PHD, STUDENT, SENIOR, JUNIOR, POSTDOC])
    ln_talent = np.array([0.5, 3.0, 0.0, 0.0, -0.2, 1.0, 0.0])
    ratio = talent_per_trainee(country, sector, stage, ln_talent, 3)
    # Country 0: one academic senior (the industry senior does not mentor) over three trainees; country 1: one
    # senior and no trainee (counted as one); country 2: nobody.
    np.testing.assert_allclose(ratio, [np.exp(0.5) / 3, np.exp(-0.2), 0.0], rtol=1e-12)


def test_mentor_quality_is_floor_plus_weight_times_log_of_one_plus_ratio_over_reference():
    floor, weight = np.array([0.4, 1.5]), np.array([0.6, 0.0])
    ratio = np.array([0.3, 5.0])
    np.testing.assert_allclose(mentor_quality(floor, weight, ratio, 0.3), [0.4 + 0.6 * np.log(2.0), 1.5], rtol=1e-12)


def test_mentor_quality_falls_as_senior_talent_per_trainee_falls():
    quality = [mentor_quality(np.array([0.4]), np.array([0.6]), np.array([r]), 0.3)[0] for r in (1.0, 0.5, 0.1, 0.0)]
    assert np.all(np.diff(quality) < 0)
    assert quality[-1] == pytest.approx(0.4)


def test_lab_places_go_to_the_most_talented_trainees():
    ln_talent = np.array([0.3, -1.0, 2.0, 0.9, 0.1])
    assert lab_talent_cut(ln_talent, 2.0) == 0.9  # the two best: 2.0 and 0.9
    assert lab_talent_cut(ln_talent, 2.7) == 0.9  # whole places only
    assert lab_talent_cut(ln_talent, 0.0) == np.inf
    assert lab_talent_cut(ln_talent, 9.0) == -np.inf


def test_talent_growth_is_gain_times_mentor_quality_for_trainees_only():
    training = np.array([True, True, False])
    quality_where = np.array([0.7, 1.5, 1.5])
    np.testing.assert_allclose(talent_growth(training, quality_where, 0.04), [0.028, 0.06, 0.0], rtol=1e-12)


# ---------------------------------------------------------------------------------- lifecycle
MINIMUM = np.array([1, 3, 1, 4, 10_000])
ADVANCE = np.array([0.5, 1 / 2.8, 1 / 1.8, 1 / 3.5, 0.0])


def test_advance_careers_ends_a_stage_after_its_minimum_with_its_chance():
    stage = np.array([STUDENT, STUDENT, PHD, PHD, POSTDOC, JUNIOR, SENIOR], dtype=np.int8)
    years = np.array([0, 0, 1, 5, 0, 3, 35], dtype=np.int16)
    advance_u = np.array([0.4, 0.6, 0.0, 0.3, 0.5, 0.2, 0.0])
    new_stage, new_years, transition = advance_careers(stage, years, MINIMUM, ADVANCE, advance_u)
    # Student at its first year's end: minimum served, 0.4 < 0.5 ends it, 0.6 does not. A PhD in its second year
    # has not served its three. The senior never moves.
    np.testing.assert_array_equal(transition, [True, False, False, True, True, True, False])
    np.testing.assert_array_equal(new_stage, [PHD, STUDENT, PHD, POSTDOC, JUNIOR, SENIOR, SENIOR])
    np.testing.assert_array_equal(new_years, [0, 1, 2, 0, 0, 0, 36])
    assert new_stage.dtype == stage.dtype and new_years.dtype == years.dtype


def test_stage_lengths_are_shifted_geometric_with_the_configured_mean():
    rng = np.random.default_rng(8)
    n = 200_000
    stage = np.full(n, PHD, dtype=np.int8)
    years = np.zeros(n, dtype=np.int16)
    length = np.zeros(n)
    done = np.zeros(n, dtype=bool)
    for year in range(1, 60):
        stage, years, transition = advance_careers(stage, years, MINIMUM, ADVANCE, rng.random(n))
        length[transition & ~done] = year
        done |= transition
    assert done.all() and length.min() == MINIMUM[PHD]
    mean = 3 + (1 - ADVANCE[PHD]) / ADVANCE[PHD]  # 4.8 years
    assert length.mean() == pytest.approx(mean, abs=4 * length.std() / np.sqrt(n))


def test_steady_state_presence_is_the_sum_of_survival_for_a_single_stage_career():
    # One stage, no transitions, exit hazard h, retirement at 5: observed at ages 1..5 with (1-h)^k.
    h = 0.1
    presence = steady_state_presence(np.array([10_000]), np.array([0.0]), np.array([h]), 5)
    assert presence[0] == pytest.approx(sum((1 - h) ** k for k in range(1, 6)), rel=1e-12)


def test_steady_state_presence_matches_a_simulated_population(small_config):
    from conftest import run_model

    config = small_config
    model = run_model(config, 5)
    pop = model.population
    expected = config.presence() * config.cohort_agents
    counts = np.bincount(pop.stage, minlength=5)
    # Steady state after the spin-up: each stage's count within about 4 Poisson SDs of its expectation.
    assert np.all(np.abs(counts - expected) < 4 * np.sqrt(expected) + 2), (counts, expected)


def test_exits_follow_the_stage_hazard_and_retirement_age():
    hazard = np.array([0.10, 0.05, 0.06, 0.03, 0.025])
    stage = np.array([STUDENT, STUDENT, SENIOR, SENIOR, JUNIOR])
    exit_u = np.array([0.09, 0.11, 0.02, 0.9, 0.9])
    career_age = np.array([0, 1, 20, 40, 10])
    leaving = exits(exit_u, stage, career_age, hazard, max_career_age=40)
    np.testing.assert_array_equal(leaving, [True, False, True, True, False])


def test_decides_includes_transitions_offers_and_approaches_but_never_leavers():
    transition = np.array([True, False, False, False, True])
    offered = np.array([False, False, True, False, True])
    approached = np.array([False, True, False, False, False])
    leaving = np.array([False, False, False, False, True])
    np.testing.assert_array_equal(decides(transition, offered, approached, leaving), [True, True, True, False, False])
