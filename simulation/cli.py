"""The ``talentflow`` command line (also ``python -m simulation``).

Subcommands: ``run`` (one scenario), ``compare`` (a policy against a baseline
with the same random numbers) and ``params`` (the parameter table). Other
packages add subcommands through the entry-point group ``talentflow.commands``:
each entry point is a function ``register(subparsers)`` that adds its parser
and sets ``handler`` (a function of the parsed arguments returning the exit
code) with ``parser.set_defaults(handler=...)``. simulation/ never imports them.
``talentflow`` alone lists the commands; ``talentflow --version`` prints the version.

Bad input (a config, an argument, an output folder) prints one line,
``talentflow: error: ...``, to stderr and exits with code 2 before anything is
written. A standard output that cannot be written (a full disk) is one line
and exit code 1. Other exceptions are bugs and are not caught.

The model, pandas and matplotlib are imported inside the commands that need
them, so that errors in the input and ``params`` answer at once.
"""

from __future__ import annotations

import argparse
import contextlib
import errno
import os
import signal
import sys
import threading
from collections.abc import Callable, Iterator, Sequence
from importlib.metadata import PackageNotFoundError, entry_points, version
from pathlib import Path
from typing import Any, NoReturn

from simulation.config import DEFAULT_CONFIG, ConfigError, load_config, parse_override
from simulation.memory import check_memory
from simulation.outputs import OutputError, check_output_folder, exit_when_safe, folder_name, path_problem
from simulation.paramtable import parameter_rows, render_markdown
from simulation.schema import Config

PROG = "talentflow"
ENTRY_POINT_GROUP = "talentflow.commands"
ENGINES: tuple[str, ...] = ("agents", "vectorized")  # as simulation.model.ENGINES, without importing the model


class UsageError(ValueError):
    """Bad input on the command line; its text is the one line shown after ``talentflow: error:``."""


class ArgumentParser(argparse.ArgumentParser):
    """An argument parser whose errors are one line and exit code 2 (via :class:`UsageError`).

    It also checks the environment variable that sets the engine's threads
    (:data:`simulation.threads.ENV`): a bad value is bad input to the command.
    """

    def error(self, message: str) -> NoReturn:
        raise UsageError(message)

    def parse_args(self, args: Sequence[str] | None = None, namespace: Any = None) -> Any:  # type: ignore[override]
        parsed = super().parse_args(args, namespace)
        problem = threads_env_problem()
        if problem is not None:
            raise UsageError(problem)
        return parsed


def threads_env_problem() -> str | None:
    """What is wrong with the environment variable that sets the engine's threads, or None."""
    from simulation.threads import ENV, threads_from_env

    raw = os.environ.get(ENV)
    if raw is None:
        return None
    try:
        threads_from_env(raw)
    except ValueError as err:
        return str(err)
    return None


def whole_number(minimum: int) -> Callable[[str], int]:
    """An argparse type: a whole number of at least ``minimum``."""
    def parse(text: str) -> int:
        try:
            value = int(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}") from None
        if value < minimum:
            raise argparse.ArgumentTypeError(f"must be a whole number >= {minimum}, got {text!r}")
        return value
    parse.__name__ = f"whole number >= {minimum}"
    return parse


def resolve_config(path: str | Path, sets: Sequence[str] = (), *, years: int | None = None,
                   researchers: int | None = None) -> Config:
    """The scenario at ``path`` with ``--set KEY=VALUE`` overrides, then ``--years`` and ``--researchers``.

    The file is validated on its own first, so that its own errors name the file
    alone; errors caused by an override name ``--set KEY``, ``--years`` or ``--researchers``.
    """
    from simulation.parameters import scale_population, with_parameters

    config = load_config(path)
    if sets:
        config = load_config(path, [parse_override(text) for text in sets])
    if years is not None:
        config = with_parameters(config, source="--years", years=years)
    if researchers is not None:
        config = scale_population(config, researchers)
    return config


def _add_size_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--seed", type=whole_number(0), default=0, metavar="N",
                        help="seed of the run's random numbers (whole number >= 0; default 0)")
    parser.add_argument("--years", type=whole_number(1), metavar="N", help="years to simulate (default: the config's)")
    parser.add_argument("--researchers", type=whole_number(1), metavar="N",
                        help="researcher agents at the start; the yearly cohort is scaled alike "
                             "(default: the config's)")


