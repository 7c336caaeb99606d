"""Sweep files: which configs to run, how many times, and what to keep.

A sweep file is TOML, parsed with :mod:`tomllib` (never executed) and validated
once into the frozen :class:`Sweep`. Every problem raises
:class:`simulation.config.ConfigError` naming the sweep file, the key and what
is allowed, so the command line prints it on one line and exits with code 2.

Example (grid)::

    base = "../baseline.toml"      # relative to the sweep file
    design = "grid"                # grid | latin | sobol | morris | arms
    replicates = 2
    years = 10
    seed = 20240601
    researchers = 500              # optional: agents in the steady state (the cohort follows)
    deadweight = true              # optional (default true): runs with levers also run their baseline twin
    [set]                          # optional: fixed overrides for every point
    "preferences.tie_growth" = 0.1
    [vary]
    "preferences.wage" = [1.0, 1.5, 2.0]
    "preferences.mentor" = { low = 1.0, high = 2.0, steps = 3 }

Latin, Sobol and Morris designs take ranges ``{ low, high }`` and ``samples`` (for Morris: trajectories); an arms
design takes ``[arms.NAME]`` tables of dotted overrides and/or ``config = "file.toml"``.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import math
import tomllib
import typing
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from experiments import designs, seeds, uncertainties
from simulation import schema
from simulation.config import ConfigError, load_config, read_toml
from simulation.parameters import scale_population

KEEP: tuple[str, ...] = ("yearly", "final")
TOP_LEVEL: tuple[str, ...] = ("name", "description", "base", "design", "replicates", "years", "keep", "agents",
                              "seed", "common_random_numbers", "researchers", "samples", "second_order", "set",
                              "vary", "arms", "sampler", "uncertainties", "levers", "deadweight", "groups")
#: How an uncertainties design samples its factors' unit cube.
SAMPLERS: tuple[str, ...] = ("latin", "sobol", "morris")
#: The lever table that is the reference of an uncertainties design (as the baseline arm of an arms design).
BASELINE = "baseline"
#: Most runs a sweep may hold: its manifest lists every run with its seed (about 100 bytes a run).
MAX_RUNS = 1_000_000
#: Most points a sweep may hold: each point's config is built and checked up front (about 2 ms a point).
MAX_POINTS = 100_000
#: The dotted key of the initial population: set through :func:`scale_population`, so the cohort follows it.
POPULATION = "simulation.researchers"
#: Spawn key of the stream that samples Latin and Sobol designs; runs use keys of length 1 or 2, so it never collides.
DESIGN_SPAWN_KEY: tuple[int, ...] = (0x5EED, 0xD351, 0x6E)


@dataclasses.dataclass(frozen=True)
class Point:
    """One point of the design: its varied values and the config they give."""

    index: int
    name: str
    values: Mapping[str, Any]
    config: schema.Config
    stream: int | None = None  # under common random numbers, points of one stream share their draws


@dataclasses.dataclass(frozen=True)
class Run:
    """One simulation: a point and a replicate."""

    run: int
    point: int
    replicate: int


@dataclasses.dataclass(frozen=True)
class Sweep:
    """A validated sweep file."""

    path: str
    text: str
    sha256: str
    name: str
    description: str
    base: str
    design: str
    replicates: int
    years: int
    keep: str
    agents: bool
    seed: int
    common_random_numbers: bool
    researchers: int | None
    parameters: tuple[str, ...]
    points: tuple[Point, ...]
    deadweight: bool = True  # runs with levers also run their baseline twin, for the levers' deadweight
    sampler: str | None = None  # uncertainties design: how the factors were sampled
    factors: tuple[str, ...] = ()  # uncertainties design: the sampled factors (posterior, ranged keys)
    groups: Mapping[str, str] = dataclasses.field(default_factory=dict)  # factor -> group (sobol, morris samplers)

    def run_seed(self, point: int, replicate: int) -> np.random.SeedSequence:
        """The random stream of one run (:func:`experiments.seeds.run_seed`)."""
        return seeds.run_seed(self.seed, point, replicate, common_random_numbers=self.common_random_numbers,
                              stream=self.points[point].stream)

    @property
    def runs(self) -> list[Run]:
        """Every run, point-major: run = point * replicates + replicate."""
        return [Run(p.index * self.replicates + r, p.index, r)
                for p in self.points for r in range(self.replicates)]

    def design_table(self) -> list[dict[str, Any]]:
        """One row a point: its number, its name and the varied parameters."""
        return [{"point": p.index, "name": p.name, **p.values} for p in self.points]


# ---------------------------------------------------------------------------- reading
def read_sweep(path: str | Path, text: str | None = None) -> Sweep:
    """Parse and validate a sweep file, building every point's config once.

    With ``text`` the sweep file is that text, as if it were written at ``path`` (which need not exist yet): its
    relative paths are read from ``path``'s folder. A file about to be written is checked before it is.
    """
    path = Path(path)
    source = str(path)
    if text is None:
        raw = read_toml(path)
        text = path.read_text(encoding="utf-8").removeprefix("\ufeff")  # read_toml skips a byte-order mark too
    else:
        try:
            raw = tomllib.loads(text)
        except tomllib.TOMLDecodeError as err:
            raise ConfigError(source, "", f"is not valid TOML ({err})") from None
    check = _Checker(source)

    for key in raw:
        if key not in TOP_LEVEL:
            check.fail(key, f"unknown key; allowed: {', '.join(TOP_LEVEL)}")
    name = check.string(raw, "name", default=path.stem)
    description = check.string(raw, "description", default="")
    base_name = check.string(raw, "base", default=None)
    if base_name is None:
        check.fail("base", "is required: the config file the sweep starts from, relative to the sweep file")
    base = (path.parent / base_name).resolve()
    if not base.is_file():
        check.fail("base", f"no such config file {base_name} (relative to the sweep file)")
    design = check.string(raw, "design", default="grid")
    if design not in designs.DESIGNS:
        check.fail("design", f"must be one of {', '.join(designs.DESIGNS)}, got {design!r}")
    replicates = check.whole(raw, "replicates", default=1, lo=1)
    years = check.whole(raw, "years", default=None, lo=1, hi=500)
    keep = check.string(raw, "keep", default="yearly")
    if keep not in KEEP:
        check.fail("keep", f"must be one of {', '.join(KEEP)}, got {keep!r}")
    agents = check.boolean(raw, "agents", default=False)
    deadweight = check.boolean(raw, "deadweight", default=True)
    seed = check.whole(raw, "seed", default=None, lo=0)
    if seed is None:
        check.fail("seed", "is required: a whole number >= 0, the root of every run's random stream")
    crn = check.boolean(raw, "common_random_numbers", default=True)
    researchers = check.whole(raw, "researchers", default=None, lo=10)
    fixed = _flatten(check.table(raw, "set"), "set", check, leaves_only=True)

    sampled = design in ("latin", "sobol", "morris", "uncertainties")
    samples = check.whole(raw, "samples", default=None, lo=1)
    if sampled and samples is None:
        check.fail("samples", f"is required for a {design} design (a whole number >= 1)")
    if not sampled and samples is not None:
        check.fail("samples", f"only applies to latin, sobol, morris and uncertainties designs, not {design}")
    sampler = check.string(raw, "sampler", default="latin" if design == "uncertainties" else None)
    if "sampler" in raw and design != "uncertainties":
        check.fail("sampler", f"only applies to an uncertainties design, not {design}")
    if sampler is not None and sampler not in SAMPLERS:
        check.fail("sampler", f"must be one of {', '.join(SAMPLERS)}, got {sampler!r}")
    second_order = check.boolean(raw, "second_order", default=True)
    if "second_order" in raw and (sampler or design) != "sobol":
        check.fail("second_order", f"only applies to a sobol design or sampler, not {sampler or design}")
    for key in ("uncertainties", "levers"):
        if key in raw and design != "uncertainties":
            check.fail(key, f"only applies to an uncertainties design, not {design}")

    common = list(fixed.items())
    if years is not None:
        for key, _ in common:  # [set] is flattened to its leaves
            if key == "simulation.years":
                check.fail(f"set.{key}", f"sets simulation.years, also given as years = {years}; give the years "
                                         "in one place")
        common.append(("simulation.years", years))
    factors: tuple[str, ...] = ()
    groups: dict[str, str] = {}
    if "groups" in raw and design != "uncertainties":
        check.fail("groups", f"only applies to an uncertainties design with the sobol or morris sampler, not {design}")
    if design == "uncertainties":
        for key in ("vary", "arms"):
            if key in raw:
                check.fail(key, "does not apply to an uncertainties design (give [uncertainties] and [levers])")
        assert samples is not None and sampler is not None
        uncertain = _uncertainties(check, raw, path, base, fixed)
        levers = _levers(check, raw, path, set(uncertain.keys))
        factors = tuple(uncertain.factors)
        groups = _groups(check, raw, sampler, factors)
        n_units = _sample_size(sampler, samples, len(set(groups.get(f, f) for f in factors)), second_order)
        _check_size(check, "samples", n_units * len(levers), replicates)
        units = _unit_sample(sampler, factors, samples, second_order, seed, groups)
        parameters = ("arm", "setting", "uncertainty", *(
            [uncertainties.PARTICLE] if uncertain.posterior is not None else []), *uncertain.keys,
            *dict.fromkeys(k for lever in levers for k in lever.settings))
        points = []
        for u, unit in enumerate(units):
            drawn = uncertain.values(unit)
            weights = [(k, v) for k, v in drawn.items() if k != uncertainties.PARTICLE]
            coordinates = {uncertainties.UNIT + f: unit[f] for f in factors}
            for lever in levers:
                i = len(points)
                values = {"arm": lever.arm, "setting": lever.name, "uncertainty": u, **drawn, **lever.settings,
                          **coordinates}
                points.append(_build(check, base, common, f"levers.{lever.arm}", [*weights, *lever.overrides],
                                     lever.config, researchers, i, f"{lever.name} u{u}", values,
                                     stream=u if sampler == "latin" else None))
    elif design == "arms":
        if "vary" in raw:
            check.fail("vary", "does not apply to an arms design (give each arm its overrides)")
        rows = _arms(check, raw, path)
        _check_size(check, "replicates", len(rows), replicates)
        parameters: tuple[str, ...] = ("arm",)
        points = [_build(check, base, common, f"arms.{arm}", overrides, arm_config, researchers, i, arm,
                         {"arm": arm})
                  for i, (arm, arm_config, overrides) in enumerate(rows)]
    else:
        if "arms" in raw:
            check.fail("arms", f"only applies to an arms design, not {design}")
        vary = _flatten(check.table(raw, "vary"), "vary", check, leaves_only=False)
        if not vary:
            check.fail("vary", f"a {design} design needs at least one parameter to vary")
        clash = sorted(set(vary) & set(fixed))
        if clash:
            check.fail(f"vary.{clash[0]}", "is also fixed in [set]; give it in one place")
        table = _design(check, design, vary, samples, second_order, seed, replicates)
        parameters = tuple(vary)
        points = [_build(check, base, common, "vary", list(values.items()), None, researchers, i, f"p{i}",
                         values)
                  for i, values in enumerate(table)]
    years_run = points[0].config.simulation.years
    return Sweep(path=source, text=text, sha256=hashlib.sha256(text.encode()).hexdigest(), name=name,
                 description=description, base=str(base), design=design, replicates=replicates, years=years_run,
                 keep=keep, agents=agents, seed=seed, common_random_numbers=crn, researchers=researchers,
                 parameters=parameters, points=tuple(points), deadweight=deadweight, sampler=sampler,
                 factors=factors, groups=groups)


class _Checker:
    """Type checks of sweep-file values, failing with one-line errors."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> typing.NoReturn:
        raise ConfigError(self.source, key, message)

    def string(self, raw: Mapping[str, Any], key: str, default: Any) -> Any:
        if key not in raw:
            return default
        if not isinstance(raw[key], str):
            self.fail(key, f"must be a string, got {raw[key]!r}")
        return raw[key]

    def boolean(self, raw: Mapping[str, Any], key: str, default: bool) -> bool:
        if key not in raw:
            return default
        if not isinstance(raw[key], bool):
            self.fail(key, f"must be true or false, got {raw[key]!r}")
        return raw[key]

    def whole(self, raw: Mapping[str, Any], key: str, default: Any, lo: int, hi: int | None = None) -> Any:
        if key not in raw:
            return default
        value = raw[key]
        allowed = f"a whole number >= {lo}" + (f" and <= {hi}" if hi is not None else "")
        if isinstance(value, bool) or not isinstance(value, int) or value < lo or (hi is not None and value > hi):
            self.fail(key, f"must be {allowed}, got {value!r}")
        return value

    def table(self, raw: Mapping[str, Any], key: str) -> dict[str, Any]:
        value = raw.get(key, {})
        if not isinstance(value, dict):
            self.fail(key, f"must be a table, got {value!r}")
        return value


