"""Calibration 2: the calibration file, the target measurements, the ABC simulator and distance, the posterior's
summaries, the command end to end (with a kill and a resume), and the shipped calibrated scenario."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE
from experiments_support import abc_generations, calibration_of, holding_simulations

from experiments.calibration import checks, identification, moments
from experiments.calibration.abc import ScaledDistance, Simulator
from experiments.calibration.posterior import Posterior, effective_sample_size, summary_table, weighted_quantile
from experiments.calibration.report import HEADER
from experiments.calibration.targets import read_calibration
from simulation.config import ConfigError, config_as_raw, load_config

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "configs" / "calibration" / "targets.toml"
CONFIGS = ROOT / "configs"


# ----------------------------------------------------------------------------------------- the calibration file
def test_the_project_calibration_file_fits_at_least_five_targets_with_sourced_priors():
    calibration = read_calibration(TARGETS)
    fitted = {t.name for t in calibration.fitted}
    assert {"share_abroad", "us_phd_stay_rate_5y", "faculty_return_hazard", "stay_intended_to_actual"} <= fitted
    assert {t.name for t in calibration.role("derived")} == {"researcher_hours", "hours_cut_by_cap"}
    assert len(fitted) + len(calibration.role("derived")) >= 5
    assert [t.name for t in calibration.role("bound")] == ["wage_elasticity_domestic_stars"]
    keys = [p.key for p in (*calibration.priors, *calibration.carried)]
    assert len(keys) == len(set(keys))
    assert all(p.source.strip() for p in (*calibration.priors, *calibration.carried))
    for target in calibration.targets:
        assert target.population.strip() and target.source.strip()


def test_the_default_calibration_stops_on_counts_where_the_committed_run_ended():
    """No clock: where the run stops must not depend on the machine. Under the file's rules (generations, the
    simulation guard, the acceptance floor) the committed calibration's generations stop after its last one."""
    calibration = read_calibration(TARGETS)
    assert calibration.max_minutes == 0
    summary = (CONFIGS / "calibrated.summary.md").read_text(encoding="utf-8")
    rows = [line.split("|") for line in summary.splitlines() if line.startswith("| ") and line[2:3].isdigit()]
    simulations = [int(row[3].replace(",", "")) for row in rows]
    acceptance = [float(row[4]) for row in rows]
    assert [int(row[1]) for row in rows] == list(range(calibration.generations))
    assert sum(simulations[:-1]) < calibration.max_simulations  # the guard stopped no earlier generation
    assert min(acceptance[:-1]) >= calibration.min_acceptance_rate  # nor did the acceptance floor


def test_carried_priors_are_the_schemas_prior_ranges():
    """A weight carried as its prior has one range: the schema's (talentflow params) and the calibration file's."""
    from simulation.schema import field_at

    for prior in read_calibration(TARGETS).carried:
        schema_prior = field_at(prior.key)[1].get("prior")
        if schema_prior is not None:
            assert (prior.low, prior.high) == tuple(schema_prior), prior.key


BAD_FILES = [
    ('[parameters."preferences.wage"]\nlow = 2.0\nhigh = 1.0\nsource = "x"\n', "parameters.preferences.wage",
     "low < high"),
    ('[parameters."preferences.wage"]\nlow = 0.1\nhigh = 1.0\n', "parameters.preferences.wage.source", "required"),
    ("[parameters.'simulation.researchers']\nlow = 1\nhigh = 2\nsource = 'x'\n", "parameters.simulation.researchers",
     "cannot be fitted"),
    ("[parameters.'preferences.wag']\nlow = 1\nhigh = 2\nsource = 'x'\n", "parameters.preferences.wag",
     "not a config key"),
    ("[abc]\ntransition = 'wide'\n", "abc.transition", "global"),
    # 18 fitted parameters: the global kernel's covariance needs 19 particles, the local one's 19 neighbours, a
    # quarter of 76 particles
    ("[abc]\npopulation_size = 18\n", "abc.population_size", "at least 19 for 18 fitted parameters"),
    ("[abc]\npopulation_size = 75\ntransition = 'local'\n", "abc.population_size", "at least 76"),
    ("[measurement]\nwindow_years = 3\n", "measurement.window_years", "at least 6"),
    ("[targets.x]\nrole = 'fitted'\nfunction = 'nope'\n", "targets.x.function", "must name a function"),
    # the window is simulation.years: a whole number of years
    ("[measurement]\nwindow_years = 6.5\n", "measurement.window_years", "whole number of years"),
    ("[measurement]\nwindow_years = inf\n", "measurement.window_years", "at most 500"),
    ("[measurement]\nwindow_years = 501\n", "measurement.window_years", "at most 500"),
    # the root seed: a TOML integer >= 0 (not truncated, not a crash on nan or inf, not a crash after the ABC on -1)
    ("[abc]\nseed = -1\n", "abc.seed", "whole number >= 0"),
    ("[abc]\nseed = nan\n", "abc.seed", "whole number >= 0"),
    ("[abc]\nseed = inf\n", "abc.seed", "whole number >= 0"),
    ("[abc]\nseed = 1.5\n", "abc.seed", "whole number >= 0"),
    ("[abc]\nseed = 2.0\n", "abc.seed", "whole number >= 0"),
    ("[abc]\nmax_minutes = nan\n", "abc.max_minutes", "finite number >= 0"),
    ("[abc]\nmax_minutes = inf\n", "abc.max_minutes", "finite number >= 0"),
    # a fitted target is a measurement of one run; a bound's experiment cannot be fitted
    ("[targets.share_abroad]\nrole = 'fitted'\nfunction = 'domestic_star_elasticity'\n",
     "targets.share_abroad.function", "a fitted target needs a measurement of one run (share_abroad, "),
    ("[targets.wage_elasticity_domestic_stars]\nrole = 'bound'\nfunction = 'share_abroad'\n",
     "targets.wage_elasticity_domestic_stars.function",
     "a bound target needs an experiment (domestic_star_elasticity)"),
]


