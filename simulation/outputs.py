"""Output folders that appear whole or not at all, and never lose a file talentflow did not write.

A run's files are written into a hidden temporary sibling of the output
folder, which is moved into place only once every file is written: a run
that fails leaves nothing behind. An existing folder is written only when it
is empty or holds an earlier talentflow output of the same kind (marked by one
of the files of :data:`MARKERS`, e.g. its run.json); anything else is refused,
so a typo in ``--out`` cannot touch a folder of someone's files.

Each marker lists the files its output wrote (``files``; an entry ending in
``/`` is a folder whose own marker lists its files). A new output replaces only
those: a folder holding nothing else is swapped whole, one that also holds
files of the user's (notes, drafts) is written around them.
"""

from __future__ import annotations

import contextlib
import json
import os
import re
import shutil
import socket
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path, PurePosixPath
from typing import Any

from simulation.processes import process_runs

#: Marker file -> the ``kind`` it records, for each kind of talentflow output folder (every command that
#: writes one, the experiments' included, declares its marker here).
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


def _read_marker(path: Path) -> dict[str, Any] | None:
    """The JSON of the marker file ``path`` if it is one (the ``kind`` of its name), else None."""
    try:
        meta = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return meta if isinstance(meta, dict) and meta.get("kind") == MARKERS.get(path.name) else None


def previous_kind(path: Path) -> str | None:
    """The kind of the talentflow output in the folder ``path`` (e.g. "talentflow run"), or None."""
    for marker, kind in MARKERS.items():
        if _read_marker(path / marker) is not None:
            return kind
    return None


def is_previous_output(path: Path) -> bool:
    """Whether ``path`` is a folder written by talentflow (its marker file names the kind)."""
    return previous_kind(path) is not None


def _inside(entry: str) -> bool:
    """Whether a marker's entry names a path inside its folder (relative, without ``..``)."""
    relative = PurePosixPath(entry)
    return bool(relative.parts) and not relative.is_absolute() and ".." not in relative.parts and "\\" not in entry


def written_files(folder: Path) -> set[str]:
    """The files (POSIX paths relative to ``folder``) that the talentflow output in ``folder`` lists as its own.

    The markers themselves count; an entry ``name/`` adds the files that the
    marker inside ``name`` lists. Entries outside the folder are ignored.
    """
    found: set[str] = set()
    for marker in MARKERS:
        meta = _read_marker(folder / marker)
        if meta is None:
            continue
        found.add(marker)
        entries = meta.get("files")
        for entry in entries if isinstance(entries, list) else []:
            if not isinstance(entry, str) or not _inside(entry):
                continue
            sub = folder / entry
            if not entry.endswith("/"):
                found.add(PurePosixPath(entry).as_posix())
            elif sub.is_dir() and not sub.is_symlink():
                found |= {f"{PurePosixPath(entry)}/{name}" for name in written_files(sub)}
    return found


def _lists_files(folder: Path) -> bool:
    """Whether a marker in ``folder`` lists its files (those of older versions did not)."""
    return any(isinstance((_read_marker(folder / marker) or {}).get("files"), list) for marker in MARKERS)


def check_output_folder(path: str | Path, marker: str | None = None) -> None:
    """Raise :class:`OutputError` unless ``path`` is absent, an empty folder or an earlier talentflow output.

    ``marker`` is the marker file of the output about to be written (a key of
    :data:`MARKERS`): an earlier output of another kind is then refused too.
    """
    path = Path(path)
    too_long = long_name(path)
    if too_long is not None:  # refused now, not once the run is done and its folder cannot be made
        raise OutputError(path, f"cannot be used ({too_long}); choose another folder")
    try:
        exists = path.exists()
    except OSError as err:
        raise OutputError(path, f"cannot be used ({path_problem(path, err)}); choose another folder") from None
    if not exists:
        if path.is_symlink():
            raise OutputError(path, "is a broken link; choose another folder")
        return
    if not path.is_dir():
        raise OutputError(path, "exists and is not a folder; choose another folder")
    cwd = Path.cwd().resolve()
    if cwd == path.resolve() or path.resolve() in cwd.parents:
        raise OutputError(path, "is the current folder or holds it, and would be replaced; choose another folder")
    if not any(path.iterdir()):
        return
    kind = previous_kind(path)
    if kind is None:
        expected = f" (no {marker})" if marker is not None else ""
        raise OutputError(path, f"is a folder with other files, not an earlier talentflow output{expected}; "
                                "choose a new or empty folder")
    if marker is not None and kind != MARKERS[marker]:
        raise OutputError(path, f"holds the output of {kind}, which {MARKERS[marker]} does not replace; "
                                "choose another folder")


