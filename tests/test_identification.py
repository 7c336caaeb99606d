"""The identification check: the reference table, rejection ABC on it against known truths, and the command."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import numpy as np
import pandas as pd
import pytest
from conftest import BASELINE
from experiments_support import holding_simulations
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.calibration import identification
from experiments.calibration.abc import ScaledDistance
from experiments.calibration.targets import read_calibration

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ROOT / "configs" / "calibration" / "targets.toml"
CALIBRATION = read_calibration(TARGETS)


@given(st.lists(st.lists(st.floats(-1e3, 1e3) | st.just(math.nan), min_size=len(CALIBRATION.fitted),
                         max_size=len(CALIBRATION.fitted)), min_size=1, max_size=8))
@settings(max_examples=60, deadline=None)
def test_table_distances_are_the_calibrations_distance_row_by_row(rows):
    se = {t.name: t.se for t in CALIBRATION.fitted}
    observed = {t.name: t.value for t in CALIBRATION.fitted}
    measured = np.array(rows, dtype=float)
    d = identification.distances(measured, np.array(list(observed.values())), np.array(list(se.values())))
    for row, value in zip(rows, d, strict=True):
        expected = ScaledDistance(se)(dict(zip(se, row, strict=True)), observed)
        assert value == pytest.approx(expected, rel=1e-12) if math.isfinite(expected) else value == math.inf


def test_rows_within_the_tolerance_are_accepted_and_too_few_widen_to_the_nearest():
    d = np.array([0.5, 3.0, np.inf, 1.0, 2.0, 0.1])
    rows, used = identification.accepted_rows(d, 1.0, minimum=3)
    assert sorted(rows) == [0, 3, 5] and used == 1.0
    rows, used = identification.accepted_rows(d, 0.2, minimum=4)
    assert sorted(rows) == [0, 3, 4, 5] and used == 2.0
    rows, used = identification.accepted_rows(np.array([np.inf, 1.0]), 0.1, minimum=2)
    assert list(rows) == [1] and used == 1.0  # undefined rows are never accepted


def toy_table(n: int, rng: np.random.Generator, noise: float) -> pd.DataFrame:
    """Prior draws where every target measures the first weight (with noise, in SEs) and nothing else."""
    table = pd.DataFrame({"row": np.arange(n)})
    for p in CALIBRATION.priors:
        table[p.key] = rng.uniform(p.low, p.high, n)
    first = CALIBRATION.priors[0]
    position = (table[first.key] - first.low) / (first.high - first.low)
    for t in CALIBRATION.fitted:
        table[t.name] = t.value + t.se * (20 * position + noise * rng.standard_normal(n))
    return table


def test_the_check_recovers_a_weight_the_targets_measure_and_leaves_the_others_at_their_prior():
    table = toy_table(4000, np.random.default_rng(3), noise=1.0)
    results = identification.check_datasets(table, CALIBRATION, 60, tolerance=4.0)
    coverage = identification.coverage_table(results, CALIBRATION).set_index("parameter")
    first, others = CALIBRATION.priors[0].key, [p.key for p in CALIBRATION.priors[1:]]
    assert len(results) == 60 and all(r["dataset"] < 4000 for r in results)
    assert coverage.loc[first, "mean_narrowing"] < 0.35 and coverage.loc[first, "identified"]
    assert coverage.loc[first, "coverage_90"] >= 0.85  # a tolerance wider than the noise: conservative
    assert (coverage.loc[others, "mean_narrowing"] > 0.8).all() and not coverage.loc[others, "identified"].any()
    assert 0.8 <= coverage.loc[others, "coverage_90"].mean() <= 0.97  # their intervals are the prior's


def test_a_data_set_is_never_its_own_posterior_draw():
    table = toy_table(200, np.random.default_rng(5), noise=0.0)
    table.loc[0, CALIBRATION.fitted[0].name] = 1e9  # row 0 is far from everyone but itself
    result = identification.check_datasets(table, CALIBRATION, 1, tolerance=1.0, minimum=5)[0]
    assert result["dataset"] == 0 and result["widened"] and result["accepted"] == 5


def test_the_tolerance_is_the_last_generations_epsilon_of_the_committed_summary(tmp_path):
    summary = (ROOT / "configs" / "calibrated.summary.md").read_text(encoding="utf-8")
    last = [line for line in summary.splitlines() if line.startswith("| ") and line[2:3].isdigit()][-1]
    assert identification.final_tolerance(ROOT / "configs" / "calibrated.summary.md") == float(last.split("|")[2])
    (tmp_path / "s.md").write_text("| generation | tolerance |\n|---|---|\n| 0 | 3 |\n", encoding="utf-8")
    with pytest.raises(identification.IdentificationError, match="epsilon"):
        identification.final_tolerance(tmp_path / "s.md")


# ------------------------------------------------------------------------------------------ the command, end to end
def check(*args: object, cwd: Path) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.calibration.identification", "--config", BASELINE,
                           *map(str, args)], cwd=cwd, capture_output=True, text=True, timeout=600)


TINY = ["--draws", "40", "--datasets", "20", "--researchers", "300", "--workers", "1", "--quiet"]


@pytest.fixture(scope="module")
def tiny_check(tmp_path_factory):
    cwd = tmp_path_factory.mktemp("identification")
    done = check(*TINY, "--out", cwd / "id", cwd=cwd)
    assert done.returncode == 0, done.stderr[-3000:]
    return cwd, cwd / "id", done


def test_a_worker_process_dying_mid_table_ends_in_one_line_and_the_same_command_finishes_it(tmp_path):
    """Workers that die at the 106th simulation: the first chunk of 100 rows is written, the second (20) is not."""
    command = [*TINY, "--out", tmp_path / "id"]
    command[command.index("--draws") + 1] = "120"
    command[command.index("--workers") + 1] = "2"
    died = subprocess.run([sys.executable, "-m", "experiments.calibration.identification", "--config", BASELINE,
                           *map(str, command)], cwd=tmp_path, capture_output=True, text=True, timeout=600,
                          env=holding_simulations(105, tmp_path / "count", die=True))
    assert died.returncode == 1 and died.stderr.count("\n") == 1, died.stderr[-3000:]
    assert died.stderr.startswith("python -m experiments.calibration.identification: error: lost a worker process "
                                  "(BrokenProcessPool: ") and died.stderr.endswith(
        f"kept in {tmp_path / 'id' / 'table'}: run the same command again to continue\n")
    assert sorted(p.name for p in (tmp_path / "id" / "table").glob("rows_*.csv")) == ["rows_000000_000100.csv"]
    done = check(*command, cwd=tmp_path)
    assert done.returncode == 0, done.stderr[-3000:]
    assert len(pd.read_csv(tmp_path / "id" / "table" / "rows_000100_000120.csv")) == 20


def test_the_check_writes_coverage_per_weight_and_the_real_datas_posterior_beside_the_smc_one(tiny_check):
    _, out, done = tiny_check
    coverage = pd.read_csv(out / "identification.csv")
    assert list(coverage["parameter"]) == [p.key for p in CALIBRATION.priors]
    assert ((coverage["coverage_90"] >= 0) & (coverage["coverage_90"] <= 1)).all()
    observed = pd.read_csv(out / "observed.csv")
    assert {"rejection_median", "smc_median"} <= set(observed.columns)
    assert (observed["rejection_low_5"] <= observed["rejection_high_95"]).all()
    facts = json.loads((out / "identification.json").read_text())
    table = pd.concat(map(pd.read_csv, sorted((out / "table").glob("rows_*.csv"))))
    assert facts["draws"] == len(table) == 40 and list(table["row"]) == list(range(40))
    assert facts["tolerance"] == identification.final_tolerance(ROOT / "configs" / "calibrated.summary.md")
    assert (out / "identification.png").stat().st_size > 10_000
    row = identification.table_row(7, identification_simulator(), CALIBRATION)  # each row is reproducible
    assert table.iloc[7][list(row)].to_numpy(dtype=float) == pytest.approx(list(row.values()), nan_ok=True)
    assert "coverage_90" in done.stdout


def identification_simulator():
    import dataclasses

    from experiments.calibration.abc import Simulator
    from simulation.config import config_as_raw, load_config

    calibration = dataclasses.replace(CALIBRATION, researchers=300)
    return Simulator.of(config_as_raw(load_config(BASELINE)), calibration)


def test_a_finished_table_is_reused_and_a_folder_of_another_table_is_refused(tiny_check):
    cwd, out, _ = tiny_check
    chunk = out / "table" / "rows_000000_000040.csv"
    before = chunk.stat().st_mtime_ns
    again = check(*TINY, "--out", out, cwd=cwd)
    assert again.returncode == 0 and chunk.stat().st_mtime_ns == before
    other = [*TINY]
    other[other.index("--researchers") + 1] = "400"
    refused = check(*other, "--out", out, cwd=cwd)
    assert refused.returncode == 2 and refused.stderr.count("\n") == 1 and "another" in refused.stderr


@pytest.mark.parametrize(("args", "message"), [(["--draws", "10", "--datasets", "20"], "--draws must be more"),
                                               (["--tolerance", "-1"], "--tolerance must be > 0"),
                                               (["--workers", "0"], "--workers")])
def test_bad_arguments_are_refused_in_one_line_with_nothing_written(tmp_path, args, message):
    done = check(*args, "--out", tmp_path / "id", cwd=tmp_path)
    assert done.returncode == 2 and done.stderr.count("\n") == 1 and message in done.stderr
    assert not (tmp_path / "id").exists()


def test_the_document_takes_the_identification_tables_alone_and_leaves_the_calibrations(tiny_check, tmp_path):
    _, out, _ = tiny_check
    doc = tmp_path / "calibration.md"
    names = ("priors", "targets", "run", "identification_run", "identification", "identification_observed",
             "identification_sensitivity", "identification_spread")
    doc.write_text("\n".join(f"<!-- {n}:start -->\nold {n}\n<!-- {n}:end -->" for n in names), encoding="utf-8")
    done = subprocess.run([sys.executable, "-m", "experiments.calibration.document", "--identification", out,
                           "--doc", doc, "--figures", tmp_path / "img"], capture_output=True, text=True, timeout=120)
    assert done.returncode == 0, done.stderr
    text = doc.read_text(encoding="utf-8")
    assert "old run" in text and "old identification" not in text and "old priors" not in text
    # the coverage table counts the data sets checked: those of the 40 rows with every target defined, at most 20
    datasets = json.loads((out / "identification.json").read_text())["datasets"]
    assert 0 < datasets <= 20
    assert "Tolerance" in text and f"`preferences.wage` | {datasets} |" in text and "ABC-SMC median" in text
    assert (tmp_path / "img" / "identification.png").is_file()
    nothing = subprocess.run([sys.executable, "-m", "experiments.calibration.document"], capture_output=True,
                             text=True, timeout=120)
    assert nothing.returncode == 2 and nothing.stderr.count("\n") == 1 and "--identification" in nothing.stderr
    doc.write_text("no markers\n", encoding="utf-8")
    unmarked = subprocess.run([sys.executable, "-m", "experiments.calibration.document", "--identification", out,
                               "--doc", doc, "--figures", tmp_path / "img2"], capture_output=True, text=True,
                              timeout=120)
    assert unmarked.returncode == 2 and unmarked.stderr.count("\n") == 1 and "priors:start" in unmarked.stderr
    assert doc.read_text(encoding="utf-8") == "no markers\n" and not any((tmp_path / "img2").glob("*.png"))


def test_rank_regression_finds_the_weight_a_target_follows_and_ignores_the_others():
    rng = np.random.default_rng(11)
    weights = pd.DataFrame({"a": rng.uniform(0, 1, 2000), "b": rng.uniform(-3, 3, 2000), "c": rng.uniform(0, 9, 2000)})
    targets = pd.DataFrame({"follows_a": np.exp(3 * weights["a"]), "against_b": -weights["b"] ** 3})
    targets.loc[5, "follows_a"] = np.nan  # rows with an undefined target are left out
    table = identification.rank_regression(weights, targets)
    assert table.loc["a", "follows_a"] == pytest.approx(1.0, abs=1e-9)  # monotone: ranks are identical
    assert table.loc["b", "against_b"] == pytest.approx(-1.0, abs=1e-9)
    assert abs(table.loc["c", "follows_a"]) < 0.05 and abs(table.loc["a", "against_b"]) < 0.05
    assert table.loc["R^2 of the rank regression"].tolist() == pytest.approx([1.0, 1.0])


def test_every_weight_recomputes_the_carried_draws_of_each_rows_simulation(tiny_check):
    _, out, _ = tiny_check
    simulator = identification_simulator()
    table = pd.concat(map(pd.read_csv, sorted((out / "table").glob("rows_*.csv"))), ignore_index=True)
    weights = identification.every_weight(table, simulator)
    assert list(weights.columns) == [p.key for p in (*CALIBRATION.priors, *CALIBRATION.carried)]
    row = 3
    values = identification.truth(CALIBRATION, row)
    config = simulator.config(values, replicate=identification.REPLICATE + row)
    for prior in CALIBRATION.carried:
        node = config
        for part in prior.key.split("."):
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        assert weights.at[row, prior.key] == pytest.approx(node), prior.key
    sensitivity = pd.read_csv(out / "sensitivity.csv", index_col="weight")
    assert set(sensitivity["treated as"].dropna()) == {"fitted", "carried"}
    spread = pd.read_csv(out / "spread.csv", index_col="target")
    assert list(spread.index) == [t.name for t in CALIBRATION.fitted] and (spread.fillna(0) >= 0).all().all()


def _other_outputs(tmp_path: Path) -> dict[str, Path]:
    """Outputs the identification check must not write into: a file, a sweep's folder, a validation folder."""
    (tmp_path / "file").write_text("mine")
    (tmp_path / "sweep").mkdir()
    (tmp_path / "sweep" / "manifest.json").write_text("{}")
    (tmp_path / "facts").mkdir()
    (tmp_path / "facts" / "facts.json").write_text(json.dumps({"kind": "talentflow validation", "files": []}))
    return {"a file": tmp_path / "file", "sweep": tmp_path / "sweep", "validation": tmp_path / "facts"}


