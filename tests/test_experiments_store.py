"""The sweep folder against damage and foreign files: what resume, status, load and report do with them."""

from __future__ import annotations

import hashlib
import json

import pandas as pd
import pytest
from experiments_support import SMALL_GRID, write_sweep

import experiments
from experiments import runner
from experiments.analysis.report import write_report
from experiments.cli import status_lines
from experiments.executors import InProcess
from experiments.store import FolderError
from experiments.sweepfile import read_sweep
from simulation.cli import main


@pytest.fixture
def sweep(tmp_path):
    return read_sweep(write_sweep(tmp_path, SMALL_GRID))


@pytest.fixture
def done(sweep, tmp_path):
    """A finished 12-run sweep in tasks of 4 runs (three result parts)."""
    folder = tmp_path / "out"
    runner.run_sweep(sweep, folder, InProcess(), progress=False, batch_size=4)
    return folder


def records(folder):
    return [json.loads(line) for line in (folder / "status.jsonl").read_text().splitlines()]


def cut_status(folder, lines):
    """Keep the first ``lines`` lines of the status log, as if the sweep had been killed after them."""
    status = folder / "status.jsonl"
    status.write_text("".join(status.read_text().splitlines(keepends=True)[:lines]))


def one_line_error(capsys) -> str:
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("talentflow: error: "), err
    return err


# ------------------------------------------------------------- foreign files (defect 2)
def test_resume_leaves_files_it_did_not_write_alone_and_load_ignores_them(sweep, done):
    foreign = [done / "results" / "notes.txt", done / "results" / "part-mine.parquet", done / "agents" / "x.csv",
               done / "results" / "sub" / "deep.txt"]
    for path in foreign:
        path.parent.mkdir(exist_ok=True)
        path.write_text("mine")
    before = experiments.load(done)
    cut_status(done, 6)
    summary = runner.run_sweep(sweep, done, InProcess(), progress=False)
    assert summary.done == 12
    assert all(path.read_text() == "mine" for path in foreign)
    pd.testing.assert_frame_equal(experiments.load(done), before)


def test_a_report_written_inside_the_results_folder_does_not_break_resume(sweep, done):
    write_report(done, done / "results" / "report")
    cut_status(done, 8)
    summary = runner.run_sweep(sweep, done, InProcess(), progress=False)
    assert (summary.ran, summary.done) == (4, 12)
    assert (done / "results" / "report" / "report.md").is_file()
    assert len(experiments.load(done)) == 12 * 6


def test_resume_removes_its_own_orphan_parts_only(sweep, done):
    names = {r["results"] for r in records(done)}
    cut_status(done, 4)  # the runs of the other two parts are pending again: their parts are orphans
    runner.run_sweep(sweep, done, InProcess(), progress=False, batch_size=4)
    kept = {r["results"] for r in records(done)}
    assert {p.name for p in (done / "results").iterdir()} == kept
    assert len(names & kept) == 1


# ------------------------------------------------------------- checksums (defect 7)
def test_status_lines_record_each_part_size_and_sha256(done):
    for rec in records(done):
        data = (done / "results" / rec["results"]).read_bytes()
        assert rec["results_bytes"] == len(data)
        assert rec["results_sha256"] == hashlib.sha256(data).hexdigest()


