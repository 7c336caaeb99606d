"""Salary matching: the government pays a share of the gap between the best foreign offer a researcher
actually holds and their best pay at home, up to a per-person cap, in multi-year contracts."""

from __future__ import annotations

import numpy as np

from simulation.levers.base import Choices, ContractLever, YearContext
from simulation.population import Population
from simulation.schema import SalaryMatchConfig
from simulation.world import World


def matched_amount(best_abroad: np.ndarray, best_home: np.ndarray, share: float, cap: float) -> np.ndarray:
    """``min(share * max(0, best_abroad - best_home), cap)``, million KRW a year (0 where either is missing: -inf)."""
    gap = np.where(np.isfinite(best_abroad) & np.isfinite(best_home), best_abroad - best_home, 0.0)
    return np.minimum(share * np.maximum(gap, 0.0), cap)


def best_pay(pay: np.ndarray, open_: np.ndarray) -> np.ndarray:
    """The highest pay among the open posts of each row, -inf where none is open."""
    return np.where(open_, pay, -np.inf).max(axis=1, initial=-np.inf)


class SalaryMatch(ContractLever):
    """Matches a share of the pay gap for eligible researchers who hold a foreign offer and choose home.

    A researcher's foreign options are the posts abroad open to them this year: an
    offer they hold, or, for someone abroad, their own post there.
    """

    config: SalaryMatchConfig

    def __init__(self, name: str, config: SalaryMatchConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self.contract_years = config.contract_years

    def amounts(self, pop: Population, choices: Choices, local: np.ndarray, ctx: YearContext) -> np.ndarray:
        pay, open_ = choices.pay[local], choices.available[local]
        home = self.home_alternatives[None, :]
        return matched_amount(best_pay(pay, open_ & ~home), best_pay(pay, open_ & home), self.config.share,
                              self.config.cap)