@pytest.mark.parametrize(("extra", "key", "message"), BAD_FILES, ids=[case[1] for case in BAD_FILES])
def test_a_bad_calibration_file_is_refused_naming_its_key(tmp_path, extra, key, message):
    good = TARGETS.read_text(encoding="utf-8")
    path = tmp_path / "targets.toml"
    # Replace a table wholesale where the bad text redefines one; otherwise add it.
    head = extra.split("\n", 1)[0]
    if head in good:
        start = good.index(head)
        end = good.find("\n[", start + 1)
        good = good[:start] + good[end + 1:] if end > 0 else good[:start]
    path.write_text(good + "\n" + extra, encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        read_calibration(path)
    assert info.value.key == key and message in info.value.message, str(info.value)


# ------------------------------------------------------------------------------------------------- measurements
def record(yearly: pd.DataFrame, first: int = 2030, last: int = 2032) -> moments.RunRecord:
    return moments.RunRecord(config=load_config(BASELINE), yearly=yearly, post_phd_ln_talent=np.zeros(3),
                             first_year=first, last_year=last)


def test_the_stay_rate_pools_years_by_the_size_of_their_cohort_at_graduation():
    years = np.arange(2024, 2033)
    yearly = pd.DataFrame({"year": years, "stay_rate_5y_US": np.linspace(0.3, 0.7, len(years)),
                           "phd_graduates_US": np.arange(len(years)) * 10.0 + 10,
                           "stay_rate_at_phd_US": np.full(len(years), 0.8), "share_abroad": 0.2})
    r = record(yearly)
    rate = yearly.set_index("year")["stay_rate_5y_US"]
    size = yearly.set_index("year")["phd_graduates_US"]
    expected = sum(rate[t] * size[t - 5] for t in (2030, 2031, 2032)) / sum(size[t - 5] for t in (2030, 2031, 2032))
    assert moments.us_phd_stay_rate_5y(r) == pytest.approx(expected, rel=1e-12)
    assert moments.stay_intended_to_actual(r) == pytest.approx(expected / 0.8, rel=1e-12)
    assert moments.share_abroad(r) == pytest.approx(0.2)


def test_pay_ratio_checks_come_from_the_schedule():
    config = load_config(BASELINE)
    r = moments.RunRecord(config=config, yearly=pd.DataFrame(), post_phd_ln_talent=np.array([0.2, 0.4, 1.6]),
                          first_year=0, last_year=0)
    median = 0.4
    us = 380.0 * math.exp(1.0 * median)
    kr = 165.0 * math.exp(0.2 * median)
    assert moments.median_pay_ratio(r) == pytest.approx(us / kr, rel=1e-12)


def test_the_distance_is_the_norm_of_the_gaps_in_standard_errors_and_inf_when_undefined():
    distance = ScaledDistance({"a": 0.1, "b": 2.0})
    assert distance({"a": 0.3, "b": 4.0}, {"a": 0.0, "b": 0.0}) == pytest.approx(math.hypot(3.0, 2.0))
    assert distance({"a": float("nan"), "b": 1.0}, {"a": 0.0, "b": 0.0}) == math.inf


# ------------------------------------------------------------------------------------------------- the simulator
@pytest.fixture(scope="module")
def simulator() -> Simulator:
    import dataclasses

    calibration = dataclasses.replace(read_calibration(TARGETS), researchers=300, window_years=8)
    return Simulator.of(config_as_raw(load_config(BASELINE)), calibration)


def test_a_particle_always_gives_the_same_measurements_and_another_particle_others(simulator):
    values = {p.key: (p.low + p.high) / 2 for p in simulator.priors}
    first, second = simulator(values), simulator(values)
    assert pd.Series(first).equals(pd.Series(second))  # NaN where a small run has no such researcher, in both
    other = dict(values, **{"preferences.home": values["preferences.home"] * 1.01})
    assert simulator.seed_of(other).entropy != simulator.seed_of(values).entropy


def test_carried_parameters_are_drawn_from_their_priors_reproducibly_and_set_in_the_config(simulator):
    values = {p.key: p.low for p in simulator.priors}
    drawn = simulator.carried_values(values)
    assert drawn == simulator.carried_values(values)
    assert drawn != simulator.carried_values(values, replicate=1)
    for prior in simulator.carried:
        assert prior.low <= drawn[prior.key] <= prior.high
    config = simulator.config(values)
    assert config.preferences.home == values["preferences.home"]
    assert config.preferences.hours == drawn["preferences.hours"]
    assert config.simulation.researchers == 300


# --------------------------------------------------------------------------------------------------- posterior
def test_weighted_quantiles_and_the_effective_sample_size_have_their_closed_forms():
    values = np.array([3.0, 1.0, 2.0, 4.0])
    weights = np.array([0.1, 0.4, 0.4, 0.1])
    assert weighted_quantile(values, weights, 0.5) == 2.0  # cumulative 0.4 at 1, 0.8 at 2
    assert weighted_quantile(values, weights, 0.3) == 1.0
    assert effective_sample_size(np.full(10, 0.1)) == pytest.approx(10)
    assert effective_sample_size(weights) == pytest.approx(1 / np.sum(weights**2))


def test_the_summary_narrows_an_identified_parameter_and_not_one_drawn_from_its_prior():
    from experiments.calibration.targets import Prior

    rng = np.random.default_rng(3)
    n = 4000
    particles = pd.DataFrame({"a": rng.normal(0.5, 0.01, n), "b": rng.uniform(0, 1, n)})
    posterior = Posterior(particles=particles, weights=np.full(n, 1 / n))
    table = summary_table(posterior, (Prior("a", 0, 1, "x"), Prior("b", 0, 1, "x"))).set_index("parameter")
    assert table.loc["a", "narrowing"] < 0.1 and 0.9 < table.loc["b", "narrowing"] < 1.1
    assert table.loc["a", "low_5"] < 0.5 < table.loc["a", "high_95"]


def test_the_pooled_elasticity_is_the_change_in_counts_over_the_pay_rise():
    assert checks.elasticity([100.0, 50.0], [101.0, 50.5]) == pytest.approx((151.5 / 150 - 1) / 0.10)


def test_coverage_counts_data_sets_whose_interval_holds_the_truth():
    calibration = read_calibration(TARGETS)
    key = calibration.priors[0].key
    results = [{"usable": True, "parameters": {p.key: {"holds": (p.key != key) or (k < 9), "narrowing": 0.5}
                                               for p in calibration.priors}} for k in range(10)]
    table = identification.coverage_table(results, calibration).set_index("parameter")
    assert table.loc[key, "coverage_90"] == pytest.approx(0.9)
    assert table.loc[calibration.priors[1].key, "coverage_90"] == 1.0


# ------------------------------------------------------------------------------------------- the command, end to end
#: The smallest population the project file allows past one generation: one particle more than it fits weights.
POPULATION = len(read_calibration(TARGETS).priors) + 1
TINY = ["--population", str(POPULATION), "--generations", "1", "--researchers", "300", "--predictive-draws", "2",
        "--elasticity-draws", "2", "--elasticity-researchers", "300", "--workers", "1", "--quiet"]


def calibrate(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation", "calibrate", *map(str, args)], cwd=cwd,
                          capture_output=True, text=True, timeout=600)


@pytest.fixture(scope="module")
def tiny_run(tmp_path_factory):
    before = (CONFIGS / "calibrated.toml").read_bytes()
    cwd = tmp_path_factory.mktemp("calibrate")
    out = cwd / "cal"
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", out, *TINY, cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    assert (CONFIGS / "calibrated.toml").read_bytes() == before  # the tracked default is left alone
    return cwd, out, done


def test_calibrate_writes_the_posterior_its_summary_checks_and_a_loadable_scenario(tiny_run):
    _, out, done = tiny_run
    info = json.loads((out / "calibration.json").read_text())
    for name in info["files"]:
        assert (out / name).exists(), name
    posterior = pd.read_csv(out / "posterior.csv")
    keys = [p.key for p in read_calibration(TARGETS).priors]
    assert list(posterior.columns) == [*keys, "weight"] and len(posterior) == POPULATION
    assert posterior["weight"].sum() == pytest.approx(1.0)
    raw = config_as_raw(load_config(out / "calibrated.toml"))
    medians = Posterior(posterior[keys], posterior["weight"].to_numpy()).median()
    for key in keys:  # the scenario holds each weight at its posterior median
        node = raw
        for part in key.split("."):
            node = node[part]
        assert node == pytest.approx(medians[key], rel=1e-3), key
    assert {r["target"] for r in info["predictive"]} >= {"share_abroad", "researcher_hours", "top_pay_ratio"}
    assert "wage_elasticity_domestic_stars" in info["bounds"]
    assert "calibrated" in done.stdout and "wrote" in done.stdout
    assert "INFO" not in done.stderr, done.stderr[-2000:]  # --quiet: none of pyabc's log lines


def test_a_second_calibration_into_the_same_folder_is_refused_without_resume(tiny_run):
    cwd, out, _ = tiny_run
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", out, *TINY, cwd=cwd)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and "--resume" in done.stderr


def test_a_resumed_calibration_continues_with_the_generations_still_to_do(tiny_run):
    cwd, out, _ = tiny_run
    more = [*TINY]
    more[more.index("--generations") + 1] = "2"
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", out, *more, "--resume", cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    generations = pd.read_csv(out / "generations.csv")
    assert list(generations["generation"]) == [0, 1]


def test_a_population_too_small_for_the_kernel_is_refused_in_one_line(tmp_path):
    args = [*TINY]
    args[args.index("--population") + 1] = str(POPULATION - 1)
    args[args.index("--generations") + 1] = "2"
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", tmp_path / "cal", *args, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr
    assert done.stderr.startswith(f"talentflow: error: --population: must be at least {POPULATION} for")
    assert not (tmp_path / "cal").exists()


#: Priors the base scenario cannot take (calibration file text, its key, what the one line says), refused before
#: anything is written; a particle at either end of the range would fail its scenario's validation.
BAD_PRIORS = [
    ('[parameters."preferences.wage"]\nlow = -1.0\nhigh = 2.0\nsource = "x"\n', "parameters.preferences.wage",
     "prior -1..2 leaves the key's allowed range: must be in [0, 100]"),
    ('[parameters."preferences.wage"]\nlow = 0.05\nhigh = 200.0\nsource = "x"\n', "parameters.preferences.wage",
     "prior 0.05..200 leaves the key's allowed range: must be in [0, 100]"),
    ('[carried."preferences.hours"]\nlow = -5.0\nhigh = 50.0\nsource = "x"\n', "carried.preferences.hours",
     "prior -5..50 leaves the key's allowed range: must be in [0, 10]"),
    ('[carried."countries.XX.mentor_floor"]\nlow = 0.0\nhigh = 1.0\nsource = "x"\n',
     "carried.countries.XX.mentor_floor", f"is not a key of {BASELINE}"),
]


@pytest.mark.parametrize(("extra", "key", "message"), BAD_PRIORS, ids=[case[1] for case in BAD_PRIORS])
def test_a_prior_the_base_scenario_cannot_take_is_refused_in_one_line_before_anything_is_written(tmp_path, extra, key,
                                                                                                  message):
    good = TARGETS.read_text(encoding="utf-8")
    head = extra.split("\n", 1)[0]
    if head in good:  # replace the table
        start = good.index(head)
        good = good[:start] + good[good.find("\n[", start + 1) + 1:]
    path = tmp_path / "targets.toml"
    path.write_text(good + "\n" + extra, encoding="utf-8")
    done = calibrate(BASELINE, "--targets", path, "--out", tmp_path / "cal", *TINY, cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-3000:]
    assert done.stderr.startswith(f"talentflow: error: {path}: {key}: {message}"), done.stderr
    assert not (tmp_path / "cal").exists()


@pytest.mark.parametrize(("address", "message"), [
    ("foo", "argument --scheduler: must be a scheduler address such as tcp://HOST:PORT"),
    ("tcp://host:x", "argument --scheduler: the port must be a whole number from 1 to 65535"),
    ("tcp://:8786", "argument --scheduler: must be a scheduler address"),
    ("tcp://127.0.0.1:1", "--scheduler: no Dask scheduler answered at tcp://127.0.0.1:1"),  # nothing listens there
], ids=["no port", "port not a number", "no host", "unreachable"])
def test_a_bad_or_unreachable_scheduler_is_refused_in_one_line_before_anything_is_written(tmp_path, address, message):
    args = [*TINY]
    del args[args.index("--workers"):args.index("--workers") + 2]  # --workers and --scheduler exclude each other
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", tmp_path / "cal", *args, "--scheduler", address,
                     cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1, done.stderr[-3000:]
    assert done.stderr.startswith(f"talentflow: error: {message}"), done.stderr
    assert not (tmp_path / "cal").exists()


def test_weights_that_are_not_finite_end_the_calibration_in_one_line_asking_for_more_particles(tmp_path, monkeypatch,
                                                                                               capsys):
    """pyabc's check of a generation's weights (NaN when the kernel's density underflows) becomes one line."""
    from experiments.calibration import abc
    from simulation import cli

    def degenerate(*args, **kwargs):
        raise AssertionError("The population total weight nan is not normalized.")

    monkeypatch.setattr(abc, "run_abc", degenerate)
    code = cli.main(["calibrate", str(BASELINE), "--targets", str(TARGETS), "--out", str(tmp_path / "cal"), *TINY])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1
    assert err.startswith("talentflow: a generation's particle weights are not finite (pyabc: The population total")
    assert f"{POPULATION} particles are too few" in err and "--population" in err


def test_resuming_another_calibrations_folder_is_refused(tiny_run, tmp_path):
    cwd, out, _ = tiny_run
    other = [*TINY]
    other[other.index("--researchers") + 1] = "400"
    done = calibrate(BASELINE, "--targets", TARGETS, "--out", out, *other, "--resume", cwd=cwd)
    assert done.returncode == 2 and "another" in done.stderr


def test_a_worker_process_dying_mid_calibration_ends_in_one_line_and_resume_finishes_it(tmp_path):
    """pyabc's multicore workers die at the 31st simulation: the calibration cannot finish (its 4 samples of 10
    accepted particles take 40 simulations at the least)."""
    out = tmp_path / "cal"
    args = [BASELINE, "--targets", calibration_of(("preferences.wage", "preferences.mentor"), tmp_path), "--out", out,
            *TINY]
    args[args.index("--population") + 1] = "10"
    args[args.index("--generations") + 1] = "3"
    args[args.index("--workers") + 1] = "2"
    dying = holding_simulations(30, tmp_path / "count", die=True)
    died = subprocess.run([sys.executable, "-m", "simulation", "calibrate", *map(str, args)], cwd=tmp_path,
                          capture_output=True, text=True, timeout=600, env=dying)
    assert died.returncode == 1, died.stderr[-3000:]
    assert "Traceback" not in died.stderr
    last = died.stderr.strip().splitlines()[-1]
    assert last.startswith("talentflow: the calibration lost a worker process (ProcessError: ") and last.endswith(
        f"every generation finished is kept in {out}: run the same command with --resume to continue"), last
    assert json.loads((out / "calibration.json").read_text())["status"] == "running"
    finished = abc_generations(out)
    args[args.index("--generations") + 1] = str(len(finished) + 1)  # one generation more, in one process
    args[args.index("--workers") + 1] = "1"
    done = calibrate(*args, "--resume", cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert list(pd.read_csv(out / "generations.csv")["generation"]) == [*finished, len(finished)]


# --------------------------------------------------------------------------------------- the shipped calibration
def test_the_shipped_default_is_the_posterior_median_written_by_calibrate():
    text = (CONFIGS / "calibrated.toml").read_text(encoding="utf-8")
    assert text.startswith(HEADER)
    posterior = pd.read_csv(CONFIGS / "calibrated.posterior.csv")
    calibration = read_calibration(TARGETS)
    keys = [p.key for p in calibration.priors]
    assert list(posterior.columns) == [*keys, "weight"]
    medians = Posterior(posterior[keys], posterior["weight"].to_numpy() / posterior["weight"].sum()).median()
    config = load_config(CONFIGS / "calibrated.toml")
    raw = config_as_raw(config)
    for key in keys:
        node = raw
        for part in key.split("."):
            node = node[part]
        assert node == pytest.approx(medians[key], rel=1e-3), key
    assert (CONFIGS / "calibrated.summary.md").is_file()
