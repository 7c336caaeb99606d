"""Identification: do the calibration's 90 percent intervals hold known weights? A simulation-based check.

The calibration's posterior is the ABC posterior at its final tolerance: the
prior restricted to parameter values whose simulated targets fall within that
distance of the observed ones (ABC-SMC is a sampler of it). This check draws a
*reference table* once: ``--draws`` parameter sets from the priors (the carried
parameters drawn inside each simulation, as in the calibration), each simulated
on a seed of its own. Each of the first ``--datasets`` rows then serves as a
synthetic data set with a known truth: its simulated targets are the
observations, the other rows within the tolerance of them are its ABC posterior
(rejection ABC, Pritchard et al. 1999), and the check records whether each
weight's 90 percent interval holds the truth and how much narrower than the
prior it is. A weight whose intervals are nearly as wide as its prior is one the
targets cannot pin.

The same table gives the rejection posterior of the real observations at the
same tolerance; set beside the committed ABC-SMC posterior
(``configs/calibrated.posterior.csv``) it shows whether the sampler found the
posterior the tolerance defines. Two more readings of it: which weights, fitted or
carried, the targets respond to across the prior (standardized rank regression,
``sensitivity.csv``), and how far the targets spread between simulations at the
posterior medians with the carried weights drawn and held (``spread.csv``).

``python -m experiments.calibration.identification --draws 6000 --datasets 50 --out DIR``
(the table is written in chunks as they finish, so a killed check, or one that loses a
worker process, resumes with the rows still to do).
"""

from __future__ import annotations

import concurrent.futures
import dataclasses
import hashlib
import json
import math
import multiprocessing
import os
import re
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibration.abc import Simulator
from experiments.calibration.posterior import LOWER, UPPER, Posterior, weighted_quantile
from experiments.calibration.targets import Calibration, read_calibration
from simulation.chart import COLOURS
from simulation.cli import ArgumentParser, UsageError, whole_number
from simulation.config import ConfigError, config_as_raw, load_config
from simulation.outputs import previous_kind

ROOT = Path(__file__).resolve().parents[2]
#: Rows of the reference table written together (a killed check loses at most one chunk).
CHUNK = 100
#: Replicate numbers of the table's simulations start here (no calibration particle uses them).
REPLICATE = 5000
#: A synthetic data set with fewer rows than this within the tolerance takes this many nearest rows.
MIN_ACCEPTED = 30
#: Fewest draws with every target defined for the check to mean anything: a synthetic data set needs at least
#: one other row for its posterior.
MIN_DEFINED = 2


class IdentificationError(ValueError):
    """Bad input to the check (a folder of another table, a tolerance that cannot be read)."""


def truth(calibration: Calibration, row: int) -> dict[str, float]:
    """Row ``row``'s fitted parameter values: uniform draws from the priors, seeded by the row."""
    rng = np.random.default_rng(np.random.SeedSequence([calibration.seed, 7, row]))
    return {p.key: float(rng.uniform(p.low, p.high)) for p in calibration.priors}


# --------------------------------------------------------------------------------------------- the reference table
_SIMULATOR: Simulator | None = None
_CALIBRATION: Calibration | None = None


def _start_worker(simulator: Simulator, calibration: Calibration, command: int) -> None:
    """A worker's start: keep the simulator and calibration, and end with the ``command`` process."""
    from experiments.executors import end_with

    global _SIMULATOR, _CALIBRATION
    _SIMULATOR, _CALIBRATION = simulator, calibration
    end_with(command)


def table_row(row: int, simulator: Simulator | None = None, calibration: Calibration | None = None) -> dict:
    """One row of the reference table: the row's parameter values and the fitted targets simulated at them."""
    simulator, calibration = simulator or _SIMULATOR, calibration or _CALIBRATION
    values = truth(calibration, row)
    measured = simulator.measure(simulator.run(values, replicate=REPLICATE + row))
    return {"row": row, **values, **measured}


def settings_of(simulator: Simulator, calibration: Calibration) -> dict[str, object]:
    """What a table's rows depend on: a folder holding rows of other settings is refused."""
    scenario = json.dumps(simulator.base, sort_keys=True, default=str)
    priors = [(p.key, p.low, p.high) for p in (*calibration.priors, *calibration.carried)]
    return {"scenario_sha256": hashlib.sha256(scenario.encode()).hexdigest(), "priors": priors,
            "targets": [[name, function] for name, function in simulator.targets],
            "researchers": simulator.researchers, "window_years": simulator.window_years,
            "seed": simulator.seed, "chunk": CHUNK}