def _is_range(value: Any) -> bool:
    return isinstance(value, dict) and bool(value) and set(value) <= {"low", "high", "steps"}


def _flatten(table: Mapping[str, Any], prefix: str, check: _Checker, *, leaves_only: bool) -> dict[str, Any]:
    """Dotted keys to values; TOML's nested tables and quoted dotted keys give the same result.

    A leaf is anything but a non-empty table; for [vary] a range table ``{low, high[, steps]}`` is a leaf too.
    An empty table is a leaf (it switches a policy lever on with its defaults).
    """
    out: dict[str, Any] = {}

    def walk(node: Mapping[str, Any], path: str) -> None:
        for key, value in node.items():
            dotted = f"{path}.{key}" if path else key
            if isinstance(value, dict) and value and (leaves_only or not _is_range(value)):
                walk(value, dotted)
            else:
                if dotted in out:
                    check.fail(f"{prefix}.{dotted}", "is given twice")
                out[dotted] = value

    walk(table, "")
    return out


def _field_type(dotted: str) -> Any:
    """The schema type of a dotted config key (None if there is no such key)."""
    found = schema.field_at(dotted)
    return None if found is None else found[0]


def _number(check: _Checker, key: str, value: Any, what: str) -> float:
    if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
        check.fail(key, f"{what} must be a finite number, got {value!r}")
    return float(value)


