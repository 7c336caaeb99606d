"""Speed and peak memory of the model's two engines.

Each case (engine, researchers, years) runs in a fresh Python process, so that
its peak resident memory (``ru_maxrss``) is its own and no case warms another.
Time is the wall time of the yearly steps; building the model is shown apart.
A researcher-year is one researcher alive at the end of one simulated year,
summed over the years (as ``talentflow run`` counts them).

Targets: the vectorized engine at most 100 ns per researcher-year at
100,000 researchers; the agent engine (Mesa agents running scalar Python) at
most 10 µs per researcher-year at 10,000 researchers; both engines give
identical yearly outputs on every case both run; 1,000,000 researchers for 30
years within 2 GiB of memory. The agent engine runs fewer years at the larger
sizes; the vectorized engine also runs those same cases, for the speed-up
(reported, not a target).

The vectorized engine splits its year over threads (:mod:`simulation.threads`;
the outputs are the same on any number): each case runs on the threads the
engine takes by default (the CPUs the process may use), and the speed target's
case runs once more on one thread, to show what the threads give. Its helper
threads poll for work between the year's steps (:mod:`simulation.crew`): the CPU
time on more than one thread includes that polling, which yields the CPU to any
other thread that waits for it.

``python -m benchmarks.model [--quick] [--config FILE] [--seed N] [--repeat N]``
runs this benchmark alone and prints its section.
"""

from __future__ import annotations

import argparse
import dataclasses
import hashlib
import json
import math
import os
import resource
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from benchmarks import Section, Target, markdown_table, targets_table
from benchmarks.machine import REPO
from simulation.threads import ENV as THREADS_ENV

DEFAULT_CONFIG = REPO / "configs" / "baseline.toml"
DEFAULT_SEED = 1
MAX_NS_PER_RESEARCHER_YEAR = 100.0
MAX_US_PER_AGENT_YEAR = 10.0
MAX_PEAK_BYTES = 2 * 2**30
MIB = 2**20


@dataclass(frozen=True)
class Case:
    """One benchmark run: an engine, a population size (agents at the start) and a number of years."""

    engine: str
    researchers: int
    years: int
    threads: int | None = None  # TALENTFLOW_THREADS for the case; None: the engine's default

    def label(self) -> str:
        on = "" if self.threads is None else f", {self.threads} thread{'s' if self.threads > 1 else ''}"
        return f"{self.engine} {self.researchers:,} x {self.years} years{on}"


@dataclass(frozen=True)
class Plan:
    """The cases to run, and which of them the targets are judged on."""

    cases: tuple[Case, ...]
    speed: Case  # the vectorized case for the ns per researcher-year target
    agents: Case  # the agent-engine case for the µs per researcher-year target
    memory: Case | None  # the case for the memory target (None: not measured)


FULL = Plan(
    cases=(Case("vectorized", 1_000, 30), Case("agents", 1_000, 30),
           Case("vectorized", 10_000, 30), Case("vectorized", 10_000, 10), Case("agents", 10_000, 10),
           Case("vectorized", 100_000, 30), Case("vectorized", 100_000, 30, threads=1),
           Case("vectorized", 100_000, 3), Case("agents", 100_000, 3), Case("vectorized", 1_000_000, 30)),
    speed=Case("vectorized", 100_000, 30),
    agents=Case("agents", 10_000, 10),
    memory=Case("vectorized", 1_000_000, 30),
)
QUICK = Plan(
    cases=(Case("vectorized", 1_000, 10), Case("agents", 1_000, 10),
           Case("vectorized", 10_000, 3), Case("agents", 10_000, 3),
           Case("vectorized", 100_000, 10), Case("vectorized", 100_000, 10, threads=1)),
    speed=Case("vectorized", 100_000, 10),
    agents=Case("agents", 10_000, 3),
    memory=None,
)