def build_table(simulator: Simulator, calibration: Calibration, draws: int, folder: Path, workers: int,
                progress: bool) -> pd.DataFrame:
    """The reference table of ``draws`` rows, computing (and writing, chunk by chunk) the rows not yet in
    ``folder``."""
    folder.mkdir(parents=True, exist_ok=True)
    settings = json.loads(json.dumps(settings_of(simulator, calibration)))
    stamp = folder / "settings.json"
    if stamp.is_file():
        if json.loads(stamp.read_text(encoding="utf-8")) != settings:
            raise IdentificationError(f"{folder}: holds a reference table of another scenario, targets file or "
                                      "size; give a new --out")
    else:
        stamp.write_text(json.dumps(settings, indent=1), encoding="utf-8")
    blocks = [range(start, min(start + CHUNK, draws)) for start in range(0, draws, CHUNK)]
    todo = [block for block in blocks if not chunk_path(folder, block).is_file()]
    if todo:
        from tqdm import tqdm

        bar = tqdm(total=sum(map(len, todo)), desc="reference table", unit="simulation", disable=not progress,
                   file=sys.stderr)
        pool: concurrent.futures.Executor | None = None
        if workers > 1:
            context = multiprocessing.get_context("forkserver")
            context.set_forkserver_preload(["experiments.calibration.abc", "simulation.model"])
            pool = concurrent.futures.ProcessPoolExecutor(workers, mp_context=context, initializer=_start_worker,
                                                          initargs=(simulator, calibration, os.getpid()))
        try:
            for block in todo:
                results = pool.map(table_row, block) if pool else (table_row(r, simulator, calibration)
                                                                   for r in block)
                done = []
                for result in results:
                    done.append(result)
                    bar.update()
                path = chunk_path(folder, block)
                partial = path.with_suffix(".partial")
                pd.DataFrame(done).to_csv(partial, index=False)
                partial.replace(path)  # whole chunks only
        finally:
            bar.close()
            if pool:
                pool.shutdown(cancel_futures=True)
    return pd.concat([pd.read_csv(chunk_path(folder, block)) for block in blocks], ignore_index=True)


def chunk_path(folder: Path, block: range) -> Path:
    """The file of the table's rows ``block`` (named by its first and last-plus-one row)."""
    return folder / f"rows_{block.start:06d}_{block.stop:06d}.csv"


# ------------------------------------------------------------------------------------------ rejection ABC on it
def distances(measured: np.ndarray, observed: np.ndarray, se: np.ndarray) -> np.ndarray:
    """The calibration's distance of every row to ``observed``: the root sum of squared gaps in standard errors
    (inf where a target is undefined), as ``abc.ScaledDistance``."""
    gaps = (measured - observed) / se
    d = np.sqrt(np.sum(gaps * gaps, axis=1))
    return np.where(np.isfinite(d), d, np.inf)


def accepted_rows(d: np.ndarray, tolerance: float, minimum: int = MIN_ACCEPTED) -> tuple[np.ndarray, float]:
    """Rows within ``tolerance``, or the ``minimum`` nearest if fewer are; returns them and the tolerance used."""
    inside = np.flatnonzero(d <= tolerance)
    if len(inside) >= minimum:
        return inside, tolerance
    nearest = np.argsort(d, kind="stable")[:minimum]
    nearest = nearest[np.isfinite(d[nearest])]
    return nearest, float(d[nearest].max()) if len(nearest) else math.inf


def quantiles(x: np.ndarray, weights: np.ndarray | None = None) -> tuple[float, float, float]:
    """The 5 percent, 50 percent and 95 percent points of draws ``x`` under normalised ``weights`` (equal weights
    when none are given), as the calibration's summary computes them."""
    w = np.full(len(x), 1.0 / len(x)) if weights is None else weights
    low, median, high = (weighted_quantile(x, w, q) for q in (LOWER, 0.5, UPPER))
    return low, median, high


