"""``talentflow report SWEEP_DIR [--out DIR]``: the tables and figures of a finished sweep, as one bundle.

The bundle (default ``SWEEP_DIR/report``)::

    report.md, report.html     the report (Markdown links the figures; the HTML page embeds them)
    tables/*.md|csv|tex        each table as Markdown, CSV (full precision) and LaTeX
    figures/*.png|pdf          each figure as PNG and PDF
    manifest.json              a copy of the sweep's manifest (sweep file, seeds, versions, git commit)
    reproduce.sh               the commands that rebuild the sweep and this report
    report.json                what was written, and the command that wrote it

What the report holds depends on the sweep's design: replicate statistics (every design with
replicates); the policy comparison against the ``baseline`` arm and the cost-effectiveness chart (arms);
time series with confidence bands (a few points); a heat map (a grid over two parameters); Sobol or
Morris indices (sobol, morris). A folder that is not a sweep, or a sweep with runs pending or failed,
is refused with one line (:class:`experiments.store.FolderError`) before anything is written.
"""

from __future__ import annotations

import json
import os
import re
import shlex
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments import store
from experiments.analysis import comparison, figures, robustness, sensitivity, stats, tables
from experiments.analysis.document import Document, Figure, Heading, Paragraph, Table
from experiments.analysis.measures import add_phd_share, country, infer_origin, measure, parameter_label
from simulation.outputs import MARKERS, OutputError, output_folder

#: Years after the start shown in the replicate statistics (besides the last year).
CHECKPOINTS: tuple[int, ...] = (10, 20)
#: Most points shown one by one in tables and time series (larger designs are summarised).
MAX_POINTS_SHOWN = 40
MAX_LINES = 8
#: The reference arm of a policy comparison.
BASELINE = "baseline"
#: The project root (configs/, experiments/): reports name the files inside it relative to it.
PROJECT_ROOT = Path(__file__).resolve().parents[2]


# ------------------------------------------------------------------ the folder
def finished_sweep(folder: str | Path) -> dict[str, Any]:
    """The manifest of a sweep folder whose runs all finished; raises FolderError (one line) otherwise."""
    path = Path(folder)
    if not path.is_dir():
        raise store.FolderError(f"{path}: no such folder (give a folder written by talentflow sweep)")
    sweep = store.Folder(path)
    if not sweep.exists():
        raise store.FolderError(f"{path}: not a sweep folder (no {store.MANIFEST}; give a folder written by "
                                "talentflow sweep)")
    manifest = sweep.read_manifest()
    if not isinstance(manifest, dict) or not isinstance(manifest.get("runs"), list) or "design" not in manifest:
        raise store.FolderError(f"{path / store.MANIFEST}: is not a sweep manifest (no runs or design)")
    latest = sweep.latest()
    total = len(manifest["runs"])
    done = sum(1 for r in manifest["runs"] if latest.get(r["run"], {}).get("status") == "ok")
    failed = sum(1 for r in manifest["runs"] if latest.get(r["run"], {}).get("status") == "failed")
    if done < total:
        holder = sweep.running()
        if holder is not None:
            raise store.FolderError(f"{path}: a sweep is still running into it ({holder}; {done} of {total} runs "
                                    "done); report it once it has finished")
        name = manifest.get("sweep", {}).get("path", "SWEEP_FILE")
        hint = (f"finish it with: talentflow sweep {name} --out {path}" +
                (" --retry-failed" if failed else ""))
        raise store.FolderError(f"{path}: unfinished sweep ({done} of {total} runs done, {failed} failed, "
                                f"{total - done - failed} pending); {hint}")
    return manifest


# ------------------------------------------------------------------ helpers
def main_outputs(origin: str) -> list[str]:
    """The outputs every report shows."""
    return [f"researchers_{origin}", f"top_talent_{origin}", "share_abroad", f"mentor_quality_{origin}",
            f"phd_share_{origin}", "spending_total"]


