"""The live demo page: Mesa's SolaraViz controls around talentflow's views.

Run it with ``talentflow viz`` (or ``solara run simulation.viz.app``). The
sidebar holds Mesa's run controls (Reset, Play/Pause, Step) and model creator
(the scenario picker, population size and lever switches and sliders) plus an
integer seed field; sliders take effect on Reset, which rebuilds the model with
``DemoModel(**controls)``. The main area shows the run against its no-policy
baseline. Each browser tab gets its own model.
"""

# Solara components are named like classes (Page, Chart), as in Solara and Mesa.
# ruff: noqa: N802

from __future__ import annotations

import logging
import os
from html import escape

os.environ.setdefault("SOLARA_TELEMETRY_MIXPANEL_ENABLE", "false")

import solara
from mesa.visualization.solara_viz import ModelController, ModelCreator
from mesa.visualization.utils import update_counter

from simulation.model import ENGINES
from simulation.viz import components
from simulation.viz.demo import (
    CONFIG_ENV,
    DEFAULT_ENGINE,
    DEFAULT_RESEARCHERS,
    DEFAULT_SEED,
    MAX_SEED,
    DemoModel,
    default_scenario,
    scenario_files,
)

LOG = logging.getLogger(__name__)
TITLE = "talentflow: Korean AI researchers, Korea or abroad"
#: Play speed: milliseconds between simulated years.
DEFAULT_PLAY_INTERVAL = 400


def model_params() -> dict[str, object]:
    """The model creator's controls: Mesa's user-parameter dicts, keyed by DemoModel keyword."""
    files = scenario_files(extra=os.environ.get(CONFIG_ENV))
    return {
        "scenario_name": {"type": "Select", "value": default_scenario(files), "values": list(files),
                          "label": "Scenario"},
        "engine": {"type": "Select", "value": DEFAULT_ENGINE, "values": list(ENGINES), "label": "Engine"},
        "researchers": {"type": "SliderInt", "value": DEFAULT_RESEARCHERS, "min": 200, "max": 10_000, "step": 100,
                        "label": "Population (agents)"},
        "salary_match": {"type": "Checkbox", "value": False, "label": "Salary matching"},
        "match_share": {"type": "SliderFloat", "value": 0.5, "min": 0.0, "max": 1.0, "step": 0.05,
                        "label": "Match share of pay gap"},
        "match_cap": {"type": "SliderFloat", "value": 1000.0, "min": 0.0, "max": 3000.0, "step": 50.0,
                      "label": "Match cap (M KRW/yr)"},
        "match_budget": {"type": "SliderFloat", "value": 200_000.0, "min": 0.0, "max": 1_000_000.0,
                         "step": 10_000.0, "label": "Match budget (M KRW/yr)"},
        "hours_exemption": {"type": "Checkbox", "value": False, "label": "52-hour exemption"},
        "star_recruitment": {"type": "Checkbox", "value": False, "label": "Star recruitment"},
        "stars_per_year": {"type": "SliderInt", "value": 20, "min": 0, "max": 100, "step": 1,
                           "label": "Stars a year"},
        "star_budget": {"type": "SliderFloat", "value": 50_000.0, "min": 0.0, "max": 200_000.0, "step": 5_000.0,
                        "label": "Star budget (M KRW/yr)"},
        "return_grant_on": {"type": "Checkbox", "value": False, "label": "Return grant"},
        "return_grant": {"type": "SliderFloat", "value": 150.0, "min": 0.0, "max": 500.0, "step": 10.0,
                         "label": "Grant (M KRW/yr)"},
        "return_grant_budget": {"type": "SliderFloat", "value": 50_000.0, "min": 0.0, "max": 200_000.0,
                                "step": 5_000.0, "label": "Grant budget (M KRW/yr)"},
        "seed": DEFAULT_SEED,  # fixed here; the page's integer field changes it
    }


def horizon(model: DemoModel) -> tuple[int, int]:
    """First and last year of the run, for fixed x axes."""
    start = model.config.simulation.start_year
    return start, start + model.config.simulation.years


