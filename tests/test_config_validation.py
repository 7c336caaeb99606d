"""Bad scenarios are refused at load with one line naming the file, the key and what is allowed.

Each bad file is written under ``tmp_path``; most extend a copy of the baseline and break one thing.
"""

from __future__ import annotations

import dataclasses
import shutil
import tomllib
from collections.abc import Callable
from pathlib import Path

import pytest
from conftest import BASELINE

from simulation import schema
from simulation.config import MAX_EXTENDS, ConfigError, apply_overrides, load_config, parse_override, read_toml

STAGE_LIST = "student, phd, postdoc, junior, senior"

#: (what is wrong, TOML added to a file that extends the baseline, the key named, what the message allows)
BROKEN_SCENARIOS: list[tuple[str, str, str, str]] = [
    ("unknown top-level key", 'colour = "red"', "colour",
     "unknown key; allowed here: countries, name, description, simulation, careers, talent, hours, preferences, "
     "offers, mentors, policies, paths"),
    ("unknown nested key", "[simulation]\nyeers = 5", "simulation.yeers",
     "unknown key; allowed here: start_year, years, spin_up, researchers"),
    ("unknown key in a country", "[countries.KR]\nwage = 3.0", "countries.KR.wage",
     "unknown key; allowed here: name, salary, talent_convexity"),
    ("unknown key in a policy", "[policies.salary_match]\nbudgt = 5.0", "policies.salary_match.budgt",
     "unknown key; allowed here: country, start_year, end_year, eligible_stages"),
    ("unknown policy", "[policies.tax_cut]\nbudget = 1.0", "policies.tax_cut",
     "unknown key; allowed here: salary_match, hours_exemption, star_recruitment, return_grant"),
    ("string for a whole number", '[simulation]\nyears = "ten"', "simulation.years",
     "must be a whole number in [1, 500] (years), got 'ten'"),
    ("fraction for a whole number", "[simulation]\nyears = 5.5", "simulation.years",
     "must be a whole number in [1, 500] (years), got 5.5"),
    ("number for a string", "[countries.KR]\nname = 3", "countries.KR.name", "must be a string, got 3"),
    ("bool for a number", "[preferences]\nwage = true", "preferences.wage",
     "must be a number in [0, 100] (utils per 100 million KRW a year (at 100 million)), got True"),
    ("nan for a number", "[preferences]\nhours = nan", "preferences.hours", "must be a number in [0, 10]"),
    ("an overflowing weight", "[preferences]\nhours = 1e308", "preferences.hours",
     "must be in [0, 10] (utils per hour a week), got 1e+308"),
    ("negative salary", "[countries.KR.salary.academia]\nphd = -24.0", "countries.KR.salary.academia.phd",
     "must be in [0, 1,000,000] (million KRW a year), got -24.0"),
    ("zero salary", "[countries.US.salary.industry]\nsenior = 0.0", "countries.US.salary.industry.senior",
     "must be positive (million KRW a year), got 0"),
    ("share above 1", "[policies.salary_match]\nshare = 1.5", "policies.salary_match.share",
     "must be in [0, 1] (share of the gap), got 1.5"),
    ("share below 0", "[policies.salary_match]\nshare = -0.1", "policies.salary_match.share",
     "must be in [0, 1] (share of the gap), got -0.1"),
    ("negative budget", "[policies.return_grant]\nbudget = -100.0", "policies.return_grant.budget",
     "must be in [0, inf] (million KRW a year), got -100.0"),
    ("hazard above 1", "[careers.exit_hazard]\nsenior = 1.5", "careers.exit_hazard.senior",
     "must be in [0, 1] (share a year), got 1.5"),
    ("zero years", "[simulation]\nyears = 0", "simulation.years", "must be in [1, 500] (years), got 0"),
    ("start year before 1900", "[simulation]\nstart_year = 1800", "simulation.start_year",
     "must be in [1900, 2200] (calendar year), got 1800"),
    ("programme after 2200", "[policies.return_grant]\nend_year = 2300", "policies.return_grant.end_year",
     "must be in [1900, 2200] (calendar year), got 2300"),
    ("too many researchers", "[simulation]\nresearchers = 200_000_000", "simulation.researchers",
     "must be in [10, 100,000,000] (agents), got 200000000"),
    ("zero hours cap", "[countries.KR]\nhours_cap = 0.0", "countries.KR.hours_cap",
     "must be in (0, 168] (hours a week), got 0.0"),
    ("percentile above 100", "[policies.salary_match]\nmin_talent_percentile = 150.0",
     "policies.salary_match.min_talent_percentile", "must be in [0, 100] (percentile), got 150.0"),
    ("value for a table", "simulation = 3", "simulation", "must be a table, got 3"),
    ("value for a list", '[policies.hours_exemption]\neligible_stages = "senior"',
     "policies.hours_exemption.eligible_stages", "must be a list, got 'senior'"),
    ("origin not a country", '[simulation]\norigin = "JP"', "simulation.origin",
     "must be one of the countries (KR, US), got 'JP'"),
    ("policy country unknown", '[policies.star_recruitment]\ncountry = "CN"', "policies.star_recruitment.country",
     "must be one of the countries (KR, US), got 'CN'"),
    ("end year before start year", "[policies.salary_match]\nstart_year = 2030\nend_year = 2026",
     "policies.salary_match.end_year", "must not be before start_year (2030), got 2026"),
    ("empty eligible stages", "[policies.hours_exemption]\neligible_stages = []",
     "policies.hours_exemption.eligible_stages", f"must name at least one stage of {STAGE_LIST}"),
    ("unknown eligible stage", '[policies.return_grant]\neligible_stages = ["professor"]',
     "policies.return_grant.eligible_stages", f"'professor' is not allowed; choose from {STAGE_LIST}"),
    ("unknown stage in a stage table", "[careers.duration_mean]\nprofessor = 3", "careers.duration_mean.professor",
     "unknown key; allowed here: student, phd, postdoc, junior"),
    ("a duration for the last stage", "[careers.duration_mean]\nsenior = 30", "careers.duration_mean.senior",
     "unknown key; allowed here: student, phd, postdoc, junior"),
    ("industry pay in training", "[countries.KR.salary.industry]\nphd = 30.0", "countries.KR.salary.industry.phd",
     "unknown key; allowed here: postdoc, junior, senior"),
    ("a minimum above the mean", "[careers.duration_min]\nphd = 6", "careers.duration_min.phd",
     "must not exceed careers.duration_mean.phd (4.8 years), got 6"),
    ("a spin-up shorter than a career", "[simulation]\nspin_up = 10", "simulation.spin_up",
     "must be at least simulation.max_career_age (40 years)"),
    ("output flat before its kink", "[hours]\noutput_flat = 45.0", "hours.output_flat",
     "must be above hours.output_kink (50 hours a week), got 45"),
    ("an unknown capped stage", '[hours]\ncapped_from = "dean"', "hours.capped_from",
     f"must be one of {STAGE_LIST}, got 'dean'"),
    ("a lever before the start", "[policies.return_grant]\nstart_year = 2020", "policies.return_grant.start_year",
     "must be after simulation.start_year (2024)"),
    ("a country code like an output name", '[countries.total]\nname = "x"', "countries.total",
     "a country code must be 2 to 8 capital letters or digits"),
    ("an offer slope below 0", "[countries.US.offers.industry]\nslope = -1.0", "countries.US.offers.industry.slope",
     "must be in [0, 20]"),
    ("infinite weight", "[preferences]\nhome = inf", "preferences.home",
     "must be a finite number in [0, 100] (utils) (only budget and cap may be inf), got inf"),
    ("infinite population", "[simulation]\nworkforce = inf", "simulation.workforce",
     "must be a finite number in (1, 1,000,000,000] (people)"),
    ("infinite stars a year", "[policies.star_recruitment]\nstars_per_year = inf",
     "policies.star_recruitment.stars_per_year", "must be a finite number"),
    ("extends not a file name", "", "extends", "must be a file name, got 3"),
    ("careers too short to pass the PhD", "[simulation]\nmax_career_age = 3\nspin_up = 60",
     "simulation.max_career_age", "no researcher lives past the PhD"),
    ("PhD candidates who all leave", "[careers.exit_hazard]\nphd = 1.0", "careers.exit_hazard.phd", "must be below 1"),
    ("students who all leave", "[careers.exit_hazard]\nstudent = 1.0", "careers.exit_hazard.student",
     "must be below 1"),
]


