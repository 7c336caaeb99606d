"""``talentflow sweep`` and ``talentflow status`` end to end, and a sweep killed with SIGKILL then resumed."""

from __future__ import annotations

import json
import os
import signal
import subprocess

import pandas as pd
import pytest
from experiments_support import SMALL_GRID, TALENTFLOW, holding, in_process_results, lines, wait_for, write_sweep

import experiments


def talentflow(*args, **kwargs) -> subprocess.CompletedProcess:
    return subprocess.run([*TALENTFLOW, *map(str, args)], capture_output=True, text=True, timeout=120, **kwargs)


def test_sweep_then_status_then_resume_on_the_command_line(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    out = tmp_path / "out"
    done = talentflow("sweep", path, "--out", out, "--workers", "2", "--quiet")
    assert done.returncode == 0, done.stderr
    assert "12 runs: 12 done, 0 failed, 0 pending (12 run now" in done.stdout
    assert len(experiments.load(out)) == 12 * 6
    status = talentflow("status", out)
    assert status.returncode == 0
    assert "12 runs: 12 done, 0 failed, 0 pending" in status.stdout
    again = talentflow("sweep", path, "--out", out, "--in-process", "--quiet")
    assert again.returncode == 0 and "(0 run now" in again.stdout


def test_progress_bar_shows_failures_and_eta(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    done = talentflow("sweep", path, "--out", tmp_path / "out", "--in-process")
    assert done.returncode == 0
    assert "12/12" in done.stderr and "failed=0" in done.stderr and "run/s" in done.stderr


@pytest.mark.parametrize(("args", "hint"), [
    (["--workers", "0"], "--workers: must be a whole number >= 1"),
    (["--scheduler", "localhost"], "--scheduler: must be a scheduler address"),
    (["--scheduler", "tcp://host:x"], "--scheduler: the port must be a whole number from 1 to 65535"),
    (["--scheduler", "tcp://:8786"], "--scheduler: must be a scheduler address"),
    (["--scheduler", "tcp://[::1:8786"], "--scheduler: must be a scheduler address"),
    (["--scheduler", "foo://127.0.0.1:8786"], "--scheduler: must be a scheduler address"),
    (["--scheduler", "inproc://x:8786"], "--scheduler: must be a scheduler address"),
    (["--scheduler", "tcp://127.0.0.1:65536"], "--scheduler: the port must be a whole number from 1 to 65535"),
    (["--workers", "2", "--in-process"], "not allowed with argument"),
])
def test_bad_arguments_print_one_line_exit_2_and_write_nothing(tmp_path, args, hint):
    path = write_sweep(tmp_path, SMALL_GRID)
    done = talentflow("sweep", path, "--out", tmp_path / "out", *args)
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and hint in done.stderr
    assert not (tmp_path / "out").exists()


def test_bad_sweep_file_prints_one_line_exit_2_and_writes_nothing(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID.replace("preferences.wage", "preferences.wages"))
    done = talentflow("sweep", path, "--out", tmp_path / "out")
    assert done.returncode == 2
    assert done.stderr.strip() == (f"talentflow: error: {path}: vary.preferences.wages: is not a config key "
                                   "(use a dotted path such as preferences.wage)")
    assert not (tmp_path / "out").exists()


def test_changed_sweep_file_is_refused_with_one_line_and_exit_2(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    assert talentflow("sweep", path, "--out", tmp_path / "out", "--in-process", "--quiet").returncode == 0
    path.write_text(path.read_text().replace("seed = 11", "seed = 12"))
    done = talentflow("sweep", path, "--out", tmp_path / "out", "--in-process", "--quiet")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "different sweep file" in done.stderr


def test_unreachable_scheduler_is_one_line_exit_2_and_writes_nothing(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    done = talentflow("sweep", path, "--out", tmp_path / "out", "--scheduler", "tcp://127.0.0.1:9",
                      "--connect-timeout", "2")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "no Dask scheduler answered" in done.stderr
    assert not (tmp_path / "out").exists()


def test_tls_without_the_clients_certificates_is_one_line_exit_2_and_writes_nothing(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    done = talentflow("sweep", path, "--out", tmp_path / "out", "--scheduler", "tls://127.0.0.1:8786")
    assert done.returncode == 2, done.stderr
    assert len(done.stderr.strip().splitlines()) == 1 and "certificates in the Dask configuration" in done.stderr
    assert not (tmp_path / "out").exists()


def test_a_scheduler_port_that_is_not_a_number_is_refused_by_the_experiment_command_too(tmp_path):
    done = talentflow("experiment", "all", "--out", tmp_path / "out", "--scheduler", "tcp://host:x")
    assert done.returncode == 2
    assert len(done.stderr.strip().splitlines()) == 1 and "the port must be a whole number" in done.stderr
    assert not (tmp_path / "out").exists()


def test_status_of_a_folder_without_a_sweep_is_one_line_exit_2(tmp_path):
    done = talentflow("status", tmp_path)
    assert done.returncode == 2 and "not a sweep folder" in done.stderr


#: 120 runs of 500 researchers for 10 years.
LONG = """
design = "grid"
replicates = 40
years = 10
researchers = 500
seed = 99
[vary]
"preferences.wage" = [1.0, 1.5, 2.0]
"""
#: Runs that finish before the sweep is killed: the workers hold every later run unfinished (fault injection).
FINISHED_BEFORE_KILL = 10


def test_sweep_killed_with_sigkill_resumes_to_the_uninterrupted_results(tmp_path):
    path = write_sweep(tmp_path, LONG)
    out = tmp_path / "killed"
    status = out / "status.jsonl"
    process = subprocess.Popen([*TALENTFLOW, "sweep", str(path), "--out", str(out), "--workers", "2",
                                "--batch-size", "2", "--quiet"], stdout=subprocess.DEVNULL,
                               stderr=subprocess.DEVNULL, start_new_session=True,
                               env=holding(FINISHED_BEFORE_KILL, held=tmp_path / "held"))
    try:
        wait_for(lambda: lines(status) >= FINISHED_BEFORE_KILL and (tmp_path / "held").exists())
    finally:
        os.killpg(process.pid, signal.SIGKILL)  # the sweep and its worker processes, all started by this test
        process.wait()
    first = [json.loads(x) for x in status.read_text().splitlines()]
    assert sorted(r["run"] for r in first) == list(range(FINISHED_BEFORE_KILL))  # killed partway, at a known point

    resumed = talentflow("sweep", path, "--out", out, "--workers", "2", "--quiet")
    assert resumed.returncode == 0, resumed.stderr
    records = [json.loads(x) for x in status.read_text().splitlines()]
    ok_runs = [r["run"] for r in records if r["status"] == "ok"]
    assert sorted(ok_runs) == list(range(120))  # none lost, none duplicated
    rerun = {r["run"] for r in records if r["session"] == 1}
    assert not {r["run"] for r in first} & rerun  # none recomputed
    pd.testing.assert_frame_equal(experiments.load(out), in_process_results(path, tmp_path / "reference"))
