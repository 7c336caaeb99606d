"""A policy run against a baseline run with the same random numbers: the yearly differences.

Pure functions of two yearly DataFrames that cover the same years. Counts are
in people, researcher-years in people times years (the initial state, row 0,
is not a simulated year and counts for none), money in million KRW.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.summary import billions, checkpoints, format_table, people, percent, row_label


def measures(yearly: pd.DataFrame, origin: str) -> pd.DataFrame:
    """The compared measures of one run, one row a year."""
    home = yearly["researchers_home"].to_numpy(dtype=float)
    spent = yearly["spending_total"].to_numpy(dtype=float)
    simulated = np.arange(len(yearly)) > 0
    return pd.DataFrame({
        f"researchers_{origin}": home,
        f"top_talent_{origin}": yearly[f"top_talent_{origin}"].to_numpy(dtype=float),
        "share_abroad": yearly["share_abroad"].to_numpy(dtype=float),
        "emigration": yearly["emigration"].to_numpy(dtype=float),
        "returns": yearly["returns"].to_numpy(dtype=float),
        "spending_total": spent,
        f"researcher_years_{origin}": np.cumsum(np.where(simulated, home, 0.0)),
        "spending_cumulative": np.cumsum(spent),
    })


def difference_table(base: pd.DataFrame, policy: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Per year: each measure in the baseline, under the policy, and their difference (policy minus baseline).

    The last column, ``cost_per_extra_researcher_year`` (million KRW), is the
    extra spending so far over the extra researcher-years in ``origin`` so far;
    undefined (NaN) while the policy has added none.
    """
    if len(base) != len(policy) or not np.array_equal(base["year"].to_numpy(), policy["year"].to_numpy()):
        raise ValueError("the two runs must cover the same years")
    b, p = measures(base, origin), measures(policy, origin)
    table = {"year": base["year"].to_numpy()}
    for name in b.columns:
        table[f"{name}_base"] = b[name].to_numpy()
        table[f"{name}_policy"] = p[name].to_numpy()
        table[f"{name}_difference"] = p[name].to_numpy() - b[name].to_numpy()
    extra_years = table[f"researcher_years_{origin}_difference"]
    extra_spending = table["spending_cumulative_difference"]
    with np.errstate(divide="ignore", invalid="ignore"):
        table["cost_per_extra_researcher_year"] = np.where(extra_years > 0, extra_spending / extra_years, np.nan)
    return pd.DataFrame(table)


def _signed(text: str) -> str:
    return text if text.startswith(("-", "n/a")) else f"+{text}"


def lever_names(yearly: pd.DataFrame) -> list[str]:
    """The levers a run's yearly outputs report on (from their ``spending_<lever>`` columns)."""
    return [c.removeprefix("spending_") for c in yearly.columns if c.startswith("spending_") and c != "spending_total"]


def lever_table(policy: pd.DataFrame) -> pd.DataFrame:
    """Per year and lever of the policy run: what it spent, whom it reached, what that is worth to them (share of
    their pay) and its deadweight (share of the spending on people in the country anyway, on the same draws)."""
    table = {"year": policy["year"].to_numpy()}
    for name in lever_names(policy):
        spent = policy[f"spending_{name}"].to_numpy(dtype=float)
        table[f"spending_{name}"] = spent
        table[f"recipients_{name}"] = policy[f"recipients_{name}"].to_numpy(dtype=float)
        table[f"wage_equivalent_{name}"] = policy[f"wage_equivalent_{name}"].to_numpy(dtype=float)
        dead = policy[f"deadweight_{name}"].to_numpy(dtype=float)
        reached = policy[f"recipients_{name}"].to_numpy(dtype=float)
        dead_people = policy[f"deadweight_recipients_{name}"].to_numpy(dtype=float)
        with np.errstate(divide="ignore", invalid="ignore"):
            table[f"deadweight_share_{name}"] = np.where(spent > 0, dead / spent, np.nan)
            table[f"deadweight_recipient_share_{name}"] = np.where(reached > 0, dead_people / reached, np.nan)
    return pd.DataFrame(table)


def _share(value: float) -> str:
    return "n/a" if pd.isna(value) else percent(value)


def comparison_text(table: pd.DataFrame, origin: str, home_name: str, base_label: str, policy_label: str) -> str:
    """The side-by-side difference at years 10 and 20 and at the end, from :func:`difference_table`."""
    n_years = len(table) - 1
    rows: list[list[str]] = []

    def triple(name: str, fmt) -> list[str]:
        values = [fmt(y[f"{name}_{arm}"]) for arm in ("base", "policy")]
        return [*values, _signed(fmt(y[f"{name}_difference"]))]

    for r in checkpoints(n_years):
        if r == 0:
            continue
        y = table.iloc[r]
        rows.append([f"{row_label(r, n_years)}, {int(y['year'])}", "", "", ""])
        rows.append([f"  researchers in {home_name} (people)", *triple(f"researchers_{origin}", people)])
        rows.append([f"  top talent in {home_name} (people)", *triple(f"top_talent_{origin}", people)])
        rows.append(["  share abroad (% of post-PhD)", *triple("share_abroad", percent)])
        rows.append(["  spending this year (bn KRW)", *triple("spending_total", billions)])
        rows.append(["  spending so far (bn KRW)", *triple("spending_cumulative", billions)])
        rows.append([f"  researcher-years in {home_name} so far (difference: extra)",
                     *triple(f"researcher_years_{origin}", people)])
        cost = y["cost_per_extra_researcher_year"]
        rows.append(["  cost per extra researcher-year (M KRW)", "", "",
                     "n/a" if pd.isna(cost) else f"{cost:,.1f}"])
    return format_table(["", base_label, policy_label, "difference"], rows)


def lever_text(levers: pd.DataFrame) -> str:
    """Each lever at years 10 and 20 and at the end, from :func:`lever_table`: spending, people reached, what it
    is worth to them as a pay rise, and its deadweight."""
    n_years = len(levers) - 1
    rows = []
    for r in checkpoints(n_years):
        if r == 0:
            continue
        y = levers.iloc[r]
        for name in lever_names(levers):
            rows.append([f"{row_label(r, n_years)}: {name.replace('_', ' ')}", billions(y[f"spending_{name}"]),
                         people(y[f"recipients_{name}"]), _share(y[f"wage_equivalent_{name}"]),
                         _share(y[f"deadweight_share_{name}"]), _share(y[f"deadweight_recipient_share_{name}"])])
    return format_table(["programme", "spent (bn KRW)", "reached (people)", "value to them (% of pay)",
                         "deadweight (% of spending)", "deadweight (% of people)"], rows)
