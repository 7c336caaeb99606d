"""A sweep's folder: manifest, status log and Parquet part files.

Layout::

    DIR/manifest.json        what was run: sweep file and hash, design table, seeds, versions, git, host, times
    DIR/status.jsonl         one line per finished attempt: run, status ok|failed, traceback, seconds, part
    DIR/results/part-*.parquet   yearly (or final) outputs of the runs of one task
    DIR/agents/part-*.parquet    agent rows, when the sweep keeps them

A part file is written under a temporary name and renamed, then the status
lines naming it, with its size and sha256, are appended in one write. The status
log is the record of what is done: a part no ok line names (the process died
between the two) is an orphan, ignored by :func:`load` and removed on resume,
and its runs run again. A part that is missing or differs from its recorded size
or sha256 is bad: ``talentflow status`` lists it, a resume runs its runs again,
and :func:`load` refuses it (one line). Files the sweep did not write (any name
but its own part names) are left alone and ignored.
"""

from __future__ import annotations

import contextlib
import datetime
import fcntl
import hashlib
import io
import json
import math
import os
import platform
import re
import socket
import subprocess
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.machine import numeric_platform
from simulation.outputs import path_problem

MANIFEST = "manifest.json"
STATUS = "status.jsonl"
#: The lock file a running sweep holds (fcntl.flock; released when the process ends, even if killed).
LOCK = "sweep.lock"
KINDS: tuple[str, ...] = ("results", "agents")
PACKAGES: tuple[str, ...] = ("talentflow", "numpy", "numba", "pandas", "pyarrow", "scipy", "mesa", "SALib", "dask",
                             "distributed", "tqdm")
KEYS: tuple[str, ...] = ("run", "point", "replicate", "year")
STATUSES: tuple[str, ...] = ("ok", "failed")
#: The name of a part file (:meth:`Folder.write_part`): the task's first run and a random tag. Only files of this
#: name (and their temporary names) are the sweep's own; a status line naming anything else is refused.
PART_NAME = re.compile(r"part-[0-9]{7,}-[0-9a-f]{12}\.parquet")
TEMPORARY_NAME = re.compile(r"\.part-[0-9]{7,}-[0-9a-f]{12}\.parquet\.tmp")
SHA256 = re.compile(r"[0-9a-f]{64}")


class FolderError(ValueError):
    """A folder that is not (or no longer matches) the sweep: one line naming it and what is wrong."""


def now() -> str:
    """The current time, ISO 8601 with time zone."""
    return datetime.datetime.now(datetime.UTC).isoformat(timespec="seconds")


def package_versions() -> dict[str, str]:
    """Installed versions of the packages that shape the results, and Python's."""
    out = {"python": platform.python_version()}
    for name in PACKAGES:
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "not installed"
    return out


def git_state(folder: Path) -> dict[str, Any]:
    """Commit and dirty flag of the git tree holding ``folder`` (None when git or the repo is missing)."""
    env = {**os.environ, "GIT_OPTIONAL_LOCKS": "0"}  # read only: never refresh the index

    def git(*args: str) -> str | None:
        try:
            done = subprocess.run(["git", "-C", str(folder), *args], capture_output=True, text=True, timeout=10,
                                  env=env, check=False)
        except (OSError, subprocess.TimeoutExpired):
            return None
        return done.stdout if done.returncode == 0 else None

    commit = git("rev-parse", "HEAD")
    if commit is None:
        return {"commit": None, "dirty": None}
    status = git("status", "--porcelain", "--untracked-files=no")
    return {"commit": commit.strip(), "dirty": None if status is None else bool(status.strip())}


def write_json_atomic(path: Path, data: Any) -> None:
    """Write JSON under a temporary name in the same folder, then rename over ``path``."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    with tmp.open("w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=1)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)


def configs_sha256(configs: Iterable[dict[str, Any]]) -> str:
    """Hash of the points' configs (as JSON), to notice a base config edited under a running sweep."""
    digest = hashlib.sha256()
    for config in configs:
        digest.update(json.dumps(config, sort_keys=True).encode())
    return digest.hexdigest()


