"""Calibration: the targets file, the moment definitions, the SE algebra and ``talentflow calibrate``.

Model outputs are never compared with fixed numbers (the baseline is being tuned): the measurement
functions are checked against the model's own yearly outputs and against small hand-made tables whose
answer is known; the command is checked for what it writes and for refusing bad input.
"""

from __future__ import annotations

import json
import math
import shutil
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from experiments.calibration import moments
from experiments.calibration.fit import Z95, parameter_covariance
from experiments.calibration.moments import RunRecord, Window
from experiments.calibration.report import HEADER, config_sha256
from experiments.calibration.targets import WEIGHTS, read_targets
from simulation import cli
from simulation.config import ConfigError, load_config
from simulation.parameters import with_parameters

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
TARGETS = CONFIGS / "calibration" / "targets.toml"


# ------------------------------------------------------------------------------ targets file
def test_targets_file_gives_every_target_a_standard_error_a_reason_and_a_model_function():
    targets = read_targets(TARGETS)
    names = {t.name for t in targets.targets}
    assert {"share_abroad", "us_phd_stay_rate_5y", "top_pay_ratio", "median_pay_ratio"} <= names
    for target in targets.targets:
        assert target.se > 0 and target.se_reason.strip() and target.source.strip()
        assert target.function in moments.MEASURES
    # the shared file's values, unchanged
    by_name = {t.name: t for t in targets.targets}
    assert by_name["share_abroad"].value == 0.16 and by_name["us_phd_stay_rate_5y"].value == 0.51
    assert by_name["top_pay_ratio"].role == "checked" and by_name["median_pay_ratio"].role == "checked"
    assert by_name["us_phd_stay_rate_5y_2002"].role == "validation"
    assert len(targets.parameters) <= len(targets.fitted)
    assert set(targets.parameters) <= set(WEIGHTS)


MORE_WEIGHTS_THAN_TARGETS = [('parameters = ["home", "moving_cost"]', 'parameters = ["home", "moving_cost", "wage"]'),
                             ("home = [0.3, 30.0]", "home = [0.3, 30.0]\nwage = [0.1, 10.0]")]


@pytest.mark.parametrize(("edits", "key"), [
    ([("function = \"share_abroad\"", "function = \"share_home\"")], "targets.share_abroad.function"),
    ([("se = 0.03", "se = 0.0")], "targets.share_abroad.se"),
    (MORE_WEIGHTS_THAN_TARGETS, "fit.parameters"),
    ([('parameters = ["home", "moving_cost"]', 'parameters = ["home", "income"]')], "fit.parameters"),
    ([("home = [0.3, 30.0]", "home = [3.0, 0.3]")], "fit.bounds.home"),
    ([("burn_in_years = 10", "burn_in_years = 3")], "measurement.burn_in_years"),
])
def test_a_bad_targets_file_is_refused_naming_the_key(tmp_path, edits, key):
    text = TARGETS.read_text(encoding="utf-8")
    for old, new in edits:
        assert old in text
        text = text.replace(old, new, 1)
    path = tmp_path / "targets.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ConfigError) as err:
        read_targets(path)
    assert err.value.key == key and str(path) in str(err.value)


# -------------------------------------------------------------------------- measurements
def _rows(records: list[tuple[int, int, str, str]]) -> pd.DataFrame:
    """Agent rows (id, year, country, stage) of Korean-origin researchers, talent 1."""
    frame = pd.DataFrame(records, columns=["id", "year", "country", "stage"])
    return frame.assign(origin="KR", sector="academia", talent=1.0)


def test_graduates_and_stay_rate_follow_the_phd_to_postdoc_step_and_the_place_five_years_on():
    rows = _rows([
        # 1: US PhD, graduates in 2031, in the US in 2036 -> stays
        (1, 2030, "US", "phd"), (1, 2031, "US", "postdoc"), (1, 2036, "US", "junior"),
        # 2: US PhD, graduates in 2031, back in Korea by 2036 -> counted, does not stay
        (2, 2030, "US", "phd"), (2, 2031, "US", "postdoc"), (2, 2036, "KR", "junior"),
        # 3: Korean PhD, graduates in 2031 -> not a US graduate
        (3, 2030, "KR", "phd"), (3, 2031, "KR", "postdoc"), (3, 2036, "US", "junior"),
        # 4: US PhD graduate of 2031 who has left research by 2036 -> not in the cohort
        (4, 2030, "US", "phd"), (4, 2031, "KR", "postdoc"),
        # 5: moved to the US in the last PhD year's decision: PhD country is where the row of 2030 says
        (5, 2030, "KR", "phd"), (5, 2031, "US", "postdoc"), (5, 2036, "US", "junior"),
    ])
    config = with_parameters(load_config(CONFIGS / "baseline.toml"), years=20)
    record = RunRecord(config, pd.DataFrame(), rows)
    grads = moments.phd_graduates(rows, "KR").set_index("id")
    assert grads["year"].tolist() == [2031] * 5
    assert grads["phd_country"].to_dict() == {1: "US", 2: "US", 3: "KR", 4: "US", 5: "KR"}
    assert moments.stay_counts(record, Window(2036, 2036)) == (1, 2)
    assert moments.us_phd_stay_rate_5y(record, Window(2036, 2036)) == 0.5
    assert moments.stay_counts(record, Window(2037, 2040)) == (0, 0)
    window = Window(2031, 2034)  # three US graduations in 2031, none in the other three years
    assert moments.us_phd_graduates_per_year(record, window) == pytest.approx(
        3 * config.simulation.people_per_agent / 4)


