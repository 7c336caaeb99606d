"""Command ``talentflow report SWEEP_DIR [--out DIR]`` (entry point group ``talentflow.commands``)."""

from __future__ import annotations

import argparse
from typing import Any


def register_report(subparsers: Any) -> argparse.ArgumentParser:
    """Add ``talentflow report``."""
    parser = subparsers.add_parser(
        "report", help="tables, figures and a report (Markdown and HTML) of a finished sweep",
        description="Write the report of a finished sweep folder: report.md and report.html with its tables "
                    "(Markdown, CSV, LaTeX) and figures (PNG, PDF), a copy of the sweep's manifest and the "
                    "commands that reproduce it.")
    parser.add_argument("folder", metavar="SWEEP_DIR", help="a folder written by talentflow sweep, all runs done")
    parser.add_argument("--out", metavar="DIR", help="folder for the report (default: SWEEP_DIR/report)")
    parser.set_defaults(handler=report_command)
    return parser


def report_command(args: argparse.Namespace) -> int:
    """Handler of ``talentflow report``: one line and exit code 2 for a folder that is not a finished sweep."""
    from experiments.analysis.report import write_report
    from experiments.store import FolderError
    from simulation.cli import UsageError

    try:
        out = write_report(args.folder, args.out, getattr(args, "command_line", ()))
    except FolderError as err:
        raise UsageError(str(err)) from None
    print(f"wrote {out}/report.md and report.html")
    return 0