def _bounds(check: _Checker, key: str, spec: Any, design: str) -> tuple[float, float]:
    if not _is_range(spec) or "steps" in spec or set(spec) != {"low", "high"}:
        check.fail(key, f"must be a range {{ low = ..., high = ... }} for a {design} design, got {spec!r}")
    low = _number(check, key, spec["low"], "low")
    high = _number(check, key, spec["high"], "high")
    if not low < high:
        check.fail(key, f"low must be below high, got low = {low:g}, high = {high:g}")
    return low, high


def _levels(check: _Checker, key: str, spec: Any) -> list[Any]:
    if isinstance(spec, list):
        if not spec:
            check.fail(key, "must list at least one value")
        return spec
    if _is_range(spec):
        if set(spec) != {"low", "high", "steps"}:
            check.fail(key, f"a grid range needs low, high and steps, got {', '.join(spec)}")
        low = _number(check, key, spec["low"], "low")
        high = _number(check, key, spec["high"], "high")
        steps = spec["steps"]
        if isinstance(steps, bool) or not isinstance(steps, int) or not 2 <= steps <= MAX_POINTS:
            check.fail(key, f"steps must be a whole number from 2 to {MAX_POINTS:,} (the limit of {MAX_POINTS:,} "
                            f"points a sweep), got {steps!r}")
        if not low < high:
            check.fail(key, f"low must be below high, got low = {low:g}, high = {high:g}")
        return [float(v) for v in np.linspace(low, high, steps)]
    check.fail(key, f"must be a list of values or a range {{ low = ..., high = ..., steps = ... }}, got {spec!r}")


