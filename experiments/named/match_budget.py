"""Salary matching, two levers at once: the matched share of the pay gap against the yearly budget.

Sweep: configs/sweeps/match_budget.toml (a grid; the budget's first level is 0). A zero budget spends
nothing, so on common random numbers its runs are the baseline's; each point is compared with the
zero-budget point of the same share. Heat maps show the extra top talent in Korea after 20 years and the
cost per extra researcher-year over the grid.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.analysis import comparison, figures, tables
from experiments.analysis.document import Document, Paragraph
from experiments.analysis.measures import country, infer_origin, parameter_label
from experiments.named.base import Context, Experiment
from experiments.named.common import figure, sweep_sentence, table

SWEEP = "match_budget"
SHARE = "policies.salary_match.share"
BUDGET = "policies.salary_match.budget"


def zero_budget_pairs(design: pd.DataFrame) -> dict[int, int]:
    """Each point with a budget against the zero-budget point of the same share."""
    free = design[design[BUDGET] == 0]
    if free.empty:
        raise ValueError(f"the grid needs a {BUDGET} level of 0 (the baseline) to compare against")
    zero = dict(zip(free[SHARE], free["point"], strict=True))
    return {int(p): int(zero[share]) for p, share, budget in
            zip(design["point"], design[SHARE], design[BUDGET], strict=True) if budget != 0}


def grid_of(result: pd.DataFrame, design: pd.DataFrame, metric: str, column: str) -> pd.DataFrame:
    """One metric's ``column`` (estimate, ci_low or ci_high) as a share x budget table."""
    rows = result[result["metric"] == metric].merge(design, on="point")
    return rows.pivot(index=SHARE, columns=BUDGET, values=column).sort_index().sort_index(axis=1)


def section(doc: Document, root: Path, context: Context) -> None:
    """The share-against-budget heat maps and table."""
    manifest = context.manifests[SWEEP]
    data = context.load(SWEEP)
    origin = infer_origin(data)
    design = pd.DataFrame(manifest["design_table"])[["point", SHARE, BUDGET]]
    pairs = zero_budget_pairs(design)
    outcomes = comparison.run_outcomes(data, origin)
    result = comparison.compare(outcomes, pairs, origin=origin)
    zero = design[design[BUDGET] == 0]["point"].tolist()
    columns = [c for c in data.columns if c.startswith(("researchers_", "top_talent_", "share_abroad"))]
    frames = [data[data["point"] == p][columns].to_numpy() for p in zero]
    same = all(np.array_equal(frames[0], f) for f in frames[1:])
    doc.add(Paragraph(sweep_sentence(manifest) + " Each point is compared with the zero-budget point of its row, "
                      "paired by replicate; the zero-budget points are "
                      + ("identical to one another, as they must be (no spending, same draws)." if same else
                         "NOT identical to one another: the comparison is not against a clean baseline.")))
    horizon = comparison.last_horizon(outcomes)
    home = country(origin)
    budgets = parameter_label(BUDGET, unit=True)
    for metric, axis, stem, caption in (
            (f"extra_top_talent_{horizon}y", f"extra top-decile researchers in {home}, year {horizon} (people)",
             "match_budget_top_talent",
             f"Extra top-decile researchers in {home} in year {horizon} against the baseline, mean (95% "
             "interval) of the paired differences, by matched share and yearly budget."),
            ("cost_per_researcher_year", "cost per extra researcher-year (million KRW)", "match_budget_cost",
             "Cost per extra researcher-year retained in "
             f"{home} (total spending over extra researcher-years, Fieller's 95% interval)."),
    ):
        values, low, high = (grid_of(result, design, metric, c) for c in ("estimate", "ci_low", "ci_high"))
        png = figures.heat_map(values, BUDGET, SHARE, axis, root / "figures" / stem, low=low, high=high,
                               title=axis[:1].upper() + axis[1:])
        doc.add(figure(root, png, caption))
    wide = result.merge(design, on="point")
    compared = design[design["point"].isin(list(pairs))]
    shown = pd.DataFrame({"matched share": [tables.value(v) for v in compared[SHARE]],
                          budgets: [tables.value(v) for v in compared[BUDGET]]})
    for metric in (f"extra_researchers_{horizon}y", f"extra_top_talent_{horizon}y", "extra_researcher_years",
                   "spending", "cost_per_researcher_year"):
        rows = wide[wide["metric"] == metric].set_index("point").loc[compared["point"]]
        label = f"{rows['label'].iloc[0]} ({rows['unit'].iloc[0]})"
        shown[label] = [tables.interval(e, lo, hi) for e, lo, hi in
                        zip(rows["estimate"], rows["ci_low"], rows["ci_high"], strict=True)]
    doc.add(table(root, shown, wide, "match_budget", "Salary matching by share and budget against the baseline: "
                                                     "estimate (95% interval)"))


EXPERIMENT = Experiment(
    name="match_budget",
    title="Salary matching: matched share against budget",
    question="How do the matched share of the pay gap and the yearly budget trade off?",
    sweeps=(SWEEP,),
    section=section,
)