def drawn(build, model: DemoModel, name: str):
    """``build(model)``, or one line saying why the view could not be drawn (the traceback goes to the server log)."""
    try:
        return build(model)
    except Exception as err:  # the page is the edge: an audience sees a message, the presenter's console the bug
        LOG.exception("the %s view failed", name)
        return f"The {name} view could not be drawn: {type(err).__name__}: {err}"


@solara.component
def Chart(model: DemoModel, build, name: str):
    """One SVG view, rebuilt only when the model or its step changes."""
    update_counter.get()
    svg = solara.use_memo(lambda: drawn(build, model, name), dependencies=[id(model), model.steps])
    with solara.Card(style={"padding": "4px"}, classes=[f"talentflow-chart-{name}"]):
        if svg.startswith("<svg"):
            solara.HTML(tag="div", unsafe_innerHTML=svg)
        else:
            solara.Error(svg)


def _stages(model: DemoModel):
    return components.researchers_by_stage(model.yearly(), model.baseline_yearly(), model.world.codes,
                                           model.world.origin, horizon(model))


def _top_talent(model: DemoModel):
    return components.top_talent(model.yearly(), model.baseline_yearly(), model.world.codes, horizon(model))


def _flows(model: DemoModel):
    return components.emigration_and_returns(model.yearly(), model.baseline_yearly(), horizon(model))


def _mentors(model: DemoModel):
    return components.mentor_quality(model.yearly(), model.baseline_yearly(), model.world.codes, horizon(model))


def _spending(model: DemoModel):
    return components.spending(model.yearly(), model.lever_names, horizon(model))


@solara.component
def AgentView(model: DemoModel):
    """Researchers as dots in each country, coloured by stage, sized by talent; hover a dot for its details."""
    update_counter.get()
    svg = solara.use_memo(
        lambda: drawn(lambda m: components.agent_svg(*m.researcher_arrays().values(), m.world.codes,
                                                     origin=m.world.origin), model, "agents"),
        dependencies=[id(model), model.steps])
    with solara.Card(style={"padding": "4px"}, classes=["talentflow-chart-agents"]):
        solara.Text("Researchers now (policy run): colour = stage, size = talent; hover a dot for details",
                    style={"font-size": "0.95em"})
        if svg.startswith("<svg"):
            solara.HTML(tag="div", unsafe_innerHTML=svg)
        else:
            solara.Error(svg)


#: What the status line shows of each lever in force: (config field, label, unit).
LEVER_FIELDS: dict[str, tuple[tuple[str, str, str], ...]] = {
    "salary_match": (("share", "share", ""), ("cap", "cap", " M KRW/yr"), ("budget", "budget", " M KRW/yr")),
    "hours_exemption": (),
    "star_recruitment": (("stars_per_year", "stars", "/yr"), ("package", "package", " M KRW/yr"),
                         ("budget", "budget", " M KRW/yr")),
    "return_grant": (("grant", "grant", " M KRW/yr"), ("years", "for", " years"), ("budget", "budget", " M KRW/yr")),
}


def lever_settings(model: DemoModel) -> str:
    """The levers in force with their main values, e.g. "salary matching: share 0.5, cap 1,000 M KRW/yr, ..."."""
    parts = []
    for name in model.lever_names:
        lever = getattr(model.config.policies, name)
        values = ", ".join(f"{label} {_shown(getattr(lever, field))}{unit}"
                           for field, label, unit in LEVER_FIELDS[name])
        parts.append(f"{components.LEVER_LABELS[name]}" + (f": {values}" if values else "") +
                     f" (from {lever.start_year})")
    return "; ".join(parts)