@dataclass
class Folder:
    """The files of one sweep."""

    path: Path

    @property
    def manifest_path(self) -> Path:
        return self.path / MANIFEST

    @property
    def status_path(self) -> Path:
        return self.path / STATUS

    # -------------------------------------------------------------- manifest
    def exists(self) -> bool:
        return self.manifest_path.is_file()

    def read_manifest(self) -> dict[str, Any]:
        """The manifest; FolderError (one line) when it is missing, unreadable or not a sweep manifest, or when the
        folder is a report bundle (which holds a copy of its sweep's manifest)."""
        if (self.path / "report.json").is_file():
            raise FolderError(f"{self.path}: is a report of a sweep (report.json), not a sweep folder; give the "
                              "sweep's own folder")
        try:
            manifest = json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FolderError(f"{self.path}: not a sweep folder (no {MANIFEST})") from None
        except OSError as err:
            problem = path_problem(self.manifest_path, err)
            raise FolderError(f"{self.manifest_path}: cannot be read ({problem})") from None
        except (UnicodeDecodeError, json.JSONDecodeError) as err:
            raise FolderError(f"{self.manifest_path}: cannot be read ({err})") from None
        problem = manifest_problem(manifest)
        if problem:
            raise FolderError(f"{self.manifest_path}: is not a sweep manifest: {problem}")
        return manifest

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest)

    def is_blank(self) -> bool:
        """Whether the folder holds nothing but what a sweep killed before its manifest leaves: its lock file,
        empty part folders and an empty status log."""
        for item in self.path.iterdir():
            if item.name == LOCK and item.is_file():
                continue
            if item.name in KINDS and item.is_dir() and not any(item.iterdir()):
                continue
            if item.name == STATUS and item.is_file() and item.stat().st_size == 0:
                continue
            return False
        return True

    @contextlib.contextmanager
    def lock(self) -> Iterator[None]:
        """Hold the folder's lock file (creating the folder) while the block runs; FolderError if another
        process holds it. The lock goes with the process: a sweep killed with SIGKILL blocks no one."""
        try:
            self.path.mkdir(parents=True, exist_ok=True)
            handle = (self.path / LOCK).open("a+", encoding="utf-8")
        except OSError as err:
            raise FolderError(f"{self.path}: cannot create its lock file ({err.strerror or err})") from None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                handle.seek(0)
                holder = handle.read(200).strip() or "another process"
                raise FolderError(f"{self.path}: another sweep is running into this folder ({holder}); wait for it "
                                  "to finish or use another --out") from None
            handle.seek(0)
            handle.truncate()
            handle.write(f"pid {os.getpid()} on {socket.gethostname()}")
            handle.flush()
            yield

    def running(self) -> str | None:
        """Who holds the folder's lock (a sweep running into it: "pid N on HOST"), or None; takes no lock."""
        try:
            handle = (self.path / LOCK).open("r", encoding="utf-8")
        except OSError:
            return None
        with handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_SH | fcntl.LOCK_NB)
            except BlockingIOError:
                return handle.read(200).strip() or "another process"
            except OSError:
                return None
            fcntl.flock(handle, fcntl.LOCK_UN)
            return None

    def create(self) -> None:
        """Make the folder and its part folders."""
        for kind in KINDS:
            (self.path / kind).mkdir(parents=True, exist_ok=True)
        self.status_path.touch()

    # -------------------------------------------------------------- status log
    def records(self) -> list[dict[str, Any]]:
        """Every status line, oldest first (a line cut short by a crash is skipped).

        Raises FolderError (one line) for a line that is JSON but not a status record, or that names a part
        outside the sweep's part folders.
        """
        if not self.status_path.is_file():
            return []
        try:
            text = self.status_path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as err:
            raise FolderError(f"{self.status_path}: cannot be read ({err})") from None
        out = []
        for number, line in enumerate(text.splitlines(), start=1):
            try:
                rec = json.loads(line)
            except json.JSONDecodeError:
                continue
            problem = record_problem(rec)
            if problem:
                raise FolderError(f"{self.status_path}: line {number}: {problem}; it was not written by talentflow "
                                  "sweep (remove the line to run that run again)")
            out.append(rec)
        return out

    def latest(self) -> dict[int, dict[str, Any]]:
        """The last status line of each run that has one."""
        return {rec["run"]: rec for rec in self.records()}

    def bad_parts(self, latest: dict[int, dict[str, Any]]) -> dict[str, tuple[str, list[int]]]:
        """The parts the ok lines of ``latest`` name that are missing or differ from their recorded size or sha256.

        Returns ``kind/name`` -> (what is wrong, the runs it holds).
        """
        parts: dict[str, list[dict[str, Any]]] = {}
        for rec in latest.values():
            for kind in KINDS:
                if rec["status"] == "ok" and rec.get(kind):
                    parts.setdefault(f"{kind}/{rec[kind]}", []).append(rec)
        out = {}
        for part, recs in parts.items():
            problem = part_problem(self.path / part, recs[0], part.split("/")[0])
            if problem:
                out[part] = (problem, sorted(r["run"] for r in recs))
        return out

    def repair(self) -> list[Path]:
        """Before resuming: cut a half-written last status line, remove the sweep's temporary and orphan parts.

        Only files of the sweep's own part names are removed; anything else in the part folders is left alone.
        """
        if self.status_path.is_file():
            data = self.status_path.read_bytes()
            if data and not data.endswith(b"\n"):
                with self.status_path.open("r+b") as handle:
                    handle.truncate(data.rfind(b"\n") + 1)
        named = set()
        for rec in self.records():
            for kind in KINDS:
                if rec.get(kind):
                    named.add(f"{kind}/{rec[kind]}")
        removed = []
        for kind in KINDS:
            folder = self.path / kind
            if not folder.is_dir():
                continue
            for item in folder.iterdir():
                own = TEMPORARY_NAME.fullmatch(item.name) or (PART_NAME.fullmatch(item.name)
                                                              and f"{kind}/{item.name}" not in named)
                if own and item.is_file() and not item.is_symlink():
                    item.unlink()
                    removed.append(item)
        return removed

    def append(self, records: list[dict[str, Any]]) -> None:
        """Append status lines in one write, then flush them to disk."""
        text = "".join(json.dumps(rec) + "\n" for rec in records).encode()
        fd = os.open(self.status_path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(fd, text)
            os.fsync(fd)
        finally:
            os.close(fd)

    # -------------------------------------------------------------- parts
    def write_part(self, kind: str, frame: pd.DataFrame, first_run: int) -> Part:
        """Write ``frame`` as a new Parquet part (temporary name, then rename); returns its name, size and sha256.

        The temporary file is removed if writing fails (a full disk, say).
        """
        name = f"part-{first_run:07d}-{uuid.uuid4().hex[:12]}.parquet"
        final = self.path / kind / name
        tmp = final.with_name(f".{name}.tmp")
        buffer = io.BytesIO()
        frame.to_parquet(buffer, index=False)
        data = buffer.getvalue()
        try:
            with tmp.open("wb") as handle:
                handle.write(data)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, final)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return Part(name, len(data), hashlib.sha256(data).hexdigest())

    def read_part(self, kind: str, rec: dict[str, Any]) -> pd.DataFrame:
        """The part of ``kind`` a status line names, checked against its recorded size and sha256.

        Raises FolderError (one line) for a part that is missing, differs, or is not Parquet.
        """
        path = self.path / kind / rec[kind]
        try:
            data = path.read_bytes()
        except OSError as err:
            raise self._bad(kind, rec, f"cannot be read ({err.strerror or err})") from None
        problem = _content_problem(data, rec, kind)
        if problem:
            raise self._bad(kind, rec, problem)
        try:
            return pd.read_parquet(io.BytesIO(data))
        except (OSError, ValueError) as err:
            raise self._bad(kind, rec, f"is not a Parquet file ({err})") from None

    def _bad(self, kind: str, rec: dict[str, Any], problem: str) -> FolderError:
        return FolderError(f"{self.path / kind / rec[kind]}: {problem}; run the sweep again on {self.path} "
                           "(talentflow sweep FILE --out DIR) to recompute its runs")


