"""The vicious cycle: what losing senior talent to the US does to Korea's mentors and to the next cohorts.

Sweep: configs/sweeps/vicious_cycle.toml, a grid of Korea's mentor weight (how much mentor quality
depends on the senior talent in the country; 0 switches the channel off) against US senior industry pay
(a pull on Korean seniors; its first level is the reference). On common random numbers each shocked
point is compared with the unshocked point of the same weight, replicate by replicate. The cycle is the
part of the effect that needs the mentor channel: the effect at weight w minus the effect at weight 0,
again paired by replicate (a difference in differences).
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import pandas as pd

from experiments.analysis import figures, stats, tables
from experiments.analysis.document import Document, Paragraph
from experiments.analysis.measures import add_phd_share, country, infer_origin, measure, parameter_label
from experiments.named.base import Context, Experiment
from experiments.named.common import figure, sweep_sentence, table

SWEEP = "vicious_cycle"
WEIGHT = "countries.KR.mentor_weight"
PAY = "countries.US.salary.industry.senior"
#: Years after the start shown in the tables.
YEARS: tuple[int, ...] = (10, 20, 30)


def shock_pairs(design: pd.DataFrame) -> dict[int, int]:
    """Each shocked point against the point of the same weight at the reference (lowest) pay."""
    reference = design[PAY].min()
    base = dict(zip(design.loc[design[PAY] == reference, WEIGHT], design.loc[design[PAY] == reference, "point"],
                    strict=True))
    return {int(p): int(base[w]) for p, w, pay in zip(design["point"], design[WEIGHT], design[PAY], strict=True)
            if pay != reference}


def at_years(data: pd.DataFrame, outputs: Sequence[str], offsets: Sequence[int]) -> pd.DataFrame:
    """The outputs ``offsets`` years after the start, indexed by (point, replicate, offset)."""
    start = int(data["year"].min())
    rows = data[data["year"].isin([start + h for h in offsets])].assign(offset=lambda f: f["year"] - start)
    return rows.set_index(["point", "replicate", "offset"])[list(outputs)].sort_index()


def effects(values: pd.DataFrame, design: pd.DataFrame, pairs: dict[int, int], outputs: Sequence[str],
            offsets: Sequence[int]) -> pd.DataFrame:
    """Per shocked point, output and year: the shock's effect (paired) and the cycle's part (difference in
    differences against weight 0, paired), each with its 95% interval."""
    by_point = design.set_index("point")
    zero = {(float(by_point.loc[p, PAY])): p for p in pairs if by_point.loc[p, WEIGHT] == 0}
    rows = []
    for point, reference in pairs.items():
        weight, pay = float(by_point.loc[point, WEIGHT]), float(by_point.loc[point, PAY])
        for output in outputs:
            for h in offsets:
                effect = (values.xs((point, h), level=("point", "offset"))[output]
                          - values.xs((reference, h), level=("point", "offset"))[output])
                shock = stats.mean_interval(effect.to_numpy())
                row = {"point": point, "weight": weight, "pay": pay, "output": output, "year": h,
                       "effect": shock.estimate, "effect_low": shock.low, "effect_high": shock.high}
                if weight != 0 and pay in zero:
                    z, z_ref = zero[pay], pairs[zero[pay]]
                    off = (values.xs((z, h), level=("point", "offset"))[output]
                           - values.xs((z_ref, h), level=("point", "offset"))[output])
                    cycle = stats.paired_difference(effect.to_numpy(), off.reindex(effect.index).to_numpy())
                    row |= {"cycle": cycle.estimate, "cycle_low": cycle.low, "cycle_high": cycle.high}
                rows.append(row)
    return pd.DataFrame(rows)


def section(doc: Document, root: Path, context: Context) -> None:
    """The vicious cycle's figure and tables."""
    manifest = context.manifests[SWEEP]
    data = add_phd_share(context.load(SWEEP))
    origin = infer_origin(data)
    home = country(origin)
    design = pd.DataFrame(manifest["design_table"])[["point", WEIGHT, PAY]]
    pairs = shock_pairs(design)
    reference = design[PAY].min()
    strongest = design[PAY].max()
    outputs = [f"mentor_quality_{origin}", f"phd_share_{origin}", f"top_talent_{origin}", f"researchers_{origin}"]
    years = int(data["year"].max() - data["year"].min())
    offsets = [h for h in YEARS if h <= years] or [years]
    doc.add(Paragraph(sweep_sentence(manifest) + f" The shock raises {parameter_label(PAY, unit=True)} from "
                      f"{tables.value(reference)} to {', '.join(tables.value(v) for v in sorted(design[PAY].unique())
                                                                  if v != reference)} from the start; "
                      f"{parameter_label(WEIGHT)} 0 switches the mentor channel off."))
    by_point = design.set_index("point")
    strong = {p: r for p, r in pairs.items() if by_point.loc[p, PAY] == strongest}
    names = {p: f"{parameter_label(WEIGHT)} = {tables.value(by_point.loc[p, WEIGHT])}" for p in strong}
    differences = stats.paired_summary(data, outputs, strong)
    png = figures.time_series(differences, outputs, names, root / "figures" / "vicious_cycle",
                              title=f"US senior pay {tables.value(reference)} -> {tables.value(strongest)}: "
                                    "shocked minus unshocked, paired by replicate (95% bands)", difference=True)
    doc.add(figure(root, png, f"What a pull on {home}'s seniors does, by strength of the mentor channel: the "
                              f"change in mentor quality, in the share of PhD students training in {home}, in top "
                              f"talent and in researchers there (shocked minus unshocked, paired by replicate)."))
    result = effects(at_years(data, outputs, offsets), design, pairs, outputs, offsets)
    weight_label = parameter_label(WEIGHT)
    for column, stem, caption, keep in (
            ("effect", "vicious_cycle_effects", "Effect of the pull on seniors: shocked minus unshocked, paired by "
             "replicate, mean (95% interval)", outputs),
            ("cycle", "vicious_cycle_channel", "The mentor channel's part: the effect at a weight minus the effect "
             "at weight 0 (no channel), paired by replicate, mean (95% interval)", outputs[1:])):
        rows_out = []
        chosen = result[result["output"].isin(keep)]
        if column == "cycle":
            chosen = chosen[chosen["cycle"].notna()]
        for (output, weight, pay), rows in chosen.groupby(["output", "weight", "pay"], sort=False):
            k = measure(output).scale
            row = {"output": f"{measure(output).label} ({measure(output).unit})", weight_label: tables.value(weight),
                   "US senior pay": tables.value(pay)}
            for r in rows.itertuples():
                row[f"year {r.year}"] = tables.interval(getattr(r, column) * k, getattr(r, f"{column}_low") * k,
                                                        getattr(r, f"{column}_high") * k)
            rows_out.append(row)
        doc.add(table(root, pd.DataFrame(rows_out), result, stem, caption))
    key = result[(result["output"] == f"phd_share_{origin}") & (result["pay"] == strongest)
                 & (result["year"] == offsets[-1])]
    sentences = []
    for r in key.itertuples():
        change = tables.interval(100 * r.effect, 100 * r.effect_low, 100 * r.effect_high)
        sentence = (f"at {parameter_label(WEIGHT)} {tables.value(r.weight)} the share of PhD students training in "
                    f"{home} in year {r.year} changes by {change} percentage points")
        if pd.notna(getattr(r, "cycle", float("nan"))):
            sentence += (f", of which {tables.interval(100 * r.cycle, 100 * r.cycle_low, 100 * r.cycle_high)} "
                         "is the mentor channel's")
        sentences.append(sentence)
    doc.add(Paragraph(f"With US senior pay at {tables.value(strongest)}: " + "; ".join(sentences) + "."))


EXPERIMENT = Experiment(
    name="vicious_cycle",
    title="The vicious cycle",
    question="When Korea loses senior talent, do worse mentors send more of the next cohorts abroad?",
    sweeps=(SWEEP,),
    section=section,
)
