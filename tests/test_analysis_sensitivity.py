"""Sobol and Morris indices through the sensitivity module, on functions with known indices; the morris design."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from experiments_support import write_sweep

from experiments import designs
from experiments.analysis import sensitivity
from experiments.sweepfile import DESIGN_SPAWN_KEY, read_sweep
from simulation.config import ConfigError

PI = np.pi
ISHIGAMI = {"x1": (-PI, PI), "x2": (-PI, PI), "x3": (-PI, PI)}


def ishigami(x: np.ndarray, a: float = 7.0, b: float = 0.1) -> np.ndarray:
    return np.sin(x[:, 0]) + a * np.sin(x[:, 1]) ** 2 + b * x[:, 2] ** 4 * np.sin(x[:, 0])


def ishigami_indices(a: float = 7.0, b: float = 0.1) -> tuple[np.ndarray, np.ndarray]:
    """Analytic first-order and total indices of the Ishigami function (Saltelli et al. 2008)."""
    v1 = 0.5 * (1 + b * PI**4 / 5) ** 2
    v2 = a**2 / 8
    v13 = b**2 * PI**8 * (1 / 18 - 1 / 50)
    v = v1 + v2 + v13
    return np.array([v1, v2, 0.0]) / v, np.array([v1 + v13, v2, v13]) / v


def table(points: list[dict[str, float]], bounds: dict[str, tuple[float, float]]) -> np.ndarray:
    return np.array([[p[k] for k in bounds] for p in points])


def test_sobol_indices_of_the_ishigami_function_match_the_analytic_values():
    x = table(designs.sobol(ISHIGAMI, 1024, second_order=True, seed=3), ISHIGAMI)
    got = sensitivity.sobol_indices(ishigami(x), ISHIGAMI, seed=1)
    first, total = ishigami_indices()
    assert got["S1"].to_numpy() == pytest.approx(first, abs=0.04)
    assert got["ST"].to_numpy() == pytest.approx(total, abs=0.04)
    assert (got["S1_low"] <= got["S1"]).all() and (got["S1"] <= got["S1_high"]).all()


def test_sobol_indices_of_a_linear_model_are_shares_of_variance():
    bounds = {"a": (0.0, 1.0), "b": (0.0, 2.0), "c": (10.0, 11.0)}
    coefficients = np.array([1.0, 1.0, 0.0])
    x = table(designs.sobol(bounds, 512, second_order=False, seed=5), bounds)
    got = sensitivity.sobol_indices(x @ coefficients, bounds, calc_second_order=False, seed=2)
    variances = coefficients**2 * np.array([1.0, 4.0, 1.0]) / 12  # var of U(lo, hi) is (hi - lo)^2 / 12
    expected = variances / variances.sum()  # additive: first order = total
    assert got["S1"].to_numpy() == pytest.approx(expected, abs=0.03)
    assert got["ST"].to_numpy() == pytest.approx(expected, abs=0.03)


def test_sobol_indices_of_a_constant_output_are_undefined_not_an_error():
    bounds = {"a": (0.0, 1.0), "b": (0.0, 1.0)}
    got = sensitivity.sobol_indices(np.ones(designs.sobol_size(8, 2, True)), bounds)
    assert got[["S1", "ST"]].isna().all().all()


def test_morris_mu_star_of_a_linear_model_is_the_change_across_the_range():
    bounds = {"a": (0.0, 1.0), "b": (0.0, 2.0), "c": (5.0, 6.0)}
    x = table(designs.morris(bounds, 20, seed=4), bounds)
    got = sensitivity.morris_indices(x, 3 * x[:, 0] - x[:, 1], bounds).set_index("parameter")
    assert got.loc["a", "mu_star"] == pytest.approx(3.0) and got.loc["a", "mu"] == pytest.approx(3.0)
    assert got.loc["b", "mu_star"] == pytest.approx(2.0) and got.loc["b", "mu"] == pytest.approx(-2.0)
    assert got.loc["c", "mu_star"] == pytest.approx(0.0)
    assert got["sigma"].to_numpy() == pytest.approx(0.0, abs=1e-9)  # linear: no interactions


def test_morris_design_keeps_salib_sample_order(tmp_path):
    from SALib.sample import morris as salib_morris

    sweep = read_sweep(write_sweep(tmp_path, """
        design = "morris"
        samples = 6
        seed = 5
        [vary]
        "preferences.wage" = { low = 0.5, high = 2.5 }
        "preferences.mentor" = { low = 1.0, high = 2.0 }
        """))
    assert len(sweep.points) == 6 * (2 + 1)
    problem = {"num_vars": 2, "names": list(sweep.parameters), "bounds": [[0.5, 2.5], [1.0, 2.0]]}
    seed = int(np.random.SeedSequence(5, spawn_key=DESIGN_SPAWN_KEY).generate_state(1)[0])
    expected = salib_morris.sample(problem, 6, num_levels=designs.MORRIS_LEVELS, seed=seed)
    assert np.allclose(table([p.values for p in sweep.points], dict.fromkeys(sweep.parameters)), expected)
    # along a trajectory exactly one parameter changes at each step
    steps = np.diff(expected.reshape(6, 3, 2), axis=1)
    assert ((steps != 0).sum(axis=2) == 1).all()


def test_morris_design_needs_samples_and_ranges(tmp_path):
    for body, key in (("design = 'morris'\nseed = 1\n[vary]\n'preferences.wage' = {low = 1, high = 2}\n", "samples"),
                      ("design = 'morris'\nseed = 1\nsamples = 4\n[vary]\n'preferences.wage' = [1.0, 2.0]\n",
                       "vary.preferences.wage")):
        path = write_sweep(tmp_path, body)
        with pytest.raises(ConfigError) as caught:
            read_sweep(path)
        assert str(caught.value).startswith(f"{path}: {key}: ")


def manifest_of(sweep_text: str, design: str, points: list[dict[str, float]], names: list[str]) -> dict:
    return {"design": design, "parameters": names, "sweep": {"text": sweep_text},
            "design_table": [{"point": i, "name": f"p{i}", **p} for i, p in enumerate(points)]}


def test_analyse_reads_ranges_and_order_from_the_manifest_and_averages_replicates():
    pi = "3.141592653589793"  # ranges written inline and as a sub-table, in another order than the design's
    text = (f'design = "sobol"\nsecond_order = false\n[vary]\n"x1" = {{ low = -{pi}, high = {pi} }}\n'
            f'"x3" = {{ low = -{pi}, high = {pi} }}\n[vary.x2]\nlow = -{pi}\nhigh = {pi}\n')
    points = designs.sobol(ISHIGAMI, 512, second_order=False, seed=8)
    manifest = manifest_of(text, "sobol", points, ["x1", "x2", "x3"])
    bounds = sensitivity.sweep_bounds(manifest)
    assert bounds == ISHIGAMI and list(bounds) == ["x1", "x2", "x3"]  # the design's order
    y = ishigami(table(points, ISHIGAMI))
    rows = [{"point": i, "replicate": r, "year": 2044, "y": y[i] + (0.5 if r else -0.5)}
            for i in range(len(points)) for r in range(2)]  # replicate noise that averages out
    got = sensitivity.analyse(pd.DataFrame(rows), manifest, ["y"])
    first, total = ishigami_indices()
    assert list(got["output"].unique()) == ["y"]
    assert got["S1"].to_numpy() == pytest.approx(first, abs=0.06)
    assert got["ST"].to_numpy() == pytest.approx(total, abs=0.06)


def test_analyse_refuses_a_sweep_missing_points():
    points = designs.sobol({"a": (0, 1), "b": (0, 1)}, 4, second_order=True, seed=1)
    manifest = manifest_of('[vary]\na = {low = 0, high = 1}\nb = {low = 0, high = 1}\n', "sobol", points,
                           ["a", "b"])
    data = pd.DataFrame({"point": range(len(points) - 1), "year": 2030, "y": 1.0})
    with pytest.raises(ValueError, match="indices need them all"):
        sensitivity.analyse(data, manifest, ["y"])


def test_sobol_and_morris_intervals_are_the_same_when_analysed_twice():
    x = table(designs.sobol(ISHIGAMI, 256, second_order=True, seed=3), ISHIGAMI)
    pd.testing.assert_frame_equal(sensitivity.sobol_indices(ishigami(x), ISHIGAMI),
                                  sensitivity.sobol_indices(ishigami(x), ISHIGAMI))
    xm = table(designs.morris(ISHIGAMI, 20, seed=3), ISHIGAMI)
    pd.testing.assert_frame_equal(sensitivity.morris_indices(xm, ishigami(xm), ISHIGAMI),
                                  sensitivity.morris_indices(xm, ishigami(xm), ISHIGAMI))
