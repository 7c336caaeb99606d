"""The validation measures of experiments/validation.py on small hand-made agent rows whose answers are known."""

from __future__ import annotations

import math

import pandas as pd
import pytest
from experiments_support import forbid

from experiments import validation
from experiments.validation import Window


def _rows(records: list[tuple[int, int, str, str, float]]) -> pd.DataFrame:
    frame = pd.DataFrame(records, columns=["id", "year", "country", "stage", "talent"])
    return frame.assign(run=0, origin="KR", sector="academia")


def test_spells_abroad_count_consecutive_years_and_leave_out_spells_begun_before_the_start():
    rows = _rows([
        (1, 2025, "KR", "junior", 1.0), (1, 2026, "US", "junior", 1.0), (1, 2027, "US", "junior", 1.0),
        (1, 2028, "KR", "junior", 1.0), (1, 2029, "US", "junior", 1.0),
        (2, 2024, "US", "senior", 1.0), (2, 2025, "US", "senior", 1.0), (2, 2026, "KR", "senior", 1.0),
    ]).sort_values(["run", "id", "year"]).reset_index(drop=True)
    years = validation.years_abroad(rows, "KR", start_year=2024).tolist()
    assert years[:5] == [0, 1, 2, 0, 1]
    assert math.isnan(years[5]) and math.isnan(years[6]) and years[7] == 0


def test_return_hazard_counts_those_home_a_year_later_among_those_abroad_d_years():
    rows = _rows([
        (1, 2030, "KR", "junior", 1.0), (1, 2031, "US", "junior", 1.0), (1, 2032, "US", "junior", 1.0),
        (1, 2033, "KR", "junior", 1.0),
        (2, 2030, "KR", "junior", 1.0), (2, 2031, "US", "junior", 1.0), (2, 2032, "KR", "junior", 1.0),
        (3, 2030, "KR", "junior", 1.0), (3, 2031, "US", "junior", 1.0),  # leaves research: not at risk
    ])
    table = validation.return_hazard(rows, "KR", Window(2030, 2040), start_year=2024).set_index("years_abroad")
    assert table.loc[1, "at_risk"] == 2 and table.loc[1, "returned"] == 1
    assert table.loc[2, "at_risk"] == 1 and table.loc[2, "hazard"] == 1.0


def test_share_abroad_by_talent_puts_the_most_talented_in_the_top_decile():
    rows = _rows([(i, 2030, "US" if i >= 8 else "KR", "senior", float(i)) for i in range(1, 11)])
    table = validation.share_abroad_by_talent(rows, "KR", Window(2030, 2030)).set_index("decile")
    assert table["share_abroad"].tolist() == [0.0] * 7 + [1.0] * 3


def test_emigration_is_labelled_by_the_career_step_that_comes_with_the_move():
    rows = _rows([
        (1, 2030, "KR", "student", 1.0), (1, 2031, "US", "phd", 1.0),
        (2, 2030, "KR", "postdoc", 1.0), (2, 2031, "US", "junior", 1.0),
        (3, 2030, "KR", "senior", 1.0), (3, 2031, "US", "senior", 1.0),
        (4, 2030, "US", "senior", 1.0), (4, 2031, "KR", "senior", 1.0),  # a return, not an emigration
    ])
    table = validation.emigration_by_transition(rows, "KR", Window(2030, 2035)).set_index("step")
    assert table.loc["into the PhD", "emigrations"] == 1 and table.loc["first job", "emigrations"] == 1
    assert table.loc["within a stage", "emigrations"] == 1 and table["emigrations"].sum() == 3
    assert table["share"].sum() == pytest.approx(1.0)


def test_returnees_are_ranked_within_their_year_among_researchers_after_the_phd():
    rows = _rows([(i, 2030, "US" if i > 5 else "KR", "senior", float(i)) for i in range(1, 11)]
                 + [(i, 2031, "KR" if i in (6, 7) or i <= 5 else "US", "senior", float(i)) for i in range(1, 11)])
    groups = validation.returnee_talent(rows, "KR", Window(2030, 2035))
    assert groups["returnees"] == pytest.approx(65.0)  # ids 6 and 7: percentiles 60 and 70
    assert groups["stayers abroad"] == pytest.approx(90.0)  # ids 8, 9, 10
    assert groups["at home"] == pytest.approx(30.0)  # ids 1 to 5


def test_the_spike_index_finds_a_spike_and_ignores_rates_too_rare_to_compare():
    from experiments.validation import spike_index

    ages = list(range(1, 12))
    rate = [0.05] * 11
    rate[4] = 0.15  # age 5: three times its neighbours
    moved = [r * 4000 for r in rate]
    table = pd.DataFrame({"career_age": ages, "at_risk": 4000, "moved": moved, "hazard": "return", "rate": rate})
    assert spike_index(table, "return") == {"ratio": pytest.approx(3.0), "career_age": 5}
    rare = table.assign(rate=[0.0, 0.0, 0.0, 0.0, 0.0005, 0.0, 0.0, 0.0, 0.0, 0.0, 0.0])  # 2 moves against none
    assert spike_index(rare, "return")["career_age"] == -1


# ---------------------------------------------------------------------------------- the command's bad input
ROOT = validation.DEFAULT_CONFIG.parent.parent


@pytest.fixture
def no_simulation(monkeypatch):
    """Bad input must be refused before anything runs: a simulation here fails the test."""
    forbid(monkeypatch, "simulated", (validation, "simulate"), (validation, "star_recruits"))


def _refused(argv, capsys, *words):
    assert validation.main([str(a) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("python -m experiments.validation: error: "), err
    assert "Traceback" not in err and all(w in err for w in words), err


@pytest.mark.parametrize(("args", "words"), [
    (["--config", "missing.toml"], ["missing.toml"]),
    (["--stars", "missing.toml"], ["missing.toml"]),
    (["--replicates", "0"], ["--replicates", ">= 1"]),
    (["--replicates", "-2"], ["--replicates", ">= 1"]),
    (["--seed", "-1"], ["--seed", ">= 0"]),
    (["--stars", str(ROOT / "configs" / "calibrated.toml")], ["--stars", "calibrated.toml", "star_recruitment"]),
])
def test_bad_arguments_are_one_line_and_nothing_runs_or_is_written(tmp_path, capsys, no_simulation, args, words):
    _refused([*args, "--out", tmp_path / "out"], capsys, *words)
    assert not (tmp_path / "out").exists()


def test_an_out_folder_of_other_files_or_a_file_is_refused_before_anything_runs(tmp_path, capsys, no_simulation):
    (tmp_path / "full").mkdir()
    (tmp_path / "full" / "notes.txt").write_text("mine")
    _refused(["--out", tmp_path / "full"], capsys, "--out", "full")
    (tmp_path / "file").write_text("mine")
    _refused(["--out", tmp_path / "file"], capsys, "--out", "file")
    assert (tmp_path / "file").read_text() == "mine"


@pytest.mark.parametrize(("doc", "words"), [("missing.md", ["--doc", "missing.md", "no such file"]),
                                            ("plain.md", ["--doc", "plain.md", "facts:start"]),
                                            (".", ["--doc", "not a regular file"])])
def test_a_doc_without_its_markers_is_refused_before_out_is_written(tmp_path, capsys, no_simulation, doc, words):
    (tmp_path / "plain.md").write_text("no markers\n")
    _refused(["--out", tmp_path / "out", "--doc", tmp_path / doc], capsys, *words)
    assert not (tmp_path / "out").exists()
