"""Load a scenario from TOML and validate it, once, at the edge.

Any problem raises :class:`ConfigError`, which names the file, the dotted key
and what is allowed; the command line prints it on one line and exits with
code 2. Nothing in the file is executed: it is parsed with :mod:`tomllib`.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
import os
import re
import stat
import tomllib
import types
import typing
from pathlib import Path
from typing import Any

from simulation import schema
from simulation.careers import SECTORS, STAGES
from simulation.outputs import path_problem
from simulation.paths import YEAR_RANGE, path_refusal, with_value

#: The default scenario: the baseline with its utility weights fitted (``talentflow calibrate``).
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "calibrated.toml"
#: Files a chain of ``extends`` may hold, the first included.
MAX_EXTENDS = 64
#: Parameters that may be infinite, meaning "no limit": a lever's yearly budget and per-person cap.
#: Anywhere else an infinity (an infinite weight, mentor quality or population) breaks the model.
UNLIMITED: frozenset[str] = frozenset({"budget", "cap"})


class ConfigError(ValueError):
    """A bad scenario: which file, which key, and what is allowed."""

    def __init__(self, source: str, key: str, message: str) -> None:
        self.source, self.key, self.message = source, key, message
        super().__init__(f"{source}: {key}: {message}" if key else f"{source}: {message}")


def _describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 40 else text[:37] + "..."



@functools.cache
def type_hints(cls: type) -> dict[str, Any]:
    """The resolved field types of a schema dataclass (``typing.get_type_hints``, once a class)."""
    return typing.get_type_hints(cls)


class _Builder:
    """Turns parsed TOML into the frozen dataclasses of :mod:`simulation.schema`."""

    def __init__(self, source: str) -> None:
        self.source = source

    def fail(self, key: str, message: str) -> typing.NoReturn:
        raise ConfigError(self.source, key, message)

    def dataclass(self, cls: type, raw: Any, key: str) -> Any:
        if not isinstance(raw, dict):
            self.fail(key, f"must be a table, got {_describe(raw)}")
        hints = type_hints(cls)
        fields = {f.name: f for f in dataclasses.fields(cls)}
        for name in raw:
            if name not in fields:
                allowed = ", ".join(fields)
                self.fail(_join(key, name), f"unknown key; allowed here: {allowed}")
        values = {}
        for name, f in fields.items():
            sub = _join(key, name)
            if name not in raw:
                if f.default is dataclasses.MISSING and f.default_factory is dataclasses.MISSING:
                    self.fail(sub, "is required")
                continue
            if cls is schema.Config and name == "paths":
                values[name] = self.paths(raw[name])
            else:
                values[name] = self.value(hints[name], raw[name], sub, f.metadata)
        return cls(**values)

    def paths(self, raw: Any) -> dict[str, dict[int, float]]:
        """The ``[paths]`` table: for each pathable key, calendar years and the key's values in them."""
        if not isinstance(raw, dict):
            self.fail("paths", f"must be a table of dotted keys, got {_describe(raw)}")
        out: dict[str, dict[int, float]] = {}
        for key, points in raw.items():
            sub = f"paths.{key}"
            refusal = path_refusal(key)
            if refusal:
                self.fail(sub, refusal)
            if not isinstance(points, dict) or not points:
                self.fail(sub, f"must be a table of years and values such as {{ 2018 = 0.5, 2021 = 1.0 }}, "
                               f"got {_describe(points)}")
            meta = schema.field_at(key)[1]
            series: dict[int, float] = {}
            for year_text, value in points.items():
                text = str(year_text)
                # ASCII digits only ("²".isdigit() is true), written as the year is ("02025" would be 2025 again)
                if not (re.fullmatch(r"[1-9][0-9]*", text) and YEAR_RANGE[0] <= int(text) <= YEAR_RANGE[1]):
                    self.fail(f"{sub}.{year_text}", f"must be a calendar year from {YEAR_RANGE[0]} to "
                                                    f"{YEAR_RANGE[1]}, written without leading zeros")
                series[int(text)] = self.scalar(float, value, f"{sub}.{year_text}", meta)
            out[key] = dict(sorted(series.items()))
        return out

    def value(self, tp: Any, raw: Any, key: str, meta: typing.Mapping[str, Any]) -> Any:
        origin = typing.get_origin(tp)
        if origin in (typing.Union, types.UnionType):
            inner = next(a for a in typing.get_args(tp) if a is not type(None))
            return self.value(inner, raw, key, meta)
        if dataclasses.is_dataclass(tp):
            return self.dataclass(tp, raw, key)
        if origin is dict:
            value_type = typing.get_args(tp)[1]
            if not isinstance(raw, dict):
                self.fail(key, f"must be a table, got {_describe(raw)}")
            allowed = meta.get("keys")
            out = {}
            for name, item in raw.items():
                sub = _join(key, name)
                if allowed is not None and name not in allowed:
                    self.fail(sub, f"unknown key; allowed here: {', '.join(allowed)}")
                out[name] = self.value(value_type, item, sub, meta)
            return out
        if origin is list:
            if not isinstance(raw, list):
                self.fail(key, f"must be a list, got {_describe(raw)}")
            allowed = meta.get("keys")
            for item in raw:
                if allowed is not None and item not in allowed:
                    self.fail(key, f"{_describe(item)} is not allowed; choose from {', '.join(allowed)}")
            return list(raw)
        return self.scalar(tp, raw, key, meta)

    def scalar(self, tp: Any, raw: Any, key: str, meta: typing.Mapping[str, Any]) -> Any:
        if tp is bool:
            if not isinstance(raw, bool):
                self.fail(key, f"must be true or false, got {_describe(raw)}")
            return raw
        if tp is str:
            if not isinstance(raw, str):
                self.fail(key, f"must be a string, got {_describe(raw)}")
            return raw
        if tp is int:
            if isinstance(raw, bool) or not isinstance(raw, int):
                self.fail(key, f"must be a whole number{_range(meta)}, got {_describe(raw)}")
            value: float = raw
        elif tp is float:
            if isinstance(raw, bool) or not isinstance(raw, (int, float)):
                self.fail(key, f"must be a number{_range(meta)}, got {_describe(raw)}")
            value = float(raw)
            if math.isnan(value):
                self.fail(key, f"must be a number{_range(meta)}, got nan")
            if math.isinf(value) and key.rsplit(".", 1)[-1] not in UNLIMITED:
                self.fail(key, f"must be a finite number{_range(meta)} (only {' and '.join(sorted(UNLIMITED))} "
                               f"may be inf), got {_describe(raw)}")
        else:  # pragma: no cover - the schema only uses the types above
            self.fail(key, f"unsupported type {tp}")
        lo, hi = meta.get("lo"), meta.get("hi")
        too_low = lo is not None and (value <= lo if meta.get("lo_open") else value < lo)
        too_high = hi is not None and value > hi
        if too_low or too_high:
            self.fail(key, f"must be{_range(meta)}, got {_describe(raw)}")
        return value


