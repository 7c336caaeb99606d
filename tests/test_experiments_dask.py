"""The Dask path against a real scheduler and two workers started here on 127.0.0.1, one of them killed mid-sweep."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import socket
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pandas as pd
import pytest
from experiments_support import (
    DASK,
    ROOT,
    SMALL_GRID,
    TALENTFLOW,
    abc_generations,
    calibration_of,
    holding,
    holding_simulations,
    in_process_results,
    lines,
    wait_for,
    write_sweep,
)

import experiments
from experiments import cli, executors, runner
from experiments.executors import InProcess, dask_executor
from experiments.sweepfile import read_sweep

#: 60 runs of 500 researchers for 10 years, in tasks of two runs.
SWEEP = """
design = "grid"
replicates = 30
years = 10
researchers = 500
seed = 5
[vary]
"preferences.mentor" = [1.0, 2.0]
"""


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@contextlib.contextmanager
def dask_cluster(folder: Path, environments: list[dict[str, str] | None]
                 ) -> Iterator[tuple[str, list, subprocess.Popen]]:
    """A `dask scheduler` and a `dask worker` process for each environment (no nanny, so a killed worker stays
    dead); yields the scheduler's address, the workers and the scheduler."""
    port = free_port()
    address = f"tcp://127.0.0.1:{port}"
    log = (folder / "dask.log").open("w")
    common = {"stdout": log, "stderr": subprocess.STDOUT, "cwd": folder, "start_new_session": True}
    processes = [subprocess.Popen([*DASK, "scheduler", "--host", "127.0.0.1", "--port", str(port),
                                   "--no-dashboard"], **common)]
    workers = [subprocess.Popen([*DASK, "worker", address, "--host", "127.0.0.1", "--nthreads", "1",
                                 "--no-nanny", "--no-dashboard", "--name", f"w{i}"], env=env, **common)
               for i, env in enumerate(environments)]
    processes += workers
    try:
        from distributed import Client

        with Client(address, timeout=30) as client:
            client.wait_for_workers(len(workers), timeout=60)
        yield address, workers, processes[0]
    finally:
        for process in processes:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.fixture
def cluster(tmp_path):
    """A scheduler and two workers."""
    with dask_cluster(tmp_path, [None, None]) as started:
        yield started


@pytest.fixture
def cluster_with_a_stuck_worker(tmp_path):
    """A scheduler and two workers, the first holding every task it is given unfinished (fault injection, see
    tests/faults): none of its tasks can finish before it is killed. The file ``held`` appears when it holds one."""
    with dask_cluster(tmp_path, [holding(0, held=tmp_path / "held"), None]) as started:
        yield started


def test_dask_cluster_gives_the_same_results_as_in_process(tmp_path, cluster):
    address, _, _ = cluster
    sweep = read_sweep(write_sweep(tmp_path, SWEEP.replace("replicates = 30", "replicates = 3")))
    with dask_executor(address) as (executor, workers):
        assert workers == 2
        runner.run_sweep(sweep, tmp_path / "dask", executor, workers=workers, progress=False)
    runner.run_sweep(sweep, tmp_path / "serial", InProcess(), progress=False)
    pd.testing.assert_frame_equal(experiments.load(tmp_path / "dask"), experiments.load(tmp_path / "serial"))
    hosts = {json.loads(x)["worker"] for x in (tmp_path / "dask" / "status.jsonl").read_text().splitlines()}
    assert len(hosts) == 2  # both workers took tasks


