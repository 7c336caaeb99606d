"""What every policy lever shares: the interface, eligibility, and contracts funded within a hard budget.

A lever works in three moments of the year:

1. ``approach``: whom the programme approaches on its own initiative (they decide this year);
2. ``offer``: what it offers the researchers who decide (pay on top, or exemption from the cap), per alternative;
3. ``settle``: after the moves, who is enrolled, and what is paid to whom.

Money is in million KRW a year. One agent stands for ``people_per_agent`` people,
so a payment to an agent costs that many times its amount; budgets are in real money.
"""

from __future__ import annotations

import abc
from dataclasses import dataclass

import numpy as np

from simulation.careers import SECTORS, STAGES
from simulation.population import Population
from simulation.schema import LeverConfig
from simulation.world import World


@dataclass(frozen=True)
class YearContext:
    """What levers need to know about the year and the scenario."""

    year: int
    world: World
    people_per_agent: float
    reference_talent: np.ndarray  # sorted ln talent of the initial post-PhD population, for percentiles


@dataclass(frozen=True)
class Offer:
    """What a lever offers the deciders, per alternative: pay on top, and exemption from the hours cap."""

    wage_bonus: np.ndarray | None = None  # (n_deciders, A) million KRW a year
    exempt: np.ndarray | None = None  # (n_deciders, A) bool


@dataclass(frozen=True)
class Spending:
    """A programme's year: money spent (million KRW) and researchers it reached (people)."""

    spent: float
    recipients: float


def talent_percentile(ln_talent: np.ndarray, reference: np.ndarray) -> np.ndarray:
    """Percentile (0 to 100) of each talent in the sorted ``reference`` distribution."""
    return 100.0 * np.searchsorted(reference, ln_talent, side="right") / len(reference)


def talent_floor(reference: np.ndarray, percentile: float) -> float:
    """The lowest log talent whose :func:`talent_percentile` is at least ``percentile``.

    ``talent_percentile(x) >= percentile`` exactly when ``x >= talent_floor``: the
    percentile counts the reference values at or below ``x``, so it reaches the
    bar at the k-th smallest value, k the least count with ``100 k / n >= percentile``.
    """
    n = len(reference)
    counts = np.arange(n + 1)
    reached = np.flatnonzero(100.0 * counts / n >= percentile)
    if len(reached) == 0:
        return np.inf
    k = int(reached[0])
    return -np.inf if k == 0 else float(reference[k - 1])


def greedy_within_budget(cost: np.ndarray, budget: float) -> np.ndarray:
    """Fund items in the given order while the running total stays within ``budget``.

    Returns a boolean mask; once an item does not fit, no later one is funded
    (talent order is strict: nobody is funded ahead of a more talented candidate).
    """
    if len(cost) == 0:
        return np.zeros(0, dtype=bool)
    return np.cumsum(cost) <= budget * (1 + 1e-12)


def by_talent(rows: np.ndarray, ln_talent: np.ndarray) -> np.ndarray:
    """``rows`` ordered from most to least talented (ties by row order)."""
    return rows[np.argsort(-ln_talent[rows], kind="stable")]