@pytest.fixture
def base(tmp_path: Path) -> Path:
    """A copy of the baseline beside the bad files."""
    path = tmp_path / "base.toml"
    shutil.copyfile(BASELINE, path)
    return path


def write(path: Path, text: str | bytes) -> Path:
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8")
    return path


def refused(load: Callable[[], object], source: str, key: str, allowed: str) -> ConfigError:
    """``load()`` raises one ConfigError line: ``SOURCE: KEY: ... allowed ...``."""
    with pytest.raises(ConfigError) as info:
        load()
    error = info.value
    message = str(error)
    assert "\n" not in message
    assert message.startswith(f"{source}: "), message
    assert error.key == key, message
    if key:
        assert message.startswith(f"{source}: {key}: "), message
    else:  # an error of the whole file names the file alone
        assert message == f"{source}: {error.message}", message
    assert allowed in message, message
    return error


def test_the_baseline_copy_loads(base):
    config = load_config(base)
    assert config.country_codes == ("KR", "US")


@pytest.mark.parametrize(("text", "key", "allowed"), [case[1:] for case in BROKEN_SCENARIOS],
                         ids=[case[0] for case in BROKEN_SCENARIOS])
def test_a_broken_scenario_is_refused_naming_file_key_and_what_is_allowed(base, tmp_path, text, key, allowed):
    header = "extends = 3\n" if key == "extends" else 'extends = "base.toml"\n'
    path = write(tmp_path / "bad.toml", header + text + "\n")
    refused(lambda: load_config(path), str(path), key, allowed)


