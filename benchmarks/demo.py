"""Benchmark of the live demo: the time of one step of the page's model (the policy run and its baseline).

The demo (``talentflow viz``) steps both runs and redraws on each click of Step
or tick of Play; a step of at most 200 ms at the default size keeps the page
responsive (target). Measured over ten steps with every lever on; the slowest
step counts.

``python -m benchmarks --only demo``
"""

from __future__ import annotations

from benchmarks import Section, Target, markdown_table, targets_table

#: The slowest step allowed at the default size, in seconds.
TARGET_SECONDS = 0.2
#: Steps timed (the slowest counts).
STEPS = 10


def bench(steps: int = STEPS) -> list[float]:
    """Seconds of each of ``steps`` steps of the demo model at its default size, every lever on."""
    from simulation.viz.demo import DemoModel

    model = DemoModel(salary_match=True, hours_exemption=True, star_recruitment=True, return_grant_on=True)
    seconds = []
    for _ in range(steps):
        model.step()
        seconds.append(model.step_seconds)
    return seconds


def section(quick: bool = False) -> Section:
    """The demo's step times against the target (``quick``: three steps)."""
    from simulation.viz.demo import DEFAULT_RESEARCHERS

    seconds = bench(3 if quick else STEPS)
    slowest = max(seconds)
    body = (f"{len(seconds)} steps of the demo's model (the policy run and its baseline, {DEFAULT_RESEARCHERS:,} "
            "researchers, every lever on), the time of each as the page shows it (`last step ... ms`).\n\n"
            + markdown_table(["step", "ms"], [[str(i), f"{1000 * s:.0f}"] for i, s in enumerate(seconds, start=1)]))
    targets = (Target("slowest demo step at the default size", f"{1000 * slowest:.0f} ms",
                      f"<= {1000 * TARGET_SECONDS:.0f} ms", slowest <= TARGET_SECONDS),)
    return Section("Live demo", body + "\n\n" + targets_table(targets), targets)
