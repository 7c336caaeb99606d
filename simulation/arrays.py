"""Exact, faster forms of numpy calls the yearly step makes many times over all researchers."""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike


def select(mask: np.ndarray, if_true: ArrayLike, if_false: ArrayLike) -> np.ndarray:
    """``np.where(mask, if_true, if_false)`` as float64, bit for bit, for a ``mask`` of the result's shape.

    np.where branches on each element and runs several times slower when the
    mask is unpredictable (the posts open to each researcher, the employers a
    cap covers); this picks each element's bits with integer masks instead,
    branch-free. Where the mask is predictable (by stage: rows are in order of
    entry, so of career age), np.where is faster.
    The result is laid out as the inputs are (alternative-major in, alternative-major out).
    """
    keep = mask.astype(np.int64)
    np.negative(keep, out=keep)  # all bits set where True, none where False
    picked = np.bitwise_and(keep, _bits(if_true))
    np.invert(keep, out=keep)
    keep &= _bits(if_false)
    picked |= keep
    return picked.view(np.float64)


def _bits(values: ArrayLike) -> np.ndarray:
    """The bits of ``values`` as float64, viewed as int64."""
    return np.asarray(values, dtype=np.float64).view(np.int64)
