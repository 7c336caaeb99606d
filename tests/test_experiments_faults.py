"""The runner under faults injected deterministically: a kill mid-sweep, lost tasks, a second sweep, a full disk."""

from __future__ import annotations

import concurrent.futures
import errno
import fcntl
import json
import os
import signal
import subprocess
import sys
from concurrent.futures.process import BrokenProcessPool
from pathlib import Path

import pandas as pd
import pytest
from experiments_support import SMALL_GRID, write_sweep

import experiments
from experiments import cli, runner, store
from experiments.executors import InProcess, process_pool
from experiments.sweepfile import read_sweep


@pytest.fixture
def sweep(tmp_path):
    return read_sweep(write_sweep(tmp_path, SMALL_GRID))


@pytest.fixture
def reference(sweep, tmp_path):
    """The sweep run uninterrupted in this process, loaded."""
    runner.run_sweep(sweep, tmp_path / "reference", InProcess(), progress=False)
    return experiments.load(tmp_path / "reference")


def records(folder):
    path = folder / "status.jsonl"
    return [json.loads(line) for line in path.read_text().splitlines()] if path.is_file() else []


class Killed(BaseException):
    """Stands for SIGKILL: nothing in the runner catches it."""


# ------------------------------------------------------------- in-process: each run saved as it finishes (defect 1)
class Bar:
    """Stands for the tqdm bar: counts what the runner reports done."""

    n = 0

    def update(self, n: int) -> None:
        self.n += n

    def set_postfix(self, **_) -> None:
        pass

    def close(self) -> None:
        pass


def test_in_process_sweep_stores_each_task_before_running_the_next_and_advances_the_bar(sweep, tmp_path,
                                                                                        monkeypatch):
    out = tmp_path / "out"
    seen = []
    bar = Bar()
    real = runner.run_model

    def spy(config, seed, agents, deadweight=True):  # before each run: what is already stored, and where the bar is
        seen.append((len(records(out)), bar.n))
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", spy)
    monkeypatch.setattr(runner, "_progress_bar", lambda total, initial, name, enabled: bar)
    runner.run_sweep(sweep, out, InProcess(), progress=True, batch_size=1)
    assert seen == [(i, i) for i in range(12)]


def test_in_process_sweep_killed_partway_keeps_what_finished_and_resumes_without_recomputing(sweep, tmp_path,
                                                                                            reference, monkeypatch):
    out = tmp_path / "out"
    real = runner.run_model
    calls = []

    def dies_at_the_eighth_run(config, seed, agents, deadweight=True):
        calls.append(seed.spawn_key)
        if len(calls) == 8:
            raise Killed
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", dies_at_the_eighth_run)
    with pytest.raises(Killed):
        runner.run_sweep(sweep, out, InProcess(), progress=False, batch_size=1)
    assert sorted(r["run"] for r in records(out)) == list(range(7))

    monkeypatch.setattr(runner, "run_model", lambda c, s, a, d=True: calls.append(s.spawn_key) or real(c, s, a, d))
    summary = runner.run_sweep(sweep, out, InProcess(), progress=False)
    assert (summary.ran, summary.done) == (5, 12)
    pd.testing.assert_frame_equal(experiments.load(out), reference)


# ------------------------------------------------------------- lost tasks are not failed runs (defect 8)
class LosesTasks(concurrent.futures.Executor):
    """Runs tasks in this process, but from the ``first``-th task on every task is lost with ``error``
    (a broken process pool fails every task it holds; a lost Dask scheduler cancels them)."""

    def __init__(self, first: int, error: Exception) -> None:
        self.first, self.error, self.submitted = first, error, 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.submitted < self.first:
            return InProcess().submit(fn, *args, **kwargs)
        future = concurrent.futures.Future()
        future.set_exception(self.error)
        return future


@pytest.mark.parametrize("error", [BrokenProcessPool("A process in the process pool was terminated abruptly"),
                                   concurrent.futures.CancelledError()],
                         ids=["broken pool", "dask scheduler lost"])
