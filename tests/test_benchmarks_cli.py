"""The benchmarks' command lines refuse bad arguments in one line before any benchmark runs (none runs here)."""

from __future__ import annotations

import pytest
from experiments_support import forbid

import benchmarks.__main__ as benchmarks_main
from benchmarks import phases


@pytest.fixture
def no_benchmark(monkeypatch):
    runs = dict(benchmarks_main.BENCHMARKS)
    monkeypatch.setattr(benchmarks_main, "BENCHMARKS", runs)  # a copy, whose entries forbid replaces
    forbid(monkeypatch, "a benchmark ran", (phases, "time_steps"), (phases, "section"), (benchmarks_main, "describe"),
           *((runs, name) for name in list(runs)))


def refused(capsys, prog, *words):
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith(f"{prog}: error: "), err
    assert all(w in err for w in words), err


@pytest.mark.parametrize("years", ["0", "-1", "ten"])
def test_phases_run_takes_only_a_positive_number_of_years(capsys, no_benchmark, years):
    assert phases.main(["--run", years]) == 2
    refused(capsys, "python -m benchmarks.phases", "--run", ">= 1")


def test_an_out_in_a_missing_folder_or_a_folder_is_refused_before_running(tmp_path, capsys, no_benchmark):
    assert benchmarks_main.main(["--only", "phases", "--quick", "--out", str(tmp_path / "no" / "results.md")]) == 2
    refused(capsys, "python -m benchmarks", "--out", "does not exist")
    assert benchmarks_main.main(["--only", "phases", "--quick", "--out", str(tmp_path)]) == 2
    refused(capsys, "python -m benchmarks", "--out", "is a folder")
    assert benchmarks_main.main(["--only", "nothing", "--out", str(tmp_path / "r.md")]) == 2
    refused(capsys, "python -m benchmarks", "--only")
    assert not list(tmp_path.iterdir())


def test_the_report_reads_the_yardstick_again_after_the_runs_beside_the_one_read_at_the_start(monkeypatch):
    from benchmarks import machine

    readings = iter([4.0, 6.5, 6.5])
    monkeypatch.setattr(machine, "yardstick_ms", lambda repeats=21: next(readings))
    setting = machine.describe()
    assert [label for label, _ in setting].count("Yardstick at start") == 1
    labels = [label for label, _ in machine.with_end_yardstick(setting)]
    assert labels[labels.index("Yardstick at start") + 1] == "Yardstick at end"
    values = dict(machine.with_end_yardstick([("Yardstick at start", "x")]))
    assert values["Yardstick at end"].startswith("6.50 ms to draw 1,000,000 uniforms")
