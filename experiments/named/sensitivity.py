"""The sensitivity analysis: Sobol indices and Morris screening of the main outputs after 20 years.

Sweeps: configs/sweeps/sensitivity_sobol.toml (Saltelli's sample) and configs/sweeps/sensitivity_morris.toml
(Morris trajectories), over the same uncertain parameters and ranges: the utility weights on pay, the hours
cap, mentors and home, the pay convexities (the US and Korean top-pay ratios), the mentor effect (Korea's
mentor-pool weight and the training gain).
"""

from __future__ import annotations

from pathlib import Path

import pandas as pd

from experiments.analysis import sensitivity, tables
from experiments.analysis.document import Document, Paragraph
from experiments.analysis.measures import add_phd_share, infer_origin, measure, parameter_label
from experiments.analysis.report import sensitivity_outputs, sensitivity_section
from experiments.named.base import Context, Experiment
from experiments.named.common import sweep_sentence

SOBOL, MORRIS = "sensitivity_sobol", "sensitivity_morris"


def ranking(indices: pd.DataFrame) -> str:
    """Per output, the parameters with the largest total Sobol index (those above 0.05).

    ``indices`` are the Sobol indices of :func:`experiments.analysis.sensitivity.analyse`.
    """
    parts = []
    for output, rows in indices.groupby("output", sort=False):
        top = rows.sort_values("ST", ascending=False)
        named = [f"{parameter_label(p)} ({tables.number(st)})" for p, st in zip(top["parameter"], top["ST"],
                                                                               strict=True) if st >= 0.05]
        parts.append(f"{measure(output).label}: {', '.join(named) or 'no parameter above 0.05'}")
    return "Parameters with a total Sobol index of at least 0.05, largest first: " + "; ".join(parts) + "."


def section(doc: Document, root: Path, context: Context) -> None:
    """Sobol and Morris tables and charts."""
    sobol = add_phd_share(context.load(SOBOL))
    outputs = sensitivity_outputs(infer_origin(sobol))
    indices = sensitivity.analyse(sobol, context.manifests[SOBOL], outputs)  # once: the bootstrap takes a while
    doc.add(Paragraph(sweep_sentence(context.manifests[SOBOL])), Paragraph(ranking(indices)))
    sensitivity_section(doc, root, context.manifests[SOBOL], sobol, outputs, indices)
    morris = add_phd_share(context.load(MORRIS))
    doc.add(Paragraph(sweep_sentence(context.manifests[MORRIS])))
    sensitivity_section(doc, root, context.manifests[MORRIS], morris, outputs)


EXPERIMENT = Experiment(
    name="sensitivity",
    title="Sensitivity analysis",
    question="Which uncertain parameters drive researchers, top talent, the share abroad and where PhDs train?",
    sweeps=(SOBOL, MORRIS),
    section=section,
)
