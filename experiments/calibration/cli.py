"""``talentflow calibrate CONFIG --targets FILE``: fit the utility weights to observed targets.

A plugin of the ``talentflow`` command line (entry point group
``talentflow.commands``). Every input is checked before the first run; bad
input raises :class:`simulation.config.ConfigError`,
:class:`simulation.cli.UsageError` or :class:`simulation.outputs.OutputError`
(one line, exit code 2) and nothing is written.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path
from typing import Any

from simulation.cli import UsageError, resolve_config, whole_number
from simulation.config import ConfigError, read_toml
from simulation.outputs import check_output_folder

#: Defaults, measured to finish within 10 minutes on 2 shared cores (docs/calibration.md, "Runtime").
DEFAULT_BUDGET = 40
DEFAULT_REPLICATES = 10


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow calibrate``."""
    parser = subparsers.add_parser(
        "calibrate", help="fit the utility weights to observed targets (method of simulated moments)",
        description="Fit the utility weights named in the targets file to its fitted targets by the method of "
                    "simulated moments (common random numbers, scipy least squares on the log weights). Writes the "
                    "calibrated config (the base plus the fitted weights, SEs in comments and a JSON file beside "
                    "it) and a fit report into --out.")
    parser.add_argument("config", metavar="CONFIG", help="base scenario TOML file, e.g. configs/baseline.toml")
    parser.add_argument("--targets", required=True, metavar="FILE",
                        help="targets file, e.g. configs/calibration/targets.toml")
    parser.add_argument("--budget", type=whole_number(1), default=DEFAULT_BUDGET, metavar="N",
                        help=f"model evaluations in all, each one of --replicates runs: the search's and the 13 "
                             f"after it (the optimum and the sensitivities) (default {DEFAULT_BUDGET})")
    parser.add_argument("--workers", type=whole_number(1), default=None, metavar="N",
                        help="worker processes for the runs (default: the number of CPUs; 1 runs in this process)")
    parser.add_argument("--replicates", type=whole_number(2), default=DEFAULT_REPLICATES, metavar="N",
                        help=f"runs per candidate, the same seeds for every candidate (default {DEFAULT_REPLICATES})")
    parser.add_argument("--researchers", type=whole_number(10), metavar="N",
                        help="researcher agents at the start, the cohort scaled alike (default: the config's)")
    parser.add_argument("--seed", type=whole_number(0), default=0, metavar="N",
                        help="root seed of the replicate streams (default 0)")
    parser.add_argument("--out", default="out/calibration", metavar="DIR",
                        help="folder for the fit report (default out/calibration)")
    parser.add_argument("--calibrated", metavar="PATH",
                        help="where to write the calibrated config (default: calibrated.toml beside CONFIG); "
                             "a calibrated.json of the same name goes beside it")
    parser.add_argument("--quiet", action="store_true", help="no progress bar")
    parser.set_defaults(handler=calibrate_command)
    return parser


def extends_chain(path: Path) -> list[Path]:
    """``path`` and every file it extends, resolved."""
    chain = [path.resolve()]
    while True:
        base = read_toml(chain[-1]).get("extends")
        if not isinstance(base, str):
            return chain
        nxt = (chain[-1].parent / base).resolve()
        if nxt in chain:
            return chain
        chain.append(nxt)


def check_calibrated_path(path: Path, config_path: Path) -> None:
    """Whether the calibrated config may go to ``path``: a new file or one this command wrote, not in CONFIG's chain."""
    from experiments.calibration.report import HEADER

    if path.resolve() in extends_chain(config_path):
        raise UsageError(f"--calibrated {path}: is {config_path} or a file it extends; choose another path")
    if not path.parent.is_dir():
        raise UsageError(f"--calibrated {path}: its folder {path.parent} does not exist")
    if path.exists():
        if not path.is_file():
            raise UsageError(f"--calibrated {path}: exists and is not a file")
        with path.open(encoding="utf-8", errors="replace") as handle:
            first = handle.readline()
        if not first.startswith(HEADER):
            raise UsageError(f"--calibrated {path}: exists and was not written by talentflow calibrate "
                             f"(its first line is not '{HEADER}...'); choose another path")


