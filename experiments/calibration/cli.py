"""``talentflow calibrate [CONFIG] --targets FILE --out DIR``: Bayesian calibration of the behavioural weights.

A plugin of the ``talentflow`` command line (entry point group
``talentflow.commands``). ABC-SMC (pyabc) on the fitted targets, then the
posterior predictive of every target and the bounds' experiments on posterior
draws. Everything goes into ``--out``; the tracked default scenario
(configs/calibrated.toml) changes only with ``--write-default``.

Every input is checked before the first run; bad input raises
:class:`simulation.config.ConfigError`, :class:`simulation.cli.UsageError` or
:class:`simulation.outputs.OutputError` (one line, exit code 2). pyabc writes
each generation to ``--out``/abc.db as it ends: a calibration that is killed,
or loses a worker process or its Dask scheduler (one line, exit code 1),
resumes with ``--resume`` from its last whole generation.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import contextlib
import dataclasses
import hashlib
import json
import multiprocessing
import os
import shutil
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from experiments.executors import NoWorkersError, SchedulerUnreachableError, scheduler_address
from simulation.cli import UsageError, whole_number
from simulation.config import DEFAULT_CONFIG, ConfigError, config_to_json, load_config, read_toml
from simulation.outputs import MARKERS, OutputError

#: What a lost executor raises: a Dask scheduler gone (CommClosedError and TimeoutError are OSErrors, a cancelled
#: task), a dead worker process (pyabc's multicore sampler, a broken pool in the checks).
LOST_EXECUTOR = (OSError, concurrent.futures.CancelledError, concurrent.futures.BrokenExecutor,
                 multiprocessing.ProcessError)
#: The default calibration file and base scenario.
ROOT = Path(__file__).resolve().parents[2]
DEFAULT_TARGETS = ROOT / "configs" / "calibration" / "targets.toml"
DEFAULT_BASE = ROOT / "configs" / "baseline.toml"
#: Posterior draws for the predictive check and for the elasticity experiment, and the experiment's size.
# 80 pay-rise pairs: one pair's change in top researchers has an SD of about 3.4 against a mean of about 1.8 (of
# about 250), so the pooled elasticity's standard error is about 0.015, a twentieth of the bound's width (20 pairs:
# 0.03).
PREDICTIVE_DRAWS, ELASTICITY_DRAWS, ELASTICITY_RESEARCHERS = 40, 80, 50_000
KIND = MARKERS["calibration.json"]


def register(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow calibrate``."""
    parser = subparsers.add_parser(
        "calibrate", help="Bayesian calibration of the behavioural weights (ABC-SMC, pyabc)",
        description="Fit the parameters named in the calibration file to its fitted targets by ABC-SMC (pyabc), "
                    "then check every target on posterior draws (posterior predictive) and run the bounds' "
                    "experiments. Writes the posterior (particles and weights), its summary and diagnostics, "
                    "figures, a report and a calibrated scenario into --out. configs/calibrated.toml changes only "
                    "with --write-default. A killed calibration resumes with --resume.")
    parser.add_argument("config", metavar="CONFIG", nargs="?", default=str(DEFAULT_BASE),
                        help="base scenario (default: configs/baseline.toml)")
    parser.add_argument("--targets", default=str(DEFAULT_TARGETS), metavar="FILE",
                        help="calibration file: parameters, priors, targets (default configs/calibration/targets.toml)")
    parser.add_argument("--out", default="out/calibration", metavar="DIR",
                        help="output folder (default out/calibration)")
    where = parser.add_mutually_exclusive_group()
    where.add_argument("--workers", type=whole_number(1), default=None, metavar="N",
                       help="local worker processes (default: the number of CPUs; 1: one process, exactly "
                            "reproducible)")
    where.add_argument("--scheduler", type=scheduler_address, metavar="ADDRESS",
                       help="a Dask scheduler (tcp://HOST:PORT) whose workers run the simulations, as for sweeps")
    parser.add_argument("--resume", action="store_true", help="continue the calibration stored in --out")
    parser.add_argument("--write-default", action="store_true",
                        help="also write configs/calibrated.toml and its posterior and summary beside it")
    parser.add_argument("--population", type=whole_number(10), metavar="N", help="particles a generation (default: "
                        "the calibration file's; past one generation, more than the fitted parameters, four times "
                        "as many with the local kernel)")
    parser.add_argument("--generations", type=whole_number(1), metavar="N", help="generations at most (default: the "
                        "calibration file's)")
    parser.add_argument("--researchers", type=whole_number(100), metavar="N",
                        help="agents in each simulation (default: the calibration file's)")
    parser.add_argument("--predictive-draws", type=whole_number(2), default=PREDICTIVE_DRAWS, metavar="N",
                        help=f"posterior draws for the predictive check (default {PREDICTIVE_DRAWS})")
    parser.add_argument("--elasticity-draws", type=whole_number(2), default=ELASTICITY_DRAWS, metavar="N",
                        help=f"posterior draws for the pay-rise experiment (default {ELASTICITY_DRAWS})")
    parser.add_argument("--elasticity-researchers", type=whole_number(100), default=ELASTICITY_RESEARCHERS,
                        metavar="N", help=f"agents in the pay-rise experiment (default {ELASTICITY_RESEARCHERS:,})")
    parser.add_argument("--quiet", action="store_true", help="no progress bars")
    parser.set_defaults(handler=calibrate_command)
    return parser


