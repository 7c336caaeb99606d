"""The ``talentflow`` command line end to end, through ``python -m simulation`` in a subprocess.

Runs are small (300 agents, 5 years). Model outputs are never compared with
fixed numbers (the baseline is being tuned): runs are compared with each other,
with the files they wrote, and with what the API computes for the same inputs.
"""

from __future__ import annotations

import ast
import json
import platform
import re
import shutil
import subprocess
import sys
import textwrap
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from pandas.testing import assert_frame_equal

from simulation import cli
from simulation.compare import difference_table
from simulation.config import config_to_json, load_config
from simulation.model import DEFAULT_CONFIG, ENGINES
from simulation.outputs import OutputError, check_output_folder, output_folder
from simulation.paramtable import format_range, format_value, parameter_rows
from simulation.summary import checkpoints, last_line

ROOT = Path(__file__).resolve().parent.parent
CONFIGS = ROOT / "configs"
BASELINE = CONFIGS / "baseline.toml"
SMALL = ("--researchers", "300", "--years", "5")
AGENT_COLUMNS = ["id", "year", "origin", "country", "sector", "stage", "career_age", "talent", "phd_country",
                 "phd_year", "moved", "support"]
LAST_LINE = re.compile(r"^simulated ([\d,]+) researcher-years in \d+\.\d\d s$")


def numpy_cpu_features() -> list[str]:
    """The CPU features numpy detected, by its private table (as a cross-check of what run.json records)."""
    from numpy._core._multiarray_umath import __cpu_features__

    return [name for name, found in __cpu_features__.items() if found]