def _size_source(args: argparse.Namespace, config_path: str) -> str:
    """What set the population's size: ``--researchers`` if given, else the config file."""
    return "--researchers" if args.researchers is not None else str(config_path)


def _command_line(argv: Sequence[str] | None) -> list[str]:
    return [PROG, *(sys.argv[1:] if argv is None else argv)]


@contextlib.contextmanager
def terminated_as_exit() -> Iterator[None]:
    """Turn SIGTERM (``kill``, a scheduler's time limit) into SystemExit while the block runs, so that a folder
    being written is removed as on any error; Python's default for SIGTERM ends the process at once."""
    def stop(signum: int, frame: Any) -> None:
        exit_when_safe(128 + signum)  # not while the finished output is being moved into place

    if threading.current_thread() is not threading.main_thread():
        yield
        return
    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


@terminated_as_exit()
def command_run(args: argparse.Namespace) -> int:
    """``talentflow run``: simulate one scenario, write its folder and print a summary."""
    config = resolve_config(args.config, args.set or (), years=args.years, researchers=args.researchers)
    out = Path(args.out) if args.out is not None else Path("out") / folder_name(config.name)
    check_output_folder(out, "run.json")
    check_memory(config, source=_size_source(args, args.config), engine=args.engine, record_agents=args.agents)
    from simulation.run import simulate, write_run
    from simulation.summary import last_line, summary_table

    result = simulate(config, args.seed, engine=args.engine, record_agents=args.agents)
    write_run(result, out, command=args.command_line)
    print(f"{config.name}: {config.description}" if config.description else config.name)
    print(summary_table(result.yearly, config))
    print(f"wrote {out}")
    print(last_line(result.researcher_years, result.seconds))
    return 0


