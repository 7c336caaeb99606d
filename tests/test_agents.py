"""The agent engine's scalar code against the vectorized functions it re-implements, researcher by researcher.

tests/test_engines.py compares whole runs; here each Researcher's own methods
(``consider``, ``choose``) are fed inputs far from those a run produces (random
offers, pay on top, exemptions, open posts, stage transitions, income curvatures)
and must give what simulation.behaviour gives for the same researcher.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation import behaviour
from simulation.agents import Researcher, gather
from simulation.lifecycle import decides
from simulation.model import TalentModel
from simulation.parameters import with_parameters
from simulation.yearvalues import YearValues, alternatives_in, bit_mask


def running_model(config, seed: int = 3, years: int = 3) -> TalentModel:
    """An agent-engine model a few years into its run (star labs in place when the config recruits stars)."""
    model = TalentModel(config, engine="agents", rng=seed)
    for _ in range(years):
        model.step()
    return model


def year_values(model: TalentModel) -> YearValues:
    config, world = model._year_inputs()
    return YearValues.build(model.year, config, world, model.mentor_quality, model.lab_cut, model.lab_gain,
                            model.contacts)


@pytest.mark.parametrize("config_name", ["all_levers_config", "three_country_config"])
@pytest.mark.parametrize("curvature", [0.0, 0.5, 1.0])
def test_each_researchers_choice_equals_the_vectorized_choice(request, config_name, curvature):
    config = with_parameters(request.getfixturevalue(config_name), **{"preferences.income_curvature": curvature})
    model = running_model(config)
    world, researchers = model.world, model.researchers
    values = year_values(model)
    pop = gather(researchers, world.n_countries, len(model.levers))
    n, n_alt = len(pop), world.n_alternatives
    rng = np.random.default_rng(11)
    noise = rng.random((n, n_alt))
    bonus = rng.choice([0.0, 30.0, 400.0, 2500.0], size=(n, n_alt))
    exempt = rng.random((n, n_alt)) < 0.3
    available = rng.random((n, n_alt)) < 0.5
    available[np.arange(n), behaviour.current_alternative(pop, world)] = True
    available &= world.stage_allows[pop.stage]  # posts a stage cannot hold are never open (they pay nothing)
    expected = behaviour.choose_alternatives(
        pop, world, model._year_inputs()[0], model.mentor_quality, model.lab_cut, model.lab_gain, model.contacts,
        bonus, exempt, available, behaviour.minus_gumbel(noise.copy()))
    chosen = []
    for k, r in enumerate(researchers):
        r.available = bit_mask(available[k])
        chosen.append(r.choose(values, noise[k].tolist(), bonus[k].tolist(), exempt[k].tolist()))
    assert np.isfinite(model.lab_cut).any() or config_name == "three_country_config"
    assert len(set(chosen)) == n_alt  # every alternative is chosen by someone: the inputs cover them
    np.testing.assert_array_equal(chosen, expected)


@pytest.mark.parametrize("config_name", ["small_config", "three_country_config"])
def test_each_researchers_offers_and_open_posts_equal_the_vectorized_ones(request, config_name):
    model = running_model(request.getfixturevalue(config_name))
    world, researchers = model.world, model.researchers
    values = year_values(model)
    pop = gather(researchers, world.n_countries, len(model.levers))
    n, n_alt = len(pop), world.n_alternatives
    rng = np.random.default_rng(5)
    offer_u = rng.random((n, n_alt)) ** 3  # many small draws: many offers
    transition = rng.random(n) < 0.3
    leaving = rng.random(n) < 0.1
    approached = rng.random(n) < 0.1
    approach_posts = world.country_alternatives[world.origin]
    held, offered = behaviour.offers_held(pop, world, offer_u, transition)
    held[approached] |= approach_posts
    expected_deciding = decides(transition, offered, approached, leaving)
    expected_open = behaviour.open_alternatives(pop, world, held, transition)
    posts = tuple(np.flatnonzero(approach_posts).tolist())
    for k, r in enumerate(researchers):
        r.transition, r.leaving = bool(transition[k]), bool(leaving[k])
        deciding = r.consider(values, offer_u[k].tolist(), posts if approached[k] else None)
        assert deciding == expected_deciding[k], k
        if deciding:
            assert alternatives_in(r.available) == tuple(np.flatnonzero(expected_open[k]).tolist()), k
    assert 0.2 < expected_deciding.mean() < 0.9


def test_researchers_hold_python_numbers_and_gather_back_to_the_population_they_came_from(small_config):
    model = TalentModel(small_config, engine="agents", rng=2)
    r = model.researchers[0]
    assert type(r.ln_talent) is float and type(r.stage) is int and type(r.country_taste) is tuple
    back = gather(model.researchers, model.world.n_countries, len(model.levers))
    again = Researcher.from_population(model, back)
    assert [a.__dict__.keys() for a in again][:1] == [model.researchers[0].__dict__.keys()]
    for name in ("ln_talent", "country_taste", "stage", "phd_year"):
        assert [getattr(a, name) for a in again] == [getattr(b, name) for b in model.researchers]


def test_the_agent_table_is_what_mesas_own_datacollector_would_collect(all_levers_config):
    model = running_model(all_levers_config, years=4)
    collector = model.datacollector
    assert collector.mesa_records(model) == model.agent_records()
    table = collector.get_agent_vars_dataframe()
    assert list(table.columns) == ["country", "sector", "stage", "talent", "support"]
    last = table.xs(model.time, level="Step")
    assert len(last) == len(model.researchers) and last["support"].sum() > 0
