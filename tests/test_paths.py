"""Inputs that change by year: paths in a scenario, their validation, and a scenario that starts in 2010."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import build_small_config, run_model

from simulation.config import ConfigError, load_config
from simulation.paths import config_in_year, value_in_year

ROOT = Path(__file__).resolve().parent.parent


def test_a_path_is_linear_between_its_years_and_flat_outside():
    points = {2018: 0.0, 2020: 1.0, 2024: 2.0}
    assert [value_in_year(points, y) for y in (2010, 2018, 2019, 2020, 2022, 2024, 2050)] == [
        0.0, 0.0, 0.5, 1.0, 1.5, 2.0, 2.0]


def test_config_in_year_sets_each_path_key():
    config = build_small_config([("paths", {"countries.KR.cap_coverage": {"2018": 0.0, "2022": 1.0},
                                            "countries.US.pay_level.industry": {"2010": 0.5, "2020": 1.0}})])
    in_2020 = config_in_year(config, 2020)
    assert in_2020.countries["KR"].cap_coverage == pytest.approx(0.5)
    assert in_2020.countries["US"].pay_level["industry"] == pytest.approx(1.0)
    assert config_in_year(config, 2015).countries["US"].pay_level["industry"] == pytest.approx(0.75)
    assert config.countries["KR"].cap_coverage == 0.95  # the scenario itself is unchanged


@pytest.mark.parametrize(("paths", "key", "message"), [
    ({"simulation.researchers": {"2020": 5.0}}, "paths.simulation.researchers", "cannot follow a path"),
    ({"policies.salary_match.share": {"2020": 0.5}}, "paths.policies.salary_match.share", "own start_year"),
    ({"countries.KR.hours_cap_x": {"2020": 50.0}}, "paths.countries.KR.hours_cap_x", "not a config key"),
    ({"careers.duration_min.phd": {"2020": 3}}, "paths.careers.duration_min.phd", "only keys with a number"),
    ({"countries.KR.cap_coverage": {"1800": 0.5}}, "paths.countries.KR.cap_coverage.1800", "calendar year"),
    ({"countries.KR.cap_coverage": {"\u00b2": 0.5}}, "paths.countries.KR.cap_coverage.\u00b2", "calendar year"),
    ({"countries.KR.cap_coverage": {"2025": 0.5, "02025": 0.6}}, "paths.countries.KR.cap_coverage.02025",
     "without leading zeros"),
    ({"countries.KR.cap_coverage": {"2020": 1.5}}, "paths.countries.KR.cap_coverage.2020", "must be in [0, 1]"),
    ({"countries.KR.cap_coverage": {}}, "paths.countries.KR.cap_coverage", "table of years"),
    ({"countries.JP.cap_coverage": {"2020": 0.5}}, "paths.countries.JP.cap_coverage", "does not have"),
])
def test_a_bad_path_is_refused_naming_its_key(paths, key, message):
    with pytest.raises(ConfigError) as err:
        build_small_config([("paths", paths)])
    assert err.value.key == key and message in err.value.message, str(err.value)


def test_the_2010_scenario_phases_the_cap_in_and_grows_cohorts():
    config = load_config(ROOT / "configs" / "examples" / "start_2010.toml")
    assert config.simulation.start_year == 2010
    assert config_in_year(config, 2017).countries["KR"].cap_coverage == 0.0
    assert config_in_year(config, 2022).countries["KR"].cap_coverage == pytest.approx(0.95)
    from simulation.config import apply_overrides, build_config, config_as_raw
    short = build_config(apply_overrides(config_as_raw(config), [("simulation.researchers", 2000),
                                                                 ("simulation.years", 14)]))
    y = run_model(short, 3).yearly().set_index("year")
    # Before the cap applies no hours are cut; once it covers nearly everyone the survey's cut appears.
    assert (y.loc[2010:2017, "hours_cut_KR"] == 0).all()
    assert y.loc[2022:2024, "hours_cut_KR"].mean() == pytest.approx(2.61, abs=0.5)
    # Cohorts grow with their path: the index is 0.6 + 0.4 / 14 in 2011 and 1 in 2024.
    assert y.loc[2024, "entries"] / y.loc[2011, "entries"] == pytest.approx(1 / (0.6 + 0.4 / 14), rel=0.05)


@pytest.mark.parametrize("key", ["countries.KR.mentor_weight", "countries.KR"])
def test_overriding_a_value_the_scenario_sets_by_year_is_refused_not_ignored(tmp_path, key):
    """The path wins in every year, so a --set or a swept value of the same key would change nothing in silence."""
    scenario = tmp_path / "paths.toml"
    scenario.write_text(f'extends = "{ROOT / "configs" / "baseline.toml"}"\n'
                        '[paths]\n"countries.KR.mentor_weight" = { 2024 = 0.6, 2030 = 0.3 }\n')
    value = 1.2 if key.endswith("weight") else {"mentor_weight": 1.2}
    with pytest.raises(ConfigError) as err:
        load_config(scenario, [(key, value)])
    assert err.value.key == key and "follows a yearly path" in err.value.message
    assert load_config(scenario, [("countries.KR.mentor_floor", 0.5)]).countries["KR"].mentor_floor == 0.5