def test_share_abroad_is_the_yearly_output_averaged_over_the_window():
    yearly = pd.DataFrame({"year": [2030, 2031, 2032, 2033], "share_abroad": [0.5, 0.1, 0.2, 0.9]})
    record = RunRecord(load_config(CONFIGS / "baseline.toml"), yearly, _rows([]))
    assert moments.share_abroad(record, Window(2031, 2032)) == pytest.approx(0.15)


def test_stay_rate_from_agent_rows_equals_the_models_yearly_stay_rate_year_by_year(make_config, run):
    config = make_config(researchers=500, years=16)
    model = run(config, seed=3, record_agents=True)
    record = RunRecord(config, model.yearly(), model.agent_rows())
    compared = 0
    for year in range(config.simulation.start_year + 6, config.simulation.start_year + 17):
        stayers, cohort = moments.stay_counts(record, Window(year, year))
        expected = record.yearly.loc[record.yearly["year"] == year, "stay_rate_5y_US"].item()
        if cohort:
            assert stayers / cohort == pytest.approx(expected), year
            compared += 1
        else:
            assert math.isnan(expected), year
    assert compared >= 8


def test_pay_ratios_come_from_the_salary_schedule_and_the_talent_premiums(make_config):
    config = make_config()
    us, kr = config.countries["US"], config.countries["KR"]
    for z in (0.0, 0.7, 1.6):
        expected = (us.salary.industry["senior"] / kr.salary.industry["senior"]
                    * math.exp((us.talent_convexity - kr.talent_convexity) * z))
        assert moments.schedule_pay_ratio(config, z) == pytest.approx(expected)
    rows = _rows([(i, 2030, "KR", "senior") for i in range(100)])
    rows["talent"] = np.exp(np.linspace(-1.0, 1.0, 100))
    record = RunRecord(config, pd.DataFrame(), rows)
    window = Window(2030, 2030)
    assert moments.median_pay_ratio(record, window) == pytest.approx(moments.schedule_pay_ratio(config, 0.0))
    top = np.percentile(np.linspace(-1.0, 1.0, 100), 99)
    assert moments.top_pay_ratio(record, window) == pytest.approx(moments.schedule_pay_ratio(config, top))


# ---------------------------------------------------------------------------- SE algebra
def test_parameter_covariance_is_the_targets_variance_when_each_moment_measures_one_weight():
    se = np.array([0.03, 0.04])
    cov = parameter_covariance(np.eye(2), se, np.zeros((2, 2)), replicates=10)
    assert np.allclose(cov, np.diag(se**2))
    # simulation noise adds its share over the replicates; a steeper moment pins its weight tighter
    noisy = parameter_covariance(np.diag([2.0, 1.0]), se, np.diag([0.01**2, 0.02**2]), replicates=4)
    assert np.allclose(np.diag(noisy), [(0.03**2 + 0.01**2 / 4) / 4, 0.04**2 + 0.02**2 / 4])


def test_a_weight_the_moments_do_not_move_gets_an_infinite_standard_error():
    jacobian = np.array([[1.0, 2.0], [2.0, 4.0]])  # two proportional columns: only one direction is seen
    assert np.isinf(parameter_covariance(jacobian, np.array([0.1, 0.1]), np.zeros((2, 2)), 5)).all()


# ------------------------------------------------------------------------------- command
def _base_copy(folder: Path) -> Path:
    path = folder / "base.toml"
    shutil.copy(CONFIGS / "baseline.toml", path)
    return path


SMALL = ["--researchers", "300", "--replicates", "2", "--workers", "1", "--budget", "17", "--quiet"]