def talentflow(*args: object, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """Run ``python -m simulation ARGS`` in ``cwd``."""
    return subprocess.run([sys.executable, "-m", "simulation", *map(str, args)], cwd=cwd, env=env,
                          capture_output=True, text=True, timeout=300)


def succeeded(proc: subprocess.CompletedProcess[str]) -> subprocess.CompletedProcess[str]:
    assert proc.returncode == 0, proc.stderr
    return proc


def last_line_years(stdout: str) -> int:
    """The researcher-years of the closing line, which must be the last line printed."""
    match = LAST_LINE.match(stdout.rstrip("\n").splitlines()[-1])
    assert match, stdout
    return int(match.group(1).replace(",", ""))


def read_json(path: Path) -> dict:
    return json.loads(path.read_text(encoding="utf-8"))


@pytest.fixture(scope="module")
def baseline_run(tmp_path_factory) -> tuple[subprocess.CompletedProcess[str], Path]:
    """``talentflow run baseline.toml --seed 7 --agents`` at the small size, and its folder."""
    work = tmp_path_factory.mktemp("baseline_run")
    out = work / "runs" / "base"
    proc = succeeded(talentflow("run", BASELINE, "--seed", 7, *SMALL, "--agents", "--out", out, cwd=work))
    return proc, out


# ------------------------------------------------------------------------------------------- run
def test_run_writes_yearly_tables_agents_chart_and_run_json(baseline_run):
    _, out = baseline_run
    assert sorted(p.name for p in out.iterdir()) == sorted(
        ["yearly.parquet", "yearly.csv", "agents.parquet", "run.json", "chart.png"])
    yearly = pd.read_parquet(out / "yearly.parquet")
    assert len(yearly) == 6  # the initial state and five years
    assert_frame_equal(pd.read_csv(out / "yearly.csv"), yearly, check_dtype=False)
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert not [p for p in out.parent.iterdir() if p.name.startswith(".")]  # no staging folder left behind


def test_run_json_records_resolved_config_seed_engine_versions_and_size(baseline_run):
    proc, out = baseline_run
    meta = read_json(out / "run.json")
    expected = cli.resolve_config(BASELINE, years=5, researchers=300)
    assert meta["config"] == json.loads(json.dumps(config_to_json(expected)))
    assert (meta["kind"], meta["seed"], meta["engine"], meta["years"]) == ("talentflow run", 7, "vectorized", 5)
    for package in ("talentflow", "mesa", "numpy", "pandas"):
        assert meta["versions"][package] == metadata.version(package)
    assert meta["versions"]["python"] == ".".join(map(str, sys.version_info[:3]))
    numeric = meta["platform"]  # identical outputs are claimed for the same numpy version, architecture and SIMD
    assert numeric["machine"] == platform.machine() and numeric["numpy"] == np.__version__
    assert set(numeric["simd"]["found"]) == set(np.show_config(mode="dicts")["SIMD Extensions"]["found"])
    assert set(numeric["cpu_features"]) <= set(numpy_cpu_features()) and numeric["cpu_features"]
    assert numeric["blas"]["name"] == np.show_config(mode="dicts")["Build Dependencies"]["blas"]["name"]
    assert meta["seconds"] > 0
    assert meta["researcher_years"] == last_line_years(proc.stdout)


def test_run_prints_summary_from_start_to_end_and_closes_with_researcher_years(baseline_run):
    proc, out = baseline_run
    yearly = pd.read_parquet(out / "yearly.parquet")
    lines = proc.stdout.splitlines()
    start = next(line for line in lines if line.startswith("start "))
    end = next(line for line in lines if line.startswith("end (year 5)"))
    assert str(int(yearly["year"].iloc[0])) in start and str(int(yearly["year"].iloc[-1])) in end
    assert f"{yearly['researchers_home'].iloc[-1]:,.0f}" in end
    assert "top % KR" in proc.stdout and "top % US" in proc.stdout
    last_line_years(proc.stdout)


def test_agents_flag_writes_one_row_per_researcher_a_year(baseline_run):
    _, out = baseline_run
    agents = pd.read_parquet(out / "agents.parquet")
    yearly = pd.read_parquet(out / "yearly.parquet")
    assert list(agents.columns) == AGENT_COLUMNS
    meta = read_json(out / "run.json")
    people_per_agent = meta["people_per_agent"]
    rows_per_year = agents.groupby("year").size()
    assert rows_per_year.index.tolist() == yearly["year"].tolist()
    np.testing.assert_allclose(rows_per_year.to_numpy() * people_per_agent, yearly["researchers_total"].to_numpy())
    assert not agents.duplicated(["id", "year"]).any()
    assert set(agents["stage"]) <= {"student", "phd", "postdoc", "junior", "senior"}
    # researcher-years: the agents alive after each simulated year, summed
    assert int(rows_per_year.iloc[1:].sum()) == meta["researcher_years"]


def test_same_seed_gives_identical_outputs_and_another_seed_does_not(baseline_run, tmp_path):
    _, first = baseline_run
    succeeded(talentflow("run", BASELINE, "--seed", 7, *SMALL, "--agents", "--out", tmp_path / "again", cwd=tmp_path))
    succeeded(talentflow("run", BASELINE, "--seed", 8, *SMALL, "--out", tmp_path / "other", cwd=tmp_path))
    assert (tmp_path / "again" / "yearly.csv").read_bytes() == (first / "yearly.csv").read_bytes()
    for name in ("yearly.parquet", "agents.parquet"):
        assert_frame_equal(pd.read_parquet(tmp_path / "again" / name), pd.read_parquet(first / name))
    assert (tmp_path / "other" / "yearly.csv").read_bytes() != (first / "yearly.csv").read_bytes()


def test_agent_engine_run_matches_vectorized_run(baseline_run, tmp_path):
    _, vectorized = baseline_run
    succeeded(talentflow("run", BASELINE, "--seed", 7, *SMALL, "--engine", "agents", "--out", tmp_path / "a",
                         cwd=tmp_path))
    assert read_json(tmp_path / "a" / "run.json")["engine"] == "agents"
    assert_frame_equal(pd.read_parquet(tmp_path / "a" / "yearly.parquet"),
                       pd.read_parquet(vectorized / "yearly.parquet"))


def test_set_overrides_config_keys_and_the_default_out_is_out_slash_config_name(tmp_path):
    succeeded(talentflow("run", BASELINE, *SMALL, "--set", "policies.return_grant.grant=120",
                         "--set", "preferences.home=2.5", "--set", "name=granted", cwd=tmp_path))
    out = tmp_path / "out" / "granted"
    meta = read_json(out / "run.json")
    assert meta["config"]["policies"]["return_grant"]["grant"] == 120.0
    assert meta["config"]["preferences"]["home"] == 2.5
    assert "spending_return_grant" in pd.read_parquet(out / "yearly.parquet").columns


def test_a_second_run_replaces_the_files_of_the_first_and_keeps_the_users(baseline_run, tmp_path):
    _, first = baseline_run
    out = tmp_path / "earlier"
    shutil.copytree(first, out)
    (out / "notes.md").write_text("mine")
    (out / "drafts").mkdir()
    (out / "drafts" / "plan.txt").write_text("also mine")
    succeeded(talentflow("run", BASELINE, "--seed", 9, *SMALL, "--out", out, cwd=tmp_path))
    assert read_json(out / "run.json")["seed"] == 9
    assert not (out / "agents.parquet").exists()  # the first run wrote it (its run.json lists it); this one did not
    assert (out / "notes.md").read_text() == "mine" and (out / "drafts" / "plan.txt").read_text() == "also mine"
    assert "notes.md" not in read_json(out / "run.json")["files"]
    assert [p.name for p in tmp_path.iterdir()] == ["earlier"]


def test_a_run_over_an_earlier_run_of_only_its_own_files_replaces_it_whole(baseline_run, tmp_path):
    _, first = baseline_run
    out = tmp_path / "earlier"
    shutil.copytree(first, out)
    succeeded(talentflow("run", BASELINE, "--seed", 9, *SMALL, "--out", out, cwd=tmp_path))
    assert sorted(p.name for p in out.iterdir()) == ["chart.png", "run.json", "yearly.csv", "yearly.parquet"]


def test_three_country_example_runs_with_china_in_every_output(tmp_path):
    proc = succeeded(talentflow("run", CONFIGS / "examples" / "three_countries.toml", *SMALL, "--out",
                                tmp_path / "three", cwd=tmp_path))
    yearly = pd.read_parquet(tmp_path / "three" / "yearly.parquet")
    for column in ("researchers_CN", "top_talent_share_CN", "mentor_quality_CN", "stay_rate_5y_CN"):
        assert column in yearly.columns
    shares = yearly[[f"top_talent_share_{c}" for c in ("KR", "US", "CN")]].sum(axis=1)
    np.testing.assert_allclose(shares, 1.0)
    assert list(read_json(tmp_path / "three" / "run.json")["config"]["countries"]) == ["KR", "US", "CN"]
    assert "top % CN" in proc.stdout


#: Names that matplotlib would read as mathematics (and fail on) if labels were not taken as plain text.
MATH_NAMES = ("name=$\\foo$", "countries.US.name=$\\bar$ and $5")


def test_dollar_signs_in_config_and_country_names_are_drawn_as_text(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)
    sets = [item for text in MATH_NAMES for item in ("--set", text)]
    assert cli.main(["run", str(BASELINE), *SMALL, *sets, "--out", "run"]) == 0, capsys.readouterr().err
    assert (tmp_path / "run" / "chart.png").read_bytes()[:4] == b"\x89PNG"
    policy = tmp_path / "policy.toml"
    policy.write_text(f'extends = "{BASELINE.as_posix()}"\nname = "$\\\\foo$ policy"\n'
                      '[countries.KR]\nname = "$Korea"\n')
    assert cli.main(["compare", str(BASELINE), str(policy), *SMALL, "--out", "cmp"]) == 0, capsys.readouterr().err
    assert (tmp_path / "cmp" / "chart.png").is_file()


# --------------------------------------------------------------------------------------- compare
def test_compare_runs_both_with_the_same_seed_and_writes_their_difference(baseline_run, tmp_path):
    out = tmp_path / "cmp"
    proc = succeeded(talentflow("compare", BASELINE, CONFIGS / "combined.toml", "--seed", 7, *SMALL, "--out", out,
                                cwd=tmp_path))
    base_name, policy_name = load_config(BASELINE).name, load_config(CONFIGS / "combined.toml").name
    assert sorted(p.name for p in out.iterdir()) == sorted(
        [base_name, policy_name, "difference.csv", "levers.csv", "chart.png", "compare.json"])
    base, policy = (read_json(out / name / "run.json") for name in (base_name, policy_name))
    assert base["seed"] == policy["seed"] == 7
    assert set(policy["config"]["policies"]) == {"salary_match", "hours_exemption", "star_recruitment",
                                                 "return_grant"}
    base_yearly = pd.read_parquet(out / base_name / "yearly.parquet")
    policy_yearly = pd.read_parquet(out / policy_name / "yearly.parquet")
    table = pd.read_csv(out / "difference.csv")
    np.testing.assert_allclose(table["researchers_KR_difference"],
                               policy_yearly["researchers_KR"] - base_yearly["researchers_KR"])
    np.testing.assert_allclose(table["researcher_years_KR_difference"].iloc[-1],
                               (policy_yearly["researchers_KR"] - base_yearly["researchers_KR"]).iloc[1:].sum())
    # common random numbers: the baseline arm is the same run as `talentflow run` with that seed
    assert_frame_equal(pd.read_parquet(baseline_run[1] / "yearly.parquet"), base_yearly)
    for label in ("researchers in Korea", "top talent in Korea", "share abroad", "spending", "extra",
                  "value to them (% of pay)", "deadweight (% of spending)"):
        assert label in proc.stdout
    levers = pd.read_csv(out / "levers.csv")
    for lever in ("salary_match", "hours_exemption", "star_recruitment", "return_grant"):
        assert {f"wage_equivalent_{lever}", f"deadweight_share_{lever}"} <= set(levers.columns)
    np.testing.assert_allclose(levers["spending_salary_match"], policy_yearly["spending_salary_match"])
    assert last_line_years(proc.stdout) == base["researcher_years"] + policy["researcher_years"]


def test_compare_keeps_the_users_files_in_an_earlier_comparison(tmp_path, monkeypatch):
    out = tmp_path / "cmp"
    args = ["compare", str(BASELINE), str(CONFIGS / "combined.toml"), "--researchers", "300", "--years", "3",
            "--out", str(out)]
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 0
    base_name = load_config(BASELINE).name
    (out / "notes.md").write_text("mine")
    (out / base_name / "notes.md").write_text("mine too")
    assert cli.main([*args, "--seed", "3"]) == 0
    assert read_json(out / "compare.json")["seed"] == 3 and read_json(out / base_name / "run.json")["seed"] == 3
    assert (out / "notes.md").read_text() == "mine" and (out / base_name / "notes.md").read_text() == "mine too"


@pytest.mark.parametrize("command", ["compare", "run"])
def test_an_earlier_output_of_another_command_is_refused_and_kept(baseline_run, tmp_path, command, monkeypatch,
                                                                  capsys):
    _, first = baseline_run
    out = tmp_path / "earlier"
    if command == "compare":  # a comparison over a run folder
        shutil.copytree(first, out)
        args = ["compare", str(BASELINE), str(CONFIGS / "combined.toml"), *SMALL, "--out", str(out)]
    else:  # a run over a comparison folder
        out.mkdir()
        (out / "compare.json").write_text(json.dumps({"kind": "talentflow compare", "files": ["compare.json"]}))
        args = ["run", str(BASELINE), *SMALL, "--out", str(out)]
    before = {p: p.read_bytes() for p in out.rglob("*") if p.is_file()}
    monkeypatch.chdir(tmp_path)
    assert cli.main(args) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--out" in err and "choose another folder" in err, err
    assert {p: p.read_bytes() for p in out.rglob("*") if p.is_file()} == before


def test_compare_refuses_scenarios_of_different_lengths(tmp_path):
    longer = tmp_path / "longer.toml"
    longer.write_text(f'extends = "{BASELINE.as_posix()}"\n[simulation]\nyears = 12\n')
    proc = talentflow("compare", BASELINE, longer, "--researchers", "300", "--out", tmp_path / "cmp", cwd=tmp_path)
    assert proc.returncode == 2
    assert proc.stderr.count("\n") == 1 and "simulation.years" in proc.stderr
    assert not (tmp_path / "cmp").exists()


@pytest.mark.parametrize(("base", "policy", "named"), [
    ("combined.toml", "calibrated.toml", "policies: the baseline has policy levers on"),
    ("calibrated.toml", "examples/three_countries.toml", "countries: must be the baseline's"),
])
def test_compare_refuses_a_baseline_with_levers_and_a_world_of_other_countries(tmp_path, base, policy, named):
    configs = BASELINE.parent
    proc = talentflow("compare", configs / base, configs / policy, "--researchers", "300", "--out", tmp_path / "cmp",
                      cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and named in proc.stderr, proc.stderr
    assert not (tmp_path / "cmp").exists()


# ---------------------------------------------------------------------------------------- params
def test_params_prints_every_parameter_as_a_markdown_table(tmp_path):
    proc = succeeded(talentflow("params", cwd=tmp_path))
    lines = proc.stdout.strip().splitlines()
    assert lines[0] == "| parameter | value | unit | range | origin | prior | description |"
    assert len(lines) == 2 + len(parameter_rows(load_config(BASELINE)))
    hours = next(line for line in lines if line.startswith("| `countries.KR.hours_cap` |"))
    cap = load_config(BASELINE).countries["KR"].hours_cap
    assert f"| {format_value(cap)} | hours a week | (0, 168] |" in hours
    off = next(line for line in lines if line.startswith("| `policies.salary_match.share` |"))
    assert "lever off" in off


def test_params_of_a_policy_config_shows_its_lever_values(tmp_path):
    proc = succeeded(talentflow("params", CONFIGS / "salary_match.toml", cwd=tmp_path))
    share = load_config(CONFIGS / "salary_match.toml").policies.salary_match.share
    row = next(line for line in proc.stdout.splitlines() if line.startswith("| `policies.salary_match.share` |"))
    assert f"| {format_value(share)} |" in row and "lever off" not in row


# ------------------------------------------------------------------------------------- bad input
def _write(folder: Path, name: str, text: str) -> Path:
    path = folder / name
    path.write_text(textwrap.dedent(text))
    return path


BAD_INPUTS = {
    "years zero": (["run", BASELINE, "--years", "0"], ["--years", ">= 1"]),
    "years above range": (["run", BASELINE, "--years", "501"], ["--years", "simulation.years", "[1, 500]"]),
    "negative researchers": (["run", BASELINE, "--researchers", "-5"], ["--researchers", ">= 1"]),
    "too few researchers": (["run", BASELINE, "--researchers", "5"], ["--researchers", "simulation.researchers"]),
    "unknown engine": (["run", BASELINE, "--engine", "foo"], ["--engine", "agents", "vectorized"]),
    "seed not a number": (["run", BASELINE, "--seed", "abc"], ["--seed", "whole number"]),
    "negative seed": (["run", BASELINE, "--seed", "-1"], ["--seed", ">= 0"]),
    "set without equals": (["run", BASELINE, "--set", "policies.salary_match.share"], ["--set", "KEY=VALUE"]),
    "set out of range": (["run", BASELINE, "--set", "policies.salary_match.share=2"],
                         ["--set policies.salary_match.share", "[0, 1]"]),
    "set unknown key": (["run", BASELINE, "--set", "nope.x=1"], ["--set nope.x", "nope", "allowed here"]),
    "set wrong type": (["run", BASELINE, "--set", "simulation.years=many"], ["simulation.years", "whole number"]),
    "missing config": (["run", "missing.toml"], ["missing.toml", "no such file"]),
    "set an overflowing weight": (["run", BASELINE, "--set", "preferences.hours=1e308"],
                                  ["preferences.hours", "[0, 10]"]),
    "config is a folder": (["run", CONFIGS], ["is a folder"]),
    "unknown key in file": (["run", "{bad_key}"], ["bad_key.toml", "simulation.yeers", "allowed here"]),
    "negative salary in file": (["run", "{bad_salary}"], ["bad_salary.toml", "countries.KR.salary.academia.phd"]),
    "invalid toml": (["run", "{broken}"], ["broken.toml", "not valid TOML"]),
    "out is a file": (["run", BASELINE, *SMALL, "--out", "{a_file}"], ["--out", "not a folder"]),
    "out holds other files": (["run", BASELINE, *SMALL, "--out", "{full}"], ["--out", "not an earlier talentflow"]),
    "out is the current folder": (["run", BASELINE, *SMALL, "--out", "."], ["--out", "current folder"]),
    "compare bad policy": (["compare", BASELINE, "{bad_key}", *SMALL], ["bad_key.toml", "simulation.yeers"]),
    "params missing config": (["params", "missing.toml"], ["missing.toml", "no such file"]),
    "unknown command": (["frobnicate"], ["invalid choice", "run", "compare", "params"]),
    "unknown option": (["run", BASELINE, "--bogus"], ["unrecognized arguments", "--bogus"]),
}


#: A file or folder name longer than file systems allow (255 bytes).
LONG_NAME = "a" * 300

BAD_INPUTS |= {
    "out name too long": (["run", BASELINE, *SMALL, "--out", LONG_NAME], ["--out", LONG_NAME, "at most 255"]),
    "config name too long": (["run", f"{LONG_NAME}.toml"], [LONG_NAME, "at most 255"]),
    "config folder name too long": (["params", f"{LONG_NAME}/x.toml"], [LONG_NAME, "at most 255"]),
    "compare out name too long": (["compare", BASELINE, BASELINE, *SMALL, "--out", f"runs/{LONG_NAME}"],
                                  ["--out", "at most 255"]),
    "sweep out name too long": (["sweep", CONFIGS / "sweeps" / "smoke.toml", "--out", LONG_NAME, "--in-process"],
                                [LONG_NAME, "at most 255"]),
    "sweep out name too long in a new folder": (["sweep", CONFIGS / "sweeps" / "smoke.toml", "--out",
                                                 f"runs/{LONG_NAME}", "--in-process"], [LONG_NAME, "at most 255"]),
    "experiment out name too long in a new folder": (["experiment", "vicious_cycle", "--out", f"runs/{LONG_NAME}",
                                                      "--in-process"], [LONG_NAME, "at most 255"]),
    "report of a sweep name too long": (["report", LONG_NAME], [LONG_NAME, "at most 255"]),
    "status of a sweep name too long": (["status", LONG_NAME], [LONG_NAME, "at most 255"]),
    "experiment out name too long": (["experiment", "vicious_cycle", "--out", LONG_NAME, "--in-process"],
                                     [LONG_NAME, "at most 255"]),
    "experiment base name too long": (["experiment", "vicious_cycle", "--base", LONG_NAME], [LONG_NAME, "at most 255"]),
    "experiment doc name too long": (["experiment", "vicious_cycle", "--doc", LONG_NAME], [LONG_NAME, "at most 255"]),
    "calibrate targets name too long": (["calibrate", BASELINE, "--targets", LONG_NAME], [LONG_NAME, "at most 255"]),
    "viz config name too long": (["viz", LONG_NAME], [LONG_NAME, "at most 255"]),
}


@pytest.mark.parametrize("command", ["run", "compare"])
def test_an_out_name_too_long_in_a_new_folder_is_refused_before_the_run(command, tmp_path, monkeypatch, capsys):
    def never(*args, **kwargs):
        raise AssertionError("the run started")

    monkeypatch.setattr("simulation.run.simulate", never)
    monkeypatch.chdir(tmp_path)
    configs = [str(BASELINE)] * (2 if command == "compare" else 1)
    assert cli.main([command, *configs, *SMALL, "--out", f"runs/{LONG_NAME}"]) == 2
    assert "at most 255" in capsys.readouterr().err and list(tmp_path.iterdir()) == []


#: The cases also run through a subprocess (all of them run in process, which is quicker).
SUBPROCESS_CASES = ("years zero", "negative researchers", "unknown engine", "seed not a number",
                    "set without equals", "set out of range", "unknown key in file", "out holds other files",
                    "compare bad policy", "unknown command", "config name too long", "sweep out name too long")


def _bad_input_files(folder: Path) -> dict[str, Path]:
    files = {
        "bad_key": _write(folder, "bad_key.toml", f'extends = "{BASELINE.as_posix()}"\n[simulation]\nyeers = 3\n'),
        "bad_salary": _write(folder, "bad_salary.toml",
                             f'extends = "{BASELINE.as_posix()}"\n[countries.KR.salary.academia]\nphd = -24.0\n'),
        "broken": _write(folder, "broken.toml", "[simulation\nyears = 3\n"),
        "a_file": _write(folder, "a_file", "not a folder\n"),
        "full": folder / "full",
    }
    (folder / "full").mkdir()
    (folder / "full" / "notes.txt").write_text("keep me")
    return files


def _listing(folder: Path) -> list[Path]:
    return sorted(p.relative_to(folder) for p in folder.rglob("*"))


def _check_one_error_line(code: int, stdout: str, stderr: str, fragments: list[str]) -> None:
    assert code == 2
    assert stdout == ""
    assert stderr.endswith("\n") and stderr.count("\n") == 1, stderr
    assert stderr.startswith("talentflow: error: ")
    for fragment in fragments:
        assert fragment in stderr


@pytest.mark.parametrize("case", BAD_INPUTS, ids=list(BAD_INPUTS))
def test_bad_input_prints_one_error_line_returns_2_and_writes_nothing(case, tmp_path, monkeypatch, capsys):
    args, fragments = BAD_INPUTS[case]
    files = _bad_input_files(tmp_path)
    before = _listing(tmp_path)
    monkeypatch.chdir(tmp_path)
    code = cli.main([str(a).format(**files) for a in args])
    captured = capsys.readouterr()
    _check_one_error_line(code, captured.out, captured.err, fragments)
    assert _listing(tmp_path) == before  # nothing written
    assert (tmp_path / "full" / "notes.txt").read_text() == "keep me"


@pytest.mark.parametrize("case", SUBPROCESS_CASES)
def test_bad_input_on_the_command_line_exits_2_with_one_line_and_writes_nothing(case, tmp_path):
    args, fragments = BAD_INPUTS[case]
    files = _bad_input_files(tmp_path)
    before = _listing(tmp_path)
    proc = talentflow(*(str(a).format(**files) for a in args), cwd=tmp_path)
    _check_one_error_line(proc.returncode, proc.stdout, proc.stderr, fragments)
    assert _listing(tmp_path) == before


@pytest.mark.skipif(not Path("/dev/full").exists(), reason="needs /dev/full (Linux)")
@pytest.mark.parametrize("args", [["params"], ["params", "--help"], ["--version"], []], ids=" ".join)
def test_a_full_standard_output_is_one_line_on_stderr_not_a_traceback(args, tmp_path):
    with open("/dev/full", "w") as full:
        proc = subprocess.run([sys.executable, "-m", "simulation", *args], cwd=tmp_path, stdout=full,
                              stderr=subprocess.PIPE, text=True, timeout=120)
    assert proc.returncode == 1, proc.stderr
    assert proc.stderr.count("\n") == 1 and proc.stderr.startswith("talentflow: error: "), proc.stderr
    assert "standard output" in proc.stderr and "No space left on device" in proc.stderr


def test_version_prints_the_installed_version(tmp_path):
    proc = succeeded(talentflow("--version", cwd=tmp_path))
    assert proc.stdout == f"talentflow {metadata.version('talentflow')}\n"


def test_no_arguments_lists_the_commands(tmp_path):
    proc = succeeded(talentflow(cwd=tmp_path))
    assert proc.stdout.startswith("usage: talentflow")
    for command in ("run", "compare", "params", "sweep", "status", "report", "calibrate", "experiment", "viz"):
        assert re.search(rf"^\s+{command}\s+\S", proc.stdout, re.MULTILINE), command


def test_the_license_is_an_spdx_expression():
    import tomllib

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    assert project["project"]["license"] == "MIT"
    assert metadata.metadata("talentflow")["License-Expression"] == "MIT"


def test_the_pinned_versions_pin_every_requirement_within_its_range():
    """constraints.txt (what make installs) names one version of each requirement, inside pyproject's range."""
    import tomllib

    from packaging.requirements import Requirement
    from packaging.utils import canonicalize_name

    project = tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]
    lines = [line.split("#")[0].strip() for line in (ROOT / "constraints.txt").read_text(encoding="utf-8").splitlines()]
    pins = [Requirement(line) for line in lines if line]
    pinned = {canonicalize_name(pin.name): next(iter(pin.specifier)) for pin in pins}
    assert len(pinned) == len(pins)  # one line a package
    assert all(spec.operator == "==" for spec in pinned.values())
    extras = [r for extra in project["optional-dependencies"].values() for r in extra]
    wanted = [Requirement(r) for r in (*project["dependencies"], *extras)]
    for requirement in wanted:
        name = canonicalize_name(requirement.name)
        assert name in pinned, f"{requirement.name} is not pinned in constraints.txt"
        assert requirement.specifier.contains(pinned[name].version), f"{requirement} excludes {pinned[name]}"


# ------------------------------------------------------------------------- entry points, plugins
def test_console_script_talentflow_is_installed_and_answers():
    script = Path(sys.executable).parent / "talentflow"
    assert script.is_file(), "pip install -e . should install the talentflow script"
    proc = subprocess.run([script, "run", "--help"], capture_output=True, text=True, timeout=60)
    assert proc.returncode == 0 and "--researchers" in proc.stdout


def test_plugin_entry_point_adds_a_subcommand(tmp_path):
    site = tmp_path / "site"
    (site / "hello_plugin-1.0.dist-info").mkdir(parents=True)
    (site / "hello_plugin-1.0.dist-info" / "METADATA").write_text("Metadata-Version: 2.1\nName: hello-plugin\n"
                                                                  "Version: 1.0\n")
    (site / "hello_plugin-1.0.dist-info" / "entry_points.txt").write_text(
        "[talentflow.commands]\nhello = hello_plugin:register\n")
    (site / "hello_plugin.py").write_text(textwrap.dedent("""
        def hello(args):
            print(f"hello {args.name}")
            return 0

        def register(subparsers):
            parser = subparsers.add_parser("hello", help="greet")
            parser.add_argument("name")
            parser.set_defaults(handler=hello)
        """))
    env = {"PYTHONPATH": str(site), "PATH": "/usr/bin:/bin"}
    proc = succeeded(talentflow("hello", "mentors", cwd=tmp_path, env=env))
    assert proc.stdout == "hello mentors\n"
    bad = talentflow("hello", cwd=tmp_path, env=env)  # the plugin's usage errors are one line too
    assert bad.returncode == 2 and bad.stderr.count("\n") == 1 and "name" in bad.stderr


def test_simulation_package_never_imports_experiments():
    for path in (ROOT / "simulation").rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                names = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                names = [node.module or ""]
            else:
                continue
            assert not any(n == "experiments" or n.startswith("experiments.") for n in names), path


def test_cli_constants_match_the_model():
    """The CLI repeats them to answer without importing the model."""
    assert cli.ENGINES == ENGINES
    assert cli.DEFAULT_CONFIG == DEFAULT_CONFIG


# ------------------------------------------------------------------- pure parts, in process
def test_summary_checkpoints_are_start_years_10_and_20_and_end():
    assert checkpoints(30) == [0, 10, 20, 30]
    assert checkpoints(20) == [0, 10, 20]
    assert checkpoints(5) == [0, 5]


def test_last_line_reads_researcher_years_and_seconds():
    assert last_line(310_000, 0.8412) == "simulated 310,000 researcher-years in 0.84 s"


def test_difference_table_counts_extra_researcher_years_and_their_cost():
    def frame(home, spending):
        n = len(home)
        return pd.DataFrame({"year": np.arange(2024, 2024 + n), "researchers_home": home, "researchers_KR": home,
                             "top_talent_KR": np.ones(n), "share_abroad": np.full(n, 0.2),
                             "emigration": np.zeros(n), "returns": np.zeros(n), "spending_total": spending})

    base = frame([100.0, 100.0, 100.0], [0.0, 0.0, 0.0])
    policy = frame([100.0, 110.0, 130.0], [0.0, 500.0, 700.0])
    table = difference_table(base, policy, "KR")
    assert table["researcher_years_KR_difference"].tolist() == [0.0, 10.0, 40.0]  # the initial state counts for none
    assert table["spending_cumulative_difference"].tolist() == [0.0, 500.0, 1200.0]
    assert np.isnan(table["cost_per_extra_researcher_year"].iloc[0])
    assert table["cost_per_extra_researcher_year"].tolist()[1:] == [50.0, 30.0]
    with pytest.raises(ValueError, match="same years"):
        difference_table(base, policy.iloc[:2], "KR")


def test_parameter_ranges_and_values_read_as_in_the_schema():
    assert format_range({"lo": 0, "hi": 1}) == "[0, 1]"
    assert format_range({"lo": 0, "lo_open": True}) == "(0, inf)"
    assert format_range({"lo": 0}) == "[0, inf)"
    assert format_range({"keys": ("a", "b")}) == "any of a, b"
    assert format_value(float("inf")) == "inf"
    assert format_value(100_000.0) == "100,000" and format_value(2024) == "2024" and format_value(0.025) == "0.025"
    assert format_value({"junior": 90.0, "senior": 170.0}) == "junior 90, senior 170"


def test_output_folder_leaves_nothing_when_writing_fails(tmp_path):
    target = tmp_path / "new" / "run"
    with pytest.raises(RuntimeError), output_folder(target) as staging:
        (staging / "yearly.csv").write_text("half")
        raise RuntimeError("chart failed")
    assert list(tmp_path.iterdir()) == []  # neither the folder, its staging copy, nor the parent made for it


def test_output_folder_refuses_a_folder_of_other_files(tmp_path):
    (tmp_path / "notes.txt").write_text("mine")
    with pytest.raises(OutputError, match="not an earlier talentflow output"):
        check_output_folder(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"kind": "something else"}))
    with pytest.raises(OutputError):
        check_output_folder(tmp_path)
    (tmp_path / "run.json").write_text(json.dumps({"kind": "talentflow run"}))
    check_output_folder(tmp_path)


