"""The yearly outputs: pure functions from the population to named numbers.

Counts are in people (agents times people per agent); money in million KRW;
hours in hours a week. Top talent is the top decile (and top percentile) of the
post-PhD population at the start, a fixed bar, so that policy arms compare like
with like. docs/ODD.md says which population each output describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.careers import ACADEMIA, PHD, SECTORS, SENIOR, STAGES
from simulation.hours import cap_cut, is_employee, research_time
from simulation.population import Population
from simulation.schema import HoursConfig
from simulation.world import World


@dataclass(frozen=True)
class Flows:
    """Moves of origin-country researchers this year, in agents."""

    emigration: int  # left the origin country
    returns: int  # came back to the origin country
    moves: int  # changed country, any direction
    faculty_returns: int  # academic seniors abroad who came back
    faculty_abroad: int  # academic seniors abroad before the year's moves


@dataclass(frozen=True)
class LeverYear:
    """A programme's year in outputs: money, people reached, value to them and deadweight."""

    spent: float  # million KRW
    recipients: float  # people
    wage_equivalent: float  # mean value to recipients, share of their pay (nan: none reached)
    deadweight: float  # million KRW spent on people who are in the programme's country in the baseline (nan: unknown)
    deadweight_recipients: float  # people reached who are in the programme's country in the baseline
    offered: float = 0.0  # people offered a new contract this year
    signed: float = 0.0  # of those, people who took it


def count_flows(before: np.ndarray, after: np.ndarray, origin: np.ndarray, origin_country: int,
                stage: np.ndarray, sector_before: np.ndarray) -> Flows:
    """Flows from countries (and sectors) before and after the moves (same rows); ``stage`` is the stage at the
    decision. Faculty abroad are academic seniors abroad before the moves (Gaule 2014's population)."""
    native = origin == origin_country
    left = native & (before == origin_country) & (after != origin_country)
    came = native & (before != origin_country) & (after == origin_country)
    faculty_abroad = native & (stage == SENIOR) & (sector_before == ACADEMIA) & (before != origin_country)
    return Flows(int(np.count_nonzero(left)), int(np.count_nonzero(came)), int(np.count_nonzero(before != after)),
                 int(np.count_nonzero(came & faculty_abroad)), int(np.count_nonzero(faculty_abroad)))


def count_by_country(country: np.ndarray, n_countries: int, where: np.ndarray | None = None) -> np.ndarray:
    """Researchers in each country, of those marked by ``where`` (all when None): int64 counts, shape (C,)."""
    # One pass a country: with a handful of countries this is several times faster than np.bincount,
    # whose increments of the same few bins wait on each other.
    in_country = (country == c for c in range(n_countries))
    return np.array([np.count_nonzero(hit if where is None else hit & where) for hit in in_country], dtype=np.int64)


def binding_cap(pop: Population, world: World) -> tuple[np.ndarray, np.ndarray]:
    """The cap each researcher works under where they are (inf: none binds them), and whether their employer is
    covered by one (employees, in a country with a cap that covers their employer), both (n,)."""
    # A pass per capped country: with a handful of countries, cheaper than gathering per-country values by row.
    covered = np.zeros(len(pop), dtype=bool)
    cap = np.full(len(pop), np.inf)
    employee = is_employee(pop.stage, world.capped)
    for c in np.flatnonzero(np.isfinite(world.hours_cap)):
        here = (pop.country == c) & employee
        here &= pop.employer_rank < world.cap_coverage[c]
        covered |= here
        here &= ~pop.exempt
        cap[np.flatnonzero(here)] = world.hours_cap[c]  # faster than a boolean mask
    return cap, covered


def hours_by_country(country: np.ndarray, n_countries: int, covered: np.ndarray, employee: np.ndarray,
                     worked: np.ndarray, cut: np.ndarray) -> list[tuple[int, float, float]]:
    """Count, summed hours worked and summed hours cut (hours a week) of each country's surveyed researchers: the
    employees a cap covers (as a survey of covered employers would see them), or all employees where no cap covers
    anyone. ``country`` is the country index (n,); ``covered`` (a subset of ``employee``), ``employee`` bool (n,).

    The sums are those of ``np.bincount(country, weights=hours * group)`` bit for bit: one bincount over the
    groups (country, covered, employee) adds each group's hours in row order from 0.0, and the zeros a
    mask would add change no sum. Where no one is covered, the employees are exactly the uncovered employees.
    """
    small = country.astype(np.int8) * np.int8(4)  # group 4c + 2 covered + employee, in bytes while built
    small += covered
    small += covered
    small += employee
    group = small.astype(np.intp)
    n_groups = 4 * n_countries
    counts = np.bincount(group, minlength=n_groups)
    worked_sum = np.bincount(group, weights=worked, minlength=n_groups)
    cut_sum = np.bincount(group, weights=cut, minlength=n_groups)
    out = []
    for c in range(n_countries):
        g = 4 * c + 3 if counts[4 * c + 3] else 4 * c + 1  # the covered, else the (uncovered) employees
        out.append((int(counts[g]), float(worked_sum[g]), float(cut_sum[g])))
    return out


