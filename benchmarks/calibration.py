"""Simulations a second the calibration sustains (``python -m benchmarks --only calibration``).

Each ABC particle is one simulation of ``measurement.researchers`` agents from the scenario's own history (the
spin-up) for ``measurement.window_years`` more years, measured for every fitted target. This runs a fixed set of
particles (uniform draws from the priors, seeded) through the calibration's own simulator on a pool of worker
processes, as pyabc's multicore sampler does, and reports the rate; the calibration's simulation budget
(``abc.max_simulations``) over this rate is its running time.
"""

from __future__ import annotations

import concurrent.futures
import time

import numpy as np

from benchmarks import Section, Target, markdown_table, targets_table
from benchmarks.machine import REPO

#: Particles simulated (quick: fewer), and the worker processes.
PARTICLES, QUICK_PARTICLES, WORKERS = 60, 12, 2
#: The default calibration must finish within 30 minutes on 2 cores: its simulation budget at this rate.
MINUTES = 30.0


def _particles(n: int):
    from experiments.calibration.targets import read_calibration

    calibration = read_calibration(REPO / "configs" / "calibration" / "targets.toml")
    rng = np.random.default_rng(7)
    return calibration, [{p.key: float(rng.uniform(p.low, p.high)) for p in calibration.priors} for _ in range(n)]


def section(quick: bool = False) -> Section:
    from experiments.calibration.abc import Simulator
    from simulation.config import config_as_raw, load_config

    calibration, particles = _particles(QUICK_PARTICLES if quick else PARTICLES)
    simulator = Simulator.of(config_as_raw(load_config(REPO / "configs" / "baseline.toml")), calibration)
    with concurrent.futures.ProcessPoolExecutor(WORKERS) as pool:
        list(pool.map(simulator, particles[:WORKERS]))  # warm the workers (imports), not timed
        start = time.perf_counter()
        list(pool.map(simulator, particles))
        seconds = time.perf_counter() - start
    rate = len(particles) / seconds
    budget = calibration.max_simulations
    minutes = budget / rate / 60 if budget else float("nan")
    body = "\n\n".join([
        f"{len(particles)} particles drawn from the priors of `configs/calibration/targets.toml`, each simulated "
        f"with {calibration.researchers:,} agents for its {calibration.window_years} years after a "
        f"{load_config(REPO / 'configs' / 'baseline.toml').simulation.spin_up}-year spin-up, on {WORKERS} worker "
        "processes.",
        markdown_table(["particles", "seconds", "simulations a second", "simulation budget", "minutes at this rate"],
                       [[str(len(particles)), f"{seconds:.1f}", f"{rate:.1f}", f"{budget:,}", f"{minutes:.1f}"]]),
        targets_table((Target("the calibration's simulation budget on 2 workers", f"{minutes:.1f} minutes",
                              f"<= {MINUTES:.0f} minutes (with its checks)", minutes <= MINUTES - 2),)),
    ])
    return Section("Calibration: simulations a second", body, (Target("calibration simulations a second",
                                                                       f"{rate:.1f}", "-", None),))