@dataclass(frozen=True)
class Part:
    """A written part file: its name in its kind's folder, its size (bytes) and its sha256 (hex)."""

    name: str
    size: int
    sha256: str


def _whole(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool) and value >= 0


def _iso_time(value: Any) -> bool:
    if not isinstance(value, str):
        return False
    try:
        datetime.datetime.fromisoformat(value)
    except ValueError:
        return False
    return True


def _number(value: Any) -> bool:
    """A finite JSON number (not true or false, not NaN, not an integer too large for a float)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False
    try:
        return math.isfinite(value)
    except OverflowError:
        return False


#: Manifest fields the commands read besides the sweep table, runs, sessions, parameters and design table:
#: what each must be, and the test.
MANIFEST_FIELDS: dict[str, tuple[str, Any]] = {
    "design": ("a string", lambda v: isinstance(v, str)),
    "replicates": ("a whole number >= 1", lambda v: _whole(v) and v >= 1),
    "years": ("a whole number >= 1", lambda v: _whole(v) and v >= 1),
    "keep": ("yearly or final", lambda v: v in ("yearly", "final")),
    "base": ("a file path (a string)", lambda v: isinstance(v, str) and bool(v)),
    "common_random_numbers": ("true or false", lambda v: isinstance(v, bool)),
}


def _got(container: Any, key: Any) -> str:
    """``got VALUE`` (its repr, cut to 60 characters) or ``it is missing``, for a one-line message."""
    if isinstance(container, dict) and key not in container:
        return "it is missing"
    shown = repr(container[key])
    return f"got {shown if len(shown) <= 60 else shown[:57] + '...'}"


def _objects_problem(manifest: dict[str, Any], key: str, what: str) -> str | None:
    """What is wrong with ``manifest[key]`` as a list of objects (``what`` they are), None if nothing."""
    items = manifest.get(key)
    if not isinstance(items, list):
        return f"{key} must be a list of {what}, {_got(manifest, key)}"
    for i, item in enumerate(items):
        if not isinstance(item, dict):
            return f"{key}[{i}] must be an object, one of {what}, {_got(items, i)}"
    return None


def manifest_problem(manifest: Any) -> str | None:
    """What is wrong with parsed JSON as a sweep manifest, naming the key (None when it has the shape of one).

    Checks the fields ``talentflow status``, ``sweep`` (resuming), :func:`load` and ``talentflow report`` read:
    the sweep table's name and path, the runs, the sessions and their start times, the varied parameters, the
    design table, and the design, replicates, years, keep, base and common_random_numbers.
    """
    if not isinstance(manifest, dict):
        return f"it is {type(manifest).__name__} JSON, not an object"
    sweep = manifest.get("sweep")
    if not isinstance(sweep, dict):
        return f"sweep must be a table of the sweep file's name and path, {_got(manifest, 'sweep')}"
    for key in ("name", "path"):
        if not isinstance(sweep.get(key), str) or not sweep[key]:
            return f"sweep.{key} must be a non-empty string, {_got(sweep, key)}"
    problem = _objects_problem(manifest, "runs", "runs with their run, point and replicate numbers")
    if problem:
        return problem
    for i, run in enumerate(manifest["runs"]):
        for key in ("run", "point", "replicate"):
            if not _whole(run.get(key)):
                return f"runs[{i}].{key} must be a whole number >= 0, {_got(run, key)}"
    problem = _objects_problem(manifest, "sessions", "the sessions that ran the sweep, with their start times")
    if problem:
        return problem
    for i, session in enumerate(manifest["sessions"]):
        if not _iso_time(session.get("started")):
            return f"sessions[{i}].started must be an ISO 8601 time, {_got(session, 'started')}"
    parameters = manifest.get("parameters")
    if not isinstance(parameters, list) or not all(isinstance(p, str) for p in parameters):
        return f"parameters must be a list of the varied parameters' names, {_got(manifest, 'parameters')}"
    problem = _objects_problem(manifest, "design_table", "the points with their point numbers and parameters")
    if problem:
        return problem
    table = manifest["design_table"]
    points = set()
    for i, row in enumerate(table):
        if not _whole(row.get("point")) or row["point"] in points:
            return f"design_table[{i}].point must be a whole number >= 0 no other row has, {_got(row, 'point')}"
        points.add(row["point"])
    columns = {key for row in table for key in row}
    for name in parameters:
        if name not in columns:
            return f"design_table has no column {name!r}, a name in parameters"
    for key, (allowed, test) in MANIFEST_FIELDS.items():
        if not test(manifest.get(key)):
            return f"{key} must be {allowed}, {_got(manifest, key)}"
    return None


def record_problem(rec: Any) -> str | None:
    """What is wrong with a parsed status line (None when it is a status record)."""
    if not isinstance(rec, dict):
        return f"is {type(rec).__name__} JSON, not a status record (an object)"
    for key in ("run", "point", "replicate"):
        if not _whole(rec.get(key)):
            return f"{key} must be a whole number >= 0, got {rec.get(key)!r}"
    if rec.get("status") not in STATUSES:
        return f"status must be one of {', '.join(STATUSES)}, got {rec.get('status')!r}"
    for kind in KINDS:
        name = rec.get(kind)
        if name is None:
            continue
        if not isinstance(name, str) or not PART_NAME.fullmatch(name):
            return f"{kind} must name a part file in {kind}/ (part-NNNNNNN-TAG.parquet), got {name!r}"
        size, sha = rec.get(f"{kind}_bytes"), rec.get(f"{kind}_sha256")
        if size is not None and (isinstance(size, bool) or not isinstance(size, int) or size < 0):
            return f"{kind}_bytes must be a whole number >= 0, got {size!r}"
        if sha is not None and (not isinstance(sha, str) or not SHA256.fullmatch(sha)):
            return f"{kind}_sha256 must be 64 hexadecimal digits, got {sha!r}"
    if not _number(rec.get("time")):
        return f"time must be a number (seconds since 1970), {_got(rec, 'time')}"
    if rec.get("traceback") is not None and not isinstance(rec["traceback"], str):
        return f"traceback must be a string or null, {_got(rec, 'traceback')}"
    if rec["status"] == "ok" and not rec.get("results"):
        return "an ok line must name its results part"
    return None


def _content_problem(data: bytes, rec: dict[str, Any], kind: str) -> str | None:
    """How a part's bytes differ from the size and sha256 its status line records (None when they match)."""
    size, sha = rec.get(f"{kind}_bytes"), rec.get(f"{kind}_sha256")
    if size is not None and len(data) != size:
        return f"is {len(data):,} bytes, {STATUS} recorded {size:,}"
    if sha is not None and hashlib.sha256(data).hexdigest() != sha:
        return f"its sha256 differs from the one {STATUS} recorded"
    return None