def _whole_levels(check: _Checker, key: str, spec: Any, levels: list[Any]) -> list[Any]:
    """The grid levels of a whole-number config key as ints: refused when one is not whole or two are equal.

    Rounding would silently turn ``{ low = 4, high = 5, steps = 3 }`` (4, 4.5, 5) into duplicate points.
    """
    out = [int(v) if isinstance(v, float) and v.is_integer() else v for v in levels]
    fractions = [v for v in out if isinstance(v, float)]
    if fractions and _is_range(spec):
        shown = ", ".join(f"{v:g}" for v in levels)
        check.fail(key, f"is a whole-number key and this range gives {shown}; allowed: a range whose "
                        "(high - low) / (steps - 1) is a whole number, or a list of whole numbers")
    if fractions:
        check.fail(key, f"is a whole-number key; allowed: a list of whole numbers, got {fractions[0]!r}")
    return out


def _distinct(check: _Checker, key: str, levels: list[Any]) -> None:
    """Refuse a grid level given twice (it would run the same point twice)."""
    seen = set()
    for value in levels:
        number = isinstance(value, (int, float)) and not isinstance(value, bool)
        token = repr(float(value)) if number else json.dumps(value, sort_keys=True, default=str)
        if token in seen:
            check.fail(key, f"gives the level {value!r} more than once; allowed: distinct levels (use replicates to "
                            "run a point again)")
        seen.add(token)


