"""The paid levers at equal yearly budgets, each at its best setting within the budget, over 200 draws.

Two sweeps. The search (configs/sweeps/equal_budget_search.toml) runs every setting of salary matching, star
recruitment and return grants at 50, 100 and 200 billion KRW a year over 20 draws of the uncertain weights. The
best setting of each lever at each budget is the one that adds the most top-decile researchers on average over
those draws. The evaluation (``equal_budget``, written by :func:`evaluation_sweep` from the search's results
into ``OUT/sweeps/equal_budget.toml``) runs those best settings, the hours exemption and the baseline over 200
fresh draws (another seed): the winner is chosen on some draws and measured on others, so it is not flattered.
"""

from __future__ import annotations

import json
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from experiments.analysis import figures, robustness, tables
from experiments.analysis.document import Document, Heading, Paragraph
from experiments.analysis.measures import country, infer_origin
from experiments.named.base import Context, Experiment
from experiments.named.common import drawn_text, figure, particles_sentence, sweep_sentence, table
from simulation import schema

SEARCH, EVALUATION = "equal_budget_search", "equal_budget"
HORIZON = 20
#: The evaluation sweep's draws and root seed (its years and agents are the search's).
EVALUATION_DRAWS = 200
EVALUATION_SEED = 20261205
#: Joins a lever and its budget in the evaluation's lever names (``salary_match@50000``).
AT = "@"


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


def effects_of_sweep(context: Context, sweep: str) -> tuple[list[robustness.Effect], pd.DataFrame]:
    """The effect measures and the draw means of a finished uncertainties sweep (with cost-effectiveness)."""
    manifest = context.manifests[sweep]
    data = context.load(sweep)
    origin = infer_origin(data)
    horizon = min(HORIZON, int(manifest["years"]))
    measured = robustness.effects_of(country(origin), horizon, int(manifest["years"]))
    means = robustness.draw_means(robustness.lever_effects(robustness.run_table(data, horizon, origin), measured))
    means["cost_effectiveness"] = robustness.cost_effectiveness(means)
    return measured, means


def search_result(context: Context) -> pd.DataFrame:
    """The search's best setting of each lever at each budget, with its grid values (``values``: dict)."""
    _, means = effects_of_sweep(context, SEARCH)
    design = pd.DataFrame(context.manifests[SEARCH]["design_table"])
    best = best_settings(means, budgets(design))
    rows = design.drop_duplicates("setting").set_index("setting")
    grid = [k for k in context.manifests[SEARCH]["parameters"] if k.startswith("policies.")]
    best["values"] = [{k: _plain(k, rows.loc[s, k]) for k in grid if k.startswith(f"policies.{a}.")
                       and pd.notna(rows.loc[s, k])} for s, a in zip(best["setting"], best["arm"], strict=True)]
    return best


def evaluation_sweep(context: Context) -> str:
    """The evaluation sweep file (TOML text): the search's sweep with each lever's best setting at each budget as
    its own lever, the hours exemption and the baseline, over 200 fresh draws."""
    manifest = context.manifests[SEARCH]
    raw = tomllib.loads(manifest["sweep"]["text"])
    folder = Path(manifest["sweep"]["path"]).parent
    best = search_result(context)
    lines = [f"# Written by the equal_budget experiment from the search in {context.folders[SEARCH]}: each lever's",
             "# best setting at each budget (the most extra top-decile researchers on average over the search's",
             f"# draws), run over {EVALUATION_DRAWS} fresh draws. Do not edit: the experiment writes it again.",
             f'name = "{EVALUATION}"',
             'description = "the search\'s best setting of each paid lever at each budget, the hours exemption and the '
             f'baseline, over {EVALUATION_DRAWS} draws"',
             f"base = {json.dumps(manifest['base'])}",
             'design = "uncertainties"', 'sampler = "latin"', f"samples = {EVALUATION_DRAWS}", "replicates = 1",
             f"years = {int(manifest['years'])}", f"researchers = {manifest['researchers']}", 'keep = "yearly"',
             f"seed = {EVALUATION_SEED}", "", "[uncertainties]"]
    for key, value in raw["uncertainties"].items():
        shown = json.dumps(str((folder / value).resolve())) if key in ("posterior", "carried") else _toml(value)
        lines.append(f"{json.dumps(key)} = {shown}")
    levers = raw["levers"]
    for arm, spec in levers.items():
        if "vary" in spec:
            continue
        lines += ["", f"[levers.{json.dumps(arm)}]", *_lever_lines(spec, folder, {})]
    for _, row in best.iterrows():
        spec = levers[row["arm"]]
        lines += ["", f"[levers.{json.dumps(f'{row['arm']}{AT}{row['budget']:g}')}]",
                  *_lever_lines(spec, folder, row["values"])]
    return "\n".join(lines) + "\n"


def _lever_lines(spec: Mapping[str, Any], folder: Path, values: Mapping[str, Any]) -> list[str]:
    """A lever table's lines: its config file (absolute path), its fixed overrides and ``values``."""
    out = []
    for key, value in spec.items():
        if key == "vary":
            continue
        if key == "config":
            out.append(f"config = {json.dumps(str((folder / value).resolve()))}")
        else:
            out += [f"{json.dumps(k)} = {_toml(v)}" for k, v in _flat(key, value)]
    out += [f"{json.dumps(k)} = {_toml(v)}" for k, v in values.items()]
    return out


def _flat(key: str, value: Any) -> list[tuple[str, Any]]:
    if isinstance(value, dict) and value:
        return [item for k, v in value.items() for item in _flat(f"{key}.{k}", v)]
    return [(key, value)]


