"""The paid levers at equal yearly budgets, each at its best setting within the budget.

Sweep: configs/sweeps/equal_budget.toml (an uncertainties design: 20 draws of the uncertain weights crossed
with every setting of salary matching, star recruitment and return grants at 50, 100 and 200 billion KRW a
year, the hours exemption and the baseline). For each lever and budget the best setting is the one that adds
the most top-decile researchers on average over the draws; its effect, cost-effectiveness and deadweight are
reported over the draws, with the probability that each lever is the best at that budget.

The best setting is chosen and measured on the same draws, which flatters it a little (the winner's curse);
with common random numbers within a draw the settings compared at a draw share their noise.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.analysis import figures, robustness, tables
from experiments.analysis.document import Document, Heading, Paragraph
from experiments.analysis.measures import country, infer_origin
from experiments.named.base import Context, Experiment
from experiments.named.common import figure, sweep_sentence, table

SWEEP = "equal_budget"
HORIZON = 20


def budgets(design: pd.DataFrame) -> pd.Series:
    """Each setting's yearly budget (million KRW a year) from its lever's ``policies.<arm>.budget``; NaN if none."""
    out = {}
    for _, row in design.drop_duplicates("setting").iterrows():
        key = f"policies.{row['arm']}.budget"
        out[row["setting"]] = float(row[key]) if key in row and pd.notna(row[key]) else np.nan
    return pd.Series(out)


def best_settings(means: pd.DataFrame, budget_of: pd.Series, effect: str = "top_talent") -> pd.DataFrame:
    """Per lever (arm) and budget, the setting with the highest mean ``effect`` over the draws.

    Returns one row per (arm, budget): ``arm``, ``budget`` (million KRW a year), ``setting``, ``mean``.
    """
    table = means.assign(budget=means["setting"].map(budget_of)).dropna(subset=["budget"])
    average = table.groupby(["arm", "budget", "setting"], sort=False)[effect].mean().reset_index(name="mean")
    best = average.loc[average.groupby(["arm", "budget"], sort=False)["mean"].idxmax()]
    return best.reset_index(drop=True)


def section(doc: Document, root: Path, context: Context) -> None:
    """The best setting of each lever at each budget, its effect and cost-effectiveness over the draws."""
    manifest = context.manifests[SWEEP]
    data = context.load(SWEEP)
    origin = infer_origin(data)
    horizon = min(HORIZON, int(manifest["years"]))
    measured = robustness.effects_of(country(origin), horizon, int(manifest["years"]))
    effects = robustness.lever_effects(robustness.run_table(data, horizon, origin), measured)
    means = robustness.draw_means(effects)
    means["cost_effectiveness"] = robustness.cost_effectiveness(means)
    design = pd.DataFrame(manifest["design_table"])
    best = best_settings(means, budgets(design))
    draws = int(means["uncertainty"].nunique())
    doc.add(Paragraph(sweep_sentence(manifest)),
            Paragraph(f"Each paid lever is run at every setting of its own parameters at each budget, over {draws} "
                      "draws of the uncertain weights (a posterior particle and the carried weights from their "
                      "priors). The best setting at a budget adds the most top-decile researchers on average over "
                      "the draws; it is chosen and measured on the same draws, which flatters it a little. "
                      "Medians and 90% intervals are over the draws. The probability of being the best compares "
                      "the levers' best settings at one budget, draw by draw. Deadweight is the share of spending "
                      "that goes to people who are in Korea in the run's baseline twin anyway."))
    rows, lines, full = [], [], []
    for budget, group in best.groupby("budget", sort=True):
        chosen = means[means["setting"].isin(group["setting"])]
        wide = robustness.wide(chosen, "top_talent")
        p_best = robustness.probability_best(wide)
        for _, b in group.iterrows():
            m = chosen[chosen["setting"] == b["setting"]]
            top, ce = m["top_talent"], m["cost_effectiveness"].dropna()
            dead = (m["deadweight"] / m["spending"]).where(m["spending"] > 0).dropna()
            spend = m["spending"] * 1e-3
            rows.append({
                "budget (billion KRW a year)": tables.value(budget * 1e-3),
                "lever": str(b["arm"]).replace("_", " "),
                "best setting": setting_text(str(b["setting"]), str(b["arm"])),
                f"{measured[0].label} (people)": _spread(top),
                "spent (billion KRW a year)": _spread(spend),
                "per 100 billion KRW a year (people)": _spread(ce),
                "deadweight (% of spending)": _spread(100 * dead),
                "P(best at this budget)": f"{100 * p_best.get(b['setting'], np.nan):.0f}%",
            })
            full.append({"budget": budget, "arm": b["arm"], "setting": b["setting"], "top_talent_median": top.median(),
                         "top_talent_low": top.quantile(0.05), "top_talent_high": top.quantile(0.95),
                         "spending_median": spend.median(), "cost_effectiveness_median": ce.median(),
                         "deadweight_share_median": dead.median(), "p_best": p_best.get(b["setting"], np.nan)})
            lines.append({"name": b["arm"], "budget": budget * 1e-3, "median": top.median(),
                          "low": top.quantile(0.05), "high": top.quantile(0.95)})
    doc.add(Heading("The best setting of each lever at each budget"),
            table(root, pd.DataFrame(rows), pd.DataFrame(full), "equal_budget",
                  "Paid levers at equal budgets, each at its best setting: median (90% of draws)"))
    png = figures.budget_lines(pd.DataFrame(lines), f"{measured[0].label} (people)", root / "figures" / "equal_budget")
    doc.add(figure(root, png, "Extra top-decile researchers against the yearly budget, each lever at its best "
                              f"setting: the median over {draws} draws and the band holding 90% of them."))
    free = means[means["arm"] == "hours_exemption"]
    if len(free):
        doc.add(Paragraph(
            "For reference, the hours exemption, which spends no money, adds "
            f"{_spread(free['top_talent'])} top-decile researchers; researchers in Korea work "
            f"{_spread(free['hours_worked'])} hours a week more on average, research output changes by "
            f"{_spread(free['research_output'])}%, and those it reaches value it at "
            f"{_spread(100 * free['value_share'])}% of their pay (medians, 90% of draws)."))


def setting_text(setting: str, arm: str) -> str:
    """A setting's grid values without its lever and budget (``share=0.5 cap=300``)."""
    parts = [p for p in setting.removeprefix(arm).split() if not p.startswith("budget=")]
    return " ".join(parts).replace("_", " ") or "as in its file"


def _spread(values: pd.Series) -> str:
    values = values.dropna()
    if values.empty:
        return "n/a"
    return tables.interval(float(values.median()), float(values.quantile(0.05)), float(values.quantile(0.95)))


EXPERIMENT = Experiment(
    name="equal_budget",
    title="Levers at equal budgets",
    question="At the same yearly budget, each at its best setting, which paid lever adds the most top talent, and "
             "what does the unpaid hours exemption cost instead?",
    sweeps=(SWEEP,),
    section=section,
)
