"""simulation.arrays: exact forms of numpy calls."""

import numpy as np

from simulation.arrays import select


def test_select_is_np_where_bit_for_bit():
    rng = np.random.default_rng(3)
    values = np.array([0.0, -0.0, np.inf, -np.inf, np.nan, 1e-300, -2.5, 7.0])
    a = rng.choice(values, size=(4, 50))
    b = rng.choice(values, size=(4, 50))
    mask = rng.random((4, 50)) < 0.5
    for if_true, if_false in [(a, b), (a, 100.0), (-0.0, b), (3.0, -np.inf), (a[:, :1], np.inf)]:
        expected = np.where(mask, if_true, if_false)
        got = select(mask, if_true, if_false)
        assert got.dtype == np.float64 and got.shape == expected.shape
        assert got.tobytes() == expected.tobytes()


def test_select_keeps_the_mask_layout():
    mask = np.zeros((3, 5), dtype=bool)
    mask[1] = True
    got = select(mask.T, np.ones((3, 5)).T, 0.0)  # alternative-major (n, A) arrays, as in simulation.choice
    assert np.array_equal(got, np.where(mask.T, 1.0, 0.0))
    assert got.T.flags.c_contiguous


def test_select_on_one_row():
    assert select(np.array([True]), np.array([2.0]), 0.0).tolist() == [2.0]
    assert select(np.array([False]), np.array([2.0]), -0.0).tobytes() == np.array([-0.0]).tobytes()