def _check_size(check: _Checker, key: str, points: int, replicates: int) -> None:
    """Refuse a design of more than MAX_POINTS points or MAX_RUNS runs before anything is built (``key`` sized it)."""
    if points > MAX_POINTS:
        check.fail(key, f"gives {points:,} points, more than the limit of {MAX_POINTS:,} points a sweep")
    if points * replicates > MAX_RUNS:
        check.fail("replicates" if replicates > 1 else key,
                   f"{points:,} points x {replicates:,} replicates = {points * replicates:,} runs, more than the "
                   f"limit of {MAX_RUNS:,} runs a sweep")


def _design(check: _Checker, design: str, vary: dict[str, Any], samples: int | None, second_order: bool,
            seed: int, replicates: int) -> list[dict[str, Any]]:
    for key in vary:
        if _field_type(key) is None:
            check.fail(f"vary.{key}", "is not a config key (use a dotted path such as preferences.wage)")
    if design == "grid":
        levels = {k: _levels(check, f"vary.{k}", spec) for k, spec in vary.items()}
        for key, spec in vary.items():
            if _field_type(key) is int:
                levels[key] = _whole_levels(check, f"vary.{key}", spec, levels[key])
            _distinct(check, f"vary.{key}", levels[key])
        _check_size(check, "vary", math.prod(len(v) for v in levels.values()), replicates)
        table = designs.grid(levels)
    else:
        bounds = {k: _bounds(check, f"vary.{k}", spec, design) for k, spec in vary.items()}
        for key in bounds:
            if _field_type(key) not in (int, float):
                check.fail(f"vary.{key}", f"a {design} design can only vary numbers")
        assert samples is not None
        points = {"latin": samples, "morris": samples * (len(bounds) + 1),
                  "sobol": designs.sobol_size(samples, len(bounds), second_order)}[design]
        _check_size(check, "samples", points, replicates)
        sequence = np.random.SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY)
        if design == "latin":
            table = designs.latin(bounds, samples, np.random.default_rng(sequence))
        elif design == "morris":
            table = designs.morris(bounds, samples, seed=int(sequence.generate_state(1)[0]))
        else:
            table = designs.sobol(bounds, samples, second_order=second_order,
                                  seed=int(sequence.generate_state(1)[0]))
    for row in table:  # whole-number config fields get whole numbers
        for key, value in row.items():
            if _field_type(key) is int and isinstance(value, float):
                row[key] = round(value)
    return table


def _arms(check: _Checker, raw: Mapping[str, Any], path: Path,
          section: str = "arms") -> list[tuple[str, Path | None, list[tuple[str, Any]]]]:
    arms = check.table(raw, section)
    if not arms:
        check.fail(section, "an arms design needs at least one [arms.NAME] table")
    rows = []
    for arm, spec in arms.items():
        if not isinstance(spec, dict):
            check.fail(f"{section}.{arm}",
                       f"must be a table of dotted overrides and/or config = 'file.toml', got {spec!r}")
        spec = dict(spec)
        arm_config = None
        if "config" in spec:
            file_name = spec.pop("config")
            if not isinstance(file_name, str):
                check.fail(f"{section}.{arm}.config", f"must be a file name, got {file_name!r}")
            arm_config = (path.parent / file_name).resolve()
            if not arm_config.is_file():
                check.fail(f"{section}.{arm}.config",
                           f"no such config file {file_name} (relative to the sweep file)")
        overrides = _flatten(spec, f"{section}.{arm}", check, leaves_only=True)
        rows.append((arm, arm_config, list(overrides.items())))
    return rows