def test_an_out_that_is_a_file_or_another_commands_folder_is_refused_in_one_line(tmp_path, capsys, monkeypatch):
    monkeypatch.setattr(identification, "build_table", lambda *a, **k: pytest.fail("built a table"))
    for name, out in _other_outputs(tmp_path).items():
        assert identification.main(["--out", str(out), "--workers", "1"]) == 2, name
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and err.startswith("python -m experiments.calibration.identification: error: --out")
        assert str(out) in err, err
    assert sorted(p.name for p in (tmp_path / "sweep").iterdir()) == ["manifest.json"]


def test_too_few_draws_with_every_target_defined_end_in_one_line(tmp_path, capsys, monkeypatch):
    table = toy_table(3, np.random.default_rng(1), 1.0)
    table.loc[[1, 2], CALIBRATION.fitted[0].name] = np.nan  # as --draws 3 --researchers 100 did
    monkeypatch.setattr(identification, "build_table", lambda *a, **k: table)
    code = identification.main(["--draws", "3", "--datasets", "2", "--researchers", "100", "--workers", "1",
                                "--tolerance", "1", "--out", str(tmp_path / "id")])
    err = capsys.readouterr().err
    assert code == 1 and err.count("\n") == 1 and "too few draws have every target defined (1 of 3" in err, err
    assert "--draws" in err and err.startswith("python -m experiments.calibration.identification: error: ")


