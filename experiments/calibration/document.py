"""docs/calibration.md from the commands' outputs: the tables between its markers and its figures.

``python -m experiments.calibration.document --calibration DIR --identification DIR`` takes a finished
``talentflow calibrate`` folder and a finished identification folder
(:mod:`experiments.calibration.identification`), either or both, copies their figures into
docs/img/calibration/ and writes each generated table between its
``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` lines of docs/calibration.md (the tables of the
folders given; the others are left as they are). The text around the tables is written by hand
and cites only what the tables show.
"""

from __future__ import annotations

import json
import shutil
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pandas as pd

from experiments.calibration.report import markdown_table, number
from experiments.calibration.targets import read_calibration
from simulation.cli import ArgumentParser, UsageError
from simulation.config import ConfigError
from simulation.paramtable import check_between, insert_between

ROOT = Path(__file__).resolve().parents[2]
FIGURES = ("prior_posterior.png", "posterior_pairs.png", "predictive.png", "generations.png")
#: The files of each folder the document is written from (its figures aside).
CALIBRATION_FILES = ("calibration.json", "summary.md", "predictive.csv", *FIGURES)
IDENTIFICATION_FILES = ("identification.json", "identification.csv", "observed.csv", "sensitivity.csv",
                        "spread.csv", "identification.png")


def read_table(path: Path, columns: tuple[str, ...], **options: object) -> pd.DataFrame:
    """The CSV table at ``path`` with at least ``columns``; UsageError naming the file (and the column) if it
    cannot be read as such (damaged, or written by another version)."""
    try:
        table = pd.read_csv(path, **options)  # type: ignore[call-overload]
    except (pd.errors.ParserError, pd.errors.EmptyDataError, UnicodeDecodeError) as err:
        first = str(err).strip().splitlines()[0] if str(err).strip() else type(err).__name__
        raise UsageError(f"{path}: not a readable CSV table ({first}); run the command that wrote it again") from None
    missing = [c for c in columns if c not in table.columns]
    if missing:
        raise UsageError(f"{path}: column {missing[0]!r}: missing (expected {', '.join(columns)}); run the command "
                         "that wrote it again")
    return table


def read_facts(path: Path, keys: tuple[str, ...]) -> dict[str, object]:
    """The JSON object at ``path`` with at least ``keys``; UsageError naming the file (and the key) if it cannot be
    read as such."""
    try:
        facts = json.loads(path.read_text(encoding="utf-8"))
    except (json.JSONDecodeError, UnicodeDecodeError, RecursionError) as err:
        raise UsageError(f"{path}: not readable JSON ({type(err).__name__}); run the command that wrote it again"
                         ) from None
    if not isinstance(facts, dict):
        raise UsageError(f"{path}: expected a JSON object; run the command that wrote it again")
    missing = [k for k in keys if k not in facts]
    if missing:
        raise UsageError(f"{path}: key {missing[0]!r}: missing; run the command that wrote it again")
    return facts


@contextmanager
def read_from(option: str, folder: Path) -> Iterator[None]:
    """Turn a value of the wrong kind met while the tables of ``folder`` are written into one UsageError naming
    the option and the folder (the files' own readers name the file where they can)."""
    try:
        yield
    except UsageError:
        raise
    except (TypeError, ValueError, KeyError, AttributeError) as err:  # UnicodeDecodeError is a ValueError
        raise UsageError(f"{option} {folder}: a file there holds a value of the wrong kind ({type(err).__name__}: "
                         f"{err}); run the command that wrote it again") from None


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
    table = read_table(folder / "identification.csv", ("parameter", "data_sets", "coverage_90", "coverage_low",
                                                         "coverage_high", "mean_narrowing", "identified"))
    table["parameter"] = "`" + table["parameter"] + "`"
    table["identified"] = table["identified"].map({True: "yes", False: "no"})
    return markdown_table(table[["parameter", "data_sets", "coverage_90", "coverage_low", "coverage_high",
                                 "mean_narrowing", "identified"]]
                          .rename(columns={"data_sets": "data sets", "coverage_90": "coverage of 90% intervals",
                                           "coverage_low": "low", "coverage_high": "high",
                                           "mean_narrowing": "interval / prior width"}))


def share(value: float | None) -> str:
    """A share as a percentage, or "none" when there was nothing to count."""
    return "none" if value is None else f"{100 * value:.0f} percent"


def identification_facts(folder: Path) -> str:
    """The check's command, table size and tolerance, and how many rows each synthetic data set kept."""
    info = read_facts(folder / "identification.json", (
        "command", "draws", "researchers", "rows_with_every_target_defined", "tolerance", "datasets", "accepted_min",
        "accepted_max", "accepted_median", "widened", "min_accepted", "coverage_within_tolerance",
        "coverage_widened", "observed_rows_within"))
    return "\n".join([
        f"- Command: `{info['command'].strip()}`",
        f"- {info['draws']:,} prior draws of {info['researchers']:,} researchers each; "
        f"{info['rows_with_every_target_defined']:,} have every target defined (in the others some target is "
        "undefined, for example no Korean completes a US doctorate in the window, so there is no stay rate; the "
        "calibration's distance is then infinite and such draws are never accepted).",
        f"- Tolerance {number(info['tolerance'])} (the calibration's final epsilon). Each of the {info['datasets']} "
        f"synthetic data sets kept {info['accepted_min']:,} to {info['accepted_max']:,} rows (median "
        f"{number(info['accepted_median'])}); {info['widened']} had fewer than {info['min_accepted']} rows within the "
        f"tolerance and took the {info['min_accepted']} nearest instead (a wider tolerance for that data set). "
        f"Over all weights the intervals held the truth in {share(info['coverage_within_tolerance'])} of the "
        f"checks at the tolerance and {share(info['coverage_widened'])} of the widened ones.",
        f"- The real observations: {info['observed_rows_within']:,} rows within the tolerance."])


