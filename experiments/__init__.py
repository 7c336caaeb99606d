"""Experiment runner: sweeps of the model over designs and replicates, on any executor, resumable.

``experiments.load(folder)`` returns a finished (or partly finished) sweep as one tidy DataFrame.

``load``, ``read_sweep`` and ``Sweep`` are imported on first use (PEP 562), so that the ``talentflow``
command line can register the sweep commands without importing pandas.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from experiments.store import load
    from experiments.sweepfile import Sweep, read_sweep

__all__ = ["Sweep", "load", "read_sweep"]

#: Where each lazily exported name lives.
_EXPORTS: dict[str, str] = {"load": "experiments.store", "read_sweep": "experiments.sweepfile",
                            "Sweep": "experiments.sweepfile"}


def __getattr__(name: str) -> Any:
    """Import ``load``, ``read_sweep`` and ``Sweep`` on first use."""
    if name not in _EXPORTS:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    value = getattr(importlib.import_module(_EXPORTS[name]), name)
    globals()[name] = value
    return value