def test_killing_a_dask_worker_mid_sweep_loses_and_duplicates_nothing(tmp_path, cluster_with_a_stuck_worker):
    address, workers, _ = cluster_with_a_stuck_worker
    path = write_sweep(tmp_path, SWEEP)
    out = tmp_path / "out"
    status = out / "status.jsonl"
    sweep = subprocess.Popen([*TALENTFLOW, "sweep", str(path), "--out", str(out), "--scheduler", address,
                              "--batch-size", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    wait_for(lambda: (tmp_path / "held").exists())
    assert (tmp_path / "held").exists() and workers[0].poll() is None  # holding a task, still in the cluster
    os.killpg(workers[0].pid, signal.SIGKILL)
    _, stderr = sweep.communicate(timeout=300)
    assert sweep.returncode == 0, stderr
    records = [json.loads(x) for x in status.read_text().splitlines()]
    assert all(r["status"] == "ok" for r in records)
    assert sorted(r["run"] for r in records) == list(range(60))  # none lost, none duplicated
    assert {r["worker"] for r in records} == {records[0]["worker"]}  # the killed worker finished none
    pd.testing.assert_frame_equal(experiments.load(out), in_process_results(path, tmp_path / "reference"))


def test_killing_the_dask_scheduler_fails_no_run_and_leaves_the_rest_pending_for_resume(tmp_path, cluster):
    address, _, scheduler = cluster
    path = write_sweep(tmp_path, SWEEP)
    out = tmp_path / "out"
    status = out / "status.jsonl"
    sweep = subprocess.Popen([*TALENTFLOW, "sweep", str(path), "--out", str(out), "--scheduler", address,
                              "--batch-size", "2", "--quiet"], stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                             text=True)
    wait_for(lambda: lines(status) >= 4)
    os.killpg(scheduler.pid, signal.SIGKILL)
    stdout, stderr = sweep.communicate(timeout=120)
    records = [json.loads(x) for x in status.read_text().splitlines()]
    assert len(records) < 60, "the scheduler was killed after the sweep had finished"
    assert sweep.returncode == 1, stderr
    assert all(r["status"] == "ok" for r in records)  # no run failed: the lost ones are pending
    assert f"{60 - len(records)} pending" in stdout and "run the same command again" in stderr
    assert "Traceback" not in stderr
    resumed = subprocess.run([*TALENTFLOW, "sweep", str(path), "--out", str(out), "--in-process", "--quiet"],
                             capture_output=True, text=True, timeout=300, check=False)
    assert resumed.returncode == 0, resumed.stderr
    pd.testing.assert_frame_equal(experiments.load(out), in_process_results(path, tmp_path / "reference"))


def test_losing_the_dask_scheduler_mid_calibration_ends_in_one_line_and_resume_finishes_it(tmp_path):
    """Workers that hold the 71st simulation: the calibration cannot finish before the kill (its 9 samples of 10
    accepted particles take 90 simulations at the least). Its first generation has usually finished (about 30
    simulations with the calibration sample), not always: pyabc seeds its Dask workers from the system."""
    held = tmp_path / "held"
    out = tmp_path / "cal"
    targets = calibration_of(("preferences.wage", "preferences.mentor"), tmp_path)
    command = [*TALENTFLOW, "calibrate", str(ROOT / "configs" / "baseline.toml"), "--targets", str(targets), "--out",
               str(out), "--population", "10", "--researchers", "300", "--predictive-draws", "2",
               "--elasticity-draws", "2", "--elasticity-researchers", "300", "--quiet"]
    with dask_cluster(tmp_path, [holding_simulations(70, tmp_path / "count", held)] * 2) as (address, _, scheduler):
        calibration = subprocess.Popen([*command, "--generations", "8", "--scheduler", address],
                                       stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
        wait_for(held.exists)
        os.killpg(scheduler.pid, signal.SIGKILL)
        _, stderr = calibration.communicate(timeout=120)
    assert calibration.returncode == 1, stderr[-3000:]
    assert "Traceback" not in stderr
    last = stderr.strip().splitlines()[-1]
    assert last.startswith(f"talentflow: the calibration lost the Dask scheduler at {address} (") and last.endswith(
        f"every generation finished is kept in {out}: run the same command with --resume to continue"), last
    finished = abc_generations(out)
    assert finished == list(range(len(finished))) and len(finished) < 8
    more = str(len(finished) + 1)  # one generation more, in one process
    resumed = subprocess.run([*command, "--generations", more, "--resume", "--workers", "1"], capture_output=True,
                             text=True, timeout=300)
    assert resumed.returncode == 0, resumed.stderr[-3000:]
    assert json.loads((out / "calibration.json").read_text())["status"] == "done"
    assert abc_generations(out) == [*finished, len(finished)]


@pytest.mark.timeout(120)
def test_a_result_lost_while_fetching_it_leaves_its_runs_pending_instead_of_hanging(tmp_path, monkeypatch):
    """The race behind a scheduler killed mid-sweep: a task finishes, then fetching its result fails because the
    scheduler has gone. Every such task must come back as lost (its runs pending), never as a future left waiting."""
    import distributed.client
    from distributed import Client, LocalCluster
    from distributed.comm.core import CommClosedError

    async def fetch_fails(self: distributed.client.Future, raiseit: bool = True) -> None:
        await self._state.wait()  # the task has finished on its worker ...
        raise CommClosedError("in <TCP (closed) ConnectionPool.gather>: Stream is closed")  # ... the fetch fails

    path = write_sweep(tmp_path, SMALL_GRID)
    with (LocalCluster(n_workers=1, threads_per_worker=1, processes=False, protocol="tcp://", host="127.0.0.1",
                       dashboard_address=None) as local, Client(local) as client):
        monkeypatch.setattr(distributed.client.Future, "_result", fetch_fails)
        summary = runner.run_sweep(read_sweep(path), tmp_path / "out", executors.DaskExecutor(client), workers=1,
                                   progress=False)
    assert summary.ran == summary.done == 0 and summary.pending == summary.total == 12
    assert summary.lost is not None and summary.lost.startswith("CommClosedError"), summary.lost


def test_a_scheduler_without_workers_times_out_with_one_line_exit_2_and_writes_nothing(tmp_path, capsys):
    from distributed import LocalCluster

    path = write_sweep(tmp_path, SWEEP)
    with LocalCluster(n_workers=0, processes=False, protocol="tcp://", host="127.0.0.1",
                      dashboard_address=None) as empty:
        code = cli.main(["sweep", str(path), "--out", str(tmp_path / "out"), "--scheduler", empty.scheduler_address,
                         "--dask-wait", "1", "--quiet"])
    lines = capsys.readouterr().err.strip().splitlines()
    assert code == 2
    assert lines[0].startswith("talentflow: waiting up to 1 s for a Dask worker")
    assert lines[-1].startswith("talentflow: error: --dask-wait: no Dask worker joined the scheduler at")
    assert len(lines) == 2
    assert not (tmp_path / "out").exists()


def test_a_local_dask_cluster_binds_the_loopback_interface(monkeypatch):
    import distributed

    seen = {}

    class Cluster:
        def __init__(self, **kwargs):
            seen.update(kwargs)
            raise RuntimeError("stop here")

    monkeypatch.setattr(distributed, "LocalCluster", Cluster)
    with pytest.raises(RuntimeError, match="stop here"), executors.dask_executor(local_workers=2):
        pass
    assert seen["host"] == "127.0.0.1" and seen["dashboard_address"] is None


def test_the_docs_start_the_scheduler_on_a_private_address_first():
    text = (ROOT / "docs" / "experiments.md").read_text()
    commands = [line for line in text.splitlines() if "dask scheduler" in line and not line.startswith("#")]
    assert commands and "--host 127.0.0.1" in commands[0]
    for line in commands:
        assert "0.0.0.0" not in line or "--tls" in line, line
    assert "require-encryption" in text


def test_calibrate_runs_its_simulations_on_a_dask_cluster_with_the_same_flag_as_sweeps(tmp_path, cluster):
    """`talentflow calibrate --scheduler` hands pyabc's Dask sampler the cluster's workers."""
    address, _, _ = cluster
    targets = ROOT / "configs" / "calibration" / "targets.toml"
    out = tmp_path / "cal"
    done = subprocess.run([*TALENTFLOW, "calibrate", str(ROOT / "configs" / "baseline.toml"), "--targets",
                           str(targets), "--out", str(out), "--scheduler", address, "--population", "10",
                           "--generations", "1", "--researchers", "300", "--predictive-draws", "2",
                           "--elasticity-draws", "2", "--elasticity-researchers", "300", "--quiet"],
                          capture_output=True, text=True, timeout=600)
    assert done.returncode == 0, done.stderr[-3000:]
    info = json.loads((out / "calibration.json").read_text())
    assert info["status"] == "done" and info["workers"] == 2
    assert len(pd.read_csv(out / "posterior.csv")) == 10


class _Workerless:
    """Stands for a Dask client whose scheduler has no worker and gets none."""

    def scheduler_info(self, n_workers: int = -1) -> dict:
        return {"workers": {}}

    def wait_for_workers(self, n: int, timeout: float) -> None:
        raise TimeoutError


@pytest.mark.parametrize(("option", "named"), [("--dask-wait", True), (None, False)])
def test_waiting_for_a_worker_names_the_commands_own_option_if_it_has_one(capsys, option, named):
    with pytest.raises(executors.NoWorkersError, match="no Dask worker joined the scheduler at tcp://h:1 within 2 s"):
        executors._wait_for_workers(_Workerless(), "tcp://h:1", 2.0, option)
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "waiting up to 2 s for a Dask worker" in err
    assert ("(--dask-wait SECONDS)" in err) == named  # calibrate has no --dask-wait
