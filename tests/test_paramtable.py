"""The parameter table's origin and prior columns (simulation.paramtable), which results read to say what they hold."""

from __future__ import annotations

from simulation.config import load_config
from simulation.model import DEFAULT_CONFIG
from simulation.parameters import with_parameters
from simulation.paramtable import parameter_rows


def rows_by_key(config):
    return {row.key: row for row in parameter_rows(config)}


def test_an_assumed_value_inside_its_prior_is_listed_as_assumed_with_the_prior():
    rows = rows_by_key(load_config(DEFAULT_CONFIG))
    assert (rows["countries.KR.mentor_weight"].origin, rows["countries.KR.mentor_weight"].prior) == ("assumed",
                                                                                                    "0.2 to 1")
    assert (rows["talent.sigma"].origin, rows["talent.sigma"].prior) == ("assumed", "0.3 to 0.8")


def test_an_assumed_value_set_outside_its_prior_is_a_design_choice_with_no_prior():
    """The US mentor weight is 0 (US mentor quality is set, not made by the simulated researchers), outside the
    0.2 to 1 prior of the mentor weight: no draw from that prior describes it."""
    rows = rows_by_key(load_config(DEFAULT_CONFIG))
    assert (rows["countries.US.mentor_weight"].origin, rows["countries.US.mentor_weight"].prior) == ("design", "")
    moved = rows_by_key(with_parameters(load_config(DEFAULT_CONFIG), **{"talent.sigma": 0.2}))
    assert (moved["talent.sigma"].origin, moved["talent.sigma"].prior) == ("design", "")
    assert (moved["countries.KR.mentor_weight"].origin, moved["countries.KR.mentor_weight"].prior) == ("assumed",
                                                                                                      "0.2 to 1")
