"""simulation.population: partial copies of the researchers."""

from pathlib import Path

import numpy as np
import pytest

from simulation.config import load_config
from simulation.population import CHOICE_FIELDS, FIELDS, draw_cohort
from simulation.world import World


def test_take_of_some_fields_copies_those_and_leaves_the_others_empty():
    config = load_config(Path(__file__).resolve().parent.parent / "configs" / "baseline.toml")
    world = World.from_config(config)
    pop = draw_cohort(np.random.default_rng(5), 20, config, world, first_id=0, n_levers=1)
    rows = np.array([1, 4, 7])
    full, part = pop.take(rows), pop.take(rows, CHOICE_FIELDS)
    assert len(part) == 3
    for name in FIELDS:
        if name in CHOICE_FIELDS:
            assert np.array_equal(getattr(part, name), getattr(full, name))
        else:
            assert getattr(part, name).shape == (0, *getattr(pop, name).shape[1:])
    with pytest.raises(ValueError):
        part.years_in_stage + part.stage  # a field left out cannot be read by mistake
