"""The policy comparison: each lever alone and all four combined, against the baseline, on common random numbers.

Sweep: configs/sweeps/policy_scenarios.toml (an arms design: the base scenario and the project's policy
scenario files, which extend it). The section shows what each arm adds in
Korea (researchers and top talent after 10 and 20 years, researcher-years), what it spends and what an
extra researcher-year costs, each with its 95% interval, and the time series and cost-effectiveness charts.
"""

from __future__ import annotations

import dataclasses
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis import comparison, figures, stats, tables
from experiments.analysis.document import Document, Paragraph
from experiments.analysis.measures import add_phd_share, country, infer_origin
from experiments.analysis.report import point_names
from experiments.named.base import Context, Experiment
from experiments.named.common import figure, sweep_sentence, table
from simulation.config import load_config

SWEEP = "policy_scenarios"


def lever_settings(path: Path) -> list[str]:
    """The levers a scenario file switches on, with their settings, as ``lever: key value, ...`` text."""
    policies = load_config(path).policies
    out = []
    for name, lever in policies.levers():
        values = {f.name: getattr(lever, f.name) for f in dataclasses.fields(lever) if f.name not in HIDDEN}
        out.append(f"{name.replace('_', ' ')} from {lever.start_year}: " + ", ".join(
            f"{k.replace('_', ' ')} {_shown(v)}" for k, v in values.items()))
    return out


#: Lever settings left out of the arms table (the same for every lever of the project's scenarios).
HIDDEN = ("country", "start_year", "end_year")


def _shown(value: Any) -> str:
    if isinstance(value, list):
        return "/".join(str(v) for v in value)
    if isinstance(value, float):
        return "unlimited" if value == float("inf") else tables.value(value)
    return str(value)


def arm_settings(manifest: Mapping[str, Any]) -> pd.DataFrame:
    """One row an arm: its scenario file and levers, or its overrides as ``key = value`` text.

    Read from the sweep file's text in the manifest; a scenario file is read where the sweep file names it.
    """
    arms = tomllib.loads(manifest["sweep"]["text"]).get("arms", {})
    folder = Path(manifest["sweep"]["path"]).parent
    rows = []
    for arm, spec in arms.items():
        spec = dict(spec)
        items: list[str] = []
        if "config" in spec:
            path = folder / spec.pop("config")
            items.append(f"{path.name}: " + ("; ".join(lever_settings(path)) or "no lever")
                         if path.is_file() else f"{path.name}")

        def walk(node: Mapping[str, Any], path: str, items: list[str] = items) -> None:
            for key, value in node.items():
                dotted = f"{path}.{key}" if path else key
                if isinstance(value, dict) and value:
                    walk(value, dotted)
                else:
                    items.append(f"{dotted} = {value if value != {} else 'on (defaults)'}")

        walk(spec, "")
        rows.append({"arm": arm.replace("_", " "), "settings": "; ".join(items) or "the base scenario, no policy"})
    return pd.DataFrame(rows)


def headline(result: pd.DataFrame, names: Mapping[int, str], origin: str) -> str:
    """One sentence an arm: extra researchers and top talent at the last horizon, spending, cost."""
    sentences = []
    horizon = max(h for h in comparison.HORIZONS if (result["metric"] == f"extra_researchers_{h}y").any())
    for point, rows in result.groupby("point", sort=False):
        by = rows.set_index("metric")

        def cell(metric: str, by: pd.DataFrame = by) -> str:
            row = by.loc[metric]
            return tables.interval(row["estimate"], row["ci_low"], row["ci_high"])

        sentences.append(f"**{names[point]}**: {cell(f'extra_researchers_{horizon}y')} extra researchers and "
                         f"{cell(f'extra_top_talent_{horizon}y')} extra top-decile researchers in {country(origin)} "
                         f"in year {horizon}, for {cell('spending')} billion KRW over the run, "
                         f"{cell('cost_per_researcher_year')} million KRW per extra researcher-year.")
    return " ".join(sentences)


