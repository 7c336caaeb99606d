"""The calibration file (configs/calibration/targets.toml): fitted parameters with their priors, observed targets
with their uncertainty and measurement, and the settings of the ABC-SMC run.

Parsed with :mod:`tomllib` and validated once into the frozen :class:`Calibration`.
Every problem raises :class:`simulation.config.ConfigError` naming the file, the
key and what is allowed (one line on the command line, exit code 2).
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from experiments.calibration.moments import EXPERIMENTS, MEASURES
from simulation.config import ConfigError, read_toml
from simulation.paths import path_refusal
from simulation.schema import field_at

#: What a target is for: in the ABC distance, a range checked by an experiment, an input checked, or a comparison.
ROLES: tuple[str, ...] = ("fitted", "derived", "bound", "checked", "validation")
TARGET_KEYS: tuple[str, ...] = ("value", "se", "low", "high", "se_reason", "role", "function", "year", "measure",
                                "population", "source", "also")
TOP_LEVEL: tuple[str, ...] = ("measurement", "abc", "parameters", "carried", "targets")
#: Settings and their defaults: [measurement] and [abc].
MEASUREMENT: dict[str, int] = {"researchers": 8000, "window_years": 20}
ABC: dict[str, Any] = {"population_size": 300, "generations": 8, "min_acceptance_rate": 0.01, "max_minutes": 0,
                       "max_simulations": 0, "transition": "global", "kernel_scaling": 1.0, "seed": 0}
TRANSITIONS: tuple[str, ...] = ("local", "global")
#: The local kernel's neighbourhood: this share of the population nearest each particle.
LOCAL_K_FRACTION = 0.25
#: The fewest particles a generation in any calibration.
FEWEST_PARTICLES = 10
#: The 5-year stay rate looks five years back: the window starts after that.
FIRST_WINDOW_YEAR = 6
#: The window is the years simulated (simulation.years): at most the scenario's longest.
LAST_WINDOW_YEAR: int = field_at("simulation.years")[1]["hi"]


@dataclass(frozen=True)
class Prior:
    """A fitted parameter: a dotted config key with a uniform prior on [low, high]."""

    key: str
    low: float
    high: float
    source: str

    @property
    def name(self) -> str:
        """The key as pyabc stores it (no dots)."""
        return self.key.replace(".", "__")


@dataclass(frozen=True)
class Target:
    """One observed number (or range) and the model measurement that corresponds to it."""

    name: str
    role: str  # one of ROLES
    function: str  # a name in experiments.calibration.moments.MEASURES
    value: float  # nan for a bound
    se: float  # standard error in the target's unit (nan for a bound)
    low: float  # a bound's range (nan otherwise)
    high: float
    year: int
    measure: str
    population: str
    source: str
    se_reason: str

    @property
    def fitted(self) -> bool:
        """Whether the target enters the ABC distance."""
        return self.role == "fitted"


@dataclass(frozen=True)
class Calibration:
    """A validated calibration file."""

    path: str
    researchers: int
    window_years: int
    population_size: int
    generations: int
    min_acceptance_rate: float
    max_minutes: float  # stop starting generations after this long (0: no limit)
    max_simulations: int  # stop, within a generation, after this many simulations in all (0: no limit)
    transition: str  # pyabc's perturbation kernel: one of TRANSITIONS
    kernel_scaling: float  # the kernel's bandwidth over Silverman's
    seed: int
    priors: tuple[Prior, ...]  # fitted parameters
    carried: tuple[Prior, ...]  # parameters no target pins: drawn from their priors in every simulation
    targets: tuple[Target, ...]

    @property
    def fitted(self) -> tuple[Target, ...]:
        """The targets in the distance, in file order."""
        return tuple(t for t in self.targets if t.fitted)

    def role(self, role: str) -> tuple[Target, ...]:
        """The targets of one role, in file order."""
        return tuple(t for t in self.targets if t.role == role)

    def smallest_population(self) -> int:
        """The fewest particles a generation for which the perturbation kernel is a proper density.

        From the second generation on, each particle is perturbed by a Gaussian whose covariance is estimated
        from particles: from the whole population ("global") or from each particle's nearest
        ``LOCAL_K_FRACTION`` of it ("local"). Estimated from n particles it has rank at most n - 1, so it needs
        more particles than fitted parameters; with fewer, the posterior is confined to a subspace and pyabc's
        weights (prior density over kernel density) divide by zero.
        """
        if self.generations <= 1:
            return FEWEST_PARTICLES
        neighbours = len(self.priors) + 1
        if self.transition == "local":
            return math.ceil(neighbours / LOCAL_K_FRACTION)
        return max(neighbours, FEWEST_PARTICLES)


def read_calibration(path: str | Path) -> Calibration:
    """Parse and validate a calibration file."""
    source = str(path)
    raw = read_toml(path)

    def fail(key: str, message: str) -> Any:
        raise ConfigError(source, key, message)

    for key in raw:
        if key not in TOP_LEVEL:
            fail(key, f"unknown key; allowed: {', '.join(TOP_LEVEL)}")
    measurement = _settings(raw, "measurement", MEASUREMENT, fail)
    abc = _settings(raw, "abc", ABC, fail)
    window = measurement["window_years"]
    if not _is_whole(window) or not FIRST_WINDOW_YEAR <= window <= LAST_WINDOW_YEAR:
        fail("measurement.window_years", f"must be a whole number of years, at least {FIRST_WINDOW_YEAR} (the "
                                         f"5-year stay rate looks five years back) and at most {LAST_WINDOW_YEAR}, "
                                         f"got {window!r}")
    if not _is_whole(abc["seed"]) or abc["seed"] < 0:
        fail("abc.seed", f"must be a whole number >= 0 (the root of every simulation seed), got {abc['seed']!r}")
    if not 0 < abc["kernel_scaling"] <= 10:
        fail("abc.kernel_scaling", f"must be in (0, 10], got {abc['kernel_scaling']}")
    if abc["max_simulations"] < 0 or not float(abc["max_simulations"]).is_integer():
        fail("abc.max_simulations", f"must be a whole number >= 0 (0 for no limit), got {abc['max_simulations']}")
    if not 0 <= abc["max_minutes"] < math.inf:
        fail("abc.max_minutes", f"must be a finite number >= 0 (minutes; 0 for no limit), got {abc['max_minutes']}")
    if not 0 <= abc["min_acceptance_rate"] < 1:
        fail("abc.min_acceptance_rate", f"must be in [0, 1), got {abc['min_acceptance_rate']}")
    for key, least in (("researchers", 100), ("population_size", FEWEST_PARTICLES), ("generations", 1)):
        table = "measurement" if key in MEASUREMENT else "abc"
        value = (measurement | abc)[key]
        if not _is_whole(value) or value < least:
            fail(f"{table}.{key}", f"must be a whole number >= {least}, got {value!r}")

    parameters = _table(raw, "parameters", fail)
    if not parameters:
        fail("parameters", "must name at least one parameter to fit, as [parameters.\"preferences.wage\"]")
    priors = tuple(_prior(key, entry, fail) for key, entry in parameters.items())
    carried = tuple(_prior(key, entry, fail, table="carried") for key, entry in _table(raw, "carried", fail).items())
    for prior in carried:
        if prior.key in parameters:
            fail(f"carried.{prior.key}", "is also a fitted parameter: a key is fitted or carried, not both")
    targets = tuple(_target(name, entry, fail) for name, entry in _table(raw, "targets", fail).items())
    if not any(t.fitted for t in targets):
        fail("targets", "must have at least one target with role = \"fitted\"")
    calibration = Calibration(path=source, researchers=measurement["researchers"],
                              window_years=measurement["window_years"], population_size=abc["population_size"],
                              generations=abc["generations"], min_acceptance_rate=float(abc["min_acceptance_rate"]),
                              max_minutes=float(abc["max_minutes"]), max_simulations=int(abc["max_simulations"]),
                              transition=abc["transition"], kernel_scaling=float(abc["kernel_scaling"]),
                              seed=int(abc["seed"]), priors=priors, carried=carried, targets=targets)
    if calibration.population_size < calibration.smallest_population():
        fail("abc.population_size", population_message(calibration))
    return calibration


def population_message(calibration: Calibration) -> str:
    """What is wrong with a population too small for the calibration's kernel (see Calibration.smallest_population)."""
    return (f"must be at least {calibration.smallest_population()} for {len(calibration.priors)} fitted parameters "
            f"over {calibration.generations} generations with the {calibration.transition} kernel (its covariance "
            f"needs more particles than parameters), got {calibration.population_size}")


