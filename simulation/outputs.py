"""Output folders that appear whole or not at all.

A run's files are written into a hidden temporary sibling of the output
folder, which is renamed into place only once every file is written: a run
that fails leaves nothing behind. An existing folder is replaced only when it
is empty or holds an earlier talentflow output (marked by one of the files of
:data:`MARKERS`, e.g. its run.json); anything else is refused, so a typo in
``--out`` cannot wipe a folder of someone's files.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

#: Marker file -> the ``kind`` it records, for each kind of talentflow output folder (every command that
#: writes one, the experiments' included, declares its marker here, so that any of them may replace it).
MARKERS: dict[str, str] = {"run.json": "talentflow run", "compare.json": "talentflow compare",
                           "report.json": "talentflow report", "calibration.json": "talentflow calibrate",
                           "facts.json": "talentflow validation"}


class OutputError(ValueError):
    """An output folder that must not be written: the folder and why, on one line."""

    def __init__(self, path: str | Path, message: str) -> None:
        self.path, self.message = str(path), message
        super().__init__(f"{path}: {message}")


def folder_name(name: str) -> str:
    """``name`` made safe as a single folder name (letters, digits, ``_ . -``; others become ``_``)."""
    safe = re.sub(r"[^A-Za-z0-9_.-]+", "_", name).strip("._")
    return safe or "run"


def is_previous_output(path: Path) -> bool:
    """Whether ``path`` is a folder written by talentflow (its marker file names the kind)."""
    for marker, kind in MARKERS.items():
        try:
            meta = json.loads((path / marker).read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue
        if isinstance(meta, dict) and meta.get("kind") == kind:
            return True
    return False


def check_output_folder(path: str | Path) -> None:
    """Raise :class:`OutputError` unless ``path`` is absent, an empty folder or an earlier talentflow output."""
    path = Path(path)
    if not path.exists():
        if path.is_symlink():
            raise OutputError(path, "is a broken link; choose another folder")
        return
    if not path.is_dir():
        raise OutputError(path, "exists and is not a folder; choose another folder")
    cwd = Path.cwd().resolve()
    if cwd == path.resolve() or path.resolve() in cwd.parents:
        raise OutputError(path, "is the current folder or holds it, and would be replaced; choose another folder")
    if any(path.iterdir()) and not is_previous_output(path):
        raise OutputError(path, "is a folder with other files, not an earlier talentflow output "
                                "(no run.json); choose a new or empty folder")


def _make_parents(folder: Path) -> list[Path]:
    """Create the missing ancestors of ``folder``; return those created, deepest first."""
    missing = []
    for parent in folder.parents:
        if parent.exists():
            break
        missing.append(parent)
    try:
        folder.parent.mkdir(parents=True, exist_ok=True)
    except OSError as err:
        raise OutputError(folder, f"cannot create its parent folder ({err.strerror or err})") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


@contextmanager
def output_folder(path: str | Path) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success it replaces ``path``, on failure it vanishes.

    ``path`` is checked with :func:`check_output_folder` first. Parent folders
    created here are removed again if writing fails.
    """
    shown = Path(path)
    check_output_folder(shown)
    path = shown.resolve()  # so that "." or "runs/.." name a real folder with a parent to write beside
    if path == path.parent:
        raise OutputError(shown, "is the root folder; choose another folder")
    created = _make_parents(path)
    staging = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.partial"
    try:
        staging.mkdir()  # not tempfile.mkdtemp: the folder gets the user's usual permissions
    except OSError as err:
        _remove_empty(created)
        raise OutputError(shown, f"cannot write beside it ({err.strerror or err})") from None
    try:
        yield staging
        _swap_into_place(staging, path)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise


def _swap_into_place(staging: Path, path: Path) -> None:
    """Rename ``staging`` to ``path``, moving an earlier output out of the way first."""
    check_output_folder(path)  # again: something may have appeared there while we simulated
    if not path.exists():
        os.rename(staging, path)
        return
    old = path.parent / f".{path.name}.{uuid.uuid4().hex[:12]}.old"
    os.rename(path, old)
    try:
        os.rename(staging, path)
    except OSError:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)