def sensitivity_outputs(origin: str) -> list[str]:
    """The outputs whose sensitivity indices are computed."""
    return [f"researchers_{origin}", f"top_talent_{origin}", "share_abroad", f"phd_share_{origin}"]


def point_names(manifest: Mapping[str, Any]) -> dict[int, str]:
    """A short name a point: the arm (``salary match``), or the varied values (``wage weight = 1.5``)."""
    names = {}
    for row in manifest["design_table"]:
        if manifest["design"] == "arms":
            names[int(row["point"])] = str(row["arm"]).replace("_", " ")
        elif manifest["design"] == "uncertainties":
            names[int(row["point"])] = f"{str(row['setting']).replace('_', ' ')}, draw {row['uncertainty']}"
        else:
            names[int(row["point"])] = ", ".join(f"{parameter_label(k)} = {tables.value(row[k])}"
                                                 for k in manifest["parameters"])
    return names


def checkpoint_years(data: pd.DataFrame) -> list[int]:
    """Calendar years shown: the checkpoints within the run and its last year."""
    first, last = int(data["year"].min()), int(data["year"].max())
    years = [first + h for h in CHECKPOINTS if first < first + h < last]
    return [*years, last]


def _cells(summary: pd.DataFrame, output: str) -> list[str]:
    k = measure(output).scale
    return [tables.interval(m * k, lo * k, hi * k) for m, lo, hi in
            zip(summary["mean"], summary["ci_low"], summary["ci_high"], strict=True)]


def figure_block(root: Path, png: Path, caption: str) -> Figure:
    """A figure block for ``png`` (saved with its PDF beside it), paths relative to ``root``."""
    relative = png.relative_to(root).as_posix()
    return Figure(relative, caption, (relative, png.with_suffix(".pdf").relative_to(root).as_posix()))


def table_block(root: Path, shown: pd.DataFrame, full: pd.DataFrame, stem: str, caption: str) -> Table:
    """Write ``shown`` (Markdown, LaTeX) and ``full`` (CSV) under ``root/tables``; the block that shows them."""
    paths = tables.write_all(shown, full, root / "tables", stem, caption)
    return Table(shown, caption, tuple(p.relative_to(root).as_posix() for p in paths))


# ------------------------------------------------------------------ sections
def overview(doc: Document, manifest: Mapping[str, Any], folder: Path, years: int, bundle: Path) -> None:
    sweep = manifest["sweep"]
    git = manifest.get("git") or {}
    commit = git.get("commit") or "unknown"
    dirty = " (with uncommitted changes)" if git.get("dirty") else ""
    if sweep.get("description"):
        doc.add(Paragraph(sweep["description"]))
    doc.add(Paragraph(f"Sweep `{sweep['name']}` from {shown_path(sweep['path'], bundle)} (sha256 "
                      f"`{sweep['sha256'][:12]}`), folder {shown_path(folder, bundle)}: {manifest['design']} "
                      f"design, {len(manifest['design_table'])} points x "
                      f"{manifest['replicates']} replicate{'s' if manifest['replicates'] != 1 else ''} = "
                      f"{len(manifest['runs'])} runs of {years} years, "
                      f"{manifest.get('researchers') or 'the base config\'s'} researcher agents at the start; base "
                      f"config {shown_path(manifest['base'], bundle)}; root seed {manifest['seed']}, common random "
                      f"numbers {'on' if manifest['common_random_numbers'] else 'off'}; code at git commit "
                      f"`{commit[:12]}`{dirty}. Intervals are {stats.LEVEL:.0%} confidence intervals."))


