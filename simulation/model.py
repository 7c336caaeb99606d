"""TalentModel: Korean AI researchers choosing between countries, one step a year.

Two engines run the same model. ``engine="agents"``: every researcher is a
Mesa agent that ages and decides in its own methods. ``engine="vectorized"``:
the same pure functions run over numpy arrays of all researchers at once.
Both draw the same random numbers in the same order from ``self.rng``, so the
same config and seed give the same yearly outputs.

The year (``step``) reads as the schedule of docs/ODD.md:
entry, training and careers, decisions, policies, mentor quality, observation.
"""

from __future__ import annotations

import functools
from pathlib import Path
from typing import Any, Literal

import mesa
import numpy as np

from simulation import behaviour, observe
from simulation.agents import STATE_FIELDS, Researcher
from simulation.careers import PHD, SECTORS, STAGES
from simulation.config import DEFAULT_CONFIG, load_config
from simulation.levers import Spending, YearContext, build_levers
from simulation.lifecycle import decides
from simulation.mentors import mentor_quality, senior_talent_pool
from simulation.parameters import with_parameters
from simulation.population import SPARE, Population, draw_cohort, draw_year, gumbel_noise, initial_population
from simulation.schema import Config
from simulation.world import World

Engine = Literal["agents", "vectorized"]
ENGINES: tuple[str, ...] = ("agents", "vectorized")


def report(model: TalentModel, name: str) -> float:
    """A DataCollector reporter: the output ``name`` of the model's latest observation."""
    return model.metrics[name]


def contacts_by_country(country: np.ndarray, origin: np.ndarray, origin_country: int, n_countries: int) -> np.ndarray:
    """Same-origin contacts in each country: the percentage of origin-country researchers there."""
    native = origin == origin_country
    n = max(np.count_nonzero(native), 1)
    return 100.0 * observe.count_by_country(country, n_countries, where=native) / n


