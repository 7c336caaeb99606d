"""Working hours: the cap's cut, hours worked, concave output, and desired hours fitted to the survey."""

from __future__ import annotations

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.config import DEFAULT_CONFIG, load_config
from simulation.hours import (
    cap_cut,
    fit_desired_hours,
    hours_worked,
    normal_excess,
    output_hours,
    population_hours,
    research_time,
)


def test_cap_cut_averages_ordinary_and_peak_weeks():
    desired = np.array([40.0, 46.0, 52.0, 58.0])
    # Peaks of +16 hours in 10 percent of weeks under a 52-hour cap.
    expected = 0.9 * np.maximum(desired - 52, 0) + 0.1 * np.maximum(desired + 16 - 52, 0)
    np.testing.assert_allclose(cap_cut(desired, 52.0, 0.1, 16.0), expected, rtol=1e-12)
    np.testing.assert_allclose(cap_cut(desired, 52.0, 0.1, 16.0), [0.4, 1.0, 1.6, 7.6], rtol=1e-12)


def test_no_cap_cuts_nothing_and_a_researcher_under_the_cap_loses_only_peaks():
    assert cap_cut(np.array([70.0]), np.inf, 0.2, 20.0)[0] == 0.0
    assert cap_cut(np.array([30.0]), 52.0, 0.2, 20.0)[0] == 0.0  # even peaks stay under 52
    assert cap_cut(np.array([45.0]), 52.0, 0.2, 20.0)[0] == pytest.approx(0.2 * 13.0)


def test_hours_worked_are_desired_with_peaks_less_the_cut():
    desired = np.array([40.0, 50.0, 60.0])
    np.testing.assert_allclose(hours_worked(desired, np.full(3, np.inf), 0.1, 16.0), desired + 1.6, rtol=1e-12)
    np.testing.assert_allclose(hours_worked(desired, np.full(3, 52.0), 0.1, 16.0),
                               0.9 * np.minimum(desired, 52) + 0.1 * np.minimum(desired + 16, 52), rtol=1e-12)


def test_output_hours_are_linear_to_the_kink_concave_to_the_flat_point_then_flat():
    hours = np.array([30.0, 50.0, 52.5, 55.0, 70.0])
    out = output_hours(hours, 50.0, 55.0)
    np.testing.assert_allclose(out, [30.0, 50.0, 52.5 - 2.5**2 / 10, 52.5, 52.5], rtol=1e-12)
    grid = np.linspace(0, 80, 801)
    slope = np.diff(output_hours(grid, 50.0, 55.0))
    assert np.all(slope >= -1e-12) and np.all(np.diff(slope) <= 1e-12)  # rising, concave (Pencavel 2014)


def test_research_time_counts_capped_effective_hours_in_units_of_forty():
    desired = np.array([48.0])
    free = research_time(desired, np.inf, 0.1, 16.0, 50.0, 55.0)[0]
    capped = research_time(desired, 52.0, 0.1, 16.0, 50.0, 55.0)[0]
    assert free == pytest.approx((0.9 * 48.0 + 0.1 * 52.5) / 40.0)
    assert capped == pytest.approx((0.9 * 48.0 + 0.1 * (52 - 0.4)) / 40.0)
    # The cap takes 1.6 hours a week but less than 1 percent of output: the hours it takes are the least productive.
    assert 0 < 1 - capped / free < 0.01


@pytest.mark.parametrize(("mean", "sd", "cap"), [(47.0, 9.0, 52.0), (60.0, 5.0, 52.0), (30.0, 3.0, 52.0)])
def test_normal_excess_matches_its_monte_carlo_value(mean, sd, cap):
    x = np.random.default_rng(4).normal(mean, sd, 2_000_000)
    mc = np.maximum(x - cap, 0.0)
    assert normal_excess(mean, sd, cap) == pytest.approx(mc.mean(), abs=5 * mc.std() / np.sqrt(len(x)) + 1e-9)


@pytest.mark.parametrize(("peak_share", "peak_extra"), [(0.0, 0.0), (0.1, 16.0), (0.2, 8.0), (0.05, 24.0)])
def test_fitted_desired_hours_reproduce_the_survey(peak_share, peak_extra):
    mean, sd = fit_desired_hours(46.04, 2.61, 52.0, peak_share, peak_extra)
    worked, cut = population_hours(mean, sd, 52.0, peak_share, peak_extra)
    assert worked == pytest.approx(46.04, abs=1e-8) and cut == pytest.approx(2.61, abs=1e-8)
    # And by simulation of the cap on researchers drawn from the fitted distribution.
    desired = np.random.default_rng(2).normal(mean, sd, 1_000_000)
    assert cap_cut(desired, 52.0, peak_share, peak_extra).mean() == pytest.approx(2.61, abs=0.02)
    assert hours_worked(desired, 52.0, peak_share, peak_extra).mean() == pytest.approx(46.04, abs=0.03)


def _peak_prior(name: str) -> tuple[float, float]:
    from simulation.schema import field_at

    return field_at(f"hours.{name}")[1]["prior"]


@given(share=st.floats(0.0, 1.0), extra=st.floats(0.0, 1.0))
def test_the_survey_can_be_fitted_anywhere_in_the_prior_box_of_the_peaks(share, extra):
    """Results draw the peaks over their priors (the sweep files' ranges), so every draw must have desired hours
    that give the survey's hours and cut: no corner of the box may be one where no spread does."""
    (share_low, share_high), (extra_low, extra_high) = _peak_prior("peak_share"), _peak_prior("peak_extra")
    peak_share, peak_extra = share_low + share * (share_high - share_low), extra_low + extra * (extra_high - extra_low)
    h = load_config(DEFAULT_CONFIG).hours
    mean, sd = fit_desired_hours(h.survey_hours, h.survey_cut, h.survey_cap, peak_share, peak_extra)
    worked, cut = population_hours(mean, sd, h.survey_cap, peak_share, peak_extra)
    assert worked == pytest.approx(h.survey_hours, abs=1e-6) and cut == pytest.approx(h.survey_cut, abs=1e-6)


def test_fit_refuses_a_cut_the_peaks_alone_exceed():
    with pytest.raises(ValueError, match="no spread of desired hours"):
        fit_desired_hours(46.04, 0.5, 52.0, 0.5, 30.0)
    with pytest.raises(ValueError, match="no spread of desired hours"):  # more hours worked than the cap allows
        fit_desired_hours(100.0, 2.61, 1.0, 0.1, 16.0)


def test_the_scenarios_desired_hours_are_those_fitted_to_its_survey_values(small_config):
    h = small_config.hours
    mean, sd = fit_desired_hours(h.survey_hours, h.survey_cut, 52.0, h.peak_share, h.peak_extra)
    assert small_config.desired_hours() == (pytest.approx(mean, abs=1e-9), pytest.approx(sd, abs=1e-9))
    assert (h.survey_hours, h.survey_cut) == (46.04, 2.61)


def test_the_simulated_researchers_work_the_surveys_hours(small_config):
    from conftest import build_small_config, run_model

    y = run_model(build_small_config(researchers=3000, years=5), 3).yearly()
    assert y["hours_worked_KR"].mean() == pytest.approx(46.04, abs=0.4)
    assert y["hours_cut_KR"].mean() == pytest.approx(2.61, abs=0.3)