def test_an_unlimited_budget_and_cap_are_allowed(base, tmp_path):
    path = write(tmp_path / "unlimited.toml", 'extends = "base.toml"\n[policies.salary_match]\nbudget = inf\n'
                                              "cap = inf\n[policies.hours_exemption]\nbudget = inf\n")
    config = load_config(path)
    assert config.policies.salary_match.budget == float("inf") == config.policies.salary_match.cap
    assert config.policies.hours_exemption.budget == float("inf")


def test_there_are_at_least_twenty_broken_scenarios():
    assert len(BROKEN_SCENARIOS) >= 20


# --------------------------------------------------------------------- countries
MINIMAL_COUNTRY = """
[countries.{code}]
name = "{code}"
talent_convexity = {{ academia = 0.3, industry = 0.5 }}
offers = {{ academia = {{ intercept = -2.0 }}, {industry} }}
[countries.{code}.salary]
academia = {{ student = 10.0, phd = 20.0, postdoc = 40.0, junior = 60.0, senior = 90.0 }}
industry = {{ postdoc = 50.0, junior = 80.0, senior = 120.0 }}
"""
INDUSTRY_OFFERS = "industry = { intercept = -3.0, slope = 1.2 }"


def country(code: str, industry: str = INDUSTRY_OFFERS) -> str:
    return MINIMAL_COUNTRY.format(code=code, industry=industry)


def test_a_scenario_without_countries_is_refused(tmp_path):
    path = write(tmp_path / "none.toml", 'name = "nothing"\n')
    refused(lambda: load_config(path), str(path), "countries", "is required")


def test_an_empty_country_table_is_refused(tmp_path):
    path = write(tmp_path / "empty.toml", "countries = {}\n")
    refused(lambda: load_config(path), str(path), "countries",
            "needs at least two countries (the origin and one abroad), got 0")


def test_a_single_country_is_refused(tmp_path):
    path = write(tmp_path / "alone.toml", country("KR"))
    refused(lambda: load_config(path), str(path), "countries",
            "needs at least two countries (the origin and one abroad), got 1")


def test_two_minimal_countries_load(tmp_path):
    path = write(tmp_path / "two.toml", country("KR") + country("US"))
    config = load_config(path)
    assert config.country_codes == ("KR", "US")
    assert config.countries["US"].offers["academia"].slope == 1.0  # the default slope


def test_a_country_without_offers_for_a_sector_is_refused(tmp_path):
    path = write(tmp_path / "two.toml", country("KR") + country("US", industry="x = 1"))
    refused(lambda: load_config(path), str(path), "countries.US.offers.x",
            "unknown key; allowed here: academia, industry")
    path = write(tmp_path / "three.toml", country("KR") + country("US").replace(f", {INDUSTRY_OFFERS}", ""))
    refused(lambda: load_config(path), str(path), "countries.US.offers", "is missing industry")


# -------------------------------------------------------------------------- files
def test_a_missing_file_is_refused(tmp_path):
    path = tmp_path / "nowhere.toml"
    refused(lambda: load_config(path), str(path), "", "no such file")


def test_a_folder_is_refused(tmp_path):
    refused(lambda: load_config(tmp_path), str(tmp_path), "", "is a folder, not a TOML file")