class TalentModel(mesa.Model):
    """The researcher-migration model.

    Args:
        config: a :class:`~simulation.schema.Config`, or the path of a TOML scenario
            (default: configs/calibrated.toml, the baseline with fitted weights).
        engine: "agents" (Mesa agents) or "vectorized" (numpy arrays).
        record_agents: keep one row per researcher per year (see :meth:`agent_rows`).
        rng: seed or numpy Generator for every random draw.
        **params: keyword parameters of :data:`simulation.parameters.PARAMETER_KEYS`
            and :data:`~simulation.parameters.SWITCHES`, and ``researchers``.

    ``population`` (vectorized engine) is the live state: its arrays change in
    place every year and their memory is reused, so copy what you keep
    (``population.take(np.arange(len(population)))``).
    """

    def __init__(self, config: Config | str | Path | None = None, *, engine: Engine = "vectorized",
                 record_agents: bool = False, rng: Any = None, **params: Any) -> None:
        super().__init__(rng=rng)
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if not isinstance(config, Config):
            config = load_config(config if config is not None else DEFAULT_CONFIG)
        if params:
            config = with_parameters(config, **params)
        self.config = config
        self.engine = engine
        self.world = World.from_config(config)
        self.levers = build_levers(config, self.world)
        self.people_per_agent = config.simulation.people_per_agent
        self.year = config.simulation.start_year
        self.record_agents = record_agents
        self._agent_rows: list[dict[str, np.ndarray]] = []

        world = self.world
        start_quality = world.mentor_floor + world.mentor_pool_weight
        pop = initial_population(self.rng, config, world, start_quality, len(self.levers))
        self.reference_talent = np.sort(pop.ln_talent[pop.stage > PHD])
        cut_index = min(int(np.floor((1 - config.talent.top_share) * len(self.reference_talent))),
                        len(self.reference_talent) - 1)
        self.top_cut = float(self.reference_talent[cut_index]) if len(self.reference_talent) else np.inf
        self.initial_pool = senior_talent_pool(pop.country, pop.stage, pop.ln_talent, world.n_countries)
        self.mentor_quality = mentor_quality(world.mentor_floor, world.mentor_pool_weight, self.initial_pool,
                                             self.initial_pool)
        self._next_id = len(pop)
        self.population: Population | None = None
        self.researchers: list[Researcher] = []
        if engine == "agents":
            self.researchers = [Researcher(self, pop, i) for i in range(len(pop))]
        else:
            self.population = pop
        self.contacts = contacts_by_country(pop.country, pop.origin, world.origin, world.n_countries)
        self._decision: dict[int, tuple[np.ndarray, ...]] = {}
        self._draws = np.empty(0)  # see _draw_space

        names = observe.column_names(world, [lv.name for lv in self.levers])
        self.datacollector = mesa.DataCollector(
            model_reporters={name: functools.partial(report, name=name) for name in names})
        self._observe(pop, observe.Flows(0, 0, 0), entries=0, exits=0,
                      spending={lv.name: Spending(0.0, 0.0) for lv in self.levers}, exempt=None)

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One year: entry, training and careers, decisions, policies, mentors, observation."""
        self.year += 1
        if self.engine == "agents":
            self._step_agents()
        else:
            self._step_vectorized()
        if self.steps >= self.config.simulation.years:
            self.running = False

    def _context(self) -> YearContext:
        return YearContext(self.year, self.world, self.people_per_agent, self.reference_talent)

    def _cohort(self) -> Population:
        sim = self.config.simulation
        cohort = draw_cohort(self.rng, sim.cohort_size, self.config, self.world, self._next_id, len(self.levers))
        self._next_id += len(cohort)
        return cohort

    def _approached(self, pop: Population, leaving: np.ndarray, ctx: YearContext) -> np.ndarray:
        mask = np.zeros(len(pop), dtype=bool)
        for lever in self.levers:
            rows = lever.approach(pop, ~leaving, ctx)
            if rows is not None:
                mask |= rows
        return mask

    def _offers(self, pop: Population, rows: np.ndarray, pay: np.ndarray, ctx: YearContext
                ) -> tuple[np.ndarray, np.ndarray]:
        """Pay on top and hours exemption each decider is offered, per alternative (n, A).

        ``pay`` (n, A) is the deciders' :func:`~simulation.behaviour.base_pay`, million KRW a year.
        """
        n_alt = self.world.n_alternatives
        bonus = np.zeros((len(rows), n_alt))  # in the levers' layout, then alternative-major as in simulation.choice
        exempt = np.zeros((len(rows), n_alt), dtype=bool)
        for lever in self.levers:
            offer = lever.offer(pop, rows, pay, ctx)
            if offer.wage_bonus is not None:
                bonus += offer.wage_bonus
            if offer.exempt is not None:
                exempt |= offer.exempt
        return np.asfortranarray(bonus), np.asfortranarray(exempt)

    def _settle(self, pop: Population, alive: np.ndarray, ctx: YearContext
                ) -> tuple[dict[str, Spending], np.ndarray | None]:
        spending = {lever.name: lever.settle(pop, alive, ctx) for lever in self.levers}
        exempt = None
        for lever in self.levers:
            mask = lever.exempt(pop)
            if mask is not None:
                exempt = mask if exempt is None else exempt | mask
        return spending, exempt

    def _after_moves(self, pop: Population, before: np.ndarray, leaving: np.ndarray, ctx: YearContext,
                     entries: int) -> Population:
        """Policies, exits, mentor quality and observation, shared by both engines; returns those who stay."""
        flows = observe.count_flows(before, pop.country, pop.origin, self.world.origin)
        spending, exempt = self._settle(pop, ~leaving, ctx)
        kept = np.flatnonzero(~leaving)
        # The vectorized engine's population is its own: keep the stayers in place, room for next year's cohort.
        staying = pop.compact(kept) if self.engine == "vectorized" else pop.take(kept)
        exempt = exempt[kept] if exempt is not None else None
        world = self.world
        pool = senior_talent_pool(staying.country, staying.stage, staying.ln_talent, world.n_countries)
        self.mentor_quality = mentor_quality(world.mentor_floor, world.mentor_pool_weight, pool, self.initial_pool)
        self._observe(staying, flows, entries=entries, exits=len(pop) - len(kept), spending=spending, exempt=exempt)
        return staying

    def _observe(self, pop: Population, flows: observe.Flows, *, entries: int, exits: int,
                 spending: dict[str, Spending], exempt: np.ndarray | None) -> None:
        self.metrics = observe.observe(pop, self.world, year=self.year, people_per_agent=self.people_per_agent,
                                       top_cut=self.top_cut, mentor_quality=self.mentor_quality, flows=flows,
                                       entries=entries, exits=exits, spending=spending, exempt=exempt)
        self.datacollector.collect(self)
        if self.record_agents:
            self._agent_rows.append({  # copies: the vectorized engine reuses its arrays next year
                "id": pop.id.copy(), "year": np.full(len(pop), self.year, dtype=np.int16),
                "origin": pop.origin.copy(), "country": pop.country.copy(), "sector": pop.sector.copy(),
                "stage": pop.stage.copy(), "career_age": pop.career_age.copy(), "talent": np.exp(pop.ln_talent),
                "moved": pop.moved.copy(), "support": pop.support.copy()})

    # ------------------------------------------------------------ vectorized engine
    def _step_vectorized(self) -> None:
        ctx = self._context()
        cohort = self._cohort()
        pop = self.population.extend(cohort)
        self.contacts = contacts_by_country(pop.country, pop.origin, self.world.origin, self.world.n_countries)
        draws = draw_year(self.rng, len(pop), self.world.n_countries, self.world.n_alternatives,
                          space=self._draw_space(len(pop)))
        transition, leaving = behaviour.age_one_year(pop, self.world, self.config, self.mentor_quality, self.year,
                                                     draws.exit_u)
        approached = self._approached(pop, leaving, ctx)
        rows = np.flatnonzero(decides(transition, draws.reconsider_u, self.config.simulation.reconsider_hazard,
                                      approached, leaving))
        deciders = pop.take(rows)
        pay = behaviour.base_pay(self.world, deciders.stage, deciders.ln_talent)
        bonus, exempt = self._offers(pop, rows, pay, ctx)
        chosen = behaviour.choose_alternatives(deciders, self.world, self.config, self.mentor_quality, self.contacts,
                                               pay, bonus, exempt, draws.offer_u_of(rows),
                                               gumbel_noise(draws.noise_u_of(rows)))
        before = pop.country.copy()
        behaviour.move(pop, rows, chosen, self.world)
        self.population = self._after_moves(pop, before, leaving, ctx, len(cohort))

    def _draw_space(self, n: int) -> np.ndarray:
        """Memory for the year's uniform draws of ``n`` researchers, kept from year to year.

        A fresh 7 MB a year at 100,000 researchers made the allocator hand memory
        back and fault it in again each year, a third of the engine's time.
        """
        size = n * (2 + self.world.n_countries + self.world.n_alternatives)
        if len(self._draws) < size:
            self._draws = np.empty(size + size // SPARE)
        return self._draws

    # ----------------------------------------------------------------- agent engine
    def gather(self) -> Population:
        """The agents' state as a Population (rows in id order)."""
        rs = self.researchers
        return Population(**{name: np.array([getattr(r, name) for r in rs]) for name in STATE_FIELDS})

    def decision_inputs(self, researcher: Researcher) -> tuple[np.ndarray, ...]:
        """What the government offers ``researcher`` this year and its own draws (bonus, exempt, offer_u, noise_u)."""
        return self._decision[researcher.id]

    def _step_agents(self) -> None:
        ctx = self._context()
        cohort = self._cohort()
        self.researchers += [Researcher(self, cohort, i) for i in range(len(cohort))]
        start = self.gather()
        self.contacts = contacts_by_country(start.country, start.origin, self.world.origin, self.world.n_countries)
        draws = draw_year(self.rng, len(self.researchers), self.world.n_countries, self.world.n_alternatives)
        quality = self.mentor_quality
        for k, r in enumerate(self.researchers):
            r.age(self.year, quality, draws.exit_u[k])
        pop = self.gather()
        leaving = np.array([r.leaving for r in self.researchers], dtype=bool)
        approached = self._approached(pop, leaving, ctx)
        rows = np.array([k for k, r in enumerate(self.researchers)
                         if r.consider(draws.reconsider_u[k], bool(approached[k]))], dtype=np.int64)
        pay = behaviour.base_pay(self.world, pop.stage[rows], pop.ln_talent[rows])
        bonus, exempt = self._offers(pop, rows, pay, ctx)
        self._decision = {int(pop.id[k]): (bonus[j], exempt[j], draws.offer_u[k], draws.noise_u[k])
                          for j, k in enumerate(rows)}
        self.agents.do("step")
        self._decision = {}
        before = pop.country
        after = self.gather()
        self._after_moves(after, before, leaving, ctx, len(cohort))
        staying = []
        for k, r in enumerate(self.researchers):
            if leaving[k]:
                r.remove()
                continue
            r.support = after.support[k]
            r.contract_amount = after.contract_amount[k].copy()
            r.contract_left = after.contract_left[k].copy()
            staying.append(r)
        self.researchers = staying

    # --------------------------------------------------------------------- outputs
    def yearly(self):
        """The yearly outputs as a DataFrame, one row a year (the first is the initial state)."""
        return self.datacollector.get_model_vars_dataframe().reset_index(drop=True)

    def agent_rows(self):
        """One row per researcher per year (needs ``record_agents=True``), as a DataFrame."""
        import pandas as pd

        if not self._agent_rows:
            return pd.DataFrame()
        frame = pd.DataFrame({k: np.concatenate([chunk[k] for chunk in self._agent_rows])
                              for k in self._agent_rows[0]})
        codes = np.array(self.world.codes)
        frame["origin"] = codes[frame["origin"].to_numpy()]
        frame["country"] = codes[frame["country"].to_numpy()]
        frame["sector"] = np.array(SECTORS)[frame["sector"].to_numpy()]
        frame["stage"] = np.array(STAGES)[frame["stage"].to_numpy()]
        return frame
