"""Shared fixtures: small scenarios built in code from configs/baseline.toml.

Tests never depend on the policy files in configs/ (they change with the
project); a policy is switched on here by overriding its config section, so
each test states the numbers it relies on. Populations are small (a few
hundred agents, a few years) so that the whole suite runs in seconds.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Any

import pytest
from hypothesis import settings

from simulation.config import load_config
from simulation.model import TalentModel
from simulation.parameters import with_parameters
from simulation.schema import Config

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"

#: Hypothesis prints how to reproduce a failure (``@reproduce_failure``) beside its falsifying example; in CI
#: (CI=true) it is derandomized: the same examples on every run, from a seed derived from each test. No profile
#: has a deadline: the tests check results, not timings, which a busy machine (or the test files' parallel
#: workers) would make fail at random.
settings.register_profile("dev", print_blob=True, deadline=None)
settings.register_profile("ci", derandomize=True, print_blob=True, database=None, deadline=None)
settings.load_profile("ci" if os.environ.get("CI", "").lower() == "true" else "dev")

#: Agents at the start and years simulated in the small test scenarios.
SMALL_RESEARCHERS = 400
SMALL_YEARS = 8

#: Every setting of the four levers, so that tests do not depend on the schema's defaults.
LEVER_DEFAULTS: dict[str, dict[str, Any]] = {
    "salary_match": {"share": 0.5, "cap": 1000.0, "contract_years": 3},
    "hours_exemption": {"cost_per_researcher": 1.0},
    "star_recruitment": {"stars_per_year": 2000.0, "package": 500.0, "contract_years": 5,
                         "eligible_stages": ["senior"], "lab_places": 4, "place_cost": 150.0, "lab_mentor_gain": 1.0},
    "return_grant": {"grant": 150.0, "years": 3},
}
#: Yearly budgets (million KRW) small enough to bind at 400 agents, where one agent stands for ~190 people:
#: unlimited, salary matching would spend millions a year here; a star package with its lab costs ~200,000 an agent.
BINDING_BUDGETS: dict[str, float] = {"salary_match": 1_000_000.0, "hours_exemption": 20_000.0,
                                     "star_recruitment": 700_000.0, "return_grant": 60_000.0}


def lever_overrides(name: str, **settings: Any) -> list[tuple[str, Any]]:
    """Dotted overrides that switch lever ``name`` on from 2025 for everyone, with ``settings`` on top."""
    values: dict[str, Any] = {"start_year": 2025, "end_year": 2200, "min_talent_percentile": 0.0,
                              "eligible_stages": ["postdoc", "junior", "senior"]}
    values |= LEVER_DEFAULTS[name] | settings
    return [(f"policies.{name}.{key}", value) for key, value in values.items()]


#: All four levers on from 2025, with budgets that bind.
ALL_LEVERS: tuple[tuple[str, Any], ...] = tuple(
    item for name, budget in BINDING_BUDGETS.items() for item in lever_overrides(name, budget=budget))

#: A third country (China) added by configuration alone.
THIRD_COUNTRY: tuple[tuple[str, Any], ...] = (
    ("countries.CN.name", "China"),
    ("countries.CN.talent_convexity", {"academia": 0.6, "industry": 0.8}),
    ("countries.CN.mentor_floor", 1.0),
    ("countries.CN.offers", {"academia": {"intercept": -1.0, "slope": 1.0},
                             "industry": {"intercept": -1.5, "slope": 1.0}}),
    ("countries.CN.salary.academia", {"student": 10.0, "phd": 20.0, "postdoc": 60.0, "junior": 120.0,
                                      "senior": 200.0}),
    ("countries.CN.salary.industry", {"postdoc": 100.0, "junior": 150.0, "senior": 260.0}),
)


def build_small_config(overrides: Iterable[tuple[str, Any]] = (), *, researchers: int = SMALL_RESEARCHERS,
                       years: int = SMALL_YEARS) -> Config:
    """The baseline with dotted-key ``overrides``, scaled to ``researchers`` agents and ``years`` years."""
    config = load_config(BASELINE, list(overrides))
    return with_parameters(config, researchers=researchers, years=years)


def run_model(config: Config, seed: int, *, engine: str = "vectorized", record_agents: bool = False) -> TalentModel:
    """A model of ``config`` run with ``seed`` to its last year."""
    model = TalentModel(config, engine=engine, record_agents=record_agents, rng=seed)
    while model.running:
        model.step()
    return model


@pytest.fixture(scope="session")
def make_config() -> Callable[..., Config]:
    """Factory: ``make_config(overrides, researchers=400, years=8)``."""
    return build_small_config


@pytest.fixture(scope="session")
def run() -> Callable[..., TalentModel]:
    """Factory: ``run(config, seed, engine="vectorized", record_agents=False)`` -> the finished model."""
    return run_model


@pytest.fixture(scope="session")
def small_config() -> Config:
    """The baseline with 400 agents for 8 years, no policy."""
    return build_small_config()


@pytest.fixture(scope="session")
def all_levers_config() -> Config:
    """All four levers on from 2025, with budgets that bind."""
    return build_small_config(ALL_LEVERS)


@pytest.fixture(scope="session")
def three_country_config() -> Config:
    """Korea, the US and China, with all four levers on."""
    return build_small_config(THIRD_COUNTRY + ALL_LEVERS)
