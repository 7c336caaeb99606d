"""Sweep files: designs, validation and one-line errors."""

from __future__ import annotations

import tomllib

import numpy as np
import pytest
from experiments_support import BASELINE, ROOT, SMALL_GRID, write_sweep

from experiments import designs
from experiments.sweepfile import DESIGN_SPAWN_KEY, read_sweep
from simulation.config import ConfigError


def test_grid_has_every_combination_last_key_fastest(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, SMALL_GRID))
    assert len(sweep.points) == 6
    assert len(sweep.runs) == 12
    assert sweep.parameters == ("preferences.wage", "preferences.mentor")
    values = [(p.values["preferences.wage"], p.values["preferences.mentor"]) for p in sweep.points]
    assert values == [(1.0, 1.0), (1.0, 2.0), (1.5, 1.0), (1.5, 2.0), (2.0, 1.0), (2.0, 2.0)]
    for point in sweep.points:
        assert point.config.preferences.wage == point.values["preferences.wage"]
        assert point.config.preferences.mentor == point.values["preferences.mentor"]
        assert point.config.simulation.years == 5
        assert point.config.simulation.researchers == 300


def test_researchers_scale_the_cohort_with_the_population(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, SMALL_GRID))
    base = read_sweep(write_sweep(tmp_path, SMALL_GRID.replace("researchers = 300", ""), name="b.toml"))
    full, small = base.points[0].config, sweep.points[0].config
    assert small.cohort_agents == pytest.approx(full.cohort_agents * 300 / full.simulation.researchers, rel=1e-12)
    assert small.people_per_agent * 300 == pytest.approx(full.people_per_agent * full.simulation.researchers)


def test_latin_hypercube_puts_one_point_in_each_stratum_within_bounds(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, """
        design = "latin"
        samples = 20
        seed = 3
        [vary]
        "preferences.wage" = { low = 0.5, high = 2.5 }
        "talent.sigma" = { low = 0.2, high = 0.8 }
        """))
    wage = np.array([p.values["preferences.wage"] for p in sweep.points])
    sigma = np.array([p.values["talent.sigma"] for p in sweep.points])
    assert len(sweep.points) == 20
    assert ((wage >= 0.5) & (wage <= 2.5)).all() and ((sigma >= 0.2) & (sigma <= 0.8)).all()
    assert sorted(np.floor((wage - 0.5) / 2.0 * 20).astype(int)) == list(range(20))
    assert sorted(np.floor((sigma - 0.2) / 0.6 * 20).astype(int)) == list(range(20))


def test_latin_design_depends_on_the_root_seed_only(tmp_path):
    body = """
        design = "latin"
        samples = 5
        seed = SEED
        [vary]
        "preferences.wage" = { low = 0.5, high = 2.5 }
        """
    first = read_sweep(write_sweep(tmp_path, body.replace("SEED", "1"), name="a.toml")).design_table()
    again = read_sweep(write_sweep(tmp_path, body.replace("SEED", "1"), name="b.toml")).design_table()
    other = read_sweep(write_sweep(tmp_path, body.replace("SEED", "2"), name="c.toml")).design_table()
    assert first == again
    assert first != other


def test_sobol_keeps_salib_sample_order(tmp_path):
    from SALib.sample import sobol as salib_sobol

    sweep = read_sweep(write_sweep(tmp_path, """
        design = "sobol"
        samples = 8
        seed = 5
        [vary]
        "preferences.wage" = { low = 0.5, high = 2.5 }
        "preferences.mentor" = { low = 1.0, high = 2.0 }
        "simulation.spin_up" = { low = 40, high = 70 }
        """))
    assert len(sweep.points) == designs.sobol_size(8, 3, True) == 64
    problem = {"num_vars": 3, "names": list(sweep.parameters), "bounds": [[0.5, 2.5], [1.0, 2.0], [40, 70]]}
    seed = int(np.random.SeedSequence(5, spawn_key=DESIGN_SPAWN_KEY).generate_state(1)[0])
    expected = salib_sobol.sample(problem, 8, calc_second_order=True, seed=seed)
    table = np.array([[p.values[k] for k in sweep.parameters] for p in sweep.points], dtype=float)
    assert np.allclose(table[:, :2], expected[:, :2])  # same rows in the same order
    assert np.array_equal(table[:, 2], np.round(expected[:, 2]))
    # Saltelli's layout: in each block of 2D+2 rows, row 1 is A with column 0 taken from B (the last row)
    block = 2 * 3 + 2
    a, b, ab0 = table[0::block], table[block - 1::block], table[1::block]
    assert np.allclose(ab0[:, 0], b[:, 0]) and np.allclose(ab0[:, 1:], a[:, 1:])
    # whole-number keys are rounded to whole numbers
    assert all(isinstance(p.values["simulation.spin_up"], int) for p in sweep.points)
    assert all(p.config.simulation.spin_up == p.values["simulation.spin_up"] for p in sweep.points)