@dataclass(frozen=True)
class Measure:
    """What one case measured."""

    case: Case
    build_seconds: float  # wall time to build the model
    seconds: float  # wall time of the yearly steps
    cpu_seconds: float  # CPU time of the process during the yearly steps
    researcher_years: int
    peak_bytes: int  # peak resident memory of the process
    start_bytes: int  # peak resident memory after the imports, before the model is built
    digest: str  # hash of the yearly outputs, to check that the engines agree
    threads: int = 1  # threads the engine used

    @property
    def ns_per_researcher_year(self) -> float:
        return 1e9 * self.seconds / self.researcher_years

    @property
    def cpu_ns_per_researcher_year(self) -> float:
        return 1e9 * self.cpu_seconds / self.researcher_years


def peak_rss_bytes() -> int:
    """Peak resident memory of this process so far, in bytes (``ru_maxrss`` is KiB on Linux, bytes on macOS)."""
    peak = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    return int(peak) if sys.platform == "darwin" else int(peak) * 1024


def outputs_digest(yearly) -> str:
    """A short hash of the yearly outputs (column names and every value's bits)."""
    values = np.ascontiguousarray(yearly.to_numpy(dtype=float))
    return hashlib.sha256(",".join(yearly.columns).encode() + values.tobytes()).hexdigest()[:16]


def simulate_case(case: Case, config: Path, seed: int) -> Measure:
    """Build and run ``case`` in this process and measure it."""
    from simulation.model import TalentModel
    from simulation.threads import threads

    start_bytes = peak_rss_bytes()
    start = time.perf_counter()
    model = TalentModel(config, engine=case.engine, rng=seed, researchers=case.researchers, years=case.years)
    build_seconds = time.perf_counter() - start
    researcher_years = 0
    start, cpu_start = time.perf_counter(), time.process_time()
    while model.running:
        model.step()
        researcher_years += len(model.population) if model.population is not None else len(model.researchers)
    seconds, cpu_seconds = time.perf_counter() - start, time.process_time() - cpu_start
    return Measure(case, build_seconds, seconds, cpu_seconds, researcher_years, peak_rss_bytes(), start_bytes,
                   outputs_digest(model.yearly()), threads())


def run_case(case: Case, config: Path, seed: int, repeats: int) -> Measure:
    """``case`` in ``repeats`` fresh processes: the fastest times and the largest peak memory."""
    runs = []
    for _ in range(repeats):
        command = [sys.executable, "-m", "benchmarks.model", "--case", case.engine, str(case.researchers),
                   str(case.years), "--config", str(config), "--seed", str(seed)]
        env = os.environ | ({} if case.threads is None else {THREADS_ENV: str(case.threads)})
        done = subprocess.run(command, cwd=REPO, capture_output=True, text=True, env=env)
        if done.returncode != 0:
            raise RuntimeError(f"{case.label()} failed:\n{done.stderr.strip()[-2000:]}")
        fields = json.loads(done.stdout.strip().splitlines()[-1])
        runs.append(Measure(case=case, **{k: v for k, v in fields.items() if k != "case"}))
    digests = {m.digest for m in runs}
    if len(digests) > 1:
        raise RuntimeError(f"{case.label()} gave different outputs in repeated runs with seed {seed}")
    return dataclasses.replace(runs[0], build_seconds=min(m.build_seconds for m in runs),
                               seconds=min(m.seconds for m in runs), cpu_seconds=min(m.cpu_seconds for m in runs),
                               peak_bytes=max(m.peak_bytes for m in runs))


def default_repeats(case: Case) -> int:
    """Runs of a case (best time kept): five for the vectorized engine below a million researchers, three for the
    agent engine below 100,000 (its target's case among them), one for the longest cases."""
    if case.engine == "vectorized":
        return 5 if case.researchers < 1_000_000 else 1
    return 3 if case.researchers < 100_000 else 1


def measure_plan(plan: Plan, config: Path, seed: int, repeat: int | None = None) -> dict[Case, Measure]:
    """Every case of ``plan``, with progress on stderr."""
    measures = {}
    for case in plan.cases:
        m = run_case(case, config, seed, repeat or default_repeats(case))
        measures[case] = m
        print(f"  {case.label():>34}: {m.seconds:8.2f} s, {m.ns_per_researcher_year:10,.0f} ns per researcher-year, "
              f"peak {m.peak_bytes / MIB:7,.0f} MiB", file=sys.stderr, flush=True)
    return measures


