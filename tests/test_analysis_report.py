"""``talentflow report`` end to end through the command line, and the folders it refuses."""

from __future__ import annotations

import json
import os
import shutil
import sys
from pathlib import Path

import pandas as pd
import pytest
from experiments_support import ROOT, write_sweep

from experiments import load
from simulation.cli import main

SMOKE = ROOT / "configs" / "sweeps" / "smoke.toml"


@pytest.fixture(scope="module")
def smoke_sweep(tmp_path_factory) -> Path:
    """The smoke sweep (12 runs of 300 researchers for 5 years), run once for the module."""
    folder = tmp_path_factory.mktemp("smoke") / "sweep"
    assert main(["sweep", str(SMOKE), "--out", str(folder), "--in-process", "--quiet"]) == 0
    return folder


@pytest.fixture(scope="module")
def smoke_report(smoke_sweep, tmp_path_factory) -> Path:
    """The smoke sweep's report, written once for the module through the command line."""
    out = tmp_path_factory.mktemp("smoke_report") / "report"
    assert main(["report", str(smoke_sweep), "--out", str(out)]) == 0
    return out


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("talentflow: error: "), err
    return err


def test_report_of_the_smoke_sweep_writes_the_bundle(smoke_sweep, smoke_report):
    out = smoke_report
    for name in ("report.md", "report.html", "manifest.json", "reproduce.sh", "report.json",
                 "tables/replicate_statistics.md", "tables/replicate_statistics.csv",
                 "tables/replicate_statistics.tex", "figures/time_series.png", "figures/time_series.pdf"):
        assert (out / name).is_file(), name
    original = json.loads((smoke_sweep / "manifest.json").read_text())
    copy = json.loads((out / "manifest.json").read_text())
    assert copy == original | {"sweep": original["sweep"] | {"path": "configs/sweeps/smoke.toml"},
                               "base": "configs/baseline.toml"}
    script = (out / "reproduce.sh").read_text()
    assert "talentflow sweep configs/sweeps/smoke.toml --out " in script and "talentflow report " in script
    # a two-parameter grid gets heat maps; every figure linked from the Markdown exists and is embedded in the HTML
    markdown = (out / "report.md").read_text()
    html = (out / "report.html").read_text()
    figures = sorted((out / "figures").glob("*.png"))
    assert any(f.name.startswith("heat_map_") for f in figures)
    for figure in figures:
        assert f"(figures/{figure.name})" in markdown
        assert (out / "figures" / f"{figure.stem}.pdf").is_file()
    assert html.count("data:image/png;base64,") == len(figures)
    meta = json.loads((out / "report.json").read_text())
    assert meta["kind"] == "talentflow report" and "report.md" in meta["files"]


def test_replicate_statistics_csv_holds_the_mean_and_t_interval_of_the_runs(smoke_sweep, smoke_report):
    from scipy import stats as scipy_stats

    out = smoke_report
    table = pd.read_csv(out / "tables" / "replicate_statistics.csv")
    data = load(smoke_sweep)
    last = data["year"].max()
    values = data[(data["point"] == 3) & (data["year"] == last)]["researchers_KR"].to_numpy()
    row = table[(table["point"] == 3) & (table["year"] == last) & (table["output"] == "researchers_KR")].iloc[0]
    low, high = scipy_stats.t.interval(0.95, len(values) - 1, loc=values.mean(), scale=scipy_stats.sem(values))
    assert row["n"] == 2
    assert (row["mean"], row["ci_low"], row["ci_high"]) == pytest.approx((values.mean(), low, high))
    assert row["relative_half_width"] == pytest.approx((high - low) / 2 / values.mean())


def test_report_goes_into_the_sweep_folder_by_default_and_can_be_rewritten(smoke_sweep, tmp_path, capsys):
    folder = tmp_path / "copy"
    shutil.copytree(smoke_sweep, folder)
    assert main(["report", str(folder)]) == 0
    assert f"wrote {folder / 'report'}/report.md" in capsys.readouterr().out
    assert (folder / "report" / "report.md").is_file()
    assert main(["report", str(folder)]) == 0  # an earlier report is replaced
    assert len(load(folder)) == len(load(smoke_sweep))  # the sweep's results are untouched


