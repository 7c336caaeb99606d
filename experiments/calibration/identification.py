"""Identification: does the calibration recover known weights? A simulation-based check on synthetic data.

For each synthetic data set, draw the fitted parameters from their priors (the
"truth"), simulate the fitted targets at the truth on a seed of its own, and run
the same ABC-SMC on those synthetic observations (smaller: fewer particles and
generations than the real calibration). A parameter is identified when its 90
percent credible intervals hold the truth in about 90 percent of the data sets
and are narrower than its prior; a parameter whose intervals are as wide as its
prior is one the targets cannot pin: it is carried as its prior.

``python -m experiments.calibration.identification --datasets 20 --out DIR``
(each data set's ABC database goes into DIR/NN/, so a killed check resumes with
the data sets still to do).
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import sys
from pathlib import Path

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments.calibration.abc import Simulator, make_sampler, run_abc
from experiments.calibration.posterior import LOWER, UPPER, interval_holds, read_history, weighted_quantile
from experiments.calibration.targets import Calibration, read_calibration
from simulation.chart import COLOURS
from simulation.config import config_as_raw, load_config

ROOT = Path(__file__).resolve().parents[2]
#: Settings of the ABC of each synthetic data set (smaller than the calibration's).
POPULATION, GENERATIONS = 60, 4


def truth(calibration: Calibration, dataset: int) -> dict[str, float]:
    """Data set ``dataset``'s true parameter values: uniform draws from the priors, seeded by the data set."""
    rng = np.random.default_rng(np.random.SeedSequence([calibration.seed, 7, dataset]))
    return {p.key: float(rng.uniform(p.low, p.high)) for p in calibration.priors}


def synthetic_targets(simulator: Simulator, values: dict[str, float], dataset: int) -> dict[str, float]:
    """The fitted targets measured at ``values`` on a seed no particle uses."""
    return simulator.measure(simulator.run(values, replicate=5000 + dataset))


def check_dataset(simulator: Simulator, calibration: Calibration, dataset: int, folder: Path, workers: int,
                  progress: bool) -> dict[str, object]:
    """Run (or resume) the ABC on one synthetic data set; return its truth, intervals and coverage."""
    folder.mkdir(parents=True, exist_ok=True)
    record = folder / "dataset.json"
    values = truth(calibration, dataset)
    if record.is_file():
        done = json.loads(record.read_text(encoding="utf-8"))
        if done.get("complete"):
            return done
    observed = synthetic_targets(simulator, values, dataset)
    if not all(math.isfinite(v) for v in observed.values()):
        result = {"dataset": dataset, "truth": values, "observed": observed, "complete": True, "usable": False}
        record.write_text(json.dumps(result, indent=2), encoding="utf-8")
        return result
    synthetic = dataclasses.replace(
        calibration, targets=tuple(dataclasses.replace(t, value=observed[t.name]) if t.fitted else t
                                   for t in calibration.targets))
    resume = (folder / "abc.db").is_file()
    history = run_abc(simulator, synthetic, folder, make_sampler(workers, progress=progress), resume=resume,
                      progress=progress)
    posterior, generations = read_history(history, calibration.priors)
    rows = {}
    for prior in calibration.priors:
        x = posterior.particles[prior.key].to_numpy()
        low, high = (weighted_quantile(x, posterior.weights, q) for q in (LOWER, UPPER))
        rows[prior.key] = {"truth": values[prior.key], "low_5": low, "high_95": high,
                           "holds": interval_holds(posterior, prior.key, values[prior.key]),
                           "narrowing": (high - low) / ((UPPER - LOWER) * (prior.high - prior.low))}
    result = {"dataset": dataset, "truth": values, "observed": observed, "parameters": rows,
              "final_epsilon": generations[-1].epsilon, "complete": True, "usable": True}
    record.write_text(json.dumps(result, indent=2), encoding="utf-8")
    return result