def _range(meta: typing.Mapping[str, Any]) -> str:
    lo, hi = meta.get("lo"), meta.get("hi")
    unit = f" ({meta['unit']})" if meta.get("unit") else ""
    if lo is None and hi is None:
        return unit
    left = "(" if meta.get("lo_open") else "["
    lo_text = "-inf" if lo is None else _number(lo)
    hi_text = "inf" if hi is None else _number(hi)
    return f" in {left}{lo_text}, {hi_text}]{unit}"


def _number(value: float) -> str:
    """A bound as people read it: 100,000,000 rather than 1e+08, and years as 1900 (separators from 10,000)."""
    if not float(value).is_integer():
        return f"{value:g}"
    return f"{int(value):,}" if abs(value) >= 10_000 else str(int(value))


def _join(key: str, name: str) -> str:
    return f"{key}.{name}" if key else str(name)


#: Country codes: capital letters and digits, starting with a letter (KR, US, CN). Output columns are named
#: ``researchers_<code>``; lower-case global names (``researchers_total``) can then never collide with them.
COUNTRY_CODE = re.compile(r"[A-Z][A-Z0-9]{1,7}")


def _check_consistency(config: schema.Config, source: str) -> None:
    """Checks that span several keys."""
    def fail(key: str, message: str) -> typing.NoReturn:
        raise ConfigError(source, key, message)

    codes = config.country_codes
    if len(codes) < 2:
        fail("countries", f"needs at least two countries (the origin and one abroad), got {len(codes)}")
    if config.simulation.origin not in codes:
        fail("simulation.origin",
             f"must be one of the countries ({', '.join(codes)}), got {config.simulation.origin!r}")
    sim = config.simulation
    if sim.spin_up < sim.max_career_age:
        fail("simulation.spin_up", f"must be at least simulation.max_career_age ({sim.max_career_age} years), so that "
                                   f"everyone alive at the start entered during the spin-up; got {sim.spin_up}")
    careers = config.careers
    for name in ("duration_mean", "duration_min", "exit_hazard"):
        table = getattr(careers, name)
        expected = STAGES if name == "exit_hazard" else STAGES[:-1]
        missing = [s for s in expected if s not in table]
        if missing:
            fail(f"careers.{name}", f"is missing {', '.join(missing)}")
    for stage, low in careers.duration_min.items():
        if low > careers.duration_mean[stage]:
            fail(f"careers.duration_min.{stage}", f"must not exceed careers.duration_mean.{stage} "
                                                  f"({careers.duration_mean[stage]:g} years), got {low}")
    for stage in STAGES[:STAGES.index("phd") + 1]:
        if careers.exit_hazard[stage] >= 1.0:
            fail(f"careers.exit_hazard.{stage}", "must be below 1: at 1 no researcher lives past the PhD, and the "
                                                 "post-PhD workforce that sets the scale is empty")
    presence = config.presence()
    if not float(presence[STAGES.index("phd") + 1:].sum()) > 0.0:
        fail("simulation.max_career_age", f"at {sim.max_career_age} years no researcher lives past the PhD (its "
                                          "stages take at least careers.duration_min years): the post-PhD "
                                          "workforce that sets the scale is empty; allow longer careers")
    hours = config.hours
    if hours.output_flat <= hours.output_kink:
        fail("hours.output_flat", f"must be above hours.output_kink ({hours.output_kink:g} hours a week), "
                                  f"got {hours.output_flat:g}")
    if hours.capped_from not in STAGES:
        fail("hours.capped_from", f"must be one of {', '.join(STAGES)}, got {hours.capped_from!r}")
    try:
        config.desired_hours()
    except ValueError as err:
        fail("hours.survey_cut", f"{err}; change the survey values or the peaks (hours.peak_share, peak_extra)")
    for code, country in config.countries.items():
        missing = [s for s in STAGES if s not in country.salary.academia]
        if missing:
            fail(f"countries.{code}.salary.academia", f"is missing {', '.join(missing)}")
        missing = [s for s in schema.INDUSTRY_STAGES if s not in country.salary.industry]
        if missing:
            fail(f"countries.{code}.salary.industry", f"is missing {', '.join(missing)}")
        for name in ("talent_convexity", "offers", "pay_level"):
            missing = [s for s in SECTORS if s not in getattr(country, name)]
            if missing:
                fail(f"countries.{code}.{name}", f"is missing {', '.join(missing)}")
        for sector in SECTORS:
            table = getattr(country.salary, sector)
            for stage, pay in table.items():
                if pay <= 0:
                    fail(f"countries.{code}.salary.{sector}.{stage}",
                         f"must be positive (million KRW a year), got {pay:g}")
    for lever_name, lever in config.policies.levers():
        key = f"policies.{lever_name}"
        if lever.country not in codes:
            fail(f"{key}.country", f"must be one of the countries ({', '.join(codes)}), got {lever.country!r}")
        if lever.end_year < lever.start_year:
            fail(f"{key}.end_year", f"must not be before start_year ({lever.start_year}), got {lever.end_year}")
        if lever.start_year <= sim.start_year:
            fail(f"{key}.start_year", f"must be after simulation.start_year ({sim.start_year}): the top-talent bar "
                                      f"that eligibility uses is set at the start; got {lever.start_year}")
        if not lever.eligible_stages:
            fail(f"{key}.eligible_stages", f"must name at least one stage of {', '.join(STAGES)}")
    for key, points in config.paths.items():
        try:
            with_value(config, key, next(iter(points.values())))
        except (KeyError, AttributeError):
            fail(f"paths.{key}", "names a key this scenario does not have (check the country code and the table)")