def _settings(raw: dict[str, Any], key: str, defaults: dict[str, Any], fail: Any) -> dict[str, Any]:
    table = _table(raw, key, fail)
    for name in table:
        if name not in defaults:
            fail(f"{key}.{name}", f"unknown key; allowed: {', '.join(defaults)}")
    out = defaults | table
    for name, value in out.items():
        if name == "transition":
            if value not in TRANSITIONS:
                fail(f"{key}.{name}", f"must be one of {', '.join(TRANSITIONS)}, got {value!r}")
        elif not _is_number(value):
            fail(f"{key}.{name}", f"must be a number, got {value!r}")
    return out


def _prior(key: str, entry: Any, fail: Any, table: str = "parameters") -> Prior:
    where = f"{table}.{key}"
    refusal = path_refusal(key)  # the same rule: a number-valued key of the model's world, not of the simulation
    if refusal:
        fail(where, refusal.replace("cannot follow a path", "cannot be fitted"))
    if not isinstance(entry, dict):
        fail(where, f"must be a table with low, high and source, got {entry!r}")
    for sub in entry:
        if sub not in ("low", "high", "source"):
            fail(f"{where}.{sub}", "unknown key; allowed: low, high, source")
    low, high = entry.get("low"), entry.get("high")
    if not (_is_number(low) and _is_number(high) and math.isfinite(low) and math.isfinite(high) and low < high):
        fail(where, f"needs finite low < high (the uniform prior), got low={low!r}, high={high!r}")
    text = entry.get("source")
    if not isinstance(text, str) or not text.strip():
        fail(f"{where}.source", "is required: why the prior has this range")
    return Prior(key=key, low=float(low), high=float(high), source=text)


