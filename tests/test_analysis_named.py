"""The named experiments: their sweep files, how they pair points, and one run end to end on tiny sweeps."""

from __future__ import annotations

import shutil
import subprocess
import tomllib
from pathlib import Path

import pandas as pd
import pytest
from experiments_support import BASELINE, ROOT, write_sweep

from experiments import runner
from experiments.named import (
    EXPERIMENTS,
    PUBLISHED,
    base,
    common,
    equal_budget,
    match_budget,
    results,
    vicious_cycle,
)
from experiments.named.cli import check_doc
from experiments.named.cli import main as named_main
from experiments.named.results import shown_path
from experiments.sweepfile import read_sweep
from simulation.cli import UsageError
from simulation.cli import main as talentflow
from simulation.config import ConfigError, load_config
from simulation.paramtable import parameter_rows
from simulation.schema import field_at

SWEEPS = ROOT / "configs" / "sweeps"
POSTERIOR = ROOT / "configs" / "calibrated.posterior.csv"


def test_every_named_experiment_has_its_sweep_files():
    assert set(EXPERIMENTS) == {"robustness", "equal_budget", "effect_sensitivity", "policy_comparison",
                                "match_budget", "sensitivity", "vicious_cycle"}
    assert set(PUBLISHED) <= set(EXPERIMENTS)
    for experiment in EXPERIMENTS.values():
        for name in (n for n in experiment.sweeps if n not in experiment.derived):
            assert base.sweep_file(name).is_file(), name


def test_sensitivity_sweeps_vary_the_same_ranges_around_the_base_scenario():
    sobol = tomllib.loads((SWEEPS / "sensitivity_sobol.toml").read_text())
    morris = tomllib.loads((SWEEPS / "sensitivity_morris.toml").read_text())
    assert (sobol["design"], morris["design"]) == ("sobol", "morris")
    assert sobol["vary"] == morris["vary"]
    baseline = load_config(SWEEPS / sobol["base"])
    for key, bounds in sobol["vary"].items():
        node = baseline
        for part in key.split("."):
            node = node[part] if isinstance(node, dict) else getattr(node, part)
        assert bounds["low"] <= node <= bounds["high"], key  # the base value is inside the range


def test_the_policy_sweeps_draw_every_assumed_input_with_a_prior_range():
    """The results carry what is assumed as uncertainty: every range a sweep file gives is an assumed input's
    prior (talentflow params); every sweep over the posterior draws the hours peaks from their ranges, and every
    other assumed input of its base scenario with a prior range is carried by the calibration (its [carried]
    table, over the same prior), so no draw holds one."""
    with_posterior = 0
    for path in sorted(SWEEPS.glob("*.toml")):
        sweep = tomllib.loads(path.read_text())
        uncertain = sweep.get("uncertainties", {})
        ranges = {k: v for k, v in uncertain.items() if k not in ("posterior", "carried")}
        for key, spec in ranges.items():
            meta = field_at(key)[1]
            assert meta.get("origin") == "assumed", (path.name, key)
            assert (spec["low"], spec["high"]) == tuple(meta["prior"]), (path.name, key)
        if "posterior" in uncertain:
            with_posterior += 1
            assert set(ranges) == {"hours.peak_share", "hours.peak_extra"}, path.name
            carried = tomllib.loads((path.parent / uncertain["carried"]).read_text())["carried"]
            for row in parameter_rows(load_config(path.parent / sweep["base"])):
                if row.origin == "assumed" and row.prior and row.key not in ranges:
                    assert row.key in carried, (path.name, row.key)
                    prior = tuple(field_at(row.key)[1]["prior"])
                    assert (carried[row.key]["low"], carried[row.key]["high"]) == prior, row.key
    assert with_posterior == 4  # robustness, the equal-budget search, effect Sobol and Morris


def test_match_budget_and_vicious_cycle_sweeps_hold_their_reference_points():
    grid = pd.DataFrame(read_sweep(SWEEPS / "match_budget.toml").design_table())
    assert (grid[match_budget.BUDGET] == 0).sum() == grid[match_budget.SHARE].nunique()
    sweep = read_sweep(SWEEPS / "vicious_cycle.toml")
    cycle = pd.DataFrame(sweep.design_table())
    assert 0.0 in set(cycle[vicious_cycle.WEIGHT])
    # the unshocked level is the base scenario's own US senior pay
    assert cycle[vicious_cycle.PAY].min() == load_config(sweep.base).countries["US"].salary.industry["senior"]


