"""The policy comparison over what the data leave open: each lever at 200 draws of the uncertain weights.

Sweep: configs/sweeps/policy_robustness.toml (an uncertainties design: a particle of the calibration's
posterior and the carried inputs from their priors, crossed with the baseline and the four policy
scenario files; two replicates a draw on common random numbers within the draw). The section reports each
lever's effect over the draws (median, 90% interval, the share of its spread due to the weights), the
probability that each lever is the most cost-effective and that it beats each other, what each lever costs
(money, researchers' hours, deadweight) and, with PRIM, where in the uncertain weights the hours exemption
adds more top talent than salary matching.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from experiments.analysis import discovery, figures, robustness, tables
from experiments.analysis.document import Document, Heading, Paragraph
from experiments.analysis.measures import country, infer_origin, parameter_label
from experiments.named.base import Context, Experiment
from experiments.named.common import (
    drawn_text,
    figure,
    held_sentence,
    particles_sentence,
    screened_inputs,
    sweep_sentence,
    table,
)

SWEEP = "policy_robustness"
#: Years after the start at which top talent is compared.
HORIZON = 20
#: The question PRIM answers: where does the first lever add more top talent than the second?
CHALLENGER, INCUMBENT = "hours_exemption", "salary_match"


def verdict(probability: float) -> str:
    """How settled a comparison is, in words, from the share of draws that favour it."""
    if probability >= 0.95:
        return "robust: it holds at nearly every draw"
    if probability >= 0.75:
        return "likely, not certain"
    if probability > 0.25:
        return "not settled by the data"
    if probability > 0.05:
        return "unlikely"
    return "ruled out at nearly every draw"


def analysed(context: Context) -> tuple[str, list[robustness.Effect], pd.DataFrame, pd.DataFrame]:
    """The origin, the effect measures, the effects (lever, draw, replicate) and their draw means."""
    manifest = context.manifests[SWEEP]
    data = context.load(SWEEP)
    origin = infer_origin(data)
    horizon = min(HORIZON, int(manifest["years"]))
    effects_measured = robustness.effects_of(country(origin), horizon, int(manifest["years"]))
    runs = robustness.run_table(data, horizon, origin)
    effects = robustness.lever_effects(runs, effects_measured)
    means = robustness.draw_means(effects)
    means["cost_effectiveness"] = robustness.cost_effectiveness(means)
    return origin, effects_measured, effects, means


def name(setting: str) -> str:
    """A lever setting as the tables show it."""
    return setting.replace("_", " ")


def section(doc: Document, root: Path, context: Context) -> None:
    """Effects over the draws, probabilities of being best, costs, and PRIM."""
    manifest = context.manifests[SWEEP]
    _, measured, effects, means = analysed(context)
    summary = robustness.summarize(effects, [m.name for m in measured])
    draws = int(means["uncertainty"].nunique())
    replicates = int(manifest["replicates"])
    settings = list(dict.fromkeys(means["setting"]))
    ratios = robustness.wide(means, "cost_effectiveness")
    best_ce = robustness.probability_best(ratios).where(ratios.notna().any())  # NaN: the lever spends nothing
    top = robustness.wide(means, "top_talent")
    best_top = robustness.probability_best(top)
    beats = robustness.probability_beats(top)
    top_label = measured[0].label
    doc.add(Paragraph(sweep_sentence(manifest)),
            Paragraph(f"Each of the {draws} draws takes {drawn_text(manifest)} (a Latin hypercube). "
                      "A lever's effect at a draw is its run minus the "
                      "baseline's run at the same draw and replicate (common random numbers). Medians and 90% "
                      f"intervals are over the draws' means of {replicates} replicate"
                      f"{'s' if replicates > 1 else ''}; the share of the spread due to the weights splits the "
                      "variance of one run's effect into the weights and the simulation's noise (one-way random "
                      "effects over draws and replicates). Cost-effectiveness is extra top-decile researchers "
                      "per 100 billion KRW a year; the hours exemption spends no money and has none. "
                      + particles_sentence(manifest) + " " + held_sentence(manifest, screened_inputs())))
    doc.add(Heading("Headline and how robust it is"), Paragraph(headline(means, best_top, best_ce, beats, draws)))

    rows = []
    for setting in settings:
        s = summary[summary["setting"] == setting].set_index("effect")
        ce = means.loc[means["setting"] == setting, "cost_effectiveness"].dropna()
        spend = means.loc[means["setting"] == setting, "spending"] * 1e-3
        rows.append({
            "lever": name(setting),
            f"{top_label} (people)": _cell(s.loc["top_talent"]),
            "share of spread due to weights": _share(s.loc["top_talent", "param_share"]),
            f"{measured[2].label} (researcher-years)": _cell(s.loc["researcher_years"]),
            "spending (billion KRW a year)": tables.number(float(spend.median())),
            "per 100 billion KRW a year (people)": (tables.interval(float(ce.median()), float(ce.quantile(0.05)),
                                                                    float(ce.quantile(0.95)))
                                                    if len(ce) else "no spending"),
            "P(most cost-effective)": _share(best_ce.get(setting, np.nan)),
            "P(largest effect)": _share(best_top.get(setting, np.nan)),
        })
    shown = pd.DataFrame(rows)
    doc.add(Heading("Effects over the posterior and the carried priors"),
            table(root, shown, summary, "robust_effects",
                  f"Effects over {draws} draws of the uncertain weights: median (90% of draws)"))
    chart = means.assign(name=means["setting"].map(name),
                         spending_bn=means["spending"] * 1e-3)
    png = figures.draw_intervals(chart, [("top_talent", f"{top_label} (people)"),
                                         ("cost_effectiveness", "extra top-decile researchers per 100 bn KRW a year")],
                                 root / "figures" / "robust_effects")
    doc.add(figure(root, png, f"Each lever over {draws} draws of the uncertain weights: the dot is the median, the "
                              "thick bar holds half the draws, the thin one 90%. The hours exemption spends no "
                              "money and has no cost-effectiveness."))
    probabilities = pd.DataFrame({"most cost-effective": best_ce, "largest effect": best_top}).loc[settings]
    png = figures.probability_bars(probabilities, root / "figures" / "probability_best",
                                   title="How often each lever is the best, over the draws")
    doc.add(figure(root, png, "The share of draws at which each lever is the most cost-effective (among levers "
                              "that spend money) and adds the most top-decile researchers."))
    pairwise = beats.loc[settings, settings].map(lambda p: "" if np.isnan(p) else _share(p))
    pairwise.index = [name(s) for s in settings]
    pairwise.columns = [name(s) for s in settings]
    doc.add(Paragraph(f"The probability that the lever of the row adds more top-decile researchers (year "
                      f"{min(HORIZON, int(manifest['years']))}) than the lever of the column, over the draws."),
            table(root, pairwise.reset_index(names="row beats column"), beats.reset_index(names="setting"),
                  "probability_beats", "P(row adds more top talent than column), over the draws"))
    costs_section(doc, root, means, effects, measured, settings)
    prim_section(doc, root, context, means, top_label)


def headline(means: pd.DataFrame, best_top: pd.Series, best_ce: pd.Series, beats: pd.DataFrame, draws: int) -> str:
    """The headline conclusions with the share of draws behind each."""
    leader = str(best_top.idxmax())
    ce = best_ce.dropna()
    parts = [f"**{name(leader)} adds the most top-decile researchers at {_share(best_top[leader])} of the {draws} "
             f"draws** ({verdict(float(best_top[leader]))})."]
    if len(ce):
        first = str(ce.idxmax())
        parts.append(f"Among the levers that spend money, **{name(first)} is the most cost-effective at "
                     f"{_share(ce[first])} of the draws** ({verdict(float(ce[first]))}).")
    if CHALLENGER in beats.index and INCUMBENT in beats.columns:
        p = float(beats.loc[CHALLENGER, INCUMBENT])
        parts.append(f"The hours exemption adds more top talent than salary matching at {_share(p)} of the draws "
                     f"({verdict(p)}); where it does is the question of the scenario discovery below.")
    parts.append("Each share counts draws of the weights the data leave open; a share near 50% means the data do "
                 "not settle the comparison, whatever a single run at the posterior median says.")
    return " ".join(parts)


def costs_section(doc: Document, root: Path, means: pd.DataFrame, effects: pd.DataFrame,
                  measured: list[robustness.Effect], settings: list[str]) -> None:
    """What each lever costs the state and researchers: money, value to recipients, hours, output, deadweight."""
    rows, full = [], []
    for setting in settings:
        m = means[means["setting"] == setting]
        dead_share = (m["deadweight"] / m["spending"]).where(m["spending"] > 0)
        values = {
            "spending (billion KRW a year)": m["spending"] * 1e-3,
            "recipients (people a year)": m["recipients"],
            "value to recipients (% of their pay)": 100 * m["value_share"],
            "deadweight (% of spending)": 100 * dead_share,
            f"{measured[3].label} (hours a week)": m["hours_worked"],
            f"{measured[4].label} (%)": m["research_output"],
        }
        row = {"lever": name(setting)}
        for column, series in values.items():
            series = series.dropna()
            row[column] = robustness.spread_text(series)
            full.append({"setting": setting, "measure": column, "median": series.median() if len(series) else np.nan,
                         "low": series.quantile(0.05) if len(series) else np.nan,
                         "high": series.quantile(0.95) if len(series) else np.nan})
        rows.append(row)
    doc.add(Heading("What each lever costs"),
            Paragraph("No lever is free. Spending is the state's money. The value to recipients is what the "
                      "people a lever reaches would give up for it, as a share of their pay (for the hours "
                      "exemption: the pay that would leave them as well off as the hours they may now work); the "
                      "change in hours worked is what researchers give of their time, and the change in research "
                      "output what the country gets from it. Deadweight is the share of spending that goes to "
                      "people who are in Korea in the baseline twin of the run anyway. Medians (90% of draws)."),
            table(root, pd.DataFrame(rows), pd.DataFrame(full), "lever_costs",
                  "What each lever costs: median (90% of draws)"))


def prim_section(doc: Document, root: Path, context: Context, means: pd.DataFrame, top_label: str) -> None:
    """PRIM: where in the uncertain weights does the challenger add more top talent than the incumbent?"""
    manifest = context.manifests[SWEEP]
    top = robustness.wide(means, "top_talent")
    if CHALLENGER not in top.columns or INCUMBENT not in top.columns:
        return
    inputs = robustness.inputs_of(pd.DataFrame(manifest["design_table"]), manifest["parameters"])
    inputs = inputs.loc[top.index]
    wins = (top[CHALLENGER] > top[INCUMBENT]).to_numpy()
    doc.add(Heading("Scenario discovery: where the hours exemption beats salary matching"))
    question = (f"At which values of the uncertain weights does the hours exemption add more top-decile "
                f"researchers than salary matching ({top_label})? It does at {wins.sum()} of {len(wins)} draws.")
    try:
        box = discovery.discover(inputs, wins)
    except ValueError as err:
        doc.add(Paragraph(f"{question} PRIM cannot answer: {err}."))
        return
    limits = discovery.box_table(box, inputs)
    intro = (f"{question} PRIM (patient rule induction) peels the space of the {inputs.shape[1]} uncertain weights "
             "towards the region where such draws are dense, and keeps only restrictions that chance would not "
             "explain (quasi-p at most 5%).")
    if limits.empty:
        doc.add(Paragraph(f"{intro} **No region survives**: every restriction PRIM tried could be chance, so the "
                          "draws where the hours exemption wins are not concentrated in any region of the weights "
                          f"that {len(wins)} draws can show."))
    else:
        shown = pd.DataFrame({
            "weight": [parameter_label(k) for k in limits["input"]],
            "box low": [tables.value(round(v, 4)) for v in limits["low"]],
            "box high": [tables.value(round(v, 4)) for v in limits["high"]],
            "range in the draws": [f"{tables.value(round(lo, 4))} to {tables.value(round(hi, 4))}"
                                   for lo, hi in zip(limits["range_low"], limits["range_high"], strict=True)],
            "quasi-p": [tables.number(box.quasi_p[k]) for k in limits["input"]]})
        doc.add(Paragraph(f"{intro} The box below holds {_share(box.coverage)} of the draws where the hours "
                          f"exemption wins (coverage); of the draws inside it, {_share(box.density)} are wins "
                          f"(density, against {_share(box.base_rate)} over all draws); it holds "
                          f"{_share(box.mass)} of all draws."),
                table(root, shown, limits.assign(quasi_p=[box.quasi_p[k] for k in limits["input"]]), "prim_box",
                      "PRIM box: where the hours exemption beats salary matching"))
    png = discovery.trajectory_figure(box, root / "figures" / "prim_trajectory",
                                      "Peeling trajectory: hours exemption beats salary matching")
    doc.add(figure(root, png, "PRIM's peeling trajectory: each box's coverage against its density; the box "
                              "reported is marked."))


def _cell(row: pd.Series) -> str:
    return tables.interval(float(row["median"]), float(row["low"]), float(row["high"]))


def _share(p: float) -> str:
    return "n/a" if p is None or not np.isfinite(p) else f"{100 * p:.0f}%"


EXPERIMENT = Experiment(
    name="robustness",
    title="Policy effects over what the data leave open",
    question="Which lever adds the most top talent, and which is the most cost-effective, across the posterior "
             "of the fitted weights and the priors of the weights the data leave open?",
    sweeps=(SWEEP,),
    section=section,
)