def document(*args: object) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "experiments.calibration.document", *map(str, args)],
                          capture_output=True, text=True, timeout=120)


def test_the_documents_bad_inputs_are_one_line_and_leave_the_document_as_it_was(tiny_check, tmp_path):
    import shutil

    _, out, _ = tiny_check
    names = ("priors", "targets", "identification_run", "identification", "identification_observed",
             "identification_sensitivity", "identification_spread", "run", "posterior", "predictive")
    doc = tmp_path / "calibration.md"
    original = "\n".join(f"<!-- {n}:start -->\nold {n}\n<!-- {n}:end -->" for n in names)
    doc.write_text(original, encoding="utf-8")
    partial = tmp_path / "partial"
    shutil.copytree(out, partial, ignore=shutil.ignore_patterns("table", "identification.json"))
    calibration = tmp_path / "calibration"
    calibration.mkdir()
    (calibration / "calibration.json").write_text("{}")
    (tmp_path / "figures.png").write_text("mine")
    cases = {
        "missing doc": (["--identification", out, "--doc", tmp_path / "missing.md"], "missing.md"),
        "doc a folder": (["--identification", out, "--doc", tmp_path], "not a regular file"),
        "missing targets": (["--identification", out, "--doc", doc, "--targets", tmp_path / "none.toml"],
                            "none.toml"),
        "bad targets": (["--identification", out, "--doc", doc, "--targets", doc], "calibration.md"),
        "no identification.json": (["--identification", partial, "--doc", doc], "identification.json"),
        "calibration.json alone": (["--calibration", calibration, "--doc", doc], "summary.md"),
        "figures a file": (["--identification", out, "--doc", doc, "--figures", tmp_path / "figures.png"],
                           "--figures"),
    }
    for name, (args, word) in cases.items():
        done = document(*args)
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (name, done.stderr)
        assert done.stderr.startswith("python -m experiments.calibration.document: error: ") and word in done.stderr, (
            name, done.stderr)
        assert doc.read_text(encoding="utf-8") == original, name
    assert (tmp_path / "figures.png").read_text() == "mine" and not (tmp_path / "missing.md").exists()