def _target(name: str, entry: Any, fail: Any) -> Target:
    key = f"targets.{name}"
    if not isinstance(entry, dict):
        fail(key, f"must be a table, got {entry!r}")
    for sub in entry:
        if sub not in TARGET_KEYS:
            fail(f"{key}.{sub}", f"unknown key; allowed: {', '.join(TARGET_KEYS)}")
    role = entry.get("role")
    if role not in ROLES:
        fail(f"{key}.role", f"must be one of {', '.join(ROLES)}, got {role!r}")
    function = entry.get("function")
    if function not in (*MEASURES, *EXPERIMENTS):
        fail(f"{key}.function", f"must name a function of experiments/calibration/moments.py "
                                f"({', '.join((*MEASURES, *EXPERIMENTS))}), got {function!r}")
    # A bound is checked by a simulated experiment; every other role by a measurement of one run.
    allowed, what = (EXPERIMENTS, "an experiment") if role == "bound" else (tuple(MEASURES), "a measurement of one run")
    if function not in allowed:
        fail(f"{key}.function", f"a {role} target needs {what} ({', '.join(allowed)}), got {function!r}")
    nan = float("nan")
    value = se = low = high = nan
    if role == "bound":
        low, high = entry.get("low"), entry.get("high")
        if not (_is_number(low) and _is_number(high) and low < high):
            fail(key, f"a bound needs numbers low < high, got low={low!r}, high={high!r}")
    else:
        value, se = entry.get("value"), entry.get("se")
        if not _is_number(value) or not math.isfinite(value):
            fail(f"{key}.value", f"must be a finite number, got {value!r}")
        if not _is_number(se) or not 0 < se < math.inf:
            fail(f"{key}.se", f"must be a positive number (the standard error, in the target's unit), got {se!r}")
    year = entry.get("year")
    if isinstance(year, bool) or not isinstance(year, int):
        fail(f"{key}.year", f"must be a whole number (the year observed), got {year!r}")
    texts = {}
    for sub in ("se_reason", "measure", "population", "source"):
        text = entry.get(sub)
        if not isinstance(text, str) or not text.strip():
            fail(f"{key}.{sub}", "is required: a non-empty string")
        texts[sub] = text
    return Target(name=name, role=role, function=function, value=float(value), se=float(se), low=float(low),
                  high=float(high), year=year, **texts)


def _table(raw: dict[str, Any], key: str, fail: Any) -> dict[str, Any]:
    value = raw.get(key, {})
    if not isinstance(value, dict):
        fail(key, f"must be a table, got {value!r}")
    return value


def _is_whole(value: Any) -> bool:
    """A TOML integer (not a float with no fraction, not a boolean)."""
    return isinstance(value, int) and not isinstance(value, bool)


def _is_number(value: Any) -> bool:
    return isinstance(value, (int, float)) and not isinstance(value, bool)
