"""What a named experiment is, and how one is run: its sweeps, then its report and its results section.

An experiment names sweep files in ``configs/sweeps/`` and a ``section`` function that turns their
finished folders into the tables and figures of docs/results.md. Running it into ``OUT``::

    OUT/<sweep>/                the sweep folder (resumable: run the command again to finish it)
    OUT/<sweep>/report/         the generic report of the sweep (talentflow report)
    OUT/summary/                the experiment's section: results.md, results.html, figures/, tables/
    OUT/sweeps/<sweep>.toml     only with --base: the sweep file with that base config

With ``base`` the sweep files run on another scenario (configs/calibrated.toml, say) without being edited:
a copy of each with its ``base`` line replaced is written to ``OUT/sweeps`` and run from there.
"""

from __future__ import annotations

import json
import os
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from experiments import executors, runner, store
from experiments.analysis import tables
from experiments.analysis.document import Document
from experiments.analysis.report import write_report
from experiments.sweepfile import read_sweep
from simulation.config import ConfigError, read_toml
from simulation.outputs import MARKERS, OutputError, check_output_folder, long_name, output_folder, previous_kind

#: The project's sweep files.
SWEEPS = Path(__file__).resolve().parent.parent.parent / "configs" / "sweeps"


@dataclass
class Context:
    """The finished sweeps of an experiment, by sweep name."""

    folders: dict[str, Path]
    manifests: dict[str, dict[str, Any]] = field(default_factory=dict)

    def load(self, sweep: str) -> pd.DataFrame:
        """The tidy results of one of the experiment's sweeps."""
        return store.load(self.folders[sweep])


Section = Callable[[Document, Path, Context], None]


#: Writes a sweep file's text from the finished sweeps before it (see :attr:`Experiment.derived`).
Derive = Callable[[Context], str]


@dataclass(frozen=True)
class Experiment:
    """A named experiment: a title, what it asks, its sweep files (by name) and its results section.

    ``derived`` names sweeps that are not files in configs/sweeps but written, once the sweeps before them have
    finished, by a function of their results (into ``OUT/sweeps/NAME.toml``): a search, then a run of what it
    found. Written again on a resumed run, from the same results, they are the same file and resume too.
    """

    name: str
    title: str
    question: str
    sweeps: tuple[str, ...]
    section: Section
    derived: dict[str, Derive] = field(default_factory=dict)


@dataclass(frozen=True)
class Outcome:
    """What running an experiment produced."""

    experiment: Experiment
    out: Path
    summary: Path
    document: Document
    seconds: float
    runs: int
    sweep_files: dict[str, Path]
    ran: int = 0  # runs this command ran (the others were done before: a resumed experiment)


def sweep_file(name: str) -> Path:
    """The sweep file of a sweep name (configs/sweeps/NAME.toml)."""
    return SWEEPS / f"{name}.toml"


def own_base(path: Path) -> Path | None:
    """The base config a sweep file names, resolved (None when it names none)."""
    name = read_toml(path).get("base")
    return (path.parent / name).resolve() if isinstance(name, str) else None


def based_text(path: Path, base: Path, folder: Path) -> str:
    """The text of the copy of the sweep file at ``path`` whose ``base`` is ``base``, to be written into ``folder``.

    Writes nothing. Refuses (ConfigError) sweep files whose arms name config files: those paths would not follow
    the copy.
    """
    text = path.read_text(encoding="utf-8")
    if re.search(r"(?m)^\s*config\s*=", text):
        raise ConfigError(str(path), "arms", "names config files; --base only applies to sweeps of overrides")
    if not re.search(r'(?m)^base\s*=\s*"[^"]*"\s*(#.*)?$', text):
        raise ConfigError(str(path), "base", "must be one line base = \"FILE\" to be replaced by --base")
    relative = os.path.relpath(base.resolve(), folder.resolve())
    text = re.sub(r'(?m)^base\s*=\s*"[^"]*"', f'base = "{relative}"', text, count=1)
    return f"# {path.name} with base = {base} (talentflow experiment --base)\n" + text


def check_out(experiment: Experiment, out: Path) -> None:
    """Refuse (FolderError) an output folder the experiment must not write into; writes nothing.

    ``out`` must be absent or a folder that is not itself a sweep folder or another command's output, and its
    ``summary`` absent, empty or this experiment's own (another experiment's summary is never replaced).
    """
    too_long = long_name(out)
    if too_long is not None:
        raise store.FolderError(f"{out}: cannot be used ({too_long}); use another --out folder")
    blocking = next((p for p in (out, *out.parents) if p.exists() or p.is_symlink()), None)
    if blocking is not None and not blocking.is_dir():
        what = "is a file" if blocking == out else f"is inside {blocking}, which is a file"
        raise store.FolderError(f"{out}: {what}, not a folder; give --out a new folder or this experiment's folder")
    if not out.is_dir():
        return
    if (out / store.MANIFEST).exists():
        raise store.FolderError(f"{out}: is a sweep folder (written by talentflow sweep); give --out a new folder "
                                "or this experiment's folder")
    kind = previous_kind(out)
    if kind is not None:
        raise store.FolderError(f"{out}: holds the output of {kind}; give --out a new folder or this experiment's "
                                "folder")
    for sub in ("summary", "sweeps"):
        if (out / sub).exists() and not (out / sub).is_dir():
            raise store.FolderError(f"{out / sub}: is a file, not a folder; give --out a new folder or this "
                                    "experiment's folder")
    summary = out / "summary"
    try:
        check_output_folder(summary, "report.json")
    except OutputError as err:
        raise store.FolderError(str(err)) from None
    if summary.is_dir() and any(summary.iterdir()):
        try:
            meta = json.loads((summary / "report.json").read_text(encoding="utf-8"))
        except (OSError, ValueError):
            meta = {}
        owner = meta.get("experiment") if isinstance(meta, dict) else None
        if owner != experiment.name:
            held = f"the summary of experiment {owner}" if isinstance(owner, str) else "a report of another command"
            raise store.FolderError(f"{summary}: holds {held}, which experiment {experiment.name} does not replace; "
                                    "give --out a new folder")