def _check_country_codes(raw: dict[str, Any], source: str) -> None:
    """Country codes name output columns (``researchers_KR``): refuse any that could clash with other names."""
    countries = raw.get("countries") if isinstance(raw, dict) else None
    for code in countries if isinstance(countries, dict) else ():
        if not COUNTRY_CODE.fullmatch(str(code)):
            raise ConfigError(source, f"countries.{code}", "a country code must be 2 to 8 capital letters or digits, "
                                                           "starting with a letter (such as KR or US)")


def build_config(raw: dict[str, Any], source: str = "<config>") -> schema.Config:
    """Validate a parsed TOML document and return the frozen :class:`schema.Config`."""
    _check_country_codes(raw, source)
    config = _Builder(source).dataclass(schema.Config, raw, "")
    _check_consistency(config, source)
    return config


def parse_override(text: str, source: str = "--set") -> tuple[str, Any]:
    """Split ``KEY=VALUE``; VALUE is read as a TOML value, or else as a plain string."""
    key, sep, value = text.partition("=")
    key = key.strip()
    if not sep or not key or any(not part for part in key.split(".")):
        raise ConfigError(source, text, "must be KEY=VALUE with KEY a dotted path such as policies.salary_match.share")
    try:
        parsed = tomllib.loads(f"v = {value.strip()}")["v"]
    except tomllib.TOMLDecodeError:
        parsed = value.strip()
    return key, parsed


