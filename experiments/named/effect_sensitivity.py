"""Sensitivity of the policy effects, and of their ranking, to what the data leave open: Sobol and Morris.

Sweeps: configs/sweeps/effect_sobol.toml (Saltelli's sample) and configs/sweeps/effect_morris.toml (Morris
trajectories), uncertainties designs: the calibration's posterior as one factor (a coordinate picks a particle,
so the fitted weights are re-drawn together, as calibrated, never one against the others' calibrated values),
each input the calibration carries (the weights no target pins and the assumed inputs with a prior range) and
the assumed hours peaks over their prior ranges; the two Korean offer slopes, the two sector weights and the two
peak inputs are grouped (SALib moves and indexes a group together). A sweep file may screen by Morris further
assumed inputs that the calibration holds at their values; the section then says that the fitted weights were
not refitted with them.
Every point of a sample runs the baseline and every lever on one stream of random numbers, so each lever's
effect at a point is a fixed function of the factors and the indices measure the weights, not the noise between
runs.

Outputs analysed: each lever's extra top-decile researchers in Korea after 20 years (``effect_<lever>``),
and the lead of the hours exemption over salary matching (``lead_...``): where it changes sign the ranking
of the two levers changes.
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.analysis import figures, robustness, sensitivity, tables
from experiments.analysis.document import Document, Heading, Paragraph
from experiments.analysis.measures import country, infer_origin, measure, parameter_label
from experiments.named.base import Context, Experiment
from experiments.named.common import figure, labelled_keys, ranged_inputs, sweep_sentence, table
from experiments.uncertainties import UNIT

SOBOL, MORRIS = "effect_sobol", "effect_morris"
HORIZON = 20
#: The rank change analysed: the first lever's effect minus the second's.
LEAD = ("hours_exemption", "salary_match")


def point_effects(context: Context, sweep: str) -> tuple[pd.DataFrame, list[str], pd.DataFrame]:
    """Per unit point (sampler order), each lever's effect and the lead; the factors; their unit coordinates."""
    manifest = context.manifests[sweep]
    data = context.load(sweep)
    origin = infer_origin(data)
    horizon = min(HORIZON, int(manifest["years"]))
    measured = robustness.effects_of(country(origin), horizon, int(manifest["years"]))
    effects = robustness.lever_effects(robustness.run_table(data, horizon, origin), measured[:1])
    wide = robustness.wide(robustness.draw_means(effects), "top_talent").sort_index()
    design = pd.DataFrame(manifest["design_table"])
    units = design.groupby("uncertainty")[[c for c in design.columns if c.startswith(UNIT)]].first().sort_index()
    expected = int(design["uncertainty"].max()) + 1
    if len(wide) != expected or wide.isna().any().any():
        raise ValueError(f"{sweep}: {len(wide)} of the sample's {expected} points have every lever's effect; "
                         "indices need them all")
    out = wide.rename(columns=lambda s: f"effect_{s}")
    if all(s in wide.columns for s in LEAD):
        out[f"lead_{LEAD[0]}_over_{LEAD[1]}"] = wide[LEAD[0]] - wide[LEAD[1]]
    factors = [c.removeprefix(UNIT) for c in units.columns]
    return out, factors, units


def sobol_indices(context: Context) -> pd.DataFrame:
    """Sobol indices of every output of :func:`point_effects` over the factors (unit ranges)."""
    outputs, factors, _ = point_effects(context, SOBOL)
    bounds = {f: (0.0, 1.0) for f in factors}
    second = sensitivity.second_order(context.manifests[SOBOL])
    groups = context.manifests[SOBOL].get("groups") or None
    frames = []
    for output in outputs.columns:
        found = sensitivity.sobol_indices(outputs[output].to_numpy(), bounds, calc_second_order=second,
                                          groups=groups)
        frames.append(found.assign(output=output))
    return pd.concat(frames, ignore_index=True)


def morris_indices(context: Context) -> pd.DataFrame:
    """Morris screening of every output of :func:`point_effects` (mu* in people across a factor's range)."""
    outputs, factors, units = point_effects(context, MORRIS)
    bounds = {f: (0.0, 1.0) for f in factors}
    groups = context.manifests[MORRIS].get("groups") or None
    frames = []
    for output in outputs.columns:
        found = sensitivity.morris_indices(units.to_numpy(dtype=float), outputs[output].to_numpy(), bounds,
                                           groups=groups)
        frames.append(found.assign(output=output))
    return pd.concat(frames, ignore_index=True)


def groups_text(groups: dict[str, str]) -> str:
    """``offer shifts (offer shift, students, ...); ...`` for the sweep's groups (factor -> group)."""
    members: dict[str, list[str]] = {}
    for factor, group in groups.items():
        members.setdefault(group, []).append(parameter_label(factor))
    return "; ".join(f"{g.replace('_', ' ')} ({', '.join(m)})" for g, m in members.items()) or "none"