def _build(check: _Checker, base: Path, common: list[tuple[str, Any]], section: str,
           own: list[tuple[str, Any]], arm_config: Path | None, researchers: int | None, index: int, name: str,
           values: Mapping[str, Any], stream: int | None = None) -> Point:
    """Build one point's config, turning a config error into an error about the sweep file's key.

    ``common`` ([set], years) applies first, then the point's ``own`` overrides, then any ``common`` key inside
    a table ``own`` sets whole. The initial population (``researchers`` or ``simulation.researchers``) is set last
    with :func:`scale_population`, as ``talentflow run --researchers`` does, so the yearly cohort follows it.
    """
    overrides = _merged(check, common, section, own)
    where, population = _population(check, researchers, common, section, own)
    try:
        config = load_config(arm_config or base, [(k, v) for k, v in overrides if k != POPULATION])
        if population is not None:
            config = scale_population(config, population)
    except ConfigError as err:
        if err.source == "--researchers":
            check.fail(where, err.message)
        for key, _ in own:
            if err.key == key or err.key.startswith(key + ".") or key.startswith(err.key + "."):
                check.fail(f"{section}.{key}", err.message)
        for key, _ in common:
            if err.key == key or err.key.startswith(key + "."):
                check.fail(_common_key(key), err.message)
        at = ", ".join(f"{k} = {v!r}" for k, v in values.items())
        check.fail(err.key, f"{err.message} (point {index}: {at}; from {err.source})")
    return Point(index=index, name=name, values=dict(values), config=config, stream=stream)


def _common_key(key: str) -> str:
    """Where the sweep file gives a common override: ``years`` or ``set.KEY``."""
    return "years" if key == "simulation.years" else f"set.{key}"


def _merged(check: _Checker, common: list[tuple[str, Any]], section: str,
            own: list[tuple[str, Any]]) -> list[tuple[str, Any]]:
    """``common`` then ``own`` overrides, losing none: a ``common`` key inside a table that ``own`` sets whole
    (``[vary] "policies.salary_match" = [{ budget = 1.0 }]``) is applied again after it; refused when that table
    gives the same key (which of the two would win is not clear)."""
    again = []
    for key, value in own:
        if not isinstance(value, dict):
            continue
        for inner, inner_value in common:
            if not inner.startswith(key + "."):
                continue
            if _inside(value, inner[len(key) + 1:]) is not _MISSING:
                check.fail(f"{section}.{key}", f"gives {inner} too, which {_common_key(inner)} also gives; give "
                                               "it in one place")
            again.append((inner, inner_value))
    return [*common, *own, *again]


_MISSING = object()


def _inside(table: Any, dotted: str) -> Any:
    """The value at the dotted key ``dotted`` inside ``table`` (``_MISSING`` when it has none)."""
    for part in dotted.split("."):
        table = table.get(part, _MISSING) if isinstance(table, dict) else _MISSING
    return table


def _population(check: _Checker, researchers: int | None, common: list[tuple[str, Any]], section: str,
                own: list[tuple[str, Any]]) -> tuple[str, int | None]:
    """Where the initial population is given (its sweep-file key) and its value; refused when given twice."""
    placed = [*((_common_key(k), k, v) for k, v in common), *((f"{section}.{k}", k, v) for k, v in own)]
    for where, key, value in placed:
        if POPULATION.startswith(key + ".") and _inside(value, POPULATION[len(key) + 1:]) is not _MISSING:
            check.fail(where, f"sets {POPULATION} inside a table; give it on its own (researchers = N, or "
                              f"\"{POPULATION}\") so that the yearly cohort is scaled with it")
    given = [("researchers", researchers)] if researchers is not None else []
    given += [(_common_key(k), v) for k, v in common if k == POPULATION]
    given += [(f"{section}.{k}", v) for k, v in own if k == POPULATION]
    if len(given) > 1:
        (first, value), (second, _) = given[0], given[1]
        check.fail(second, f"is also given as {first} = {value!r}; give the number of researchers in one place")
    if not given:
        return "researchers", None
    where, value = given[0]
    if isinstance(value, bool) or not isinstance(value, int):
        check.fail(where, f"must be a whole number of researchers (agents at the start), got {value!r}")
    return where, value