def test_calibrate_writes_a_loadable_calibrated_config_its_record_and_the_fit_report(tmp_path, capsys):
    base = _base_copy(tmp_path)
    out = tmp_path / "fit"
    assert cli.main(["calibrate", str(base), "--targets", str(TARGETS), "--out", str(out), *SMALL]) == 0
    printed = capsys.readouterr().out
    calibrated = tmp_path / "calibrated.toml"
    text = calibrated.read_text(encoding="utf-8")
    assert text.startswith(HEADER) and 'extends = "base.toml"' in text
    record = json.loads((tmp_path / "calibrated.json").read_text(encoding="utf-8"))
    config, original = load_config(calibrated), load_config(base)
    targets = read_targets(TARGETS)
    assert list(record["fitted"]) == list(targets.parameters)
    for name in WEIGHTS:
        value = getattr(config.preferences, name)
        if name in targets.parameters:
            fitted = record["fitted"][name]
            assert value == pytest.approx(fitted["value"], rel=1e-3)
            assert fitted["se"] > 0 and fitted["ci95"][0] < value < fitted["ci95"][1]
            assert fitted["ci95"][1] == pytest.approx(math.exp(fitted["log_value"] + Z95 * fitted["log_se"]))
            assert f"{name} = " in text and "# fitted; SE" in text
        else:
            assert value == getattr(original.preferences, name)
    assert config.countries == original.countries and config.careers == original.careers
    assert record["evaluations"] <= 17 and record["replicates"] == 2
    assert {row["target"] for row in record["targets"]} == {t.name for t in targets.targets}
    assert {p.name for p in out.iterdir()} == {"calibration.json", "history.csv", "fit.png", "loss.png", "report.md"}
    history = pd.read_csv(out / "history.csv")
    assert len(history) == record["evaluations"]
    assert history["kind"].value_counts()["sensitivity"] == 2 * len(WEIGHTS)
    assert "share_abroad (fitted): observed 0.16" in printed
    # run again: the report folder and the calibrated config are replaced, not refused
    assert cli.main(["calibrate", str(base), "--targets", str(TARGETS), "--out", str(out), *SMALL]) == 0


@pytest.mark.parametrize(("extra", "message"), [
    (["--budget", "5"], "--budget: must be at least"),
    (["--calibrated", "{base}"], "is {base} or a file it extends"),
    (["--calibrated", "{other}"], "was not written by talentflow calibrate"),
    (["--calibrated", "{tmp}/nowhere/c.toml"], "does not exist"),
])
def test_calibrate_refuses_bad_input_on_one_line_before_running(tmp_path, capsys, extra, message):
    base = _base_copy(tmp_path)
    other = tmp_path / "mine.toml"
    other.write_text("# my notes\n", encoding="utf-8")
    fill = {"base": str(base), "other": str(other), "tmp": str(tmp_path)}
    extra = [e.format(**fill) for e in extra]
    out = tmp_path / "fit"
    code = cli.main(["calibrate", str(base), "--targets", str(TARGETS), "--out", str(out), *SMALL[:-3], *extra])
    err = capsys.readouterr().err
    assert code == 2
    assert len(err.strip().splitlines()) == 1 and message.format(**fill) in err
    assert not out.exists() and not (tmp_path / "calibrated.toml").exists()
    assert other.read_text(encoding="utf-8") == "# my notes\n"


def test_calibrate_refuses_a_run_shorter_than_the_burn_in(tmp_path, capsys):
    base = _base_copy(tmp_path)
    text = base.read_text(encoding="utf-8").replace("years = 30", "years = 8")
    base.write_text(text, encoding="utf-8")
    code = cli.main(["calibrate", str(base), "--targets", str(TARGETS), "--out", str(tmp_path / "fit")])
    assert code == 2 and "simulation.years: must exceed" in capsys.readouterr().err


# ------------------------------------------------------------------- the shipped calibration
def test_shipped_calibrated_config_holds_the_fitted_weights_of_its_record():
    calibrated = CONFIGS / "calibrated.toml"
    record = json.loads(calibrated.with_suffix(".json").read_text(encoding="utf-8"))
    config = load_config(calibrated)
    assert calibrated.read_text(encoding="utf-8").startswith(HEADER)
    assert 'extends = "baseline.toml"' in calibrated.read_text(encoding="utf-8")
    for name, fitted in record["fitted"].items():
        assert getattr(config.preferences, name) == pytest.approx(fitted["value"], rel=1e-3)


def test_shipped_calibration_was_fitted_on_the_current_baseline():
    """Fails when baseline.toml changed after the fit: run the command of docs/calibration.md again."""
    record = json.loads((CONFIGS / "calibrated.json").read_text(encoding="utf-8"))
    current = config_sha256(load_config(CONFIGS / "baseline.toml"))
    assert record["base_config_sha256"] == current, "configs/calibrated.toml is stale: recalibrate"