def apply_overrides(raw: dict[str, Any], overrides: typing.Iterable[tuple[str, Any]]) -> dict[str, Any]:
    """A copy of ``raw`` with each dotted key set to its value (tables created as needed)."""
    out = copy.deepcopy(raw)
    for key, value in overrides:
        node = out
        parts = key.split(".")
        for i, part in enumerate(parts[:-1]):
            child = node.setdefault(part, {})
            if not isinstance(child, dict):
                raise ConfigError("--set", key, f"{'.'.join(parts[: i + 1])} is a value, not a table")
            node = child
        node[parts[-1]] = value
    return out


#: What a file that is not a regular file is, by its stat mode test.
_FILE_KINDS: tuple[tuple[typing.Callable[[int], bool], str], ...] = (
    (stat.S_ISDIR, "a folder"), (stat.S_ISCHR, "a character device"), (stat.S_ISBLK, "a block device"),
    (stat.S_ISFIFO, "a named pipe"), (stat.S_ISSOCK, "a socket"))


def _not_a_file(mode: int) -> str | None:
    """What a file of stat ``mode`` is if it is not a regular file ("a character device"), else None."""
    return next((kind for test, kind in _FILE_KINDS if test(mode)), None)


def read_toml(path: str | Path) -> dict[str, Any]:
    """Parse a TOML file (a leading byte-order mark is skipped), turning every failure into a :class:`ConfigError`.

    A named pipe is read (``<(...)`` in a shell); a device or a socket is refused unread.
    """
    path = Path(path)
    try:
        with path.open("rb") as handle:
            kind = _not_a_file(os.fstat(handle.fileno()).st_mode)
            if kind is not None and not kind.endswith("pipe"):
                raise ConfigError(str(path), "", f"is {kind}, not a regular file")
            text = handle.read().decode("utf-8").removeprefix("\ufeff")
        return tomllib.loads(text)
    except FileNotFoundError:
        raise ConfigError(str(path), "", "no such file") from None
    except IsADirectoryError:
        raise ConfigError(str(path), "", "is a folder, not a TOML file") from None
    except PermissionError:
        raise ConfigError(str(path), "", "cannot be read (permission denied)") from None
    except UnicodeDecodeError:
        raise ConfigError(str(path), "", "is not UTF-8 text") from None
    except tomllib.TOMLDecodeError as err:
        raise ConfigError(str(path), "", f"is not valid TOML ({err})") from None
    except RecursionError:
        raise ConfigError(str(path), "", "nests arrays or tables too deeply to read") from None
    except OSError as err:  # e.g. a name longer than the file system allows
        raise ConfigError(str(path), "", f"cannot be read ({path_problem(path, err)})") from None