#: The longest file or folder name, in bytes, that common file systems (ext4, XFS, APFS, NTFS) allow.
NAME_MAX = 255


def long_name(path: str | Path) -> str | None:
    """What is wrong if a file or folder name in ``path`` is longer than :data:`NAME_MAX` bytes, else None."""
    lengths = [len(os.fsencode(part)) for part in Path(path).parts]
    longest = max(lengths, default=0)
    return f"a name in it is {longest:,} bytes long; at most {NAME_MAX} are allowed" if longest > NAME_MAX else None


def path_problem(path: str | Path, err: OSError) -> str:
    """What is wrong with ``path``, given the error of using it: a name that is too long said plainly."""
    return long_name(path) or err.strerror or str(err)


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
        raise OutputError(folder, f"cannot create its parent folder ({path_problem(folder, err)})") from None
    return missing


def _remove_empty(folders: list[Path]) -> None:
    for folder in folders:
        try:
            folder.rmdir()
        except OSError:
            break


def _sibling(path: Path, suffix: str) -> Path:
    """A hidden, unique sibling of ``path`` (its name shortened to stay a valid name), naming this machine and
    process (see :func:`_remove_abandoned`)."""
    return path.parent / f".{path.name[:64]}.{_WRITER}.{uuid.uuid4().hex[:12]}.{suffix}"


def _host() -> str:
    """This machine's name as a file name may hold it (letters, digits and dashes)."""
    return re.sub(r"[^A-Za-z0-9-]", "-", socket.gethostname())[:32] or "host"


#: Who writes a staging folder: this machine and process, ``HOST-PID``.
_WRITER = f"{_host()}-{os.getpid()}"


def _remove_abandoned(path: Path) -> None:
    """Remove the staging folders of ``path`` left by processes of this machine that no longer run (killed
    mid-write: a SIGKILL runs no clean-up). Those of running processes are theirs, those written from another
    machine (a shared file system) are left alone, and so are those of other outputs ("run.2024" beside "run")."""
    pattern = re.compile(re.escape(f".{path.name[:64]}.{_host()}-") + r"([0-9]+)\.[0-9a-f]{12}\.partial")
    try:
        siblings = list(path.parent.iterdir())
    except OSError:
        return
    for sibling in siblings:
        found = pattern.fullmatch(sibling.name)
        if found and not process_runs(int(found.group(1))) and sibling.is_dir() and not sibling.is_symlink():
            shutil.rmtree(sibling, ignore_errors=True)


@contextmanager
def output_folder(path: str | Path, marker: str | None = None) -> Iterator[Path]:
    """Yield a temporary folder to write into; on success its files replace ``path``'s, on failure it vanishes.

    ``path`` is checked with :func:`check_output_folder` first (``marker``: the
    marker file the output writes, a key of :data:`MARKERS`; the marker is given
    the list of files written if it has none). Parent folders created here are
    removed again if writing fails.
    """
    shown = Path(path)
    check_output_folder(shown, marker)
    path = shown.resolve()  # so that "." or "runs/.." name a real folder with a parent to write beside
    if path == path.parent:
        raise OutputError(shown, "is the root folder; choose another folder")
    created = _make_parents(path)
    _remove_abandoned(path)
    staging = _sibling(path, "partial")
    try:
        staging.mkdir()  # not tempfile.mkdtemp: the folder gets the user's usual permissions
    except OSError as err:
        _remove_empty(created)
        raise OutputError(shown, f"cannot write beside it ({err.strerror or err})") from None
    try:
        yield staging
        if marker is not None:
            _list_files(staging, marker)
        with _exit_deferred():  # a SIGTERM or Ctrl-C now would leave half the old output and half the new
            _move_into_place(staging, path, marker, shown)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        _remove_empty(created)
        raise


def _files_under(folder: Path) -> set[str]:
    """Every file and link under ``folder``, as POSIX paths relative to it."""
    return {p.relative_to(folder).as_posix() for p in folder.rglob("*") if p.is_symlink() or not p.is_dir()}


def _list_files(staging: Path, marker: str) -> None:
    """Give the marker written into ``staging`` the list of the files there, if it has none."""
    meta = _read_marker(staging / marker)
    if meta is not None and not isinstance(meta.get("files"), list):
        meta["files"] = sorted(_files_under(staging))
        (staging / marker).write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")


#: Whether an output is being moved into place (a depth), and the exit asked for meanwhile (see exit_when_safe).
_MOVING: dict[str, Any] = {"depth": 0, "exit": None}


