"""The named experiments behind docs/results.md, each one command.

``python -m experiments.named NAME --out DIR`` (or ``talentflow experiment NAME --out DIR``) runs one;
``NAME = all`` runs them all and, with ``--doc docs/results.md``, writes the results document.

:data:`NAMES` is light; ``EXPERIMENTS``, ``Experiment``, ``Outcome`` and ``run_experiment`` are imported
on first use (PEP 562), so that the ``talentflow`` command line can offer the names without importing
the experiments (pandas, scipy, matplotlib, the model).
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from experiments.named.base import Experiment, Outcome, run_experiment

    EXPERIMENTS: dict[str, Experiment]

#: The names of the named experiments, in the order of docs/results.md (the keys of ``EXPERIMENTS``).
#: ``all`` runs these, the experiments of docs/results.md; the others (at the posterior median only, with simulation
#: noise as their only uncertainty) stay runnable by name.
PUBLISHED: tuple[str, ...] = ("robustness", "equal_budget", "effect_sensitivity", "vicious_cycle")
NAMES: tuple[str, ...] = ("robustness", "equal_budget", "effect_sensitivity", "policy_comparison", "vicious_cycle",
                          "match_budget", "sensitivity")

__all__ = ["EXPERIMENTS", "NAMES", "PUBLISHED", "Experiment", "Outcome", "run_experiment"]

_BASE_EXPORTS = ("Experiment", "Outcome", "run_experiment")


def _experiments() -> dict[str, Experiment]:
    """Every named experiment, in the order of docs/results.md."""
    from experiments.named import (
        effect_sensitivity,
        equal_budget,
        match_budget,
        policy_comparison,
        robustness,
        sensitivity,
        vicious_cycle,
    )

    return {e.name: e for e in (robustness.EXPERIMENT, equal_budget.EXPERIMENT, effect_sensitivity.EXPERIMENT,
                                policy_comparison.EXPERIMENT, vicious_cycle.EXPERIMENT, match_budget.EXPERIMENT,
                                sensitivity.EXPERIMENT)}


def __getattr__(name: str) -> Any:
    """Import ``EXPERIMENTS``, ``Experiment``, ``Outcome`` and ``run_experiment`` on first use."""
    if name == "EXPERIMENTS":
        value: Any = _experiments()
    elif name in _BASE_EXPORTS:
        from experiments.named import base

        value = getattr(base, name)
    else:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    globals()[name] = value
    return value

