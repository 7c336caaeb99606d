"""The method of simulated moments over the utility weights.

A candidate is a vector of log weights. Its moments are the means, over R
replicate runs, of the targets' measurement functions. Every candidate is run
with the same R seeds (common random numbers: ``experiments.seeds.run_seed``
with one root and replicates 0..R-1), so two candidates differ by their weights
alone and the moments are a smooth-enough, deterministic function of them.

The loss is the weighted sum of squares ``sum_k ((m_k - t_k) / se_k)^2`` over
the fitted targets (weighting matrix W = diag(1 / se^2), the targets being
independent sources). It is minimised by :func:`scipy.optimize.least_squares`
(trust-region reflective, bounded) on the log weights, with a forward-difference
Jacobian whose points run in parallel. Standard errors come from a
central-difference Jacobian G at the optimum:

    Var(log w) = A^-1 G' W (S_data + S_sim / R) W G A^-1,   A = G' W G,

where S_data = diag(se^2) and S_sim is the covariance of one replicate's
moments at the optimum (the simulation noise that R replicates leave).

Runs go to any :class:`concurrent.futures.Executor` of :mod:`experiments.executors`;
each task is one (config, seed) run, built and measured in the worker.
"""

from __future__ import annotations

import concurrent.futures
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
from scipy import optimize

from experiments import seeds
from experiments.calibration.moments import MEASURES, RunRecord, Window
from experiments.calibration.targets import WEIGHTS, Targets
from experiments.runner import run_model
from simulation.config import apply_overrides, build_config, config_as_raw
from simulation.schema import Config

#: Step in log weight of the finite differences (0.1: a 10 percent change of a weight). Large enough that the
#: moments, which move in steps of one agent's choice, change by many agents; small enough to stay local.
STEP = 0.1
#: Two-sided 95 percent normal quantile.
Z95 = 1.959963984540054


def measure_run(config: Config, seed: np.random.SeedSequence, functions: tuple[str, ...], window: Window
                ) -> np.ndarray:
    """Run ``config`` with ``seed`` (recording agent rows) and apply the measurement ``functions`` (a worker task)."""
    yearly, agents = run_model(config, seed, True)
    record = RunRecord(config, yearly, agents)
    return np.array([MEASURES[name](record, window) for name in functions], dtype=float)


def with_weights(base: Config, weights: dict[str, float]) -> Config:
    """``base`` with ``preferences.<name> = value`` for each weight given (utils)."""
    overrides = [(f"preferences.{name}", float(value)) for name, value in weights.items()]
    return build_config(apply_overrides(config_as_raw(base), overrides), "calibration candidate")


@dataclass(frozen=True)
class Evaluation:
    """One candidate, run R times: its log weights (all of WEIGHTS), each replicate's measures (R, K), the loss."""

    index: int
    kind: str  # "search", "gradient", "final" or "sensitivity"
    log_weights: np.ndarray  # over WEIGHTS
    replicates: np.ndarray
    loss: float

    @property
    def moments(self) -> np.ndarray:
        """Mean over replicates of each measure."""
        return self.replicates.mean(axis=0)


class BudgetExhaustedError(RuntimeError):
    """The search used up its evaluations."""


