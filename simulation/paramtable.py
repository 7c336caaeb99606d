"""The parameter table of a scenario, from the schema's field metadata (for docs/ODD.md).

Every row is one config key: its value in the scenario, unit, allowed range,
origin (data, calibrated, assumed, design or policy), the prior range of an assumed value and description. An
assumed value set outside its prior range is shown as design, with no prior. Policy levers that the
scenario leaves off are listed with their defaults, marked as off.
"""

from __future__ import annotations

import dataclasses
import math
import os
import shutil
import types
import typing
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from simulation.schema import Config

#: Top-level keys that name the scenario rather than parametrise it.
SCENARIO_KEYS: tuple[str, ...] = ("name", "description")
HEADERS: tuple[str, ...] = ("parameter", "value", "unit", "range", "origin", "prior", "description")


@dataclass(frozen=True)
class ParameterRow:
    """One line of the parameter table."""

    key: str  # dotted config key
    value: str
    unit: str
    range: str
    origin: str  # data, calibrated, assumed, design or policy
    prior: str  # the prior range of an assumed value ('' for the others)
    description: str


def format_value(value: Any) -> str:
    """A config value as the table shows it: whole numbers from 10,000 with separators (years without),
    tables as 'key value' pairs."""
    if value is None:
        return "none"
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int):
        return f"{value:,}" if abs(value) >= 10_000 else str(value)
    if isinstance(value, float):
        if math.isinf(value):
            return "inf" if value > 0 else "-inf"
        if value.is_integer() and abs(value) < 1e15:
            return format_value(int(value))
        return f"{value:.6g}"
    if isinstance(value, dict):
        return ", ".join(f"{k} {format_value(v)}" for k, v in value.items())
    if isinstance(value, (list, tuple)):
        return ", ".join(format_value(v) for v in value)
    return str(value)


def format_range(meta: typing.Mapping[str, Any]) -> str:
    """The allowed range of a field: '[0, 1]', '(0, inf)', or the allowed keys of a list."""
    lo, hi = meta.get("lo"), meta.get("hi")
    if lo is None and hi is None:
        keys = meta.get("keys")
        return f"any of {', '.join(keys)}" if keys else ""
    left = "(" if meta.get("lo_open") or lo is None else "["
    right = ")" if hi is None else "]"
    lo_text = "-inf" if lo is None else format_value(float(lo))
    hi_text = "inf" if hi is None else format_value(float(hi))
    return f"{left}{lo_text}, {hi_text}{right}"


def _optional_dataclass(tp: Any) -> type | None:
    """The dataclass inside ``X | None``, or None."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        inner = [a for a in typing.get_args(tp) if a is not type(None)]
        if len(inner) == 1 and dataclasses.is_dataclass(inner[0]):
            return inner[0]
    return None


def dataclass_rows(obj: Any, prefix: str, note: str = "") -> list[ParameterRow]:
    """Rows for every field of the dataclass instance ``obj``, nested dataclasses expanded."""
    rows = []
    hints = typing.get_type_hints(type(obj))
    for f in dataclasses.fields(obj):
        key = f"{prefix}.{f.name}" if prefix else f.name
        value = getattr(obj, f.name)
        optional = _optional_dataclass(hints[f.name])
        if optional is not None:
            rows += dataclass_rows(value if value is not None else optional(), key,
                                   note if value is not None else "default; lever off")
            continue
        if dataclasses.is_dataclass(value):
            rows += dataclass_rows(value, key, note)
            continue
        if isinstance(value, dict) and value and all(dataclasses.is_dataclass(v) for v in value.values()):
            for name, item in value.items():
                rows += dataclass_rows(item, f"{key}.{name}", note)
            continue
        meta = f.metadata
        shown = format_value(value)
        prior, origin = meta.get("prior"), meta.get("origin", "")
        if prior and origin == "assumed" and not prior[0] <= value <= prior[1]:
            # An assumed value the scenario sets outside the prior (the US mentor weight, 0: US mentor quality is
            # set, not made by the simulated researchers) is a choice of design, not a draw from that prior.
            prior, origin = None, "design"
        rows.append(ParameterRow(key=key, value=f"{shown} ({note})" if note else shown, unit=meta.get("unit", ""),
                                 range=format_range(meta), origin=origin,
                                 prior=f"{format_value(float(prior[0]))} to {format_value(float(prior[1]))}"
                                 if prior else "", description=meta.get("doc", "")))
    return rows


def parameter_rows(config: Config) -> list[ParameterRow]:
    """The parameter table of ``config``: every key but the scenario's name and description."""
    return [row for row in dataclass_rows(config, "") if row.key not in SCENARIO_KEYS]


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(rows: list[ParameterRow]) -> str:
    """The rows as a Markdown table."""
    lines = ["| " + " | ".join(HEADERS) + " |", "|" + "|".join("---" for _ in HEADERS) + "|"]
    for row in rows:
        cells = [f"`{row.key}`", row.value, row.unit, row.range, row.origin, row.prior, row.description]
        lines.append("| " + " | ".join(_cell(c) for c in cells) + " |")
    return "\n".join(lines)


#: The lines between which :func:`insert_table` writes the table.
START, END = "<!-- params:start -->", "<!-- params:end -->"


def _read_document(path: Path) -> str:
    """The text of the document at ``path`` (ValueError, one line, if it is missing, not a file or not UTF-8)."""
    if path.exists() and not path.is_file():  # a device (/dev/zero would be read for ever) or a folder
        raise ValueError(f"{path}: is not a regular file")
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise ValueError(f"{path}: is not UTF-8 text") from None
    except FileNotFoundError:
        raise ValueError(f"{path}: no such file") from None
    except OSError as err:
        raise ValueError(f"{path}: cannot be read ({err.strerror or err})") from None


def _check_markers(path: Path, document: str, name: str) -> None:
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    if start not in document or end not in document or document.index(start) > document.index(end):
        raise ValueError(f"{path}: needs a '{start}' line before a '{end}' line")


def check_between(path: Path, names: Iterable[str]) -> None:
    """Raise ValueError (one line) unless :func:`insert_between` could write each of ``names`` into ``path``:
    the document exists, is a regular UTF-8 file and has each name's start and end lines. Nothing is written."""
    document = _read_document(path)
    for name in names:
        _check_markers(path, document, name)


def insert_between(path: Path, name: str, text: str) -> None:
    """Replace what stands between the ``<!-- NAME:start -->`` and ``<!-- NAME:end -->`` lines of the document at
    ``path`` with ``text`` (ValueError, one line, if the markers are missing)."""
    start, end = f"<!-- {name}:start -->", f"<!-- {name}:end -->"
    document = _read_document(path)
    _check_markers(path, document, name)
    head, rest = document.split(start, 1)
    _, tail = rest.split(end, 1)
    updated = f"{head}{start}\n{text}\n{end}{tail}"
    # Written beside the document (a link's target), then moved over it: never left half-written. A folder that
    # takes no new file (read-only, the document writable) gets the document rewritten in place instead.
    target = path.resolve()
    staged = target.with_name(f".{target.name}.{os.getpid()}.tmp")
    try:
        staged.write_text(updated, encoding="utf-8")
    except PermissionError:
        target.write_text(updated, encoding="utf-8")
        return
    try:
        shutil.copymode(target, staged)
        os.replace(staged, target)
    except BaseException:
        staged.unlink(missing_ok=True)
        raise


def insert_table(path: Path, table: str) -> None:
    """Write the parameter table into the document at ``path`` between its :data:`START` and :data:`END` lines."""
    insert_between(path, "params", table)
