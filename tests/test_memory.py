"""The memory a run needs, estimated before it starts: an upper bound of what the model holds, and a one-line
refusal of a run that cannot fit."""

from __future__ import annotations

import dataclasses

import pytest
from conftest import BASELINE, build_small_config, run_model

from simulation import cli, memory
from simulation.config import ConfigError
from simulation.model import TalentModel

GIB = 2**30


def test_bytes_a_researcher_are_those_of_the_population_arrays(small_config):
    model = run_model(small_config, seed=1)
    pop = model.population
    held = sum(getattr(pop, f.name).nbytes for f in dataclasses.fields(pop))
    assert memory.bytes_per_researcher(small_config) == pytest.approx(held / len(pop))


def test_a_scenario_whose_cohorts_are_empty_has_an_estimate_like_any_other(small_config):
    empty = dataclasses.replace(small_config, simulation=dataclasses.replace(small_config.simulation,
                                                                             cohort_index=0.0))
    assert memory.bytes_per_researcher(empty) == memory.bytes_per_researcher(small_config)


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_the_alive_bound_of_each_horizon_holds_the_researchers_alive_until_then(seed):
    model = TalentModel(build_small_config(years=12), rng=seed)
    alive = [len(model.population)]
    while model.running:
        model.step()
        alive.append(len(model.population))
    for years in range(1, 13):
        assert max(alive[: years + 1]) <= memory.alive_bound(build_small_config(years=years)), years


def test_the_estimate_grows_with_researchers_agents_and_agent_rows_by_the_year():
    small, large = build_small_config(researchers=1_000), build_small_config(researchers=2_000)
    assert memory.estimate_bytes(large) == pytest.approx(2 * memory.estimate_bytes(small), rel=0.01)
    assert (memory.estimate_bytes(build_small_config(years=20), record_agents=True)
            > memory.estimate_bytes(build_small_config(years=5), record_agents=True))
    assert memory.estimate_bytes(small, engine="agents") > memory.estimate_bytes(small)
    assert memory.estimate_bytes(small, record_agents=True) > memory.estimate_bytes(small)


def test_a_run_that_fits_passes_and_one_that_does_not_is_refused(monkeypatch):
    config = build_small_config()
    monkeypatch.setattr(memory, "available_bytes", lambda: 64 * GIB)
    memory.check_memory(config, source="x.toml")
    monkeypatch.setattr(memory, "available_bytes", lambda: memory.estimate_bytes(config) // 2)
    with pytest.raises(ConfigError, match=r"simulation\.researchers") as info:
        memory.check_memory(config, source="x.toml")
    assert "\n" not in str(info.value) and "available" in str(info.value)
    monkeypatch.setattr(memory, "available_bytes", lambda: None)  # unknown: no check
    memory.check_memory(config, source="x.toml")


def test_available_memory_is_read_where_the_system_tells_it():
    available = memory.available_bytes()
    assert available is None or available > 0


@pytest.mark.parametrize("command", ["run", "compare"])
def test_researchers_that_cannot_fit_are_refused_in_one_line_before_the_run(command, monkeypatch, tmp_path, capsys):
    monkeypatch.setattr(memory, "available_bytes", lambda: 4 * GIB)

    def never(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr("simulation.run.simulate", never)
    monkeypatch.chdir(tmp_path)
    configs = [str(BASELINE)] * (2 if command == "compare" else 1)
    assert cli.main([command, *configs, "--researchers", "100000000", "--out", "out"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("talentflow: error: --researchers: simulation.researchers: "), err
    assert "GiB" in err and "100,000,000" in err
    assert list(tmp_path.iterdir()) == []
