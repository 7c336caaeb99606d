"""Star-mentor recruitment: each year, packages for the most talented seniors abroad
(as China did with Tsinghua's Yao Class). Those who accept join the home country's
academia, and so its mentor pool."""

from __future__ import annotations

import numpy as np

from simulation.careers import ACADEMIA
from simulation.levers.base import ContractLever, YearContext, by_talent
from simulation.population import Population
from simulation.schema import StarRecruitmentConfig
from simulation.world import World


class StarRecruitment(ContractLever):
    """Approaches the top ``stars_per_year`` eligible researchers abroad with an academic package."""

    config: StarRecruitmentConfig

    def __init__(self, name: str, config: StarRecruitmentConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self.contract_years = config.contract_years
        self._home_academia = self.home_alternatives & (world.alt_sector == ACADEMIA)
        self._carry = 0.0  # fractional agents owed from earlier years
        self._approached = np.zeros(0, dtype=np.int64)

    def approach(self, pop: Population, staying: np.ndarray, ctx: YearContext) -> np.ndarray | None:
        self._approached = np.zeros(0, dtype=np.int64)
        if not self.config.active(ctx.year):
            return None
        self._carry += self.config.stars_per_year / ctx.people_per_agent
        count = float(np.floor(self._carry + 1e-9))
        self._carry -= count
        package_cost = self.config.package * ctx.people_per_agent
        if package_cost > 0:  # an unlimited budget (or a tiny package) makes ``affordable`` infinite
            affordable = float(np.floor((self.config.budget - self.committed(pop, ctx)) / package_cost + 1e-9))
            count = min(count, max(affordable, 0.0))
        rows = np.flatnonzero((pop.country != self.home) & staying)
        rows = rows[self.eligible(pop, rows, ctx) & (pop.contract_left[rows, self.column] == 0)]
        self._approached = by_talent(rows, pop.ln_talent)[: int(min(count, len(rows)))]
        mask = np.zeros(len(pop), dtype=bool)
        mask[self._approached] = True
        return mask

    def offered_alternatives(self) -> np.ndarray:
        return self._home_academia

    def candidates(self, pop: Population, rows: np.ndarray, ctx: YearContext) -> np.ndarray:
        return np.isin(rows, self._approached)

    def amounts(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> np.ndarray:
        return np.full(len(rows), self.config.package)
