"""What every policy lever shares: the interface, eligibility, and contracts funded within a hard budget.

A lever works in three moments of the year, and keeps nothing between them:

1. ``approach``: whom the programme approaches on its own initiative, with which posts (they decide this year);
2. ``offer``: given the year's deciders and their options (:class:`Choices`), what it offers them: pay on
   top or exemption from the cap, per post, and which new contracts it proposes (:class:`Offer`);
3. ``settle``: after the moves, given its own offer back, who is enrolled and what is paid to whom
   (:class:`Payments`).

Money is in million KRW a year. One agent stands for ``people_per_agent`` people,
so a payment to an agent costs that many times its amount; budgets are in real money.
"""

from __future__ import annotations

import abc
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np

from simulation.careers import STAGES
from simulation.population import Population
from simulation.schema import Config, LeverConfig
from simulation.world import World

_NO_ROWS = np.zeros(0, dtype=np.int64)
#: ``chooses(local, bonus)``: the post each decider at ``local`` (indices into the year's :class:`Choices`) would
#: choose with ``bonus`` (len(local), A) on top of what the levers before have offered them.
Chooser = Callable[[np.ndarray, np.ndarray], np.ndarray]


@dataclass(frozen=True)
class YearContext:
    """What levers need to know about the year and the scenario."""

    year: int
    config: Config  # the year's config (paths applied)
    world: World
    people_per_agent: float
    reference_talent: np.ndarray  # sorted ln talent of the post-PhD population at the start, for percentiles


@dataclass(frozen=True)
class Choices:
    """The year's deciders and their options: the same record for every lever."""

    rows: np.ndarray  # population rows of the deciders
    pay: np.ndarray  # (n_deciders, A) base pay in each post, million KRW a year
    available: np.ndarray  # (n_deciders, A) bool: posts open to them (their own, offers held, approaches)


@dataclass(frozen=True)
class Approach:
    """Researchers a programme approaches, and the posts it offers them."""

    rows: np.ndarray  # population rows
    alternatives: np.ndarray  # (A,) bool


@dataclass(frozen=True)
class Offer:
    """What a lever offers the deciders, per post, and the new contracts it proposes."""

    wage_bonus: np.ndarray | None = None  # (n_deciders, A) million KRW a year
    exempt: np.ndarray | None = None  # (n_deciders, A) bool
    new_rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)  # population rows offered a new contract
    new_amounts: np.ndarray = field(default_factory=lambda: np.zeros(0))  # their yearly amounts, million KRW


@dataclass(frozen=True)
class Payments:
    """A programme's year, per agent reached: the rows, the cost of each and its value to them.

    ``cost`` is what the programme spends on the agent's behalf (million KRW a year per
    person it stands for); ``value`` what the agent gets, as money (the pay rise worth
    as much to them), million KRW a year per person.
    """

    rows: np.ndarray = field(default_factory=lambda: _NO_ROWS)
    cost: np.ndarray = field(default_factory=lambda: np.zeros(0))
    value: np.ndarray = field(default_factory=lambda: np.zeros(0))
    offered: int = 0  # agents offered a new contract this year
    signed: int = 0  # of those, agents who took it


@dataclass(frozen=True)
class Labs:
    """Trainee places in star labs a programme funds in a country, and the mentor quality they add."""

    country: int
    places: float  # agents
    gain: float  # mentor quality, SD of faculty quality


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


def fund_in_turn(cost: np.ndarray, taken: np.ndarray, budget: float) -> np.ndarray:
    """Offers made in turn (most talented first) while the money left covers one; only those ``taken`` spend it.

    ``cost`` is each candidate's yearly cost and ``taken`` whether they would accept the offer. A candidate
    gets an offer when what is left of ``budget`` covers its cost; if they accept, the money is committed. So
    the budget is never exceeded, a decline frees the money for the next in line, and nobody is offered money
    ahead of a more talented candidate who could still be paid. Returns a boolean mask of the offers made.
    """
    offered = np.zeros(len(cost), dtype=bool)
    left = budget * (1 + 1e-12)
    for i, (c, accepts) in enumerate(zip(cost, taken, strict=True)):
        if c <= left:
            offered[i] = True
            if accepts:
                left -= c
    return offered


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
        self._stages = np.array([s in config.eligible_stages for s in STAGES])

    def eligible(self, pop: Population, rows: np.ndarray, ctx: YearContext) -> np.ndarray:
        """Whether researchers at ``rows`` meet the stage and talent conditions."""
        ok = self._stages[pop.stage[rows]]
        if self.config.min_talent_percentile > 0:
            ok &= pop.ln_talent[rows] >= talent_floor(ctx.reference_talent, self.config.min_talent_percentile)
        return ok

    def approach(self, pop: Population, staying: np.ndarray, ctx: YearContext) -> Approach | None:
        """Researchers approached this year (they decide), among those ``staying`` in research; or None."""
        return None

    def offer(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext,
              chooses: Chooser | None = None) -> Offer:
        """The offer to the deciders of ``choices``; ``approach`` is this lever's own approach of the year;
        ``chooses`` tells what a decider would choose with a given offer (see :data:`Chooser`)."""
        return Offer()

    def settle(self, pop: Population, alive: np.ndarray, offer: Offer, ctx: YearContext) -> Payments:
        """Enrol and pay after the moves; ``alive`` marks those who did not exit; ``offer`` is this lever's offer."""
        return Payments()

    def labs(self, pop: Population, ctx: YearContext) -> Labs | None:
        """Star-lab places the programme funds now, or None."""
        return None