def test_sobol_without_second_order_has_d_plus_2_rows_per_sample(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, """
        design = "sobol"
        samples = 4
        second_order = false
        seed = 5
        [vary]
        "preferences.wage" = { low = 0.5, high = 2.5 }
        "preferences.mentor" = { low = 1.0, high = 2.0 }
        """))
    assert len(sweep.points) == 4 * (2 + 2)


def test_arms_take_overrides_or_a_config_file(tmp_path):
    policy = tmp_path / "grant.toml"
    policy.write_text(f'extends = "{ROOT / "configs" / "baseline.toml"}"\n[policies.return_grant]\nbudget = 5.0\n')
    sweep = read_sweep(write_sweep(tmp_path, """
        design = "arms"
        seed = 1
        years = 3
        [arms.baseline]
        [arms.hours]
        policies.hours_exemption = {}
        [arms.grant]
        config = "grant.toml"
        """))
    assert [p.name for p in sweep.points] == ["baseline", "hours", "grant"]
    assert sweep.parameters == ("arm",)
    policies = [p.config.policies for p in sweep.points]
    assert policies[0].levers() == []
    assert [name for name, _ in policies[1].levers()] == ["hours_exemption"]
    assert policies[2].return_grant.budget == 5.0
    assert all(p.config.simulation.years == 3 for p in sweep.points)


def test_project_sweeps_are_valid_and_smoke_is_small():
    smoke = read_sweep(ROOT / "configs" / "sweeps" / "smoke.toml")
    assert len(smoke.runs) <= 16
    assert smoke.points[0].config.simulation.researchers <= 1000
    policy = read_sweep(ROOT / "configs" / "sweeps" / "policy_scenarios.toml")
    arms = [p.name for p in policy.points]
    assert arms[0] == "baseline" and "combined" in arms
    combined = policy.points[arms.index("combined")].config.policies.levers()
    assert len(combined) == 4
    for point in policy.points[1:-1]:
        assert len(point.config.policies.levers()) == 1


BAD = [
    ("seed = 1\ndesign = 'grid'\n[vary]\n'preferences.wage' = [1.0]\nbogus = 3\n", "vary.bogus", "not a config key"),
    ("seed = 1\ndesign = 'cube'\n", "design", "grid, latin, sobol, arms"),
    ("design = 'grid'\n[vary]\n'preferences.wage' = [1.0]\n", "seed", "required"),
    ("seed = 1\nreplicates = 0\n[vary]\n'preferences.wage' = [1.0]\n", "replicates", ">= 1"),
    ("seed = 1\n[vary]\n'preferences.wage' = [1.0, -2.0]\n", "vary.preferences.wage", "must be"),
    ("seed = 1\n[vary]\n'preferences.wage' = 1.0\n", "vary.preferences.wage", "list of values or a range"),
    ("seed = 1\ndesign = 'latin'\nsamples = 4\n[vary]\n'preferences.wage' = [1.0, 2.0]\n", "vary.preferences.wage",
     "range"),
    ("seed = 1\ndesign = 'latin'\n[vary]\n'preferences.wage' = {low = 1, high = 2}\n", "samples", "required"),
    ("seed = 1\ndesign = 'latin'\nsamples = 4\n[vary]\n'preferences.wage' = {low = 2, high = 1}\n",
     "vary.preferences.wage", "low must be below high"),
    ("seed = 1\nkeep = 'all'\n[vary]\n'preferences.wage' = [1.0]\n", "keep", "yearly, final"),
    ("seed = 1\nreplicate = 2\n[vary]\n'preferences.wage' = [1.0]\n", "replicate", "unknown key"),
    ("seed = 1\n[vary]\n", "vary", "at least one"),
    ("seed = 1\ndesign = 'arms'\n[arms.a]\npolicies.salary_match.share = 7.0\n", "arms.a.policies.salary_match.share",
     "must be"),
    ("seed = 1\ndesign = 'arms'\n[arms.a]\nconfig = 'missing.toml'\n", "arms.a.config", "no such config file"),
    ("seed = 1\nyears = 0\n[vary]\n'preferences.wage' = [1.0]\n", "years", ">= 1"),
    ("seed = 1\n[set]\n'preferences.income_curvature' = 2.0\n[vary]\n'preferences.wage' = [1.0]\n",
     "set.preferences.income_curvature", "must be"),
    ("seed = 1\n[vary\n", "", "not valid TOML"),
]