def programmes(data: pd.DataFrame, names: Mapping[int, str]) -> pd.DataFrame:
    """Each arm's levers over the simulated years, mean over replicates: spending, people reached, what it is worth
    to them (share of their pay), take-up of new offers, and deadweight (spending and people in Korea anyway, on
    the baseline twin's draws)."""
    rows = []
    simulated = data[data["year"] > data["year"].min()]
    levers = [c.removeprefix("spending_") for c in data.columns
              if c.startswith("spending_") and c != "spending_total"]
    for point, part in simulated.groupby("point", sort=False):
        for lever in levers:
            spent = part[f"spending_{lever}"]
            if spent.isna().all() or (spent.sum() == 0 and part[f"recipients_{lever}"].sum() == 0):
                continue
            reached = part[f"recipients_{lever}"]
            offered, signed = part[f"offered_{lever}"].sum(), part[f"signed_{lever}"].sum()
            dead, dead_people = part[f"deadweight_{lever}"].sum(), part[f"deadweight_recipients_{lever}"].sum()
            replicates = part["replicate"].nunique()
            rows.append({"arm": names[point], "programme": lever.replace("_", " "),
                         "spent over the run (bn KRW)": spent.sum() / replicates / 1000,
                         "reached a year (people)": reached.mean(),
                         "value to them (% of pay)": 100 * part[f"wage_equivalent_{lever}"].mean(),
                         "offers taken (%)": 100 * signed / offered if offered else float("nan"),
                         "deadweight (% of spending)": 100 * dead / spent.sum() if spent.sum() else float("nan"),
                         "deadweight (% of people)": 100 * dead_people / reached.sum() if reached.sum()
                         else float("nan")})
    return pd.DataFrame(rows)


def section(doc: Document, root: Path, context: Context) -> None:
    """The policy comparison's tables and figures."""
    manifest = context.manifests[SWEEP]
    data = add_phd_share(context.load(SWEEP))
    origin = infer_origin(data)
    names = point_names(manifest)
    pairs = comparison.arm_pairs(pd.DataFrame(manifest["design_table"]))
    outcomes = comparison.run_outcomes(data, origin)
    result = comparison.compare(outcomes, pairs, origin=origin, paired=bool(manifest["common_random_numbers"]))
    settings = arm_settings(manifest)
    doc.add(Paragraph(sweep_sentence(manifest)),
            table(root, settings, settings, "arms",
                  "The arms and their settings (money in million KRW a year, talent percentiles of the initial "
                  "post-PhD population)"),
            Paragraph(headline(result, names, origin)))
    wide = tables.comparison_wide(result, names)
    full = result.assign(arm=result["point"].map(names))
    doc.add(table(root, wide, full, "policy_comparison",
                  "Each policy minus the baseline, paired by replicate: estimate (95% interval)"))
    lever_table = programmes(data, names)
    doc.add(table(root, lever_table, lever_table, "programmes",
                  "Each programme over the simulated years, mean over replicates: what it spends, whom it reaches, "
                  "what that is worth to them as a pay rise (share of their pay), how many new offers are taken, "
                  "and its deadweight: what goes to people who are in Korea that year in the baseline twin run on "
                  "the same random numbers. The hours exemption pays nothing; its value is the pay rise worth the "
                  "hours the cap would take from those it exempts."))
    worst = result[result["metric"] != "cost_per_researcher_year"].groupby("label", sort=False)[
        "relative_half_width"].max()
    doc.add(Paragraph("Precision: the largest relative half-width (half the interval over the estimate) of the "
                      "paired differences, over the arms: "
                      + "; ".join(f"{label} {100 * v:.0f}%" for label, v in worst.items() if pd.notna(v)) +
                      " (at 100% or more an effect is not distinguishable from zero)."))
    levels = [f"researchers_{origin}", f"top_talent_{origin}", "share_abroad", "spending_total"]
    summary = stats.replicate_summary(data, levels, by=("point", "year"))
    png = figures.time_series(summary, levels, names, root / "figures" / "policy_time_series",
                              title="Policy arms: mean over replicates with 95% confidence bands")
    doc.add(figure(root, png, "Each arm's mean over replicates, with 95% confidence bands."))
    differences = stats.paired_summary(data, [f"researchers_{origin}", f"top_talent_{origin}"], pairs)
    png = figures.time_series(differences, [f"researchers_{origin}", f"top_talent_{origin}"],
                              {p: names[p] for p in pairs}, root / "figures" / "policy_differences",
                              title="Policy minus baseline, paired by replicate (95% confidence bands)",
                              difference=True)
    doc.add(figure(root, png, "Extra researchers and extra top-decile researchers in "
                              f"{country(origin)} each year: each arm minus the baseline, paired by replicate."))
    horizon = comparison.last_horizon(outcomes)
    points = comparison.cost_effectiveness(outcomes, pairs, horizon)
    points.insert(0, "name", points["point"].map(names))
    png = figures.cost_effectiveness(points, f"extra top-decile researchers in {country(origin)}, year {horizon} "
                                             "(people)", f"spending, years 1-{horizon} (billion KRW)",
                                     root / "figures" / "cost_effectiveness")
    doc.add(figure(root, png, f"Cost-effectiveness: spending up to year {horizon} against the extra top-decile "
                              f"researchers in {country(origin)} in year {horizon}, with 95% intervals."))


EXPERIMENT = Experiment(
    name="policy_comparison",
    title="Policy comparison",
    question="What does each lever, and all four together, add in Korea against the baseline, and at what cost?",
    sweeps=(SWEEP,),
    section=section,
)
