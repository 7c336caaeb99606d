"""Approximate Bayesian computation of the model's weights: pyabc's ABC-SMC with the model as its simulator.

Each particle is a set of values of the fitted parameters (``Prior.key``: dotted
config keys). :class:`Simulator` runs the model at those values from the
scenario's own history and returns the fitted targets' measurements; the
distance is the Euclidean norm of the gaps in units of each target's standard
error. pyabc stores every generation in an SQLite database as it ends, so a
calibration that is killed resumes from its last whole generation
(:func:`run_abc` with ``resume``).

Seeds: every simulation's seed is a :class:`numpy.random.SeedSequence` of the
calibration's root seed and the particle's values, so a particle always gives
the same measurements. The particles themselves are drawn by pyabc, whose
multicore workers seed numpy from the operating system: the posterior is
reproducible in distribution, and exactly with one worker (pyabc's single-core
sampler, seeded from the root seed).
"""

from __future__ import annotations

import contextlib
import math
import sys
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import numpy as np

from experiments.calibration.moments import MEASURES, RunRecord
from experiments.calibration.targets import FIRST_WINDOW_YEAR, LOCAL_K_FRACTION, Calibration, Prior
from simulation.careers import PHD
from simulation.config import apply_overrides, build_config
from simulation.schema import Config

#: Name of pyabc's database in a calibration folder.
DATABASE = "abc.db"


@dataclass(frozen=True)
class Simulator:
    """The model as ABC's simulator: parameter values in, the fitted targets' measurements out."""

    base: Mapping[str, Any]  # the scenario as a raw (TOML-like) dict
    priors: tuple[Prior, ...]
    carried: tuple[Prior, ...]
    targets: tuple[tuple[str, str], ...]  # (target name, measure function), fitted targets in file order
    researchers: int
    window_years: int
    seed: int

    @classmethod
    def of(cls, base: Mapping[str, Any], calibration: Calibration) -> Simulator:
        """The simulator of ``calibration``'s fitted targets on the scenario ``base``."""
        return cls(base=base, priors=calibration.priors, carried=calibration.carried,
                   targets=tuple((t.name, t.function) for t in calibration.fitted),
                   researchers=calibration.researchers, window_years=calibration.window_years,
                   seed=calibration.seed)

    def values(self, parameters: Mapping[str, float]) -> dict[str, float]:
        """Parameter values by dotted key, from pyabc's names (or the keys themselves)."""
        return {p.key: float(parameters[p.name] if p.name in parameters else parameters[p.key]) for p in self.priors}

    def carried_values(self, parameters: Mapping[str, float], replicate: int = 0) -> dict[str, float]:
        """The carried parameters of one simulation: drawn from their priors on the simulation's own seed (so the
        fitted parameters' posterior is marginal over them), unless ``parameters`` gives them."""
        rng = np.random.default_rng(self.seed_of(parameters, replicate).spawn(1)[0])
        drawn = {p.key: float(rng.uniform(p.low, p.high)) for p in self.carried}
        return {k: float(parameters.get(k, v)) for k, v in drawn.items()}

    def config(self, parameters: Mapping[str, float], years: int | None = None,
               researchers: int | None = None, replicate: int = 0) -> Config:
        """The scenario with the parameters set (the carried ones drawn), sized for measurement (or as given)."""
        overrides = [*self.values(parameters).items(), *self.carried_values(parameters, replicate).items(),
                     ("simulation.researchers", researchers or self.researchers),
                     ("simulation.years", years or self.window_years)]
        return build_config(apply_overrides(dict(self.base), overrides), "calibration particle")

    def seed_of(self, parameters: Mapping[str, float], replicate: int = 0) -> np.random.SeedSequence:
        """The simulation seed of a particle: the root seed and the bits of its values."""
        bits = np.array(list(self.values(parameters).values()), dtype=np.float64).view(np.uint32)
        return np.random.SeedSequence([self.seed, replicate, *bits.tolist()])

    def run(self, parameters: Mapping[str, float], replicate: int = 0, years: int | None = None,
            researchers: int | None = None) -> RunRecord:
        """Run the model at a particle and keep what the targets need."""
        from simulation.model import TalentModel

        config = self.config(parameters, years, researchers, replicate)
        model = TalentModel(config, rng=np.random.default_rng(self.seed_of(parameters, replicate)))
        while model.running:
            model.step()
        pop = model.population
        start = config.simulation.start_year
        return RunRecord(config=config, yearly=model.yearly(), post_phd_ln_talent=pop.ln_talent[pop.stage > PHD],
                         first_year=start + FIRST_WINDOW_YEAR, last_year=start + config.simulation.years)

    def measure(self, record: RunRecord) -> dict[str, float]:
        """The fitted targets' measurements of a run, by target name."""
        return {name: float(MEASURES[function](record)) for name, function in self.targets}

    def __call__(self, parameters: Mapping[str, float]) -> dict[str, float]:
        return self.measure(self.run(parameters))


@dataclass(frozen=True)
class ScaledDistance:
    """``sqrt(sum(((x_k - x0_k) / se_k)^2))`` over the fitted targets; inf when a measurement is undefined."""

    se: Mapping[str, float]

    def __call__(self, x: Mapping[str, float], x0: Mapping[str, float]) -> float:
        total = 0.0
        for name, se in self.se.items():
            gap = (float(x[name]) - float(x0[name])) / se
            if not math.isfinite(gap):
                return math.inf
            total += gap * gap
        return math.sqrt(total)


def observed(calibration: Calibration) -> dict[str, float]:
    """The fitted targets' observed values, by name."""
    return {t.name: t.value for t in calibration.fitted}