def coverage_table(results: list[dict[str, object]], calibration: Calibration) -> pd.DataFrame:
    """Per parameter: the share of usable data sets whose 90 percent interval holds the truth (with a 90 percent
    binomial interval) and the mean narrowing (interval width over the prior's 90 percent width)."""
    usable = [r for r in results if r.get("usable")]
    rows = []
    for prior in calibration.priors:
        holds = np.array([r["parameters"][prior.key]["holds"] for r in usable], dtype=float)
        narrowing = np.array([r["parameters"][prior.key]["narrowing"] for r in usable], dtype=float)
        n = len(holds)
        rate = float(holds.mean()) if n else float("nan")
        half = 1.645 * math.sqrt(max(rate * (1 - rate), 0.09 * 0.1) / n) if n else float("nan")
        rows.append({"parameter": prior.key, "data_sets": n, "coverage_90": rate, "coverage_low": max(rate - half, 0),
                     "coverage_high": min(rate + half, 1), "mean_narrowing": float(narrowing.mean()) if n else np.nan,
                     "identified": bool(n and narrowing.mean() < 0.75)})
    return pd.DataFrame(rows)


def coverage_figure(table: pd.DataFrame, path: Path) -> None:
    """Coverage of the 90 percent intervals per parameter (target 0.9), and how much they narrow the prior."""
    fig = Figure(figsize=(9, 0.35 * len(table) + 1.5), layout="constrained")
    left, right = fig.add_subplot(1, 2, 1), fig.add_subplot(1, 2, 2, sharey=None)
    y = np.arange(len(table))
    labels = [k.replace("preferences.", "").replace("countries.", "") for k in table["parameter"]]
    left.errorbar(table["coverage_90"], y, xerr=[table["coverage_90"] - table["coverage_low"],
                                                 table["coverage_high"] - table["coverage_90"]], fmt="o",
                  color=COLOURS[0])
    left.axvline(0.9, color="black", ls="--", lw=1)
    left.set(xlim=(0, 1.02), xlabel="coverage of the 90% intervals", yticks=y)
    left.set_yticklabels(labels, fontsize=8)
    right.barh(y, table["mean_narrowing"], color=COLOURS[1])
    right.axvline(1.0, color="black", ls="--", lw=1)
    right.set(xlabel="interval width / prior width (1: not identified)", yticks=y)
    right.set_yticklabels([])
    fig.suptitle(f"Identification on {int(table['data_sets'].max())} synthetic data sets")
    fig.savefig(path, dpi=110)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.calibration.identification",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=str(ROOT / "configs" / "baseline.toml"))
    parser.add_argument("--targets", default=str(ROOT / "configs" / "calibration" / "targets.toml"))
    parser.add_argument("--datasets", type=int, default=20)
    parser.add_argument("--population", type=int, default=POPULATION)
    parser.add_argument("--generations", type=int, default=GENERATIONS)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    parser.add_argument("--out", default="out/identification")
    parser.add_argument("--quiet", action="store_true")
    args = parser.parse_args(argv)
    if args.datasets < 1 or args.population < 10 or args.generations < 1 or args.workers < 1:
        parser.error("--datasets, --generations and --workers must be >= 1, --population >= 10")
    calibration = dataclasses.replace(read_calibration(args.targets), population_size=args.population,
                                      generations=args.generations, max_minutes=0)
    simulator = Simulator.of(config_as_raw(load_config(args.config)), calibration)
    out = Path(args.out)
    results = []
    for k in range(args.datasets):
        if not args.quiet:
            print(f"data set {k + 1} of {args.datasets}", file=sys.stderr, flush=True)
        results.append(check_dataset(simulator, calibration, k, out / f"{k:02d}", args.workers, not args.quiet))
    table = coverage_table(results, calibration)
    table.to_csv(out / "identification.csv", index=False)
    coverage_figure(table, out / "identification.png")
    from experiments.calibration.report import markdown_table

    command = "python -m experiments.calibration.identification " + " ".join(argv or sys.argv[1:])
    text = (f"Written by `{command.strip()}`: {len(results)} synthetic data sets, ABC-SMC of {args.population} "
            f"particles for {args.generations} generations each.\n\n" + markdown_table(table) + "\n")
    (out / "identification.md").write_text(text, encoding="utf-8")
    print(markdown_table(table))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