def replicate_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                      outputs: Sequence[str]) -> None:
    doc.add(Heading("Replicate statistics"))
    summary = stats.replicate_summary(data, outputs, by=("point", "year"))
    names = point_names(manifest)
    years = checkpoint_years(data)
    shown = summary[summary["year"].isin(years)]
    full_rows = len(manifest["design_table"]) <= MAX_POINTS_SHOWN
    if manifest["replicates"] < 2:
        doc.add(Paragraph("One replicate a point: the values of the runs, no confidence intervals."))
        if full_rows:
            wide = pd.DataFrame({"point": [names[p] for p in shown["point"][shown["output"] == outputs[0]]],
                                 "year": shown["year"][shown["output"] == outputs[0]].to_numpy()})
            for output in outputs:
                wide[measure(output).axis] = [tables.number(v * measure(output).scale)
                                              for v in shown[shown["output"] == output]["mean"]]
            doc.add(table_block(root, wide, summary, "replicate_statistics", "Values of the runs"))
        return
    worst = shown.groupby("output")["relative_half_width"].max()
    doc.add(Paragraph(f"Mean over {manifest['replicates']} replicates with its t-based {stats.LEVEL:.0%} "
                      "interval, per point, in the years shown; the relative half-width (half the interval over "
                      "the mean) says whether the replicates suffice. Largest relative half-width: "
                      + "; ".join(f"{measure(o).label} {100 * worst[o]:.1f}%" for o in outputs
                                  if o in worst and np.isfinite(worst[o]))
                      + ". The CSV holds every year."))
    if full_rows:
        wide = pd.DataFrame({"point": [names[p] for p in shown["point"][shown["output"] == outputs[0]]],
                             "year": shown["year"][shown["output"] == outputs[0]].to_numpy()})
        for output in outputs:
            rows = shown[shown["output"] == output]
            wide[measure(output).axis] = _cells(rows, output)
        rel = shown.groupby(["point", "year"])["relative_half_width"].max().to_numpy()
        wide["largest relative half-width (%)"] = [tables.number(100 * v) for v in rel]
        doc.add(table_block(root, wide, summary, "replicate_statistics",
                            f"Mean ({stats.LEVEL:.0%} interval) over replicates"))
    else:
        summary.to_csv(root / "tables" / "replicate_statistics.csv", index=False)
        doc.add(Paragraph("Too many points to list; see [replicate_statistics.csv](tables/replicate_statistics.csv)."))


def time_series_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                        outputs: Sequence[str], stem: str = "time_series") -> None:
    if manifest["replicates"] < 2 or data["year"].nunique() < 2 or len(manifest["design_table"]) > MAX_LINES:
        return
    outputs = [o for o in outputs if data[o].nunique(dropna=True) > 1]
    summary = stats.replicate_summary(data, outputs, by=("point", "year"))
    png = figures.time_series(summary, outputs, point_names(manifest), root / "figures" / stem)
    doc.add(Heading("Time series"),
            figure_block(root, png, f"Mean over {manifest['replicates']} replicates per point, with "
                                    f"{stats.LEVEL:.0%} confidence bands."))


