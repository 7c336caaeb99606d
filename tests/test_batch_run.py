"""The model is a Mesa citizen: ``mesa.batch_run`` builds it from keyword parameters and a seed list."""

from __future__ import annotations

import mesa
import pandas as pd
import pytest

from simulation.model import TalentModel
from simulation.observe import column_names

PARAMETERS = {"researchers": 300, "years": 3, "match_share": [0.0, 0.5]}
SEEDS = [1, 2]


@pytest.fixture(scope="module")
def batch() -> pd.DataFrame:
    rows = mesa.batch_run(TalentModel, PARAMETERS, rng=SEEDS, max_steps=3, number_processes=1,
                          display_progress=False)
    return pd.DataFrame(rows)


def test_batch_run_returns_one_row_per_parameter_point_and_seed_with_every_reporter(batch):
    model = TalentModel(researchers=300, years=3, match_share=0.5, rng=1)
    reporters = column_names(model.world, [lever.name for lever in model.levers])
    assert "spending_salary_match" in reporters
    assert len(batch) == len(SEEDS) * len(PARAMETERS["match_share"])
    assert set(reporters) <= set(batch.columns)
    assert sorted(zip(batch["rng"], batch["match_share"], strict=True)) == [(1, 0.0), (1, 0.5), (2, 0.0), (2, 0.5)]
    assert (batch["Step"] == 3).all()
    assert (batch["year"] == model.config.simulation.start_year + 3).all()
    # Outputs that can be undefined in a small run: the stay rates (no graduates), the faculty return
    # rate (no seniors abroad), a lever's value to recipients (none reached) and its deadweight (no baseline twin).
    undefined = ("stay_rate", "faculty_return", "wage_equivalent", "deadweight")
    defined = [r for r in reporters if not r.startswith(undefined)]
    assert batch[defined].notna().all().all()


def test_batch_run_rows_equal_direct_runs_with_the_same_parameters_and_seed(batch):
    for _, row in batch.iterrows():
        model = TalentModel(researchers=300, years=3, match_share=row["match_share"], rng=int(row["rng"]))
        while model.running:
            model.step()
        last = model.yearly().iloc[-1]
        for name in ("researchers_total", "researchers_KR", "emigration", "share_abroad", "mentor_quality_KR"):
            assert row[name] == last[name], name


def test_batch_run_collects_every_year_when_asked():
    rows = pd.DataFrame(mesa.batch_run(TalentModel, {"researchers": 300, "years": 3}, rng=[5], max_steps=3,
                                       number_processes=1, data_collection_period=1, display_progress=False))
    start = TalentModel(researchers=300, years=3).config.simulation.start_year
    assert list(rows["Step"]) == [0, 1, 2, 3]
    assert list(rows["year"]) == [start, start + 1, start + 2, start + 3]


def test_a_mesa_scenario_seeds_the_model_and_sets_its_keyword_parameters():
    """Mesa's SolaraViz rebuilds a model on Reset with ``scenario=``: the model takes it as rng and keywords."""
    from mesa.experimental.scenarios import Scenario

    via_scenario = TalentModel(scenario=Scenario(rng=4, researchers=300, years=2, match_share=0.5))
    direct = TalentModel(researchers=300, years=2, match_share=0.5, rng=4)
    for model in (via_scenario, direct):
        while model.running:
            model.step()
    pd.testing.assert_frame_equal(via_scenario.yearly(), direct.yearly())
    assert via_scenario.config.policies.salary_match is not None
    with pytest.raises(TypeError, match="unknown model parameter"):
        TalentModel(scenario=Scenario(rng=4, density=0.8))


def test_batch_run_varies_any_config_key_by_its_dotted_path():
    parameters = {"researchers": 300, "years": 2, "preferences.wage": [0.5, 1.5], "countries.KR.mentor_weight": 0.2}
    rows = pd.DataFrame(mesa.batch_run(TalentModel, parameters, rng=[4], max_steps=2, number_processes=1,
                                       display_progress=False))
    assert sorted(rows["preferences.wage"]) == [0.5, 1.5]
    for _, row in rows.iterrows():
        model = TalentModel(researchers=300, years=2, rng=4, **{"preferences.wage": row["preferences.wage"],
                                                                 "countries.KR.mentor_weight": 0.2})
        assert model.config.preferences.wage == row["preferences.wage"]
        assert model.config.countries["KR"].mentor_weight == 0.2
        while model.running:
            model.step()
        assert model.yearly().iloc[-1]["researchers_KR"] == row["researchers_KR"]
    low, high = rows.sort_values("preferences.wage")["share_abroad"]
    assert low != high  # the weight reached the model


@pytest.mark.parametrize(("key", "value", "message"), [
    ("preferences.wagex", 1.0, "unknown key"),
    ("preferences.wage", -1.0, "must be in"),
    ("preferences.wage.x", 1.0, "is a value, not a table"),
])
def test_a_bad_dotted_key_is_refused_like_set(key, value, message):
    from simulation.config import ConfigError

    with pytest.raises(ConfigError, match=message) as err:
        TalentModel(researchers=300, **{key: value})
    assert key.startswith(err.value.key) or err.value.key.startswith("preferences")


def test_the_number_of_researchers_is_given_once():
    with pytest.raises(TypeError, match="once"):
        TalentModel(researchers=300, **{"simulation.researchers": 400})
    model = TalentModel(**{"simulation.researchers": 400})
    assert model.config.simulation.researchers == 400


def test_agent_reporters_describe_every_agent_as_the_model_counts_it():
    model = TalentModel(engine="agents", researchers=300, years=3, rng=3, match_share=0.5, match_budget=1e6)
    while model.running:
        model.step()
    agents = model.datacollector.get_agent_vars_dataframe().reset_index()
    assert set(agents.columns) >= {"Step", "AgentID", "country", "sector", "stage", "talent", "support"}
    yearly = model.yearly()
    w = model.people_per_agent
    for step, rows in agents.groupby("Step"):
        year = yearly.iloc[int(step)]
        assert len(rows) * w == pytest.approx(year["researchers_total"])
        assert (rows["country"] == "KR").sum() * w == pytest.approx(year["researchers_KR"])
        assert rows["support"].sum() * w == pytest.approx(year["spending_total"])
    assert yearly["spending_total"].iloc[1:].gt(0).any()
    last = agents[agents["Step"] == agents["Step"].max()].set_index("AgentID")
    assert set(last.index) == {r.unique_id for r in model.researchers}
    r = model.researchers[0]
    assert (last.loc[r.unique_id, "stage"], last.loc[r.unique_id, "talent"]) == (r.stage_name, r.talent)
    import pickle

    assert pickle.loads(pickle.dumps(model)).datacollector.get_agent_vars_dataframe().shape == (len(agents), 5)