@dataclass(frozen=True)
class SpeedUp:
    """The agent engine's time over the vectorized engine's on the same case, and whether their outputs agree."""

    wall: float  # ratio of wall times
    cpu: float  # ratio of CPU times, less sensitive to other work on the machine
    identical: bool

    @property
    def least(self) -> float:
        return min(self.wall, self.cpu)


def speed_ups(measures: dict[Case, Measure]) -> dict[tuple[int, int], SpeedUp]:
    """For each (researchers, years) run by both engines: the speed-up of the vectorized engine."""
    out = {}
    for case, agents in measures.items():
        vectorized = measures.get(Case("vectorized", case.researchers, case.years))
        if case.engine == "agents" and vectorized is not None:
            out[(case.researchers, case.years)] = SpeedUp(agents.seconds / vectorized.seconds,
                                                          agents.cpu_seconds / vectorized.cpu_seconds,
                                                          agents.digest == vectorized.digest)
    return out


def significant(x: float, digits: int = 3) -> str:
    """``x`` to ``digits`` significant digits in plain decimal notation (no exponent)."""
    if x == 0 or not math.isfinite(x):
        return f"{x:g}"
    decimals = max(digits - 1 - math.floor(math.log10(abs(x))), 0)
    return f"{x:,.{decimals}f}"


def cases_table(measures: dict[Case, Measure]) -> str:
    header = ["engine", "threads", "researchers", "years", "researcher-years", "build (s)", "steps (s)",
              "s per 1,000 researcher-years", "ns per researcher-year", "CPU ns per researcher-year",
              "peak memory (MiB)", "of which model (MiB)"]
    rows = [[m.case.engine, str(m.threads), f"{m.case.researchers:,}", str(m.case.years), f"{m.researcher_years:,}",
             f"{m.build_seconds:.3f}", f"{m.seconds:.3f}", significant(m.seconds / m.researcher_years * 1000),
             f"{m.ns_per_researcher_year:,.0f}", f"{m.cpu_ns_per_researcher_year:,.0f}",
             f"{m.peak_bytes / MIB:,.0f}", f"{(m.peak_bytes - m.start_bytes) / MIB:,.0f}"]
            for m in measures.values()]
    return markdown_table(header, rows, align="l" + "r" * (len(header) - 1))


def threads_sentence(plan: Plan, measures: dict[Case, Measure]) -> str:
    """What the threads give in the speed target's case: its time on one thread over its time on the default."""
    one = measures.get(dataclasses.replace(plan.speed, threads=1))
    default = measures[plan.speed]
    if one is None or default.threads == 1:
        return (f"The engine ran on one thread ({default.threads} by default here): the threads' gain is not "
                "measured.")
    return (f"Threads, in the speed target's case ({plan.speed.researchers:,} researchers x {plan.speed.years} "
            f"years), measured in this run: {one.ns_per_researcher_year:,.0f} ns per researcher-year on one "
            f"thread, {default.ns_per_researcher_year:,.0f} ns on {default.threads}, "
            f"{one.seconds / default.seconds:.2f} times as fast in wall time for "
            f"{default.cpu_seconds / one.cpu_seconds:.2f} times the CPU time. Identical outputs on both: "
            f"{'yes' if one.digest == default.digest else '**no**'}.")


def speed_up_table(ratios: dict[tuple[int, int], SpeedUp]) -> str:
    rows = [[f"{n:,}", str(years), f"{r.wall:,.0f}x", f"{r.cpu:,.0f}x", "yes" if r.identical else "**no**"]
            for (n, years), r in ratios.items()]
    return markdown_table(["researchers", "years", "wall time", "CPU time", "identical yearly outputs"], rows,
                          align="rrrrl")