def test_malformed_toml_is_refused(tmp_path):
    path = write(tmp_path / "broken.toml", "[simulation\nyears = 5\n")
    refused(lambda: load_config(path), str(path), "", "is not valid TOML")


@pytest.mark.parametrize("text", ["a = " + "[" * 5000 + "]" * 5000, "a = " + "{b = " * 2000 + "1" + "}" * 2000])
def test_toml_nested_too_deeply_to_read_is_refused_in_one_line(tmp_path, text):
    path = write(tmp_path / "deep.toml", text + "\n")
    refused(lambda: read_toml(path), str(path), "", "nests arrays or tables too deeply")


def test_a_file_that_is_not_utf8_is_refused(tmp_path):
    path = write(tmp_path / "latin1.toml", 'name = "Cor\xe9e"\n'.encode("latin-1"))
    refused(lambda: read_toml(path), str(path), "", "is not UTF-8 text")
    refused(lambda: load_config(path), str(path), "", "is not UTF-8 text")


def test_a_file_that_starts_with_a_byte_order_mark_loads(base, tmp_path):
    path = write(tmp_path / "bom.toml", '\ufeffextends = "base.toml"\n[simulation]\nyears = 7\n'.encode())
    assert load_config(path).simulation.years == 7
    assert read_toml(path) == {"extends": "base.toml", "simulation": {"years": 7}}


def test_a_sweep_file_that_starts_with_a_byte_order_mark_is_read(base, tmp_path):
    from experiments.sweepfile import read_sweep

    text = '\ufeffbase = "base.toml"\nyears = 2\nresearchers = 100\nseed = 1\n[vary]\n"preferences.wage" = [1.0, 2.0]\n'
    path = write(tmp_path / "sweep.toml", text.encode())
    sweep = read_sweep(path)
    assert not sweep.text.startswith("\ufeff") and tomllib.loads(sweep.text)["years"] == 2


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_extending_a_device_says_it_is_not_a_regular_file(tmp_path):
    path = write(tmp_path / "zero.toml", 'extends = "/dev/zero"\n')
    refused(lambda: load_config(path), str(path), "extends", "/dev/zero is a character device, not a regular file")


@pytest.mark.skipif(not Path("/dev/zero").exists(), reason="needs /dev/zero")
def test_a_device_as_the_scenario_is_refused_without_reading_it():
    refused(lambda: load_config("/dev/zero"), "/dev/zero", "", "is a character device, not a regular file")


def test_extending_a_folder_says_so(tmp_path):
    (tmp_path / "configs").mkdir()
    path = write(tmp_path / "folder.toml", 'extends = "configs"\n')
    refused(lambda: load_config(path), str(path), "extends", "configs is a folder, not a regular file")


def test_files_that_extend_each_other_in_a_loop_are_refused(tmp_path):
    first = write(tmp_path / "first.toml", 'extends = "second.toml"\n')
    second = write(tmp_path / "second.toml", 'extends = "first.toml"\n')
    refused(lambda: load_config(first), str(second), "extends", "first.toml extends itself in a loop")


def test_a_file_that_extends_itself_is_refused(tmp_path):
    path = write(tmp_path / "self.toml", 'extends = "self.toml"\n')
    refused(lambda: load_config(path), str(path), "extends", "self.toml extends itself in a loop")


def test_extending_a_missing_file_is_refused(tmp_path):
    path = write(tmp_path / "orphan.toml", 'extends = "nothing.toml"\n')
    refused(lambda: load_config(path), str(path), "extends", "no such file nothing.toml beside orphan.toml")


def extends_chain(folder: Path, files: int) -> Path:
    """``files`` scenario files, each extending the next; the last is the baseline's copy ``base.toml``."""
    for i in range(files - 1):
        following = f"chain{i + 1}.toml" if i + 1 < files - 1 else "base.toml"
        write(folder / f"chain{i}.toml", f'extends = "{following}"\n')
    return folder / "chain0.toml" if files > 1 else folder / "base.toml"


def test_a_chain_of_extends_as_deep_as_allowed_loads(base, tmp_path):
    assert load_config(extends_chain(tmp_path, MAX_EXTENDS)).country_codes == ("KR", "US")