def check_datasets(table: pd.DataFrame, calibration: Calibration, datasets: int, tolerance: float,
                   minimum: int = MIN_ACCEPTED) -> list[dict[str, object]]:
    """Each of the first ``datasets`` rows with every target defined, as a synthetic data set: its truth, the
    rejection posterior's intervals from the other rows, whether they hold the truth and how narrow they are."""
    names = [t.name for t in calibration.fitted]
    se = np.array([t.se for t in calibration.fitted])
    measured = table[names].to_numpy(dtype=float)
    usable = np.flatnonzero(np.all(np.isfinite(measured), axis=1))
    draws = {prior.key: table[prior.key].to_numpy(dtype=float) for prior in calibration.priors}
    results = []
    for j in usable[:datasets]:
        d = distances(measured, measured[j], se)
        d[j] = np.inf  # the data set's own row is not a draw of its posterior
        rows, used = accepted_rows(d, tolerance, minimum)
        parameters = {}
        for prior in calibration.priors:
            low, _, high = quantiles(draws[prior.key][rows])
            value = float(draws[prior.key][j])
            parameters[prior.key] = {"truth": value, "low_5": low, "high_95": high, "holds": low <= value <= high,
                                     "narrowing": (high - low) / ((UPPER - LOWER) * (prior.high - prior.low))}
        results.append({"dataset": int(table.at[j, "row"]), "accepted": len(rows), "tolerance": used,
                        "widened": used > tolerance, "parameters": parameters})
    return results


def coverage_table(results: list[dict[str, object]], calibration: Calibration) -> pd.DataFrame:
    """Per parameter: the share of data sets whose 90 percent interval holds the truth (with a 90 percent
    binomial interval) and the mean narrowing (interval width over the prior's 90 percent width)."""
    rows = []
    for prior in calibration.priors:
        holds = np.array([r["parameters"][prior.key]["holds"] for r in results], dtype=float)
        narrowing = np.array([r["parameters"][prior.key]["narrowing"] for r in results], dtype=float)
        n = len(holds)
        rate = float(holds.mean()) if n else float("nan")
        half = 1.645 * math.sqrt(max(rate * (1 - rate), 0.09 * 0.1) / n) if n else float("nan")
        rows.append({"parameter": prior.key, "data_sets": n, "coverage_90": rate, "coverage_low": max(rate - half, 0),
                     "coverage_high": min(rate + half, 1), "mean_narrowing": float(narrowing.mean()) if n else np.nan,
                     "identified": bool(n and narrowing.mean() < 0.75)})
    return pd.DataFrame(rows)


def observed_comparison(table: pd.DataFrame, calibration: Calibration, tolerance: float,
                        smc: Posterior | None) -> pd.DataFrame:
    """The rejection posterior of the real observations at ``tolerance`` beside the ABC-SMC posterior, per
    parameter: median and 90 percent interval of each."""
    names = [t.name for t in calibration.fitted]
    se = np.array([t.se for t in calibration.fitted])
    observed = np.array([t.value for t in calibration.fitted])
    d = distances(table[names].to_numpy(dtype=float), observed, se)
    rows_in, used = accepted_rows(d, tolerance)
    rows = []
    for prior in calibration.priors:
        row = {"parameter": prior.key, "table_rows_within": len(rows_in), "tolerance": used}
        row |= dict(zip(("rejection_low_5", "rejection_median", "rejection_high_95"),
                        quantiles(table[prior.key].to_numpy(dtype=float)[rows_in]), strict=True))
        if smc is not None:
            row |= dict(zip(("smc_low_5", "smc_median", "smc_high_95"),
                            quantiles(smc.particles[prior.key].to_numpy(dtype=float), smc.weights), strict=True))
        rows.append(row)
    return pd.DataFrame(rows)


def every_weight(table: pd.DataFrame, simulator: Simulator) -> pd.DataFrame:
    """The table's fitted weights and, beside them, the carried weights each row's simulation drew (they are drawn
    from the row's own seed, so they are recomputed, not stored)."""
    keys = [p.key for p in simulator.priors]
    carried = [simulator.carried_values(dict(zip(keys, values, strict=True)), replicate=REPLICATE + int(row))
               for row, values in zip(table["row"], table[keys].to_numpy(dtype=float), strict=True)]
    carried_keys = [p.key for p in simulator.carried]
    return pd.concat([table[keys].reset_index(drop=True), pd.DataFrame(carried, columns=carried_keys)], axis=1)