class Lever:
    """A policy lever. Subclasses override the moments they use."""

    def __init__(self, name: str, config: LeverConfig, column: int, world: World) -> None:
        self.name = name
        self.config = config
        self.column = column  # this lever's column in Population.contract_amount / contract_left
        self.home = world.codes.index(config.country)
        self.home_alternatives = world.alt_country == self.home
        # alternative index of each (country, sector), to read where a researcher chose to be
        self._alternative_of = np.zeros((world.n_countries, len(SECTORS)), dtype=np.int64)
        self._alternative_of[world.alt_country, world.alt_sector] = np.arange(world.n_alternatives)
        self._stages = np.array([s in config.eligible_stages for s in STAGES])

    def eligible(self, pop: Population, rows: np.ndarray, ctx: YearContext) -> np.ndarray:
        """Whether researchers at ``rows`` meet the stage and talent conditions."""
        ok = self._stages[pop.stage[rows]]
        if self.config.min_talent_percentile > 0:
            ok &= pop.ln_talent[rows] >= talent_floor(ctx.reference_talent, self.config.min_talent_percentile)
        return ok

    def approach(self, pop: Population, staying: np.ndarray, ctx: YearContext) -> np.ndarray | None:
        """Mask of researchers approached this year (they decide), among those ``staying`` in research; or None."""
        return None

    def offer(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> Offer:
        """The offer to the deciders at ``rows``, whose pay per alternative is ``pay``."""
        return Offer()

    def settle(self, pop: Population, alive: np.ndarray, ctx: YearContext) -> Spending:
        """Enrol and pay after the moves; ``alive`` marks those who did not exit."""
        return Spending(0.0, 0.0)

    def exempt(self, pop: Population) -> np.ndarray | None:
        """Researchers exempt from their country's hours cap this year, or None."""
        return None


class ContractLever(Lever, abc.ABC):
    """A lever that pays enrolled researchers a yearly amount at home for a number of years.

    Contracts are funded in talent order within the yearly budget: first the
    contracts already running, then new ones while money is left, so the
    budget is never exceeded. A contract ends when its holder leaves the posts it
    pays for (:meth:`offered_alternatives`: home, or home academia for a star's
    package) or research, or when the programme ends.
    """

    contract_years: int

    def __init__(self, name: str, config: LeverConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self._offer_rows = np.zeros(0, dtype=np.int64)
        self._offer_amounts = np.zeros(0)

    def holders(self, pop: Population) -> np.ndarray:
        """Mask of researchers at home with a running contract."""
        return (pop.contract_left[:, self.column] > 0) & (pop.country == self.home)

    def committed(self, pop: Population, ctx: YearContext) -> float:
        """Money the running contracts will take this year, million KRW."""
        return float(pop.contract_amount[self.holders(pop), self.column].sum()) * ctx.people_per_agent

    @abc.abstractmethod
    def amounts(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> np.ndarray:
        """Yearly amount offered to each candidate at ``rows`` (million KRW); 0 means no offer."""

    def offered_alternatives(self) -> np.ndarray:
        """Alternatives (A,) that the contract pays for: all at home by default."""
        return self.home_alternatives

    def candidates(self, pop: Population, rows: np.ndarray, ctx: YearContext) -> np.ndarray:
        """Which deciders at ``rows`` may get a new contract."""
        return self.eligible(pop, rows, ctx) & (pop.contract_left[rows, self.column] == 0)

    def offer(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext) -> Offer:
        self._offer_rows = np.zeros(0, dtype=np.int64)
        self._offer_amounts = np.zeros(0)
        if not self.config.active(ctx.year) or len(rows) == 0:
            return Offer()
        bonus_each = pop.contract_amount[rows, self.column] * (pop.contract_left[rows, self.column] > 0)
        candidate = self.candidates(pop, rows, ctx)
        amount = np.zeros(len(rows))
        amount[candidate] = self.amounts(pop, rows[candidate], pay[candidate], ctx)
        local = np.flatnonzero(amount > 0)
        if len(local):
            order = local[np.argsort(-pop.ln_talent[rows[local]], kind="stable")]
            remaining = self.config.budget - self.committed(pop, ctx)
            funded = order[greedy_within_budget(amount[order] * ctx.people_per_agent, remaining)]
            self._offer_rows = rows[funded]
            self._offer_amounts = amount[funded]
            bonus_each[funded] = amount[funded]
        if not bonus_each.any():
            return Offer()
        return Offer(wage_bonus=bonus_each[:, None] * self.offered_alternatives()[None, :])

    def settle(self, pop: Population, alive: np.ndarray, ctx: YearContext) -> Spending:
        k = self.column
        amount, left = pop.contract_amount[:, k], pop.contract_left[:, k]
        if not self.config.active(ctx.year):
            amount[:] = 0.0
            left[:] = 0
            return Spending(0.0, 0.0)
        where = self._alternative_of[pop.country, pop.sector]
        ended = (left > 0) & (~self.offered_alternatives()[where] | ~alive)  # left home (or, for a package, its post)
        left[ended] = 0
        amount[ended] = 0.0
        rows = self._offer_rows
        # Only those who chose an alternative the contract pays for sign it (a star who takes an industry job
        # at home has turned the academic package down).
        chosen = self._alternative_of[pop.country[rows], pop.sector[rows]]
        signed = self.offered_alternatives()[chosen] & alive[rows]
        amount[rows[signed]] = self._offer_amounts[signed]
        left[rows[signed]] = self.contract_years
        self._offer_rows = np.zeros(0, dtype=np.int64)
        payees = np.flatnonzero(left > 0)
        paid = amount[payees]
        pop.support[payees] += paid
        left[payees] -= 1
        amount[payees[left[payees] == 0]] = 0.0
        return Spending(float(paid.sum()) * ctx.people_per_agent, len(payees) * ctx.people_per_agent)
