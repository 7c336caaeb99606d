"""What of the machine decides the last bits of a run's floating-point results, recorded beside its outputs.

The same config and seed give identical outputs on one machine. Across machines
they are identical only where numpy computes the same way: the same numpy
version, CPU architecture and SIMD extensions (numpy dispatches exp, log and
sums to SIMD code chosen for the CPU at run time, whose last bits may differ).
The loops numba compiles (:mod:`simulation.loops`) round each operation as
written, as numpy does (no fast-math), and the threads a year is split over
(:mod:`simulation.threads`) change no bit; numba's version is recorded with the
other packages'. The decision math calls no BLAS routine (no matrix products);
numpy's BLAS is recorded all the same. run.json and a sweep's manifest hold
:func:`numeric_platform`.
"""

from __future__ import annotations

import platform
from typing import Any


def cpu_features() -> list[str]:
    """The CPU features numpy found on this machine (e.g. AVX2, AVX512F), or [] if numpy does not say."""
    try:
        from numpy._core._multiarray_umath import __cpu_features__
    except ImportError:  # numpy's private module moved
        return []
    return sorted(name for name, found in __cpu_features__.items() if found)


def numeric_platform() -> dict[str, Any]:
    """The CPU architecture, numpy's version, the SIMD extensions it was built for and found, the CPU features
    it detected, and its BLAS library (name and version)."""
    import numpy as np

    config = np.show_config(mode="dicts")
    blas = config.get("Build Dependencies", {}).get("blas", {})
    return {"machine": platform.machine(), "numpy": np.__version__,
            "simd": config.get("SIMD Extensions", {}), "cpu_features": cpu_features(),
            "blas": {"name": blas.get("name"), "version": blas.get("version")}}