@dataclass
class Problem:
    """What is fitted, to what, with which runs, and everything evaluated so far.

    A search point ``x`` holds the log of the fitted weights (``targets.parameters``);
    the other weights of :data:`WEIGHTS` stay at the base config's values.
    """

    base: Config
    targets: Targets
    replicates: int
    seed: int
    executor: concurrent.futures.Executor
    on_evaluation: Callable[[Evaluation], None] = lambda evaluation: None
    history: list[Evaluation] = field(default_factory=list)

    def __post_init__(self) -> None:
        self.window = Window.after_burn_in(self.base, self.targets.burn_in_years)
        self.names = self.targets.parameters
        self.columns = [WEIGHTS.index(name) for name in self.names]
        self.fitted = self.targets.fitted
        self.functions = tuple(t.function for t in self.fitted)
        others = tuple(t.function for t in self.targets.checked)
        self.all_functions = tuple(dict.fromkeys(self.functions + others))  # each measured once, fitted first
        self.values = np.array([t.value for t in self.fitted])
        self.se = np.array([t.se for t in self.fitted])
        self.seeds = tuple(seeds.run_seed(self.seed, 0, r) for r in range(self.replicates))
        self.lower = np.log([self.targets.bounds[n][0] for n in self.names])
        self.upper = np.log([self.targets.bounds[n][1] for n in self.names])
        self.base_log_weights = np.log([getattr(self.base.preferences, name) for name in WEIGHTS])

    @property
    def start(self) -> np.ndarray:
        """Log of the base config's values of the fitted weights."""
        return self.base_log_weights[self.columns]

    def full(self, x: np.ndarray) -> np.ndarray:
        """All log weights of :data:`WEIGHTS` for the search point ``x``."""
        out = self.base_log_weights.copy()
        out[self.columns] = x
        return out

    def residuals(self, moments: np.ndarray) -> np.ndarray:
        """``(m - t) / se`` for the fitted targets (the first measures)."""
        return (moments[: len(self.values)] - self.values) / self.se

    def evaluate(self, points: Sequence[np.ndarray], kind: str, functions: tuple[str, ...] | None = None
                 ) -> list[Evaluation]:
        """Run each point (log weights over WEIGHTS) R times, all runs submitted at once; record the evaluations."""
        functions = self.functions if functions is None else functions
        configs = [with_weights(self.base, dict(zip(WEIGHTS, np.exp(p), strict=True))) for p in points]
        futures = [[self.executor.submit(measure_run, config, seed, functions, self.window) for seed in self.seeds]
                   for config in configs]
        out = []
        for p, runs in zip(points, futures, strict=True):
            reps = np.array([f.result() for f in runs])
            evaluation = Evaluation(len(self.history), kind, np.array(p, dtype=float), reps,
                                    float(np.sum(self.residuals(reps.mean(axis=0)) ** 2)))
            self.history.append(evaluation)
            self.on_evaluation(evaluation)
            out.append(evaluation)
        return out


@dataclass(frozen=True)
class Fit:
    """The result: fitted log weights with their covariance, the final evaluation and the sensitivities."""

    names: tuple[str, ...]
    log_weights: np.ndarray  # of the fitted weights
    covariance: np.ndarray  # of the fitted log weights (k, k)
    functions: tuple[str, ...]  # every measure, the fitted ones first: the columns of final.replicates
    final: Evaluation  # the optimum, R runs, every measure
    sensitivity: np.ndarray  # d measure / d log weight (K, len(WEIGHTS)), central differences at the optimum
    simulation_covariance: np.ndarray  # of one replicate's measures (K, K)
    moment_covariance: np.ndarray  # of the model's measures at the optimum: S Var S' + S_sim / R (K, K)
    search_evaluations: int
    converged: bool
    message: str

    @property
    def weights(self) -> np.ndarray:
        """Fitted weights in utils."""
        return np.exp(self.log_weights)

    @property
    def log_se(self) -> np.ndarray:
        """Standard errors of the log weights."""
        return np.sqrt(np.diag(self.covariance))

    @property
    def se(self) -> np.ndarray:
        """Standard errors of the weights (delta method: weight times the SE of its log)."""
        return self.weights * self.log_se

    def interval(self, z: float = Z95) -> tuple[np.ndarray, np.ndarray]:
        """Confidence interval of the weights, symmetric on the log scale (95 percent by default)."""
        return np.exp(self.log_weights - z * self.log_se), np.exp(self.log_weights + z * self.log_se)

    @property
    def moment_se(self) -> np.ndarray:
        """Standard error of the model's value of each measure at the optimum."""
        return np.sqrt(np.diag(self.moment_covariance))


#: Evaluations after the search: the final one and two a weight for the sensitivities.
AFTER_SEARCH = 1 + 2 * len(WEIGHTS)


def minimum_budget(n_parameters: int) -> int:
    """The smallest budget that allows one search step (start, a gradient, a trial) and what follows it."""
    return 2 + n_parameters + AFTER_SEARCH


