"""Helpers for the experiment-runner tests: small sweep files written into a temporary folder, and the
checks of the fault tests (a sweep killed partway, then compared with the same sweep run in this process)."""

from __future__ import annotations

import textwrap
import time
from pathlib import Path

import pandas as pd

import experiments
from experiments import runner
from experiments.executors import InProcess
from experiments.sweepfile import read_sweep

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
TALENTFLOW = ROOT / ".venv" / "bin" / "talentflow"

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


def wait_for_lines(status: Path, count: int, timeout: float = 60.0) -> None:
    """Wait until the status log ``status`` has ``count`` lines, or ``timeout`` seconds have passed."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline and not (status.is_file() and status.read_text().count("\n") >= count):
        time.sleep(0.02)


def in_process_results(path: Path, folder: Path) -> pd.DataFrame:
    """The sweep file ``path`` run in this process into ``folder``, loaded: the reference of the fault tests."""
    runner.run_sweep(read_sweep(path), folder, InProcess(), progress=False)
    return experiments.load(folder)