def test_report_of_an_arms_sweep_compares_the_policies_with_the_baseline(tmp_path):
    path = write_sweep(tmp_path, """
        name = "two_arms"
        design = "arms"
        replicates = 3
        years = 12
        researchers = 300
        seed = 8
        [arms.baseline]
        [arms.return_grant]
        policies.return_grant = { grant = 150.0, years = 3, budget = 50000.0, start_year = 2025 }
        """)
    assert main(["sweep", str(path), "--out", str(tmp_path / "sweep"), "--in-process", "--quiet"]) == 0
    assert main(["report", str(tmp_path / "sweep"), "--out", str(tmp_path / "report")]) == 0
    comparison = pd.read_csv(tmp_path / "report" / "tables" / "policy_comparison.csv")
    assert set(comparison["arm"]) == {"return grant"}
    assert {"extra_researchers_10y", "extra_top_talent_10y", "extra_researcher_years", "spending",
            "cost_per_researcher_year"} <= set(comparison["metric"])
    assert "extra_researchers_20y" not in set(comparison["metric"])  # beyond the 12 simulated years
    assert (tmp_path / "report" / "figures" / "cost_effectiveness.png").is_file()
    assert (tmp_path / "report" / "tables" / "policy_comparison.tex").read_text().startswith(r"\begin{table}")
    assert "Policies against the baseline" in (tmp_path / "report" / "report.md").read_text()


def test_a_folder_that_is_not_a_sweep_gets_one_line_and_nothing_is_written(tmp_path, capsys):
    plain = tmp_path / "plain"
    plain.mkdir()
    (plain / "notes.txt").write_text("not a sweep")
    for folder, message in ((plain, "not a sweep folder"), (tmp_path / "missing", "no such folder")):
        assert main(["report", str(folder), "--out", str(tmp_path / "out")]) == 2
        assert f"{folder}: {message}" in one_line_error(capsys)
    assert not (tmp_path / "out").exists()
    assert sorted(p.name for p in plain.iterdir()) == ["notes.txt"]


def test_a_sweep_still_running_is_said_to_be_running_not_to_be_finished_by_hand(smoke_sweep, tmp_path, capsys):
    import fcntl

    folder = tmp_path / "running"
    shutil.copytree(smoke_sweep, folder)
    status = folder / "status.jsonl"
    status.write_text("\n".join(status.read_text().splitlines()[:5]) + "\n")
    with (folder / "sweep.lock").open("a+") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)  # as a running sweep holds it
        held.seek(0)
        held.truncate()
        held.write("pid 12345 on somewhere")
        held.flush()
        assert main(["report", str(folder)]) == 2
    err = one_line_error(capsys)
    assert "a sweep is still running into it (pid 12345 on somewhere" in err and "talentflow sweep" not in err
    assert main(["report", str(folder)]) == 2  # the lock released: unfinished, and how to finish it
    assert "finish it with: talentflow sweep" in one_line_error(capsys)
    assert not (folder / "report").exists()


def test_a_folder_with_a_broken_manifest_gets_one_line(tmp_path, capsys):
    (tmp_path / "bad").mkdir()
    (tmp_path / "bad" / "manifest.json").write_text("{not json")
    assert main(["report", str(tmp_path / "bad")]) == 2
    assert "cannot be read" in one_line_error(capsys)
    assert not (tmp_path / "bad" / "report").exists()


@pytest.mark.parametrize("damage", ["pending", "failed"])
def test_an_unfinished_sweep_gets_one_line_and_nothing_is_written(smoke_sweep, tmp_path, capsys, damage):
    folder = tmp_path / "unfinished"
    shutil.copytree(smoke_sweep, folder)
    status = folder / "status.jsonl"
    lines = status.read_text().splitlines()
    if damage == "pending":
        status.write_text("\n".join(lines[:5]) + "\n")
    else:
        record = json.loads(lines[0]) | {"status": "failed", "traceback": "RuntimeError: boom"}
        status.write_text("\n".join([*lines, json.dumps(record)]) + "\n")
    assert main(["report", str(folder)]) == 2
    err = one_line_error(capsys)
    assert "unfinished sweep" in err and f"talentflow sweep {SMOKE} --out {folder}" in err
    assert ("--retry-failed" in err) == (damage == "failed")
    assert not (folder / "report").exists()


def test_an_output_folder_holding_other_files_is_refused(smoke_sweep, tmp_path, capsys):
    out = tmp_path / "mine"
    out.mkdir()
    (out / "thesis.tex").write_text("precious")
    assert main(["report", str(smoke_sweep), "--out", str(out)]) == 2
    err = one_line_error(capsys)
    assert "--out" in err and "(no report.json)" in err  # the marker this command writes, not run's
    assert sorted(p.name for p in out.iterdir()) == ["thesis.tex"]