def calibrate(problem: Problem, budget: int) -> Fit:
    """Fit the weights within ``budget`` evaluations (each R runs), then the final and sensitivity evaluations.

    ``budget`` counts every evaluation: the search's (its points and forward
    differences) and the :data:`AFTER_SEARCH` of :func:`standard_errors`.
    """
    k = len(problem.names)
    if budget < minimum_budget(k):
        raise ValueError(f"budget must be at least {minimum_budget(k)} evaluations for {k} weights, got {budget}")
    allowed = budget - AFTER_SEARCH
    cache: dict[tuple[float, ...], Evaluation] = {}

    def run(points: list[np.ndarray], kind: str) -> list[Evaluation]:
        todo = [x for x in points if tuple(x) not in cache]
        if len(cache) + len(todo) > allowed:
            raise BudgetExhaustedError
        for x, evaluation in zip(todo, problem.evaluate([problem.full(x) for x in todo], kind) if todo else [],
                                 strict=True):
            cache[tuple(x)] = evaluation
        return [cache[tuple(x)] for x in points]

    def residuals(x: np.ndarray) -> np.ndarray:
        return problem.residuals(run([np.asarray(x, dtype=float)], "search")[0].moments)

    def jacobian(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        steps = [_forward_step(x, i, STEP, problem.lower, problem.upper) for i in range(k)]
        centre = run([x], "search")[0]
        shifted = run([x + h * np.eye(k)[i] for i, h in enumerate(steps)], "gradient")
        return np.column_stack([(problem.residuals(e.moments) - problem.residuals(centre.moments)) / h
                                for e, h in zip(shifted, steps, strict=True)])

    start = np.clip(problem.start, problem.lower, problem.upper)
    try:
        result = optimize.least_squares(residuals, start, jac=jacobian, bounds=(problem.lower, problem.upper),
                                        method="trf", x_scale=1.0, ftol=1e-4, xtol=1e-3, gtol=1e-8)
        converged, message = bool(result.success), str(result.message)
    except BudgetExhaustedError:
        converged, message = False, f"stopped at the budget ({allowed} search evaluations)"
    searched = [(x, e) for x, e in cache.items() if e.kind == "search"]
    best_x, _ = min(searched, key=lambda item: item[1].loss)
    return standard_errors(problem, np.array(best_x), converged, message, len(cache))


def standard_errors(problem: Problem, x: np.ndarray, converged: bool = True, message: str = "",
                    search_evaluations: int = 0) -> Fit:
    """Evaluate every measure at ``x`` and at ``x`` moved by +-STEP in each log weight of WEIGHTS; the SEs.

    The central differences give the sensitivity of every measure to every weight
    (fitted or not: the identification table of the report); the columns of the
    fitted weights and rows of the fitted targets are the Jacobian G of the SEs.
    """
    centre = problem.full(np.asarray(x, dtype=float))
    functions = problem.all_functions
    final = problem.evaluate([centre], "final", functions)[0]
    points = [centre + s * STEP * np.eye(len(WEIGHTS))[j] for j in range(len(WEIGHTS)) for s in (1, -1)]
    shifted = problem.evaluate(points, "sensitivity", functions)
    sensitivity = np.column_stack([(shifted[2 * j].moments - shifted[2 * j + 1].moments) / (2 * STEP)
                                   for j in range(len(WEIGHTS))])
    n_fit = len(problem.functions)
    reps = final.replicates
    sim = np.atleast_2d(np.cov(reps, rowvar=False)) if len(reps) > 1 else np.zeros((len(functions),) * 2)
    jac = sensitivity[:n_fit][:, problem.columns]
    cov = parameter_covariance(jac, problem.se, sim[:n_fit, :n_fit], problem.replicates)
    fitted_cols = sensitivity[:, problem.columns]
    with np.errstate(invalid="ignore"):
        moment_cov = fitted_cols @ cov @ fitted_cols.T + sim / problem.replicates
    return Fit(names=problem.names, log_weights=np.asarray(x, dtype=float), covariance=cov, functions=functions,
               final=final, sensitivity=sensitivity, simulation_covariance=sim, moment_covariance=moment_cov,
               search_evaluations=search_evaluations, converged=converged, message=message)


def parameter_covariance(jacobian: np.ndarray, se: np.ndarray, simulation: np.ndarray, replicates: int
                         ) -> np.ndarray:
    """Covariance of the fitted log weights: ``A^-1 G'W (S_data + S_sim/R) W G A^-1`` with ``W = diag(1/se^2)``.

    ``jacobian`` G is d moments / d log weights (K, k); a direction the moments do not
    move in (A singular) gets an infinite variance: that weight is not identified.
    """
    w = np.diag(1.0 / se**2)
    a = jacobian.T @ w @ jacobian
    middle = jacobian.T @ w @ (np.diag(se**2) + simulation / replicates) @ w @ jacobian
    if not np.all(np.isfinite(a)) or np.linalg.cond(a) > 1e12:
        return np.full((jacobian.shape[1],) * 2, math.inf)
    a_inv = np.linalg.inv(a)
    return a_inv @ middle @ a_inv


def _forward_step(x: np.ndarray, i: int, step: float, lower: np.ndarray, upper: np.ndarray) -> float:
    """A forward-difference step for coordinate ``i``: up, unless that leaves the bounds and down has more room."""
    room_up, room_down = upper[i] - x[i], x[i] - lower[i]
    return step if room_up >= step or room_up >= room_down else -step