def comparison_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                       origin: str) -> None:
    doc.add(Heading(f"Policies against the {BASELINE}"))
    if manifest["keep"] != "yearly":
        doc.add(Paragraph("The sweep kept the last year only: the comparison needs every year (keep = \"yearly\")."))
        return
    design = pd.DataFrame(manifest["design_table"])
    pairs = comparison.arm_pairs(design, BASELINE)
    names = point_names(manifest)
    paired = bool(manifest["common_random_numbers"])
    outcomes = comparison.run_outcomes(data, origin)
    result = comparison.compare(outcomes, pairs, origin=origin, paired=paired)
    result.insert(1, "arm", result["point"].map(names))
    how = ("paired differences per replicate on common random numbers" if paired else
           "differences of independent means (Welch), the sweep having no common random numbers")
    doc.add(Paragraph(f"Each policy arm minus the {BASELINE} arm, {how}; {stats.LEVEL:.0%} intervals. Researcher-"
                      "years are summed over the simulated years; spending over the whole run. The cost per "
                      "extra researcher-year is total spending over extra researcher-years (a ratio of means, "
                      "Fieller's interval; unbounded when the extra researcher-years are not clearly non-zero)."))
    wide = tables.comparison_wide(result, names)
    doc.add(table_block(root, wide, result, "policy_comparison",
                        f"Policies against the {BASELINE}: estimate ({stats.LEVEL:.0%} interval)"))
    horizons = comparison.horizons_within(outcomes)
    if horizons and paired:
        h = horizons[-1]
        points = comparison.cost_effectiveness(outcomes, pairs, h)
        points.insert(0, "name", points["point"].map(names))
        png = figures.cost_effectiveness(
            points, f"extra top-decile researchers in {country(origin)}, year {h} (people)",
            f"spending, years 1-{h} (billion KRW)", root / "figures" / "cost_effectiveness")
        doc.add(figure_block(root, png, f"Spending up to year {h} against the extra top-decile researchers in "
                                        f"{country(origin)} in year {h}, each policy against the {BASELINE}; bars are "
                                        f"{stats.LEVEL:.0%} intervals of the paired differences."))


def heat_map_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                     outputs: Sequence[str]) -> None:
    x, y = manifest["parameters"][1], manifest["parameters"][0]
    last = int(data["year"].max())
    doc.add(Heading("Heat maps"))
    at = data[data["year"] == last]
    for output in outputs:
        shown = measure(output)
        grid = at.groupby([y, x])[output].mean().unstack(x) * shown.scale
        if not np.isfinite(grid.to_numpy(dtype=float)).any() or np.nanstd(grid.to_numpy(dtype=float)) == 0:
            continue
        png = figures.heat_map(grid, x, y, shown.axis, root / "figures" / f"heat_map_{output}",
                               title=f"{shown.label[:1].upper() + shown.label[1:]}, {last}")
        doc.add(figure_block(root, png, f"{shown.label[:1].upper() + shown.label[1:]} in {last}, mean over "
                                        f"{manifest['replicates']} replicates, over the two varied parameters."))


def sensitivity_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                        outputs: Sequence[str], indices: pd.DataFrame | None = None) -> None:
    """Sobol or Morris indices of ``outputs`` (those in ``data``): a table and a chart.

    ``indices``, if given, are :func:`experiments.analysis.sensitivity.analyse` of the same data and outputs,
    already computed by the caller.
    """
    design = manifest["design"]
    last = int(data["year"].max())
    if indices is None:
        indices = sensitivity.analyse(data, manifest, [o for o in outputs if o in data.columns])
    bounds = sensitivity.sweep_bounds(manifest)
    ranges = "; ".join(f"{parameter_label(k)} {tables.value(lo)} to {tables.value(hi)}"
                       for k, (lo, hi) in bounds.items())
    labelled = indices.assign(output=[measure(o).label for o in indices["output"]],
                              parameter=[parameter_label(p) for p in indices["parameter"]])
    if design == "sobol":
        doc.add(Heading("Sobol indices"),
                Paragraph(f"Variance-based indices of each output in {last} over the varied parameters (ranges: "
                          f"{ranges}), from Saltelli's sample of {len(manifest['design_table'])} points; first "
                          "order: the share of the output's variance due to the parameter alone; total: with all "
                          f"its interactions. Intervals: SALib's bootstrap ({sensitivity.RESAMPLES} resamples)."))
        shown = pd.DataFrame({
            "output": labelled["output"], "parameter": labelled["parameter"],
            "first order": [tables.interval(*v) for v in labelled[["S1", "S1_low", "S1_high"]].to_numpy()],
            "total": [tables.interval(*v) for v in labelled[["ST", "ST_low", "ST_high"]].to_numpy()]})
        doc.add(table_block(root, shown, indices, "sobol_indices", "Sobol indices (95% bootstrap interval)"))
        png = figures.sobol_chart(indices, root / "figures" / "sobol_indices")
        doc.add(figure_block(root, png, "First-order and total Sobol indices with 95% bootstrap intervals."))
    else:
        doc.add(Heading("Morris screening"),
                Paragraph(f"Elementary effects of each output in {last} (ranges: {ranges}), from "
                          f"{len(manifest['design_table'])} points on Morris trajectories: mu* is the mean "
                          "absolute change of the output when one parameter moves across its whole range, sigma "
                          "the spread of those changes (large sigma: interactions or non-linearity)."))
        shown = pd.DataFrame({
            "output": [f"{measure(o).label} ({measure(o).unit})" for o in indices["output"]],
            "parameter": labelled["parameter"],
            "mu*": [tables.interval(*(v * measure(o).scale)) for o, v in
                    zip(indices["output"], indices[["mu_star", "mu_star_low", "mu_star_high"]].to_numpy(),
                        strict=True)],
            "mu": [tables.number(v * measure(o).scale) for o, v in zip(indices["output"], indices["mu"],
                                                                        strict=True)],
            "sigma": [tables.number(v * measure(o).scale) for o, v in zip(indices["output"], indices["sigma"],
                                                                           strict=True)]})
        doc.add(table_block(root, shown, indices, "morris_indices", "Morris screening: mu* (95% bootstrap interval)"))
        png = figures.morris_chart(indices, root / "figures" / "morris_indices")
        doc.add(figure_block(root, png, "Morris screening: mu* (with its 95% bootstrap interval) against sigma."))