def column_names(world: World, lever_names: list[str]) -> list[str]:
    """Names of the yearly outputs, in order (the DataCollector's reporters)."""
    names = ["year", "researchers_total", "researchers_home", "researchers_abroad", "share_abroad",
             "entries", "exits", "emigration", "returns", "moves", "net_flow_per_10k", "faculty_return_rate"]
    for code in world.codes:
        names += [f"researchers_{code}", f"top_talent_{code}", f"top_talent_share_{code}", f"top1_talent_{code}",
                  f"mentor_quality_{code}", f"research_output_{code}", f"hours_worked_{code}", f"hours_cut_{code}"]
        names += [f"researchers_{code}_{sector}_{stage}" for sector in SECTORS for stage in STAGES]
    for i, code in enumerate(world.codes):
        if i != world.origin:
            names += [f"phd_graduates_{code}", f"stay_rate_at_phd_{code}", f"stay_rate_5y_{code}"]
    for name in lever_names:
        names += [f"spending_{name}", f"recipients_{name}", f"wage_equivalent_{name}", f"deadweight_{name}",
                  f"deadweight_recipients_{name}", f"offered_{name}", f"signed_{name}"]
    names += ["spending_total", "support_total"]
    return names


def observe(pop: Population, world: World, hours: HoursConfig, *, year: int, people_per_agent: float,
            top_cut: float, top1_cut: float, mentor_quality: np.ndarray, flows: Flows, entries: int, exits: int,
            levers: dict[str, LeverYear]) -> dict[str, float]:
    """The yearly outputs for the researchers in ``pop`` (those still in research)."""
    w = people_per_agent
    n_c = world.n_countries
    n_stage = len(STAGES)
    cell = (pop.country.astype(np.int16) * len(SECTORS) + pop.sector) * n_stage + pop.stage  # int16: fewer bytes
    cells = np.bincount(cell, minlength=n_c * len(SECTORS) * n_stage).reshape(n_c, len(SECTORS), n_stage)
    by_country = cells.sum(axis=(1, 2))
    top = pop.ln_talent >= top_cut
    top_by_country = count_by_country(pop.country, n_c, where=top)
    top1_by_country = count_by_country(pop.country, n_c, where=pop.ln_talent >= top1_cut)
    native = pop.origin == world.origin
    post_phd = pop.stage > PHD
    base = native & post_phd
    n_base = np.count_nonzero(base)
    abroad_share = float(np.count_nonzero(base & (pop.country != world.origin)) / n_base) if n_base else float("nan")
    cap, covered = binding_cap(pop, world)
    cut = cap_cut(pop.desired_hours, cap, hours.peak_share, hours.peak_extra)
    worked = pop.desired_hours + hours.peak_share * hours.peak_extra - cut
    output = np.bincount(pop.country.astype(np.intp), minlength=n_c,
                         weights=np.exp(pop.ln_talent) * research_time(pop.desired_hours, cap, hours.peak_share,
                                                                       hours.peak_extra, hours.output_kink,
                                                                       hours.output_flat))
    employee = is_employee(pop.stage, world.capped)
    hours_by_group = hours_by_country(pop.country, n_c, covered, employee, worked, cut)
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
        "faculty_return_rate": flows.faculty_returns / flows.faculty_abroad if flows.faculty_abroad else float("nan"),
    }
    n_top = np.count_nonzero(top)
    for i, code in enumerate(world.codes):
        count, worked_sum, cut_sum = hours_by_group[i]
        out[f"researchers_{code}"] = int(by_country[i]) * w
        out[f"top_talent_{code}"] = int(top_by_country[i]) * w
        out[f"top_talent_share_{code}"] = float(top_by_country[i] / n_top) if n_top else float("nan")
        out[f"top1_talent_{code}"] = int(top1_by_country[i]) * w
        out[f"mentor_quality_{code}"] = float(mentor_quality[i])
        out[f"research_output_{code}"] = float(output[i]) * w
        out[f"hours_worked_{code}"] = worked_sum / count if count else float("nan")
        out[f"hours_cut_{code}"] = cut_sum / count if count else float("nan")
        for s, sector in enumerate(SECTORS):
            for g, stage in enumerate(STAGES):
                out[f"researchers_{code}_{sector}_{stage}"] = int(cells[i, s, g]) * w
    for i, code in enumerate(world.codes):
        if i == world.origin:
            continue
        graduates = (pop.phd_country == i) & (pop.phd_year == year) & native
        n_graduates = np.count_nonzero(graduates)
        out[f"phd_graduates_{code}"] = n_graduates * w
        # At graduation: the post taken right after the doctorate (what graduates intend, NSF 15-302).
        out[f"stay_rate_at_phd_{code}"] = (float(np.count_nonzero(graduates & (pop.country == i)) / n_graduates)
                                           if n_graduates else float("nan"))
        cohort = (pop.phd_country == i) & (pop.phd_year == year - 5) & native
        n = np.count_nonzero(cohort)
        stayed = np.count_nonzero(cohort & (pop.country == i))
        out[f"stay_rate_5y_{code}"] = float(stayed / n) if n else float("nan")
    for name, lever in levers.items():
        out[f"spending_{name}"] = lever.spent
        out[f"recipients_{name}"] = lever.recipients
        out[f"wage_equivalent_{name}"] = lever.wage_equivalent
        out[f"deadweight_{name}"] = lever.deadweight
        out[f"deadweight_recipients_{name}"] = lever.deadweight_recipients
        out[f"offered_{name}"] = lever.offered
        out[f"signed_{name}"] = lever.signed
    out["spending_total"] = float(sum(lv.spent for lv in levers.values()))
    out["support_total"] = float(pop.support.sum()) * w
    return out
