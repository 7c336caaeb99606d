"""The policy comparison: per-run outcomes, paired differences against the baseline, tables."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from experiments_support import write_sweep

from experiments import executors, load, runner
from experiments.analysis import comparison, tables
from experiments.analysis.measures import add_phd_share, infer_origin
from experiments.sweepfile import read_sweep
from simulation.compare import difference_table


def synthetic(runs: list[tuple[int, int, float, float]], years: int = 25) -> pd.DataFrame:
    """A tidy sweep frame: (point, replicate, extra researchers a year, spending a year) per run."""
    rows = []
    for run, (point, replicate, lift, spend) in enumerate(runs):
        for k in range(years + 1):
            home = 1000.0 + 10 * replicate + (lift * k if k else 0.0)
            rows.append({"run": run, "point": point, "replicate": replicate, "year": 2024 + k,
                         "researchers_home": home, "researchers_KR": home, "researchers_US": 500.0,
                         "top_talent_KR": home / 10, "spending_total": spend if k else 0.0})
    return pd.DataFrame(rows)


def test_run_outcomes_sum_researcher_years_over_simulated_years_and_read_the_horizons():
    data = synthetic([(0, 0, 0.0, 0.0), (1, 0, 2.0, 7.0)])
    out = comparison.run_outcomes(data).set_index("point")
    assert out.loc[0, "researcher_years"] == 25 * 1000.0  # year 0 (the initial state) counts for none
    assert out.loc[1, "researcher_years"] == 25 * 1000.0 + 2.0 * sum(range(1, 26))
    assert out.loc[1, "spending"] == 25 * 7.0
    assert out.loc[1, "researchers_10y"] == 1020.0 and out.loc[1, "researchers_20y"] == 1040.0
    assert out.loc[1, "top_talent_20y"] == 104.0
    assert out.loc[1, "spending_20y"] == 20 * 7.0


def test_compare_recovers_known_effects_and_cost_per_researcher_year():
    runs = [(p, r, lift, spend) for r in range(4) for p, lift, spend in ((0, 0.0, 0.0), (1, 3.0, 600.0))]
    data = synthetic(runs)
    outcomes = comparison.run_outcomes(data, "KR")
    result = comparison.compare(outcomes, {1: 0}, origin="KR").set_index("metric")
    assert result.loc["extra_researchers_10y", "estimate"] == pytest.approx(30.0)
    assert result.loc["extra_researchers_20y", "estimate"] == pytest.approx(60.0)
    assert result.loc["extra_top_talent_20y", "estimate"] == pytest.approx(6.0)
    extra_years = 3.0 * sum(range(1, 26))
    assert result.loc["extra_researcher_years", "estimate"] == pytest.approx(extra_years)
    assert result.loc["spending", "estimate"] == pytest.approx(25 * 600.0 / 1000)  # billion KRW
    assert result.loc["cost_per_researcher_year", "estimate"] == pytest.approx(25 * 600.0 / extra_years)
    # every replicate has the same difference: the paired intervals have no width
    assert np.allclose(result["ci_low"], result["estimate"]) and np.allclose(result["ci_high"], result["estimate"])
    assert (result["n"] == 4).all()


def test_compare_leaves_out_horizons_beyond_the_run():
    data = synthetic([(0, r, 0.0, 0.0) for r in range(2)] + [(1, r, 1.0, 1.0) for r in range(2)], years=12)
    result = comparison.compare(comparison.run_outcomes(data), {1: 0}, origin="KR")
    assert "extra_researchers_10y" in set(result["metric"])
    assert "extra_researchers_20y" not in set(result["metric"])


def test_arm_pairs_compare_every_arm_with_the_baseline():
    design = pd.DataFrame({"point": [0, 1, 2], "arm": ["grant", "baseline", "hours"]})
    assert comparison.arm_pairs(design) == {0: 1, 2: 1}
    with pytest.raises(ValueError, match="no arm named"):
        comparison.arm_pairs(design, "nothing")


def test_infer_origin_finds_the_country_whose_count_is_researchers_home():
    data = synthetic([(0, 0, 1.0, 0.0)])
    assert infer_origin(data) == "KR"


def test_phd_share_splits_phd_students_between_countries():
    data = pd.DataFrame({"mentor_quality_KR": [1.0], "mentor_quality_US": [1.5],
                         "researchers_KR_academia_phd": [30.0], "researchers_KR_industry_phd": [0.0],
                         "researchers_US_academia_phd": [10.0], "researchers_US_industry_phd": [0.0]})
    out = add_phd_share(data)
    assert out["phd_share_KR"].iloc[0] == pytest.approx(0.75)
    assert out["phd_share_US"].iloc[0] == pytest.approx(0.25)


def test_comparison_of_real_runs_agrees_with_talentflow_compare_run_by_run(tmp_path):
    """The sweep's paired difference of replicate r is simulation.compare's difference of the two runs."""
    path = write_sweep(tmp_path, """
        design = "arms"
        replicates = 3
        years = 12
        researchers = 300
        seed = 4
        [arms.baseline]
        [arms.grant]
        policies.return_grant = { grant = 150.0, years = 3, budget = 50000.0, start_year = 2025 }
        """)
    sweep = read_sweep(path)
    runner.run_sweep(sweep, tmp_path / "sweep", executors.InProcess(), progress=False)
    data = load(tmp_path / "sweep")
    outcomes = comparison.run_outcomes(data, "KR")
    result = comparison.compare(outcomes, {1: 0}, origin="KR").set_index("metric")
    per_replicate = []
    for r in range(3):
        base = data[(data["point"] == 0) & (data["replicate"] == r)].reset_index(drop=True)
        grant = data[(data["point"] == 1) & (data["replicate"] == r)].reset_index(drop=True)
        table = difference_table(base, grant, "KR")
        per_replicate.append((table["researchers_KR_difference"].iloc[10],
                              table["researcher_years_KR_difference"].iloc[-1],
                              table["spending_cumulative_difference"].iloc[-1]))
    means = np.mean(per_replicate, axis=0)
    assert result.loc["extra_researchers_10y", "estimate"] == pytest.approx(means[0])
    assert result.loc["extra_researcher_years", "estimate"] == pytest.approx(means[1])
    assert result.loc["spending", "estimate"] == pytest.approx(means[2] / 1000)


def test_numbers_are_shown_to_three_significant_figures():
    assert tables.number(1234.5) == "1,234"  # whole numbers above 1,000: no decimals
    assert tables.number(12.345) == "12.3"
    assert tables.number(0.012345) == "0.0123"
    assert tables.number(0.00012345) == "0.000123"
    assert tables.number(4.33e-16) == "4.33e-16" and tables.number(-2.42e-5) == "-2.42e-05"  # not 15 zeros
    assert tables.number(float("nan")) == "n/a"
    assert tables.interval(5.0, -np.inf, np.inf) == "5.00 (unbounded)"
    assert tables.interval(10.0, 8.0, 12.0) == "10.0 (8.00 to 12.0)"


def test_comparison_table_has_one_row_an_arm_and_latex_escapes_special_characters(tmp_path):
    result = pd.DataFrame({"point": [1, 1, 2, 2], "metric": ["a", "b", "a", "b"],
                           "label": ["extra A", "cost_B", "extra A", "cost_B"], "unit": ["people", "%"] * 2,
                           "estimate": [1.0, 2.0, 3.0, 4.0], "ci_low": [0.5, 1.5, 2.5, 3.5],
                           "ci_high": [1.5, 2.5, 3.5, 4.5]})
    wide = tables.comparison_wide(result, {1: "grant", 2: "hours"})
    assert list(wide.iloc[:, 0]) == ["grant", "hours"]
    assert list(wide.columns[1:]) == ["extra A (people)", "cost_B (%)"]
    paths = tables.write_all(wide, result, tmp_path, "t", caption="50% & more")
    tex = paths[2].read_text()
    assert r"cost\_B (\%)" in tex and r"50\% \& more" in tex and r"\toprule" in tex
    assert pd.read_csv(paths[1]).shape == result.shape
    md = paths[0].read_text().splitlines()
    assert md[0].startswith("|  | extra A (people) | cost_B (%) |") and md[1] == "|:---|---:|---:|"