def test_the_odds_parameter_table_is_the_one_talentflow_params_prints(tmp_path):
    """docs/ODD.md carries the default scenario's table as `talentflow params --into` writes it: it matches the code."""
    doc = ROOT / "docs" / "ODD.md"
    copy = tmp_path / "ODD.md"
    copy.write_text(doc.read_text(encoding="utf-8"), encoding="utf-8")
    succeeded(talentflow("params", "--into", copy, cwd=tmp_path))
    assert copy.read_text(encoding="utf-8") == doc.read_text(encoding="utf-8")


def test_params_into_a_file_without_markers_is_one_line(tmp_path):
    target = tmp_path / "plain.md"
    target.write_text("no table here\n")
    proc = talentflow("params", "--into", target, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "params:start" in proc.stderr
    assert target.read_text() == "no table here\n"


@pytest.mark.parametrize(("target", "message"), [
    ("latin1.md", "is not UTF-8 text"), ("/dev/full", "is not a regular file"), ("folder", "is not a regular file")])
def test_params_into_what_is_not_a_utf8_document_is_one_line_naming_it(tmp_path, target, message):
    path = Path(target) if target.startswith("/") else tmp_path / target
    if target == "latin1.md":
        path.write_bytes("caf\xe9 <!-- params:start -->\n<!-- params:end -->\n".encode("latin-1"))
    elif target == "folder":
        path.mkdir()
    proc = talentflow("params", "--into", path, cwd=tmp_path)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1, proc.stderr
    assert f"--into {path}: {message}" in proc.stderr, proc.stderr


def test_params_into_replaces_the_document_whole_keeping_its_mode(tmp_path):
    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- params:start -->\nold\n<!-- params:end -->\nafter\n")
    doc.chmod(0o640)
    succeeded(talentflow("params", "--into", doc, cwd=tmp_path))
    text = doc.read_text()
    assert text.startswith("before\n<!-- params:start -->\n| parameter |")
    assert text.endswith("<!-- params:end -->\nafter\n")
    assert doc.stat().st_mode & 0o777 == 0o640 and [p.name for p in tmp_path.iterdir()] == ["doc.md"]


def test_params_into_a_link_writes_its_target_and_keeps_the_link(tmp_path):
    real = tmp_path / "real.md"
    real.write_text("<!-- params:start -->\n<!-- params:end -->\n")
    link = tmp_path / "link.md"
    link.symlink_to(real)
    succeeded(talentflow("params", "--into", link, cwd=tmp_path))
    assert link.is_symlink() and "| parameter |" in real.read_text()


def test_params_into_a_document_in_a_folder_that_takes_no_new_file_rewrites_it_in_place(tmp_path, monkeypatch):
    """A read-only folder (the document itself writable) refuses the staged copy; the document is then written in
    place. Simulated: this suite may run as root, whom file modes do not stop."""
    from simulation import paramtable

    doc = tmp_path / "doc.md"
    doc.write_text("before\n<!-- params:start -->\nold\n<!-- params:end -->\nafter\n")
    real_write = Path.write_text

    def folder_refuses_new_files(path, *args, **kwargs):
        if not path.exists():
            raise PermissionError(13, "Permission denied", str(path))
        return real_write(path, *args, **kwargs)

    monkeypatch.setattr(Path, "write_text", folder_refuses_new_files)
    paramtable.insert_table(doc, "| parameter |\n|---|")
    monkeypatch.undo()
    assert doc.read_text() == "before\n<!-- params:start -->\n| parameter |\n|---|\n<!-- params:end -->\nafter\n"
    assert [p.name for p in tmp_path.iterdir()] == ["doc.md"]  # no staged copy left beside it


@pytest.mark.parametrize("module", ["simulation", "simulation.cli"])
def test_a_plugin_command_s_bad_input_is_one_line_whichever_module_runs_the_command_line(tmp_path, module):
    """``python -m simulation.cli`` runs the module as ``__main__``, a second copy with classes of its own; the
    errors the plugin commands raise must still end in one line, not a traceback."""
    proc = subprocess.run([sys.executable, "-m", module, "report", str(tmp_path / "nowhere")], cwd=tmp_path,
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 2 and proc.stderr.count("\n") == 1 and "no such folder" in proc.stderr, proc.stderr


def test_ctrl_c_while_a_run_writes_is_one_line_exit_130_and_leaves_nothing(tmp_path, monkeypatch, capsys):
    from simulation import run as run_module

    original = run_module.draw_runs

    def interrupted(*args, **kwargs):  # Ctrl-C arrives while the chart is drawn, the tables already written
        original(*args, **kwargs)
        raise KeyboardInterrupt

    monkeypatch.setattr(run_module, "draw_runs", interrupted)
    out = tmp_path / "run"
    code = cli.main(["run", str(DEFAULT_CONFIG), "--researchers", "200", "--years", "2", "--out", str(out)])
    assert code == 130
    assert capsys.readouterr().err == "talentflow: interrupted\n"
    assert list(tmp_path.iterdir()) == []  # neither the folder nor its hidden staging sibling