def drivers(indices: pd.DataFrame, column: str = "ST", floor: float = 0.1, most: int = 4, tag: str = "") -> str:
    """Per output, the (at most ``most``) factors whose index ``column`` is at least ``floor``, largest first."""
    parts = []
    for output, rows in indices.groupby("output", sort=False):
        top = rows.sort_values(column, ascending=False).head(most)
        named = [f"{parameter_label(p)} ({tag}{tables.number(v)})" for p, v in zip(top["parameter"], top[column],
                                                                                   strict=True) if v >= floor]
        parts.append(f"{measure(output).label}: {', '.join(named) or f'no factor above {floor:g}'}")
    return "; ".join(parts)


def screened_text(context: Context) -> str:
    """The sentence on the assumed inputs the Morris screening moves beyond the Sobol sample's factors ("" if
    none): they move with the fitted weights as calibrated, not refitted."""
    sobol = set(ranged_inputs(context.manifests[SOBOL]))
    only = [key for key in ranged_inputs(context.manifests[MORRIS]) if key not in sobol]
    if not only:
        return ""
    return (" The screening also moves assumed inputs the other draws hold, each over its prior range: "
            + labelled_keys(only)
            + ". The fitted weights do not move with them (the calibration assumed their values and was not "
            "redone), so a large mu* of one says the calibration would have to be redone with it in doubt, not "
            "what a refitted model would give.")


def section(doc: Document, root: Path, context: Context) -> None:
    """Sobol and Morris indices of the effects and of the lead, with tables and charts."""
    sobol = sobol_indices(context)
    horizon = min(HORIZON, int(context.manifests[SOBOL]["years"]))
    assumed = "".join(f", the assumed {parameter_label(k)}" for k in ranged_inputs(context.manifests[SOBOL]))
    doc.add(Paragraph(sweep_sentence(context.manifests[SOBOL])),
            Paragraph("Factors: the posterior of the fitted weights as one factor (a coordinate picks a particle "
                      "with its posterior weight; particles ordered by the wage weight) and each input the "
                      f"calibration carries{assumed} over its prior range, some in groups that move (and are "
                      "indexed) together: "
                      + groups_text(context.manifests[SOBOL].get("groups") or {})
                      + ". Outputs: each lever's extra top-decile "
                      f"researchers in Korea after {horizon} years against the baseline at the same point, and the "
                      "lead of the hours exemption over salary matching (its sign is their ranking)."),
            Heading("Sobol indices of the effects"),
            Paragraph("Factors with a total Sobol index of at least 0.1, largest first: " + drivers(sobol) + ". "
                      "With a small Saltelli sample the bootstrap intervals are wide; a factor whose interval "
                      "reaches far above zero cannot be ruled out."))
    shown = pd.DataFrame({
        "output": [measure(o).label for o in sobol["output"]],
        "factor": [parameter_label(p) for p in sobol["parameter"]],
        "first order": [tables.interval(*v) for v in sobol[["S1", "S1_low", "S1_high"]].to_numpy()],
        "total": [tables.interval(*v) for v in sobol[["ST", "ST_low", "ST_high"]].to_numpy()]})
    doc.add(table(root, shown, sobol, "effect_sobol", "Sobol indices of the policy effects (95% bootstrap interval)"))
    png = figures.sobol_chart(sobol, root / "figures" / "effect_sobol",
                              title="Sobol indices of the policy effects (95% bootstrap intervals)")
    doc.add(figure(root, png, "First-order and total Sobol indices of each lever's effect and of the lead of the "
                              "hours exemption over salary matching."))
    morris = morris_indices(context)
    doc.add(Heading("Morris screening of the effects"), Paragraph(sweep_sentence(context.manifests[MORRIS])),
            Paragraph("mu* is the mean absolute change in the output (people) when one factor moves across its "
                      "range; for the posterior factor that is a move between particles ordered by the wage "
                      "weight. SALib gives no sigma for a group. Factors with the largest mu*: "
                      + drivers(morris, "mu_star", 0.0, tag="mu* ") + "." + screened_text(context)))
    shown = pd.DataFrame({
        "output": [measure(o).label for o in morris["output"]],
        "factor": [parameter_label(p) for p in morris["parameter"]],
        "mu* (people)": [tables.interval(*v) for v in morris[["mu_star", "mu_star_low", "mu_star_high"]].to_numpy()],
        "sigma (people)": [tables.number(v) for v in morris["sigma"]]})
    doc.add(table(root, shown, morris, "effect_morris", "Morris screening of the policy effects: mu* (95% interval)"))
    png = figures.morris_chart(morris, root / "figures" / "effect_morris")
    doc.add(figure(root, png, "Morris screening of each lever's effect: mu* (with its 95% bootstrap interval) "
                              "against sigma."))


EXPERIMENT = Experiment(
    name="effect_sensitivity",
    title="What the policy effects depend on",
    question="Which of the weights the data leave open drive the policy effects and the ranking of the levers?",
    sweeps=(SOBOL, MORRIS),
    section=section,
)