@dataclass(frozen=True)
class DaskCluster:
    """Where runs go on Dask: a scheduler's address, or a local cluster of ``local_workers`` processes."""

    scheduler: str | None = None
    local_workers: int | None = None
    connect_timeout: float = 10.0
    wait: float = 60.0


def derived_text(derive: Derive, finished: dict[str, Path]) -> str:
    """The text of a derived sweep file, from the finished sweeps before it."""
    return derive(Context(dict(finished), {n: store.Folder(p).read_manifest() for n, p in finished.items()}))


def run_experiment(experiment: Experiment, out: str | Path, *, base: str | Path | None = None,
                   workers: int | None = None, in_process: bool = False, progress: bool = True,
                   command: tuple[str, ...] = (), dask: DaskCluster | None = None) -> Outcome:
    """Run (or resume) the experiment's sweeps into ``out``, write their reports and the experiment's section.

    Runs go to ``workers`` local processes (default: one a CPU), run in this process with ``in_process``, or go
    to a Dask cluster with ``dask`` (the same seeds: the same results on any of them).
    """
    out = Path(out)
    start = time.perf_counter()
    check_out(experiment, out)
    files, copies, sweeps = {}, {}, {}
    for name in experiment.sweeps:
        if name in experiment.derived:
            continue  # written once the sweeps before it have finished
        path = sweep_file(name)
        if base is not None and Path(base).resolve() != own_base(path):
            copies[name] = based_text(path, Path(base), out / "sweeps")
            path = out / "sweeps" / path.name
            sweeps[name] = read_sweep(path, text=copies[name])
        else:
            sweeps[name] = read_sweep(path)
        files[name] = path
    for name, sweep in sweeps.items():  # check every folder before writing or running anything
        runner.check_folder(sweep, out / name)
    for name, text in copies.items():  # only then the copies of the sweep files with the new base
        files[name].parent.mkdir(parents=True, exist_ok=True)
        files[name].write_text(text, encoding="utf-8")
    workers = workers or os.cpu_count() or 1
    runs = ran = 0
    finished: dict[str, Path] = {}
    for name in experiment.sweeps:
        folder = out / name
        if name in experiment.derived:
            files[name] = out / "sweeps" / f"{name}.toml"
            text = derived_text(experiment.derived[name], finished)
            sweeps[name] = read_sweep(files[name], text=text)
            runner.check_folder(sweeps[name], folder)  # before the file is written
            files[name].parent.mkdir(parents=True, exist_ok=True)
            files[name].write_text(text, encoding="utf-8")
        sweep = sweeps[name]
        if in_process:
            summary = runner.run_sweep(sweep, folder, executors.InProcess(), workers=1, progress=progress,
                                       executor_name="in-process")
        elif dask is not None:
            where = f"dask {dask.scheduler}" if dask.scheduler else f"dask local {dask.local_workers}"
            with executors.dask_executor(dask.scheduler, dask.local_workers, dask.connect_timeout,
                                         dask.wait) as (executor, dask_workers):
                summary = runner.run_sweep(sweep, folder, executor, workers=dask_workers, progress=progress,
                                           executor_name=where)
        else:
            with executors.process_pool(workers) as executor:
                summary = runner.run_sweep(sweep, folder, executor, workers=workers, progress=progress,
                                           executor_name=f"processes {workers}")
        if summary.lost:
            raise store.FolderError(f"{folder}: {summary.pending} runs left pending, the executor lost a task "
                                    f"({summary.lost}); run the same command again to resume them")
        if summary.failed or summary.pending:
            raise store.FolderError(f"{folder}: {summary.failed} runs failed; see talentflow status {folder}")
        runs += summary.total
        ran += summary.ran
        finished[name] = folder
        write_report(folder, folder / "report", command=("talentflow", "report", str(folder), "--out",
                                                           str(folder / "report")))
    context = Context({name: out / name for name in sweeps},
                      {name: store.Folder(out / name).read_manifest() for name in sweeps})
    summary_folder = out / "summary"
    with output_folder(summary_folder, "report.json") as staging:
        for sub in ("figures", "tables"):
            (staging / sub).mkdir()
        doc = Document(experiment.title, staging)
        experiment.section(doc, staging, context)
        tables.write_latex_document(staging / "tables")
        (staging / "results.md").write_text(doc.markdown(), encoding="utf-8")
        (staging / "results.html").write_text(doc.html(), encoding="utf-8")
        meta = {"kind": MARKERS["report.json"], "experiment": experiment.name, "command": list(command),
                "sweeps": {name: str(path) for name, path in files.items()}}
        (staging / "report.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    doc.root = summary_folder
    return Outcome(experiment, out, summary_folder, doc, time.perf_counter() - start, runs, files, ran)