def calibrate_command(args: argparse.Namespace) -> int:
    """Handler of ``talentflow calibrate``."""
    from experiments.calibration.fit import minimum_budget
    from experiments.calibration.targets import WEIGHTS, read_targets

    config_path = Path(args.config)
    config = resolve_config(config_path, researchers=args.researchers)
    targets = read_targets(args.targets)
    years, burn_in = config.simulation.years, targets.burn_in_years
    if years <= burn_in:
        raise ConfigError(str(config_path), "simulation.years",
                          f"must exceed the targets' measurement.burn_in_years ({burn_in}) so that the window "
                          f"is not empty, got {years}")
    for name in targets.parameters:
        value, (low, high) = getattr(config.preferences, name), targets.bounds[name]
        if not low <= value <= high:
            raise ConfigError(targets.path, f"fit.bounds.{name}",
                              f"must contain the start value preferences.{name} = {value:g} of {config_path}, "
                              f"got [{low:g}, {high:g}]")
    if args.budget < minimum_budget(len(targets.parameters)):
        raise UsageError(f"--budget: must be at least {minimum_budget(len(targets.parameters))} for "
                         f"{len(targets.parameters)} fitted weights (a search step and the {1 + 2 * len(WEIGHTS)} "
                         f"evaluations after it), got {args.budget}")
    out = Path(args.out)
    check_output_folder(out, "calibration.json")
    calibrated = Path(args.calibrated) if args.calibrated else config_path.parent / "calibrated.toml"
    check_calibrated_path(calibrated, config_path)
    return run_calibration(args, config, targets, config_path, calibrated, out)


def run_calibration(args: argparse.Namespace, config: Any, targets: Any, config_path: Path, calibrated: Path,
                    out: Path) -> int:
    """Fit, then write the report folder and the calibrated config (the inputs are checked)."""
    from tqdm import tqdm

    from experiments import executors
    from experiments.calibration import report
    from experiments.calibration.fit import AFTER_SEARCH, Problem, calibrate
    from simulation.config import load_config
    from simulation.outputs import output_folder

    workers = args.workers or os.cpu_count() or 1
    bar = tqdm(total=args.budget, desc="calibrate", unit="evaluation", disable=args.quiet, file=sys.stderr,
               dynamic_ncols=True)
    best = [float("inf")]

    def progress(evaluation: Any) -> None:
        if evaluation.kind == "search":
            best[0] = min(best[0], evaluation.loss)
        if evaluation.kind == "final":  # the search is over: what is left is known
            bar.total = evaluation.index + AFTER_SEARCH
        bar.set_postfix(best_loss=f"{best[0]:.3g}", stage=evaluation.kind, refresh=False)
        bar.update(1)

    start = time.perf_counter()
    with bar, (executors.InProcess() if workers == 1 else executors.process_pool(workers)) as executor:
        problem = Problem(config, targets, args.replicates, args.seed, executor, on_evaluation=progress)
        fit = calibrate(problem, args.budget)
    seconds = time.perf_counter() - start

    info = report.summary(fit, problem, command=args.command_line, base_path=str(config_path), seconds=seconds)
    json_path = calibrated.with_suffix(".json")
    extends = os.path.relpath(config_path.resolve(), calibrated.resolve().parent)
    text = report.calibrated_toml(fit, problem, extends=Path(extends).as_posix(), command=args.command_line,
                                  json_name=json_path.name)
    with output_folder(out, "calibration.json") as staging:
        report.write_report(staging, fit, problem, info)
    _write_atomic(json_path, json.dumps(info, indent=2) + "\n")
    _write_atomic(calibrated, text)
    written = load_config(calibrated)  # the file must load as a scenario; a failure here is a bug
    print(f"calibrated {', '.join(fit.names)} in {len(problem.history)} evaluations of {args.replicates} runs "
          f"({seconds:.0f} s, {workers} worker{'s' if workers > 1 else ''}); loss {report.number(fit.final.loss, 3)}; "
          f"{fit.message}")
    low, high = fit.interval()
    for name, se, lo, hi in zip(fit.names, fit.se, low, high, strict=True):
        value = getattr(written.preferences, name)
        print(f"  {name} = {report.number(value)} (SE {report.number(se, 2)}; 95% interval {report.number(lo, 3)} "
              f"to {report.number(hi, 3)})")
    for row in info["targets"]:
        print(f"  {row['target']} ({row['role']}): observed {report.number(row['observed'], 3)}, "
              f"model {report.number(row['model'], 3)} (SE {report.number(row['model_se'], 2)})")
    print(f"wrote {calibrated}, {json_path} and {out}")
    return 0


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
