"""docs/results.md: the named experiments' sections in one document, their figures copied under docs/img/results.

The document states the command that produced it, the scenario (base config) it ran on, the code's git
commit, the machine and how long it took, so that it can be rebuilt and checked.
"""

from __future__ import annotations

import datetime
import os
import platform
import shlex
import shutil
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from experiments import store
from experiments.analysis.document import Document, Figure, Heading, Paragraph, Table
from experiments.named.base import Outcome

#: The first line of every results document: the mark that lets the next run replace it.
MARKER = "<!-- written by talentflow experiment (python -m experiments.named): do not edit by hand -->"
#: The opening sentence of the documents written before they carried :data:`MARKER`.
OPENING = ("The named experiments behind the published results. Everything below, text, tables and figures, is "
           "generated: do not edit it by hand, run the command again.")


def is_results_document(path: Path) -> bool:
    """Whether the file ``path`` is a results document this module wrote (it starts with :data:`MARKER`)."""
    try:
        with path.open(encoding="utf-8") as handle:
            head = handle.read(4096)
    except (OSError, UnicodeDecodeError):
        return False
    return head.startswith(MARKER) or (head.startswith("# Results\n") and OPENING in head)


def relocate(outcome: Outcome, doc_folder: Path, images: Path) -> list[Heading | Paragraph | Table | Figure]:
    """The experiment's blocks with its figures (PNG and PDF) copied to ``images/<name>/`` and relinked.

    Figures of an earlier run are overwritten; other files in that folder are kept.
    """
    target = images / outcome.experiment.name
    target.mkdir(parents=True, exist_ok=True)
    blocks: list[Heading | Paragraph | Table | Figure] = []
    for block in outcome.document.blocks:
        if isinstance(block, Figure):
            files = []
            for name in block.files:
                copied = target / Path(name).name
                shutil.copyfile(outcome.summary / name, copied)
                files.append(os.path.relpath(copied, doc_folder))
            png = os.path.relpath(target / Path(block.path).name, doc_folder)
            blocks.append(replace(block, path=Path(png).as_posix(), files=tuple(Path(f).as_posix() for f in files)))
        elif isinstance(block, Table):
            blocks.append(replace(block, files=()))  # CSV and LaTeX stay in the experiment's folder
        elif isinstance(block, Heading):
            blocks.append(replace(block, level=block.level + 1))
        else:
            blocks.append(block)
    return blocks


def shown_path(path: str | Path) -> str:
    """``path`` as the document shows it: relative to the current folder if inside it, else as given."""
    relative = os.path.relpath(path)
    return str(path) if relative.startswith("..") else relative


def scenarios(outcomes: Sequence[Outcome]) -> list[str]:
    """The base configs the experiments' sweeps ran on (from their manifests), relative to the current folder."""
    found = []
    for outcome in outcomes:
        for name in outcome.experiment.sweeps:
            shown = shown_path(store.Folder(outcome.out / name).read_manifest()["base"])
            if shown not in found:
                found.append(shown)
    return found


def write_results(outcomes: Sequence[Outcome], path: str | Path, *, command: Sequence[str],
                  seconds: float) -> Path:
    """Write the results document at ``path`` (figures under ``<its folder>/img/results``)."""
    path = Path(path)
    base = ", ".join(f"`{b}`" for b in scenarios(outcomes)) or "none"
    folder = path.parent
    images = folder / "img" / "results"
    git = store.git_state(Path(__file__).parent)
    doc = Document("Results", folder)
    runs = sum(o.runs for o in outcomes)
    ran = sum(o.ran for o in outcomes)
    resumed = "" if ran == runs else f" ({ran:,} run by this command, the others resumed from {shown_folder(outcomes)})"
    doc.add(Paragraph(OPENING),
            Paragraph(f"Command: `{shlex.join(command)}` (or `make results`). Scenario (base config): {base}. "
                      f"Code: git commit `{(git.get('commit') or 'unknown')[:12]}`"
                      f"{' with uncommitted changes' if git.get('dirty') else ''}. Written "
                      f"{datetime.datetime.now(datetime.UTC).strftime('%Y-%m-%d %H:%M UTC')} on "
                      f"{platform.node()} ({os.cpu_count()} CPUs): {runs:,} runs{resumed} in "
                      f"{seconds / 60:.1f} minutes (wall clock, including analysis)."),
            Paragraph("Counts are in people (agents times people per agent), money in billion or million KRW at "
                      "2024 prices as labelled, shares in percent. Each experiment's folder also holds its sweep's "
                      "own report (report.md, report.html), every table as CSV and LaTeX "
                      "(`OUT/<experiment>/summary/tables/`, with `tables_document.tex` that compiles them all) "
                      "and every figure as PNG and PDF."),
            Paragraph("**Two kinds of interval.** The policy results (the first three experiments) draw the "
                      "weights: a particle of the calibration's posterior for the fitted weights (all together, as "
                      "calibrated) and a value from its prior range for each input the calibration carries (a weight "
                      "no target pins, or an assumed input with a prior range: docs/calibration.md) and for the "
                      "assumed hours peaks; an assumed input with a prior range that no draw varies would be named "
                      "in the first section. Their intervals hold 90% of the draws, and the "
                      "probabilities they "
                      "give (that a lever is the best, that it beats another) are shares of draws: they say how "
                      "far a conclusion depends on what the data leave open. The vicious cycle, a mechanism rather "
                      "than a policy, runs at the posterior medians (configs/calibrated.toml); its intervals are 95% "
                      "confidence intervals of simulation noise only (t-based over replicates, paired on common "
                      "random numbers) and hold at those values, not beyond them. Sensitivity indices carry SALib's "
                      "95% bootstrap intervals. The comparison at the posterior medians alone "
                      "(`python -m experiments.named policy_comparison`) is no longer part of this document."))
    doc.add(Heading("Contents"),
            Paragraph("\n".join(f"{i}. [{o.experiment.title}](#{_anchor(o.experiment.title)})"
                                for i, o in enumerate(outcomes, start=1))))
    for outcome in outcomes:
        e = outcome.experiment
        files = ", ".join(f"`results/{e.name}/sweeps/{n}.toml` (written from the sweep before it)"
                          if n in e.derived else f"`configs/sweeps/{n}.toml`" for n in e.sweeps)
        doc.add(Heading(e.title),
                Paragraph(f"*{e.question}* One command: `python -m experiments.named {e.name} --out "
                          f"results/{e.name}`; sweep file{'s' if len(e.sweeps) > 1 else ''} {files}; "
                          f"{outcome.runs:,} runs, {outcome.seconds:.0f} s."),
                *relocate(outcome, folder, images))
    path.write_text(f"{MARKER}\n{doc.markdown()}", encoding="utf-8")
    return path


def shown_folder(outcomes: Sequence[Outcome]) -> str:
    """The folder the experiments ran into (their common parent), as the document shows it."""
    parents = {shown_path(o.out.parent) for o in outcomes}
    return ", ".join(f"`{p}`" for p in sorted(parents))


def _anchor(title: str) -> str:
    return "".join(c for c in title.lower().replace(" ", "-") if c.isalnum() or c == "-")
