"""``talentflow experiment NAME`` and ``python -m experiments.named NAME``: run a named experiment.

NAME is one of the experiments in :data:`experiments.named.EXPERIMENTS` or ``all``. Bad input (an unknown
name, a bad --base config, an output folder holding another sweep, another experiment's summary, or a
sweep folder of ``talentflow sweep``) is one line and exit code 2, before anything is written. Ctrl-C is one line
and exit code 130: the finished runs are kept, and the same command continues them.
"""

from __future__ import annotations

import argparse
import os
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from experiments.executors import scheduler_address
from simulation.cli import ArgumentParser, UsageError, path_error, whole_number
from simulation.config import ConfigError
from simulation.outputs import OutputError

RESULTS = Path("results")


def add_arguments(parser: argparse.ArgumentParser) -> None:
    from experiments.named import NAMES

    parser.add_argument("name", metavar="NAME", choices=[*NAMES, "all"],
                        help=f"one of {', '.join(NAMES)}, or all")
    parser.add_argument("--out", metavar="DIR", help="output folder (default: results/NAME; for all: results, one "
                                                     "folder an experiment)")
    parser.add_argument("--base", metavar="CONFIG", help="run the sweeps on this scenario instead of their own base "
                                                         "(e.g. configs/calibrated.toml)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number(1), metavar="N", help="worker processes (default: CPUs)")
    where.add_argument("--in-process", action="store_true", help="run in this process, one run after another")
    where.add_argument("--scheduler", type=scheduler_address, metavar="ADDRESS",
                       help="run on the Dask scheduler at ADDRESS, e.g. tcp://HOST:8786")
    where.add_argument("--dask-local", type=whole_number(1), metavar="N",
                       help="run on a local Dask cluster of N workers")
    parser.add_argument("--connect-timeout", type=whole_number(1), default=10, metavar="SECONDS",
                        help="seconds to wait for the Dask scheduler (default 10)")
    parser.add_argument("--dask-wait", type=whole_number(1), default=60, metavar="SECONDS",
                        help="seconds to wait for a first Dask worker when the scheduler has none (default 60)")
    parser.add_argument("--doc", metavar="FILE", help="also write the results document (e.g. docs/results.md), "
                                                      "figures under its folder's img/results/; an existing FILE "
                                                      "is replaced only if this command wrote it")
    parser.add_argument("--force", action="store_true", help="replace --doc FILE even if this command did not write it")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow experiment``."""
    parser = subparsers.add_parser("experiment", help="run a named experiment (sweeps, reports, results section)",
                                   description="Run a named experiment: its sweeps (resumable), their reports, "
                                               "and its results section; all: every experiment.")
    add_arguments(parser)
    parser.set_defaults(handler=experiment_command)
    return parser


def experiment_command(args: argparse.Namespace) -> int:
    """Handler: run the experiment(s); FolderError becomes a one-line usage error."""
    from experiments import executors, store
    from experiments.named import EXPERIMENTS, PUBLISHED, run_experiment
    from experiments.named.base import DaskCluster, check_out
    from experiments.named.results import write_results
    from simulation.config import load_config

    if args.base is not None:
        load_config(args.base)  # a bad scenario fails here, before anything runs
    if args.doc:
        check_doc(Path(args.doc), force=args.force)
    command = list(getattr(args, "command_line", None) or ["python", "-m", "experiments.named", *sys.argv[1:]])
    names = list(PUBLISHED) if args.name == "all" else [args.name]
    start = time.perf_counter()
    outcomes = []
    dask = None
    if getattr(args, "scheduler", None) or getattr(args, "dask_local", None):
        dask = DaskCluster(args.scheduler, args.dask_local, args.connect_timeout, args.dask_wait)
    def folder(name: str) -> Path:
        if args.name == "all":
            return Path(args.out or RESULTS) / name
        return Path(args.out) if args.out else RESULTS / name

    out = folder(names[0])
    try:
        for name in names:  # every experiment's folder is checked before any runs
            check_out(EXPERIMENTS[name], folder(name))
        for name in names:
            out = folder(name)
            outcome = run_experiment(EXPERIMENTS[name], out, base=args.base, workers=args.workers,
                                     in_process=args.in_process, progress=not args.quiet, command=tuple(command),
                                     dask=dask)
            print(f"{name}: {outcome.runs} runs, {outcome.seconds:.0f} s -> {outcome.summary}/results.md")
            outcomes.append(outcome)
    except KeyboardInterrupt:
        print(f"interrupted: the finished runs are kept in {out}; run the same command again to continue",
              file=sys.stderr)
        return 130
    except store.FolderError as err:
        raise UsageError(str(err)) from None
    except executors.SchedulerUnreachableError as err:
        raise UsageError(f"--scheduler: {err}") from None
    except executors.NoWorkersError as err:
        raise UsageError(f"--dask-wait: {err}") from None
    if args.doc:
        path = write_results(outcomes, args.doc, command=command, seconds=time.perf_counter() - start)
        print(f"wrote {path}")
    return 0


def check_doc(path: Path, *, force: bool = False) -> None:
    """Raise :class:`UsageError` unless ``--doc`` may be written: a new file, or one this command wrote before.

    ``force`` allows replacing any regular file; a folder or a device is always refused.
    """
    from experiments.named.results import is_results_document
    from simulation.outputs import path_problem

    try:
        exists = path.exists() or path.is_symlink()
    except OSError as err:
        raise UsageError(f"--doc {path}: cannot be used ({path_problem(path, err)})") from None
    if not exists:
        parent = next((p for p in path.absolute().parents if p.exists()), None)
        if parent is not None and not parent.is_dir():
            raise UsageError(f"--doc {path}: {parent} is not a folder; give a file in a folder")
        if parent is not None and not os.access(parent, os.W_OK):
            raise UsageError(f"--doc {path}: cannot be written in {parent} (permission denied)")
        return
    if path.is_dir():
        raise UsageError(f"--doc {path}: is a folder; give the document's file name, e.g. {path / 'results.md'}")
    if not path.is_file():
        raise UsageError(f"--doc {path}: is not a regular file; give the document's file name")
    if not force and not is_results_document(path):
        raise UsageError(f"--doc {path}: exists and was not written by this command; choose another file, or "
                         "pass --force to replace it")


def main(argv: Sequence[str] | None = None) -> int:
    """``python -m experiments.named``."""
    prog = "python -m experiments.named"
    try:
        parser = ArgumentParser(prog=prog, description="Run a named experiment (see docs/results.md).")
        add_arguments(parser)
        args = parser.parse_args(argv)
        args.command_line = ["python", "-m", "experiments.named", *(sys.argv[1:] if argv is None else argv)]
        return experiment_command(args)
    except (ConfigError, UsageError, OutputError) as err:
        print(f"{prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except OSError as err:
        message = path_error(err)
        if message is None:
            raise
        print(f"{prog}: error: {message}", file=sys.stderr)
        return 2