def test_lost_tasks_leave_their_runs_pending_not_failed_and_resume_finishes_them(sweep, tmp_path, reference, error,
                                                                                 monkeypatch):
    out = tmp_path / "out"
    real = runner.run_model

    def one_run_raises(config, seed, agents, deadweight=True):  # run 1: point 0 (wage 1.0, mentor 1.0), replicate 1
        if (config.preferences.wage, config.preferences.mentor, seed.spawn_key) == (1.0, 1.0, (1,)):
            raise RuntimeError("simulated failure")
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", one_run_raises)
    summary = runner.run_sweep(sweep, out, LosesTasks(3, error), progress=False, batch_size=2)
    assert (summary.done, summary.failed, summary.pending) == (3, 1, 8)
    assert summary.lost and type(error).__name__ in summary.lost
    assert [r["run"] for r in records(out) if r["status"] == "failed"] == [1]  # only the run that raised

    monkeypatch.setattr(runner, "run_model", real)
    summary = runner.run_sweep(sweep, out, InProcess(), progress=False, retry_failed=True)
    assert (summary.ran, summary.done, summary.lost) == (9, 12, None)
    pd.testing.assert_frame_equal(experiments.load(out), reference)


class KillsAWorker(concurrent.futures.Executor):
    """A real process pool in which the ``nth`` task kills its worker process (the pool breaks)."""

    def __init__(self, pool: concurrent.futures.Executor, nth: int) -> None:
        self.pool, self.nth, self.submitted = pool, nth, 0

    def submit(self, fn, /, *args, **kwargs):
        self.submitted += 1
        if self.submitted == self.nth:
            return self.pool.submit(os._exit, 70)
        return self.pool.submit(fn, *args, **kwargs)


def test_a_dead_pool_worker_fails_no_run_and_the_sweep_resumes_to_the_same_results(sweep, tmp_path, reference):
    out = tmp_path / "out"
    with process_pool(2) as pool:
        summary = runner.run_sweep(sweep, out, KillsAWorker(pool, 3), workers=2, progress=False, batch_size=1)
    assert summary.failed == 0 and summary.pending >= 1 and "BrokenProcessPool" in summary.lost
    assert all(r["status"] == "ok" for r in records(out))
    summary = runner.run_sweep(sweep, out, InProcess(), progress=False)
    assert (summary.done, summary.failed) == (12, 0)
    pd.testing.assert_frame_equal(experiments.load(out), reference)


