"""Salary matching: the government pays a share of the gap between a researcher's best
foreign offer and their pay at home, up to a per-person cap, in multi-year contracts."""

from __future__ import annotations

import numpy as np

from simulation.levers.base import ContractLever, YearContext
from simulation.population import Population
from simulation.schema import SalaryMatchConfig
from simulation.world import World


def matched_amount(best_abroad: np.ndarray, best_home: np.ndarray, share: float, cap: float) -> np.ndarray:
    """``min(share * max(0, best_abroad - best_home), cap)``, million KRW a year."""
    return np.minimum(share * np.maximum(best_abroad - best_home, 0.0), cap)


class SalaryMatch(ContractLever):
    """Matches a share of the pay gap for eligible researchers who choose home."""

    config: SalaryMatchConfig

    def __init__(self, name: str, config: SalaryMatchConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self.contract_years = config.contract_years

    def amounts(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> np.ndarray:
        home = self.home_alternatives
        best_abroad = pay[:, ~home].max(axis=1) if (~home).any() else np.zeros(len(rows))
        return matched_amount(best_abroad, pay[:, home].max(axis=1), self.config.share, self.config.cap)
