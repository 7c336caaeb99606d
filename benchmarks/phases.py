"""Where the vectorized engine's year spends its time: each of its steps timed in the speed target's case.

The case is that of the speed target (100,000 researchers for 30 years, the
baseline config, seed 1; ``--quick``: 10 years). It runs in a fresh process
with a clock around each step of the year (the functions the year calls,
wrapped); the run with the least total time of three is kept. "Other" is the
year's time outside the timed steps (the Python between them, the levers'
bookkeeping). The clocks add a few microseconds a call, a few calls a year.
On two threads or more, next year's cohort and uniforms are drawn on a helper
thread while the year's observation runs: the first step is then the time the
year draws the uniforms the helper has not reached and waits for it, and the
steps after the hand-over share the CPUs with it.

``python -m benchmarks.phases [--quick]`` runs this benchmark alone and prints its section.
"""

from __future__ import annotations

import json
import subprocess
import sys
import time
from collections.abc import Callable
from typing import Any

from benchmarks import Section, markdown_table
from benchmarks.machine import REPO
from simulation.cli import ArgumentParser, UsageError, whole_number

CONFIG = REPO / "configs" / "baseline.toml"
SEED = 1
RESEARCHERS = 100_000
RUNS = 3

#: The timed steps, in the order of the year: (label, what the year calls).
STEPS: tuple[tuple[str, str], ...] = (
    ("new cohort and the year's uniforms: drawn, or waited for", "simulation.model:TalentModel._year_draws"),
    ("contacts by country", "simulation.model:contacts_by_country"),
    ("training, ageing, exits", "simulation.behaviour:age_one_year"),
    ("offers held", "simulation.behaviour:offers_held"),
    ("who decides", "simulation.model:decides"),
    ("open posts of the deciders", "simulation.behaviour:open_alternatives"),
    ("the deciders' taste shocks: uniforms", "simulation.population:TasteDraws.at"),
    ("the deciders' taste shocks: Gumbel", "simulation.behaviour:minus_gumbel"),
    ("choice (utility)", "simulation.behaviour:choose_alternatives"),
    ("moves", "simulation.behaviour:move"),
    ("flows", "simulation.observe:count_flows"),
    ("those staying: arrays compacted", "simulation.population:Population.compact"),
    ("observation: hours and output of each", "simulation.observe:weeks"),
    ("next year's draws handed to a helper", "simulation.model:TalentModel._draw_ahead"),
    ("observation: sums (counts, hours, output)", "simulation.observe:tally"),
    ("mentor quality", "simulation.model:TalentModel._update_mentors"),
    ("observation: outputs, DataCollector", "simulation.model:TalentModel._observe"),
)


def _wrap(target: str, label: str, seconds: dict[str, float]) -> None:
    """Replace the function ``module:attribute`` (``Class.method`` for a method) by one that adds its time."""
    module_name, path = target.split(":")
    owner: Any = __import__(module_name, fromlist=["_"])
    *parents, name = path.split(".")
    for parent in parents:
        owner = getattr(owner, parent)
    function: Callable[..., Any] = getattr(owner, name)

    def timed(*args: Any, **kwargs: Any) -> Any:
        start = time.perf_counter()
        try:
            return function(*args, **kwargs)
        finally:
            seconds[label] += time.perf_counter() - start

    setattr(owner, name, timed)


def time_steps(years: int) -> dict[str, Any]:
    """One run of the case in this process with every step timed: seconds by step, the total, researcher-years."""
    from simulation.model import TalentModel
    from simulation.threads import threads

    model = TalentModel(CONFIG, engine="vectorized", rng=SEED, researchers=RESEARCHERS, years=years)
    seconds = dict.fromkeys((label for label, _ in STEPS), 0.0)
    for label, target in STEPS:
        _wrap(target, label, seconds)
    researcher_years = 0
    start = time.perf_counter()
    while model.running:
        model.step()
        researcher_years += len(model.population)
    total = time.perf_counter() - start
    return {"seconds": seconds, "total": total, "researcher_years": researcher_years, "threads": threads()}


def run(years: int) -> dict[str, Any]:
    """:func:`time_steps` in :data:`RUNS` fresh processes; the run of least total time."""
    runs = []
    for _ in range(RUNS):
        done = subprocess.run([sys.executable, "-m", "benchmarks.phases", "--run", str(years)], cwd=REPO,
                              capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError(f"the timed run failed:\n{done.stderr.strip()[-2000:]}")
        runs.append(json.loads(done.stdout.strip().splitlines()[-1]))
    return min(runs, key=lambda r: r["total"])


def section(quick: bool = False) -> Section:
    """The time of each step of the vectorized engine's year (``quick``: 10 years instead of 30)."""
    years = 10 if quick else 30
    best = run(years)
    ns = 1e9 / best["researcher_years"]
    steps = best["seconds"]
    other = best["total"] - sum(steps.values())
    rows = [[label, f"{1000 * s / years:.2f}", f"{s * ns:.0f}", f"{s / best['total']:.0%}"]
            for label, s in [*steps.items(), ("other", other)]]
    rows.append(["**year**", f"{1000 * best['total'] / years:.2f}", f"{best['total'] * ns:.0f}", "100%"])
    body = "\n\n".join([
        f"The vectorized engine, `{CONFIG.relative_to(REPO)}`, seed {SEED}, {RESEARCHERS:,} researchers for "
        f"{years} years on {best['threads']} thread{'s' if best['threads'] > 1 else ''}, with a clock around each "
        f"step of the year (the run of least total time of {RUNS}, each in its own process). Other: the year's "
        "time outside these steps.",
        markdown_table(["step of the year", "ms a year", "ns per researcher-year", "share"], rows, align="lrrr"),
    ])
    return Section("Vectorized engine: time by step of the year", body)


def main(argv: list[str] | None = None) -> int:
    parser = ArgumentParser(prog="python -m benchmarks.phases", description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="10 years instead of 30")
    parser.add_argument("--run", type=whole_number(1), metavar="YEARS",
                        help="one timed run in this process, as JSON (internal)")
    try:
        args = parser.parse_args(argv)
    except UsageError as err:
        print(f"{parser.prog}: error: {err}", file=sys.stderr)
        return 2
    if args.run is not None:
        print(json.dumps(time_steps(args.run)))
        return 0
    result = section(args.quick)
    print(f"## {result.title}\n\n{result.body}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
