"""The named experiments behind docs/results.md, each one command.

``python -m experiments.named NAME --out DIR`` (or ``talentflow experiment NAME --out DIR``) runs one;
``NAME = all`` runs them all and, with ``--doc docs/results.md``, writes the results document.
"""

from __future__ import annotations

from experiments.named import match_budget, policy_comparison, sensitivity, vicious_cycle
from experiments.named.base import Experiment, Outcome, run_experiment

#: Every named experiment, in the order of docs/results.md.
EXPERIMENTS: dict[str, Experiment] = {e.name: e for e in (policy_comparison.EXPERIMENT, match_budget.EXPERIMENT,
                                                           sensitivity.EXPERIMENT, vicious_cycle.EXPERIMENT)}

__all__ = ["EXPERIMENTS", "Experiment", "Outcome", "run_experiment"]