def test_a_run_folder_is_refused_as_the_reports_output_and_kept(smoke_sweep, tmp_path, capsys):
    out = tmp_path / "run"
    out.mkdir()
    (out / "run.json").write_text(json.dumps({"kind": "talentflow run", "files": ["yearly.csv", "run.json"]}))
    (out / "yearly.csv").write_text("year\n2024\n")
    assert main(["report", str(smoke_sweep), "--out", str(out)]) == 2
    err = one_line_error(capsys)
    assert "--out" in err and "talentflow run" in err
    assert sorted(p.name for p in out.iterdir()) == ["run.json", "yearly.csv"]


@pytest.mark.parametrize("command", ["report", "status"])
def test_a_report_bundle_is_not_taken_for_the_sweep_it_reports(smoke_sweep, tmp_path, capsys, command):
    bundle = tmp_path / "bundle"
    assert main(["report", str(smoke_sweep), "--out", str(bundle)]) == 0
    capsys.readouterr()
    assert (bundle / "manifest.json").is_file()  # the copy that made it look like a sweep
    assert main([command, str(bundle)]) == 2
    assert "is a report of a sweep (report.json), not a sweep folder" in one_line_error(capsys)


@pytest.mark.parametrize("inside", ["results", "status.jsonl"])  # a new folder inside results/ is a new folder
def test_a_report_inside_the_sweeps_own_files_is_refused(smoke_sweep, capsys, inside):
    before = sorted(p.relative_to(smoke_sweep).as_posix() for p in smoke_sweep.rglob("*"))
    assert main(["report", str(smoke_sweep), "--out", str(smoke_sweep / inside)]) == 2
    err = one_line_error(capsys)
    assert "part of the sweep folder" in err and "(no run.json)" not in err
    assert sorted(p.relative_to(smoke_sweep).as_posix() for p in smoke_sweep.rglob("*")) == before


def test_a_second_report_keeps_the_users_files_beside_the_first(smoke_sweep, tmp_path):
    out = tmp_path / "report"
    assert main(["report", str(smoke_sweep), "--out", str(out)]) == 0
    (out / "notes.md").write_text("mine")
    (out / "figures" / "sketch.svg").write_text("<svg/>")
    assert main(["report", str(smoke_sweep), "--out", str(out)]) == 0
    assert (out / "notes.md").read_text() == "mine" and (out / "figures" / "sketch.svg").read_text() == "<svg/>"
    assert (out / "report.md").is_file()


def test_report_draws_arm_and_country_names_with_dollar_signs_as_text(tmp_path):
    path = write_sweep(tmp_path, """
        design = "arms"
        replicates = 2
        years = 3
        researchers = 200
        seed = 1
        [set]
        "countries.US.name" = "$\\\\bar$"
        [arms."$\\\\foo$"]
        [arms."$5 grant"]
        policies.hours_exemption = {}
        """)
    assert main(["sweep", str(path), "--out", str(tmp_path / "sweep"), "--in-process", "--quiet"]) == 0
    assert main(["report", str(tmp_path / "sweep")]) == 0
    assert sorted((tmp_path / "sweep" / "report" / "figures").glob("*.png"))


DESIGNS = {
    "latin": ("""
        design = "latin"
        samples = 4
        replicates = 2
        [vary]
        "preferences.wage" = { low = 1.0, high = 1.5 }
        """, "Replicate statistics", "tables/replicate_statistics.csv"),
    "sobol": ("""
        design = "sobol"
        samples = 4
        keep = "final"
        [vary]
        "preferences.wage" = { low = 1.0, high = 1.5 }
        "preferences.home" = { low = 2.0, high = 3.0 }
        """, "Sobol indices", "figures/sobol_indices.pdf"),
    "morris": ("""
        design = "morris"
        samples = 4
        keep = "final"
        [vary]
        "preferences.wage" = { low = 1.0, high = 1.5 }
        "preferences.home" = { low = 2.0, high = 3.0 }
        """, "Morris screening", "tables/morris_indices.tex"),
    "one_replicate_arms_without_a_baseline": ("""
        design = "arms"
        [arms.a]
        [arms.b]
        policies.hours_exemption = {}
        """, "One replicate a point", "tables/replicate_statistics.md"),
}


