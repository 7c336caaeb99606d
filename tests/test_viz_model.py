"""The demo's model (simulation.viz.demo): controls in, a policy run and its baseline out, bad input as messages."""

from __future__ import annotations

import inspect
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.viz import app
from simulation.viz.demo import (
    CONFIG_ENV,
    CONFIGS_DIR,
    DEFAULT_RESEARCHERS,
    DEFAULT_SEED,
    DemoModel,
    default_scenario,
    parse_seed,
    scenario_files,
)

SMALL = 300
BASELINE = CONFIGS_DIR / "baseline.toml"


@pytest.fixture()
def scenario_file(tmp_path: Path, monkeypatch: pytest.MonkeyPatch):
    """Factory: write a TOML scenario extending the baseline, make it the CLI's CONFIG, return its path."""
    def write(body: str, name: str = "mine.toml") -> Path:
        path = tmp_path / name
        path.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "mine"\n{body}')
        monkeypatch.setenv(CONFIG_ENV, str(path))
        return path
    return write


def test_without_levers_the_policy_run_and_the_baseline_run_are_the_same_run() -> None:
    model = DemoModel(researchers=SMALL, seed=7)
    for _ in range(4):
        model.step()
    assert model.levers == [] and model.baseline.levers == []
    assert model.yearly().equals(model.baseline.yearly())
    assert len(model.yearly()) == 5


def test_a_switched_on_lever_takes_the_slider_values_and_the_baseline_has_no_lever() -> None:
    model = DemoModel(researchers=SMALL, salary_match=True, match_share=0.3, match_cap=700.0, match_budget=90_000.0,
                      star_recruitment=True, stars_per_year=7)
    match = model.config.policies.salary_match
    assert (match.share, match.cap, match.budget) == (0.3, 700.0, 90_000.0)
    assert model.config.policies.star_recruitment.stars_per_year == 7
    assert model.lever_names == ["salary_match", "star_recruitment"]
    assert model.baseline.config.policies.levers() == []
    assert model.input_errors == ()


def test_a_lever_slider_does_nothing_while_its_switch_is_off() -> None:
    model = DemoModel(researchers=SMALL, salary_match=False, match_share=0.9, return_grant=400.0)
    assert model.config.policies.levers() == []


def test_a_switched_off_lever_stays_as_the_scenario_has_it(scenario_file) -> None:
    path = scenario_file("[policies.return_grant]\ngrant = 99.0\nbudget = 1000.0\n")
    model = DemoModel(scenario_name=default_scenario(), researchers=SMALL)
    assert model.scenario_name == str(path)
    assert model.config.policies.return_grant.grant == 99.0
    assert model.baseline.config.policies.return_grant is None
    switched_on = DemoModel(scenario_name=str(path), researchers=SMALL, return_grant_on=True, return_grant=120.0)
    assert switched_on.config.policies.return_grant.grant == 120.0
    assert switched_on.config.policies.return_grant.budget == 50_000.0  # the page's budget slider default


def test_population_size_scales_both_runs() -> None:
    model = DemoModel(researchers=SMALL)
    assert model.config.simulation.researchers == SMALL
    assert model.baseline.config.simulation.researchers == SMALL
    assert abs(len(model.researcher_arrays()["id"]) - SMALL) <= 4 * SMALL**0.5  # the steady state's size, up to chance


@pytest.mark.parametrize(("seed", "expected"), [("12", 12), (" 0 ", 0), (4_294_967_295, 4_294_967_295)])
def test_parse_seed_accepts_whole_numbers_in_range(seed, expected) -> None:
    assert parse_seed(seed) == expected


@pytest.mark.parametrize("seed", ["abc", "1.5", "-1", "4294967296", ""])
def test_parse_seed_rejects_other_input_with_a_one_line_message(seed) -> None:
    with pytest.raises(ValueError, match=r"^seed: .*allowed: 0 to 4294967295$"):
        parse_seed(seed)


def test_a_bad_seed_becomes_a_message_and_the_run_uses_the_default_seed() -> None:
    model = DemoModel(researchers=SMALL, seed="abc")
    assert model.seed == DEFAULT_SEED
    assert len(model.input_errors) == 1
    assert model.input_errors[0].startswith("seed: 'abc' is not a whole number")
    assert "\n" not in model.input_errors[0]
    reference = DemoModel(researchers=SMALL, seed=DEFAULT_SEED)
    model.step()
    reference.step()
    assert model.yearly().equals(reference.yearly())


@pytest.mark.parametrize("researchers", [float("inf"), float("nan"), 1.7, True, "300"])
def test_a_population_that_is_not_a_whole_number_becomes_a_message_and_the_pages_default(researchers) -> None:
    from simulation.config import load_config
    from simulation.viz.demo import apply_controls

    config, errors = apply_controls(load_config(BASELINE), researchers, {})
    assert len(errors) == 1 and errors[0].startswith("researchers: must be a whole number of agents"), errors
    assert config.simulation.researchers == DEFAULT_RESEARCHERS and "\n" not in errors[0]


def test_a_lever_switch_that_is_not_true_or_false_is_a_message_not_a_lever_switched_on() -> None:
    model = DemoModel(researchers=SMALL, salary_match="no", hours_exemption="false")
    assert model.lever_names == []
    assert len(model.input_errors) == 2 and all("must be true or false" in e for e in model.input_errors)


def test_an_out_of_range_lever_value_becomes_a_message_and_that_lever_is_left_out() -> None:
    model = DemoModel(researchers=SMALL, salary_match=True, match_share=1.5, hours_exemption=True)
    assert model.lever_names == ["hours_exemption"]
    assert len(model.input_errors) == 1
    assert "policies.salary_match.share" in model.input_errors[0]
    assert "salary matching left as in the scenario" in model.input_errors[0]


