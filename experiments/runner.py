"""Run a sweep: batch its runs into tasks, send them to an executor, store what comes back.

Tasks carry (config, seed) pairs; the model is built and run in the worker and
only its output tables come back. The parent alone writes the folder, so a
worker that dies, or a Dask task run twice after a worker was lost, cannot
write twice.
"""

from __future__ import annotations

import concurrent.futures
import contextlib
import dataclasses
import math
import os
import socket
import time
import traceback
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import executors, seeds, store
from experiments.sweepfile import Run, Sweep
from simulation.config import config_to_json
from simulation.model import TalentModel
from simulation.outputs import long_name
from simulation.schema import Config

#: Most runs in one task: small enough that a killed sweep loses little, large enough to hide the task overhead.
MAX_BATCH = 32
#: Tasks in flight a worker: enough to keep it busy; the rest wait in the runner, so none is lost with a broken
#: executor and an in-process sweep stores each task before it runs the next.
IN_FLIGHT = 4


@dataclasses.dataclass(frozen=True)
class Task:
    """One run as it travels to a worker."""

    run: int
    point: int
    replicate: int
    config: Config
    seed: np.random.SeedSequence
    keep: str
    agents: bool
    deadweight: bool = True


@dataclasses.dataclass
class Outcome:
    """What a worker sends back for one run."""

    run: int
    point: int
    replicate: int
    ok: bool
    seconds: float
    worker: str
    yearly: pd.DataFrame | None = None
    agent_rows: pd.DataFrame | None = None
    traceback: str | None = None


@dataclasses.dataclass(frozen=True)
class Summary:
    """Counts after a sweep session."""

    total: int
    done: int
    failed: int
    pending: int
    ran: int
    seconds: float
    lost: str | None = None  # why tasks were lost (a worker or the scheduler went away): their runs stay pending


def run_model(config: Config, seed: np.random.SeedSequence, agents: bool,
              deadweight: bool = True) -> tuple[pd.DataFrame, pd.DataFrame | None]:
    """Build the model from its config and seed, run it config.simulation.years years, return its tables.

    With ``deadweight`` a run with levers on also runs its baseline twin, so that its yearly outputs carry each
    lever's deadweight (the twin draws its own copy of the random numbers: the run's outputs are the same).
    """
    model = TalentModel(config, rng=np.random.default_rng(seed), engine="vectorized", record_agents=agents,
                        deadweight=deadweight and bool(config.policies.levers()))
    for _ in range(config.simulation.years):
        model.step()
    return model.yearly(), (model.agent_rows() if agents else None)


def simulate(tasks: list[Task]) -> list[Outcome]:
    """Run a batch of tasks (in a worker); a run that raises becomes a failed outcome, the others go on."""
    worker = f"{socket.gethostname()}:{os.getpid()}"
    out = []
    for task in tasks:
        start = time.perf_counter()
        try:
            yearly, agent_rows = run_model(task.config, task.seed, task.agents, task.deadweight)
        except Exception:
            out.append(Outcome(task.run, task.point, task.replicate, False, time.perf_counter() - start, worker,
                               traceback=traceback.format_exc()))
            continue
        if task.keep == "final":
            yearly = yearly.iloc[[-1]]
        rows = None if agent_rows is None else _keyed(agent_rows, task)
        out.append(Outcome(task.run, task.point, task.replicate, True, time.perf_counter() - start, worker,
                           yearly=_keyed(yearly, task), agent_rows=rows))
    return out


def _keyed(frame: pd.DataFrame, task: Task) -> pd.DataFrame:
    keys = pd.DataFrame({"run": task.run, "point": task.point, "replicate": task.replicate}, index=frame.index)
    return pd.concat([keys, frame], axis=1).reset_index(drop=True)


# ------------------------------------------------------------------------ folder
def manifest_for(sweep: Sweep) -> dict[str, Any]:
    """The parts of the manifest that describe what is run (not when or where)."""
    runs = []
    for run in sweep.runs:
        seed = sweep.run_seed(run.point, run.replicate)
        runs.append({"run": run.run, "point": run.point, "replicate": run.replicate, "seed": seeds.describe(seed)})
    return {
        "format": 1,
        "sweep": {"path": str(Path(sweep.path).resolve()), "name": sweep.name, "description": sweep.description,
                  "sha256": sweep.sha256, "text": sweep.text},
        "base": sweep.base,
        "design": sweep.design,
        "parameters": list(sweep.parameters),
        "design_table": sweep.design_table(),
        "replicates": sweep.replicates,
        "years": sweep.years,
        "keep": sweep.keep,
        "agents": sweep.agents,
        "deadweight": sweep.deadweight,
        "groups": dict(sweep.groups),
        "seed": sweep.seed,
        "common_random_numbers": sweep.common_random_numbers,
        "researchers": sweep.researchers,
        "configs_sha256": store.configs_sha256(config_to_json(p.config) for p in sweep.points),
        "runs": runs,
    }