def rank_regression(weights: pd.DataFrame, targets: pd.DataFrame) -> pd.DataFrame:
    """Standardized rank regression coefficients (Saltelli et al. 2004, ch. 1): each target's ranks regressed on
    every weight's ranks, all scaled to unit variance, over the rows where every target is defined. A coefficient
    near 0 means the target does not respond to that weight across the prior; the last row is each fit's R^2."""
    from scipy.stats import rankdata

    defined = np.all(np.isfinite(targets.to_numpy(dtype=float)), axis=1)

    def standard(x: np.ndarray) -> np.ndarray:
        r = rankdata(x)
        return (r - r.mean()) / r.std()

    x = np.column_stack([standard(weights[c].to_numpy(dtype=float)[defined]) for c in weights])
    columns, r2 = {}, {}
    for name in targets:
        y = standard(targets[name].to_numpy(dtype=float)[defined])
        coefficients, *_ = np.linalg.lstsq(x, y, rcond=None)
        columns[name] = coefficients
        r2[name] = float(1 - np.var(y - x @ coefficients))
    frame = pd.DataFrame(columns, index=list(weights.columns))
    return pd.concat([frame, pd.DataFrame([r2], index=["R^2 of the rank regression"])])


def spread_at(simulator: Simulator, calibration: Calibration, values: dict[str, float],
              replicates: int = 16) -> pd.DataFrame:
    """How much the fitted targets vary between simulations at the same fitted weights ``values``, in each target's
    standard errors: with the carried weights drawn from their priors (as in the calibration) and with them held at
    their priors' midpoints (agents' own randomness only)."""
    midpoints = {p.key: (p.low + p.high) / 2 for p in calibration.carried}
    spreads = {}
    for label, fixed in (("carried weights drawn", {}), ("carried weights at their midpoints", midpoints)):
        runs = pd.DataFrame([simulator.measure(simulator.run(values | fixed, replicate=REPLICATE - 1 - r))
                             for r in range(replicates)])
        spreads[label] = runs.std()
    se = pd.Series({t.name: t.se for t in calibration.fitted})
    frame = pd.DataFrame(spreads).div(se, axis=0)
    frame.index.name = "target"
    return frame


def final_tolerance(summary: Path) -> float:
    """The last generation's epsilon in a calibration's summary (``summary.md`` or the committed
    ``configs/calibrated.summary.md``)."""
    if not summary.is_file():
        raise IdentificationError(f"{summary}: missing; give --tolerance or a calibration summary")
    lines = [line for line in summary.read_text(encoding="utf-8").splitlines() if line.startswith("|")]
    header = next((i for i, line in enumerate(lines) if re.match(r"\|\s*generation\s*\|\s*epsilon\s*\|", line)), None)
    rows = [line for line in lines[header + 2:] if re.match(r"\|\s*\d", line)] if header is not None else []
    if not rows:
        raise IdentificationError(f"{summary}: has no table of generations with an epsilon column; give --tolerance")
    return float(rows[-1].split("|")[2].replace(",", ""))