@contextmanager
def _exit_deferred() -> Iterator[None]:
    """While the block runs, an exit asked for by :func:`exit_when_safe` (the SIGTERM handler of the command
    line) waits until it ends."""
    _MOVING["depth"] += 1
    try:
        yield
    finally:
        _MOVING["depth"] -= 1
        if _MOVING["depth"] == 0 and _MOVING["exit"] is not None:
            code, _MOVING["exit"] = _MOVING["exit"], None
            raise SystemExit(code)


def exit_when_safe(code: int) -> None:
    """Raise ``SystemExit(code)`` now, or, while an output is being moved into place (half the old files and half
    the new would be left), as soon as it is there."""
    if _MOVING["depth"]:
        _MOVING["exit"] = code
        return
    raise SystemExit(code)


def _move_into_place(staging: Path, path: Path, marker: str | None, shown: Path) -> None:
    """Move the new output in ``staging`` to ``path``, replacing only the files an earlier output there wrote."""
    check_output_folder(path, marker)  # again: something may have appeared there while we simulated
    if not path.exists():
        os.rename(staging, path)
        return
    new = _files_under(staging)
    ours = {name for name in written_files(path) if _is_plain_file(path, name)}
    if not _lists_files(path):  # an output of an older version: the files the new one writes were its own
        ours |= {name for name in new if _is_plain_file(path, name)}
    theirs = _files_under(path) - ours
    if not theirs and not _empty_folders(path, ours):
        _swap(staging, path)
    else:
        _write_around(staging, path, new, ours, shown)


def _is_plain_file(folder: Path, name: str) -> bool:
    """Whether ``folder / name`` is a regular file inside ``folder``: no link on the way to it, nor itself one."""
    relative = PurePosixPath(name)
    links = [folder / part for part in [*relative.parents][:-1]]
    return (folder / name).is_file() and not (folder / name).is_symlink() and not any(p.is_symlink() for p in links)


def _empty_folders(path: Path, ours: set[str]) -> list[Path]:
    """Folders under ``path`` that hold none of the earlier output's files (the user's, perhaps empty)."""
    holding = {path / parent for name in ours for parent in PurePosixPath(name).parents}
    return [p for p in path.rglob("*") if p.is_dir() and not p.is_symlink() and p not in holding]


def _swap(staging: Path, path: Path) -> None:
    """Rename ``staging`` to ``path``, moving the earlier output (nothing but its own files) out of the way."""
    old = _sibling(path, "old")
    os.rename(path, old)
    try:
        os.rename(staging, path)
    except OSError:
        os.rename(old, path)
        raise
    shutil.rmtree(old, ignore_errors=True)


def _write_around(staging: Path, path: Path, new: set[str], ours: set[str], shown: Path) -> None:
    """Replace the earlier output's files in ``path`` with the new ones, file by file, keeping every other file.

    Refuses (:class:`OutputError`) a new file whose place holds a file of the
    user's. If a move fails, the earlier files are put back.
    """
    for name in sorted(new):
        for place in [*reversed(PurePosixPath(name).parents[:-1]), PurePosixPath(name)]:
            target = path / place
            taken = target.is_symlink() or (target.exists() and not (target.is_dir() and place != PurePosixPath(name)))
            if taken and place.as_posix() not in ours:
                raise OutputError(shown, f"holds {place}, which talentflow did not write and would replace; "
                                         "move it or choose another folder")
    backup = _sibling(path, "old")
    moved_out: list[str] = []
    moved_in: list[str] = []
    try:
        for name in sorted(ours):
            (backup / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(path / name, backup / name)
            moved_out.append(name)
        for name in sorted(new):
            (path / name).parent.mkdir(parents=True, exist_ok=True)
            os.rename(staging / name, path / name)
            moved_in.append(name)
    except OSError:
        for name in reversed(moved_in):
            os.rename(path / name, staging / name)
        for name in reversed(moved_out):
            os.rename(backup / name, path / name)
        shutil.rmtree(backup, ignore_errors=True)
        raise
    shutil.rmtree(backup, ignore_errors=True)  # the earlier output's files only
    emptied = {path / parent for name in ours for parent in PurePosixPath(name).parents if parent.parts}
    for folder in sorted(emptied, key=lambda p: len(p.parts), reverse=True):
        with contextlib.suppress(OSError):
            folder.rmdir()  # only if empty: the user's files keep their folder
    shutil.rmtree(staging, ignore_errors=True)  # empty folders only: every file was moved
