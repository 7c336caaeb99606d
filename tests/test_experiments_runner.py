"""The runner: seeds, executors, resuming, failures, loading and status."""

from __future__ import annotations

import json
import platform

import numpy as np
import pandas as pd
import pytest
from experiments_support import SMALL_GRID, write_sweep

import experiments
from experiments import runner, seeds
from experiments.cli import status_lines
from experiments.executors import InProcess, process_pool
from experiments.store import FolderError
from experiments.sweepfile import read_sweep


@pytest.fixture
def grid(tmp_path):
    return read_sweep(write_sweep(tmp_path, SMALL_GRID))


def counting(monkeypatch):
    """Wrap runner.run_model to record the seeds it runs (works with the in-process executor)."""
    calls = []
    real = runner.run_model

    def spy(config, seed, agents, deadweight=True):
        calls.append(tuple(seed.spawn_key))
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", spy)
    return calls


def test_common_random_numbers_share_replicate_streams_across_points():
    a = seeds.run_seed(7, point=0, replicate=1).generate_state(4)
    b = seeds.run_seed(7, point=5, replicate=1).generate_state(4)
    c = seeds.run_seed(7, point=0, replicate=2).generate_state(4)
    assert np.array_equal(a, b)
    assert not np.array_equal(a, c)


def test_without_common_random_numbers_each_point_has_its_own_stream():
    a = seeds.run_seed(7, 0, 1, common_random_numbers=False).generate_state(4)
    b = seeds.run_seed(7, 5, 1, common_random_numbers=False).generate_state(4)
    assert not np.array_equal(a, b)


def test_points_with_equal_configs_give_equal_results_under_common_random_numbers(tmp_path):
    # two points that differ only in the scenario's description: the same model, so the same draws give the same run
    body = """
        replicates = 2
        years = 4
        researchers = 300
        seed = 3
        COMMON
        [vary]
        description = ["a", "b"]
        """
    same = read_sweep(write_sweep(tmp_path, body.replace("COMMON", ""), name="crn.toml"))
    runner.run_sweep(same, tmp_path / "crn", InProcess(), progress=False)
    data = experiments.load(tmp_path / "crn")
    outputs = [c for c in data.columns if c not in ("run", "point", "description")]
    for replicate in (0, 1):
        a, b = (data[(data.point == p) & (data.replicate == replicate)][outputs].reset_index(drop=True)
                for p in (0, 1))
        pd.testing.assert_frame_equal(a, b)
    other = read_sweep(write_sweep(tmp_path, body.replace("COMMON", "common_random_numbers = false"), name="o.toml"))
    runner.run_sweep(other, tmp_path / "own", InProcess(), progress=False)
    own = experiments.load(tmp_path / "own")
    a, b = (own[(own.point == p) & (own.replicate == 0)]["researchers_abroad"].to_numpy() for p in (0, 1))
    assert not np.array_equal(a, b)


def test_results_are_identical_in_process_and_on_two_worker_processes(grid, tmp_path):
    runner.run_sweep(grid, tmp_path / "serial", InProcess(), progress=False)
    with process_pool(2) as pool:
        runner.run_sweep(grid, tmp_path / "pool", pool, workers=2, progress=False, batch_size=1)
    serial, pooled = experiments.load(tmp_path / "serial"), experiments.load(tmp_path / "pool")
    assert len(serial) == 12 * 6
    pd.testing.assert_frame_equal(serial, pooled)


def test_load_gives_a_tidy_frame_keyed_by_run_point_replicate_year(grid, tmp_path):
    runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    data = experiments.load(tmp_path / "out")
    assert list(data.columns[:6]) == ["run", "point", "replicate", "year", "preferences.wage", "preferences.mentor"]
    assert not data.duplicated(["run", "year"]).any()
    assert data.groupby("run").size().eq(5 + 1).all()  # initial state and five years
    assert sorted(data["run"].unique()) == list(range(12))
    row = data[data.run == 5].iloc[0]
    assert (row["point"], row["replicate"]) == (2, 1)
    assert (row["preferences.wage"], row["preferences.mentor"]) == (1.5, 1.0)


def test_keep_final_stores_one_row_a_run_and_agents_are_opt_in(tmp_path):
    body = SMALL_GRID.replace("seed = 11", 'seed = 11\nkeep = "final"\nagents = true')
    sweep = read_sweep(write_sweep(tmp_path, body))
    runner.run_sweep(sweep, tmp_path / "out", InProcess(), progress=False)
    data = experiments.load(tmp_path / "out")
    assert len(data) == 12 and data["year"].nunique() == 1
    rows = experiments.load(tmp_path / "out", agents=True)
    assert {"run", "point", "replicate", "id", "year", "country"} <= set(rows.columns)
    assert sorted(rows["run"].unique()) == list(range(12))


def test_resume_skips_finished_runs(grid, tmp_path, monkeypatch):
    calls = counting(monkeypatch)
    first = runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    assert first.ran == 12 and len(calls) == 12
    again = runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    assert again.ran == 0 and again.done == 12 and len(calls) == 12
    assert len(experiments.load(tmp_path / "out")) == 12 * 6


