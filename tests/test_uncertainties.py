"""Uncertainties crossed with levers: the sweep design, its seeds, and the analysis of effects over draws."""

from __future__ import annotations

import textwrap

import numpy as np
import pandas as pd
import pytest
from experiments_support import BASELINE, ROOT, write_sweep
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.analysis import robustness
from experiments.calibration.targets import read_calibration
from experiments.named.equal_budget import best_settings
from experiments.sweepfile import read_sweep
from experiments.uncertainties import PosteriorDraws, read_posterior
from simulation.config import ConfigError

POSTERIOR = ROOT / "configs" / "calibrated.posterior.csv"
TARGETS = ROOT / "configs" / "calibration" / "targets.toml"

DESIGN = f"""
    design = "uncertainties"
    samples = 4
    replicates = 2
    years = 3
    researchers = 200
    seed = 7
    [uncertainties]
    posterior = "{POSTERIOR}"
    carried = "{TARGETS}"
    [levers.baseline]
    [levers.match]
    policies.salary_match = {{ budget = 1000.0 }}
    vary = {{ "policies.salary_match.share" = [0.5, 1.0] }}
    """


def test_design_crosses_every_draw_with_every_lever_setting(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, DESIGN))
    assert len(sweep.points) == 4 * 3 and len(sweep.runs) == 4 * 3 * 2
    names = [p.values["setting"] for p in sweep.points[:3]]
    assert names == ["baseline", "match share=0.5", "match share=1"]
    carried = {p.key for p in read_calibration(TARGETS).carried}
    posterior = read_posterior(POSTERIOR, "x", "y")
    assert set(sweep.factors) == {"posterior"} | carried
    for u in range(4):
        block = sweep.points[3 * u:3 * u + 3]
        # the levers at one draw share every weight, and the config holds them
        for key in [*posterior.particles.columns, *carried]:
            assert len({p.values[key] for p in block}) == 1
        assert block[1].config.preferences.wage == block[0].values["preferences.wage"]
        assert block[2].config.policies.salary_match.share == 1.0
        assert block[0].config.policies.salary_match is None
    for key in carried:  # each carried weight within its prior
        prior = next(p for p in read_calibration(TARGETS).carried if p.key == key)
        assert all(prior.low <= p.values[key] <= prior.high for p in sweep.points)


def test_levers_at_a_draw_share_their_random_numbers_and_draws_do_not(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, DESIGN))
    state = {(p.index, r): tuple(sweep.run_seed(p.index, r).generate_state(2)) for p in sweep.points for r in (0, 1)}
    assert state[(0, 0)] == state[(1, 0)] == state[(2, 0)]  # one draw, every lever, replicate 0
    assert state[(0, 0)] != state[(0, 1)]  # another replicate
    assert state[(0, 0)] != state[(3, 0)]  # another draw: independent noise
    sobol = read_sweep(write_sweep(tmp_path, DESIGN.replace('samples = 4', 'samples = 2\n    sampler = "sobol"\n'
                                                                            '    second_order = false'),
                                   name="sobol.toml"))
    seeds = {tuple(sobol.run_seed(p.index, 0).generate_state(2)) for p in sobol.points}
    assert len(seeds) == 1  # a Sobol sample runs on one stream: the indices measure the weights, not noise
    assert len(sobol.points) == 2 * (len(sobol.factors) + 2) * 3


@pytest.mark.parametrize(("body", "key", "allowed"), [
    (DESIGN.replace("[levers.baseline]", '"preferences.hours" = { low = 0, high = 1 }\n[levers.baseline]'),
     "uncertainties.preferences.hours", "carried"),
    (DESIGN.replace(f'posterior = "{POSTERIOR}"', 'posterior = "nope.csv"'), "uncertainties.posterior", "no such"),
    (DESIGN.replace("[levers.match]", '[levers.match]\n"preferences.wage" = 1.0'), "levers.match.preferences.wage",
     "uncertain"),
    (DESIGN.replace('design = "uncertainties"', 'design = "uncertainties"\nsampler = "halton"'), "sampler",
     "latin, sobol, morris"),
    (DESIGN.replace('vary = {{ "policies.salary_match.share" = [0.5, 1.0] }}'.replace("{{", "{").replace("}}", "}"),
                    "vary = 3"), "levers.match.vary", "table"),
    (DESIGN.replace('design = "uncertainties"', 'design = "grid"'), "samples", "only applies"),
])
def test_bad_uncertainties_designs_name_the_key(tmp_path, body, key, allowed):
    with pytest.raises(ConfigError) as err:
        read_sweep(write_sweep(tmp_path, body))
    assert err.value.key == key and allowed in err.value.message