def test_the_command_line_says_what_was_lost_and_exits_1(sweep, tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(cli, "_local_executor", lambda workers: LosesTasks(2, BrokenProcessPool("worker died")))
    code = cli.main(["sweep", sweep.path, "--out", str(tmp_path / "out"), "--workers", "1", "--quiet",
                     "--batch-size", "4"])
    err = capsys.readouterr().err
    assert code == 1
    assert "8 runs left pending" in err and "BrokenProcessPool: worker died" in err and "resume" in err


# ------------------------------------------------------------- one sweep a folder at a time (defect 6)
def test_a_second_sweep_into_a_running_sweeps_folder_is_refused_and_writes_nothing(sweep, tmp_path, monkeypatch):
    out = tmp_path / "out"
    real = runner.run_model
    second = []

    def start_a_second_sweep(config, seed, agents, deadweight=True):
        if not second:
            second.append("started")
            before = sorted(p.relative_to(out) for p in out.rglob("*"))
            with pytest.raises(store.FolderError, match="another sweep") as caught:
                runner.run_sweep(sweep, out, InProcess(), progress=False)
            second[0] = str(caught.value)
            assert sorted(p.relative_to(out) for p in out.rglob("*")) == before
        return real(config, seed, agents, deadweight)

    monkeypatch.setattr(runner, "run_model", start_a_second_sweep)
    summary = runner.run_sweep(sweep, out, InProcess(), progress=False)
    assert summary.done == 12 and "\n" not in second[0] and f"pid {os.getpid()}" in second[0]
    assert sorted(r["run"] for r in records(out)) == list(range(12))  # each run once


def test_a_held_lock_is_one_line_exit_2_on_the_command_line(sweep, tmp_path, capsys):
    out = tmp_path / "out"
    out.mkdir()
    with (out / store.LOCK).open("a") as held:
        fcntl.flock(held, fcntl.LOCK_EX | fcntl.LOCK_NB)
        code = cli.main(["sweep", sweep.path, "--out", str(out), "--in-process", "--quiet"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1 and "another sweep" in err
    assert sorted(p.name for p in out.iterdir()) == [store.LOCK]


def test_the_lock_of_a_killed_sweep_does_not_block(sweep, tmp_path):
    out = tmp_path / "out"
    out.mkdir()
    holder = subprocess.run([sys.executable, "-c",
                             "import fcntl, os, signal, sys\n"
                             "handle = open(sys.argv[1], 'a'); handle.write('pid 1 on elsewhere')\n"
                             "fcntl.flock(handle, fcntl.LOCK_EX)\nos.kill(os.getpid(), signal.SIGKILL)\n",
                             str(out / store.LOCK)], check=False)
    assert holder.returncode == -signal.SIGKILL
    assert runner.run_sweep(sweep, out, InProcess(), progress=False).done == 12


# ------------------------------------------------------------- a full disk (defect 9)
def no_space(after: int, real):
    """A wrapper of ``real`` that raises ENOSPC from its ``after + 1``-th call on."""
    calls = []

    def wrapped(*args, **kwargs):
        calls.append(1)
        if len(calls) > after:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real(*args, **kwargs)

    return wrapped


@pytest.mark.parametrize("where", ["write_part", "append"])
def test_a_full_disk_is_one_line_exit_2_and_keeps_what_finished(sweep, tmp_path, reference, monkeypatch, capsys,
                                                                where):
    out = tmp_path / "out"
    real = getattr(store.Folder, where)
    monkeypatch.setattr(store.Folder, where, no_space(2, real))
    code = cli.main(["sweep", sweep.path, "--out", str(out), "--in-process", "--quiet", "--batch-size", "4"])
    err = capsys.readouterr().err
    assert code == 2 and err.count("\n") == 1, err
    assert "No space left on device" in err and "8 runs are kept" in err and "resume" in err
    assert sorted(r["run"] for r in records(out)) == list(range(8))
    assert not [p for p in out.rglob("*.tmp")]

    monkeypatch.setattr(store.Folder, where, real)
    summary = runner.run_sweep(sweep, out, InProcess(), progress=False)
    assert (summary.ran, summary.done) == (4, 12)
    pd.testing.assert_frame_equal(experiments.load(out), reference)


def test_a_full_disk_while_writing_a_part_leaves_no_temporary_file(tmp_path, monkeypatch):
    folder = store.Folder(tmp_path / "out")
    folder.create()
    real_fsync = os.fsync

    def fsync(fd):
        if os.fstat(fd).st_size > 0:
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
        return real_fsync(fd)

    monkeypatch.setattr(os, "fsync", fsync)
    with pytest.raises(OSError, match="No space"):
        folder.write_part("results", pd.DataFrame({"run": [0], "year": [0]}), 0)
    assert list((tmp_path / "out" / "results").iterdir()) == []


@pytest.mark.parametrize("reaped", [True, False])  # False: a zombie, as under a parent that never waits for it
def test_pool_workers_end_themselves_when_the_command_that_made_them_is_killed(tmp_path, reaped):
    """SIGKILL runs no clean-up: the workers must notice on their own that their command is gone."""
    import time

    script = ("import os, signal\nfrom experiments.executors import process_pool\n"
              "pool = process_pool(2)\n"
              "pids = {pool.submit(os.getpid).result() for _ in range(8)}\n"
              "print(' '.join(map(str, pids)), flush=True)\n"
              "os.kill(os.getpid(), signal.SIGKILL)\n")
    printed = tmp_path / "workers.txt"
    with printed.open("w") as out:  # a file, not a pipe: the test waits for the command, not for its pipe's end
        command = subprocess.Popen([sys.executable, "-c", script], stdout=out, stderr=subprocess.STDOUT, cwd=tmp_path)
        if reaped:
            assert command.wait(timeout=120) == -signal.SIGKILL, printed.read_text()
        else:  # killed, never waited for: it stays a zombie until the end of the test
            deadline = time.monotonic() + 120
            while not printed.read_text().strip() and time.monotonic() < deadline:
                time.sleep(0.1)
    workers = [int(pid) for pid in printed.read_text().split()]
    assert workers

    def alive(pid: int) -> bool:
        try:
            state = (Path("/proc") / str(pid) / "stat").read_text().split(")")[-1].split()[0]
        except OSError:
            return False
        return state != "Z"  # a zombie has ended; only its parent's wait is missing

    deadline = time.monotonic() + 30
    while any(alive(pid) for pid in workers) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert not any(alive(pid) for pid in workers), [pid for pid in workers if alive(pid)]
    command.wait(timeout=60)