def prior_distribution(priors: tuple[Prior, ...]) -> Any:
    """pyabc's independent uniform priors."""
    import pyabc

    return pyabc.Distribution(**{p.name: pyabc.RV("uniform", p.low, p.high - p.low) for p in priors})


class ProgressBar:
    """A tqdm bar (on stderr, with an ETA) in place of the plain bar of pyabc's samplers: one per generation."""

    generation = 0

    def __init__(self, iterable: Any = None, total: int | None = None, enable: bool = True, keep: bool = False,
                 **_: Any) -> None:
        from tqdm import tqdm

        label = "calibration sample" if ProgressBar.generation < 0 else f"generation {ProgressBar.generation}"
        self._bar = tqdm(iterable, total=total, desc=label, unit="particle", disable=not enable, leave=keep,
                         file=sys.stderr)

    def __iter__(self) -> Iterator[Any]:
        """Iterate as pyabc's single-core sampler does (``for _ in jabbar(range(n))``), with the bar."""
        return iter(self._bar)

    def __enter__(self) -> ProgressBar:
        return self

    def __exit__(self, *exc: Any) -> None:
        self._bar.close()

    def inc(self, n: int = 1) -> None:
        self._bar.update(n)


@contextlib.contextmanager
def pyabc_warnings_only() -> Iterator[None]:
    """Show only warnings and errors of pyabc's own log lines (the handler it puts on the "ABC" logger): its
    INFO lines (the sampler, the database, each generation's timing) repeat what the bars and the summary say,
    and ``--quiet`` means quiet."""
    import logging

    import pyabc  # noqa: F401  (its import puts the handler on the logger)

    handlers = [(h, h.level) for h in logging.getLogger("ABC").handlers]
    for h, level in handlers:
        h.setLevel(max(level, logging.WARNING))
    try:
        yield
    finally:
        for h, level in handlers:
            h.setLevel(level)


@contextlib.contextmanager
def progress_per_generation(enabled: bool) -> Iterator[None]:
    """Show a bar with an ETA for each generation's accepted particles (pyabc's samplers call ``jabbar``)."""
    import logging

    import pyabc.sampler.multicore_evaluation_parallel as parallel
    import pyabc.sampler.singlecore as single

    class Generation(logging.Handler):
        def emit(self, record: logging.LogRecord) -> None:
            text = record.getMessage()
            if text.startswith("Calibration sample"):
                ProgressBar.generation = -1
            elif text.startswith("t: "):
                ProgressBar.generation = int(text.split(",")[0].split(":")[1])

    saved = (parallel.jabbar, single.jabbar)
    logger = logging.getLogger("ABC")
    handler = Generation(logging.INFO)
    level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    logger.propagate = False  # pyabc's own log lines: see pyabc_warnings_only
    parallel.jabbar = single.jabbar = ProgressBar
    try:
        yield
    finally:
        parallel.jabbar, single.jabbar = saved
        logger.removeHandler(handler)
        logger.setLevel(level)
        logger.propagate = True
        del enabled


def transition(kind: str, scaling: float = 1.0) -> Any:
    """pyabc's perturbation kernel: "local" (a Gaussian fitted to each particle's nearest neighbours) or "global"
    (one Gaussian over the whole population, Silverman's bandwidth times ``scaling``)."""
    import pyabc

    if kind == "local":
        return pyabc.LocalTransition(k_fraction=LOCAL_K_FRACTION, scaling=scaling)
    return pyabc.MultivariateNormalTransition(scaling=scaling)


def make_sampler(workers: int, client: Any = None, progress: bool = True) -> Any:
    """pyabc's sampler: one process (seeded, exact), a local multicore pool, or a Dask client's workers."""
    from pyabc.sampler import DaskDistributedSampler, MulticoreEvalParallelSampler, SingleCoreSampler

    if client is not None:
        sampler = DaskDistributedSampler(dask_client=client, batch_size=4)
    elif workers <= 1:
        sampler = SingleCoreSampler(check_max_eval=True)
    else:
        # check_max_eval: a generation stops when the simulation budget is spent (the last whole one is kept)
        sampler = MulticoreEvalParallelSampler(n_procs=workers, check_max_eval=True)
    sampler.show_progress = progress
    return sampler


def run_abc(simulator: Simulator, calibration: Calibration, folder: Path, sampler: Any, *, resume: bool,
            progress: bool = True) -> Any:
    """Run (or resume) the ABC-SMC into ``folder / DATABASE``; returns pyabc's History.

    A fresh run starts a new database; ``resume`` continues the run stored there
    with the generations still to do (none when it is complete).
    """
    import pyabc

    np.random.seed(calibration.seed % 2**32)  # pyabc draws particles from numpy's global generator
    se = {t.name: t.se for t in calibration.fitted}
    abc = pyabc.ABCSMC(simulator, prior_distribution(simulator.priors), ScaledDistance(se),
                       population_size=calibration.population_size, sampler=sampler,
                       transitions=transition(calibration.transition, calibration.kernel_scaling))
    db = f"sqlite:///{(folder / DATABASE).resolve()}"
    if resume:
        history = abc.load(db, 1)
        done = history.max_t + 1
    else:
        abc.new(db, observed(calibration))
        done = 0
    remaining = calibration.generations - done
    if remaining <= 0:
        return abc.history
    limit: dict[str, Any] = {}
    if calibration.max_minutes:
        limit["max_walltime"] = timedelta(minutes=calibration.max_minutes)
    if calibration.max_simulations:
        limit["max_total_nr_simulations"] = calibration.max_simulations
    with progress_per_generation(progress):
        return abc.run(max_nr_populations=remaining, min_acceptance_rate=calibration.min_acceptance_rate, **limit)