@pytest.mark.parametrize("files", [MAX_EXTENDS + 1, 1_100])
def test_a_chain_of_extends_deeper_than_allowed_is_refused(base, tmp_path, files):
    error = refused(lambda: load_config(extends_chain(tmp_path, files)), str(tmp_path / f"chain{MAX_EXTENDS - 1}.toml"),
                    "extends", f"at most {MAX_EXTENDS} files")
    assert str(tmp_path / "chain0.toml") in str(error)


def test_an_error_in_the_extended_file_names_that_file(base, tmp_path):
    parent = write(tmp_path / "parent.toml", 'extends = "base.toml"\n[simulation]\nyeers = 3\n')
    child = write(tmp_path / "child.toml", 'extends = "parent.toml"\n')
    # Validation runs on the merged scenario, which is loaded from the child.
    refused(lambda: load_config(child), str(child), "simulation.yeers", "unknown key")
    assert parent.exists()


def test_extends_merges_tables_key_by_key_with_the_file_winning(base, tmp_path):
    path = write(tmp_path / "child.toml", 'extends = "base.toml"\n[simulation]\nyears = 7\n'
                                          "[policies.salary_match]\nbudget = 5.0\n")
    config, original = load_config(path), load_config(base)
    assert config.simulation.years == 7
    assert config.simulation.researchers == original.simulation.researchers
    assert config.policies.salary_match.budget == 5.0
    assert config.countries == original.countries


# ---------------------------------------------------------------------- --set overrides
@pytest.mark.parametrize("text", ["simulation.years", "=5", " = 5", "simulation..years=5", ".years=5", "years.=5"])
def test_an_override_that_is_not_key_equals_value_is_refused(text):
    refused(lambda: parse_override(text), "--set", text, "must be KEY=VALUE with KEY a dotted path")


@pytest.mark.parametrize(("text", "value"), [("simulation.years=12", 12), ("policies.salary_match.share=0.25", 0.25),
                                             ('simulation.origin="US"', "US"), ("simulation.origin=US", "US"),
                                             ("countries.KR.hours_cap=inf", float("inf")),
                                             ("name = two words", "two words")])
def test_an_override_value_is_read_as_toml_or_else_as_a_string(text, value):
    key, parsed = parse_override(text)
    assert key == text.partition("=")[0].strip()
    assert parsed == value


def test_an_override_out_of_range_is_refused_naming_the_file_and_the_override(base):
    overrides = [parse_override("policies.salary_match.share=2")]
    source = f"{base} (with --set policies.salary_match.share)"
    refused(lambda: load_config(base, overrides), source, "policies.salary_match.share", "must be in [0, 1]")


def test_an_override_of_the_wrong_type_is_refused(base):
    overrides = [parse_override("simulation.years=ten")]
    refused(lambda: load_config(base, overrides), f"{base} (with --set simulation.years)", "simulation.years",
            "must be a whole number in [1, 500]")


def test_an_override_of_an_unknown_key_is_refused(base):
    overrides = [parse_override("policies.salary_match.budgt=5")]
    refused(lambda: load_config(base, overrides), f"{base} (with --set policies.salary_match.budgt)",
            "policies.salary_match.budgt", "unknown key; allowed here")


def test_an_override_below_a_value_is_refused():
    refused(lambda: apply_overrides({"simulation": {"years": 5}}, [("simulation.years.max", 3)]), "--set",
            "simulation.years.max", "simulation.years is a value, not a table")


# ------------------------------------------------------------------- schema defaults
def schema_fields_with_factories() -> list[tuple[str, dataclasses.Field]]:
    """(class.field, field) of every schema field whose default is made by a factory (tables and lists)."""
    classes = [obj for obj in vars(schema).values() if isinstance(obj, type) and dataclasses.is_dataclass(obj)]
    return [(f"{cls.__name__}.{f.name}", f) for cls in classes for f in dataclasses.fields(cls)
            if f.default_factory is not dataclasses.MISSING]


@pytest.mark.parametrize(("name", "field"), schema_fields_with_factories(),
                         ids=[name for name, _ in schema_fields_with_factories()])
def test_every_instance_gets_its_own_copy_of_a_table_or_list_default(name, field):
    first, second = field.default_factory(), field.default_factory()
    assert first == second and first is not second
    if isinstance(first, dict):
        first["added"] = 1.0
    else:
        first.append("added")
    assert "added" not in field.default_factory()  # the declared default is untouched


def test_two_configs_do_not_share_their_default_lists():
    first, second = schema.LeverConfig(), schema.LeverConfig()
    assert first.eligible_stages == second.eligible_stages and first.eligible_stages is not second.eligible_stages
