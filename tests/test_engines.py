"""Two engines, one model: the Mesa agent engine and the vectorized engine agree exactly; runs are deterministic."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import run_model
from pandas.testing import assert_frame_equal

SEEDS = (1, 2, 3)
CONFIGS = ("small_config", "all_levers_config", "three_country_config")


@pytest.mark.parametrize("config_name", CONFIGS)
@pytest.mark.parametrize("seed", SEEDS)
def test_agent_and_vectorized_engines_give_identical_yearly_outputs(request, config_name, seed):
    config = request.getfixturevalue(config_name)
    agents = run_model(config, seed, engine="agents").yearly()
    vectorized = run_model(config, seed, engine="vectorized").yearly()
    assert len(vectorized) == config.simulation.years + 1
    assert_frame_equal(agents, vectorized, check_exact=True)


SCENARIOS = sorted([*Path(__file__).resolve().parent.parent.glob("configs/*.toml"),
                    *Path(__file__).resolve().parent.parent.glob("configs/examples/*.toml")])


@pytest.mark.parametrize("path", SCENARIOS, ids=lambda p: p.stem)
@pytest.mark.parametrize("seed", SEEDS[:2])
def test_both_engines_give_identical_outputs_on_every_scenario_in_configs(path, seed):
    from simulation.config import load_config
    from simulation.parameters import with_parameters

    config = with_parameters(load_config(path), researchers=600, years=6)
    agents = run_model(config, seed, engine="agents").yearly()
    vectorized = run_model(config, seed, engine="vectorized").yearly()
    assert_frame_equal(agents, vectorized, check_exact=True)


def test_all_levers_scenario_spends_on_every_lever_and_its_budgets_bind(all_levers_config):
    """The equivalence above is only worth something if every lever acts and budgets bind in that scenario."""
    y = run_model(all_levers_config, 1).yearly()
    for name, lever in all_levers_config.policies.levers():
        spent = y[f"spending_{name}"]
        assert spent.sum() > 0, name
        # Binding: some year spends more than half the budget (a contract is a large share of it at this size).
        assert spent.max() > 0.5 * lever.budget, (name, spent.max(), lever.budget)


@pytest.mark.parametrize("seed", SEEDS[:2])
def test_agent_and_vectorized_engines_give_identical_agent_rows(all_levers_config, seed):
    agents = run_model(all_levers_config, seed, engine="agents", record_agents=True).agent_rows()
    vectorized = run_model(all_levers_config, seed, engine="vectorized", record_agents=True).agent_rows()
    assert list(vectorized.columns) == ["id", "year", "origin", "country", "sector", "stage", "career_age",
                                        "talent", "phd_country", "phd_year", "moved", "support"]
    assert vectorized["support"].sum() > 0
    assert_frame_equal(agents, vectorized, check_exact=True)


@pytest.mark.parametrize("engine", ["agents", "vectorized"])
def test_same_config_and_seed_give_identical_outputs(all_levers_config, engine):
    first = run_model(all_levers_config, 7, engine=engine, record_agents=True)
    second = run_model(all_levers_config, 7, engine=engine, record_agents=True)
    assert_frame_equal(first.yearly(), second.yearly(), check_exact=True)
    assert_frame_equal(first.agent_rows(), second.agent_rows(), check_exact=True)


def test_equally_seeded_numpy_generators_give_the_same_run(small_config):
    from simulation.model import TalentModel

    def run_with_generator() -> pd.DataFrame:
        model = TalentModel(small_config, rng=np.random.default_rng(11))
        while model.running:
            model.step()
        return model.yearly()

    assert_frame_equal(run_with_generator(), run_with_generator(), check_exact=True)


@pytest.mark.parametrize("engine", ["agents", "vectorized"])
def test_different_seeds_give_different_outputs(small_config, engine):
    first = run_model(small_config, 1, engine=engine).yearly()
    second = run_model(small_config, 2, engine=engine).yearly()
    varying = ["researchers_KR", "emigration", "research_output_KR", "top_talent_KR"]
    assert not first[varying].equals(second[varying])
    # The initial draws differ too, not only the later years.
    assert first.loc[0, "research_output_KR"] != second.loc[0, "research_output_KR"]


def test_yearly_outputs_have_one_row_a_year_starting_with_the_initial_state(small_config):
    y = run_model(small_config, 1).yearly()
    start = small_config.simulation.start_year
    assert isinstance(y, pd.DataFrame)
    assert list(y["year"]) == list(range(start, start + small_config.simulation.years + 1))
    assert y.loc[0, "entries"] == 0 and y.loc[0, "exits"] == 0


@pytest.mark.parametrize("engine", ["agents", "vectorized"])
def test_agent_rows_of_past_years_do_not_change_as_the_run_goes_on(small_config, engine):
    from simulation.model import TalentModel

    model = TalentModel(small_config, engine=engine, record_agents=True, rng=1)
    model.step()
    early = model.agent_rows().copy()
    while model.running:
        model.step()
    late = model.agent_rows()
    assert_frame_equal(early, late[late["year"] <= early["year"].max()].reset_index(drop=True), check_exact=True)
