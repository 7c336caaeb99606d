"""Experiment runner: sweeps of the model over designs and replicates, on any executor, resumable.

``experiments.load(folder)`` returns a finished (or partly finished) sweep as one tidy DataFrame.
"""

from experiments.store import load
from experiments.sweepfile import Sweep, read_sweep

__all__ = ["Sweep", "load", "read_sweep"]
