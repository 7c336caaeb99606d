"""Each policy lever: what it spends, on whom, when, and what it changes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from conftest import ALL_LEVERS, build_small_config, lever_overrides, run_model

from simulation import behaviour, choice
from simulation.careers import JUNIOR, STAGES
from simulation.hours import cap_cut
from simulation.levers import Choices, YearContext
from simulation.levers.base import talent_floor, talent_percentile
from simulation.levers.hours_exemption import exemption_value
from simulation.levers.salary_match import SalaryMatch, matched_amount
from simulation.model import TalentModel
from simulation.population import draw_cohort
from simulation.world import World

START, END = 2026, 2029  # programme years in the tests below; the runs cover 2025 to 2032
#: Each lever on its own, with a budget (million KRW a year) that lets it act at 400 agents.
BUDGETS: dict[str, dict[str, float]] = {
    "salary_match": {"budget": 1e6},
    "hours_exemption": {"budget": 1e9},
    "star_recruitment": {"budget": 1e6},
    "return_grant": {"budget": 1e6},
}
CONTRACT_LEVERS = ("salary_match", "star_recruitment", "return_grant")
SEEDS = (1, 2, 3)


def only_lever(name: str, *, window: bool = True, **settings: object) -> list[tuple[str, object]]:
    """Overrides for lever ``name`` alone, in the years START to END (or from 2025 on)."""
    years = {"start_year": START, "end_year": END} if window else {}
    return lever_overrides(name, **(BUDGETS[name] | years | settings))


# ------------------------------------------------------------------------- what and when
@pytest.mark.parametrize("name", list(BUDGETS))
def test_lever_spends_and_reaches_researchers_only_in_its_years(name):
    config = build_small_config(only_lever(name))
    for seed in SEEDS[:2]:
        model = run_model(config, seed, record_agents=True)
        y = model.yearly()
        active = y["year"].between(START, END)
        spent, reached = y[f"spending_{name}"], y[f"recipients_{name}"]
        assert (spent[active] > 0).all() and (reached[active] > 0).all(), (seed, list(spent), list(reached))
        assert (spent[~active] == 0).all() and (reached[~active] == 0).all(), (seed, list(spent), list(reached))
        support = model.agent_rows().groupby("year")["support"].sum()
        assert (support[support.index < START] == 0).all() and (support[support.index > END] == 0).all()
    # After the programme ends no contract is left running.
    assert (model.population.contract_left == 0).all()


@pytest.mark.parametrize("name", list(BUDGETS))
def test_lever_with_an_unlimited_budget_runs_and_spends(name):
    config = build_small_config(only_lever(name, window=False, budget=float("inf")))
    y = run_model(config, 1).yearly()
    spent = y[f"spending_{name}"]
    assert np.isfinite(spent).all() and spent.sum() > 0


@pytest.mark.parametrize("name", CONTRACT_LEVERS)
def test_support_in_agent_rows_adds_up_to_the_levers_spending(name):
    config = build_small_config(only_lever(name, window=False))
    model = run_model(config, 1, record_agents=True)
    y = model.yearly().set_index("year")
    rows = model.agent_rows()
    w = config.people_per_agent
    lever = getattr(config.policies, name)
    # A star's package pays the star; its lab's places are spent on the lab, not paid to the star.
    lab = lever.lab_places * lever.place_cost if name == "star_recruitment" else 0.0
    paid_out = y[f"spending_{name}"] - y[f"recipients_{name}"] * lab
    support = rows.groupby("year")["support"].sum().reindex(y.index, fill_value=0.0)
    np.testing.assert_allclose(support.to_numpy(), paid_out.to_numpy() / w, rtol=1e-9)
    np.testing.assert_allclose(y["support_total"], paid_out, rtol=1e-9)
    # Recipients are the researchers who received support, in people.
    paid = rows[rows["support"] > 0].groupby("year").size().reindex(y.index, fill_value=0)
    np.testing.assert_allclose(paid.to_numpy() * w, y[f"recipients_{name}"].to_numpy(), rtol=1e-9)
    assert (rows.loc[rows["support"] > 0, "country"] == "KR").all()
    assert y[f"spending_{name}"].sum() > 0


def test_support_of_all_contract_levers_together_adds_up_to_their_spending(all_levers_config):
    model = run_model(all_levers_config, 2, record_agents=True)
    y = model.yearly().set_index("year")
    w = all_levers_config.people_per_agent
    support = model.agent_rows().groupby("year")["support"].sum().reindex(y.index, fill_value=0.0)
    contracts = sum(y[f"spending_{name}"] for name in CONTRACT_LEVERS)
    star = all_levers_config.policies.star_recruitment
    labs = y["recipients_star_recruitment"] * star.lab_places * star.place_cost
    np.testing.assert_allclose(support.to_numpy() * w, (contracts - labs).to_numpy(), rtol=1e-9)
    # The exemption costs administration, paid to nobody.
    np.testing.assert_allclose(y["spending_total"] - y["spending_hours_exemption"], contracts, rtol=1e-9)


def test_hours_exemption_reaches_every_eligible_researcher_in_korea_when_unlimited():
    config = build_small_config(only_lever("hours_exemption", window=False))
    model = run_model(config, 1, record_agents=True)
    y = model.yearly().set_index("year")
    rows = model.agent_rows()
    stages = config.policies.hours_exemption.eligible_stages
    eligible = rows[(rows["country"] == "KR") & rows["stage"].isin(stages)].groupby("year").size()
    w = config.people_per_agent
    active = y.index[y.index >= config.policies.hours_exemption.start_year]
    np.testing.assert_allclose(y.loc[active, "recipients_hours_exemption"], eligible[active] * w, rtol=1e-12)
    np.testing.assert_allclose(y.loc[active, "spending_hours_exemption"], eligible[active] * w * 1.0, rtol=1e-12)


def test_hours_exemption_within_a_budget_exempts_as_many_as_it_pays_for():
    cost, budget = 2.0, 20_000.0
    config = build_small_config(only_lever("hours_exemption", window=False, budget=budget, cost_per_researcher=cost))
    y = run_model(config, 1).yearly()
    w = config.people_per_agent
    affordable = np.floor(budget / (cost * w))
    active = y["year"] >= config.policies.hours_exemption.start_year
    np.testing.assert_allclose(y.loc[active, "recipients_hours_exemption"], affordable * w)
    assert (y["spending_hours_exemption"] <= budget).all()


# ------------------------------------------------------------------------ salary matching
def salary_match_setup(ln_talent: np.ndarray, budget: float, **settings):
    """Five juniors in Korea who decide this year, and a salary-match lever (one person an agent)."""
    config = build_small_config(lever_overrides("salary_match", budget=budget, share=0.5, cap=1000.0,
                                                eligible_stages=["junior"], **settings))
    world = World.from_config(config)
    pop = draw_cohort(np.random.default_rng(0), len(ln_talent), config, world, 0, 1)
    pop.stage[:] = JUNIOR
    pop.ln_talent[:] = ln_talent
    lever = SalaryMatch("salary_match", config.policies.salary_match, 0, world)
    ctx = YearContext(2025, config, world, 1.0, np.sort(ln_talent))
    pay = behaviour.base_pay(world, pop.stage, pop.ln_talent)
    home = world.alt_country == world.origin
    amount = matched_amount(pay[:, ~home].max(axis=1), pay[:, home].max(axis=1), 0.5, 1000.0)
    return lever, pop, ctx, pay, home, amount


def everything_open(pay: np.ndarray, rows: np.ndarray) -> Choices:
    """Deciders at ``rows`` who hold an offer of every post (the foreign ones included)."""
    return Choices(rows, pay[rows], np.ones(pay[rows].shape, dtype=bool))


def test_salary_match_funds_the_most_talented_first_and_skips_no_one_ahead():
    ln_talent = np.array([0.1, 0.9, 0.5, -0.3, 0.7])
    order = np.argsort(-ln_talent)  # rows 1, 4, 2, 0, 3
    _, _, _, _, _, amount = salary_match_setup(ln_talent, 0.0)
    assert np.all(np.diff(amount[order]) < 0)  # the gap to US pay grows with talent
    # Money for the two most talented and half the third: the cheaper, less talented do not jump the queue.
    budget = amount[order[0]] + amount[order[1]] + 0.5 * amount[order[2]]
    assert amount[order[4]] < 0.5 * amount[order[2]]  # the least talented would fit in what is left
    lever, pop, ctx, pay, home, amount = salary_match_setup(ln_talent, budget)
    rows = np.arange(len(pop))
    offer = lever.offer(pop, everything_open(pay, rows), None, ctx)
    funded = order[:2]
    expected = np.zeros((len(pop), len(home)))
    expected[np.ix_(funded, np.flatnonzero(home))] = amount[funded, None]
    np.testing.assert_allclose(offer.wage_bonus, expected, rtol=1e-12)
    np.testing.assert_array_equal(np.sort(offer.new_rows), np.sort(funded))

    paid = lever.settle(pop, np.ones(len(pop), dtype=bool), offer, ctx)
    assert paid.cost.sum() == pytest.approx(amount[funded].sum(), rel=1e-12)
    assert paid.cost.sum() <= budget
    assert len(paid.rows) == 2
    np.testing.assert_allclose(pop.support[funded], amount[funded])
    assert (np.delete(pop.support, funded) == 0).all()
    assert (pop.contract_left[funded, 0] == lever.contract_years - 1).all()


def test_salary_match_pays_running_contracts_before_new_ones():
    ln_talent = np.array([0.1, 0.9, 0.5, -0.3, 0.7])
    order = np.argsort(-ln_talent)
    _, _, _, _, _, amount = salary_match_setup(ln_talent, 0.0)
    budget = amount[order[0]] + amount[order[1]] + 0.5 * amount[order[2]]
    lever, pop, ctx, pay, _, _ = salary_match_setup(ln_talent, budget)
    alive = np.ones(len(pop), dtype=bool)
    lever.settle(pop, alive, lever.offer(pop, everything_open(pay, np.arange(len(pop))), None, ctx), ctx)
    # Next year the others decide again: what is left after the running contracts cannot fund the next in line.
    pop.support[:] = 0.0
    rest = order[2:]
    next_year = YearContext(2026, ctx.config, ctx.world, 1.0, ctx.reference_talent)
    offer = lever.offer(pop, everything_open(pay, rest), None, next_year)
    assert offer.wage_bonus is None or not offer.wage_bonus.any()
    assert len(offer.new_rows) == 0
    paid = lever.settle(pop, alive, offer, next_year)
    assert paid.cost.sum() == pytest.approx(amount[order[:2]].sum(), rel=1e-12)
    assert paid.cost.sum() <= budget


def test_salary_match_offers_nothing_below_the_talent_percentile():
    ln_talent = np.array([0.1, 0.9, 0.5, -0.3, 0.7])
    lever, pop, ctx, pay, _, _ = salary_match_setup(ln_talent, 1e9, min_talent_percentile=60.0)
    offer = lever.offer(pop, everything_open(pay, np.arange(5)), None, ctx)
    offered = offer.wage_bonus.any(axis=1)
    np.testing.assert_array_equal(offered, ln_talent >= np.sort(ln_talent)[2])  # the top 60 percent


def test_salary_match_pays_only_against_a_foreign_offer_actually_held():
    ln_talent = np.array([0.1, 0.9, 0.5, -0.3, 0.7])
    lever, pop, ctx, pay, home, amount = salary_match_setup(ln_talent, 1e9)
    held = np.ones(pay.shape, dtype=bool)
    held[[0, 2], :] = home  # rows 0 and 2 hold no foreign offer: only their posts at home are open
    held[4] = home | (np.arange(len(home)) == np.flatnonzero(~home)[0])  # row 4 holds only the US academic offer
    offer = lever.offer(pop, Choices(np.arange(5), pay, held), None, ctx)
    bonus = offer.wage_bonus.max(axis=1)
    assert bonus[0] == 0 and bonus[2] == 0
    np.testing.assert_allclose(bonus[[1, 3]], amount[[1, 3]], rtol=1e-12)  # best foreign pay: US industry
    us_academia = np.flatnonzero(~home)[0]
    np.testing.assert_allclose(bonus[4], matched_amount(pay[4:5, us_academia], pay[4:5, home].max(axis=1),
                                                        0.5, 1000.0), rtol=1e-12)
    assert bonus[4] < amount[4]


def test_salary_match_recipients_are_eligible_researchers_in_korea():
    config = build_small_config(only_lever("salary_match", window=False))
    rows = run_model(config, 3, record_agents=True).agent_rows()
    paid = rows[rows["support"] > 0]
    assert len(paid) > 0
    assert (paid["country"] == "KR").all()
    assert paid["stage"].isin(config.policies.salary_match.eligible_stages).all()
    assert (paid["support"] <= config.policies.salary_match.cap).all()


# ------------------------------------------------------------------------------- hours
@pytest.mark.parametrize("seed", SEEDS)
def test_hours_exemption_raises_research_output_in_korea_by_little(seed):
    base = run_model(build_small_config(), seed).yearly()
    config = build_small_config(only_lever("hours_exemption", window=False, cost_per_researcher=0.0))
    exempt = run_model(config, seed).yearly()
    start = exempt["year"] >= config.policies.hours_exemption.start_year
    assert exempt.loc[0, "research_output_KR"] == base.loc[0, "research_output_KR"]
    # The cap cuts about 2.6 hours a week, mostly in peak weeks past the point where output per hour falls
    # (Pencavel 2014): output in Korea rises, by a few percent at most.
    ratio = exempt.loc[start, "research_output_KR"] / base.loc[start, "research_output_KR"]
    assert (ratio > 1.0).all() and (ratio < 1.05).all(), list(ratio)
    assert (exempt.loc[start, "hours_cut_KR"] == 0).all() and (base.loc[start, "hours_cut_KR"] > 1).all()


def test_exemption_value_is_the_pay_rise_worth_the_hours_the_cap_takes():
    config = build_small_config(only_lever("hours_exemption", window=False))
    world = World.from_config(config)
    pop = draw_cohort(np.random.default_rng(3), 6, config, world, 0, 1)
    pop.stage[:] = JUNIOR
    pop.desired_hours[:] = [40.0, 50.0, 52.0, 56.0, 60.0, 60.0]
    pop.employer_rank[:] = [0.1, 0.1, 0.1, 0.1, 0.1, 0.99]  # the last works for an employer the cap does not cover
    ctx = YearContext(2025, config, world, 1.0, np.zeros(1))
    value = exemption_value(pop, np.arange(6), world.origin, ctx)
    h, p = config.hours, config.preferences
    cut = cap_cut(pop.desired_hours, np.array([52.0] * 5 + [np.inf]), h.peak_share, h.peak_extra)
    pay = behaviour.current_pay(world, pop, np.arange(6))
    # In levels (income_curvature 0) the pay rise worth the hours is hours weight x cut / wage weight, in 100 million.
    assert p.income_curvature == 0.0
    np.testing.assert_allclose(value, 100.0 * p.hours * cut / p.wage, rtol=1e-12)
    np.testing.assert_allclose(choice.income_utility(pay + value, 0.0) - choice.income_utility(pay, 0.0),
                               p.hours * cut / p.wage, rtol=1e-9)
    assert value[5] == 0.0 and np.all(np.diff(value[:5]) >= 0) and value[0] > 0  # peaks reach the cap at 40


# -------------------------------------------------------------------------- star recruitment
def test_star_recruitment_brings_the_most_talented_academic_seniors_abroad_home():
    config = build_small_config(only_lever("star_recruitment", window=False))
    w = config.people_per_agent
    packages_a_year = int(np.ceil(config.policies.star_recruitment.stars_per_year / w - 1e-9))  # with the carry
    rows = run_model(config, 1, record_agents=True).agent_rows()
    recruits = rows[rows["support"] > 0].sort_values("year").groupby("id").head(1)
    assert len(recruits) >= 3
    for _, star in recruits.iterrows():
        assert star["moved"] and star["country"] == "KR" and star["sector"] == "academia"
        assert star["stage"] == "senior"
        before = rows[rows["year"] == star["year"] - 1]
        assert before.loc[before["id"] == star["id"], "country"].item() != "KR"
        # Approached were the `packages_a_year` most talented academic seniors abroad.
        rivals = before[(before["stage"] == "senior") & (before["country"] != "KR") & (before["id"] != star["id"])
                        & (before["sector"] == "academia")]
        assert (rivals["talent"] > star["talent"]).sum() < packages_a_year, star


def test_star_recruitment_raises_senior_and_top_talent_in_korea():
    config = build_small_config(only_lever("star_recruitment", window=False))
    base = pd.concat([run_model(build_small_config(), s).yearly().iloc[-1:] for s in SEEDS])
    stars = pd.concat([run_model(config, s).yearly().iloc[-1:] for s in SEEDS])
    for column in ("researchers_KR_academia_senior", "top_talent_KR", "mentor_quality_KR"):
        assert stars[column].mean() > base[column].mean(), column


# ---------------------------------------------------------------------------- return grant
def test_return_grant_increases_returns_against_the_same_seeds():
    config = build_small_config(only_lever("return_grant", window=False))
    base = sum(run_model(build_small_config(), s).yearly()["returns"].sum() for s in SEEDS)
    grant = sum(run_model(config, s).yearly()["returns"].sum() for s in SEEDS)
    assert grant > 1.1 * base, (grant, base)


def test_return_grant_is_paid_to_researchers_who_came_back():
    config = build_small_config(only_lever("return_grant", window=False))
    rows = run_model(config, 1, record_agents=True).agent_rows()
    first = rows[rows["support"] > 0].sort_values("year").groupby("id").head(1)
    assert len(first) > 0
    assert first["moved"].all() and (first["country"] == "KR").all() and (first["origin"] == "KR").all()
    assert (first["support"] == config.policies.return_grant.grant).all()


def test_every_lever_on_at_once_spends_within_each_budget(all_levers_config):
    y = run_model(all_levers_config, 4).yearly()
    budgets = dict(ALL_LEVERS)
    for name in ("salary_match", "hours_exemption", "star_recruitment", "return_grant"):
        assert (y[f"spending_{name}"] <= budgets[f"policies.{name}.budget"] * (1 + 1e-9)).all(), name
    assert set(STAGES) >= set(all_levers_config.policies.salary_match.eligible_stages)


@pytest.mark.parametrize("percentile", [0.0, 0.5, 10.0, 33.3, 90.0, 99.99, 100.0])
def test_talent_floor_admits_exactly_those_at_or_above_the_percentile(percentile: float) -> None:
    rng = np.random.default_rng(5)
    reference = np.sort(rng.normal(size=997))
    candidates = np.concatenate([reference, rng.normal(size=500), [-np.inf, np.inf]])
    by_percentile = talent_percentile(candidates, reference) >= percentile
    by_floor = candidates >= talent_floor(reference, percentile)
    np.testing.assert_array_equal(by_floor, by_percentile)


# ----------------------------------------------------------------- deadweight and value to recipients
def paired_runs(config, seed: int) -> tuple[TalentModel, TalentModel]:
    """A policy run with its baseline twin, and the baseline run on its own, both with agent rows."""
    from simulation.model import without_policies

    policy = TalentModel(config, rng=seed, deadweight=True, record_agents=True)
    alone = TalentModel(without_policies(config), rng=seed, record_agents=True)
    for model in (policy, alone):
        while model.running:
            model.step()
    return policy, alone


@pytest.mark.parametrize("name", ["salary_match", "return_grant"])
def test_deadweight_is_the_spending_on_people_who_are_in_korea_in_the_baseline_on_the_same_draws(name):
    config = build_small_config(only_lever(name, window=False))
    policy, alone = paired_runs(config, 2)
    pd.testing.assert_frame_equal(policy.twin.yearly(), alone.yearly(), check_exact=True)
    y = policy.yearly().set_index("year")
    paid = policy.agent_rows().query("support > 0")[["id", "year", "support"]]
    where = alone.agent_rows()[["id", "year", "country"]]
    merged = paid.merge(where, on=["id", "year"], how="left", validate="one_to_one")
    assert merged["country"].notna().all()  # the same people are alive in both runs
    anyway = merged[merged["country"] == "KR"].groupby("year")["support"].sum()
    w = config.people_per_agent
    expected = anyway.reindex(y.index[1:], fill_value=0.0) * w
    np.testing.assert_allclose(y[f"deadweight_{name}"].iloc[1:], expected, rtol=1e-9)
    assert (y[f"deadweight_{name}"].iloc[1:] <= y[f"spending_{name}"].iloc[1:] + 1e-6).all()
    assert y[f"spending_{name}"].sum() > 0


def test_without_a_baseline_twin_deadweight_is_unknown(small_config):
    config = build_small_config(only_lever("return_grant", window=False))
    y = run_model(config, 1).yearly()
    assert y["deadweight_return_grant"].isna().all()


def test_a_grants_value_to_recipients_is_the_grant_over_their_pay():
    config = build_small_config(only_lever("return_grant", window=False))
    model = run_model(config, 1, record_agents=True)
    y = model.yearly().set_index("year")
    rows = model.agent_rows().query("support > 0")
    world = model.world
    sector = (rows["sector"] == "industry").to_numpy().astype(int)
    stage = rows["stage"].map({s: i for i, s in enumerate(STAGES)}).to_numpy()
    alt = world.origin * 2 + sector
    pay = world.pay[world.origin, sector, stage] * rows["talent"].to_numpy() ** world.convexity[alt]
    share = (rows["support"].to_numpy() / pay)
    expected = pd.Series(share, index=rows["year"].to_numpy()).groupby(level=0).mean()
    np.testing.assert_allclose(y.loc[expected.index, "wage_equivalent_return_grant"], expected, rtol=1e-9)
    assert y["wage_equivalent_return_grant"].isna().sum() == len(y) - len(expected)


def test_offers_are_made_in_talent_order_while_money_is_left_and_a_decline_frees_it():
    from simulation.levers.base import fund_in_turn

    cost = np.array([50.0, 40.0, 30.0, 30.0, 20.0])
    taken = np.array([False, True, True, False, True])
    # 100 to spend: the first is offered and declines, the second and third take 70, the fourth is offered
    # (30 left) and declines, the fifth is offered and takes 20 of the 30 left.
    np.testing.assert_array_equal(fund_in_turn(cost, taken, 100.0), [True, True, True, True, True])
    # 60 to spend: the second takes 40, the third (30 > 20 left) gets no offer, nor the fourth; the fifth fits.
    np.testing.assert_array_equal(fund_in_turn(cost, taken, 60.0), [True, True, False, False, True])
    assert not fund_in_turn(cost, taken, 0.0).any()


def test_a_return_grant_within_a_small_budget_goes_to_those_who_return():
    config = build_small_config(only_lever("return_grant", window=False, budget=60_000.0))
    y = run_model(config, 2).yearly()
    active = y["year"] >= config.policies.return_grant.start_year
    assert (y.loc[active, "spending_return_grant"] > 0).mean() > 0.5
    assert (y["spending_return_grant"] <= 60_000.0 * (1 + 1e-9)).all()