def load_config(path: str | Path, overrides: typing.Iterable[tuple[str, Any]] = ()) -> schema.Config:
    """Read, override and validate a scenario file.

    A scenario may start from another with ``extends = "baseline.toml"`` (a path
    relative to the file): its tables are merged key by key, the file's own
    values winning. A chain of ``extends`` may hold at most :data:`MAX_EXTENDS` files.
    """
    raw = _read_with_base(Path(path), seen=())
    overrides = list(overrides)
    if overrides:
        source = f"{path} (with --set {', '.join(k for k, _ in overrides)})"
        _check_not_on_a_path(raw, overrides, source)
        raw = apply_overrides(raw, overrides)
    else:
        source = str(path)
    return build_config(raw, source)


def _check_not_on_a_path(raw: dict[str, Any], overrides: list[tuple[str, Any]], source: str) -> None:
    """Refuse an override of a value the scenario sets by year (``[paths]``): the path would win in every year,
    and the override would change nothing without a word."""
    paths = raw.get("paths")
    if not isinstance(paths, dict):
        return
    for key, value in overrides:
        if key == "paths" or key.startswith("paths."):
            continue
        for dotted in map(str, paths):
            if dotted == key or (dotted.startswith(key + ".") and _holds(value, dotted[len(key) + 1:])):
                raise ConfigError(source, key, f"follows a yearly path in this scenario ([paths] \"{dotted}\"), "
                                               "which would override this value in every year; change the path in "
                                               "a scenario file instead")


def _holds(table: Any, dotted: str) -> bool:
    """Whether ``table`` (an override's value) sets the dotted key ``dotted`` inside it (a value that is not a
    table replaces everything under it)."""
    for part in dotted.split("."):
        if not isinstance(table, dict):
            return True
        if part not in table:
            return False
        table = table[part]
    return True


def _read_with_base(path: Path, seen: tuple[Path, ...]) -> dict[str, Any]:
    """``path`` merged over the files it extends; ``seen``: the files that extend it, the first one first."""
    raw = read_toml(path)
    base_name = raw.pop("extends", None)
    if base_name is None:
        return raw
    if not isinstance(base_name, str):
        raise ConfigError(str(path), "extends", f"must be a file name, got {_describe(base_name)}")
    base_path = (path.parent / base_name).resolve()
    if base_path in seen or base_path == path.resolve():
        raise ConfigError(str(path), "extends", f"{base_name} extends itself in a loop")
    if len(seen) + 1 >= MAX_EXTENDS:
        first = seen[0] if seen else path
        raise ConfigError(str(path), "extends", f"{base_name} would be file {MAX_EXTENDS + 1} of the chain of "
                                                f"extends from {first}; a chain may hold at most {MAX_EXTENDS} files")
    try:
        kind = _not_a_file(base_path.stat().st_mode)
    except FileNotFoundError:
        raise ConfigError(str(path), "extends", f"no such file {base_name} beside {path.name}") from None
    except OSError as err:
        problem = path_problem(base_path, err)
        raise ConfigError(str(path), "extends", f"{base_name} cannot be read ({problem})") from None
    if kind is not None:
        raise ConfigError(str(path), "extends", f"{base_name} is {kind}, not a regular file")
    return _merge(_read_with_base(base_path, (*seen, path.resolve())), raw)


def _merge(base: dict[str, Any], top: dict[str, Any]) -> dict[str, Any]:
    out = copy.deepcopy(base)
    for key, value in top.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def config_as_raw(config: schema.Config) -> dict[str, Any]:
    """The config as the nested dict a TOML file would give (levers that are off left out)."""
    def strip(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: strip(v) for k, v in value.items() if v is not None}
        return value
    return strip(dataclasses.asdict(config))


def config_to_json(config: schema.Config) -> dict[str, Any]:
    """:func:`config_as_raw` with infinities written as the string "inf", for JSON."""
    def safe(value: Any) -> Any:
        if isinstance(value, dict):
            return {k: safe(v) for k, v in value.items()}
        if isinstance(value, list):
            return [safe(v) for v in value]
        if isinstance(value, float) and math.isinf(value):
            return "inf" if value > 0 else "-inf"
        return value
    return safe(config_as_raw(config))
