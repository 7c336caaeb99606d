"""Helpers for the experiment-runner tests: small sweep files written into a temporary folder."""

from __future__ import annotations

import textwrap
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
BASELINE = ROOT / "configs" / "baseline.toml"
PYTHON = ROOT / ".venv" / "bin" / "python"

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