def part_problem(path: Path, rec: dict[str, Any], kind: str) -> str | None:
    """What is wrong with the part at ``path`` that ``rec`` names (None when it matches its record)."""
    if not path.is_file():
        return "missing" if not path.exists() else "is not a file"
    size = rec.get(f"{kind}_bytes")
    try:
        if size is not None and path.stat().st_size != size:
            return f"is {path.stat().st_size:,} bytes, {STATUS} recorded {size:,}"
        return _content_problem(path.read_bytes(), rec, kind)
    except OSError as err:
        return f"cannot be read ({err.strerror or err})"


def host() -> dict[str, Any]:
    """Where the sweep ran, with what decides the last bits of its numbers (see :mod:`simulation.machine`)."""
    return {"hostname": socket.gethostname(), "platform": platform.platform(), "cpus": os.cpu_count(),
            "pid": os.getpid(), "numeric": numeric_platform()}


def load(folder: str | Path, *, agents: bool = False) -> pd.DataFrame:
    """The finished runs of a sweep as one tidy DataFrame.

    Keyed by (run, point, replicate, year), sorted by them, with the varied
    parameters as columns (``arm`` for an arms design) after the keys, then the
    model outputs. With ``agents=True``, the agent rows instead (keyed by run and
    the agent's id and year). Runs not finished (pending or failed) are absent.
    Raises FolderError (one line) for a folder that is not a sweep, a status line
    that is not a status record, or a part that is missing or damaged.
    """
    store = Folder(Path(folder))
    manifest = store.read_manifest()
    kind = "agents" if agents else "results"
    wanted: dict[str, tuple[dict[str, Any], set[int]]] = {}
    for run, rec in store.latest().items():
        if rec["status"] == "ok" and rec.get(kind):
            wanted.setdefault(rec[kind], (rec, set()))[1].add(run)
    frames = []
    for _, (rec, runs) in sorted(wanted.items()):
        frame = store.read_part(kind, rec)
        frames.append(frame[frame["run"].isin(runs)])
    parameters = list(manifest["parameters"])
    design = pd.DataFrame(manifest["design_table"])[["point", *parameters]]
    if not frames:
        columns = [*KEYS, *parameters] if not agents else ["run", "point", "replicate", *parameters]
        return pd.DataFrame(columns=columns)
    data = pd.concat(frames, ignore_index=True)
    data = data.merge(design, on="point", how="left", validate="many_to_one")
    keys = [k for k in KEYS if k in data.columns] if not agents else ["run", "point", "replicate"]
    order = [*keys, *parameters]
    data = data[[*order, *(c for c in data.columns if c not in order)]]
    sort = [*keys, "id"] if agents and "id" in data.columns else keys
    if agents and "year" in data.columns:
        sort = ["run", "year", "id"]
    return data.sort_values(sort, kind="stable").reset_index(drop=True)