def check_folder(sweep: Sweep, out: str | Path) -> store.Folder:
    """Check that ``out`` is new, empty, or this sweep's folder; raises FolderError. Writes nothing."""
    folder = store.Folder(Path(out))
    too_long = long_name(folder.path)
    if too_long is not None:
        raise store.FolderError(f"{folder.path}: cannot be used ({too_long}); use another --out folder")
    if folder.path.exists() and not folder.path.is_dir():
        raise store.FolderError(f"{folder.path}: is a file, not a folder")
    if folder.exists():
        folder.records()  # every status line a status record, naming only the sweep's own parts
        old = folder.read_manifest()
        if old.get("sweep", {}).get("sha256") != sweep.sha256:
            found = old.get("sweep", {}).get("name")
            if isinstance(found, str) and found != sweep.name:
                raise store.FolderError(f"{folder.path}: holds another sweep ({found}), not {sweep.name} of "
                                        f"{sweep.path}; use a new --out folder")
            raise store.FolderError(f"{folder.path}: holds a sweep of a different sweep file ({sweep.path} changed "
                                    "since it started); use a new --out folder")
        if old.get("configs_sha256") != store.configs_sha256(config_to_json(p.config) for p in sweep.points):
            raise store.FolderError(f"{folder.path}: the configs built from {sweep.path} changed since the sweep "
                                    f"started (was {sweep.base} edited?); use a new --out folder")
    elif folder.path.is_dir() and not folder.is_blank():
        raise store.FolderError(f"{folder.path}: is a folder that is not empty and holds no sweep ({store.MANIFEST})")
    return folder


def plan(sweep: Sweep, folder: store.Folder, retry_failed: bool) -> tuple[list[Run], int, int]:
    """Runs to do now, runs already done, runs failed and left alone.

    A run whose part is missing or damaged (:meth:`store.Folder.bad_parts`) is not done: it runs again.
    """
    latest = folder.latest()
    damaged = {run for _, runs in folder.bad_parts(latest).values() for run in runs}
    todo, done, failed = [], 0, 0
    for run in sweep.runs:
        status = latest.get(run.run, {}).get("status")
        if status == "ok" and run.run not in damaged:
            done += 1
        elif status == "failed" and not retry_failed:
            failed += 1
        else:
            todo.append(run)
    return todo, done, failed


def batches(runs: list[Run], workers: int, batch_size: int | None = None) -> list[list[Run]]:
    """Consecutive runs cut into tasks: about eight tasks a worker, at most MAX_BATCH runs a task."""
    if batch_size is None:
        batch_size = max(1, min(MAX_BATCH, math.ceil(len(runs) / (8 * max(workers, 1)))))
    return [runs[i:i + batch_size] for i in range(0, len(runs), batch_size)]


def run_sweep(sweep: Sweep, out: str | Path, executor: concurrent.futures.Executor, *, workers: int = 1,
              retry_failed: bool = False, progress: bool = True, batch_size: int | None = None,
              executor_name: str = "") -> Summary:
    """Run every run of ``sweep`` not yet finished in ``out`` and store the results there.

    Resumes a folder of the same sweep (raises :class:`store.FolderError` for another sweep's
    folder, or while another process runs a sweep into it). Each task is stored as soon as it
    finishes. A run that raises is recorded as failed with its traceback and the sweep goes on;
    ``retry_failed`` runs those again. A task lost by the executor (a dead worker process, a broken
    pool, a lost Dask scheduler) fails no run: no new task is sent, and the runs not stored stay
    pending for a resume (:attr:`Summary.lost` says why). A folder that cannot be written (a full
    disk) raises :class:`store.FolderError`; what was stored before is kept.
    """
    folder = check_folder(sweep, out)
    with folder.lock():
        folder = check_folder(sweep, out)  # again, holding the lock: another sweep may have written it meanwhile
        return _run_locked(sweep, folder, executor, workers=workers, retry_failed=retry_failed, progress=progress,
                           batch_size=batch_size, executor_name=executor_name)


