"""The 52-hour exemption: eligible researchers in the home country may work past its cap.

The exemption costs the state only its administration (``cost_per_researcher``,
zero by default); it is granted in talent order within the yearly budget.
"""

from __future__ import annotations

import numpy as np

from simulation.levers.base import Lever, Offer, Spending, YearContext, by_talent
from simulation.population import Population
from simulation.schema import HoursExemptionConfig


class HoursExemption(Lever):
    """Lifts the home country's hours cap for eligible researchers there."""

    config: HoursExemptionConfig

    def _capacity(self, ctx: YearContext) -> float:
        """How many agents the budget can exempt (inf when exemption costs nothing)."""
        unit = self.config.cost_per_researcher * ctx.people_per_agent
        return np.inf if unit <= 0 else np.floor(self.config.budget / unit + 1e-9)

    def offer(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> Offer:
        if not self.config.active(ctx.year) or len(rows) == 0:
            return Offer()
        ok = self.eligible(pop, rows, ctx)
        room = self._capacity(ctx)
        if np.isfinite(room):
            deciding = np.zeros(len(pop), dtype=bool)
            deciding[rows] = True
            kept = np.count_nonzero((pop.contract_left[:, self.column] > 0) & ~deciding & (pop.country == self.home))
            room = max(room - kept, 0)
            chosen = by_talent(np.flatnonzero(ok), pop.ln_talent[rows])[: int(room)]
            ok = np.zeros(len(rows), dtype=bool)
            ok[chosen] = True
        return Offer(exempt=ok[:, None] & self.home_alternatives[None, :])

    def settle(self, pop: Population, alive: np.ndarray, ctx: YearContext) -> Spending:
        flag = pop.contract_left[:, self.column]
        flag[:] = 0
        if not self.config.active(ctx.year):
            return Spending(0.0, 0.0)
        rows = np.flatnonzero((pop.country == self.home) & alive)
        rows = rows[self.eligible(pop, rows, ctx)]
        room = self._capacity(ctx)
        if np.isfinite(room):
            rows = by_talent(rows, pop.ln_talent)[: int(room)]
        flag[rows] = 1
        spent = len(rows) * self.config.cost_per_researcher * ctx.people_per_agent
        return Spending(float(spent), len(rows) * ctx.people_per_agent)

    def exempt(self, pop: Population) -> np.ndarray | None:
        return pop.contract_left[:, self.column] > 0