def _toml(value: Any) -> str:
    """A TOML value: numbers as given, strings and lists as JSON (the same in TOML), tables inline."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return repr(value)
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{json.dumps(k)} = {_toml(v)}" for k, v in value.items()) + " }"
    return json.dumps(value)


def _plain(key: str, value: Any) -> Any:
    """A design-table value as the config key takes it: a whole number for a whole-number key (the design table
    holds it as a float where other levers leave the column empty), else a plain float or the value itself."""
    found = schema.field_at(key)
    if found is not None and found[0] is int and float(value).is_integer():
        return int(value)
    if isinstance(value, (np.integer, np.floating)):
        return float(value)
    return value


def section(doc: Document, root: Path, context: Context) -> None:
    """The best setting of each lever at each budget, its effect and cost-effectiveness over 200 draws."""
    best = search_result(context)
    measured, means = effects_of_sweep(context, EVALUATION)
    draws = int(means["uncertainty"].nunique())
    search_draws = int(pd.DataFrame(context.manifests[SEARCH]["design_table"])["uncertainty"].nunique())
    paid = means[means["setting"].str.contains(AT, regex=False)].copy()
    paid["family"] = paid["setting"].str.split(AT).str[0]
    paid["budget"] = paid["setting"].str.split(AT).str[1].astype(float)
    setting_of = {f"{a}{AT}{b:g}": s for a, b, s in zip(best["arm"], best["budget"], best["setting"], strict=True)}
    doc.add(Paragraph(sweep_sentence(context.manifests[SEARCH])),
            Paragraph(sweep_sentence(context.manifests[EVALUATION])),
            Paragraph(f"The search runs every setting of each paid lever's own parameters at each budget over "
                      f"{search_draws} draws of the uncertain weights ({drawn_text(context.manifests[SEARCH])}); "
                      "the best setting at a budget adds the most top-decile researchers on "
                      f"average over them. The evaluation runs those best settings over {draws} fresh draws (another "
                      "seed), so the winner is chosen on some draws and measured on others. Medians and 90% "
                      "intervals are over the evaluation's draws; the probability of being the best compares the "
                      "levers at one budget, draw by draw. Deadweight is the share of spending that goes to people "
                      "who are in Korea in the run's baseline twin anyway. A lever spends less than its budget when "
                      "too few eligible researchers take its offer. "
                      + particles_sentence(context.manifests[EVALUATION])))
    rows, lines, full = [], [], []
    for budget, group in paid.groupby("budget", sort=True):
        p_best = robustness.probability_best(robustness.wide(group, "top_talent"))
        for setting, m in group.groupby("setting", sort=False):
            family = str(m["family"].iloc[0])
            top, ce = m["top_talent"], m["cost_effectiveness"].dropna()
            dead = (m["deadweight"] / m["spending"]).where(m["spending"] > 0).dropna()
            spend = m["spending"] * 1e-3
            rows.append({
                "budget (billion KRW a year)": tables.value(budget * 1e-3),
                "lever": family.replace("_", " "),
                "best setting": setting_text(setting_of.get(setting, ""), family),
                f"{measured[0].label} (people)": robustness.spread_text(top),
                "spent (billion KRW a year)": robustness.spread_text(spend),
                "per 100 billion KRW a year (people)": robustness.spread_text(ce),
                "deadweight (% of spending)": robustness.spread_text(100 * dead),
                "P(best at this budget)": f"{100 * p_best.get(setting, np.nan):.0f}%",
            })
            full.append({"budget": budget, "arm": family, "setting": setting_of.get(setting, setting),
                         "top_talent_median": top.median(), "top_talent_low": top.quantile(0.05),
                         "top_talent_high": top.quantile(0.95), "spending_median": spend.median(),
                         "cost_effectiveness_median": ce.median(), "deadweight_share_median": dead.median(),
                         "p_best": p_best.get(setting, np.nan), "draws": len(m)})
            lines.append({"name": family, "budget": budget * 1e-3, "median": top.median(),
                          "low": top.quantile(0.05), "high": top.quantile(0.95)})
    doc.add(Heading("The best setting of each lever at each budget"),
            table(root, pd.DataFrame(rows), pd.DataFrame(full), "equal_budget",
                  f"Paid levers at equal budgets, each at its best setting: median (90% of {draws} draws)"))
    png = figures.budget_lines(pd.DataFrame(lines), f"{measured[0].label} (people)", root / "figures" / "equal_budget")
    doc.add(figure(root, png, "Extra top-decile researchers against the yearly budget, each lever at its best "
                              f"setting: the median over {draws} draws and the band holding 90% of them."))
    free = means[means["arm"] == "hours_exemption"]
    if len(free):
        doc.add(Paragraph(
            "For reference, the hours exemption, which spends no money, adds "
            f"{robustness.spread_text(free['top_talent'])} top-decile researchers; researchers in Korea work "
            f"{robustness.spread_text(free['hours_worked'])} hours a week more on average, research output changes by "
            f"{robustness.spread_text(free['research_output'])}%, and those it reaches value it at "
            f"{robustness.spread_text(100 * free['value_share'])}% of their pay (medians, 90% of draws)."))


def setting_text(setting: str, arm: str) -> str:
    """A setting's grid values without its lever and budget (``share=0.5 cap=300``)."""
    parts = [p for p in setting.removeprefix(arm).split() if not p.startswith("budget=")]
    return " ".join(parts).replace("_", " ") or "as in its file"


EXPERIMENT = Experiment(
    name="equal_budget",
    title="Levers at equal budgets",
    question="At the same yearly budget, each at its best setting, which paid lever adds the most top talent, and "
             "what does the unpaid hours exemption cost instead?",
    sweeps=(SEARCH, EVALUATION),
    section=section,
    derived={EVALUATION: evaluation_sweep},
)