def _run_locked(sweep: Sweep, folder: store.Folder, executor: concurrent.futures.Executor, *, workers: int,
                retry_failed: bool, progress: bool, batch_size: int | None, executor_name: str) -> Summary:
    started = store.now()
    versions, git, host = store.package_versions(), store.git_state(Path(__file__).parent), store.host()
    with _writing(folder, 0):
        if folder.exists():
            manifest = folder.read_manifest()
            folder.repair()
        else:
            folder.create()
            manifest = {**manifest_for(sweep), "versions": versions, "git": git, "host": host, "started": started,
                        "ended": None, "sessions": []}
        session = {"started": started, "ended": None, "host": host, "executor": executor_name,
                   "workers": workers, "retry_failed": retry_failed, "versions": versions, "git": git}
        manifest["sessions"].append(session)
        folder.write_manifest(manifest)

    todo, done, failed = plan(sweep, folder, retry_failed)
    configs = {p.index: p.config for p in sweep.points}
    clock = time.perf_counter()
    bar = _progress_bar(len(sweep.runs), done, sweep.name, progress)
    bar.set_postfix(failed=failed)
    ran = 0
    lost: str | None = None
    waiting = iter(batches(todo, workers, batch_size))
    futures: set[concurrent.futures.Future] = set()

    def store_task(future: concurrent.futures.Future) -> None:
        nonlocal ran, done, failed, lost
        futures.discard(future)
        try:
            outcomes = future.result()
        except Exception as err:  # the task was lost, not run to a failure: its runs stay pending
            lost = lost or executors.why_lost(err)
            return
        with _writing(folder, done):
            _commit(folder, outcomes, len(manifest["sessions"]) - 1)
        ran += len(outcomes)
        ok = sum(o.ok for o in outcomes)
        done += ok
        failed += len(outcomes) - ok
        bar.update(len(outcomes))
        bar.set_postfix(failed=failed)

    try:
        while True:
            while lost is None and len(futures) < IN_FLIGHT * max(workers, 1):
                batch = next(waiting, None)
                if batch is None:
                    break
                tasks = [Task(r.run, r.point, r.replicate, configs[r.point],
                              sweep.run_seed(r.point, r.replicate),
                              sweep.keep, sweep.agents, sweep.deadweight) for r in batch]
                try:
                    futures.add(executor.submit(simulate, tasks))
                except Exception as err:  # the executor is gone (a broken pool refuses new tasks)
                    lost = executors.why_lost(err)
                    break
                for future in [f for f in futures if f.done()]:  # in process: stored before the next task runs
                    store_task(future)
            if not futures:
                break
            finished, _ = concurrent.futures.wait(futures, return_when=concurrent.futures.FIRST_COMPLETED)
            for future in finished:
                store_task(future)
    finally:
        for future in futures:
            future.cancel()
        bar.close()
    session["ended"] = store.now()
    manifest["ended"] = session["ended"]
    with _writing(folder, done):
        folder.write_manifest(manifest)
    total = len(sweep.runs)
    return Summary(total=total, done=done, failed=failed, pending=total - done - failed, ran=ran,
                   seconds=time.perf_counter() - clock, lost=lost)


@contextlib.contextmanager
def _writing(folder: store.Folder, done: int) -> Iterator[None]:
    """Turn an OSError while writing the folder (a full disk, say) into a one-line FolderError."""
    try:
        yield
    except OSError as err:
        raise store.FolderError(f"{folder.path}: cannot write the sweep's files ({err.strerror or err}); {done} runs "
                                "are kept: make room, then run the same command again to resume") from None


def _commit(folder: store.Folder, outcomes: list[Outcome], session: int) -> None:
    """Write a task's results as part files, then its status lines."""
    good = [o for o in outcomes if o.ok]
    parts: dict[str, Any] = {}
    if good:
        first = min(o.run for o in good)
        part = folder.write_part("results", pd.concat([o.yearly for o in good], ignore_index=True), first)
        parts |= {"results": part.name, "results_bytes": part.size, "results_sha256": part.sha256}
        rows = [o.agent_rows for o in good if o.agent_rows is not None]
        if rows:
            part = folder.write_part("agents", pd.concat(rows, ignore_index=True), first)
            parts |= {"agents": part.name, "agents_bytes": part.size, "agents_sha256": part.sha256}
    stamp = time.time()
    folder.append([{"run": o.run, "point": o.point, "replicate": o.replicate,
                    "status": "ok" if o.ok else "failed", "seconds": round(o.seconds, 6),
                    "results": None, "agents": None, **(parts if o.ok else {}),
                    "traceback": o.traceback, "worker": o.worker, "session": session, "time": stamp}
                   for o in outcomes])


def _progress_bar(total: int, initial: int, name: str, enabled: bool) -> Any:
    from tqdm.auto import tqdm

    return tqdm(total=total, initial=initial, desc=name, unit="run", disable=not enabled, dynamic_ncols=True)
