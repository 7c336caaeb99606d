"""Each run's random stream, derived from the sweep's one root seed.

Under common random numbers (the default) replicate r of every point uses the
same stream, ``SeedSequence(root, spawn_key=(r,))``: the difference between two
points is then the effect of their parameters, not of different draws. Without
them each (point, replicate) has its own stream, ``spawn_key=(point, r)``.
The stream depends only on these keys, never on the executor or the order in
which runs finish.
"""

from __future__ import annotations

import numpy as np


def run_seed(root: int, point: int, replicate: int, *, common_random_numbers: bool = True) -> np.random.SeedSequence:
    """The SeedSequence of one run."""
    key = (replicate,) if common_random_numbers else (point, replicate)
    return np.random.SeedSequence(root, spawn_key=key)


def describe(seed: np.random.SeedSequence) -> dict[str, object]:
    """The seed as JSON: enough to rebuild it with ``SeedSequence(entropy, spawn_key=spawn_key)``."""
    return {"entropy": int(seed.entropy), "spawn_key": list(seed.spawn_key)}
