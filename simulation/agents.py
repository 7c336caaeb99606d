"""The Researcher agent of the agent engine.

A Researcher holds its own state as attributes and lives its year in its own
methods, through the same pure functions as the vectorized engine (applied to
a one-row Population of its state).
"""

from __future__ import annotations

from dataclasses import fields
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation import behaviour
from simulation.careers import SECTORS, STAGES
from simulation.lifecycle import decides
from simulation.population import Population, gumbel_noise
from simulation.schema import Config
from simulation.world import World

if TYPE_CHECKING:
    from simulation.model import TalentModel

STATE_FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Population))


class Researcher(mesa.Agent):
    """A Korean-origin AI researcher choosing where (country and sector) to work.

    Attributes mirror :class:`~simulation.population.Population` (one value
    each): ``origin``, ``country``, ``sector``, ``stage``, ``ln_talent``, ...
    """

    model: TalentModel

    def __init__(self, model: TalentModel, state: Population, row: int) -> None:
        super().__init__(model)
        for name in STATE_FIELDS:
            value = getattr(state, name)[row]
            setattr(self, name, value.copy() if isinstance(value, np.ndarray) else value)
        self.transition = False
        self.leaving = False
        self.deciding = False
        self.available = np.zeros(0, dtype=bool)

    # --- state as a one-row Population, for the shared pure functions ---
    def state(self) -> Population:
        """This researcher as a one-row Population."""
        return Population(**{name: np.asarray(getattr(self, name))[None, ...] for name in STATE_FIELDS})

    def load(self, state: Population) -> None:
        """Take the values of a one-row Population."""
        for name in STATE_FIELDS:
            value = getattr(state, name)[0]
            setattr(self, name, value.copy() if isinstance(value, np.ndarray) else value)

    # --- the researcher's year ---
    def age(self, world: World, config: Config, year: int, quality: float, exit_u: float, advance_u: float) -> None:
        """Train under ``quality`` mentors, grow a year older, finish a stage or leave research."""
        state = self.state()
        transition, leaving = behaviour.age_one_year(state, world, config, np.array([quality]), year,
                                                     np.array([exit_u]), np.array([advance_u]))
        self.load(state)
        self.transition, self.leaving = bool(transition[0]), bool(leaving[0])

    def consider(self, world: World, offer_u: np.ndarray, approached: np.ndarray) -> bool:
        """Whether to choose this year: at a transition, holding an offer of another post, or approached by a
        programme (``approached``: the posts it offers, (A,)); records the posts open to the researcher."""
        state = self.state()
        held = behaviour.offers_held(state, world, offer_u[None, :], np.array([self.transition])) | approached[None, :]
        offered = behaviour.holds_new_offer(held, behaviour.current_alternative(state, world))
        self.deciding = bool(decides(np.array([self.transition]), offered, np.array([approached.any()]),
                                     np.array([self.leaving]))[0])
        if self.deciding:
            self.available = behaviour.open_alternatives(state, world, held, np.array([self.transition]))[0]
        return self.deciding

    def step(self) -> None:
        """Choose a country and sector on the state at the start of the year, and go there."""
        if not self.deciding:
            return
        m = self.model
        config, world = m._year_inputs()
        available, wage_bonus, exempt, noise_u = m.decision_inputs(self)
        state = self.state()
        pay = behaviour.base_pay(world, state.stage, state.ln_talent)
        chosen = behaviour.choose_alternatives(state, world, config, m.mentor_quality, m.lab_cut, m.lab_gain,
                                               m.contacts, pay, wage_bonus[None, :], exempt[None, :],
                                               available[None, :], gumbel_noise(noise_u[None, :]))
        behaviour.move(state, np.array([0]), chosen, world)
        self.load(state)

    # --- what the DataCollector's agent reporters read (attribute names: the model stays picklable) ---
    @property
    def country_code(self) -> str:
        """The country the researcher is in (``KR``, ``US``)."""
        return self.model.world.codes[int(self.country)]

    @property
    def stage_name(self) -> str:
        """The career stage (``student``, ``phd``, ``postdoc``, ``junior``, ``senior``)."""
        return STAGES[int(self.stage)]

    @property
    def sector_name(self) -> str:
        """The sector (``academia``, ``industry``)."""
        return SECTORS[int(self.sector)]

    @property
    def talent(self) -> float:
        """Talent, a multiple of the median entrant's (the exponential of ``ln_talent``)."""
        return float(np.exp(self.ln_talent))

    @property
    def support_received(self) -> float:
        """Policy support received this year, million KRW."""
        return float(self.support)

    @property
    def label(self) -> str:
        """A short description for tooltips."""
        return (f"#{self.id} {STAGES[self.stage]}, {SECTORS[self.sector]} in {self.model.world.codes[self.country]}, "
                f"talent {np.exp(self.ln_talent):.2f}")