# ------------------------------------------------------------------------------------------------------- figure
def coverage_figure(table: pd.DataFrame, comparison: pd.DataFrame, calibration: Calibration, path: Path) -> None:
    """Coverage of the 90 percent intervals per parameter (target 0.9), how much they narrow the prior, and the
    real data's rejection posterior beside the ABC-SMC posterior (on each prior's range)."""
    fig = Figure(figsize=(12, 0.38 * len(table) + 1.6), layout="constrained")
    left, middle, right = (fig.add_subplot(1, 3, k) for k in (1, 2, 3))
    y = np.arange(len(table))
    labels = [k.replace("preferences.", "").replace("countries.", "") for k in table["parameter"]]
    left.errorbar(table["coverage_90"], y, xerr=[table["coverage_90"] - table["coverage_low"],
                                                 table["coverage_high"] - table["coverage_90"]], fmt="o",
                  color=COLOURS[0])
    left.axvline(0.9, color="black", ls="--", lw=1)
    left.set(xlim=(0, 1.02), xlabel="coverage of the 90% intervals", yticks=y)
    left.set_yticklabels(labels, fontsize=8)
    middle.barh(y, table["mean_narrowing"], color=COLOURS[1])
    middle.axvline(1.0, color="black", ls="--", lw=1)
    middle.set(xlabel="interval width / prior width (1: not identified)", yticks=y)
    middle.set_yticklabels([])
    priors = {p.key: p for p in calibration.priors}
    for k, row in comparison.reset_index(drop=True).iterrows():
        p = priors[row["parameter"]]

        def scaled(v: float, p=p) -> float:
            return (v - p.low) / (p.high - p.low)

        right.plot([scaled(row["rejection_low_5"]), scaled(row["rejection_high_95"])], [k + 0.15] * 2,
                   color=COLOURS[2], lw=3, label="rejection, real data" if k == 0 else None)
        right.plot(scaled(row["rejection_median"]), k + 0.15, "o", color=COLOURS[2])
        if "smc_low_5" in row:
            right.plot([scaled(row["smc_low_5"]), scaled(row["smc_high_95"])], [k - 0.15] * 2, color=COLOURS[0],
                       lw=3, label="ABC-SMC (calibrated.posterior.csv)" if k == 0 else None)
            right.plot(scaled(row["smc_median"]), k - 0.15, "o", color=COLOURS[0])
    right.set(xlim=(-0.02, 1.02), xlabel="90% interval, on the prior's range (0: low end, 1: high end)", yticks=y)
    right.set_yticklabels([])
    right.legend(fontsize=7, loc="lower right")
    fig.suptitle(f"Identification on {int(table['data_sets'].max())} synthetic data sets")
    fig.savefig(path, dpi=110)


