"""The demo's views (simulation.viz.components): what each chart and the agent view draw from the outputs."""

from __future__ import annotations

import re
from xml.etree import ElementTree

import numpy as np
import pandas as pd
import pytest

from simulation.careers import SECTORS, STAGES
from simulation.viz import components, svgchart
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


def paths(svg: str) -> list[dict[str, str]]:
    """The series of a chart: each path's class, label, values drawn and stroke or fill."""
    root = ElementTree.fromstring(svg)
    return [{"class": e.get("class"), "label": e.get("data-label"), "colour": e.get("stroke") or e.get("fill"),
             "y": np.array([float(v) for v in e.get("data-y").split(",") if v], dtype=float)}
            for e in root.iter("{http://www.w3.org/2000/svg}path")]


def path_by(svg: str, label: str) -> dict:
    return next(p for p in paths(svg) if p["label"] == label)


def test_stage_counts_add_both_sectors_of_the_named_countries() -> None:
    row = {f"researchers_{c}_{s}_{stage}": float(10 * i + j + (100 if c == "US" else 0))
           for c in CODES for j, s in enumerate(SECTORS) for i, stage in enumerate(STAGES)}
    counts = components.stage_counts(pd.DataFrame([row]), ["KR"])
    assert counts.loc[0, "phd"] == (10 + 0) + (10 + 1)
    both = components.stage_counts(pd.DataFrame([row]), ["KR", "US"])
    assert both.loc[0, "senior"] == 2 * (40 + 40 + 1) + 200


def test_researchers_by_stage_stacks_home_and_abroad_with_the_baseline_totals_dashed(runs) -> None:
    policy, baseline, _ = runs
    svg = components.researchers_by_stage(policy, baseline, CODES, 0, HORIZON)
    areas = [p for p in paths(svg) if p["class"] == "area"]
    assert len(areas) == 2 * len(STAGES)  # one stacked band a stage in each panel
    home_top, abroad_top = areas[len(STAGES) - 1], areas[-1]  # the last band's top is the total
    np.testing.assert_allclose(home_top["y"], policy["researchers_KR"], rtol=1e-5)
    np.testing.assert_allclose(abroad_top["y"], policy["researchers_US"], rtol=1e-5)
    totals = [p for p in paths(svg) if p["label"] == "baseline total"]
    assert [p["class"] for p in totals] == ["series baseline"] * 2
    np.testing.assert_allclose(totals[0]["y"], baseline["researchers_KR"], rtol=1e-5)
    np.testing.assert_allclose(totals[1]["y"], baseline["researchers_US"], rtol=1e-5)
    assert f">{HORIZON[0] + 2}<" in svg or f">{HORIZON[0] + 1}<" in svg  # year ticks inside the horizon


@pytest.mark.parametrize(("view", "column"), [(components.top_talent, "top_talent_{c}"),
                                              (components.mentor_quality, "mentor_quality_{c}")])
def test_country_charts_draw_each_country_solid_and_its_baseline_faint(runs, view, column) -> None:
    policy, baseline, _ = runs
    svg = view(policy, baseline, CODES, HORIZON)
    for code in CODES:
        solid = path_by(svg, code)
        assert solid["class"] == "series policy"
        np.testing.assert_allclose(solid["y"], policy[column.format(c=code)], rtol=1e-5)
        faint = path_by(svg, f"{code} baseline")
        assert faint["class"] == "series baseline" and faint["colour"] == solid["colour"]
        np.testing.assert_allclose(faint["y"], baseline[column.format(c=code)], rtol=1e-5)


def test_emigration_and_returns_leave_out_the_initial_state(runs) -> None:
    policy, baseline, _ = runs
    svg = components.emigration_and_returns(policy, baseline, HORIZON)
    np.testing.assert_allclose(path_by(svg, "emigration")["y"], policy["emigration"].iloc[1:], rtol=1e-5)
    np.testing.assert_allclose(path_by(svg, "returns")["y"], policy["returns"].iloc[1:], rtol=1e-5)
    assert len(path_by(svg, "returns")["y"]) == len(policy) - 1


def test_spending_stacks_each_lever_in_billion_krw(runs) -> None:
    policy, _, model = runs
    areas = [p for p in paths(components.spending(policy, model.lever_names, HORIZON)) if p["class"] == "area"]
    assert [a["label"] for a in areas] == ["salary matching", "return grant"]
    total = (policy["spending_salary_match"] + policy["spending_return_grant"]) / 1000.0
    np.testing.assert_allclose(areas[-1]["y"], total, rtol=1e-5)
    assert total.max() > 0


def test_spending_says_so_when_no_policy_is_switched_on(runs) -> None:
    policy, _, _ = runs
    svg = components.spending(policy, [], HORIZON)
    assert paths(svg) == [] and "no policy switched on" in svg


@pytest.mark.parametrize(("low", "high", "expected"), [(0, 7.3, [0, 2, 4, 6, 8]), (0, 60_000, [0, 20_000, 40_000,
                         60_000]), (2024, 2054, [2020, 2030, 2040, 2050, 2060]), (0, 0.37, [0, 0.1, 0.2, 0.3, 0.4])])
def test_nice_ticks_are_round_and_cover_the_range(low, high, expected) -> None:
    np.testing.assert_allclose(svgchart.nice_ticks(low, high), expected, atol=1e-12)


def test_a_path_breaks_where_a_value_is_missing() -> None:
    svg = svgchart.chart("t", [svgchart.Panel("", (svgchart.Series("x", np.arange(4.0), np.array([1, np.nan, 2, 3.0]),
                                                                   "red"),))], (0, 3))
    d = ElementTree.fromstring(svg).find("{http://www.w3.org/2000/svg}path").get("d")
    assert d.count("M") == 2 and d.count("L") == 1


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
