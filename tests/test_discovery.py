"""Scenario discovery with PRIM: a planted box is found, the statistics are consistent, bad inputs are refused."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from experiments.analysis import discovery

#: Bounds of the planted box: the cases of interest are x0 > 0.7 and x2 < 0.4.
X0_LOW, X2_HIGH = 0.7, 0.4
TOLERANCE = 0.08


def planted(seed: int, n: int = 500, noise: float = 0.03) -> tuple[pd.DataFrame, np.ndarray]:
    """``n`` points uniform on [0, 1]^4, of interest when x0 > 0.7 and x2 < 0.4, a share ``noise`` of labels flipped."""
    rng = np.random.default_rng(seed)
    inputs = pd.DataFrame(rng.uniform(size=(n, 4)), columns=["x0", "x1", "x2", "x3"])
    truth = (inputs["x0"] > X0_LOW).to_numpy() & (inputs["x2"] < X2_HIGH).to_numpy()
    return inputs, truth ^ (rng.uniform(size=n) < noise)


@pytest.fixture(scope="module")
def found() -> tuple[discovery.Box, pd.DataFrame, np.ndarray]:
    inputs, of_interest = planted(1)
    return discovery.discover(inputs, of_interest), inputs, of_interest


def test_the_planted_box_is_found(found):
    box, _, _ = found
    assert set(box.limits) == {"x0", "x2"}
    assert box.limits["x0"][0] == pytest.approx(X0_LOW, abs=TOLERANCE)
    assert box.limits["x2"][1] == pytest.approx(X2_HIGH, abs=TOLERANCE)
    assert box.limits["x0"][1] > 0.95 and box.limits["x2"][0] < 0.05  # the other sides are left open
    assert box.density > 0.8 and box.coverage > 0.6


def finds_the_planted_box(box: discovery.Box) -> bool:
    return (set(box.limits) == {"x0", "x2"} and abs(box.limits["x0"][0] - X0_LOW) <= TOLERANCE
            and abs(box.limits["x2"][1] - X2_HIGH) <= TOLERANCE and box.density > 0.8 and box.coverage > 0.6)


def test_the_planted_box_is_found_with_most_seeds():
    # The misses keep the loosest box whose density reaches 0.8 (x2 up to about 0.5), or lose a little density
    # below 0.8 when an insignificant restriction is dropped. Seed 10 strands PRIM's default criterion (lenient1).
    found = [seed for seed in range(20) if finds_the_planted_box(discovery.discover(*planted(seed)))]
    assert 10 in found
    assert len(found) >= 18, f"found with seeds {found}"


@pytest.mark.parametrize("seed", [3, 4, 10, 12])
def test_restrictions_peeled_by_chance_are_dropped(seed):
    # with these seeds the peeling trims a sliver off x1 or x3 on the way
    inputs, of_interest = planted(seed)
    assert set(discovery.discover(inputs, of_interest, max_quasi_p=None).limits) > {"x0", "x2"}
    box = discovery.discover(inputs, of_interest)
    assert set(box.limits) == {"x0", "x2"}
    assert all(p < 0.05 for p in box.quasi_p.values())


def test_the_box_statistics_match_its_limits(found):
    box, inputs, of_interest = found
    assert discovery.box_stats(inputs, of_interest, box.limits) == pytest.approx((box.coverage, box.density,
                                                                                   box.mass))
    assert box.base_rate == pytest.approx(of_interest.mean())


def test_the_trajectory_starts_with_everything_and_shrinks(found):
    box, _, of_interest = found
    t = box.trajectory
    assert list(t.columns) == list(discovery.TRAJECTORY_COLUMNS)
    assert t.iloc[0].tolist() == pytest.approx([1.0, of_interest.mean(), 1.0, 0])
    assert t["mass"].min() >= 0.05
    assert 0 <= box.selected < len(t)


def test_the_box_table_lists_the_restricted_inputs_with_their_ranges(found):
    box, inputs, _ = found
    table = discovery.box_table(box, inputs)
    assert list(table.columns) == ["input", "low", "high", "range_low", "range_high"]
    assert table["input"].tolist() == ["x0", "x2"]
    row = table.set_index("input").loc["x0"]
    assert row["low"] == box.limits["x0"][0] and row["range_low"] == inputs["x0"].min()
    assert row["range_high"] == inputs["x0"].max()


def test_choose_prefers_coverage_above_the_threshold_else_density():
    t = pd.DataFrame({"coverage": [1.0, 0.9, 0.7, 0.5], "density": [0.2, 0.6, 0.85, 0.95],
                      "mass": [1.0, 0.5, 0.3, 0.2], "restricted_dims": [0, 1, 2, 2]})
    assert discovery.choose(t, 0.8) == 2
    assert discovery.choose(t, 0.5) == 1
    assert discovery.choose(t, 0.99) == 3  # none reaches it: the densest


def test_no_threshold_reached_keeps_the_densest_box():
    inputs, of_interest = planted(1)
    box = discovery.discover(inputs, of_interest, threshold=1.01, max_quasi_p=None)
    assert box.selected == int(box.trajectory["density"].to_numpy().argmax())
    assert box.density == box.trajectory["density"].max()


@pytest.mark.parametrize(("n", "flags", "message"), [
    (19, "mixed", "at least 20 points"),
    (50, "none", "no case of interest"),
    (50, "all", "every case is of interest"),
])
def test_inputs_on_which_prim_is_undefined_are_refused(n, flags, message):
    inputs = pd.DataFrame({"a": np.linspace(0, 1, n), "b": np.linspace(1, 2, n)})
    of_interest = {"mixed": np.arange(n) % 2 == 0, "none": np.zeros(n, bool), "all": np.ones(n, bool)}[flags]
    with pytest.raises(ValueError, match=message):
        discovery.discover(inputs, of_interest)


def test_malformed_inputs_are_refused():
    inputs, of_interest = planted(2, n=40)
    with pytest.raises(ValueError, match="one flag per point"):
        discovery.discover(inputs, of_interest[:-1])
    with pytest.raises(ValueError, match="NaN"):
        discovery.discover(inputs.assign(x1=np.nan), of_interest)
    with pytest.raises(ValueError, match="numeric"):
        discovery.discover(inputs.assign(x1="a"), of_interest)


def test_the_figure_is_written_as_png_and_pdf(found, tmp_path):
    box, _, _ = found
    png = discovery.trajectory_figure(box, tmp_path / "figs" / "prim", "Where the cases of interest lie")
    assert png == tmp_path / "figs" / "prim.png"
    assert png.stat().st_size > 0 and (tmp_path / "figs" / "prim.pdf").stat().st_size > 0


@st.composite
def data_sets(draw: st.DrawFn) -> tuple[pd.DataFrame, np.ndarray]:
    """20 to 60 points in 1 to 3 inputs, some on a coarse grid (ties), with at least one case of each kind."""
    n = draw(st.integers(20, 60))
    d = draw(st.integers(1, 3))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    values = rng.uniform(size=(n, d))
    if draw(st.booleans()):
        values = np.round(values * 4) / 4
    inputs = pd.DataFrame(values, columns=[f"x{i}" for i in range(d)])
    of_interest = rng.uniform(size=n) < draw(st.floats(0.05, 0.95))
    one = draw(st.integers(0, n - 1))
    other = (one + draw(st.integers(1, n - 1))) % n
    of_interest[one], of_interest[other] = True, False
    return inputs, of_interest


@settings(max_examples=40, deadline=None)
@given(data=data_sets(), threshold=st.floats(0.3, 1.0), drop=st.booleans())
def test_coverage_density_and_mass_are_shares_tied_by_the_base_rate(data, threshold, drop):
    inputs, of_interest = data
    box = discovery.discover(inputs, of_interest, threshold=threshold, max_quasi_p=0.05 if drop else None)
    base_rate = of_interest.mean()
    for share in (box.coverage, box.density, box.mass):
        assert 0.0 <= share <= 1.0
    assert box.density * box.mass == pytest.approx(box.coverage * base_rate, rel=1e-12, abs=1e-12)
    assert discovery.box_stats(inputs, of_interest, box.limits) == pytest.approx((box.coverage, box.density,
                                                                                   box.mass))