# ------------------------------------------------------------ uncertainties x levers
@dataclasses.dataclass(frozen=True)
class Lever:
    """One lever setting of an uncertainties design: its table, its name, its config file and overrides."""

    arm: str  # the [levers.NAME] table
    name: str  # NAME, or NAME with its grid values ("salary_match share=0.5 budget=50000")
    config: Path | None
    overrides: list[tuple[str, Any]]
    settings: dict[str, Any]  # the grid values of this setting ({} without a grid)


def _sample_size(sampler: str, samples: int, factors: int, second_order: bool) -> int:
    """Points of the unit cube a sampler draws."""
    if sampler == "latin":
        return samples
    if sampler == "morris":
        return samples * (factors + 1)
    return designs.sobol_size(samples, factors, second_order)


def _unit_sample(sampler: str, factors: tuple[str, ...], samples: int, second_order: bool,
                 seed: int, groups: Mapping[str, str]) -> list[dict[str, float]]:
    """The sampler's points of the factors' unit cube, in the sampler's order (SALib's for Sobol and Morris)."""
    bounds = {f: (0.0, 1.0) for f in factors}
    sequence = np.random.SeedSequence(seed, spawn_key=DESIGN_SPAWN_KEY)
    if sampler == "latin":
        return designs.latin(bounds, samples, np.random.default_rng(sequence))
    if sampler == "morris":
        return designs.morris(bounds, samples, seed=int(sequence.generate_state(1)[0]), groups=groups)
    return designs.sobol(bounds, samples, second_order=second_order, seed=int(sequence.generate_state(1)[0]),
                         groups=groups)


def _groups(check: _Checker, raw: Mapping[str, Any], sampler: str, factors: tuple[str, ...]) -> dict[str, str]:
    """``groups = { NAME = ["factor", ...] }``: factors that SALib moves (and indexes) together; factor -> group.

    Only for the sobol and morris samplers; a factor not named is its own group; a factor is in one group.
    """
    table = check.table(raw, "groups")
    if table and sampler not in ("sobol", "morris"):
        check.fail("groups", f"only applies to the sobol and morris samplers, not {sampler}")
    out: dict[str, str] = {}
    for name, members in table.items():
        where = f"groups.{name}"
        if name in factors:
            check.fail(where, "has the name of a factor; give the group another name")
        if not isinstance(members, list) or not members or not all(isinstance(m, str) for m in members):
            check.fail(where, f"must be a list of factor names (posterior or uncertain keys), got {members!r}")
        for member in members:
            if member not in factors:
                check.fail(where, f"names {member!r}, which is not a factor; factors: {', '.join(factors)}")
            if member in out:
                check.fail(where, f"names {member!r}, which is already in group {out[member]!r}")
            out[member] = name
    return out