def damage(folder, how):
    """Damage the part that holds runs 4-7; return its path."""
    name = next(r["results"] for r in records(folder) if r["run"] == 4)
    part = folder / "results" / name
    if how == "missing":
        part.unlink()
    elif how == "truncated":
        part.write_bytes(part.read_bytes()[:100])
    else:  # same size, one byte flipped
        data = bytearray(part.read_bytes())
        data[len(data) // 2] ^= 0xFF
        part.write_bytes(bytes(data))
    return part


@pytest.mark.parametrize("how", ["missing", "truncated", "flipped"])
def test_a_bad_part_is_reported_by_status_and_recomputed_on_resume(sweep, done, tmp_path, how, monkeypatch):
    reference = experiments.load(done)
    part = damage(done, how)
    lines = status_lines(done)
    assert "12 runs: 8 done, 0 failed, 4 pending" in lines[0]
    assert any(line.startswith(f"bad part: results/{part.name}") and "runs 4-7" in line for line in lines), lines

    calls = []
    real = runner.run_model
    monkeypatch.setattr(runner, "run_model", lambda c, s, a, d=True: calls.append(s.spawn_key) or real(c, s, a, d))
    summary = runner.run_sweep(sweep, done, InProcess(), progress=False)
    assert (summary.ran, summary.done, summary.pending) == (4, 12, 0) and len(calls) == 4
    assert "12 runs: 12 done, 0 failed, 0 pending" in status_lines(done)[0]
    pd.testing.assert_frame_equal(experiments.load(done), reference)


@pytest.mark.parametrize("how", ["missing", "flipped"])
def test_load_and_report_of_a_bad_part_give_one_line_exit_2_and_write_nothing(done, tmp_path, how, capsys):
    part = damage(done, how)
    with pytest.raises(FolderError, match=part.name) as caught:
        experiments.load(done)
    assert "\n" not in str(caught.value)
    assert main(["report", str(done), "--out", str(tmp_path / "report")]) == 2
    assert part.name in one_line_error(capsys)
    assert not (tmp_path / "report").exists()


# ------------------------------------------------------------- status lines of the wrong shape (defects 9, 10)
WRONG = ['[1, 2]', '"ok"', '{"run": "one", "point": 0, "replicate": 0, "status": "ok", "results": null}',
         '{"point": 0, "replicate": 0, "status": "ok"}',
         '{"run": 0, "point": 0, "replicate": 0, "status": "done", "results": null}',
         '{"run": 0, "point": 0, "replicate": 0, "status": "ok", "results": "../../outside.parquet"}',
         '{"run": 0, "point": 0, "replicate": 0, "status": "ok", "results": "/etc/passwd"}',
         '{"run": 0, "point": 0, "replicate": 0, "status": "ok", "results": "report"}']


@pytest.mark.parametrize("line", WRONG)
def test_a_status_line_of_the_wrong_shape_is_one_line_exit_2_everywhere(sweep, done, tmp_path, line, capsys):
    outside = tmp_path / "outside.parquet"
    outside.write_text("not yours")
    (done / "results" / "report").mkdir()
    with (done / "status.jsonl").open("a") as handle:
        handle.write(line + "\n")
    before = sorted(p.name for p in (done / "results").iterdir())

    assert main(["status", str(done)]) == 2
    assert "status.jsonl: line 13" in one_line_error(capsys)
    assert main(["report", str(done), "--out", str(tmp_path / "report")]) == 2
    assert "status.jsonl: line 13" in one_line_error(capsys)
    with pytest.raises(FolderError, match="line 13"):
        experiments.load(done)
    assert main(["sweep", sweep.path, "--out", str(done), "--in-process", "--quiet"]) == 2
    assert "status.jsonl: line 13" in one_line_error(capsys)
    assert outside.read_text() == "not yours"
    assert sorted(p.name for p in (done / "results").iterdir()) == before
    assert not (tmp_path / "report").exists()


@pytest.mark.parametrize("manifest", ['[1, 2]', '{"runs": 3, "sweep": {}}', '{"runs": [{"run": "a"}], "sweep": {}}'])
def test_a_manifest_of_the_wrong_shape_is_one_line_exit_2(done, tmp_path, manifest, capsys):
    (done / "manifest.json").write_text(manifest)
    for command in (["status", str(done)], ["report", str(done), "--out", str(tmp_path / "report")]):
        assert main(command) == 2
        assert "is not a sweep manifest" in one_line_error(capsys)
    with pytest.raises(FolderError, match="is not a sweep manifest"):
        experiments.load(done)


# ------------------------------------------------------------- manifest fields and status fields of the wrong type
def _without(key):
    return lambda manifest: manifest.pop(key)


def _setting(key, value):
    return lambda manifest: manifest.__setitem__(key, value)


MANIFEST_FIELDS = [
    ("sweep.name", _setting("sweep", {})),
    ("sessions[0].started", _setting("sessions", [{}])),
    ("sessions[0].started", _setting("sessions", [{"started": "garbage"}])),
    ("sessions", _setting("sessions", "x")),
    ("parameters", _without("parameters")),
    ("design_table", _setting("design_table", "x")),
]


@pytest.mark.parametrize(("key", "corrupt"), MANIFEST_FIELDS,
                         ids=["sweep-empty", "session-empty", "session-garbage", "sessions-x", "no-parameters",
                              "design-table-x"])
def test_a_manifest_field_of_the_wrong_type_is_one_line_naming_it_exit_2(sweep, done, tmp_path, key, corrupt,
                                                                          capsys):
    manifest = json.loads((done / "manifest.json").read_text())
    corrupt(manifest)
    (done / "manifest.json").write_text(json.dumps(manifest))
    before = (done / "manifest.json").read_text()
    for command in (["status", str(done)], ["report", str(done), "--out", str(tmp_path / "report")],
                    ["sweep", sweep.path, "--out", str(done), "--in-process", "--quiet"]):
        assert main(command) == 2
        err = one_line_error(capsys)
        assert "manifest.json: is not a sweep manifest: " + key in err and "Traceback" not in err
    with pytest.raises(FolderError, match=r"manifest\.json: .*" + key.replace("[", r"\[").replace("]", r"\]")):
        experiments.load(done)
    assert (done / "manifest.json").read_text() == before
    assert not (tmp_path / "report").exists()


def _failed_with(traceback):
    def corrupt(rec):
        rec.update(status="failed", results=None, results_bytes=None, results_sha256=None, traceback=traceback)
    return corrupt


STATUS_FIELDS = [
    ("time", lambda rec: rec.pop("time")),
    ("time", lambda rec: rec.update(time="x")),
    ("traceback", _failed_with(5)),
]


@pytest.mark.parametrize(("key", "corrupt"), STATUS_FIELDS, ids=["no-time", "time-x", "traceback-5"])
def test_a_status_field_of_the_wrong_type_is_one_line_naming_it_exit_2(sweep, done, tmp_path, key, corrupt,
                                                                        capsys):
    lines = records(done)
    corrupt(lines[2])
    (done / "status.jsonl").write_text("".join(json.dumps(rec) + "\n" for rec in lines))
    before = (done / "status.jsonl").read_text()
    for command in (["status", str(done)], ["report", str(done), "--out", str(tmp_path / "report")],
                    ["sweep", sweep.path, "--out", str(done), "--in-process", "--quiet"]):
        assert main(command) == 2
        err = one_line_error(capsys)
        assert f"status.jsonl: line 3: {key} must be" in err and "Traceback" not in err
    with pytest.raises(FolderError, match=f"line 3: {key} must be"):
        experiments.load(done)
    assert (done / "status.jsonl").read_text() == before
    assert not (tmp_path / "report").exists()