@terminated_as_exit()
def command_compare(args: argparse.Namespace) -> int:
    """``talentflow compare``: a policy scenario against a baseline, same seed (common random numbers)."""
    base_config = resolve_config(args.base, years=args.years, researchers=args.researchers)
    policy_config = resolve_config(args.policy, years=args.years, researchers=args.researchers)
    _check_comparable(args.base, base_config, args.policy, policy_config)
    out = Path(args.out) if args.out is not None else Path("out") / "compare"
    check_output_folder(out, "compare.json")
    check_memory(base_config, source=_size_source(args, args.base))
    check_memory(policy_config, source=_size_source(args, args.policy))
    import json

    from simulation.chart import draw_runs
    from simulation.compare import comparison_text, difference_table, lever_table, lever_text
    from simulation.outputs import MARKERS, output_folder
    from simulation.run import simulate, write_run_files
    from simulation.summary import last_line

    base = simulate(base_config, args.seed)
    policy = simulate(policy_config, args.seed, deadweight=True)
    levers = lever_table(policy.yearly)
    base_label, policy_label = folder_name(base_config.name), folder_name(policy_config.name)
    if base_label == policy_label:
        base_label, policy_label = f"base-{base_label}", f"policy-{policy_label}"
    origin = base_config.simulation.origin
    table = difference_table(base.yearly, policy.yearly, origin)
    with output_folder(out, "compare.json") as staging:
        write_run_files(base, staging / base_label, command=args.command_line)
        write_run_files(policy, staging / policy_label, command=args.command_line)
        table.to_csv(staging / "difference.csv", index=False)
        levers.to_csv(staging / "levers.csv", index=False)
        draw_runs({base_label: (base.yearly, base_config), policy_label: (policy.yearly, policy_config)},
                  staging / "chart.png", title=f"{policy_config.name} against {base_config.name}", seed=args.seed)
        meta = {"kind": MARKERS["compare.json"], "base": base_label, "policy": policy_label, "seed": args.seed,
                "command": args.command_line,
                "files": [f"{base_label}/", f"{policy_label}/", "difference.csv", "levers.csv", "chart.png",
                          "compare.json"]}
        (staging / "compare.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    home = base_config.countries[origin].name
    print(f"{policy_config.name} against {base_config.name}, same seed ({args.seed}); difference = policy - base")
    print(comparison_text(table, origin, home, base_label, policy_label))
    if len(policy_config.policies.levers()):
        print("\nProgrammes: value to those reached is the pay rise worth as much to them; deadweight is what goes "
              "to people who are in the country anyway in the baseline, on the same random numbers.")
        print(lever_text(levers))
    print(f"wrote {out}")
    print(last_line(base.researcher_years + policy.researcher_years, base.seconds + policy.seconds))
    return 0


def _check_comparable(base_path: str, base: Config, policy_path: str, policy: Config) -> None:
    """The two scenarios must cover the same years from the same origin, in the same countries, to be compared
    year by year, and the baseline must have no policy lever (the difference is what the policy's levers do)."""
    levers = base.policies.levers()
    if levers:
        names = ", ".join(name for name, _ in levers)
        raise UsageError(f"{base_path}: policies: the baseline has policy levers on ({names}); compare against a "
                         "scenario without them, and each policy against it")
    if base.country_codes != policy.country_codes:
        raise UsageError(f"{policy_path}: countries: must be the baseline's ({base_path}: "
                         f"{', '.join(base.country_codes)}), got {', '.join(policy.country_codes)}: a change of the "
                         "world would be reported as the policy's effect")
    for key, left, right in (("simulation.origin", base.simulation.origin, policy.simulation.origin),
                             ("simulation.start_year", base.simulation.start_year, policy.simulation.start_year),
                             ("simulation.years", base.simulation.years, policy.simulation.years)):
        if left != right:
            raise UsageError(f"{policy_path}: {key}: must equal the baseline's ({base_path}: {left}) to compare "
                             f"year by year, got {right}")


def command_params(args: argparse.Namespace) -> int:
    """``talentflow params``: the parameter table of a scenario as Markdown (printed, or written into a document
    between its ``<!-- params:start -->`` and ``<!-- params:end -->`` lines)."""
    from simulation.paramtable import insert_table

    config = load_config(args.config if args.config is not None else DEFAULT_CONFIG)
    table = render_markdown(parameter_rows(config))
    if args.into is None:
        print(table)
        return 0
    try:
        insert_table(Path(args.into), table)
    except (OSError, ValueError) as err:
        raise UsageError(f"--into {err}" if isinstance(err, ValueError) else f"--into {args.into}: {err}") from None
    print(f"wrote the parameter table into {args.into}")
    return 0


def installed_version() -> str:
    """The version of the installed talentflow package ("unknown" when it runs uninstalled)."""
    try:
        return version("talentflow")
    except PackageNotFoundError:
        return "unknown"


def build_parser() -> ArgumentParser:
    """The parser with the built-in subcommands and those of installed plugins."""
    parser = ArgumentParser(prog=PROG, description="Agent-based simulation of Korean AI researchers choosing "
                                                   "between countries, and of the policies that could keep them.")
    parser.add_argument("--version", action="version", version=f"{PROG} {installed_version()}")
    commands = parser.add_subparsers(title="commands", dest="command_name", metavar="COMMAND")

    run = commands.add_parser("run", help="simulate one scenario and write its run folder",
                              description="Simulate one scenario; write yearly.parquet, yearly.csv, run.json, "
                                          "chart.png (and agents.parquet with --agents) into --out.")
    run.add_argument("config", metavar="CONFIG", help="scenario TOML file, e.g. configs/baseline.toml")
    _add_size_options(run)
    run.add_argument("--engine", choices=ENGINES, default="vectorized",
                     help="agents (a Mesa agent per researcher) or vectorized (numpy arrays; default)")
    run.add_argument("--set", action="append", metavar="KEY=VALUE",
                     help="override a config key by its dotted path, e.g. policies.salary_match.share=0.4 "
                          "(repeat for several)")
    run.add_argument("--agents", action="store_true", help="also write agents.parquet: one row per researcher a year")
    run.add_argument("--out", metavar="DIR", help="output folder (default: out/<config name>)")
    run.set_defaults(handler=command_run)

    compare = commands.add_parser("compare", help="run a policy scenario against a baseline with the same seed",
                                  description="Run BASE and POLICY with the same seed (common random numbers); "
                                              "write both run folders, difference.csv and chart.png into --out.")
    compare.add_argument("base", metavar="BASE", help="baseline scenario TOML file")
    compare.add_argument("policy", metavar="POLICY", help="policy scenario TOML file")
    _add_size_options(compare)
    compare.add_argument("--out", metavar="DIR", help="output folder (default: out/compare)")
    compare.set_defaults(handler=command_compare)

    params = commands.add_parser("params", help="print the parameter table as Markdown",
                                 description="Print every parameter of a scenario with its value, unit, range, "
                                             "origin (data, calibrated, assumed, design, policy), prior range of "
                                             "an assumed value, and description, as Markdown.")
    params.add_argument("config", metavar="CONFIG", nargs="?",
                        help="scenario TOML file (default: configs/calibrated.toml)")
    params.add_argument("--into", metavar="FILE",
                        help="write the table into FILE between its '<!-- params:start -->' and "
                             "'<!-- params:end -->' lines instead of printing it (docs/ODD.md)")
    params.set_defaults(handler=command_params)

    for entry_point in entry_points(group=ENTRY_POINT_GROUP):
        register = entry_point.load()
        register(commands)
    return parser


def path_error(err: OSError) -> str | None:
    """The one line for a path that no file system takes (a name over 255 bytes, say), or None for other errors."""
    if err.errno != errno.ENAMETOOLONG or err.filename is None:
        return None
    name = os.fsdecode(err.filename)
    return f"{name}: cannot be used ({path_problem(name, err)})"


class WatchedOutput:
    """Standard output that remembers the error of writing to it, to tell it from other errors (a full disk)."""

    def __init__(self, stream: Any) -> None:
        self.stream, self.failure = stream, None

    def write(self, text: str) -> int:
        try:
            return self.stream.write(text)
        except OSError as err:
            self.failure = err
            raise

    def flush(self) -> None:
        try:
            self.stream.flush()
        except OSError as err:
            self.failure = err
            raise

    def __getattr__(self, name: str) -> Any:
        return getattr(self.stream, name)

    def silence(self) -> None:
        """Send what stays buffered nowhere, so that it does not fail again when the interpreter exits."""
        with contextlib.suppress(OSError, ValueError, AttributeError):
            os.dup2(os.open(os.devnull, os.O_WRONLY), self.stream.fileno())


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line; return the exit code (2 for bad input, 1 if standard output cannot be written, 130
    when interrupted by Ctrl-C)."""
    stdout = sys.stdout = WatchedOutput(sys.stdout)
    try:
        return _main(argv, stdout)
    except KeyboardInterrupt:  # Ctrl-C: an output being written was removed on the way out
        print(f"{PROG}: interrupted", file=sys.stderr)
        return 130
    finally:
        sys.stdout = stdout.stream


def _main(argv: Sequence[str] | None, stdout: WatchedOutput) -> int:
    try:
        try:
            parser = build_parser()
            args = parser.parse_args(argv)
            args.command_line = _command_line(argv)
            handler: Callable[[argparse.Namespace], Any] | None = getattr(args, "handler", None)
            if handler is None:  # no command: say which there are
                parser.print_help()
                code = 0
            else:
                code = handler(args)
        except SystemExit as done:  # --help and --version print, then exit
            if not isinstance(done.code, int | None):
                raise
            code = done.code
        stdout.flush()  # here, so that a full disk or /dev/full is reported, not met at interpreter exit
        if stdout.failure is not None:  # a write failed that the writer ignored (argparse's help does)
            raise stdout.failure
    except (ConfigError, UsageError, OutputError) as err:
        message = " ".join(str(err).split())
        prefix = "--out " if isinstance(err, OutputError) else ""
        print(f"{PROG}: error: {prefix}{message}", file=sys.stderr)
        return 2
    except BrokenPipeError:  # the reader went away (`talentflow params | head`): nothing more to say
        sys.stderr.close()
        return 0
    except OSError as err:
        if stdout.failure is not None:
            stdout.silence()
            print(f"{PROG}: error: cannot write to standard output ({stdout.failure.strerror or stdout.failure})",
                  file=sys.stderr)
            return 1
        message = path_error(err)
        if message is None:
            raise
        print(f"{PROG}: error: {message}", file=sys.stderr)
        return 2
    return int(code or 0)


if __name__ == "__main__":  # pragma: no cover
    # ``python -m simulation.cli``: run the module imported under its own name, whose UsageError is the one the
    # plugin commands raise (this copy, ``__main__``, has classes of its own).
    from simulation.cli import main as imported_main

    sys.exit(imported_main())