def test_damaged_files_of_a_finished_folder_are_one_line_naming_the_file_and_leave_the_document(tiny_check, tmp_path):
    import shutil

    _, out, _ = tiny_check
    names = ("priors", "targets", "identification_run", "identification", "identification_observed",
             "identification_sensitivity", "identification_spread")
    doc = tmp_path / "calibration.md"
    original = "\n".join(f"<!-- {n}:start -->\nold {n}\n<!-- {n}:end -->" for n in names)
    doc.write_text(original, encoding="utf-8")
    facts = json.loads((out / "identification.json").read_text(encoding="utf-8"))
    damages = {
        "identification.csv": ('a,b\n1,"2\n', "identification.csv"),  # an unclosed quote
        "observed.csv": ("", "observed.csv"),
        "sensitivity.csv": ("weight,largest\nx,1\n", "'treated as'"),
        "spread.csv": (b"\xff\xfe\x00bad", "spread.csv"),
        "identification.json": ("[1, 2]", "identification.json"),
    }
    damages["identification.json "] = (json.dumps({**facts, "draws": "many"}), "wrong kind")
    for name, (content, word) in damages.items():
        damaged = tmp_path / f"damaged-{len(list(tmp_path.iterdir()))}"
        shutil.copytree(out, damaged)
        path = damaged / name.strip()
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
        done = document("--identification", damaged, "--doc", doc, "--figures", tmp_path / "figures")
        assert done.returncode == 2 and done.stderr.count("\n") == 1, (name, done.stderr)
        assert done.stderr.startswith("python -m experiments.calibration.document: error: "), (name, done.stderr)
        assert word in done.stderr, (name, done.stderr)
        assert doc.read_text(encoding="utf-8") == original, name
        assert not (tmp_path / "figures").exists(), name
