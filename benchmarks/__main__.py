"""``python -m benchmarks [--quick] [--only NAME ...] [--out FILE]``: run the benchmarks, print the report, save it.

A new benchmark is a module of this package with ``section(quick: bool) -> Section``
and an entry in :data:`BENCHMARKS`.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Callable
from pathlib import Path

from benchmarks import Section, calibration, demo, model, phases, sweep
from benchmarks.machine import describe, with_end_yardstick
from simulation.cli import ArgumentParser, UsageError

#: Benchmarks by name, in the order they run: each returns its section of the report.
BENCHMARKS: dict[str, Callable[[bool], Section]] = {
    "model": model.section,
    "phases": phases.section,
    "sweep": sweep.section,
    "demo": demo.section,
    "calibration": calibration.section,
}
RESULTS = Path(__file__).resolve().parent / "results.md"


def report(sections: list[Section], command: str, setting: list[tuple[str, str]]) -> str:
    """The Markdown report: the command, where and when (``setting``, see :func:`describe`), then each section."""
    lines = ["# Benchmarks", "", f"Command: `{command}`", ""]
    lines += [f"- {label}: {value}" for label, value in setting]
    for part in sections:
        lines += ["", f"## {part.title}", "", part.body]
    return "\n".join(lines) + "\n"


def check_out(out: Path) -> None:
    """Raise UsageError unless the report can be written to ``out``: not a folder, in a folder that exists."""
    if out.is_dir():
        raise UsageError(f"--out {out}: is a folder; give the report's file name (e.g. {out / 'results.md'})")
    if out.exists() and not out.is_file():
        raise UsageError(f"--out {out}: is not a regular file")
    folder = out.parent
    if not folder.is_dir():
        raise UsageError(f"--out {out}: its folder {folder} does not exist; create it or choose another file")
    if not os.access(folder, os.W_OK) or (out.exists() and not os.access(out, os.W_OK)):
        raise UsageError(f"--out {out}: cannot be written (no permission)")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m benchmarks", description="Speed and memory of talentflow.")
    parser.add_argument("--quick", action="store_true", help="smaller, faster cases (targets judged where measured)")
    parser.add_argument("--only", nargs="+", choices=list(BENCHMARKS), metavar="NAME",
                        help=f"run only these benchmarks ({', '.join(BENCHMARKS)})")
    parser.add_argument("--out", type=Path, default=RESULTS, help="where to write the report (default: %(default)s)")
    try:
        args = parser.parse_args(argv)
        check_out(args.out)
    except UsageError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    names = args.only or list(BENCHMARKS)
    command = " ".join(["python -m benchmarks", *(argv if argv is not None else sys.argv[1:])])
    setting = describe()  # before the runs, so that the load average is the one they start under
    sections = []
    for name in names:
        print(f"{name}:", file=sys.stderr, flush=True)
        sections.append(BENCHMARKS[name](args.quick))
    text = report(sections, command, with_end_yardstick(setting))
    print(text, end="")
    args.out.write_text(text)
    print(f"written to {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