@pytest.mark.parametrize(("body", "key", "hint"), BAD, ids=[b[1] + ":" + b[2] for b in BAD])
def test_bad_sweep_files_give_one_line_naming_file_and_key(tmp_path, body, key, hint):
    path = write_sweep(tmp_path, body)
    with pytest.raises(ConfigError) as caught:
        read_sweep(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: {key}: " if key else f"{path}: "), text
    assert hint in text and "top level" not in text


def test_missing_base_names_the_key(tmp_path):
    path = tmp_path / "s.toml"
    path.write_text("base = 'nowhere.toml'\nseed = 1\n[vary]\n'preferences.wage' = [1.0]\n")
    with pytest.raises(ConfigError, match=r"s\.toml: base: no such config file nowhere\.toml"):
        read_sweep(path)


# ---------------------------------------------------------------- defects found by an adversarial user
def one_line_error(path, key):
    """The ConfigError of reading the sweep file ``path``, checked to be one line naming the file and ``key``."""
    with pytest.raises(ConfigError) as caught:
        read_sweep(path)
    text = str(caught.value)
    assert "\n" not in text
    assert text.startswith(f"{path}: {key}: "), text
    return text


def test_grid_range_of_a_whole_number_key_that_rounds_into_duplicates_is_refused(tmp_path):
    path = write_sweep(tmp_path, """
        seed = 1
        [vary]
        "careers.duration_min.phd" = { low = 1, high = 2, steps = 3 }
        """)
    text = one_line_error(path, "vary.careers.duration_min.phd")
    assert "whole-number key" in text and "1.5" in text and "(high - low) / (steps - 1)" in text


def test_grid_list_of_a_whole_number_key_must_hold_distinct_whole_numbers(tmp_path):
    fraction = write_sweep(tmp_path, "seed = 1\n[vary]\n'careers.duration_min.phd' = [1, 1.5]\n", name="a.toml")
    assert "whole-number key" in one_line_error(fraction, "vary.careers.duration_min.phd")
    twice = write_sweep(tmp_path, "seed = 1\n[vary]\n'careers.duration_min.phd' = [1, 1.0]\n", name="b.toml")
    assert "more than once" in one_line_error(twice, "vary.careers.duration_min.phd")


def test_grid_range_of_a_whole_number_key_on_whole_steps_gives_whole_numbers(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, "seed = 1\n[vary]\n'careers.duration_min.phd' = {low = 1, high = 3, "
                                             "steps = 3}\n"))
    assert [p.values["careers.duration_min.phd"] for p in sweep.points] == [1, 2, 3]
    assert all(type(p.values["careers.duration_min.phd"]) is int for p in sweep.points)
    assert [p.config.careers.duration_min["phd"] for p in sweep.points] == [1, 2, 3]


def test_set_value_inside_a_table_that_vary_sets_whole_is_kept(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, """
        seed = 1
        [set]
        "policies.salary_match.share" = 0.3
        [vary]
        "policies.salary_match" = [{ budget = 1.0 }, { budget = 2.0 }]
        """))
    matches = [p.config.policies.salary_match for p in sweep.points]
    assert [(m.share, m.budget) for m in matches] == [(0.3, 1.0), (0.3, 2.0)]


def test_set_value_inside_a_table_that_an_arm_switches_on_is_kept(tmp_path):
    sweep = read_sweep(write_sweep(tmp_path, """
        seed = 1
        design = "arms"
        [set]
        "policies.salary_match.share" = 0.3
        [arms.on]
        policies.salary_match = {}
        """))
    assert sweep.points[0].config.policies.salary_match.share == 0.3


def test_set_and_vary_giving_the_same_key_inside_a_table_is_refused(tmp_path):
    path = write_sweep(tmp_path, """
        seed = 1
        [set]
        "policies.salary_match.share" = 0.3
        [vary]
        "policies.salary_match" = [{ share = 0.4 }, { budget = 2.0 }]
        """)
    text = one_line_error(path, "vary.policies.salary_match")
    assert "set.policies.salary_match.share" in text and "one place" in text