def inputs_digest(config_json: dict[str, Any], calibration_text: str) -> str:
    """What a stored calibration was run on: the base scenario and the calibration file."""
    text = json.dumps(config_json, sort_keys=True) + calibration_text
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def check_out(out: Path, resume: bool, digest: str) -> None:
    """``out`` must be new or empty, or, with ``--resume``, a calibration of the same inputs."""
    marker = out / "calibration.json"
    if out.exists() and not out.is_dir():
        raise OutputError(out, "exists and is not a folder; choose another folder")
    if resume:
        try:
            meta = json.loads(marker.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            raise OutputError(out, "holds no calibration to resume (no calibration.json); run without --resume"
                              ) from None
        if not isinstance(meta, dict) or meta.get("kind") != KIND or meta.get("inputs") != digest:
            raise OutputError(out, "holds a calibration of another base scenario or calibration file; resume it "
                                   "with those, or start a new folder")
        return
    if out.exists() and any(out.iterdir()):
        raise OutputError(out, "is not empty; resume the calibration there with --resume, or choose a new or "
                               "empty folder")


def check_priors(config: Any, config_path: Path, calibration: Any) -> None:
    """Every fitted and carried key is a key of the base scenario, and the scenario is valid at both ends of its
    prior (as a particle's scenario is validated): otherwise a ConfigError naming the calibration file's key."""
    from simulation.config import apply_overrides, build_config, config_as_raw
    from simulation.paths import with_value

    raw = config_as_raw(config)
    for table, priors in (("parameters", calibration.priors), ("carried", calibration.carried)):
        for prior in priors:
            where = f"{table}.{prior.key}"
            try:
                with_value(config, prior.key, prior.low)
            except (KeyError, AttributeError):
                raise ConfigError(calibration.path, where, f"is not a key of {config_path}") from None
            for value in (prior.low, prior.high):
                try:
                    build_config(apply_overrides(raw, [(prior.key, value)]), "calibration particle")
                except ConfigError as err:
                    why = err.message if err.key == prior.key else f"{err.key}: {err.message}"
                    raise ConfigError(calibration.path, where, f"prior {prior.low:g}..{prior.high:g} leaves the "
                                                               f"key's allowed range: {why}") from None


def calibrate_command(args: argparse.Namespace) -> int:
    """Handler of ``talentflow calibrate``: check every input, then run."""
    from experiments.calibration.targets import population_message, read_calibration
    from simulation.config import config_as_raw

    config_path = Path(args.config)
    config = load_config(config_path)
    calibration = read_calibration(args.targets)
    changes = {"population_size": args.population, "generations": args.generations, "researchers": args.researchers}
    calibration = dataclasses.replace(calibration, **{k: v for k, v in changes.items() if v is not None})
    if calibration.population_size < calibration.smallest_population():
        if args.population is None:
            raise ConfigError(calibration.path, "abc.population_size", population_message(calibration))
        raise UsageError(f"--population: {population_message(calibration)}")
    # More generations continue the same calibration; anything else makes it another one.
    identity = {k: v for k, v in changes.items() if k != "generations"}
    check_priors(config, config_path, calibration)
    if config.policies.levers():
        raise ConfigError(str(config_path), "policies", "the base scenario of a calibration has no policy levers "
                                                        "(the targets describe the world without them)")
    out = Path(args.out)
    text = Path(calibration.path).read_text(encoding="utf-8")
    digest = inputs_digest(config_to_json(config), text + json.dumps(identity, sort_keys=True))
    check_out(out, args.resume, digest)
    if args.write_default:
        _check_writable_default()
    return run(args, config_as_raw(config), calibration, config_path, out, digest)


def _check_writable_default() -> None:
    from experiments.calibration.report import HEADER

    target = DEFAULT_CONFIG
    if target.exists():
        with target.open(encoding="utf-8", errors="replace") as handle:
            if not handle.readline().startswith(HEADER):
                raise UsageError(f"--write-default: {target} was not written by talentflow calibrate; leave it as "
                                 "it is or move it away first")


@contextlib.contextmanager
def executor_for(args: argparse.Namespace) -> Iterator[tuple[Any, Any, int]]:
    """(pyabc sampler, executor for the checks, workers): local processes or a Dask cluster."""
    from experiments import executors
    from experiments.calibration.abc import make_sampler

    progress = not args.quiet
    if args.scheduler:
        with executors.dask_executor(args.scheduler, wait_option=None) as (executor, workers):
            from distributed import Client

            client = Client(args.scheduler)
            try:
                yield make_sampler(workers, client=client, progress=progress), executor, workers
            finally:
                client.close()
        return
    workers = args.workers or os.cpu_count() or 1
    pool = executors.InProcess() if workers == 1 else executors.process_pool(workers)
    with pool:
        yield make_sampler(workers, progress=progress), pool, workers


def run(args: argparse.Namespace, base: dict[str, Any], calibration: Any, config_path: Path, out: Path,
        digest: str) -> int:
    """Run the ABC-SMC and the checks, and write every output (the inputs are checked)."""
    import numpy as np
    from tqdm import tqdm

    from experiments.calibration import checks, report
    from experiments.calibration.abc import Simulator, pyabc_warnings_only, run_abc
    from experiments.calibration.posterior import read_history, summary_table

    marker = out / "calibration.json"
    command = " ".join(args.command_line)
    started = {"kind": KIND, "status": "running", "inputs": digest, "command": command,
               "base": str(config_path), "targets": calibration.path, "files": ["abc.db", "calibration.json"]}
    simulator = Simulator.of(base, calibration)
    start = time.perf_counter()
    try:
        with pyabc_warnings_only(), executor_for(args) as (sampler, executor, workers):
            # Written once the executor is there: a scheduler that does not answer leaves --out as it was.
            out.mkdir(parents=True, exist_ok=True)
            if not args.resume:
                _write_atomic(marker, json.dumps(started, indent=2) + "\n")
            history = run_abc(simulator, calibration, out, sampler, resume=args.resume, progress=not args.quiet)
            abc_seconds = time.perf_counter() - start
            posterior, generations = read_history(history, calibration.priors)
            rng = np.random.default_rng(calibration.seed)
            total = args.predictive_draws + args.elasticity_draws
            with tqdm(total=total, desc="checks", unit="run", disable=args.quiet, file=sys.stderr) as bar:
                draws = posterior.draws(args.predictive_draws, rng)
                predictive = checks.posterior_predictive(simulator, calibration, draws, executor,
                                                         on_done=lambda: bar.update(1))
                elasticity = checks.domestic_star_elasticity(simulator, posterior.draws(args.elasticity_draws, rng),
                                                             args.elasticity_researchers, executor,
                                                             on_done=lambda: bar.update(1), seed=calibration.seed)
    except (SchedulerUnreachableError, NoWorkersError) as err:  # before anything is written
        raise UsageError(f"--scheduler: {err}") from None
    except AssertionError as err:
        if "not normalized" not in str(err):
            raise
        print(f"talentflow: a generation's particle weights are not finite (pyabc: {err}): "
              f"{calibration.population_size} particles are too few for the perturbation kernel over "
              f"{len(calibration.priors)} fitted parameters; every generation finished is kept in {out}: start "
              "again with more particles (--population)", file=sys.stderr)
        return 1
    except LOST_EXECUTOR as err:
        if isinstance(err, OSError) and not args.scheduler:
            raise  # not a lost executor: an error of this machine's own
        lost = f"the Dask scheduler at {args.scheduler}" if args.scheduler else "a worker process"
        from experiments.executors import why_lost

        why = why_lost(err)
        print(f"talentflow: the calibration lost {lost} ({why}); every generation finished is kept in {out}: run "
              "the same command with --resume to continue", file=sys.stderr)
        return 1
    seconds = time.perf_counter() - start

    summary = summary_table(posterior, calibration.priors)
    diagnostics = report.diagnostics_table(generations)
    bound = {t.name: {"low": t.low, "high": t.high, **elasticity,
                      "within": bool(t.low <= elasticity["estimate"] <= t.high)}
             for t in calibration.role("bound")}
    extends = Path(os.path.relpath(config_path.resolve(), out.resolve())).as_posix()
    toml = report.calibrated_toml(posterior.median(), summary, extends=extends, command=command,
                                  calibration=calibration, final_epsilon=generations[-1].epsilon)
    info = {"kind": KIND, "status": "done", "inputs": digest, "command": command, "base": str(config_path),
            "targets": calibration.path, "workers": workers, "seconds": round(seconds, 1),
            "abc_seconds": round(abc_seconds, 1), "simulations": int(sum(g.simulations for g in generations)),
            "final_epsilon": generations[-1].epsilon,
            "parameters": summary.to_dict("records"), "generations": diagnostics.to_dict("records"),
            "predictive": predictive.to_dict("records"), "bounds": bound,
            "files": ["abc.db", "calibration.json", "posterior.csv", "generations.csv", "predictive.csv",
                      "summary.md", "report.md", "calibrated.toml", "prior_posterior.png", "posterior_pairs.png",
                      "predictive.png", "generations.png"]}
    particles = posterior.particles.assign(weight=posterior.weights)
    particles.to_csv(out / "posterior.csv", index=False)
    diagnostics.to_csv(out / "generations.csv", index=False)
    predictive.to_csv(out / "predictive.csv", index=False)
    summary_md = report.summary_markdown(summary, diagnostics)
    _write_atomic(out / "summary.md", summary_md + "\n")
    _write_atomic(out / "calibrated.toml", toml)
    report.prior_posterior_figure(posterior, calibration, out / "prior_posterior.png")
    report.pairs_figure(posterior, summary, out / "posterior_pairs.png", np.random.default_rng(calibration.seed))
    report.predictive_figure(predictive, out / "predictive.png")
    report.generations_figure(diagnostics, out / "generations.png")
    _write_atomic(out / "report.md", report_markdown(info, summary_md, predictive, bound) + "\n")
    _write_atomic(marker, json.dumps(info, indent=2, default=float) + "\n")
    load_config(out / "calibrated.toml")  # the file must load as a scenario; a failure here is a bug
    if args.write_default:
        write_default(out, config_path)
    print(f"calibrated {len(calibration.priors)} parameters on {len(calibration.fitted)} targets: "
          f"{info['simulations']:,} simulations in {abc_seconds:.0f} s ({workers} worker{'s' if workers > 1 else ''}), "
          f"final epsilon {report.number(generations[-1].epsilon)}")
    for row in summary.itertuples():
        print(f"  {row.parameter} = {report.number(row.median)} (90% {report.number(row.low_5)} to "
              f"{report.number(row.high_95)})")
    for name, check in bound.items():
        print(f"  {name}: {report.number(check['estimate'])} (90% {report.number(check['low_5'])} to "
              f"{report.number(check['high_95'])}); bound {check['low']:g} to {check['high']:g}: "
              f"{'within' if check['within'] else 'OUTSIDE'}")
    print(f"wrote {out}" + (f" and {DEFAULT_CONFIG}" if args.write_default else ""))
    return 0


def report_markdown(info: dict[str, Any], summary_md: str, predictive: Any, bound: dict[str, Any]) -> str:
    """The calibration folder's report."""
    from experiments.calibration.report import markdown_table

    lines = [f"# Calibration report\n\nWritten by `{info['command']}` in {info['seconds']:.0f} s "
             f"({info['simulations']:,} simulations, {info['workers']} workers).", summary_md,
             "## Posterior predictive check", markdown_table(predictive), "![predictive](predictive.png)",
             "## Bounds checked by simulated experiments"]
    for name, check in bound.items():
        lines.append(f"- {name}: {check['estimate']:.3g} (90% interval {check['low_5']:.3g} to "
                     f"{check['high_95']:.3g}) against the published {check['low']:g} to {check['high']:g}: "
                     f"{'within' if check['within'] else 'outside'} ({check['draws']} posterior draws of "
                     f"{check['researchers']:,} researchers).")
    lines += ["![prior and posterior](prior_posterior.png)", "![pairs](posterior_pairs.png)",
              "![generations](generations.png)"]
    return "\n\n".join(lines)


def write_default(out: Path, config_path: Path) -> None:
    """configs/calibrated.toml (extending CONFIG), its posterior and summary beside it."""
    text = (out / "calibrated.toml").read_text(encoding="utf-8")
    extends = Path(os.path.relpath(config_path.resolve(), DEFAULT_CONFIG.parent.resolve())).as_posix()
    text = "\n".join(f'extends = "{extends}"' if line.startswith("extends = ") else line for line in text.splitlines())
    _write_atomic(DEFAULT_CONFIG, text + "\n")
    shutil.copyfile(out / "posterior.csv", DEFAULT_CONFIG.with_name("calibrated.posterior.csv"))
    summary = (out / "summary.md").read_text(encoding="utf-8")
    _write_atomic(DEFAULT_CONFIG.with_name("calibrated.summary.md"),
                  "# The calibrated default scenario: posterior summary\n\n" + summary)
    read_toml(DEFAULT_CONFIG)


def _write_atomic(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.partial")
    tmp.write_text(text, encoding="utf-8")
    os.replace(tmp, path)
