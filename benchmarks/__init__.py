"""Benchmarks of talentflow: measurements, not tests (``make bench``, ``python -m benchmarks``).

A benchmark is a module with a function ``section(quick: bool) -> Section``,
registered by name in :data:`benchmarks.__main__.BENCHMARKS`. ``python -m
benchmarks`` runs every registered benchmark (or those named with ``--only``),
prints one Markdown report with the machine, the date and the versions, and
writes it to ``benchmarks/results.md``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Target:
    """A measure with a stated target, and whether this run met it."""

    measure: str  # what was measured, in words
    value: str  # the measured value with its unit, or "not measured"
    target: str  # e.g. "<= 100 ns"
    met: bool | None  # None when this run did not measure it (e.g. --quick)


@dataclass(frozen=True)
class Section:
    """What one benchmark reports: a Markdown body (tables, notes) and its targets."""

    title: str
    body: str
    targets: tuple[Target, ...] = ()


def markdown_table(header: list[str], rows: list[list[str]], align: str = "") -> str:
    """A Markdown table; ``align`` has one letter a column, ``l`` or ``r`` (default: right-aligned)."""
    align = align or "r" * len(header)
    rule = ["---:" if a == "r" else "---" for a in align]
    lines = [header, rule, *rows]
    return "\n".join("| " + " | ".join(cells) + " |" for cells in lines)


def targets_table(targets: tuple[Target, ...]) -> str:
    """The targets of a section as a Markdown table."""
    verdict = {True: "yes", False: "**no**", None: "not measured"}
    rows = [[t.measure, t.value, t.target, verdict[t.met]] for t in targets]
    return markdown_table(["measure", "value", "target", "met"], rows, align="lrrl")
