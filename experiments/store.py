"""A sweep's folder: manifest, status log and Parquet part files.

Layout::

    DIR/manifest.json        what was run: sweep file and hash, design table, seeds, versions, git, host, times
    DIR/status.jsonl         one line per finished attempt: run, status ok|failed, traceback, seconds, part
    DIR/results/part-*.parquet   yearly (or final) outputs of the runs of one task
    DIR/agents/part-*.parquet    agent rows, when the sweep keeps them

A part file is written under a temporary name and renamed, then the status
lines naming it are appended in one write. The status log is the record of what
is done: a part no ok line names (the process died between the two) is an
orphan, ignored by :func:`load` and removed on resume, and its runs run again.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import platform
import socket
import subprocess
import uuid
from collections.abc import Iterable
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from typing import Any

import pandas as pd

from simulation.machine import numeric_platform
from simulation.outputs import path_problem

MANIFEST = "manifest.json"
STATUS = "status.jsonl"
KINDS: tuple[str, ...] = ("results", "agents")
PACKAGES: tuple[str, ...] = ("talentflow", "numpy", "pandas", "pyarrow", "scipy", "mesa", "SALib", "dask",
                             "distributed", "tqdm")
KEYS: tuple[str, ...] = ("run", "point", "replicate", "year")


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
        try:
            return json.loads(self.manifest_path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise FolderError(f"{self.path}: not a sweep folder (no {MANIFEST})") from None
        except OSError as err:
            problem = path_problem(self.manifest_path, err)
            raise FolderError(f"{self.manifest_path}: cannot be read ({problem})") from None
        except json.JSONDecodeError as err:
            raise FolderError(f"{self.manifest_path}: cannot be read ({err})") from None

    def write_manifest(self, manifest: dict[str, Any]) -> None:
        write_json_atomic(self.manifest_path, manifest)

    def create(self) -> None:
        """Make the folder and its part folders."""
        for kind in KINDS:
            (self.path / kind).mkdir(parents=True, exist_ok=True)
        self.status_path.touch()

    # -------------------------------------------------------------- status log
    def records(self) -> list[dict[str, Any]]:
        """Every status line, oldest first (a line cut short by a crash is skipped)."""
        if not self.status_path.is_file():
            return []
        out = []
        for line in self.status_path.read_text(encoding="utf-8").splitlines():
            try:
                out.append(json.loads(line))
            except json.JSONDecodeError:
                continue
        return out

    def latest(self) -> dict[int, dict[str, Any]]:
        """The last status line of each run that has one."""
        return {rec["run"]: rec for rec in self.records()}

    def repair(self) -> list[Path]:
        """Before resuming: cut a half-written last status line, remove temporary files and orphan parts."""
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
                if item.name.endswith(".tmp") or f"{kind}/{item.name}" not in named:
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
    def write_part(self, kind: str, frame: pd.DataFrame, first_run: int) -> str:
        """Write ``frame`` as a new Parquet part (temporary name, then rename); returns its file name."""
        name = f"part-{first_run:07d}-{uuid.uuid4().hex[:12]}.parquet"
        final = self.path / kind / name
        tmp = final.with_name(f".{name}.tmp")
        frame.to_parquet(tmp, index=False)
        with tmp.open("rb") as handle:
            os.fsync(handle.fileno())
        os.replace(tmp, final)
        return name


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
    """
    store = Folder(Path(folder))
    manifest = store.read_manifest()
    kind = "agents" if agents else "results"
    wanted: dict[str, set[int]] = {}
    for run, rec in store.latest().items():
        if rec["status"] == "ok" and rec.get(kind):
            wanted.setdefault(rec[kind], set()).add(run)
    frames = []
    for name, runs in sorted(wanted.items()):
        frame = pd.read_parquet(store.path / kind / name)
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