def uncertainties_section(doc: Document, root: Path, manifest: Mapping[str, Any], data: pd.DataFrame,
                          origin: str) -> None:
    """Each lever setting's effects over the draws of the uncertain weights (median, 90% of draws)."""
    doc.add(Heading("Levers over the draws of the uncertain weights"))
    settings = {row["setting"] for row in manifest["design_table"]}
    if BASELINE not in {row["arm"] for row in manifest["design_table"]} or len(settings) < 2:
        doc.add(Paragraph(f"Effects need a [levers.{BASELINE}] table and at least one other lever."))
        return
    if manifest["keep"] != "yearly":
        doc.add(Paragraph("The sweep kept the last year only: effects need every year (keep = \"yearly\")."))
        return
    years = int(data["year"].max() - data["year"].min())
    horizon = min(comparison.HORIZONS[-1], years)
    measured = robustness.effects_of(country(origin), horizon, years)
    effects = robustness.lever_effects(robustness.run_table(data, horizon, origin), measured)
    summary = robustness.summarize(effects, [m.name for m in measured])
    labels = {m.name: f"{m.label} ({m.unit})" for m in measured}
    shown = pd.DataFrame({
        "lever": summary["setting"].str.replace("_", " "),
        "effect": summary["effect"].map(labels),
        "median (90% of draws)": [tables.interval(*v) for v in summary[["median", "low", "high"]].to_numpy()],
        "share of spread due to the weights": [tables.number(100 * v) + "%" if np.isfinite(v) else "n/a"
                                               for v in summary["param_share"]]})
    doc.add(Paragraph(f"Each lever minus the {BASELINE} at the same draw and replicate (common random numbers), "
                      f"over {summary['draws'].max()} draws; the share of spread due to the weights splits one "
                      "run's variance into the weights and simulation noise (needs two replicates or more)."),
            table_block(root, shown, summary, "lever_effects", "Lever effects over the draws: median (90% of draws)"))