def observed_table(folder: Path) -> str:
    """The real data's rejection posterior beside the ABC-SMC posterior."""
    table = read_table(folder / "observed.csv", ("parameter",))
    table["parameter"] = "`" + table["parameter"] + "`"
    columns = {"rejection_median": "rejection median", "rejection_low_5": "5%", "rejection_high_95": "95%",
               "smc_median": "ABC-SMC median", "smc_low_5": "5% ", "smc_high_95": "95% "}
    keep = ["parameter", *[c for c in columns if c in table]]
    return markdown_table(table[keep].rename(columns=columns))


def two_places(value: float) -> str:
    """A number with two decimals, or nothing when it is missing."""
    return "" if pd.isna(value) else f"{value:.2f}"


def sensitivity_table(folder: Path) -> str:
    """Standardized rank regression coefficients of each target on every weight, largest first."""
    table = read_table(folder / "sensitivity.csv", ("weight", "treated as", "largest"), keep_default_na=False,
                       na_values=[""])
    fit = table[table["treated as"].isna()]
    table = table[table["treated as"].notna()].sort_values("largest", ascending=False)
    table = pd.concat([table, fit])
    table["weight"] = table["weight"].map(lambda k: k if k.startswith("R^2") else f"`{k}`")
    table["treated as"] = table["treated as"].fillna("")
    numbers = [c for c in table.columns if c not in ("weight", "treated as")]
    return markdown_table(table, {c: two_places for c in numbers})


def spread_table(folder: Path) -> str:
    """The spread of each target between simulations at the posterior medians, in standard errors."""
    table = read_table(folder / "spread.csv", ("target",))
    return markdown_table(table, {c: two_places for c in table.columns if c != "target"})


def run_facts(folder: Path) -> str:
    info = read_facts(folder / "calibration.json", ("command", "simulations", "abc_seconds", "seconds", "workers",
                                                    "final_epsilon"))
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
    parser = ArgumentParser(prog="python -m experiments.calibration.document", description=__doc__.splitlines()[0])
    parser.add_argument("--calibration", type=Path, help="a finished talentflow calibrate folder")
    parser.add_argument("--identification", type=Path, help="a finished identification folder")
    parser.add_argument("--targets", type=Path, default=ROOT / "configs" / "calibration" / "targets.toml")
    parser.add_argument("--doc", type=Path, default=ROOT / "docs" / "calibration.md")
    parser.add_argument("--figures", type=Path, default=ROOT / "docs" / "img" / "calibration")
    try:
        args = parser.parse_args(argv)
        if args.calibration is None and args.identification is None:
            raise UsageError("give --calibration, --identification or both")
        needed = ([("--calibration", args.calibration / name) for name in CALIBRATION_FILES] if args.calibration
                  else []) + ([("--identification", args.identification / name) for name in IDENTIFICATION_FILES]
                              if args.identification else [])
        for option, path in needed:
            if not path.is_file():
                raise UsageError(f"{option} {path}: missing (run the calibration or the identification check first)")
        if args.figures.exists() and not args.figures.is_dir():
            raise UsageError(f"--figures {args.figures}: is not a folder; give a folder for the figures")
        for parent in args.figures.parents:
            if parent.exists():
                if not parent.is_dir():
                    raise UsageError(f"--figures {args.figures}: {parent} is not a folder")
                break
        sections = {"priors": priors_table(args.targets), "targets": targets_table(args.targets)}
        figures = []
        if args.calibration:
            figures += [args.calibration / name for name in FIGURES]
            with read_from("--calibration", args.calibration):
                summary = (args.calibration / "summary.md").read_text(encoding="utf-8")
                predictive = read_table(args.calibration / "predictive.csv", ())
                sections |= {"run": run_facts(args.calibration), "posterior": summary.strip(),
                             "predictive": markdown_table(predictive)}
        if args.identification:
            figures.append(args.identification / "identification.png")
            with read_from("--identification", args.identification):
                sections |= {"identification_run": identification_facts(args.identification),
                             "identification": identification_table(args.identification),
                             "identification_observed": observed_table(args.identification),
                             "identification_sensitivity": sensitivity_table(args.identification),
                             "identification_spread": spread_table(args.identification)}
        try:
            check_between(args.doc, sections)
        except ValueError as err:
            raise UsageError(f"--doc {err}") from None
    except (UsageError, ConfigError) as err:
        print(f"{parser.prog}: error: {' '.join(str(err).split())}", file=sys.stderr)
        return 2
    # The figures first, the document last: a failure to copy them leaves the document as it was.
    args.figures.mkdir(parents=True, exist_ok=True)
    for figure in figures:
        shutil.copyfile(figure, args.figures / figure.name)
    original = args.doc.read_text(encoding="utf-8")
    try:
        for name, text in sections.items():
            insert_between(args.doc, name, text)
    except (OSError, ValueError) as err:  # the document is left as it was
        args.doc.write_text(original, encoding="utf-8")
        print(f"{parser.prog}: error: --doc {err}", file=sys.stderr)
        return 2
    print(f"wrote {args.doc} and {args.figures}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
