"""The scenario files in configs/: calibrated.toml is the baseline with fitted utility weights, each lever file switches
on its lever alone on top of it, combined.toml all four with the same values, and the three-country example adds
China to the baseline by configuration alone.

Numbers are not pinned (they are documented in the files and may be revised); the relations between files are.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from experiments.calibration.targets import read_calibration
from simulation.config import config_as_raw, load_config
from simulation.parameters import scale_population
from simulation.run import simulate

CONFIGS = Path(__file__).resolve().parent.parent / "configs"
LEVER_FILES = ("salary_match", "hours_exemption", "star_recruitment", "return_grant")


def test_calibrated_file_is_the_baseline_with_only_its_fitted_parameters_changed():

    baseline = load_config(CONFIGS / "baseline.toml")
    calibrated = load_config(CONFIGS / "calibrated.toml")
    fitted = {p.key for p in read_calibration(CONFIGS / "calibration" / "targets.toml").priors}
    flat_base, flat_calibrated = flatten(config_as_raw(baseline)), flatten(config_as_raw(calibrated))
    changed = {k for k in flat_base if flat_base[k] != flat_calibrated.get(k)} - {"name", "description"}
    assert changed <= fitted, changed - fitted
    assert calibrated.name == "calibrated"


def flatten(raw: dict, prefix: str = "") -> dict:
    """A nested config dict as {dotted key: value}."""
    out = {}
    for key, value in raw.items():
        dotted = f"{prefix}{key}"
        if isinstance(value, dict):
            out |= flatten(value, dotted + ".")
        else:
            out[dotted] = value
    return out


@pytest.mark.parametrize("lever", LEVER_FILES)
def test_lever_file_is_the_calibrated_scenario_plus_its_lever_alone(lever):
    baseline = config_as_raw(load_config(CONFIGS / "calibrated.toml"))
    scenario = config_as_raw(load_config(CONFIGS / f"{lever}.toml"))
    assert list(scenario["policies"]) == [lever]
    for section in ("countries", "simulation", "careers", "talent", "preferences"):
        assert scenario[section] == baseline[section], section
    assert scenario["name"] == lever


def test_combined_file_has_all_four_levers_with_the_values_of_their_own_files():
    combined = config_as_raw(load_config(CONFIGS / "combined.toml"))
    calibrated = config_as_raw(load_config(CONFIGS / "calibrated.toml"))
    for section in ("countries", "simulation", "careers", "talent", "preferences"):
        assert combined[section] == calibrated[section], section
    assert sorted(combined["policies"]) == sorted(LEVER_FILES)
    for lever in LEVER_FILES:
        alone = config_as_raw(load_config(CONFIGS / f"{lever}.toml"))
        assert combined["policies"][lever] == alone["policies"][lever], lever


def test_every_lever_of_the_combined_scenario_reaches_researchers_within_budget():
    """At 6,000 agents (about 12 people each) every programme enrols someone and none spends beyond its budget
    (star packages are taken by few: at 2,000 agents the model may recruit no one in 30 years)."""
    config = scale_population(load_config(CONFIGS / "combined.toml"), 6_000)
    yearly = simulate(config, seed=1, progress=False).yearly
    for name, lever in config.policies.levers():
        assert yearly[f"recipients_{name}"].sum() > 0, name
        assert (yearly[f"spending_{name}"] <= lever.budget * (1 + 1e-9)).all(), name


def test_three_country_example_adds_china_and_keeps_korea_and_the_us_as_in_the_default():
    default = load_config(CONFIGS / "calibrated.toml")  # the scenario the example extends
    three = load_config(CONFIGS / "examples" / "three_countries.toml")
    assert three.country_codes == ("KR", "US", "CN")
    assert three.simulation.origin == "KR"
    for code in ("KR", "US"):
        assert three.countries[code] == default.countries[code]
    china = three.countries["CN"]
    assert china.hours_cap is None
    # Thousand-Talents style friction: offers are rarer than the US's for the median researcher, steeper with talent
    us = three.countries["US"]
    for sector in ("academia", "industry"):
        assert china.offers[sector].intercept < us.offers[sector].intercept
        assert china.offers[sector].slope > us.offers[sector].slope