@pytest.mark.parametrize("design", list(DESIGNS))
def test_report_fits_its_sections_to_the_design(tmp_path, design):
    body, section, file = DESIGNS[design]
    path = write_sweep(tmp_path, "years = 4\nresearchers = 200\nseed = 1\n" + body)
    assert main(["sweep", str(path), "--out", str(tmp_path / "sweep"), "--in-process", "--quiet"]) == 0
    assert main(["report", str(tmp_path / "sweep")]) == 0
    report = tmp_path / "sweep" / "report"
    assert section in (report / "report.md").read_text()
    assert (report / file).is_file()
    assert "Policies against" not in (report / "report.md").read_text()


# ------------------------------------------------------------- reproduce.sh and paths (defects 10, 11)
def run_script(script: Path, tmp_path: Path) -> list[list[str]]:
    """Run ``script`` from the project root with a stand-in ``talentflow`` that records its arguments."""
    import subprocess

    bin_folder = tmp_path / "bin"
    bin_folder.mkdir(exist_ok=True)
    log = tmp_path / "calls.jsonl"
    fake = bin_folder / "talentflow"
    fake.write_text(f"#!{sys.executable}\nimport json, sys\n"
                    f"open({str(log)!r}, 'a').write(json.dumps(sys.argv[1:]) + '\\n')\n")
    fake.chmod(0o755)
    done = subprocess.run(["sh", str(script)], cwd=ROOT, capture_output=True, text=True, timeout=60, check=False,
                          env={**os.environ, "PATH": f"{bin_folder}{os.pathsep}{os.environ['PATH']}"})
    assert done.returncode == 0, done.stderr
    return [json.loads(line) for line in log.read_text().splitlines()]


def test_the_bundle_holds_no_absolute_path_and_reproduce_sh_names_the_right_files(smoke_sweep, smoke_report,
                                                                                   tmp_path):
    for name in ("report.md", "report.html", "reproduce.sh", "report.json", "manifest.json"):
        text = (smoke_report / name).read_text()
        assert str(ROOT) not in text and str(smoke_sweep.parent) not in text, name
    calls = run_script(smoke_report / "reproduce.sh", tmp_path)
    assert [c[0] for c in calls] == ["sweep", "report"]
    sweep, report = calls
    assert (ROOT / sweep[1]).resolve() == SMOKE
    assert Path(sweep[3]).resolve() == smoke_sweep.resolve()
    assert Path(report[1]).resolve() == smoke_sweep.resolve() and Path(report[3]).resolve() == smoke_report.resolve()


def test_reproduce_sh_quotes_a_sweep_path_full_of_shell_syntax(tmp_path):
    weird = tmp_path / "it's $(touch pwned) `x` ; dir"
    weird.mkdir()
    path = write_sweep(weird, "years = 3\nresearchers = 100\nseed = 1\n[vary]\n'preferences.wage' = [1.0]\n")
    folder = weird / "sweep; touch pwned2"
    assert main(["sweep", str(path), "--out", str(folder), "--in-process", "--quiet"]) == 0
    assert main(["report", str(folder)]) == 0
    calls = run_script(folder / "report" / "reproduce.sh", tmp_path)
    assert Path(calls[0][1]).resolve() == path.resolve() and Path(calls[0][3]).resolve() == folder.resolve()
    assert not list(tmp_path.rglob("pwned*")) and not list(ROOT.glob("pwned*"))


@pytest.mark.parametrize(("field", "value"), [
    (("git", "commit"), "abc\ntouch pwned"),
    (("git", "commit"), "$(touch pwned)"),
    (("sweep", "sha256"), "0" * 63 + "\ntouch pwned"),
    (("sweep", "path"), "smoke.toml\ntouch pwned"),
])
def test_a_manifest_field_that_is_not_what_talentflow_writes_gets_one_line_and_nothing_is_written(
        smoke_sweep, tmp_path, capsys, field, value):
    folder = tmp_path / "copy"
    shutil.copytree(smoke_sweep, folder)
    manifest = json.loads((folder / "manifest.json").read_text())
    manifest[field[0]][field[1]] = value
    (folder / "manifest.json").write_text(json.dumps(manifest))
    assert main(["report", str(folder), "--out", str(tmp_path / "report")]) == 2
    assert f"{field[0]}.{field[1]}" in one_line_error(capsys)
    assert not (tmp_path / "report").exists()
