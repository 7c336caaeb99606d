"""Output folders: written whole or not at all, and never a file that talentflow did not write deleted."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from simulation.outputs import OutputError, check_output_folder, output_folder, written_files


def earlier_run(folder: Path, files: dict[str, str], listed: list[str] | None = None) -> Path:
    """A folder as an earlier ``talentflow run`` left it: ``files`` and a run.json listing ``listed``."""
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in files.items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        (folder / name).write_text(text)
    meta = {"kind": "talentflow run", "files": [*(listed if listed is not None else files), "run.json"]}
    (folder / "run.json").write_text(json.dumps(meta))
    return folder


def write_run(folder: Path, files: dict[str, str]) -> None:
    """Write ``files`` and their run.json through :func:`output_folder`."""
    with output_folder(folder, marker="run.json") as staging:
        for name, text in files.items():
            (staging / name).write_text(text)
        (staging / "run.json").write_text(json.dumps({"kind": "talentflow run", "files": [*files, "run.json"]}))


def tree(folder: Path) -> dict[str, str]:
    return {p.relative_to(folder).as_posix(): p.read_text() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_files_of_the_earlier_output_are_replaced_and_the_users_kept(tmp_path):
    out = earlier_run(tmp_path / "out", {"yearly.csv": "old", "agents.parquet": "old"})
    (out / "notes.md").write_text("mine")
    write_run(out, {"yearly.csv": "new"})
    assert tree(out) == {"notes.md": "mine", "run.json": tree(out)["run.json"], "yearly.csv": "new"}
    assert [p.name for p in tmp_path.iterdir()] == ["out"]  # no staging or backup folder left beside it


def test_a_user_file_with_a_name_the_new_output_writes_is_refused_and_kept(tmp_path):
    out = earlier_run(tmp_path / "out", {"yearly.csv": "old"})
    (out / "chart.png").write_text("the user's own chart")
    with pytest.raises(OutputError, match=r"chart\.png"):
        write_run(out, {"yearly.csv": "new", "chart.png": "new"})
    assert tree(out)["chart.png"] == "the user's own chart" and tree(out)["yearly.csv"] == "old"
    assert [p.name for p in tmp_path.iterdir()] == ["out"]


def test_a_marker_listing_paths_outside_its_folder_deletes_nothing_there(tmp_path):
    (tmp_path / "precious.txt").write_text("keep")
    out = earlier_run(tmp_path / "out", {"yearly.csv": "old"},
                      listed=["yearly.csv", "../precious.txt", str(tmp_path / "precious.txt")])
    assert written_files(out) == {"yearly.csv", "run.json"}
    (out / "notes.md").write_text("mine")
    write_run(out, {"yearly.csv": "new"})
    assert (tmp_path / "precious.txt").read_text() == "keep"


def test_a_listed_folder_counts_only_the_files_its_own_marker_lists(tmp_path):
    out = tmp_path / "cmp"
    earlier_run(out / "base", {"yearly.csv": "old"})
    (out / "base" / "notes.md").write_text("mine")
    (out / "compare.json").write_text(json.dumps({"kind": "talentflow compare", "files": ["base/", "compare.json"]}))
    assert written_files(out) == {"compare.json", "base/run.json", "base/yearly.csv"}


def test_a_marker_without_a_file_list_is_written_with_one(tmp_path):
    with output_folder(tmp_path / "out", marker="report.json") as staging:
        (staging / "figures").mkdir()
        (staging / "figures" / "a.png").write_text("png")
        (staging / "report.json").write_text(json.dumps({"kind": "talentflow report"}))
    meta = json.loads((tmp_path / "out" / "report.json").read_text())
    assert sorted(meta["files"]) == ["figures/a.png", "report.json"]


def test_an_earlier_output_of_another_kind_is_refused(tmp_path):
    out = earlier_run(tmp_path / "out", {"yearly.csv": "old"})
    with pytest.raises(OutputError, match=r"talentflow run.*choose another folder"):
        check_output_folder(out, marker="report.json")
    check_output_folder(out, marker="run.json")


def test_a_folder_name_of_255_bytes_is_written(tmp_path):
    out = tmp_path / ("b" * 255)
    write_run(out, {"yearly.csv": "new"})  # the staging folder beside it needs a shorter name of its own
    write_run(out, {"yearly.csv": "newer"})
    assert tree(out)["yearly.csv"] == "newer" and [p.name for p in tmp_path.iterdir()] == [out.name]


def test_a_listed_file_reached_through_a_link_of_the_users_is_not_touched(tmp_path):
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.png").write_text("the user's")
    out = tmp_path / "out"
    out.mkdir()
    (out / "figures").symlink_to(elsewhere)
    (out / "report.json").write_text(json.dumps({"kind": "talentflow report", "files": ["figures/a.png",
                                                                                      "report.json"]}))
    with output_folder(out, marker="report.json") as staging:
        (staging / "report.json").write_text(json.dumps({"kind": "talentflow report"}))
    assert (elsewhere / "a.png").read_text() == "the user's" and (out / "figures").is_symlink()


def _dead_pid() -> int:
    """The pid of a process that has ended."""
    import subprocess
    import sys

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    return process.pid


def test_staging_left_by_a_killed_process_is_removed_by_the_next_output_of_that_name(tmp_path):
    from simulation.outputs import _host

    host, dead = _host(), _dead_pid()
    abandoned = tmp_path / f".run.{host}-{dead}.0123456789ab.partial"
    kept = [
        tmp_path / f".run.{host}-{os.getpid()}.ba9876543210.partial",  # a running process's
        tmp_path / f".other.{host}-{dead}.0123456789ab.partial",  # another output's
        tmp_path / f".run.2024.{host}-{dead}.0123456789ab.partial",  # "run.2024"'s, not "run"'s
        tmp_path / f".run.{host}x-{dead}.0123456789ab.partial",  # another machine's (a shared file system)
    ]
    for folder in (abandoned, *kept):
        folder.mkdir()
        (folder / "yearly.csv").write_text("half")
    with output_folder(tmp_path / "run") as staging:
        assert staging.name.startswith(f".run.{host}-{os.getpid()}.")
        (staging / "run.json").write_text("{}")
    assert not abandoned.exists() and all(folder.is_dir() for folder in kept)
    assert (tmp_path / "run" / "run.json").is_file()


def test_a_zombie_does_not_count_as_running():
    import subprocess
    import sys

    from simulation.processes import process_runs

    process = subprocess.Popen([sys.executable, "-c", "pass"])
    import time

    stat = Path("/proc") / str(process.pid) / "stat"
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline and stat.read_text().rsplit(")", 1)[1].split()[0] != "Z":
        time.sleep(0.05)
    assert not process_runs(process.pid)  # ended, not yet waited for
    process.wait()
    assert process_runs(os.getpid())


def test_sigterm_while_the_output_is_moved_into_place_waits_until_it_is_there(tmp_path, monkeypatch):
    import signal

    from simulation import outputs
    from simulation.cli import terminated_as_exit

    real = outputs._move_into_place

    def move_then_signal(*args):
        os.kill(os.getpid(), signal.SIGTERM)  # arrives mid-move
        real(*args)

    monkeypatch.setattr(outputs, "_move_into_place", move_then_signal)
    with pytest.raises(SystemExit), terminated_as_exit(), output_folder(tmp_path / "run") as staging:
        (staging / "run.json").write_text("{}")
    assert (tmp_path / "run" / "run.json").is_file()  # the move finished; the signal came after
    assert [p.name for p in tmp_path.iterdir()] == ["run"]


def test_sigterm_while_writing_removes_the_staging_folder(tmp_path):
    import signal

    from simulation.cli import terminated_as_exit

    out = tmp_path / "run"
    with pytest.raises(SystemExit) as stopped, terminated_as_exit(), output_folder(out) as staging:
        (staging / "yearly.csv").write_text("half")
        os.kill(os.getpid(), signal.SIGTERM)
    assert stopped.value.code == 128 + signal.SIGTERM
    assert not staging.exists() and not list(staging.parent.iterdir())
    assert signal.getsignal(signal.SIGTERM) is signal.SIG_DFL  # put back afterwards
