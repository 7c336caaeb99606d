"""docs/calibration.md from the commands' outputs: the tables between its markers and its figures.

``python -m experiments.calibration.document --calibration DIR --identification DIR`` takes a finished
``talentflow calibrate`` folder and a finished identification folder
(:mod:`experiments.calibration.identification`), copies their figures into
docs/img/calibration/ and writes each generated table between its
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` lines of docs/calibration.md. The text
around the tables is written by hand and cites only what the tables show.
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import pandas as pd

from experiments.calibration.report import markdown_table, number
from experiments.calibration.targets import read_calibration
from simulation.paramtable import insert_between

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("prior_posterior.png", "posterior_pairs.png", "predictive.png", "generations.png")


def priors_table(targets_path: Path) -> str:
    """Fitted and carried parameters with their priors and the reasons for them."""
    calibration = read_calibration(targets_path)
    rows = [{"parameter": f"`{p.key}`", "treated as": kind, "prior": f"{number(p.low)} to {number(p.high)}",
             "why this range": " ".join(p.source.split())}
            for kind, priors in (("fitted", calibration.priors), ("carried as its prior", calibration.carried))
            for p in priors]
    return markdown_table(pd.DataFrame(rows))


def targets_table(targets_path: Path) -> str:
    """Each target: its value (or range), role, the population it is measured on, and its source."""
    calibration = read_calibration(targets_path)
    rows = []
    for t in calibration.targets:
        value = (f"{number(t.low)} to {number(t.high)}" if t.role == "bound"
                 else f"{number(t.value)} (SE {number(t.se)})")
        rows.append({"target": t.name, "observed": value, "role": t.role, "measured on": t.population,
                     "source": t.source})
    return markdown_table(pd.DataFrame(rows))


def identification_table(folder: Path) -> str:
    table = pd.read_csv(folder / "identification.csv")
    table["parameter"] = "`" + table["parameter"] + "`"
    table["identified"] = table["identified"].map({True: "yes", False: "no"})
    return markdown_table(table[["parameter", "data_sets", "coverage_90", "coverage_low", "coverage_high",
                                 "mean_narrowing", "identified"]]
                          .rename(columns={"data_sets": "data sets", "coverage_90": "coverage of 90% intervals",
                                           "coverage_low": "low", "coverage_high": "high",
                                           "mean_narrowing": "interval / prior width"}))


def run_facts(folder: Path) -> str:
    info = json.loads((folder / "calibration.json").read_text(encoding="utf-8"))
    lines = [f"- Command: `{info['command']}`",
             f"- {info['simulations']:,} simulations in {info['abc_seconds']:.0f} s of ABC-SMC and "
             f"{info['seconds']:.0f} s in all, on {info['workers']} worker processes; final epsilon "
             f"{number(info['final_epsilon'])} (the distance is the root sum of squared gaps, each in its "
             "target's standard errors)."]
    for name, check in info.get("bounds", {}).items():
        lines.append(f"- {name}: {number(check['estimate'])} (90% interval {number(check['low_5'])} to "
                     f"{number(check['high_95'])}) against the published {check['low']:g} to {check['high']:g}: "
                     f"{'within' if check['within'] else 'outside'} the bound ({check['draws']} posterior draws of "
                     f"{check['researchers']:,} researchers; about {check['top_in_korea_without']:,.0f} top-1-percent "
                     f"researchers in Korea, {check['moved_by_the_rise']:,.1f} more with the rise, per draw).")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m experiments.calibration.document",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, required=True, help="a finished talentflow calibrate folder")
    parser.add_argument("--identification", type=Path, required=True, help="a finished identification folder")
    parser.add_argument("--targets", type=Path, default=ROOT / "configs" / "calibration" / "targets.toml")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "calibration.md")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "img" / "calibration")
    args = parser.parse_args(argv)
    for needed in (args.calibration / "calibration.json", args.identification / "identification.csv"):
        if not needed.is_file():
            parser.error(f"{needed}: missing (run the calibration and the identification check first)")
    args.figures.mkdir(parents=True, exist_ok=True)
    for name in FIGURES:
        shutil.copyfile(args.calibration / name, args.figures / name)
    shutil.copyfile(args.identification / "identification.png", args.figures / "identification.png")
    summary = (args.calibration / "summary.md").read_text(encoding="utf-8")
    predictive = pd.read_csv(args.calibration / "predictive.csv")
    sections = {"priors": priors_table(args.targets), "targets": targets_table(args.targets),
                "run": run_facts(args.calibration), "posterior": summary.strip(),
                "predictive": markdown_table(predictive), "identification": identification_table(args.identification)}
    for name, text in sections.items():
        insert_between(args.doc, name, text)
    print(f"wrote {args.doc} and {args.figures}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
