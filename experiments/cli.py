"""Commands ``talentflow sweep`` and ``talentflow status``.

Each ``register_*`` adds one subcommand to the ``talentflow`` parser (entry
point group ``talentflow.commands``); its handler returns the exit code: 0 when
all is well, 1 when some runs failed or were left pending by a lost executor (a
dead worker process, a lost Dask scheduler: the same command resumes them), 2 for
bad input (one line on stderr, nothing written) or a folder that cannot be
written or is in use by another sweep (one line; what finished is kept), 130 when interrupted (Ctrl-C: one
line; what finished is kept).
"""

from __future__ import annotations

import argparse
import datetime
import sys
import typing
from pathlib import Path
from typing import Any

from experiments.executors import scheduler_address
from simulation.cli import threads_env_problem, whole_number
from simulation.config import ConfigError


def _fail(message: str) -> int:
    print(f"talentflow: error: {message}", file=sys.stderr)
    return 2


def register_sweep(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow sweep FILE --out DIR``."""
    parser = subparsers.add_parser("sweep", help="run a sweep file's runs into a folder (resumable)",
                                   description="Run every run of a sweep file and store the results in a folder. "
                                               "Running again on the same folder resumes it.")
    parser.add_argument("file", help="sweep file (TOML), e.g. configs/sweeps/smoke.toml")
    parser.add_argument("--out", required=True, help="folder for the results (new, empty, or this sweep's)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number(1), default=None,
                       help="local worker processes (default: the number of CPUs)")
    where.add_argument("--scheduler", type=scheduler_address, help="address of a Dask scheduler, e.g. tcp://HOST:8786")
    where.add_argument("--dask-local", type=whole_number(1), metavar="N",
                       help="start a local Dask cluster of N workers")
    where.add_argument("--in-process", action="store_true", help="run in this process, one run after another")
    parser.add_argument("--connect-timeout", type=whole_number(1), default=10, metavar="SECONDS",
                        help="seconds to wait for the Dask scheduler (default 10)")
    parser.add_argument("--dask-wait", type=whole_number(1), default=60, metavar="SECONDS",
                        help="seconds to wait for a first Dask worker when the scheduler has none (default 60)")
    parser.add_argument("--retry-failed", action="store_true", help="run the failed runs again")
    parser.add_argument("--batch-size", type=whole_number(1), default=None, help="runs per task (default: automatic)")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=sweep_command)
    return parser


def register_status(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow status DIR``."""
    parser = subparsers.add_parser("status", help="counts, failures and time left of a sweep folder")
    parser.add_argument("folder", help="a folder written by talentflow sweep")
    parser.add_argument("--tracebacks", action="store_true", help="print the failed runs' full tracebacks")
    parser.set_defaults(handler=status_command)
    return parser


def sweep_command(args: argparse.Namespace) -> int:
    """Handler of ``talentflow sweep``."""
    import os

    from experiments import executors, runner, store
    from experiments.sweepfile import read_sweep

    try:
        sweep = read_sweep(args.file)
        runner.check_folder(sweep, args.out)
    except (ConfigError, store.FolderError) as err:
        return _fail(str(err))
    options = {"retry_failed": args.retry_failed, "progress": not args.quiet, "batch_size": args.batch_size}
    try:
        if args.in_process:
            summary = runner.run_sweep(sweep, args.out, executors.InProcess(), workers=1, executor_name="in-process",
                                       **options)
        elif args.scheduler or args.dask_local:
            name = f"dask {args.scheduler}" if args.scheduler else f"dask local {args.dask_local}"
            with executors.dask_executor(args.scheduler, args.dask_local, args.connect_timeout,
                                         args.dask_wait) as (executor, workers):
                summary = runner.run_sweep(sweep, args.out, executor, workers=workers, executor_name=name, **options)
        else:
            workers = args.workers or os.cpu_count() or 1
            with _local_executor(workers) as executor:
                summary = runner.run_sweep(sweep, args.out, executor, workers=workers,
                                           executor_name=f"processes {workers}", **options)
    except KeyboardInterrupt:
        print(f"interrupted: the finished runs are kept in {args.out}; run the same command again to continue",
              file=sys.stderr)
        return 130
    except executors.SchedulerUnreachableError as err:
        return _fail(f"--scheduler: {err}")
    except executors.NoWorkersError as err:
        return _fail(f"--dask-wait: {err}")
    except store.FolderError as err:
        return _fail(str(err))
    print(f"{sweep.name}: {summary.total} runs: {summary.done} done, {summary.failed} failed, {summary.pending} "
          f"pending ({summary.ran} run now in {summary.seconds:.1f} s) -> {args.out}")
    if summary.lost:
        print(f"talentflow: {summary.pending} runs left pending: the executor lost a task ({summary.lost}); none of "
              "them failed: run the same command again to resume them", file=sys.stderr)
    return 1 if summary.failed or summary.lost else 0


def _local_executor(workers: int) -> Any:
    """The process pool of ``talentflow sweep --workers N``."""
    from experiments import executors

    return executors.process_pool(workers)


def status_lines(folder: str | Path, tracebacks: bool = False) -> list[str]:
    """What ``talentflow status`` prints: counts, failures, time left."""
    from experiments import store

    sweep_folder = store.Folder(Path(folder))
    manifest = sweep_folder.read_manifest()
    records = sweep_folder.records()
    runs = {r["run"] for r in manifest["runs"]}
    latest = {rec["run"]: rec for rec in records if rec["run"] in runs}
    bad = sweep_folder.bad_parts(latest)
    damaged = {run for _, held in bad.values() for run in held}
    total = len(manifest["runs"])
    done = sum(rec["status"] == "ok" and run not in damaged for run, rec in latest.items())
    failed = [rec for rec in latest.values() if rec["status"] == "failed"]
    pending = total - done - len(failed)
    sweep = manifest["sweep"]
    lines = [f"{sweep['name']} ({sweep['path']}): {total} runs: {done} done, {len(failed)} failed, {pending} pending"]
    for part, (problem, held) in sorted(bad.items()):
        lines.append(f"bad part: {part}: {problem}; runs {_spans(held)} will run again on resume")
    for rec in sorted(failed, key=lambda r: r["run"]):
        text = (rec.get("traceback") or "").strip()
        last = text.splitlines()[-1] if text else "no traceback"
        lines.append(f"failed: run {rec['run']} (point {rec['point']}, replicate {rec['replicate']}): {last}")
        if tracebacks and text:
            lines.extend("    " + line for line in text.splitlines())
    rate = _rate(manifest, records)
    if pending == 0:
        lines.append("time left: none (nothing pending" + (", retry the failed runs with --retry-failed)"
                                                           if failed else ")"))
    elif rate is None:
        lines.append("time left: unknown (no run has finished yet)")
    else:
        lines.append(f"time left: about {_duration(pending / rate)} at {rate:.3g} runs/s (the pace so far)")
    return lines


def _spans(runs: list[int]) -> str:
    """Sorted run numbers as spans: ``0-3, 8, 10-11``."""
    spans: list[list[int]] = []
    for run in runs:
        if spans and run == spans[-1][1] + 1:
            spans[-1][1] = run
        else:
            spans.append([run, run])
    return ", ".join(f"{a}-{b}" if b > a else f"{a}" for a, b in spans)


def _rate(manifest: dict[str, Any], records: list[dict[str, Any]]) -> float | None:
    """Runs a second over the sessions so far (wall clock from each session's start to its last record)."""
    sessions = manifest.get("sessions", [])
    runs, seconds = 0, 0.0
    for i, session in enumerate(sessions):
        times = [rec["time"] for rec in records if rec.get("session") == i]
        if not times:
            continue
        start = datetime.datetime.fromisoformat(session["started"]).timestamp()
        runs += len(times)
        seconds += max(max(times) - start, 1e-3)
    return runs / seconds if runs else None


def _duration(seconds: float) -> str:
    if seconds < 90:
        return f"{seconds:.0f} s"
    if seconds < 5400:
        return f"{seconds / 60:.0f} min"
    return f"{seconds / 3600:.1f} h"


def status_command(args: argparse.Namespace) -> int:
    """Handler of ``talentflow status``."""
    from experiments import store

    try:
        lines = status_lines(args.folder, args.tracebacks)
    except store.FolderError as err:
        return _fail(str(err))
    print("\n".join(lines))
    return 0


class _OneLineParser(argparse.ArgumentParser):
    """Usage errors on one line, exit code 2."""

    def error(self, message: str) -> typing.NoReturn:
        self.exit(2, f"{self.prog}: {message}\n")


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments sweep|status ...``: the same commands without the talentflow front end."""
    parser = _OneLineParser(prog="python -m experiments")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_OneLineParser)
    register_sweep(sub)
    register_status(sub)
    args = parser.parse_args(argv)
    problem = threads_env_problem()
    if problem is not None:
        parser.error(problem)
    return args.handler(args)
