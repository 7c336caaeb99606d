"""Replicate statistics against scipy and against known answers on synthetic data."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scipy import stats as scipy_stats

from experiments.analysis import stats


@pytest.mark.parametrize(("n", "expected"), [(2, 12.7062), (5, 2.7764), (10, 2.2622), (30, 2.0452)])
def test_t_quantile_matches_the_t_table(n, expected):
    assert stats.t_quantile(0.95, n) == pytest.approx(expected, abs=1e-4)
    assert stats.t_quantile(0.95, n) == pytest.approx(scipy_stats.t.ppf(0.975, n - 1))


def test_t_quantile_is_undefined_for_one_replicate_and_rejects_bad_levels():
    assert np.isnan(stats.t_quantile(0.95, 1))
    with pytest.raises(ValueError):
        stats.t_quantile(1.5, 10)


@pytest.mark.parametrize("n", [2, 3, 8, 25])
def test_mean_interval_equals_scipy_t_interval(n):
    x = np.random.default_rng(n).normal(10.0, 3.0, size=n)
    got = stats.mean_interval(x)
    low, high = scipy_stats.t.interval(0.95, n - 1, loc=x.mean(), scale=scipy_stats.sem(x))
    assert got.estimate == pytest.approx(x.mean())
    assert got.sd == pytest.approx(x.std(ddof=1))
    assert (got.low, got.high) == pytest.approx((low, high))
    assert got.relative_half_width == pytest.approx((high - low) / 2 / abs(x.mean()))


def test_single_replicate_has_a_mean_but_no_interval():
    got = stats.mean_interval([4.0])
    assert got.estimate == 4.0 and got.n == 1
    assert np.isnan(got.low) and np.isnan(got.high)


def test_replicate_summary_intervals_cover_the_true_mean_95_percent_of_the_time():
    rng = np.random.default_rng(7)
    groups, n, mu = 4000, 5, 3.0
    data = pd.DataFrame({"point": np.repeat(np.arange(groups), n), "year": 2030,
                         "y": rng.normal(mu, 2.0, size=groups * n)})
    summary = stats.replicate_summary(data, ["y"])
    covered = ((summary["ci_low"] <= mu) & (mu <= summary["ci_high"])).mean()
    # binomial sd of the coverage over 4000 intervals is 0.0034
    assert 0.94 <= covered <= 0.96
    assert len(summary) == groups and (summary["n"] == n).all()


def test_replicate_summary_matches_mean_interval_per_point_and_year():
    rng = np.random.default_rng(3)
    data = pd.DataFrame({"point": np.repeat([0, 1], 12), "year": np.tile(np.repeat([2024, 2025], 6), 2),
                         "y": rng.normal(size=24), "z": rng.normal(5, 1, size=24)})
    summary = stats.replicate_summary(data, ["y", "z"])
    assert list(summary.columns) == ["point", "year", "output", "n", "mean", "sd", "ci_low", "ci_high",
                                     "half_width", "relative_half_width"]
    for row in summary.itertuples():
        values = data[(data["point"] == row.point) & (data["year"] == row.year)][row.output]
        expected = stats.mean_interval(values)
        assert (row.mean, row.ci_low, row.ci_high) == pytest.approx((expected.estimate, expected.low, expected.high))
        assert row.relative_half_width == pytest.approx(expected.relative_half_width)


def crn_pair(rng: np.random.Generator, n: int, effect: float) -> tuple[np.ndarray, np.ndarray]:
    """Two arms sharing most of their noise, as runs on common random numbers do."""
    shared = rng.normal(100.0, 20.0, size=n)
    return shared + effect + rng.normal(0, 1.0, size=n), shared + rng.normal(0, 1.0, size=n)


def test_paired_difference_equals_scipy_paired_t_interval():
    treated, reference = crn_pair(np.random.default_rng(11), 10, effect=3.0)
    got = stats.paired_difference(treated, reference)
    expected = scipy_stats.ttest_rel(treated, reference).confidence_interval(0.95)
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high))
    assert got.estimate == pytest.approx(np.mean(treated - reference))


def test_pairing_on_common_random_numbers_narrows_the_interval_and_finds_the_effect():
    treated, reference = crn_pair(np.random.default_rng(12), 10, effect=3.0)
    paired = stats.paired_difference(treated, reference)
    independent = stats.welch_difference(treated, reference)
    assert paired.half_width < independent.half_width / 5
    assert paired.low > 0  # the effect of 3 is found; unpaired, the shared noise (sd 20) hides it
    assert independent.low < 0 < independent.high


def test_paired_difference_refuses_samples_of_different_lengths():
    with pytest.raises(ValueError):
        stats.paired_difference([1.0, 2.0], [1.0])


def test_welch_difference_equals_scipy_welch_interval():
    rng = np.random.default_rng(5)
    a, b = rng.normal(3.0, 1.0, size=8), rng.normal(1.0, 3.0, size=13)
    got = stats.welch_difference(a, b)
    expected = scipy_stats.ttest_ind(a, b, equal_var=False).confidence_interval(0.95)
    assert (got.low, got.high) == pytest.approx((expected.low, expected.high))


def test_ratio_interval_covers_the_true_ratio_of_means_95_percent_of_the_time():
    rng = np.random.default_rng(21)
    true_ratio, covered, trials = 250.0, 0, 3000
    for _ in range(trials):
        extra = rng.normal(1000.0, 300.0, size=10)  # extra researcher-years, clearly above zero
        spent = true_ratio * extra + rng.normal(0.0, 40_000.0, size=10)  # spending, correlated with them
        interval = stats.ratio_interval(spent, extra)
        covered += interval.low <= true_ratio <= interval.high
    assert 0.935 <= covered / trials <= 0.965


def test_ratio_interval_is_exact_for_a_fixed_ratio_and_unbounded_when_the_denominator_may_be_zero():
    extra = np.array([10.0, 12.0, 9.0, 11.0])
    fixed = stats.ratio_interval(5.0 * extra, extra)
    assert (fixed.estimate, fixed.low, fixed.high) == pytest.approx((5.0, 5.0, 5.0))
    noise = stats.ratio_interval([100.0, 120.0, 90.0, 110.0], [3.0, -2.0, 1.0, -1.5])
    assert noise.low == -np.inf and noise.high == np.inf


def test_paired_summary_is_the_paired_difference_in_each_year():
    rng = np.random.default_rng(9)
    rows = []
    for point, lift in ((0, 0.0), (1, 2.0)):
        for replicate in range(6):
            for k, year in enumerate((2024, 2025, 2026)):
                rows.append({"point": point, "replicate": replicate, "year": year,
                             "y": 50 + replicate + lift * k + rng.normal(0, 0.1)})
    data = pd.DataFrame(rows)
    summary = stats.paired_summary(data, ["y"], {1: 0})
    for row in summary.itertuples():
        a = data[(data["point"] == 1) & (data["year"] == row.year)].sort_values("replicate")["y"].to_numpy()
        b = data[(data["point"] == 0) & (data["year"] == row.year)].sort_values("replicate")["y"].to_numpy()
        expected = stats.paired_difference(a, b)
        assert (row.mean, row.ci_low, row.ci_high) == pytest.approx((expected.estimate, expected.low, expected.high))
        assert row.reference == 0


# ------------------------------------------------------------- bounded outputs (defect 12)
def test_intervals_of_outputs_that_cannot_be_negative_are_clipped_at_zero():
    # spending in most replicates zero, in one large: the t interval alone reaches below zero
    spent = [0.0, 0.0, 0.0, 0.0, 900.0]
    data = pd.DataFrame({"point": 0, "year": 2030, "spending_total": spent, "spending_salary_match": spent,
                         "researchers_KR": [1.0, 1.0, 1.0, 1.0, 90.0], "net_flow_per_10k": spent})
    t_low = stats.mean_interval(spent).low
    assert t_low < 0
    summary = stats.replicate_summary(data, ["spending_total", "spending_salary_match", "researchers_KR",
                                             "net_flow_per_10k"]).set_index("output")
    for output in ("spending_total", "spending_salary_match", "researchers_KR"):
        assert summary.loc[output, "ci_low"] == 0.0, output
    assert summary.loc["net_flow_per_10k", "ci_low"] == pytest.approx(t_low)  # a flow can be negative
    assert summary.loc["spending_total", "ci_high"] == pytest.approx(stats.mean_interval(spent).high)
    # differences between points can be negative: paired summaries are not clipped
    pair = pd.concat([data.assign(point=1, spending_total=0.0), data.assign(point=0)], ignore_index=True)
    pair["replicate"] = list(range(5)) * 2
    differences = stats.paired_summary(pair, ["spending_total"], {0: 1})
    assert differences["ci_low"].iloc[0] == pytest.approx(t_low)


def test_extra_spending_against_a_baseline_that_spends_nothing_has_an_interval_above_zero():
    from experiments.analysis import comparison

    rows = []
    for point, spent in ((0, [0.0] * 5), (1, [0.0, 0.0, 0.0, 0.0, 9000.0])):
        for replicate, total in enumerate(spent):
            rows += [{"run": point * 5 + replicate, "point": point, "replicate": replicate, "year": 2024 + y,
                      "researchers_KR": 100.0 + y, "researchers_home": 100.0 + y, "top_talent_KR": 10.0,
                      "spending_total": total / 12 if y else 0.0} for y in range(13)]
    outcomes = comparison.run_outcomes(pd.DataFrame(rows), "KR")
    result = comparison.compare(outcomes, {1: 0}, origin="KR").set_index("metric")
    assert stats.paired_difference(outcomes["spending"][5:].to_numpy(), np.zeros(5)).low < 0
    assert result.loc["spending", "ci_low"] == 0.0
    assert result.loc["spending", "estimate"] == pytest.approx(9000.0 / 5 * 1e-3)
    effect = comparison.cost_effectiveness(outcomes, {1: 0}, 10)
    assert effect["y_low"].iloc[0] == 0.0