@solara.component
def Status(model: DemoModel):
    """Year and step, the levers in force, the step time, and any bad input as messages."""
    update_counter.get()
    sim = model.config.simulation
    levers = ", ".join(components.LEVER_LABELS[n] for n in model.lever_names) or "none"
    text = (f"Year {model.year} · step {model.steps} of {sim.years} · scenario {model.scenario_name} · "
            f"seed {model.seed} · {sim.researchers} agents · {model.engine} engine · levers: {levers} · "
            f"last step {1000 * model.step_seconds:.0f} ms")
    solara.HTML(tag="div", unsafe_innerHTML=escape(text),
                classes=["talentflow-status"], style="font-size: 0.95em; margin: 4px 0")
    settings = lever_settings(model)
    if settings:
        solara.HTML(tag="div", unsafe_innerHTML=escape(settings), classes=["talentflow-levers"],
                    style="font-size: 0.85em; color: #555; margin: 0 0 4px 0")
    for message in model.input_errors:
        solara.Error(message, classes=["talentflow-input-error"])


def pending_changes(built: dict[str, object], wanted: dict[str, object], params: dict[str, object]) -> list[str]:
    """"Label: old → new" for each control whose value differs from the one the current model was built with."""
    lines = []
    for key, new in wanted.items():
        old = built.get(key)
        if key in built and new != old:
            spec = params.get(key)
            label = spec.get("label", key) if isinstance(spec, dict) else key
            lines.append(f"{label}: {_shown(old)} → {_shown(new)}")
    return lines


def _shown(value: object) -> str:
    if isinstance(value, bool):
        return "on" if value else "off"
    if isinstance(value, float):
        return f"{value:,.2f}".rstrip("0").rstrip(".")
    if isinstance(value, int):
        return f"{value:,}"
    return str(value)


@solara.component
def PendingChanges(model: DemoModel, model_parameters: solara.Reactive[dict], params: dict[str, object]):
    """The controls changed since the last Reset, with their new values (sliders do not show numbers)."""
    lines = pending_changes(model.controls, model_parameters.value, params)
    if lines:
        solara.Info("Press Reset to apply: " + "; ".join(lines), dense=True, classes=["talentflow-pending"])


@solara.component
def SeedInput(model_parameters: solara.Reactive[dict]):
    """The seed as an integer field; a new seed takes effect on Reset."""
    seed = solara.use_reactive(DEFAULT_SEED)

    def on_seed(value: int | None) -> None:
        seed.set(value)
        if value is not None:
            model_parameters.value = {**model_parameters.value, "seed": value}

    solara.InputInt(f"Seed (0 to {MAX_SEED})", value=seed.value, on_value=on_seed, classes=["talentflow-seed"])


@solara.component
def Page():
    """The demo page: controls in the sidebar, views in the main area."""
    initial = solara.use_memo(DemoModel, dependencies=[])
    model = solara.use_reactive(initial)
    model_parameters = solara.use_reactive({})
    play_interval = solara.use_reactive(DEFAULT_PLAY_INTERVAL)
    render_interval = solara.use_reactive(1)
    use_threads = solara.use_reactive(False)
    params = solara.use_memo(model_params, dependencies=[])

    solara.Title("talentflow demo")
    with solara.AppBar():
        solara.AppBarTitle(TITLE)
    with solara.Sidebar(), solara.Column():
        with solara.Card("Run"):
            ModelController(model, model_parameters=model_parameters, play_interval=play_interval,
                            render_interval=render_interval, use_threads=use_threads)
            solara.SliderInt("Play speed (ms a year)", value=play_interval, min=50, max=2000, step=50)
        with solara.Card("Scenario and levers"):
            solara.Text("Changes apply on Reset. A switched-on lever uses the sliders below; "
                        "a switched-off one stays as the scenario has it.",
                        style={"font-size": "0.85em"})
            ModelCreator(model, params, model_parameters=model_parameters)
            SeedInput(model_parameters)
            PendingChanges(model.value, model_parameters, params)
    Status(model.value)
    with solara.Columns([1, 1]):
        AgentView(model.value)
        Chart(model.value, _stages, "stages")
    with solara.Columns([1, 1]):
        Chart(model.value, _top_talent, "top-talent")
        Chart(model.value, _flows, "flows")
    with solara.Columns([1, 1]):
        Chart(model.value, _mentors, "mentors")
        Chart(model.value, _spending, "spending")


page = Page