def test_posterior_file_with_a_bad_column_is_refused(tmp_path):
    bad = tmp_path / "posterior.csv"
    bad.write_text("preferences.wage,not.a.key,weight\n1.0,2.0,1.0\n")
    with pytest.raises(ConfigError, match="not a config key"):
        read_posterior(bad, "sweep.toml", "uncertainties.posterior")
    bad.write_text("preferences.wage,weight\n1.0,-1.0\n")
    with pytest.raises(ConfigError, match="weights must be >= 0"):
        read_posterior(bad, "sweep.toml", "uncertainties.posterior")
    bad.write_text("preferences.wage,weight\nabc,1.0\n")
    with pytest.raises(ConfigError, match="not a number"):
        read_posterior(bad, "sweep.toml", "uncertainties.posterior")


@given(st.lists(st.floats(0.01, 10), min_size=1, max_size=8), st.floats(0, 1))
def test_posterior_factor_picks_each_particle_with_its_weight(weights, unit):
    cdf = np.cumsum(weights) / np.sum(weights)
    cdf[-1] = 1.0
    draws = PosteriorDraws("p.csv", pd.DataFrame({"preferences.wage": np.arange(len(weights), dtype=float)}), cdf)
    row = draws.particle(unit)
    assert 0 <= row < len(weights)
    # the coordinate falls in the particle's slice of the CDF: its width is the particle's weight
    low = 0.0 if row == 0 else cdf[row - 1]
    assert low <= unit <= cdf[row] or (row == len(weights) - 1 and unit >= low)


def test_posterior_factor_draws_match_the_weights_on_a_fine_grid():
    weights = np.array([1.0, 3.0, 6.0])
    draws = PosteriorDraws("p.csv", pd.DataFrame({"preferences.wage": [0.0, 1.0, 2.0]}), np.cumsum(weights) / 10)
    picked = np.array([draws.particle(u) for u in (np.arange(10_000) + 0.5) / 10_000])
    assert np.allclose(np.bincount(picked) / len(picked), weights / 10, atol=1e-3)


def test_variance_split_recovers_parameter_and_noise_variance():
    rng = np.random.default_rng(3)
    draws, replicates = 4000, 3
    values = rng.normal(0, 2.0, (draws, 1)) + rng.normal(0, 1.0, (draws, replicates))  # param var 4, noise 1
    param, noise = robustness.variance_split(values)
    assert param == pytest.approx(4.0, rel=0.06) and noise == pytest.approx(1.0, rel=0.05)
    exact = np.array([[1.0, 3.0], [5.0, 7.0]])  # draw means 2 and 6 (var 8); within var 2 each: 8 - 2/2 = 7
    assert robustness.variance_split(exact) == (7.0, 2.0)
    assert robustness.variance_split(np.array([[1.0, 1.0], [1.0, 1.0]])) == (0.0, 0.0)


def test_probabilities_of_best_and_of_beating_count_draws():
    table = pd.DataFrame({"a": [3.0, 1.0, 2.0, 5.0], "b": [1.0, 2.0, 2.0, np.nan], "c": [0.0, 0.0, 0.0, 0.0]})
    best = robustness.probability_best(table)
    assert best.to_dict() == {"a": pytest.approx((1 + 0 + 0.5 + 1) / 4), "b": pytest.approx((0 + 1 + 0.5) / 4),
                              "c": 0.0}
    beats = robustness.probability_beats(table)
    assert beats.loc["a", "b"] == pytest.approx((1 + 0 + 0.5) / 3)  # the draw where b is missing is left out
    assert beats.loc["b", "a"] == pytest.approx((0 + 1 + 0.5) / 3)
    assert beats.loc["a", "c"] == 1.0 and np.isnan(beats.loc["a", "a"])


@settings(max_examples=40, deadline=None)
@given(st.lists(st.lists(st.floats(-5, 5), min_size=3, max_size=3), min_size=1, max_size=12))
def test_probability_best_is_a_distribution_over_levers(rows):
    best = robustness.probability_best(pd.DataFrame(rows, columns=["a", "b", "c"]))
    assert best.sum() == pytest.approx(1.0) and (best >= 0).all()


def test_effects_are_each_lever_minus_the_baseline_at_its_draw_and_replicate():
    runs = pd.DataFrame({
        "arm": ["baseline", "baseline", "x", "x", "baseline", "x"],
        "setting": ["baseline", "baseline", "x", "x", "baseline", "x"],
        "uncertainty": [0, 0, 0, 0, 1, 1], "replicate": [0, 1, 0, 1, 0, 0],
        "top_talent": [10.0, 20.0, 15.0, 21.0, 100.0, 130.0], "research_output": [50.0, 50, 55, 60, 10, 10],
        "spending": [0.0, 0, 5000, 5000, 0, 10000], "recipients": [0.0, 0, 3, 3, 0, 4],
        "value_share": [np.nan, np.nan, 0.1, 0.2, np.nan, 0.3], "deadweight": [np.nan] * 2 + [1000.0] * 2 + [np.nan, 0],
    })
    measured = [robustness.Effect("top_talent", "t", "people"), robustness.Effect("research_output", "o", "%")]
    effects = robustness.lever_effects(runs, measured)
    assert effects.sort_values(["uncertainty", "replicate"])["top_talent"].tolist() == [5.0, 1.0, 30.0]
    assert effects.sort_values(["uncertainty", "replicate"])["research_output"].tolist() == [10.0, 20.0, 0.0]
    means = robustness.draw_means(effects)
    assert means.set_index("uncertainty")["top_talent"].to_dict() == {0: 3.0, 1: 30.0}
    ratio = robustness.cost_effectiveness(means)
    assert ratio.tolist() == pytest.approx([3.0 * 100_000 / 5000, 30.0 * 100_000 / 10000])


