"""Each run's random stream, derived from the sweep's one root seed.

Under common random numbers (the default) replicate r of every point uses the
same stream, ``SeedSequence(root, spawn_key=(r,))``: the difference between two
points is then the effect of their parameters, not of different draws. Without
them each (point, replicate) has its own stream, ``spawn_key=(point, r)``. A design
whose points come in streams (an uncertainties design: every lever at one draw of
the uncertain weights) shares draws only within a stream, ``spawn_key=(STREAM, s, r)``:
the levers at one draw are compared on the same draws, and two draws of the
weights see independent noise, so that parameter and noise variance can be told apart.
The stream depends only on these keys, never on the executor or the order in
which runs finish.
"""

from __future__ import annotations

import numpy as np

#: First spawn-key entry of streamed seeds (keys of length 3 never collide with the others).
STREAM = 0x57EA


def run_seed(root: int, point: int, replicate: int, *, common_random_numbers: bool = True,
             stream: int | None = None) -> np.random.SeedSequence:
    """The SeedSequence of one run (``stream``: the point's stream, None for designs without streams)."""
    if not common_random_numbers:
        key: tuple[int, ...] = (point, replicate)
    elif stream is not None:
        key = (STREAM, stream, replicate)
    else:
        key = (replicate,)
    return np.random.SeedSequence(root, spawn_key=key)


def describe(seed: np.random.SeedSequence) -> dict[str, object]:
    """The seed as JSON: enough to rebuild it with ``SeedSequence(entropy, spawn_key=spawn_key)``."""
    return {"entropy": int(seed.entropy), "spawn_key": list(seed.spawn_key)}
