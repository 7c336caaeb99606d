"""Invariants of any run, checked on random scenarios with hypothesis.

Researchers are conserved across entry, moves and exit; no stock is ever
negative; shares stay within [0, 1]; no lever spends beyond its yearly budget.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
from conftest import build_small_config, run_model
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.careers import SECTORS, STAGES
from simulation.levers.base import greedy_within_budget

SETTINGS = settings(max_examples=15, deadline=None)
#: Relative slack allowed on a budget: floating-point sums only.
BUDGET_SLACK = 1e-9

seeds = st.integers(min_value=0, max_value=2**32 - 1)
researchers = st.integers(min_value=50, max_value=300)
years = st.integers(min_value=1, max_value=6)
money = st.floats(min_value=0.0, max_value=2e6, allow_nan=False)


@st.composite
def lever_overrides(draw) -> list[tuple[str, object]]:
    """Random levers, each on or off, with random budgets, shares, caps and years."""
    overrides: list[tuple[str, object]] = []
    for name in ("salary_match", "hours_exemption", "star_recruitment", "return_grant"):
        if not draw(st.booleans()):
            continue
        key = f"policies.{name}"
        start = draw(st.integers(min_value=2025, max_value=2029))
        overrides += [(f"{key}.budget", draw(money)), (f"{key}.start_year", start),
                      (f"{key}.end_year", draw(st.integers(min_value=start, max_value=2032))),
                      (f"{key}.min_talent_percentile", draw(st.sampled_from([0.0, 50.0, 90.0])))]
        if name == "salary_match":
            overrides += [(f"{key}.share", draw(st.floats(0.0, 1.0))), (f"{key}.cap", draw(st.floats(0.0, 3000.0))),
                          (f"{key}.contract_years", draw(st.integers(1, 5)))]
        elif name == "hours_exemption":
            overrides += [(f"{key}.cost_per_researcher", draw(st.floats(0.0, 20.0)))]
        elif name == "star_recruitment":
            overrides += [(f"{key}.stars_per_year", draw(st.floats(0.0, 3000.0))),
                          (f"{key}.package", draw(st.floats(0.0, 2000.0)))]
        else:
            overrides += [(f"{key}.grant", draw(st.floats(0.0, 500.0))), (f"{key}.years", draw(st.integers(1, 5)))]
    return overrides


def in_agents(people: pd.Series, people_per_agent: float) -> np.ndarray:
    """A count in people as whole agents (fails if it is not a whole number of agents)."""
    agents = people.to_numpy() / people_per_agent
    np.testing.assert_allclose(agents, np.rint(agents), atol=1e-6)
    return np.rint(agents).astype(np.int64)


@SETTINGS
@given(seed=seeds, n=researchers, n_years=years, overrides=lever_overrides())
def test_researchers_are_conserved_across_entry_moves_and_exit(seed, n, n_years, overrides):
    config = build_small_config(overrides, researchers=n, years=n_years)
    model = run_model(config, seed)
    y = model.yearly()
    w = config.people_per_agent
    total, entries, leavers = (in_agents(y[c], w) for c in ("researchers_total", "entries", "exits"))
    assert len(y) == n_years + 1
    # The spin-up brings the population to about its steady-state size (cohorts of random length and exits).
    assert abs(total[0] - n) <= 4 * np.sqrt(n) + 3
    np.testing.assert_array_equal(total[1:], total[:-1] + entries[1:] - leavers[1:])
    # Cohorts are the steady-state entry in whole agents, the fractions carried from year to year.
    cohort = config.cohort_agents
    assert np.all(np.abs(entries[1:] - cohort) < 1) and abs(entries[1:].sum() - n_years * cohort) < 1
    assert len(model.population) == total[-1]
    by_country = sum(in_agents(y[f"researchers_{c}"], w) for c in config.country_codes)
    np.testing.assert_array_equal(by_country, total)
    np.testing.assert_array_equal(in_agents(y.researchers_home, w) + in_agents(y.researchers_abroad, w), total)
    for code in config.country_codes:
        cells = sum(in_agents(y[f"researchers_{code}_{s}_{g}"], w) for s in SECTORS for g in STAGES)
        np.testing.assert_array_equal(cells, in_agents(y[f"researchers_{code}"], w))


@SETTINGS
@given(seed=seeds, n=researchers, n_years=years, overrides=lever_overrides())
def test_no_stock_count_or_spending_is_ever_negative(seed, n, n_years, overrides):
    config = build_small_config(overrides, researchers=n, years=n_years)
    model = run_model(config, seed)
    y = model.yearly()
    prefixes = ("researchers_", "top_talent_", "mentor_quality_", "research_output_", "spending_", "recipients_")
    stocks = [c for c in y.columns if c.startswith(prefixes)]
    stocks += ["entries", "exits", "emigration", "returns", "moves", "support_total"]
    assert (y[stocks].to_numpy() >= 0).all(), y[stocks].min()[y[stocks].min() < 0]
    pop = model.population
    for name in ("years_in_stage", "career_age", "years_in_place", "support", "contract_amount", "contract_left"):
        assert (getattr(pop, name) >= 0).all(), name


@SETTINGS
@given(seed=seeds, n=researchers, n_years=years, overrides=lever_overrides())
def test_shares_stay_within_zero_and_one(seed, n, n_years, overrides):
    config = build_small_config(overrides, researchers=n, years=n_years)
    y = run_model(config, seed).yearly()
    shares = [c for c in y.columns if c == "share_abroad" or c.startswith(("top_talent_share_", "stay_rate_5y_"))]
    assert len(shares) >= 2 + len(config.country_codes)
    values = y[shares].to_numpy()
    known = values[~np.isnan(values)]
    assert ((known >= 0) & (known <= 1)).all()
    assert not np.isnan(y["share_abroad"]).any()
    # Top-talent shares of the countries add up to the whole top decile.
    top = y[[f"top_talent_share_{c}" for c in config.country_codes]].sum(axis=1)
    np.testing.assert_allclose(top[top > 0], 1.0, rtol=1e-12)


@SETTINGS
@given(seed=seeds, n=researchers, n_years=years, overrides=lever_overrides())
def test_no_lever_ever_spends_beyond_its_yearly_budget(seed, n, n_years, overrides):
    config = build_small_config(overrides, researchers=n, years=n_years)
    y = run_model(config, seed).yearly()
    total = np.zeros(len(y))
    for name, lever in config.policies.levers():
        spent = y[f"spending_{name}"].to_numpy()
        assert (spent <= lever.budget * (1 + BUDGET_SLACK)).all(), (name, lever.budget, spent.max())
        total += spent
    np.testing.assert_allclose(y["spending_total"], total, rtol=1e-12, atol=1e-9)


@SETTINGS
@given(cost=st.lists(st.floats(min_value=0.0, max_value=1e6, allow_nan=False), max_size=40),
       budget=st.floats(min_value=0.0, max_value=1e7, allow_nan=False))
def test_greedy_within_budget_never_exceeds_it_and_funds_in_order(cost, budget):
    cost = np.array(cost, dtype=float)
    funded = greedy_within_budget(cost, budget)
    assert funded.shape == cost.shape and funded.dtype == bool
    assert cost[funded].sum() <= budget * (1 + BUDGET_SLACK)
    n_funded = int(funded.sum())
    # Funded items are a prefix of the order: nobody is funded ahead of an earlier candidate.
    assert funded[:n_funded].all() and not funded[n_funded:].any()
    # The prefix is as long as the budget allows.
    if n_funded < len(cost):
        assert cost[: n_funded + 1].sum() > budget