def test_best_setting_is_the_highest_mean_effect_of_each_lever_and_budget():
    means = pd.DataFrame({"arm": ["m", "m", "m", "m", "g", "g"], "uncertainty": [0, 1, 0, 1, 0, 1],
                          "setting": ["m a", "m a", "m b", "m b", "g a", "g a"],
                          "top_talent": [1.0, 5.0, 4.0, 4.0, 2.0, 2.0]})
    found = best_settings(means, pd.Series({"m a": 50.0, "m b": 50.0, "g a": 50.0}))
    assert dict(zip(found["arm"], found["setting"], strict=True)) == {"m": "m b", "g": "g a"}


def test_the_published_uncertainty_sweeps_draw_the_calibration_s_posterior_and_carried_priors():
    for name in ("policy_robustness", "equal_budget_search", "effect_sobol", "effect_morris"):
        text = (ROOT / "configs" / "sweeps" / f"{name}.toml").read_text()
        assert 'posterior = "../calibrated.posterior.csv"' in text and 'carried = "../calibration/targets.toml"' in text
    assert BASELINE.is_file()


def test_sweep_status_and_report_commands_run_an_uncertainties_design(tmp_path, capsys):
    from simulation.cli import main as talentflow

    path = write_sweep(tmp_path, DESIGN.replace("years = 3", "years = 4"))
    out = tmp_path / "runs"
    assert talentflow(["sweep", str(path), "--out", str(out), "--in-process", "--quiet"]) == 0
    assert talentflow(["status", str(out)]) == 0
    assert talentflow(["report", str(out), "--out", str(tmp_path / "report")]) == 0
    effects = pd.read_csv(tmp_path / "report" / "tables" / "lever_effects.csv")
    assert set(effects["setting"]) == {"match share=0.5", "match share=1"} and (effects["draws"] == 4).all()
    assert "Levers over the draws" in (tmp_path / "report" / "report.md").read_text()
    capsys.readouterr()
    bad = write_sweep(tmp_path, DESIGN.replace("samples = 4", "samples = 0"), name="bad.toml")
    assert talentflow(["sweep", str(bad), "--out", str(tmp_path / "bad")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "bad.toml" in err and "samples" in err and not (tmp_path / "bad").exists()


def test_a_run_without_its_baseline_twin_has_the_same_outputs_but_no_deadweight():
    from experiments.runner import run_model
    from simulation.config import load_config
    from simulation.parameters import scale_population

    config = scale_population(load_config(ROOT / "configs" / "salary_match.toml",
                                          [("simulation.years", 4)]), 400)
    seed = np.random.SeedSequence(5)
    with_twin, _ = run_model(config, seed, False, deadweight=True)
    alone, _ = run_model(config, seed, False, deadweight=False)
    dead = [c for c in with_twin.columns if c.startswith("deadweight")]
    assert with_twin["deadweight_salary_match"].iloc[1:].notna().all() and alone[dead].isna().all().all()
    pd.testing.assert_frame_equal(with_twin.drop(columns=dead), alone.drop(columns=dead))


def test_grouped_factors_make_a_smaller_sobol_sample_and_move_together(tmp_path):
    sobol = DESIGN.replace("samples = 4", 'samples = 2\nsampler = "sobol"\nsecond_order = false')
    grouped = sobol + textwrap.dedent('''
        [groups]
        shifts = ["offers.stage_shift.student", "countries.KR.offers.academia.slope",
                  "countries.KR.offers.industry.slope"]
        ''')
    sweep = read_sweep(write_sweep(tmp_path, grouped))
    groups = len(sweep.factors) - 2  # three factors in one group
    assert len(sweep.points) == 2 * (groups + 2) * 3
    units = pd.DataFrame([p.values for p in sweep.points[::3]])
    members = ["unit:offers.stage_shift.student", "unit:countries.KR.offers.academia.slope",
               "unit:countries.KR.offers.industry.slope"]
    changed = units[members].diff().ne(0).iloc[1:]
    assert (changed.nunique(axis=1) == 1).all()  # the group's coordinates change together, row to row
    for body, key in [(grouped.replace('"countries.KR.offers.industry.slope"]', '"nope"]'), "groups.shifts"),
                      (grouped.replace('sampler = "sobol"', 'sampler = "latin"').replace("second_order = false", ""),
                       "groups")]:
        with pytest.raises(ConfigError) as err:
            read_sweep(write_sweep(tmp_path, body, name="bad.toml"))
        assert err.value.key == key