def targets(plan: Plan, measures: dict[Case, Measure], ratios: dict[tuple[int, int], SpeedUp]) -> tuple[Target, ...]:
    speed = measures[plan.speed]
    ns = speed.ns_per_researcher_year
    agents = measures[plan.agents]
    us = agents.ns_per_researcher_year / 1000
    differ = [f"{n:,} x {years}" for (n, years), r in ratios.items() if not r.identical]
    out = [
        Target(f"vectorized engine, {plan.speed.researchers:,} researchers x {plan.speed.years} years: "
               "ns per researcher-year", f"{ns:,.0f} ns", f"<= {MAX_NS_PER_RESEARCHER_YEAR:.0f} ns",
               ns <= MAX_NS_PER_RESEARCHER_YEAR),
        Target(f"agent engine, {plan.agents.researchers:,} researchers x {plan.agents.years} years: "
               "µs per researcher-year", f"{us:,.1f} µs", f"<= {MAX_US_PER_AGENT_YEAR:.0f} µs",
               us <= MAX_US_PER_AGENT_YEAR),
        Target("identical yearly outputs of both engines, same config and seed, every case both run",
               "yes" if not differ else "differ at " + ", ".join(differ), "yes", not differ),
    ]
    one = measures.get(dataclasses.replace(plan.speed, threads=1))
    if one is not None:
        out.append(Target(f"identical yearly outputs of the vectorized engine on one thread and on {speed.threads}, "
                          "speed target's case", "yes" if one.digest == speed.digest else "**no**", "yes",
                          one.digest == speed.digest))
    memory_label = "peak memory, vectorized engine, 1,000,000 researchers x 30 years"
    if plan.memory is None:
        out.append(Target(memory_label, "not measured (--quick)", "<= 2,048 MiB", None))
    else:
        peak = measures[plan.memory].peak_bytes
        out.append(Target(memory_label, f"{peak / MIB:,.0f} MiB", "<= 2,048 MiB", peak <= MAX_PEAK_BYTES))
    return tuple(out)


def section(quick: bool = False, config: Path = DEFAULT_CONFIG, seed: int = DEFAULT_SEED,
            repeat: int | None = None) -> Section:
    """Run the plan (:data:`QUICK` or :data:`FULL`) and report it."""
    plan = QUICK if quick else FULL
    measures = measure_plan(plan, config, seed, repeat)
    ratios = speed_ups(measures)
    try:
        config_name = str(config.resolve().relative_to(REPO))
    except ValueError:
        config_name = str(config)
    runs = (f"{repeat} runs a case" if repeat else
            "five runs a case for the vectorized engine below 1,000,000 researchers, three for the agent engine below "
            "100,000, one otherwise")
    checked = targets(plan, measures, ratios)
    body = "\n\n".join([
        f"Config `{config_name}`, seed {seed}. Each case runs in its own process ({runs}; the best time and the "
        "largest peak memory are kept). "
        "Time is the yearly steps' wall time (the build is shown apart); a researcher-year is one researcher "
        "alive at the end of a simulated year. Peak memory is the process's peak resident set (ru_maxrss), "
        "including the interpreter and libraries; \"of which model\" is the peak above the level after imports.",
        cases_table(measures),
        threads_sentence(plan, measures),
        "Speed-up of the vectorized engine over the agent engine, same config, seed, researchers and years:",
        speed_up_table(ratios),
        targets_table(checked),
    ])
    return Section("Model engines (vectorized and agents)", body, checked)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.model", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="smaller cases, no 1,000,000 run")
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG, help="scenario (default: baseline)")
    parser.add_argument("--seed", type=int, default=DEFAULT_SEED)
    parser.add_argument("--repeat", type=int, default=None, help="runs per case (best time kept)")
    parser.add_argument("--case", nargs=3, metavar=("ENGINE", "RESEARCHERS", "YEARS"),
                        help="run one case in this process and print its measures as JSON (used internally)")
    args = parser.parse_args(argv)
    if args.case:
        engine, researchers, years = args.case
        m = simulate_case(Case(engine, int(researchers), int(years)), args.config, args.seed)
        print(json.dumps({k: v for k, v in dataclasses.asdict(m).items() if k != "case"}))
        return 0
    result = section(args.quick, args.config, args.seed, args.repeat)
    print(f"## {result.title}\n\n{result.body}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