class ContractLever(Lever, abc.ABC):
    """A lever that pays enrolled researchers a yearly amount at home for a number of years.

    Contracts are funded within the yearly budget: first the contracts already
    running, then new offers in talent order while money is left (:func:`fund_in_turn`:
    a candidate who would decline does not use it up; without a ``chooses``, every
    offer is counted as taken), so the budget is never exceeded. A contract ends when its holder leaves the posts it
    pays for (:meth:`offered_alternatives`: home, or home academia for a star's
    package) or research, or when the programme ends.
    """

    contract_years: int

    def __init__(self, name: str, config: LeverConfig, column: int, world: World) -> None:
        super().__init__(name, config, column, world)
        self._world = world

    def holders(self, pop: Population) -> np.ndarray:
        """Mask of researchers at home with a running contract."""
        return (pop.contract_left[:, self.column] > 0) & (pop.country == self.home)

    def cost_of(self, amount: np.ndarray) -> np.ndarray:
        """What a contract paying ``amount`` to its holder costs the programme a year, million KRW."""
        return amount

    def committed(self, pop: Population, ctx: YearContext) -> float:
        """Money the running contracts will take this year, million KRW."""
        amounts = pop.contract_amount[self.holders(pop), self.column]
        return float(self.cost_of(amounts).sum()) * ctx.people_per_agent

    @abc.abstractmethod
    def amounts(self, pop: Population, choices: Choices, local: np.ndarray, ctx: YearContext) -> np.ndarray:
        """Yearly amount offered to each candidate (deciders ``local`` of ``choices``), million KRW; 0: no offer."""

    def offered_alternatives(self) -> np.ndarray:
        """Alternatives (A,) that the contract pays for: all at home by default."""
        return self.home_alternatives

    def candidates(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext
                   ) -> np.ndarray:
        """Which deciders may get a new contract (n_deciders,): eligible, with none running, and free to take it
        (a post it pays for is open to them)."""
        rows = choices.rows
        reachable = (choices.available & self.offered_alternatives()[None, :]).any(axis=1)
        return self.eligible(pop, rows, ctx) & (pop.contract_left[rows, self.column] == 0) & reachable

    def offer(self, pop: Population, choices: Choices, approach: Approach | None, ctx: YearContext,
              chooses: Chooser | None = None) -> Offer:
        rows = choices.rows
        if not self.config.active(ctx.year) or len(rows) == 0:
            return Offer()
        bonus_each = pop.contract_amount[rows, self.column] * (pop.contract_left[rows, self.column] > 0)
        local = np.flatnonzero(self.candidates(pop, choices, approach, ctx))
        amount = np.zeros(len(rows))
        amount[local] = self.amounts(pop, choices, local, ctx)
        proposed = np.flatnonzero(amount > 0)
        order = proposed[np.argsort(-pop.ln_talent[rows[proposed]], kind="stable")]
        cost = self.cost_of(amount[order]) * ctx.people_per_agent
        remaining = self.config.budget - self.committed(pop, ctx)
        if chooses is None:
            funded = order[greedy_within_budget(cost, remaining)]
        else:
            taken = self.offered_alternatives()[chooses(order, amount[order, None] * self.offered_alternatives())]
            funded = order[fund_in_turn(cost, taken, remaining)]
        bonus_each[funded] = amount[funded]
        new_rows, new_amounts = rows[funded], amount[funded]
        if not bonus_each.any():
            return Offer(new_rows=new_rows, new_amounts=new_amounts)
        return Offer(wage_bonus=bonus_each[:, None] * self.offered_alternatives()[None, :], new_rows=new_rows,
                     new_amounts=new_amounts)

    def settle(self, pop: Population, alive: np.ndarray, offer: Offer, ctx: YearContext) -> Payments:
        k = self.column
        amount, left = pop.contract_amount[:, k], pop.contract_left[:, k]
        if not self.config.active(ctx.year):
            amount[:] = 0.0
            left[:] = 0
            return Payments()
        where = self._world.alternative(pop.country, pop.sector)
        ended = (left > 0) & (~self.offered_alternatives()[where] | ~alive)  # left home (or, for a package, its post)
        left[ended] = 0
        amount[ended] = 0.0
        rows = offer.new_rows  # in talent order
        # Only those who chose an alternative the contract pays for sign it (a star who takes an industry job
        # at home has turned the academic package down), and never beyond the budget.
        signed = self.offered_alternatives()[where[rows]] & alive[rows]
        running = float(self.cost_of(amount[left > 0]).sum()) * ctx.people_per_agent
        within = greedy_within_budget(np.where(signed, self.cost_of(offer.new_amounts) * ctx.people_per_agent, 0.0),
                                      self.config.budget - running)
        signed &= within
        amount[rows[signed]] = offer.new_amounts[signed]
        left[rows[signed]] = self.contract_years
        payees = np.flatnonzero(left > 0)
        paid = amount[payees].copy()
        pop.support[payees] += paid
        left[payees] -= 1
        amount[payees[left[payees] == 0]] = 0.0
        return Payments(rows=payees, cost=self.cost_of(paid), value=paid, offered=len(rows),
                        signed=int(np.count_nonzero(signed)))