# ------------------------------------------------------------------------------------------------------ command
def check_out(out: Path) -> None:
    """Raise UsageError unless ``--out`` may take the check: absent, an empty folder, or an earlier identification
    folder (one holding identification.json or its reference table); never a file or another command's output."""
    if out.is_symlink() and not out.exists():
        raise UsageError(f"--out {out}: is a broken link; choose another folder")
    if not out.exists():
        for parent in out.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(f"--out {out}: {parent} is not a folder; choose another folder")
                break
        return
    if not out.is_dir():
        raise UsageError(f"--out {out}: is not a folder; choose another folder")
    other = previous_kind(out) or ("a sweep (manifest.json)" if (out / "manifest.json").exists() else None)
    if other is not None:
        raise UsageError(f"--out {out}: holds the output of {other}, which the identification check does not "
                         "replace; choose another folder")
    try:
        empty = not any(out.iterdir())
    except OSError as err:
        raise UsageError(f"--out {out}: cannot be read ({err.strerror or err}); choose another folder") from None
    if not empty and not ((out / "identification.json").is_file() or (out / "table" / "settings.json").is_file()):
        raise UsageError(f"--out {out}: holds files that are not an identification check's; choose an empty or new "
                         "folder")


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m experiments.calibration.identification",
                            description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "baseline.toml"))
    parser.add_argument("--targets", default=str(ROOT / "configs" / "calibration" / "targets.toml"))
    parser.add_argument("--draws", type=whole_number(2), default=6000, help="rows of the reference table (prior draws)")
    parser.add_argument("--datasets", type=whole_number(1), default=50, help="synthetic data sets checked")
    parser.add_argument("--tolerance", type=float, help="ABC tolerance (default: the calibration's final epsilon)")
    parser.add_argument("--summary", type=Path, default=ROOT / "configs" / "calibrated.summary.md",
                        help="calibration summary whose last epsilon is the tolerance")
    parser.add_argument("--posterior", type=Path, default=ROOT / "configs" / "calibrated.posterior.csv",
                        help="ABC-SMC posterior to compare with the rejection posterior of the real data")
    parser.add_argument("--researchers", type=whole_number(100),
                        help="agents a simulation (default: the calibration's)")
    parser.add_argument("--workers", type=whole_number(1), default=os.cpu_count() or 1)
    parser.add_argument("--out", default="out/identification")
    parser.add_argument("--quiet", action="store_true")
    try:
        args = parser.parse_args(argv)
        if args.draws <= args.datasets:
            raise UsageError(f"--draws must be more than --datasets ({args.datasets}), got {args.draws}")
        if args.tolerance is not None and not args.tolerance > 0:
            raise UsageError(f"--tolerance must be > 0, got {args.tolerance}")
        check_out(Path(args.out))
    except UsageError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    try:
        calibration = read_calibration(args.targets)
        if args.researchers:
            calibration = dataclasses.replace(calibration, researchers=args.researchers)
        simulator = Simulator.of(config_as_raw(load_config(args.config)), calibration)
        tolerance = args.tolerance if args.tolerance is not None else final_tolerance(args.summary)
        smc = None
        if args.posterior.is_file():
            frame = pd.read_csv(args.posterior)
            keys = [p.key for p in calibration.priors]
            missing = [k for k in [*keys, "weight"] if k not in frame]
            if missing:
                raise IdentificationError(f"{args.posterior}: no column {missing[0]!r}; it is not a posterior of "
                                          f"{args.targets}")
            weights = frame["weight"].to_numpy(dtype=float)
            smc = Posterior(particles=frame[keys], weights=weights / weights.sum())
        out = Path(args.out)
        table = build_table(simulator, calibration, args.draws, out / "table", args.workers, not args.quiet)
    except (ConfigError, IdentificationError) as err:
        print(f"{parser.prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    except concurrent.futures.BrokenExecutor as err:  # a worker process killed (out of memory, say)
        from experiments.executors import why_lost

        why = why_lost(err)
        print(f"{parser.prog}: error: lost a worker process ({why}); the reference table's finished chunks are kept in "
              f"{Path(args.out) / 'table'}: run the same command again to continue", file=sys.stderr)
        return 1
    defined = int(np.all(np.isfinite(table[[t.name for t in calibration.fitted]].to_numpy(dtype=float)),
                         axis=1).sum())
    if defined < MIN_DEFINED:
        print(f"{parser.prog}: error: too few draws have every target defined ({defined} of {len(table)}; at least "
              f"{MIN_DEFINED} are needed): use more --draws (or more --researchers)", file=sys.stderr)
        return 1
    results = check_datasets(table, calibration, args.datasets, tolerance)
    coverage = coverage_table(results, calibration)
    comparison = observed_comparison(table, calibration, tolerance, smc)
    names = [t.name for t in calibration.fitted]
    sensitivity = rank_regression(every_weight(table, simulator), table[names])
    kinds = {p.key: "fitted" for p in calibration.priors} | {p.key: "carried" for p in calibration.carried}
    sensitivity.insert(0, "treated as", [kinds.get(k, "") for k in sensitivity.index])
    sensitivity.insert(1, "largest", sensitivity[names].abs().max(axis=1).where(sensitivity.index.isin(kinds)))
    sensitivity.index.name = "weight"
    sensitivity.to_csv(out / "sensitivity.csv")
    if smc is not None:  # at the calibrated posterior's medians
        spread_at(simulator, calibration, smc.median()).to_csv(out / "spread.csv")
    coverage.to_csv(out / "identification.csv", index=False)
    comparison.to_csv(out / "observed.csv", index=False)
    per_dataset = pd.DataFrame([{"dataset": r["dataset"], "accepted": r["accepted"], "tolerance": r["tolerance"],
                                 "parameter": key, **values} for r in results
                                for key, values in r["parameters"].items()])
    per_dataset.to_csv(out / "datasets.csv", index=False)
    coverage_figure(coverage, comparison, calibration, out / "identification.png")
    accepted = np.array([r["accepted"] for r in results])
    holds = {widened: [v["holds"] for r in results if r["widened"] == widened for v in r["parameters"].values()]
             for widened in (False, True)}
    facts = {"draws": len(table), "rows_with_every_target_defined": defined, "datasets": len(results),
             "tolerance": tolerance, "accepted_median": float(np.median(accepted)),
             "accepted_min": int(accepted.min()), "accepted_max": int(accepted.max()),
             "widened": int(sum(r["widened"] for r in results)), "min_accepted": MIN_ACCEPTED,
             "coverage_within_tolerance": float(np.mean(holds[False])) if holds[False] else None,
             "coverage_widened": float(np.mean(holds[True])) if holds[True] else None,
             "observed_rows_within": int(comparison["table_rows_within"].iloc[0]),
             "researchers": calibration.researchers,
             "command": "python -m experiments.calibration.identification " + " ".join(argv or sys.argv[1:])}
    (out / "identification.json").write_text(json.dumps(facts, indent=2), encoding="utf-8")
    from experiments.calibration.report import markdown_table

    print(markdown_table(coverage))
    print(f"wrote {out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
