"""TalentModel in Mesa's own SolaraViz, with none of talentflow's page: what a Mesa user writes.

``solara run simulation/viz/mesa_page.py`` serves it (add ``--host 127.0.0.1``; set
SOLARA_TELEMETRY_MIXPANEL_ENABLE=false offline). The scenario, population and seed come from the
environment (``TALENTFLOW_MESA_CONFIG``, ``TALENTFLOW_MESA_RESEARCHERS``, ``TALENTFLOW_MESA_SEED``), defaults
configs/calibrated.toml, 2,500 agents and seed 42. Mesa's Step, Play and Reset drive it unchanged; Reset
rebuilds the model with the slider's matched share on the scenario and random numbers it was built with.
"""

from __future__ import annotations

import os

import solara
from mesa.visualization import SolaraViz, make_plot_component
from mesa.visualization.utils import update_counter

from simulation.model import TalentModel

CONFIG_ENV, RESEARCHERS_ENV, SEED_ENV = "TALENTFLOW_MESA_CONFIG", "TALENTFLOW_MESA_RESEARCHERS", "TALENTFLOW_MESA_SEED"


@solara.component
def Readout(model: TalentModel) -> solara.Element:  # noqa: N802 (solara components are capitalised)
    """The year and the headline counts as text (what a screen reader, or a browser test, reads)."""
    update_counter.get()  # Mesa's signal that the model stepped: draw again
    m = model.metrics
    return solara.Markdown(f"year {model.year}: researchers in Korea {m['researchers_KR']:,.1f}, top-decile "
                           f"{m['top_talent_KR']:,.1f}, spending {m['spending_total']:,.1f}",
                           style={"font-family": "monospace"})


def build() -> TalentModel:
    """The model the page opens with: Mesa agents (Reset keeps the engine, with the scenario and seed)."""
    return TalentModel(os.environ.get(CONFIG_ENV) or None, researchers=int(os.environ.get(RESEARCHERS_ENV, 2500)),
                       rng=int(os.environ.get(SEED_ENV, 42)), match_share=0.0, engine="agents")


page = SolaraViz(
    build(),
    components=[make_plot_component(["researchers_KR", "top_talent_KR"], backend="matplotlib"), Readout],
    model_params={"match_share": {"type": "SliderFloat", "value": 0.0, "min": 0.0, "max": 1.0, "step": 0.1,
                                  "label": "matched share of the pay gap"}},
    name="talentflow in Mesa's SolaraViz",
)