# ------------------------------------------------------------------ the report
def build(folder: Path, manifest: Mapping[str, Any], data: pd.DataFrame, root: Path,
          bundle: Path | None = None) -> Document:
    """Compute the tables and draw the figures into ``root``; return the document that shows them.

    Paths in the text are relative to the project root, or to ``bundle`` (where the report goes; default
    ``root``) when outside it.
    """
    origin = infer_origin(data)
    data = add_phd_share(data)
    outputs = main_outputs(origin)
    years = int(data["year"].max()) - int(data["year"].min()) if data["year"].nunique() > 1 else manifest["years"]
    doc = Document(f"Report: {manifest['sweep']['name']}", root)
    overview(doc, manifest, folder, manifest["years"] if manifest["keep"] == "final" else years, bundle or root)
    design = manifest["design"]
    if design in ("sobol", "morris"):
        sensitivity_section(doc, root, manifest, data, sensitivity_outputs(origin))
    elif design == "uncertainties":
        uncertainties_section(doc, root, manifest, data, origin)
    else:
        replicate_section(doc, root, manifest, data, outputs)
        arms = [row.get("arm") for row in manifest["design_table"]]
        if design == "arms" and BASELINE in arms and len(arms) > 1:
            comparison_section(doc, root, manifest, data, origin)
        if design == "grid" and len(manifest["parameters"]) == 2:
            heat_map_section(doc, root, manifest, data, outputs[:3])
        time_series_section(doc, root, manifest, data, outputs)
    return doc


def portable(path: str | Path, bundle: Path) -> tuple[str, bool]:
    """``path`` as a bundle may show it: relative to the project root when inside it (True), else relative to
    the bundle (False). A relative ``path`` is taken as relative to the project root already (a manifest
    written before sweep paths were recorded resolved; the folders of this command come resolved)."""
    if not Path(path).is_absolute():
        return Path(path).as_posix(), True
    resolved = Path(path).resolve()
    if resolved.is_relative_to(PROJECT_ROOT):
        return resolved.relative_to(PROJECT_ROOT).as_posix(), True
    return Path(os.path.relpath(resolved, bundle.resolve())).as_posix(), False


def shown_path(path: str | Path, bundle: Path) -> str:
    """``path`` for the report's text, as Markdown code: relative to the project root, or said to be relative
    to the report."""
    text, in_project = portable(path, bundle)
    return f"`{text}`" if in_project else f"`{text}` (relative to this report)"


def _script_path(path: str | Path, bundle: Path) -> str:
    """``path`` as a quoted shell word, relative to the project root or to ``"$bundle"`` (the script's folder)."""
    text, in_project = portable(path, bundle)
    return shlex.quote(text) if in_project else f'"$bundle"/{shlex.quote(text)}'


def _comment(text: str) -> str:
    """``text`` safe on one comment line (control characters escaped)."""
    return "".join(ch if ch.isprintable() else f"\\x{ord(ch):02x}" for ch in text)


def _portable_command(command: Sequence[str], bundle: Path) -> list[str]:
    """``command`` with its absolute paths made relative (to the project root, or to the bundle)."""
    return [portable(arg, bundle)[0] if os.path.isabs(arg) else arg for arg in command]


def check_manifest_fields(manifest: Mapping[str, Any], folder: Path) -> None:
    """Refuse (FolderError, one line) manifest fields the report writes into reproduce.sh that talentflow sweep
    would not have written: a git commit that is not hexadecimal, a sha256 that is not 64 hexadecimal digits,
    a sweep path with control characters (a newline would start a new shell command)."""
    where = folder / store.MANIFEST
    git = manifest.get("git") or {}
    commit = git.get("commit") if isinstance(git, Mapping) else git
    if commit is not None and not (isinstance(commit, str) and re.fullmatch(r"[0-9a-f]{7,64}", commit)):
        raise store.FolderError(f"{where}: git.commit: must be a hexadecimal git commit id, got {commit!r}")
    sweep = manifest.get("sweep")
    if not isinstance(sweep, Mapping):
        raise store.FolderError(f"{where}: sweep: must be a table of the sweep file's path, name and sha256")
    if not (isinstance(sweep.get("sha256"), str) and store.SHA256.fullmatch(sweep["sha256"])):
        raise store.FolderError(f"{where}: sweep.sha256: must be 64 hexadecimal digits, got {sweep.get('sha256')!r}")
    path = sweep.get("path")
    if not isinstance(path, str) or not path or not path.isprintable():
        raise store.FolderError(f"{where}: sweep.path: must be a file path without control characters, got "
                                f"{path!r}")


