"""Checks of a calibration on its posterior: the posterior predictive of every target, and the bounds' experiments.

- :func:`posterior_predictive`: each target measured on runs at posterior draws (new seeds), against its
  observed value: the model's median and 90 percent interval.
- :func:`domestic_star_elasticity`: a 10 percent rise of all pay in Korea from the year after the start, on
  common random numbers (the same seed, so both arms share their history up to the rise), and the change in
  the number of top-1-percent researchers in Korea ten years on. Pooled over posterior draws: one draw's
  count of top researchers is small, but each pair differs only by the researchers the rise moves.

Runs go to any :class:`concurrent.futures.Executor`; each task is one particle, built and measured in the worker.
"""

from __future__ import annotations

import concurrent.futures
from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.calibration.abc import Simulator
from experiments.calibration.moments import MEASURES
from experiments.calibration.posterior import LOWER, UPPER
from experiments.calibration.targets import Calibration
from simulation.config import apply_overrides, build_config, config_as_raw

#: The pay rise of the elasticity experiment, and the years after which top researchers are counted.
PAY_RISE, ELASTICITY_YEARS = 0.10, 10


@dataclass(frozen=True)
class PredictiveTask:
    """Measure every single-run target at one posterior draw (a worker task)."""

    simulator: Simulator
    functions: tuple[str, ...]

    def __call__(self, item: tuple[int, dict[str, float]]) -> list[float]:
        replicate, draw = item
        record = self.simulator.run(draw, replicate=1000 + replicate)
        return [float(MEASURES[f](record)) for f in self.functions]


def posterior_predictive(simulator: Simulator, calibration: Calibration, draws: pd.DataFrame,
                         executor: concurrent.futures.Executor, on_done: Callable[[], None] = lambda: None
                         ) -> pd.DataFrame:
    """One row a target (every role but bounds): observed value and SE, the model's median and 90 percent
    interval over runs at ``draws`` (one run each, on seeds of their own), and the share of runs within two
    observed SEs."""
    targets = [t for t in calibration.targets if t.role != "bound"]
    functions = tuple(dict.fromkeys(t.function for t in targets))
    task = PredictiveTask(simulator, functions)
    values = []
    for row in executor.map(task, list(enumerate(draws.to_dict("records")))):  # a list: Dask maps no iterators
        values.append(row)
        on_done()
    table = pd.DataFrame(values, columns=list(functions))
    rows = []
    for t in targets:
        x = table[t.function].to_numpy(dtype=float)
        x = x[np.isfinite(x)]
        rows.append({"target": t.name, "role": t.role, "observed": t.value, "observed_se": t.se,
                     "model_median": float(np.median(x)) if len(x) else np.nan,
                     "model_low_5": float(np.quantile(x, LOWER)) if len(x) else np.nan,
                     "model_high_95": float(np.quantile(x, UPPER)) if len(x) else np.nan,
                     "within_2_se": float(np.mean(np.abs(x - t.value) <= 2 * t.se)) if len(x) else np.nan})
    return pd.DataFrame(rows)


def pay_rise_config(simulator: Simulator, draw: dict[str, float], researchers: int, replicate: int = 0):
    """The scenario at ``draw`` with all pay in Korea 10 percent higher from the year after the start."""
    config = simulator.config(draw, years=ELASTICITY_YEARS, researchers=researchers, replicate=replicate)
    origin, start = config.simulation.origin, config.simulation.start_year
    paths = {f"countries.{origin}.pay_level.{sector}": {str(start): level, str(start + 1): level * (1 + PAY_RISE)}
             for sector, level in config.countries[origin].pay_level.items()}
    return config, build_config(apply_overrides(config_as_raw(config), [("paths", {**config.paths, **paths})]),
                                "pay rise")


@dataclass(frozen=True)
class ElasticityTask:
    """Top-1-percent researchers in Korea ten years on, without and with the pay rise (a worker task)."""

    simulator: Simulator
    researchers: int

    def __call__(self, item: tuple[int, dict[str, float]]) -> tuple[float, float]:
        from simulation.model import TalentModel

        replicate, draw = item
        base_config, raised_config = pay_rise_config(self.simulator, draw, self.researchers, 2000 + replicate)
        rng = np.random.default_rng(self.simulator.seed_of(draw, replicate=2000 + replicate))
        base = TalentModel(base_config, rng=rng)
        raised = TalentModel(raised_config, rng=np.random.default_rng(), _history=base)
        counts = []
        for model in (base, raised):
            while model.running:
                model.step()
            counts.append(float(model.yearly()[f"top1_talent_{base_config.simulation.origin}"].iloc[-1]))
        return counts[0], counts[1]


def domestic_star_elasticity(simulator: Simulator, draws: pd.DataFrame, researchers: int,
                             executor: concurrent.futures.Executor, on_done: Callable[[], None] = lambda: None,
                             seed: int = 0) -> dict[str, float]:
    """The elasticity of top-1-percent researchers in Korea to Korean pay, pooled over posterior ``draws``:
    ``(sum of counts with the rise / sum without - 1) / 0.10``, with a 90 percent bootstrap interval over draws."""
    pairs = []
    for pair in executor.map(ElasticityTask(simulator, researchers), list(enumerate(draws.to_dict("records")))):
        pairs.append(pair)
        on_done()
    base, raised = np.array(pairs).T
    estimate = elasticity(base, raised)
    rng = np.random.default_rng(seed)
    boot = [elasticity(base[i], raised[i]) for i in rng.integers(0, len(base), size=(2000, len(base)))]
    return {"estimate": estimate, "low_5": float(np.quantile(boot, LOWER)), "high_95": float(np.quantile(boot, UPPER)),
            "draws": len(base), "researchers": researchers, "top_in_korea_without": float(base.mean()),
            "moved_by_the_rise": float((raised - base).mean())}


def elasticity(base: Iterable[float] | np.ndarray, raised: Iterable[float] | np.ndarray) -> float:
    """``(sum(raised) / sum(base) - 1) / PAY_RISE``: the pooled elasticity of a count to the pay rise."""
    total = float(np.sum(base))
    return (float(np.sum(raised)) / total - 1.0) / PAY_RISE if total > 0 else float("nan")
