"""Star-mentor recruitment: each year, packages for the most talented seniors abroad (as China did with
Tsinghua's Yao Class and its talent programmes). A package pays the star and funds a lab: trainee places
whose holders, the best trainees of the country, train under the star (a mentor-quality gain). Stars who
accept join the home country's academia, and so its pool of academic seniors."""

from __future__ import annotations

import numpy as np

from simulation.careers import ACADEMIA, SECTORS
from simulation.levers.base import Approach, Choices, ContractLever, Labs, YearContext, by_talent
from simulation.population import Population
from simulation.schema import StarRecruitmentConfig
from simulation.world import World


class StarRecruitment(ContractLever):
    """Approaches the top ``stars_per_year`` eligible researchers abroad (in the approached sectors, academia by
    default) with an academic package and a lab; the budget limits the packages signed (see ContractLever)."""

    config: StarRecruitmentConfig

    def __init__(self, name: str, config: StarRecruitmentConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self.contract_years = config.contract_years
        self._home_academia = self.home_alternatives & (world.alt_sector == ACADEMIA)
        self._sectors = np.array([s in config.approach_sectors for s in SECTORS])
        self._carry = 0.0  # fractional agents owed from earlier years

    def cost_of(self, amount: np.ndarray) -> np.ndarray:
        """The package plus its lab's places, for each contract running (amount > 0)."""
        lab = self.config.lab_places * self.config.place_cost
        return amount + np.where(amount > 0, lab, 0.0)

    def approach(self, pop: Population, staying: np.ndarray, ctx: YearContext) -> Approach | None:
        if not self.config.active(ctx.year):
            return None
        self._carry += self.config.stars_per_year / ctx.people_per_agent
        count = float(np.floor(self._carry + 1e-9))
        self._carry -= count
        rows = np.flatnonzero((pop.country != self.home) & staying & self._sectors[pop.sector])
        rows = rows[self.eligible(pop, rows, ctx) & (pop.contract_left[rows, self.column] == 0)]
        return Approach(rows=by_talent(rows, pop.ln_talent)[: int(min(count, len(rows)))],
                        alternatives=self._home_academia)

    def offered_alternatives(self) -> np.ndarray:
        return self._home_academia

    def candidates(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext
                   ) -> np.ndarray:
        approached = approach.rows if approach is not None else np.zeros(0, dtype=np.int64)
        return super().candidates(pop, choices, approach, ctx) & np.isin(choices.rows, approached)

    def amounts(self, pop: Population, choices: Choices, local: np.ndarray, ctx: YearContext) -> np.ndarray:
        return np.full(len(local), self.config.package)

    def labs(self, pop: Population, ctx: YearContext) -> Labs | None:
        if not self.config.active(ctx.year):
            return None
        stars = np.count_nonzero(self.holders(pop) & (pop.sector == ACADEMIA))
        return Labs(country=self.home, places=float(stars * self.config.lab_places),
                    gain=self.config.lab_mentor_gain)
