"""The demo's views (simulation.viz.components): what each chart and the agent view draw from the outputs."""

from __future__ import annotations

import re

import matplotlib.colors as mcolors
import numpy as np
import pandas as pd
import pytest

from simulation.careers import SECTORS, STAGES
from simulation.viz import components
from simulation.viz.demo import DemoModel

CODES = ("KR", "US")
HORIZON = (2024, 2030)


@pytest.fixture(scope="module")
def runs() -> tuple[pd.DataFrame, pd.DataFrame, DemoModel]:
    """Four years of a policy run with two levers, and its baseline."""
    model = DemoModel(researchers=300, salary_match=True, return_grant_on=True, seed=3)
    for _ in range(4):
        model.step()
    return model.yearly(), model.baseline.yearly(), model


def line_by_label(ax, label: str):
    return next(line for line in ax.get_lines() if line.get_label() == label)


def test_stage_counts_add_both_sectors_of_the_named_countries() -> None:
    row = {f"researchers_{c}_{s}_{stage}": float(10 * i + j + (100 if c == "US" else 0))
           for c in CODES for j, s in enumerate(SECTORS) for i, stage in enumerate(STAGES)}
    counts = components.stage_counts(pd.DataFrame([row]), ["KR"])
    assert counts.loc[0, "phd"] == (10 + 0) + (10 + 1)
    both = components.stage_counts(pd.DataFrame([row]), ["KR", "US"])
    assert both.loc[0, "senior"] == 2 * (40 + 40 + 1) + 200


def test_researchers_by_stage_stacks_home_and_abroad_with_the_baseline_totals_dashed(runs) -> None:
    policy, baseline, _ = runs
    fig = components.researchers_by_stage(policy, baseline, CODES, 0, HORIZON)
    home, abroad = fig.axes
    assert len(home.collections) == len(STAGES)  # one stacked band a stage
    dashed = line_by_label(abroad, "baseline total")
    assert dashed.get_linestyle() == "--" and dashed.get_alpha() < 1
    np.testing.assert_allclose(dashed.get_ydata(), baseline["researchers_US"])
    np.testing.assert_allclose(line_by_label(home, "baseline total").get_ydata(), baseline["researchers_KR"])
    assert home.get_xlim() == HORIZON


@pytest.mark.parametrize(("view", "column"), [(components.top_talent, "top_talent_{c}"),
                                              (components.mentor_quality, "mentor_quality_{c}")])
def test_country_charts_draw_each_country_solid_and_its_baseline_faint(runs, view, column) -> None:
    policy, baseline, _ = runs
    (ax,) = view(policy, baseline, CODES, HORIZON).axes
    for code in CODES:
        solid = line_by_label(ax, code)
        np.testing.assert_allclose(solid.get_ydata(), policy[column.format(c=code)])
        faint = [line for line in ax.get_lines() if line.get_linestyle() == "--"
                 and mcolors.same_color(line.get_color(), solid.get_color())]
        assert len(faint) == 1 and faint[0].get_alpha() < 1
        np.testing.assert_allclose(faint[0].get_ydata(), baseline[column.format(c=code)])


def test_emigration_and_returns_leave_out_the_initial_state(runs) -> None:
    policy, baseline, _ = runs
    (ax,) = components.emigration_and_returns(policy, baseline, HORIZON).axes
    emigration = line_by_label(ax, "emigration")
    np.testing.assert_allclose(emigration.get_xdata(), policy["year"].iloc[1:])
    np.testing.assert_allclose(line_by_label(ax, "returns").get_ydata(), policy["returns"].iloc[1:])


def test_spending_stacks_each_lever_in_billion_krw(runs) -> None:
    policy, _, model = runs
    (ax,) = components.spending(policy, model.lever_names, HORIZON).axes
    assert len(ax.collections) == 2
    top = ax.collections[-1].get_paths()[0].vertices[:, 1].max()
    total = (policy["spending_salary_match"] + policy["spending_return_grant"]).max() / 1000.0
    assert top == pytest.approx(total)
    assert total > 0


def test_spending_says_so_when_no_policy_is_switched_on(runs) -> None:
    policy, _, _ = runs
    (ax,) = components.spending(policy, [], HORIZON).axes
    assert [t.get_text() for t in ax.texts] == ["no policy switched on"]


def population(n: int, seed: int = 0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    return {"ids": np.arange(100, 100 + n), "country": rng.integers(0, 2, n), "sector": rng.integers(0, 2, n),
            "stage": rng.integers(0, 5, n), "ln_talent": rng.normal(0, 0.5, n)}


def circles(svg: str) -> list[dict[str, str]]:
    pattern = r'<circle class="s(\d)" cx="([\d.]+)" cy="([\d.]+)" r="([\d.]+)"><title>([^<]*)</title></circle>'
    return [dict(zip(("stage", "cx", "cy", "r", "tip"), m, strict=True)) for m in re.findall(pattern, svg)]


def test_agent_view_draws_one_dot_a_researcher_with_a_tooltip() -> None:
    pop = population(50)
    dots = circles(components.agent_svg(**pop, codes=CODES))
    assert len(dots) == 50
    by_id = {int(d["tip"].split()[0][1:]): d for d in dots}
    k = 7
    tip = by_id[int(pop["ids"][k])]["tip"]
    assert STAGES[pop["stage"][k]] in tip and f"in {CODES[pop['country'][k]]}" in tip
    assert SECTORS[pop["sector"][k]] in tip
    assert by_id[int(pop["ids"][k])]["stage"] == str(pop["stage"][k])


def test_agent_view_puts_each_dot_in_its_country_panel_and_sizes_it_by_talent() -> None:
    pop = population(200)
    width = 600
    dots = {int(d["tip"].split()[0][1:]): d for d in circles(components.agent_svg(**pop, codes=CODES, width=width))}
    for i, country in zip(pop["ids"], pop["country"], strict=True):
        assert country * width / 2 <= float(dots[int(i)]["cx"]) < (country + 1) * width / 2
    radius = np.array([float(dots[int(i)]["r"]) for i in pop["ids"]])
    order = np.argsort(pop["ln_talent"])
    assert np.all(np.diff(radius[order]) >= -0.051)  # rounding to one decimal
    assert radius[order[-1]] > radius[order[0]]


def test_a_dot_keeps_its_place_from_year_to_year_while_its_researcher_stays() -> None:
    pop = population(80)
    before = {d["tip"].split()[0]: (d["cx"], d["cy"]) for d in circles(components.agent_svg(**pop, codes=CODES))}
    later = {k: v[10:] for k, v in pop.items()}  # ten researchers left; the rest unchanged
    after = {d["tip"].split()[0]: (d["cx"], d["cy"]) for d in circles(components.agent_svg(**later, codes=CODES))}
    assert after == {k: before[k] for k in after}


def test_agent_view_draws_a_fixed_sample_of_at_most_max_dots() -> None:
    pop = population(5000)
    dots = circles(components.agent_svg(**pop, codes=CODES, max_dots=1000))
    assert 850 <= len(dots) <= 1150
    again = circles(components.agent_svg(**pop, codes=CODES, max_dots=1000))
    assert [d["tip"] for d in dots] == [d["tip"] for d in again]
