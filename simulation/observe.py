"""The yearly outputs: pure functions from the population to named numbers.

Counts are in people (agents times people per agent); money in million KRW;
hours in hours a week. Top talent is the top decile (and top percentile) of the
post-PhD population at the start, a fixed bar, so that policy arms compare like
with like. docs/ODD.md says which population each output describes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation import loops, threads
from simulation.careers import ACADEMIA, SECTORS, SENIOR, STAGES
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


@dataclass(frozen=True)
class Tallies:
    """The year's sums over the researchers behind the outputs (:func:`tally`): see
    :func:`simulation.loops.tally_counts` and :func:`simulation.loops.tally_sums`."""

    cells: np.ndarray  # researchers by (country, sector, stage), (C, sectors, stages)
    top: np.ndarray  # at or above the top cut, by country
    top1: np.ndarray  # at or above the top-1-percent cut, by country
    base: np.ndarray  # origin-country post-PhD researchers, and those of them abroad
    output: np.ndarray  # research output by country
    group_count: np.ndarray  # by survey group 4 c + 2 covered + employee
    group_worked: np.ndarray
    group_cut: np.ndarray
    graduates: np.ndarray  # (C, 4)
    professor_talent: np.ndarray  # talent of academic seniors, by country
    trainees: np.ndarray  # by country

    def talent_per_trainee(self) -> np.ndarray:
        """:func:`simulation.mentors.talent_per_trainee` of the population tallied (C,)."""
        return self.professor_talent / np.maximum(self.trainees, 1)


@dataclass(frozen=True)
class Week:
    """Each researcher's week and what it yields (:func:`simulation.loops.hours_and_output`), (n,) each."""

    talent: np.ndarray  # exp(ln_talent)
    cut: np.ndarray  # hours a week the cap cuts
    worked: np.ndarray  # hours a week worked
    output: np.ndarray  # research output
    group: np.ndarray  # int8 survey group, 2 covered + employee


def weeks(pop: Population, world: World, hours: HoursConfig) -> Week:
    """:class:`Week` of every researcher, several spans at once."""
    n = len(pop)
    week = Week(np.empty(n), np.empty(n), np.empty(n), np.empty(n), np.empty(n, dtype=np.int8))

    def span(start: int, stop: int) -> None:  # views of the span's rows
        rows = slice(start, stop)
        loops.hours_and_output(pop.country[rows], pop.stage[rows], np.exp(pop.ln_talent[rows], out=week.talent[rows]),
                               pop.desired_hours[rows], pop.employer_rank[rows], pop.exempt[rows], world.hours_cap,
                               world.cap_coverage, world.capped, hours.peak_share, hours.peak_extra,
                               hours.output_kink, hours.output_flat, week.cut[rows], week.worked[rows],
                               week.output[rows], week.group[rows])

    threads.each(span, n)
    return week


def tally(pop: Population, world: World, hours: HoursConfig, *, year: int, top_cut: float, top1_cut: float,
          week: Week | None = None) -> Tallies:
    """The sums behind the year's outputs, and behind mentor quality; ``week``: the researchers' :func:`weeks`, if
    taken already. The counts and the sums of floats are two passes, each on its own thread if there are two."""
    n_c, n_sectors, n_stages = world.n_countries, len(SECTORS), len(STAGES)
    w = weeks(pop, world, hours) if week is None else week
    counts, sums = threads.together(
        lambda: loops.tally_counts(pop.country, pop.sector, pop.stage, pop.origin, pop.ln_talent, w.group,
                                   pop.phd_country, pop.phd_year, year, world.origin, top_cut, top1_cut, n_c,
                                   n_sectors, n_stages),
        lambda: loops.tally_sums(pop.country, pop.sector, pop.stage, w.talent, w.cut, w.worked, w.output, w.group,
                                 n_c), rows=len(pop))
    cells, top, top1, base, group_count, graduates, trainees = counts
    output, group_worked, group_cut, professor_talent = sums
    return Tallies(cells.reshape(n_c, n_sectors, n_stages), top, top1, base, output, group_count, group_worked,
                   group_cut, graduates, professor_talent, trainees)


def observe(pop: Population, world: World, hours: HoursConfig, *, year: int, people_per_agent: float,
            top_cut: float, top1_cut: float, mentor_quality: np.ndarray, flows: Flows, entries: int, exits: int,
            levers: dict[str, LeverYear], tallies: Tallies | None = None) -> dict[str, float]:
    """The yearly outputs for the researchers in ``pop`` (those still in research); ``tallies``: their
    :func:`tally`, if taken already."""
    w = people_per_agent
    if tallies is None:
        tallies = tally(pop, world, hours, year=year, top_cut=top_cut, top1_cut=top1_cut)
    cells, top_by_country, top1_by_country, base = tallies.cells, tallies.top, tallies.top1, tallies.base
    output, group_count, group_worked, group_cut = (tallies.output, tallies.group_count, tallies.group_worked,
                                                    tallies.group_cut)
    graduates = tallies.graduates
    by_country = cells.sum(axis=(1, 2))
    n_base, n_abroad = int(base[0]), int(base[1])
    total = len(pop)
    out: dict[str, float] = {
        "year": year,
        "researchers_total": total * w,
        "researchers_home": int(by_country[world.origin]) * w,
        "researchers_abroad": (total - int(by_country[world.origin])) * w,
        "share_abroad": n_abroad / n_base if n_base else float("nan"),
        "entries": entries * w,
        "exits": exits * w,
        "emigration": flows.emigration * w,
        "returns": flows.returns * w,
        "moves": flows.moves * w,
        "net_flow_per_10k": (flows.returns - flows.emigration) / total * 1e4 if total else 0.0,
        "faculty_return_rate": flows.faculty_returns / flows.faculty_abroad if flows.faculty_abroad else float("nan"),
    }
    n_top = int(top_by_country.sum())
    for i, code in enumerate(world.codes):
        # Hours as a survey of covered employers would see them: the employees a cap covers, or all employees
        # where no cap covers anyone (then the employees are exactly the uncovered employees, group 4c + 1).
        g = 4 * i + 3 if group_count[4 * i + 3] else 4 * i + 1
        count, worked_sum, cut_sum = int(group_count[g]), float(group_worked[g]), float(group_cut[g])
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
        n_graduates, staying, n_cohort, stayed = (int(k) for k in graduates[i])
        out[f"phd_graduates_{code}"] = n_graduates * w
        # At graduation: the post taken right after the doctorate (what graduates intend, NSF 15-302).
        out[f"stay_rate_at_phd_{code}"] = staying / n_graduates if n_graduates else float("nan")
        out[f"stay_rate_5y_{code}"] = stayed / n_cohort if n_cohort else float("nan")
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