def test_resume_runs_only_what_is_missing(grid, tmp_path, monkeypatch):
    runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    status = tmp_path / "out" / "status.jsonl"
    lines = status.read_text().splitlines()
    status.write_text("\n".join(lines[:5]) + "\n" + lines[5][:20])  # as if killed while writing line 6
    calls = counting(monkeypatch)
    summary = runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    assert summary.ran == 7 and len(calls) == 7
    records = [json.loads(line) for line in status.read_text().splitlines()]
    assert sorted(r["run"] for r in records) == list(range(12))
    data = experiments.load(tmp_path / "out")
    assert len(data) == 12 * 6 and not data.duplicated(["run", "year"]).any()
    # the parts named by no status line (the runs of the cut lines) were removed
    named = {r["results"] for r in records}
    assert {p.name for p in (tmp_path / "out" / "results").iterdir()} == named


def test_refuses_to_resume_when_the_sweep_file_changed(tmp_path):
    path = write_sweep(tmp_path, SMALL_GRID)
    runner.run_sweep(read_sweep(path), tmp_path / "out", InProcess(), progress=False)
    before = (tmp_path / "out" / "status.jsonl").read_text()
    path.write_text(path.read_text().replace("replicates = 2", "replicates = 3"))
    with pytest.raises(FolderError, match="different sweep file") as caught:
        runner.run_sweep(read_sweep(path), tmp_path / "out", InProcess(), progress=False)
    assert "\n" not in str(caught.value)
    assert (tmp_path / "out" / "status.jsonl").read_text() == before


def test_refuses_a_folder_that_is_not_empty_and_holds_no_sweep(grid, tmp_path):
    (tmp_path / "out").mkdir()
    (tmp_path / "out" / "notes.txt").write_text("mine")
    with pytest.raises(FolderError, match="not empty"):
        runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    assert [p.name for p in (tmp_path / "out").iterdir()] == ["notes.txt"]


def test_failed_run_is_recorded_with_its_traceback_the_sweep_goes_on_and_retry_reruns_it(grid, tmp_path,
                                                                                          monkeypatch):
    real = runner.run_model

    def flaky(config, seed, agents, deadweight=True):
        if config.preferences.wage == 1.5 and seed.spawn_key == (1,):
            raise RuntimeError("simulated failure")
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", flaky)
    summary = runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False, batch_size=4)
    assert (summary.done, summary.failed, summary.pending) == (10, 2, 0)
    failed = [json.loads(x) for x in (tmp_path / "out" / "status.jsonl").read_text().splitlines()]
    failed = [r for r in failed if r["status"] == "failed"]
    assert sorted(r["run"] for r in failed) == [5, 7]
    assert all("RuntimeError: simulated failure" in r["traceback"] for r in failed)
    assert sorted(experiments.load(tmp_path / "out")["run"].unique()) == [0, 1, 2, 3, 4, 6, 8, 9, 10, 11]
    text = "\n".join(status_lines(tmp_path / "out"))
    assert "10 done, 2 failed, 0 pending" in text
    assert "failed: run 5 (point 2, replicate 1): RuntimeError: simulated failure" in text

    # without --retry-failed nothing reruns; with it only the failed runs do
    assert runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False).ran == 0
    monkeypatch.setattr(runner, "run_model", real)
    calls = counting(monkeypatch)
    retried = runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False, retry_failed=True)
    assert (retried.ran, retried.done, retried.failed) == (2, 12, 0)
    assert sorted(calls) == [(1,), (1,)]
    assert sorted(experiments.load(tmp_path / "out")["run"].unique()) == list(range(12))


def test_status_counts_pending_runs_and_estimates_time_left(grid, tmp_path):
    runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    status = tmp_path / "out" / "status.jsonl"
    status.write_text("".join(status.read_text().splitlines(keepends=True)[:8]))
    lines = status_lines(tmp_path / "out")
    assert "12 runs: 8 done, 0 failed, 4 pending" in lines[0]
    assert lines[-1].startswith("time left: about ")


def test_manifest_records_sweep_hash_design_seeds_and_environment(grid, tmp_path):
    runner.run_sweep(grid, tmp_path / "out", InProcess(), progress=False)
    manifest = json.loads((tmp_path / "out" / "manifest.json").read_text())
    assert manifest["sweep"]["sha256"] == grid.sha256 and manifest["sweep"]["text"] == grid.text
    assert len(manifest["design_table"]) == 6 and len(manifest["runs"]) == 12
    assert manifest["runs"][5]["seed"] == {"entropy": 11, "spawn_key": [1]}
    assert {"numpy", "pandas", "mesa", "talentflow"} <= set(manifest["versions"])
    assert set(manifest["git"]) == {"commit", "dirty"}
    assert manifest["started"] and manifest["ended"] and manifest["host"]["hostname"]
    numeric = manifest["host"]["numeric"]  # what decides the last bits of the results across machines
    assert numeric["machine"] == platform.machine() and numeric["numpy"] == np.__version__
    assert numeric["simd"] == np.show_config(mode="dicts")["SIMD Extensions"]
    assert numeric["cpu_features"] and "blas" in numeric
    assert manifest["sessions"][0]["host"]["numeric"] == numeric
