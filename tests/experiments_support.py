"""Helpers for the experiment-runner tests: small sweep files written into a temporary folder, and the
checks of the fault tests (a sweep killed partway, then compared with the same sweep run in this process)."""

from __future__ import annotations

import contextlib
import os
import re
import sqlite3
import sys
import textwrap
import time
from collections.abc import Callable
from pathlib import Path

import pandas as pd

import experiments
from experiments import runner
from experiments.executors import InProcess
from experiments.sweepfile import read_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
#: Fault injection loaded by the processes of the fault tests (see :func:`holding`).
FAULTS = Path(__file__).resolve().parent / "faults"
#: The talentflow command of the interpreter running the tests, whichever environment that is.
TALENTFLOW: tuple[str, ...] = (sys.executable, "-m", "simulation")
#: The dask command of that interpreter.
DASK: tuple[str, ...] = (sys.executable, "-m", "dask")

#: A 3 x 2 grid with 2 replicates of 300 researchers for 5 years: 12 runs in well under a second.
SMALL_GRID = """
design = "grid"
replicates = 2
years = 5
researchers = 300
seed = 11
[vary]
"preferences.wage" = [1.0, 1.5, 2.0]
"preferences.mentor" = { low = 1.0, high = 2.0, steps = 2 }
"""


def write_sweep(folder: Path, body: str, name: str = "sweep.toml", base: Path = BASELINE) -> Path:
    """Write a sweep file whose base is the baseline config (by absolute path); returns its path."""
    path = folder / name
    path.write_text(f'base = "{base}"\n' + textwrap.dedent(body), encoding="utf-8")
    return path


def holding(from_run: int, held: Path | None = None) -> dict[str, str]:
    """The environment of a process whose sweep workers hold every run numbered ``from_run`` or more unfinished
    (see tests/faults/sitecustomize.py); the file ``held`` appears when a worker holds one."""
    return _faulty({"TALENTFLOW_TEST_HOLD_FROM_RUN": str(from_run)}, held)


def holding_simulations(after: int, count: Path, held: Path | None = None, die: bool = False) -> dict[str, str]:
    """The environment of worker processes that run ``after`` calibration simulations in all (counted in the file
    ``count``) and then hold every later one unfinished, or with ``die`` exit there (see
    tests/faults/sitecustomize.py); the file ``held`` appears when one gets there."""
    fault = {"TALENTFLOW_TEST_HOLD_AFTER_SIMULATIONS": str(after), "TALENTFLOW_TEST_SIMULATIONS": str(count)}
    if die:
        fault["TALENTFLOW_TEST_DIE_WHEN_HOLDING"] = "1"
    return _faulty(fault, held)


def calibration_of(weights: tuple[str, ...], folder: Path) -> Path:
    """The project's calibration file fitting only ``weights`` (the others keep the base scenario's values),
    written into ``folder``: a calibration whose kernel is well conditioned with 10 particles."""
    text = (ROOT / "configs" / "calibration" / "targets.toml").read_text(encoding="utf-8")
    blocks = re.split(r"\n(?=\[)", text)
    kept = [b for b in blocks if not b.startswith("[parameters.") or any(f'"{w}"]' in b.split("\n", 1)[0]
                                                                          for w in weights)]
    path = folder / "targets.toml"
    path.write_text("\n".join(kept), encoding="utf-8")
    return path


def abc_generations(folder: Path) -> list[int]:
    """The generations (t = 0, 1, ...) pyabc has stored whole in the database of the calibration in ``folder``."""
    with contextlib.closing(sqlite3.connect(folder / "abc.db")) as db:
        return [t for (t,) in db.execute("SELECT t FROM populations WHERE t >= 0 ORDER BY t")]


def _faulty(fault: dict[str, str], held: Path | None) -> dict[str, str]:
    env = {**os.environ, **fault,
           "PYTHONPATH": os.pathsep.join([str(FAULTS), *filter(None, [os.environ.get("PYTHONPATH")])])}
    if held is not None:
        env["TALENTFLOW_TEST_HELD"] = str(held)
    return env


def wait_for(done: Callable[[], bool], limit: float = 120.0) -> None:
    """Poll ``done`` until it holds; stop polling after ``limit`` seconds (a synchronisation, not a measurement:
    the caller then asserts on what happened, never on how long it took)."""
    deadline = time.monotonic() + limit
    while not done() and time.monotonic() < deadline:
        time.sleep(0.02)


def lines(path: Path) -> int:
    """Complete lines in ``path`` (0 if it does not exist yet)."""
    return path.read_text().count("\n") if path.is_file() else 0


def in_process_results(path: Path, folder: Path) -> pd.DataFrame:
    """The sweep file ``path`` run in this process into ``folder``, loaded: the reference of the fault tests."""
    runner.run_sweep(read_sweep(path), folder, InProcess(), progress=False)
    return experiments.load(folder)


def forbid(monkeypatch, what: str, *targets: tuple[object, str]) -> None:
    """Make each ``owner.name`` (``owner[name]`` for a dict) of ``targets`` fail the test if it is called: bad input
    must be refused before ``what`` (e.g. "a simulation") happens."""
    def refuse(*args, **kwargs):
        raise AssertionError(f"{what} despite bad input")

    for owner, name in targets:
        if isinstance(owner, dict):
            monkeypatch.setitem(owner, name, refuse)
        else:
            monkeypatch.setattr(owner, name, refuse)
