"""The vicious cycle: when Korea loses its senior stars, its mentors get worse and more of the next cohorts
train and stay abroad.

Each run is paired with one from the same seed in which nothing is removed. Removing stars at the start
changes no researcher's stage, so both runs draw the same random numbers for the same researchers
(common random numbers): the difference is the effect of the removal alone.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import build_small_config

from simulation.careers import ACADEMIA, SENIOR
from simulation.mentors import mentor_quality, talent_per_trainee
from simulation.model import TalentModel

RESEARCHERS, YEARS = 2000, 10
#: Mentor weight when choosing where to train: 3 utils per SD of faculty quality, inside its prior range (0 to 4,
#: docs/ODD.md), where the mechanism is visible against the noise of a small population.
MENTOR = ("preferences.mentor", 3.0)
SEEDS = (1, 2, 3)
STAR_SHARE = 0.5  # the most talented half of Korea's academic seniors


def remove_stars(model: TalentModel, how: str) -> int:
    """Take Korea's most talented academic seniors away at the start; returns how many agents were removed.

    ``how`` is "abroad" (they emigrate to the first other country) or "talent" (they stay but lose
    their talent, as if they stopped mentoring). Mentor quality is recomputed from the new pool of seniors.
    """
    pop, world = model.population, model.world
    seniors = np.flatnonzero((pop.country == world.origin) & (pop.stage == SENIOR) & (pop.sector == ACADEMIA))
    stars = seniors[np.argsort(-pop.ln_talent[seniors], kind="stable")][: int(STAR_SHARE * len(seniors))]
    if how == "abroad":
        pop.country[stars] = next(i for i in range(world.n_countries) if i != world.origin)
        pop.years_in_place[stars] = 0
    else:
        pop.ln_talent[stars] = pop.ln_talent[seniors].min()
    ratio = talent_per_trainee(pop.country, pop.sector, pop.stage, pop.ln_talent, world.n_countries)
    model.mentor_quality = mentor_quality(world.mentor_floor, world.mentor_weight, ratio, world.mentor_reference)
    return len(stars)


def run(seed: int, how: str | None) -> TalentModel:
    config = build_small_config([MENTOR], researchers=RESEARCHERS, years=YEARS)
    model = TalentModel(config, rng=seed, record_agents=True)
    model.first_new_id = int(model.population.id.max()) + 1
    if how is not None:
        assert remove_stars(model, how) > 0
    while model.running:
        model.step()
    return model


def next_cohorts(model: TalentModel) -> pd.DataFrame:
    """Agent rows of the students who entered after the start."""
    rows = model.agent_rows()
    return rows[rows["id"] >= model.first_new_id]


def phd_in_korea_share(model: TalentModel) -> tuple[float, int]:
    """Share of the next cohorts' PhD starts that are in Korea, and how many started a PhD."""
    rows = next_cohorts(model)
    starts = rows[rows["stage"] == "phd"].sort_values("year", kind="stable").groupby("id").head(1)
    return float((starts["country"] == "KR").mean()), len(starts)


def in_korea_share(model: TalentModel) -> float:
    """Share of the next cohorts still in research who are in Korea in the last year."""
    rows = next_cohorts(model)
    last = rows[rows["year"] == rows["year"].max()]
    return float((last["country"] == "KR").mean())


@pytest.mark.parametrize("how", ["abroad", "talent"])
@pytest.mark.parametrize("seed", SEEDS)
def test_losing_senior_stars_lowers_korean_mentor_quality(seed, how):
    base = run(seed, None).yearly()
    hit = run(seed, how).yearly()
    years = slice(1, None)  # row 0 is the state before the removal
    assert (hit["mentor_quality_KR"].iloc[years] < base["mentor_quality_KR"].iloc[years]).all()
    assert (hit["mentor_quality_US"] == base["mentor_quality_US"]).all()  # US mentors do not depend on them


@pytest.mark.parametrize("how", ["abroad", "talent"])
@pytest.mark.parametrize("seed", SEEDS)
def test_losing_senior_stars_sends_more_of_the_next_cohorts_abroad_to_train_and_stay(seed, how):
    base, hit = run(seed, None), run(seed, how)
    base_phd, base_starts = phd_in_korea_share(base)
    hit_phd, hit_starts = phd_in_korea_share(hit)
    assert base_starts == hit_starts > 150  # the same students reach the PhD in both runs
    assert hit_phd < base_phd - 0.01, (hit_phd, base_phd)
    assert in_korea_share(hit) < in_korea_share(base)