def bundle_manifest(manifest: Mapping[str, Any], bundle: Path) -> dict[str, Any]:
    """The sweep's manifest as the bundle holds it: its sweep file and base config paths relative to the project
    root (or to the bundle, when outside it); everything else as it is."""
    sweep = {**manifest["sweep"], "path": portable(manifest["sweep"]["path"], bundle)[0]}
    return {**manifest, "sweep": sweep, "base": portable(manifest["base"], bundle)[0]}


def reproduce_script(manifest: Mapping[str, Any], folder: Path, out: Path, command: Sequence[str]) -> str:
    """The commands that rebuild the sweep and this report, as a shell script.

    Every path is a quoted shell word, relative to the project root, or to the script's own folder (the
    bundle, ``out``) when it lies outside the project; manifest fields are checked by :func:`check_manifest_fields`.
    """
    git = manifest.get("git") or {}
    lines = ["#!/bin/sh", "# Rebuild this report: run from the project root, at the git commit below, with the",
             "# sweep file unchanged (its text and sha256 are in manifest.json). Paths are relative to the project",
             '# root, or to this script\'s folder ("$bundle") when outside it.',
             f"# git commit: {git.get('commit') or 'unknown'}{' (uncommitted changes)' if git.get('dirty') else ''}",
             f"# sweep file sha256: {manifest['sweep']['sha256']}", "set -e", 'bundle=$(dirname -- "$0")',
             f"talentflow sweep {_script_path(manifest['sweep']['path'], out)} --out {_script_path(folder, out)}",
             f"talentflow report {_script_path(folder, out)} --out {_script_path(out, out)}"]
    if command:
        lines += ["", f"# this report was written by: {_comment(shlex.join(_portable_command(command, out)))}"]
    return "\n".join(lines) + "\n"


def write_report(folder: str | Path, out: str | Path | None = None, command: Sequence[str] = ()) -> Path:
    """Write the report bundle of the finished sweep in ``folder`` into ``out`` (default ``folder/report``).

    Raises :class:`experiments.store.FolderError` for a folder that is not a finished sweep and
    :class:`simulation.outputs.OutputError` for an ``out`` that must not be written, before writing anything.
    """
    folder = Path(folder)
    manifest = finished_sweep(folder)
    check_manifest_fields(manifest, folder)
    out = Path(out) if out is not None else folder / "report"
    where, bundle = folder.resolve(), out.resolve()
    if bundle.parent == where and bundle.exists() and not (bundle / "report.json").is_file():
        raise OutputError(out, f"is {bundle.name}, part of the sweep folder {folder}; give a new folder (the default "
                               "is SWEEP_DIR/report) or one outside it")
    data = store.load(folder)
    with output_folder(out, "report.json") as staging:
        for sub in ("tables", "figures"):
            (staging / sub).mkdir()
        doc = build(where, manifest, data, staging, bundle)
        (staging / "report.md").write_text(doc.markdown(), encoding="utf-8")
        (staging / "report.html").write_text(doc.html(), encoding="utf-8")
        store.write_json_atomic(staging / "manifest.json", bundle_manifest(manifest, bundle))
        (staging / "reproduce.sh").write_text(reproduce_script(manifest, where, bundle, command), encoding="utf-8")
        files = sorted(p.relative_to(staging).as_posix() for p in staging.rglob("*") if p.is_file())
        meta = {"kind": MARKERS["report.json"], "sweep": portable(where, bundle)[0],
                "command": _portable_command(command, bundle),
                "files": [*files, "report.json"]}
        (staging / "report.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    return out