def _uncertainties(check: _Checker, raw: Mapping[str, Any], path: Path, base: Path,
                   fixed: Mapping[str, Any]) -> uncertainties.Uncertainties:
    """The [uncertainties] table: ``posterior = "FILE"``, ``carried = "FILE"`` and ranges ``{ low, high }``."""
    table = dict(check.table(raw, "uncertainties"))
    if not table:
        check.fail("uncertainties", "an uncertainties design needs at least one entry: posterior = \"FILE\", "
                                    "carried = \"FILE\" or \"dotted.key\" = { low = ..., high = ... }")
    posterior = None
    ranges: dict[str, tuple[float, float]] = {}
    for key in ("posterior", "carried"):
        if key not in table:
            continue
        name = table.pop(key)
        if not isinstance(name, str):
            check.fail(f"uncertainties.{key}", f"must be a file name (relative to the sweep file), got {name!r}")
        file = (path.parent / name).resolve()
        if not file.is_file():
            check.fail(f"uncertainties.{key}", f"no such file {name} (relative to the sweep file)")
        if key == "posterior":
            posterior = uncertainties.read_posterior(file, check.source, f"uncertainties.{key}")
        else:
            ranges.update(uncertainties.read_carried(file, check.source, f"uncertainties.{key}"))
    for key, spec in _flatten(table, "uncertainties", check, leaves_only=False).items():
        where = f"uncertainties.{key}"
        if _field_type(key) not in (int, float):
            check.fail(where, "is not a numeric config key (use a dotted path such as preferences.hours)")
        if key in ranges:
            check.fail(where, "is also carried by the carried file; give its range in one place")
        ranges[key] = _bounds(check, where, spec, "uncertainties")
    fitted = list(posterior.particles.columns) if posterior is not None else []
    for key in fitted:
        if key in ranges:
            check.fail(f"uncertainties.{key}", "is also in the posterior file; a weight is drawn in one way")
    for key in [*fitted, *ranges]:
        if key in fixed:
            check.fail(f"set.{key}", "is an uncertain weight ([uncertainties]); it cannot also be fixed")
    for key, (low, high) in ranges.items():  # each end of a range must be a valid config value
        for value in (low, high):
            try:
                load_config(base, [(key, round(value) if _field_type(key) is int else value)])
            except ConfigError as err:
                check.fail(f"uncertainties.{key}", f"{err.message} (at {value:g})")
    return uncertainties.Uncertainties(posterior, ranges)


def _levers(check: _Checker, raw: Mapping[str, Any], path: Path, uncertain: set[str]) -> list[Lever]:
    """The [levers.NAME] tables: like arms (config and overrides), each with an optional grid ``vary``."""
    table = check.table(raw, "levers")
    if not table:
        check.fail("levers", "an uncertainties design needs at least one [levers.NAME] table ([levers.baseline] "
                             "for the scenario itself)")
    out = []
    for arm, spec in table.items():
        if not isinstance(spec, dict):
            check.fail(f"levers.{arm}", f"must be a table of overrides, config = 'file.toml' and vary, got {spec!r}")
        spec = dict(spec)
        vary = spec.pop("vary", {})
        if not isinstance(vary, dict):
            check.fail(f"levers.{arm}.vary", f"must be a table of dotted keys and their levels, got {vary!r}")
        (_, config, overrides), = _arms(check, {"levers": {arm: spec}}, path, "levers")
        levels = {k: _levels(check, f"levers.{arm}.vary.{k}", v)
                  for k, v in _flatten(vary, f"levers.{arm}.vary", check, leaves_only=False).items()}
        for key, spec_levels in levels.items():
            where = f"levers.{arm}.vary.{key}"
            if _field_type(key) is None:
                check.fail(where, "is not a config key (use a dotted path such as policies.salary_match.share)")
            if _field_type(key) is int:
                levels[key] = _whole_levels(check, where, spec_levels, spec_levels)
            _distinct(check, where, levels[key])
        for key in [*(k for k, _ in overrides), *levels]:
            if key in uncertain:
                check.fail(f"levers.{arm}.{key}", "is an uncertain weight ([uncertainties]); a lever cannot set it")
            if key in dict(overrides) and key in levels:
                check.fail(f"levers.{arm}.vary.{key}", "is also set in the lever's table; give it in one place")
        for combo in designs.grid(levels) if levels else [{}]:
            name = " ".join([arm, *(f"{k.rsplit('.', 1)[-1]}={tables_value(v)}" for k, v in combo.items())])
            out.append(Lever(arm, name, config, [*overrides, *combo.items()], dict(combo)))
    if len({lever.name for lever in out}) < len(out):
        check.fail("levers", "two lever settings have the same name; rename a [levers.NAME] table")
    return out


def tables_value(value: Any) -> str:
    """A grid value as a lever setting's name shows it (``0.5``, ``50000``)."""
    return f"{value:.10g}" if isinstance(value, float) else str(value)