def test_an_unknown_scenario_becomes_a_message_and_the_run_uses_the_default_scenario() -> None:
    model = DemoModel(researchers=SMALL, scenario_name="no_such_scenario")
    assert model.scenario_name == "calibrated"
    assert model.input_errors[0].startswith("scenario: 'no_such_scenario' is not a file")


def test_a_scenario_file_with_an_error_becomes_its_one_line_message(scenario_file) -> None:
    path = scenario_file("[simulation]\nyears = -3\n")
    model = DemoModel(researchers=SMALL, scenario_name=str(path))
    assert model.scenario_name == "calibrated"
    assert len(model.input_errors) == 1
    assert str(path) in model.input_errors[0] and "simulation.years" in model.input_errors[0]


def test_scenario_files_lists_configs_and_examples_but_not_sweeps(tmp_path: Path) -> None:
    (tmp_path / "sweeps").mkdir()
    (tmp_path / "examples").mkdir()
    for name in ("a.toml", "sweeps/s.toml", "examples/e.toml", "notes.txt"):
        (tmp_path / name).write_text("")
    other = tmp_path.parent / "elsewhere.toml"
    files = scenario_files(tmp_path, extra=other)
    assert list(files) == ["a", "examples/e", str(other)]
    assert scenario_files(tmp_path, extra=tmp_path / "a.toml").keys() == {"a", "examples/e"}


def test_the_page_opens_on_the_cli_config_or_else_the_calibrated_scenario(scenario_file, monkeypatch) -> None:
    monkeypatch.delenv(CONFIG_ENV, raising=False)
    assert default_scenario() == "calibrated"
    path = scenario_file("")
    assert default_scenario() == str(path)
    monkeypatch.setenv(CONFIG_ENV, str(BASELINE))
    assert default_scenario() == "baseline"


def test_a_step_of_both_runs_at_the_default_size_advances_both_and_records_its_time() -> None:
    """Its speed (at most 200 ms) is measured by ``make bench`` (benchmarks/demo.py), not asserted here."""
    model = DemoModel(salary_match=True, hours_exemption=True, star_recruitment=True, return_grant_on=True)
    assert model.config.simulation.researchers == DEFAULT_RESEARCHERS
    model.step()
    assert model.steps == model.baseline.steps == 1
    assert len(model.yearly()) == len(model.baseline.yearly()) == 2  # the initial state and the year


def test_every_page_control_is_a_demo_model_keyword_with_the_same_default() -> None:
    signature = inspect.signature(DemoModel.__init__).parameters
    params = app.model_params()
    for key, spec in params.items():
        assert key in signature, key
        value = spec["value"] if isinstance(spec, dict) else spec
        if key != "scenario_name":
            assert value == signature[key].default, key
    assert set(signature) - {"self"} == set(params)


def test_pending_changes_name_only_the_controls_that_differ_from_the_running_model() -> None:
    model = DemoModel(researchers=SMALL)
    params = app.model_params()
    wanted = {**model.controls, "researchers": 2500, "salary_match": True, "match_share": 0.75}
    lines = app.pending_changes(model.controls, wanted, params)
    assert lines == ["Population (agents): 300 → 2,500", "Salary matching: off → on",
                     "Match share of pay gap: 0.5 → 0.75"]
    assert app.pending_changes(model.controls, dict(model.controls), params) == []


def test_the_status_names_each_lever_in_force_with_its_values() -> None:
    model = DemoModel(researchers=SMALL, salary_match=True, match_share=0.25, match_cap=800.0, hours_exemption=True)
    settings = app.lever_settings(model)
    assert settings.startswith("salary matching: share 0.25, cap 800 M KRW/yr, budget 200,000 M KRW/yr (from 2025)")
    assert "52-hour exemption (from 2025)" in settings
    assert app.lever_settings(DemoModel(researchers=SMALL)) == ""


def test_a_view_that_fails_becomes_one_line_on_the_page(caplog) -> None:
    def broken(model):
        raise KeyError("top_talent_XX")

    model = DemoModel(researchers=SMALL)
    assert app.drawn(broken, model, "top talent") == "The top talent view could not be drawn: KeyError: 'top_talent_XX'"
    assert "the top talent view failed" in caplog.text
    assert app.drawn(app._flows, model, "flows").startswith("<svg")


def test_the_demo_runs_mesa_agents_by_default_and_can_switch_to_the_vectorized_engine() -> None:
    agents = DemoModel(researchers=SMALL, salary_match=True)
    assert agents.engine == "agents" and agents.baseline.engine == "vectorized"  # the baseline is only drawn
    assert len(agents.agents) == len(agents.researcher_arrays()["id"]) > 0
    vectorized = DemoModel(researchers=SMALL, salary_match=True, engine="vectorized")
    for _ in range(3):
        agents.step()
        vectorized.step()
    assert vectorized.engine == "vectorized" and len(vectorized.agents) == 0
    pd.testing.assert_frame_equal(agents.yearly(), vectorized.yearly(), check_exact=True)
    for name, values in agents.researcher_arrays().items():
        np.testing.assert_array_equal(values, vectorized.researcher_arrays()[name], err_msg=name)


def test_an_unknown_engine_falls_back_to_the_agents_with_a_message() -> None:
    model = DemoModel(researchers=SMALL, engine="gpu")
    assert model.engine == "agents"
    assert model.input_errors == ("engine: 'gpu' is not one of agents, vectorized; using agents",)