@pytest.mark.parametrize(("particles", "effective"), [
    ([0, 1, 2, 3], 4.0),  # every draw another particle
    ([5, 5, 5, 5], 1.0),  # all the same
    ([0, 0, 1, 2], 16 / 6),  # counts 2, 1, 1: n^2 / sum of squares
])
def test_the_effective_number_of_particles_drawn_is_kish_over_their_counts(particles, effective):
    assert common.effective_particles(pd.Series(particles)) == pytest.approx(effective)


def test_the_particles_sentence_counts_distinct_particles_by_draw_and_is_empty_without_a_posterior():
    design = [{"point": p, "uncertainty": p // 2, "posterior.particle": [7, 7, 3, 7][p // 2]} for p in range(8)]
    sentence = common.particles_sentence({"design_table": design})
    assert "the 4 draws took 2 distinct particles, the heaviest in 3 of them" in sentence
    assert "about 2 points" in sentence  # 16 / (9 + 1) = 1.6
    assert common.particles_sentence({"design_table": [{"point": 0, "uncertainty": 0}]}) == ""


def test_the_held_sentence_names_the_assumed_inputs_with_priors_that_no_draw_varies():
    base = str(ROOT / "configs" / "calibrated.toml")
    drawn = {"design_table": [{"point": 0, "hours.peak_share": 0.1, "hours.peak_extra": 16.0}], "base": base}
    sentence = common.held_sentence(drawn)
    assert "`talent.sigma`" in sentence and "`preferences.income_curvature`" in sentence
    assert "peak" not in sentence  # drawn
    assert "`preferences.hours`" in sentence  # assumed with a prior; this design does not draw it
    assert "`preferences.wage`" not in sentence  # fitted, not assumed
    sweep = 'name = "x"\n[uncertainties]\ncarried = "t.toml"\n"hours.peak_share" = { low = 0.04, high = 0.2 }\n'
    assert common.ranged_inputs({"sweep": {"text": sweep}}) == ["hours.peak_share"]
    for nested in ('hours.peak_share = { low = 0.04, high = 0.2 }\n',
                   '[uncertainties.hours]\npeak_share = { low = 0.04, high = 0.2 }\n'):
        text = 'name = "x"\n[uncertainties]\ncarried = "t.toml"\n' + nested
        assert common.ranged_inputs({"sweep": {"text": text}}) == ["hours.peak_share"]
    assert common.held_sentence({**drawn, "base": str(ROOT / "no" / "such.toml")}) == ""  # moved: no guess
    assert sentence.endswith("; the results say nothing of how far they matter.")
    screened = common.held_sentence(drawn, screened=["talent.sigma", "hours.peak_share"])
    assert screened.startswith(sentence.removesuffix(" the results say nothing of how far they matter."))
    assert "; the Morris screening of the effects (sweep `effect_morris.toml`) moves all but `" in screened
    assert "`countries.KR.mentor_floor`" in screened.split("moves all but ")[1]
    assert "`talent.sigma`" not in screened.split("moves all but ")[1]
    held = sentence.split("`")[1::2]
    every = common.held_sentence(drawn, screened=held)
    assert every.endswith("moves each over its prior range, the weights not refitted.")
    assert common.screened_inputs() == ["hours.peak_share", "hours.peak_extra"]  # the published sweep: the rest carried
    assert "each further assumed input (share of peak weeks) from its prior range" in common.drawn_text(
        {"sweep": {"text": sweep}})


def test_zero_budget_pairs_compare_each_budget_with_no_budget_at_the_same_share():
    design = pd.DataFrame({"point": range(6), match_budget.SHARE: [0.5, 0.5, 0.5, 1.0, 1.0, 1.0],
                           match_budget.BUDGET: [0.0, 10.0, 20.0, 0.0, 10.0, 20.0]})
    assert match_budget.zero_budget_pairs(design) == {1: 0, 2: 0, 4: 3, 5: 3}
    with pytest.raises(ValueError, match="level of 0"):
        match_budget.zero_budget_pairs(design[design[match_budget.BUDGET] > 0])


def test_shock_pairs_compare_each_shock_with_the_unshocked_point_of_the_same_weight():
    design = pd.DataFrame({"point": range(4), vicious_cycle.WEIGHT: [0.0, 0.0, 0.6, 0.6],
                           vicious_cycle.PAY: [300.0, 600.0, 300.0, 600.0]})
    assert vicious_cycle.shock_pairs(design) == {1: 0, 3: 2}


def test_based_text_runs_a_sweep_file_on_another_scenario_without_editing_it(tmp_path):
    scenario = tmp_path / "calibrated.toml"
    scenario.write_text(f'extends = "{BASELINE}"\n[preferences]\nwage = 1.7\n')
    original = (SWEEPS / "vicious_cycle.toml").read_text()
    folder = tmp_path / "sweeps"
    text = base.based_text(SWEEPS / "vicious_cycle.toml", scenario, folder)
    assert not folder.exists()  # the text only: the experiment writes it where its run goes
    folder.mkdir()
    copy = folder / "vicious_cycle.toml"
    copy.write_text(text, encoding="utf-8")
    assert (SWEEPS / "vicious_cycle.toml").read_text() == original
    sweep = read_sweep(copy)
    assert sweep.base == str(scenario.resolve())
    assert all(p.config.preferences.wage == 1.7 for p in sweep.points)
    arms = tmp_path / "arms.toml"
    arms.write_text('base = "x.toml"\ndesign = "arms"\nseed = 1\n[arms.a]\nconfig = "y.toml"\n')
    with pytest.raises(ConfigError, match="arms"):
        base.based_text(arms, scenario, folder)


#: Tiny versions of the named experiments' sweep files (same names, designs and parameters; seconds to run).
TINY = {
    "policy_scenarios": """
        design = "arms"
        replicates = 2
        years = 10
        researchers = 300
        seed = 2
        [arms.baseline]
        [arms.return_grant]
        config = "grant.toml"
        [arms.hours_exemption]
        policies.hours_exemption = {}
        """,
    "match_budget": """
        design = "grid"
        replicates = 2
        years = 10
        researchers = 300
        seed = 5
        [set]
        "policies.salary_match.start_year" = 2025
        [vary]
        "policies.salary_match.share" = [0.5, 1.0]
        "policies.salary_match.budget" = [0.0, 100000.0]
        """,
    "sensitivity_sobol": """
        design = "sobol"
        samples = 4
        years = 5
        researchers = 300
        keep = "final"
        seed = 6
        [vary]
        "preferences.wage" = { low = 1.0, high = 1.5 }
        "preferences.home" = { low = 2.5, high = 3.5 }
        """,
    "sensitivity_morris": """
        design = "morris"
        samples = 4
        years = 5
        researchers = 300
        keep = "final"
        seed = 7
        [vary]
        "preferences.wage" = { low = 1.0, high = 1.5 }
        "preferences.home" = { low = 2.5, high = 3.5 }
        """,
    "policy_robustness": f"""
        design = "uncertainties"
        samples = 20
        replicates = 2
        years = 12
        researchers = 300
        seed = 8
        [uncertainties]
        posterior = "{POSTERIOR}"
        "preferences.hours" = {{ low = 0.0, high = 0.1 }}
        [levers.baseline]
        [levers.salary_match]
        policies.salary_match = {{ budget = 100000.0, min_talent_percentile = 50.0 }}
        [levers.hours_exemption]
        policies.hours_exemption = {{}}
        """,
    "equal_budget_search": f"""
        design = "uncertainties"
        samples = 3
        years = 12
        researchers = 300
        seed = 9
        [uncertainties]
        posterior = "{POSTERIOR}"
        [levers.baseline]
        [levers.hours_exemption]
        policies.hours_exemption = {{}}
        [levers.salary_match]
        policies.salary_match = {{ min_talent_percentile = 50.0 }}
        vary = {{ "policies.salary_match.budget" = [50000.0, 100000.0], "policies.salary_match.share" = [0.5, 1.0] }}
        [levers.return_grant]
        config = "grant.toml"
        vary = {{ "policies.return_grant.budget" = [50000.0, 100000.0], "policies.return_grant.years" = [2, 3] }}
        """,
    "effect_sobol": f"""
        design = "uncertainties"
        sampler = "sobol"
        samples = 4
        second_order = false
        years = 12
        researchers = 300
        seed = 10
        [uncertainties]
        posterior = "{POSTERIOR}"
        "preferences.hours" = {{ low = 0.0, high = 0.1 }}
        [levers.baseline]
        [levers.salary_match]
        policies.salary_match = {{ budget = 100000.0, min_talent_percentile = 50.0 }}
        [levers.hours_exemption]
        policies.hours_exemption = {{}}
        """,
    "effect_morris": f"""
        design = "uncertainties"
        sampler = "morris"
        samples = 4
        years = 12
        researchers = 300
        seed = 11
        [uncertainties]
        posterior = "{POSTERIOR}"
        "preferences.hours" = {{ low = 0.0, high = 0.1 }}
        "talent.sigma" = {{ low = 0.45, high = 0.55 }}
        [levers.baseline]
        [levers.salary_match]
        policies.salary_match = {{ budget = 100000.0, min_talent_percentile = 50.0 }}
        [levers.hours_exemption]
        policies.hours_exemption = {{}}
        """,
    "vicious_cycle": """
        design = "grid"
        replicates = 2
        years = 10
        researchers = 300
        seed = 3
        [vary]
        "countries.KR.mentor_weight" = [0.0, 0.6]
        "countries.US.salary.industry.senior" = [300.0, 600.0]
        """,
}


def test_all_named_experiments_run_in_one_command_into_the_results_document(tmp_path, monkeypatch):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    out, doc_path = tmp_path / "results", tmp_path / "docs" / "results.md"
    assert named_main(["all", "--out", str(out), "--in-process", "--quiet", "--doc", str(doc_path)]) == 0
    doc = doc_path.read_text()
    for experiment in (EXPERIMENTS[name] for name in PUBLISHED):
        assert f"## {experiment.title}" in doc
        assert f"python -m experiments.named {experiment.name} --out results/{experiment.name}" in doc
        for sweep in experiment.sweeps:
            assert (out / experiment.name / sweep / "report" / "report.md").is_file()  # each sweep's own report
    images = sorted((tmp_path / "docs" / "img" / "results").rglob("*.png"))
    assert {p.parent.name for p in images} == set(PUBLISHED)
    for image in images:
        assert f"(img/results/{image.parent.name}/{image.name})" in doc and image.with_suffix(".pdf").is_file()
    assert f"Scenario (base config): `{shown_path(BASELINE)}`" in doc and "runs in" in doc
    assert doc.count("The posterior's particles weigh unequally, so the 20 draws took") == 1  # robustness
    assert doc.count(f"so the {equal_budget.EVALUATION_DRAWS} draws took") == 1  # the equal-budget evaluation
    assert doc.count("Held at their assumed values at every draw") == 1  # robustness: what no draw varies
    # ... of which the Morris screening moves the spread of talent, and says so, the weights not refitted
    unscreened = doc.split("(sweep `effect_morris.toml`) moves all but ", 1)[1].split(" over their prior ranges")[0]
    assert "`preferences.mentor_working`" in unscreened and "`talent.sigma`" not in unscreened
    assert doc.count("The screening also moves assumed inputs the other draws hold, each over its prior range: "
                     "spread of log talent (`talent.sigma`).") == 1

    effects = pd.read_csv(out / "vicious_cycle" / "summary" / "tables" / "vicious_cycle_effects.csv")
    assert set(effects["weight"]) == {0.0, 0.6} and set(effects["pay"]) == {600.0}
    no_channel = effects[(effects["weight"] == 0.0) & (effects["output"] == "mentor_quality_KR")]
    assert (no_channel["effect"] == 0).all()  # with weight 0 mentor quality does not depend on who stays
    assert effects["cycle"].notna().sum() == (effects["weight"] > 0).sum()
    assert not (out / "policy_comparison").exists()  # not published: it has no parameter uncertainty
    assert named_main(["policy_comparison", "--out", str(out / "policy_comparison"), "--in-process", "--quiet"]) == 0
    policies = pd.read_csv(out / "policy_comparison" / "summary" / "tables" / "policy_comparison.csv")
    assert set(policies["arm"]) == {"return grant", "hours exemption"}
    arms = pd.read_csv(out / "policy_comparison" / "summary" / "tables" / "arms.csv").set_index("arm")
    assert arms.loc["return grant", "settings"].startswith("grant.toml: return grant from 2025: ")
    assert "budget 50,000" in arms.loc["return grant", "settings"]

    robust = pd.read_csv(out / "robustness" / "summary" / "tables" / "robust_effects.csv")
    assert set(robust["setting"]) == {"salary_match", "hours_exemption"} and (robust["draws"] == 20).all()
    assert robust["param_share"].between(0, 1).all()
    best = pd.read_csv(out / "equal_budget" / "summary" / "tables" / "equal_budget.csv")
    assert sorted(zip(best["arm"], best["budget"], strict=True)) == [  # one best setting a lever and budget
        ("return_grant", 50000.0), ("return_grant", 100000.0), ("salary_match", 50000.0), ("salary_match", 100000.0)]
    assert (best["draws"] == equal_budget.EVALUATION_DRAWS).all()  # measured on the evaluation's fresh draws
    written = read_sweep(out / "equal_budget" / "sweeps" / "equal_budget.toml")
    assert {p.values["setting"] for p in written.points} == {
        "baseline", "hours_exemption", "salary_match@50000", "salary_match@100000", "return_grant@50000",
        "return_grant@100000"}
    assert written.points[4].config.policies.return_grant.years in (2, 3)  # a whole-number setting stays whole
    chosen = written.points[2].config.policies.salary_match  # the search's best setting, its budget and share
    assert chosen.budget == 50000.0 and chosen.share in (0.5, 1.0) and chosen.min_talent_percentile == 50.0
    sobol = pd.read_csv(out / "effect_sensitivity" / "summary" / "tables" / "effect_sobol.csv")
    assert set(sobol["parameter"]) == {"posterior", "preferences.hours"}
    assert "lead_hours_exemption_over_salary_match" in set(sobol["output"])
    if shutil.which("pdflatex"):  # every experiment's tables compile, and fit the page
        for name in PUBLISHED:
            folder = out / name / "summary" / "tables"
            done = subprocess.run(["pdflatex", "-interaction=nonstopmode", "-halt-on-error", "tables_document.tex"],
                                  cwd=folder, capture_output=True, text=True, timeout=120)
            log = (folder / "tables_document.log").read_text(errors="replace")
            assert done.returncode == 0, log[-2000:]
            assert "Overfull \\hbox" not in log, name

    # run one again: its sweeps resume (nothing left to run) and its summary is rewritten
    assert named_main(["vicious_cycle", "--out", str(out / "vicious_cycle"), "--in-process", "--quiet"]) == 0


def test_named_experiment_bad_input_is_one_line_and_exit_2(tmp_path, capsys):
    assert named_main(["bogus", "--out", str(tmp_path / "x")]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert named_main(["vicious_cycle", "--base", str(tmp_path / "missing.toml"), "--out", str(tmp_path / "x")]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "missing.toml" in err
    assert not (tmp_path / "x").exists()
    assert talentflow(["experiment", "bogus"]) == 2  # the same command under talentflow
    assert "invalid choice" in capsys.readouterr().err


def tiny_sweeps(folder: Path, monkeypatch) -> None:
    """Point the named experiments at the tiny sweep files of :data:`TINY`, written into ``folder``."""
    monkeypatch.setattr(equal_budget, "EVALUATION_DRAWS", 4)  # the evaluation sweep the search writes
    folder.mkdir()
    (folder / "grant.toml").write_text(f'extends = "{BASELINE}"\n[policies.return_grant]\ngrant = 150.0\n'
                                       'budget = 50000.0\n')
    for name, body in TINY.items():
        write_sweep(folder, f'name = "{name}"\n' + body, name=f"{name}.toml")
    monkeypatch.setattr(base, "SWEEPS", folder)


@pytest.mark.parametrize("case", ["a file of the user's", "a folder"])
def test_doc_that_is_not_an_earlier_results_document_is_refused_before_anything_runs(tmp_path, capsys, case):
    doc = tmp_path / "notes.md"
    if case == "a folder":
        doc.mkdir()
    else:
        doc.write_text("my notes")
    out = tmp_path / "results"
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet", "--doc", str(doc)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--doc" in err and str(doc) in err, err
    assert ("--force" in err) == (case != "a folder")
    assert not out.exists()  # refused before the sweeps ran
    assert doc.is_dir() if case == "a folder" else doc.read_text() == "my notes"


def test_doc_in_a_folder_that_is_a_file_is_refused_before_anything_runs(tmp_path, capsys):
    (tmp_path / "afile").write_text("")
    doc, out = tmp_path / "afile" / "results.md", tmp_path / "results"
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet", "--doc", str(doc)]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "is not a folder" in err, err
    assert not out.exists()


def test_doc_replaces_an_earlier_results_document_and_keeps_other_files_beside_its_figures(tmp_path, monkeypatch):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    doc, out = tmp_path / "docs" / "results.md", tmp_path / "results"
    mine = tmp_path / "docs" / "img" / "results" / "vicious_cycle" / "sketch.txt"
    mine.parent.mkdir(parents=True)
    mine.write_text("mine")
    doc.write_text(f"{results.MARKER}\n# Results\n\nan earlier run\n")
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet", "--doc", str(doc)]) == 0
    text = doc.read_text()
    assert text.startswith(results.MARKER) and "an earlier run" not in text and "## " in text
    assert mine.read_text() == "mine"  # a file of the user's beside the figures stays


@pytest.mark.parametrize(("text", "force", "allowed"), [
    (None, False, True),  # a new file
    (f"{results.MARKER}\n# Results\n", False, True),  # written by the command
    (f"# Results\n\n{results.OPENING}\n\nCommand: ...\n", False, True),  # written before it carried the marker
    ("# Results\n\nmy own edits\n", False, False),
    ("# Results\n\nmy own edits\n", True, True),
], ids=["new", "marked", "unmarked earlier document", "hand-written", "hand-written with --force"])
def test_check_doc_allows_only_a_document_the_command_wrote_unless_forced(tmp_path, text, force, allowed):
    doc = tmp_path / "results.md"
    if text is not None:
        doc.write_text(text)
    if allowed:
        check_doc(doc, force=force)
    else:
        with pytest.raises(UsageError, match="--force"):
            check_doc(doc, force=force)
    with pytest.raises(UsageError, match="is a folder"):
        check_doc(tmp_path, force=True)


def test_a_named_experiment_on_dask_gives_the_results_of_one_in_process(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    here, there = tmp_path / "here", tmp_path / "there"
    assert named_main(["equal_budget", "--out", str(here), "--in-process", "--quiet"]) == 0
    assert named_main(["equal_budget", "--out", str(there), "--dask-local", "2", "--quiet"]) == 0
    table = Path("summary") / "tables" / "equal_budget.csv"
    pd.testing.assert_frame_equal(pd.read_csv(here / table), pd.read_csv(there / table))
    capsys.readouterr()
    assert named_main(["equal_budget", "--out", str(tmp_path / "gone"), "--scheduler", "tcp://127.0.0.1:9",
                       "--connect-timeout", "1", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "--scheduler" in err and "127.0.0.1:9" in err


def scenario(folder: Path, wage: float) -> Path:
    """A scenario extending the baseline with another wage weight (a --base config)."""
    path = folder / f"scenario_{wage}.toml"
    path.write_text(f'extends = "{BASELINE}"\n[preferences]\nwage = {wage}\n')
    return path


#: A one-run sweep file of another name than any experiment's sweeps.
OTHER = 'name = "other"\nyears = 2\nresearchers = 50\nseed = 1\n[vary]\n"preferences.wage" = [1.0]\n'


def other_sweep(folder: Path, files: Path) -> Path:
    """A finished ``talentflow sweep`` into ``folder`` of a one-run sweep file "other" (in ``files``); returns it."""
    file = write_sweep(files, OTHER, name="other.toml")
    assert talentflow(["sweep", str(file), "--out", str(folder), "--in-process", "--quiet"]) == 0
    return folder


def tree(folder: Path) -> dict[str, bytes]:
    """Every file under ``folder`` and its bytes."""
    return {str(p.relative_to(folder)): p.read_bytes() for p in sorted(folder.rglob("*")) if p.is_file()}


def test_a_base_refused_by_a_sweep_folder_writes_no_sweep_file_copies(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    out = tmp_path / "out"
    other_sweep(out / "sensitivity_sobol", tmp_path)
    before = tree(out)
    capsys.readouterr()
    assert named_main(["sensitivity", "--base", str(scenario(tmp_path, 1.7)), "--out", str(out), "--in-process",
                       "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sensitivity_sobol" in err, err
    assert "holds another sweep (other)" in err and "changed since it started" not in err, err
    assert tree(out) == before and not (out / "sweeps").exists()


def test_a_finished_experiment_is_not_rewritten_for_another_base(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    out = tmp_path / "z"
    assert named_main(["vicious_cycle", "--base", str(scenario(tmp_path, 1.7)), "--out", str(out), "--in-process",
                       "--quiet"]) == 0
    before = tree(out)
    capsys.readouterr()
    assert named_main(["vicious_cycle", "--base", str(scenario(tmp_path, 1.2)), "--out", str(out), "--in-process",
                       "--quiet"]) == 2
    assert capsys.readouterr().err.count("\n") == 1
    assert tree(out) == before  # its sweep file copy still names the base it ran on
    assert "scenario_1.7.toml" in (out / "sweeps" / "vicious_cycle.toml").read_text()


def test_another_experiment_does_not_replace_a_summary(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    out = tmp_path / "e"
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet"]) == 0
    before = tree(out)
    capsys.readouterr()
    assert named_main(["match_budget", "--out", str(out), "--in-process", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "vicious_cycle" in err and "summary" in err, err
    assert tree(out) == before and not (out / "match_budget").exists()  # refused before running


def test_an_experiment_into_a_sweep_folder_is_refused(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    out = other_sweep(tmp_path / "s", tmp_path)
    before = tree(out)
    capsys.readouterr()
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet"]) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "sweep folder" in err, err
    assert tree(out) == before


@pytest.mark.parametrize("inside", [False, True], ids=["a file", "inside a file"])
def test_an_out_that_is_a_file_is_refused_in_one_line(tmp_path, monkeypatch, capsys, inside):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    (tmp_path / "a").mkdir()
    (tmp_path / "a" / "afile").write_text("mine")
    out = tmp_path / "a" / "afile" / "sub" if inside else tmp_path / "a" / "afile"
    for extra in ([], ["--base", str(scenario(tmp_path, 1.7))]):
        assert named_main(["sensitivity", "--out", str(out), "--in-process", "--quiet", *extra]) == 2
        err = capsys.readouterr().err
        assert err.count("\n") == 1 and "not a folder" in err and "Traceback" not in err, err
    assert (tmp_path / "a" / "afile").read_text() == "mine"
    assert sorted(p.name for p in (tmp_path / "a").iterdir()) == ["afile"]


def interrupt(*args, **kwargs):
    raise KeyboardInterrupt


def test_ctrl_c_ends_an_experiment_in_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    tiny_sweeps(tmp_path / "sweeps", monkeypatch)
    monkeypatch.setattr(runner, "run_sweep", interrupt)
    out = tmp_path / "out"
    assert named_main(["vicious_cycle", "--out", str(out), "--in-process", "--quiet"]) == 130
    err = capsys.readouterr().err
    assert err == f"interrupted: the finished runs are kept in {out}; run the same command again to continue\n"


def test_ctrl_c_ends_a_sweep_in_one_line_and_exit_130(tmp_path, monkeypatch, capsys):
    monkeypatch.setattr(runner, "run_sweep", interrupt)
    file = write_sweep(tmp_path, OTHER, name="other.toml")
    out = tmp_path / "out"
    for where in (["--in-process"], ["--workers", "1"]):
        assert talentflow(["sweep", str(file), "--out", str(out), "--quiet", *where]) == 130
        err = capsys.readouterr().err
        assert err == f"interrupted: the finished runs are kept in {out}; run the same command again to continue\n"
