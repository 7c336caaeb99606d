"""The ``talentflow`` command line starts light: building its parser, every plugin registered, imports no heavy module.

Bad arguments and ``talentflow params`` answer at once because the plugins (sweep, status, calibrate, viz,
report, experiment) import pandas, scipy, matplotlib, mesa and the model only inside their handlers.
"""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEAVY = ("pandas", "scipy", "matplotlib", "mesa", "numba", "simulation.model")
PLUGINS = {"sweep", "status", "calibrate", "viz", "report", "experiment"}

#: Builds the parser in a fresh interpreter; prints the heavy modules imported and the subcommands registered.
PROBE = f"""
import argparse, json, sys
import simulation.cli as c
parser = c.build_parser()
commands = [a for a in parser._actions if isinstance(a, argparse._SubParsersAction)][0].choices
print(json.dumps({{"heavy": sorted(m for m in {HEAVY!r} if m in sys.modules), "commands": sorted(commands)}}))
"""


def test_building_the_parser_with_every_plugin_imports_no_heavy_module():
    proc = subprocess.run([sys.executable, "-c", PROBE], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    probe = json.loads(proc.stdout)
    assert set(probe["commands"]) >= PLUGINS
    assert probe["heavy"] == []


def test_the_light_experiment_names_are_the_experiments_in_order():
    from experiments.named import EXPERIMENTS, NAMES

    assert list(NAMES) == list(EXPERIMENTS)
