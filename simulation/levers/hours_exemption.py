"""The 52-hour exemption: eligible researchers in the home country may work past its cap.

The exemption costs the state only its administration (``cost_per_researcher``,
zero by default); it is granted in talent order within the yearly budget. Its
value to a researcher is the pay rise worth as much as the hours the cap would
take from them (:func:`simulation.choice.money_equivalent`).
"""

from __future__ import annotations

import numpy as np

from simulation import choice
from simulation.behaviour import current_pay
from simulation.hours import cap_cut
from simulation.levers.base import Approach, Choices, Chooser, Lever, Offer, Payments, YearContext, by_talent
from simulation.population import Population
from simulation.schema import HoursExemptionConfig


def exemption_value(pop: Population, rows: np.ndarray, home: int, ctx: YearContext) -> np.ndarray:
    """What the exemption is worth to the researchers at ``rows`` in ``home``, as extra pay (million KRW a year)."""
    world, p, h = ctx.world, ctx.config.preferences, ctx.config.hours
    bound = world.capped[pop.stage[rows]] & (pop.employer_rank[rows] < world.cap_coverage[home])
    cap = np.where(bound, world.hours_cap[home], np.inf)
    cut = cap_cut(pop.desired_hours[rows], cap, h.peak_share, h.peak_extra)
    if p.wage <= 0:
        return np.where(cut > 0, np.inf, 0.0)
    return choice.money_equivalent(current_pay(world, pop, rows), p.hours * cut / p.wage, p.income_curvature)


class HoursExemption(Lever):
    """Lifts the home country's hours cap for eligible researchers there."""

    config: HoursExemptionConfig

    def _capacity(self, ctx: YearContext) -> float:
        """How many agents the budget can exempt (inf when exemption costs nothing)."""
        unit = self.config.cost_per_researcher * ctx.people_per_agent
        return np.inf if unit <= 0 else np.floor(self.config.budget / unit + 1e-9)

    def offer(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext,
              chooses: Chooser | None = None) -> Offer:
        rows = choices.rows
        if not self.config.active(ctx.year) or len(rows) == 0:
            return Offer()
        ok = self.eligible(pop, rows, ctx)
        room = self._capacity(ctx)
        if np.isfinite(room):
            deciding = np.zeros(len(pop), dtype=bool)
            deciding[rows] = True
            kept = np.count_nonzero(pop.exempt & ~deciding & (pop.country == self.home))
            room = max(room - kept, 0)
            chosen = by_talent(np.flatnonzero(ok), pop.ln_talent[rows])[: int(room)]
            ok = np.zeros(len(rows), dtype=bool)
            ok[chosen] = True
        return Offer(exempt=ok[:, None] & self.home_alternatives[None, :])

    def settle(self, pop: Population, alive: np.ndarray, offer: Offer, ctx: YearContext) -> Payments:
        pop.exempt[:] = False
        if not self.config.active(ctx.year):
            return Payments()
        rows = np.flatnonzero((pop.country == self.home) & alive)
        rows = rows[self.eligible(pop, rows, ctx)]
        room = self._capacity(ctx)
        if np.isfinite(room):
            rows = by_talent(rows, pop.ln_talent)[: int(room)]
        pop.exempt[rows] = True
        return Payments(rows=rows, cost=np.full(len(rows), self.config.cost_per_researcher),
                        value=exemption_value(pop, rows, self.home, ctx))
