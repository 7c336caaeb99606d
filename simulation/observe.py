"""The yearly outputs: pure functions from the population to named numbers.

Counts are in people (agents times people per agent); money in million KRW.
Top talent is the top decile of the *initial* post-PhD population, a fixed bar,
so that policy arms compare like with like.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.careers import PHD, SECTORS, STAGES
from simulation.levers import Spending
from simulation.population import Population
from simulation.world import World

#: Hours a week that count as one unit of research time in research output.
REFERENCE_HOURS = 40.0


@dataclass(frozen=True)
class Flows:
    """Moves of origin-country researchers this year, in agents."""

    emigration: int  # left the origin country
    returns: int  # came back to the origin country
    moves: int  # changed country, any direction


def count_flows(before: np.ndarray, after: np.ndarray, origin: np.ndarray, origin_country: int) -> Flows:
    """Flows from countries before and after the moves (same rows)."""
    native = origin == origin_country
    left = native & (before == origin_country) & (after != origin_country)
    came = native & (before != origin_country) & (after == origin_country)
    return Flows(int(np.count_nonzero(left)), int(np.count_nonzero(came)), int(np.count_nonzero(before != after)))


def count_by_country(country: np.ndarray, n_countries: int, where: np.ndarray | None = None) -> np.ndarray:
    """Researchers in each country, of those marked by ``where`` (all when None): int64 counts, shape (C,)."""
    # One pass a country: with a handful of countries this is several times faster than np.bincount,
    # whose increments of the same few bins wait on each other.
    in_country = (country == c for c in range(n_countries))
    return np.array([np.count_nonzero(hit if where is None else hit & where) for hit in in_country], dtype=np.int64)


def hours_worked(desired: np.ndarray, cap: np.ndarray, exempt: np.ndarray | None) -> np.ndarray:
    """Hours a week worked: as desired, up to the cap unless exempt."""
    worked = np.minimum(desired, cap)
    return np.where(exempt, desired, worked) if exempt is not None else worked


def column_names(world: World, lever_names: list[str]) -> list[str]:
    """Names of the yearly outputs, in order (the DataCollector's reporters)."""
    names = ["year", "researchers_total", "researchers_home", "researchers_abroad", "share_abroad",
             "entries", "exits", "emigration", "returns", "moves", "net_flow_per_10k"]
    for code in world.codes:
        names += [f"researchers_{code}", f"top_talent_{code}", f"top_talent_share_{code}",
                  f"mentor_quality_{code}", f"research_output_{code}"]
        names += [f"researchers_{code}_{sector}_{stage}" for sector in SECTORS for stage in STAGES]
    names += [f"stay_rate_5y_{code}" for i, code in enumerate(world.codes) if i != world.origin]
    for name in lever_names:
        names += [f"spending_{name}", f"recipients_{name}"]
    names += ["spending_total", "support_total"]
    return names


def observe(pop: Population, world: World, *, year: int, people_per_agent: float, top_cut: float,
            mentor_quality: np.ndarray, flows: Flows, entries: int, exits: int,
            spending: dict[str, Spending], exempt: np.ndarray | None) -> dict[str, float]:
    """The yearly outputs for the researchers in ``pop`` (those still in research)."""
    w = people_per_agent
    n_c = world.n_countries
    n_stage = len(STAGES)
    cell = (pop.country.astype(np.int16) * len(SECTORS) + pop.sector) * n_stage + pop.stage  # int16: fewer bytes
    cells = np.bincount(cell, minlength=n_c * len(SECTORS) * n_stage).reshape(n_c, len(SECTORS), n_stage)
    by_country = cells.sum(axis=(1, 2))
    top = pop.ln_talent >= top_cut
    top_by_country = count_by_country(pop.country, n_c, where=top)
    native = pop.origin == world.origin
    post_phd = pop.stage > PHD
    base = native & post_phd
    n_base = np.count_nonzero(base)
    abroad_share = float(np.count_nonzero(base & (pop.country != world.origin)) / n_base) if n_base else float("nan")
    hours = hours_worked(pop.desired_hours, world.hours_cap[pop.country], exempt)
    research_time = np.exp(pop.ln_talent)  # talent x hours / REFERENCE_HOURS, computed in place
    research_time *= hours
    research_time /= REFERENCE_HOURS
    output = np.bincount(pop.country, weights=research_time, minlength=n_c)
    total = len(pop)
    out: dict[str, float] = {
        "year": year,
        "researchers_total": total * w,
        "researchers_home": int(by_country[world.origin]) * w,
        "researchers_abroad": (total - int(by_country[world.origin])) * w,
        "share_abroad": abroad_share,
        "entries": entries * w,
        "exits": exits * w,
        "emigration": flows.emigration * w,
        "returns": flows.returns * w,
        "moves": flows.moves * w,
        "net_flow_per_10k": (flows.returns - flows.emigration) / total * 1e4 if total else 0.0,
    }
    n_top = np.count_nonzero(top)
    for i, code in enumerate(world.codes):
        out[f"researchers_{code}"] = int(by_country[i]) * w
        out[f"top_talent_{code}"] = int(top_by_country[i]) * w
        out[f"top_talent_share_{code}"] = float(top_by_country[i] / n_top) if n_top else float("nan")
        out[f"mentor_quality_{code}"] = float(mentor_quality[i])
        out[f"research_output_{code}"] = float(output[i]) * w
        for s, sector in enumerate(SECTORS):
            for g, stage in enumerate(STAGES):
                out[f"researchers_{code}_{sector}_{stage}"] = int(cells[i, s, g]) * w
    for i, code in enumerate(world.codes):
        if i == world.origin:
            continue
        cohort = (pop.phd_country == i) & (pop.phd_year == year - 5) & native
        n = np.count_nonzero(cohort)
        stayed = np.count_nonzero(cohort & (pop.country == i))
        out[f"stay_rate_5y_{code}"] = float(stayed / n) if n else float("nan")
    for name, spent in spending.items():
        out[f"spending_{name}"] = spent.spent
        out[f"recipients_{name}"] = spent.recipients
    out["spending_total"] = float(sum(s.spent for s in spending.values()))
    out["support_total"] = float(pop.support.sum()) * w
    return out
