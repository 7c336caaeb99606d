"""Return grant: a yearly grant for researchers of the home country's origin who come back from abroad."""

from __future__ import annotations

import numpy as np

from simulation.levers.base import Approach, Choices, ContractLever, YearContext
from simulation.population import Population
from simulation.schema import ReturnGrantConfig
from simulation.world import World


class ReturnGrant(ContractLever):
    """Pays ``grant`` a year for ``years`` years to eligible returners (abroad now, with a post at home open)."""

    config: ReturnGrantConfig

    def __init__(self, name: str, config: ReturnGrantConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self.contract_years = config.years

    def candidates(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext
                   ) -> np.ndarray:
        rows = choices.rows
        abroad_natives = (pop.country[rows] != self.home) & (pop.origin[rows] == self.home)
        return super().candidates(pop, choices, approach, ctx) & abroad_natives

    def amounts(self, pop: Population, choices: Choices, local: np.ndarray, ctx: YearContext) -> np.ndarray:
        return np.full(len(local), self.config.grant)