def test_varied_researchers_scale_the_cohort_like_talentflow_run(tmp_path):
    from simulation.cli import resolve_config

    sweep = read_sweep(write_sweep(tmp_path, """
        seed = 1
        years = 5
        [vary]
        "simulation.researchers" = [300, 600]
        """))
    for point, n in zip(sweep.points, (300, 600), strict=True):
        assert point.values["simulation.researchers"] == n
        assert point.config == resolve_config(BASELINE, years=5, researchers=n)


def test_set_researchers_scale_the_cohort_like_talentflow_run(tmp_path):
    from simulation.cli import resolve_config

    sweep = read_sweep(write_sweep(tmp_path, """
        seed = 1
        years = 5
        [set]
        "simulation.researchers" = 400
        [vary]
        "preferences.wage" = [1.0]
        """))
    expected = resolve_config(BASELINE, ["preferences.wage=1.0"], years=5, researchers=400)
    assert sweep.points[0].config == expected


def test_researchers_given_twice_is_refused(tmp_path):
    path = write_sweep(tmp_path, """
        seed = 1
        researchers = 500
        [vary]
        "simulation.researchers" = [300, 600]
        """)
    text = one_line_error(path, "vary.simulation.researchers")
    assert "researchers = 500" in text


@pytest.mark.parametrize("given", ['"simulation.years" = 3', "simulation = { years = 3 }"])
def test_years_given_twice_is_refused(tmp_path, given):
    path = write_sweep(tmp_path, f"""
        seed = 1
        years = 2
        [set]
        {given}
        [vary]
        "preferences.wage" = [1.0]
        """)
    assert "years = 2" in one_line_error(path, "set.simulation.years")


def test_researchers_inside_a_varied_table_is_refused_with_the_right_way(tmp_path):
    path = write_sweep(tmp_path, """
        seed = 1
        [vary]
        "simulation" = [{ researchers = 300 }, { researchers = 600 }]
        """)
    text = one_line_error(path, "vary.simulation")
    assert "researchers = N" in text and "cohort" in text


@pytest.mark.parametrize(("body", "key"), [
    ("seed = 1\nreplicates = 100000000\n[vary]\n'preferences.wage' = [1.0, 2.0]\n", "replicates"),
    ("seed = 1\ndesign = 'sobol'\nsamples = 1000000000\n[vary]\n'preferences.wage' = {low = 1, high = 2}\n",
     "samples"),
    ("seed = 1\ndesign = 'latin'\nsamples = 1000000000\n[vary]\n'preferences.wage' = {low = 1, high = 2}\n",
     "samples"),
    ("seed = 1\ndesign = 'morris'\nsamples = 1000000000\n[vary]\n'preferences.wage' = {low = 1, high = 2}\n",
     "samples"),
    ("seed = 1\n[vary]\n'preferences.wage' = {low = 1, high = 2, steps = 1000000000}\n", "vary.preferences.wage"),
    ("seed = 1\n[vary]\n'preferences.wage' = {low = 1, high = 2, steps = 1000}\n"
     "'preferences.mentor' = {low = 1, high = 2, steps = 1000}\n'preferences.home' = {low = 0, high = 1, "
     "steps = 1000}\n", "vary"),
])
def test_absurd_sweep_sizes_are_refused_before_anything_is_built_with_the_limit_stated(tmp_path, body, key):
    text = one_line_error(write_sweep(tmp_path, body), key)
    from experiments.sweepfile import MAX_POINTS, MAX_RUNS

    assert f"limit of {MAX_RUNS:,} runs a sweep" in text or f"limit of {MAX_POINTS:,} points a sweep" in text


def test_there_is_one_policy_comparison_and_it_runs_on_the_default_scenario():
    from simulation.config import DEFAULT_CONFIG

    comparisons = []
    for path in sorted((ROOT / "configs" / "sweeps").glob("*.toml")):
        raw = tomllib.loads(path.read_text())  # read_sweep would build every point of the large designs
        if raw.get("design") == "arms" and "baseline" in raw.get("arms", {}):
            comparisons.append(path.name)
            assert read_sweep(path).base == str(DEFAULT_CONFIG), path.name
    assert comparisons == ["policy_scenarios.toml"]


def test_the_docs_name_only_sweep_files_that_exist():
    import re

    for doc in [ROOT / "README.md", *sorted((ROOT / "docs").glob("*.md"))]:
        for name in re.findall(r"configs/sweeps/([\w.-]+\.toml)", doc.read_text()):
            assert (ROOT / "configs" / "sweeps" / name).is_file(), f"{doc.name}: {name}"
