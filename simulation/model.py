"""TalentModel: Korean AI researchers choosing between countries, one step a year.

Two engines run the same model. ``engine="agents"``: every researcher is a
Mesa agent that ages and decides in its own ``step``, in scalar Python over its
own alternatives (:mod:`simulation.agents`); the model computes what is the same
for everyone once a year (:mod:`simulation.yearvalues`) and does the year-wide
work (the programmes, mentor quality, observation) on the agents' state gathered
into arrays. ``engine="vectorized"``: the pure functions of
:mod:`simulation.behaviour` run over numpy arrays of all researchers at once.
Both draw the same random numbers in the same order from ``self.rng``, so the
same config and seed give the same yearly outputs (tests/test_engines.py).

The starting population is the model's own history: the model starts empty
``simulation.spin_up`` years before the start year, and cohorts enter and live
their careers under the scenario's inputs (its paths, if any) until the start
year, whose state is the first recorded row. The spin-up runs on the vectorized
engine for both engines (its years are not recorded); the agent engine then
makes an agent of each researcher.

The year (``step``) reads as the schedule of docs/ODD.md:
entry, training and careers, offers and decisions, policies, mentor quality, observation.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import math
from collections.abc import Callable
from itertools import compress
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import mesa
import numpy as np
from mesa.experimental.scenarios import Scenario

from simulation import behaviour, observe, threads
from simulation.agents import FIXED_FIELDS, Researcher, gather
from simulation.careers import PHD, SECTORS, STAGES
from simulation.collector import AGENT_REPORTERS, TalentDataCollector
from simulation.config import DEFAULT_CONFIG, load_config
from simulation.levers import Approach, Choices, Lever, Offer, Payments, YearContext, build_levers
from simulation.lifecycle import decides
from simulation.mentors import is_trainee, lab_talent_cut, mentor_quality, talent_per_trainee
from simulation.parameters import with_parameters
from simulation.paths import config_in_year, values_in_year
from simulation.population import (
    SPARE,
    Population,
    YearDraws,
    draw_cohort,
    draw_size,
    draw_year,
    empty_population,
)
from simulation.schema import Config, PolicyConfig
from simulation.world import World
from simulation.yearvalues import YearValues, alternatives_in

if TYPE_CHECKING:  # the helper threads are started, and their module imported, only by a year split over threads
    from simulation.crew import Background

Engine = Literal["agents", "vectorized"]
ENGINES: tuple[str, ...] = ("agents", "vectorized")
#: Talent percentile of the "top 1 percent" output.
TOP1_SHARE = 0.01


def report(model: TalentModel, name: str) -> float:
    """A DataCollector reporter: the output ``name`` of the model's latest observation."""
    return model.metrics[name]


def contacts_by_country(country: np.ndarray, origin: np.ndarray, origin_country: int, n_countries: int) -> np.ndarray:
    """Same-origin contacts in each country: the percentage of origin-country researchers there."""
    native = origin == origin_country
    n = max(np.count_nonzero(native), 1)
    return 100.0 * observe.count_by_country(country, n_countries, where=native) / n


def top_cut(sorted_talent: np.ndarray, share: float) -> float:
    """The log talent at or above which the top ``share`` of ``sorted_talent`` lies (inf for no talent)."""
    if len(sorted_talent) == 0:
        return np.inf
    return float(sorted_talent[min(int(np.floor((1 - share) * len(sorted_talent))), len(sorted_talent) - 1)])


def without_policies(config: Config) -> Config:
    """``config`` with every lever off: the baseline of a policy run on common random numbers."""
    return dataclasses.replace(config, policies=PolicyConfig())


#: What a model's scenario remembers of how it was built, so that Mesa's SolaraViz Reset (which builds a new model
#: with a new scenario of the same class) rebuilds the same scenario on the same random numbers.
REBUILD_KEYS: tuple[str, ...] = ("config", "engine", "rng_state")


class TalentScenario(Scenario):
    """The Mesa scenario of a TalentModel. :func:`rebuild_scenario` makes a subclass per model whose defaults
    are how that model was built (its config, engine, keyword parameters and the random generator's state)."""

    def __reduce__(self) -> tuple[Any, ...]:
        """Pickle as the defaults of its class and its own values (the class is made at run time)."""
        return (_unpickled_scenario, (dict(self._scenario_defaults), dict(self.__dict__)))


def scenario_class(defaults: dict[str, Any]) -> type[TalentScenario]:
    """A TalentScenario subclass whose class-level defaults are ``defaults``."""
    namespace = {"__annotations__": dict.fromkeys(defaults, Any), **defaults}
    return type("TalentModelScenario", (TalentScenario,), namespace)


def _unpickled_scenario(defaults: dict[str, Any], values: dict[str, Any]) -> TalentScenario:
    values = dict(values)
    return scenario_class(defaults)(rng=values.pop("rng", None), **values)


def rebuild_scenario(config: Any, engine: str, rng_state: dict[str, Any], params: dict[str, Any]) -> TalentScenario:
    """A scenario whose class defaults rebuild the model: ``config`` (as given: a path, a Config or None),
    ``engine``, ``rng_state`` (the generator's state before the model's first draw) and the keyword ``params``.

    Mesa's SolaraViz Reset calls ``type(scenario)(**controls)``: the controls override the keyword parameters,
    and everything else, the seed included, is that of the model being reset.
    """
    defaults = {"config": config, "engine": engine, "rng_state": copy.deepcopy(rng_state), **params}
    return scenario_class(defaults)()


@dataclasses.dataclass(frozen=True)
class Ahead:
    """Next year's draws, being drawn in the background (:meth:`TalentModel._draw_ahead`), and what they hold for:
    the ``year``, the researchers ``staying`` from this year and the generator's ``state`` they start from; the
    cohort's ``entrants`` (agents) and the fraction of an agent ``carry`` to the year after."""

    year: int
    staying: int
    state: dict[str, Any]
    entrants: int
    carry: float
    shared: threads.SharedUniforms  # the year's uniforms, which the caller helps draw once it needs them
    drawn: Background  # of (cohort, YearDraws, the generator's state after them)

    def finish(self, needed: bool = True) -> tuple[Population, YearDraws, dict[str, Any]]:
        """The draws, once done: the uniforms the helper has not reached are drawn here (``needed``; otherwise
        left undrawn). Nothing else writes to the draws' memory after this."""
        if needed:
            self.shared.help()
        else:
            self.shared.close()
        return self.drawn.result()


class TalentModel(mesa.Model):
    """The researcher-migration model.

    Args:
        config: a :class:`~simulation.schema.Config`, or the path of a TOML scenario
            (default: configs/calibrated.toml, the baseline with fitted weights).
        engine: "agents" (Mesa agents) or "vectorized" (numpy arrays).
        record_agents: keep one row per researcher per year (see :meth:`agent_rows`).
        deadweight: with levers on, also run the baseline (the same config with every lever off) on the same
            random numbers, year by year, and report each lever's deadweight: what it spends on people who are
            in its country in the baseline that year.
        rng: seed or numpy Generator for every random draw.
        scenario: a Mesa ``Scenario`` (as Mesa's SolaraViz passes on Reset): its ``rng`` seeds the model (give
            it or ``rng``, not two different ones) and its other values are keyword parameters, as ``**params``.
        **params: keyword parameters of :data:`simulation.parameters.PARAMETER_KEYS`
            and :data:`~simulation.parameters.SWITCHES`, and ``researchers``.

    ``population`` (vectorized engine) is the live state: its arrays change in
    place every year and their memory is reused, so copy what you keep
    (``population.take(np.arange(len(population)))``).
    """

    def __init__(self, config: Config | str | Path | None = None, *, engine: Engine | None = None,
                 record_agents: bool = False, deadweight: bool = False, rng: Any = None, scenario: Any = None,
                 _history: TalentModel | None = None, **params: Any) -> None:
        restore = None
        if scenario is not None:  # Mesa's Scenario: its rng seeds the model, its other values are keywords
            values = {k: v for k, v in vars(scenario).items() if k != "rng"}
            remembered = {k: values.pop(k, None) for k in REBUILD_KEYS}  # how a model of ours was built
            if getattr(scenario, "rng", None) is None and rng is None:
                restore = remembered["rng_state"]
            config = config if config is not None else remembered["config"]
            engine = engine or remembered["engine"]
            params = {**values, **params}
        super().__init__(rng=rng, scenario=scenario)
        if restore is not None:  # Mesa's Reset: the same random numbers as the model it replaces
            self.rng.bit_generator.state = copy.deepcopy(restore)
        engine = engine or "vectorized"
        self.scenario = rebuild_scenario(config, engine, self.rng.bit_generator.state, params)
        if engine not in ENGINES:
            raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
        if not isinstance(config, Config):
            config = load_config(config if config is not None else DEFAULT_CONFIG)
        if params:
            config = with_parameters(config, **params)
        self.config = config
        self.engine = engine
        self.record_agents = record_agents
        self._agent_rows: list[dict[str, np.ndarray]] = []
        sim = config.simulation
        self.people_per_agent = config.people_per_agent
        self._cohort_agents = config.cohort_agents
        self._cohort_carry = 0.0
        self._worlds: dict[tuple[float, ...], tuple[Config, World]] = {}
        self.world = World.from_config(config)
        self.levers: list[Lever] = build_levers(config, self.world)
        self.twin: TalentModel | None = None
        self.researchers: list[Researcher] = []
        self.population: Population | None = empty_population(self.world.n_countries, len(self.levers))
        self._draws = np.empty(0)  # see _draw_space
        self._tastes = np.empty(0)  # see _taste_space
        self._ahead: Ahead | None = None  # next year's draws, drawn in the background (see _draw_ahead)
        self._end_state = self.population  # agent engine: the state at the end of the last year (those staying)
        self._fixed: dict[str, np.ndarray] = {}  # agent engine: this year's columns that never change (FIXED_FIELDS)
        self.year_values: YearValues | None = None  # agent engine: the year's values every researcher reads
        self.mentor_quality = self.world.mentor_floor.copy()
        self.lab_cut = np.full(self.world.n_countries, np.inf)
        self.lab_gain = np.zeros(self.world.n_countries)
        self.contacts = np.zeros(self.world.n_countries)
        self.reference_talent = np.zeros(0)
        self.top_cut = self.top1_cut = np.inf
        self._next_id = 0

        # The spin-up: the model's own history up to the start year, on the vectorized engine, not recorded.
        # Levers start after the start year, so a baseline twin shares the history of its policy run.
        self.year = sim.start_year - sim.spin_up
        if _history is None:
            for _ in range(sim.spin_up):
                self._year_vectorized(record=False)
        else:
            self._take_history(_history)
        if deadweight and self.levers:
            self.twin = TalentModel(without_policies(config), engine="vectorized", rng=np.random.default_rng(),
                                    _history=self)
        pop = self.population
        self.reference_talent = np.sort(pop.ln_talent[pop.stage > PHD])
        self.top_cut = top_cut(self.reference_talent, config.talent.top_share)
        self.top1_cut = top_cut(self.reference_talent, TOP1_SHARE)
        if engine == "agents":
            pop = pop.take(np.arange(len(pop)))  # the agents' own copy
            self.researchers = Researcher.from_population(self, pop)
            self._end_state = pop
            self.population = None

        names = observe.column_names(self.world, [lv.name for lv in self.levers])
        self.datacollector = TalentDataCollector(
            model_reporters={name: functools.partial(report, name=name) for name in names},
            agent_reporters=AGENT_REPORTERS if engine == "agents" else None)
        self._observe(pop, observe.Flows(0, 0, 0, 0, 0), entries=0, exits=0,
                      levers={lv.name: observe.LeverYear(0.0, 0.0, np.nan, np.nan, np.nan) for lv in self.levers})

    def _take_history(self, other: TalentModel) -> None:
        """Start from ``other``'s state at the start year (a copy), its random generator's state included."""
        self.rng.bit_generator.state = other.rng.bit_generator.state
        pop = other.population.take(np.arange(len(other.population)))
        n_levers = len(self.levers)
        pop.contract_amount = np.zeros((len(pop), n_levers))
        pop.contract_left = np.zeros((len(pop), n_levers), dtype=np.int16)
        self.population = pop
        self.year, self._next_id, self._cohort_carry = other.year, other._next_id, other._cohort_carry
        self.mentor_quality, self.contacts = other.mentor_quality.copy(), other.contacts.copy()
        self.lab_cut, self.lab_gain = other.lab_cut.copy(), other.lab_gain.copy()

    # ------------------------------------------------------------------ schedule
    def step(self) -> None:
        """One year: entry, training and careers, offers and decisions, policies, mentors, observation."""
        if self.twin is not None:
            self.twin.step()
        if self.engine == "agents":
            self._year_agents()
        else:
            self._year_vectorized(record=True)
        if self.steps >= self.config.simulation.years:
            self.running = False

    def _year_inputs(self, year: int | None = None) -> tuple[Config, World]:
        """The config and World of ``year`` (default ``self.year``; paths applied), built once for each distinct
        set of inputs."""
        year = self.year if year is None else year
        if not self.config.paths:
            return self.config, self.world
        key = values_in_year(self.config, year)
        if key not in self._worlds:
            config = config_in_year(self.config, year)
            self._worlds[key] = (config, World.from_config(config))
        return self._worlds[key]

    def _cohort_size(self, config: Config) -> tuple[int, float]:
        """This year's entering students in whole agents, and the fraction carried to the next year: the
        steady-state entry times the year's cohort index, plus last year's fraction."""
        carry = self._cohort_carry + self._cohort_agents * config.simulation.cohort_index
        n = int(np.floor(carry + 1e-9))
        return n, carry - n

    def _cohort(self, config: Config, world: World) -> Population:
        """This year's entering students (:meth:`_cohort_size`)."""
        n, self._cohort_carry = self._cohort_size(config)
        cohort = draw_cohort(self.rng, n, config, world, self._next_id, len(self.levers))
        self._next_id += n
        return cohort

    def _draw_ahead(self, staying: int) -> None:
        """Start drawing next year's cohort and uniforms in the background thread, while the rest of this year
        (the observation's sums, mentor quality, the outputs) runs here: the second CPU draws what the first would
        draw at the start of next year, from a copy of the random generator, into the memory the draws use anyway.
        Next year draws the uniforms the helper has not yet reached beside it
        (:class:`simulation.threads.SharedUniforms`).

        Next year takes them (:meth:`_year_draws`) only if nothing has changed since that could change them: the
        generator's state and the number of researchers staying. The numbers are the same either way: a run's
        outputs do not depend on whether they were drawn ahead (tests/test_threads.py).
        """
        self._ahead = None
        year = self.year + 1
        config, world = self._year_inputs(year)
        n, carry = self._cohort_size(config)
        if len(threads.spans(staying + n)) < 2 or type(self.rng.bit_generator) is not np.random.PCG64:
            return  # a year too small to split over threads gains nothing. Another generator: drawn next year.
        state = self.rng.bit_generator.state
        generator = np.random.Generator(np.random.PCG64(0))  # its seed is overwritten: the state is the model's
        generator.bit_generator.state = state
        space = self._draw_space(staying + n)
        first_id, n_levers = self._next_id, len(self.levers)
        shared = threads.SharedUniforms()

        def draw() -> tuple[Population, YearDraws, dict[str, Any]]:
            cohort = draw_cohort(generator, n, config, world, first_id, n_levers)
            draws = draw_year(generator, staying + n, world.n_alternatives, space=space, tastes_later=True,
                              shared=shared)
            shared.help()
            return cohort, draws, generator.bit_generator.state

        drawn = threads.in_background(draw)
        if drawn is not None:  # else no helper is free: next year draws them
            self._ahead = Ahead(year, staying, state, n, carry, shared, drawn)

    def _year_draws(self, config: Config, world: World) -> tuple[Population, YearDraws, Population]:
        """This year's cohort, the year's uniforms for the population with it, and that population: drawn ahead
        (:meth:`_draw_ahead`) if they were and still hold, drawn now otherwise."""
        ahead, self._ahead = self._ahead, None
        if ahead is not None:
            holds = (ahead.year, ahead.staying, ahead.state) == (self.year, len(self.population),
                                                                 self.rng.bit_generator.state)
            cohort, draws, end = ahead.finish(holds)
            if holds:
                self.rng.bit_generator.state = end
                self._cohort_carry, self._next_id = ahead.carry, self._next_id + ahead.entrants
                return cohort, draws, self.population.extend(cohort)
        cohort = self._cohort(config, world)
        pop = self.population.extend(cohort)
        draws = draw_year(self.rng, len(pop), world.n_alternatives, space=self._draw_space(len(pop)),
                          tastes_later=True)
        return cohort, draws, pop

    def __getstate__(self) -> dict[str, Any]:
        """Pickled without the draws ahead (a thread's work): next year draws them."""
        state = self.__dict__.copy()
        if state.get("_ahead") is not None:
            state["_ahead"].finish(needed=False)
            state["_ahead"] = None
        return state

    def _approaches(self, pop: Population, leaving: np.ndarray, ctx: YearContext) -> list[Approach | None]:
        return [lever.approach(pop, ~leaving, ctx) for lever in self.levers]

    def _offers(self, pop: Population, choices: Choices, approaches: list[Approach | None], ctx: YearContext,
                choose: Callable[[np.ndarray, np.ndarray, np.ndarray], np.ndarray]
                ) -> tuple[list[Offer], np.ndarray, np.ndarray]:
        """Each lever's offer to the deciders, and the pay on top and exemption they add up to, per post (n, A).

        Levers offer in turn; each may ask what a decider would choose with its offer on top of what the
        levers before it have offered (``chooses``), so that a budget goes to those who take it. The engine's
        ``choose(local, bonus, exempt)`` tells what the deciders at ``local`` would choose with that pay on top
        and exemption.
        """
        n_alt = ctx.world.n_alternatives
        bonus = np.zeros((len(choices.rows), n_alt))
        exempt = np.zeros((len(choices.rows), n_alt), dtype=bool)

        def chooses(local: np.ndarray, extra: np.ndarray) -> np.ndarray:
            return choose(local, bonus[local] + extra, exempt[local])

        offers = []
        for lever, approach in zip(self.levers, approaches, strict=True):
            offer = lever.offer(pop, choices, approach, ctx, chooses)
            if offer.wage_bonus is not None:
                bonus += offer.wage_bonus
            if offer.exempt is not None:
                exempt |= offer.exempt
            offers.append(offer)
        return offers, bonus, exempt

    def _after_moves(self, pop: Population, before: np.ndarray, sector_before: np.ndarray, leaving: np.ndarray,
                     ctx: YearContext, offers: list[Offer], entries: int, record: bool) -> Population:
        """Policies, exits, mentor quality and observation, shared by both engines; returns those who stay."""
        flows = observe.count_flows(before, pop.country, pop.origin, ctx.world.origin, pop.stage, sector_before)
        unsettled = self._settlement(pop) if self.engine == "agents" else ()
        payments = [lever.settle(pop, ~leaving, offer, ctx) for lever, offer in zip(self.levers, offers, strict=True)]
        kept = np.flatnonzero(~leaving)
        lever_years = {lever.name: self._lever_year(lever, paid, pop, kept, ctx)
                       for lever, paid in zip(self.levers, payments, strict=True)} if record else {}
        if self.engine == "agents" and self.researchers:  # before the DataCollector reads the agents
            self._settle_agents(pop, leaving, unsettled)
        # The vectorized engine's population is its own: keep the stayers in place, room for next year's cohort.
        staying = pop.compact(kept) if self.engine == "vectorized" or not record else pop.take(kept)
        # The weeks before the draws ahead: their spans have both threads; the sums after, beside the draws.
        week = observe.weeks(staying, ctx.world, ctx.config.hours) if record else None
        if self.engine == "vectorized" and record and self.steps < self.config.simulation.years:
            self._draw_ahead(len(staying))
        tallies = None
        if record:  # the outputs' sums give mentor quality's too
            tallies = observe.tally(staying, ctx.world, ctx.config.hours, year=self.year, top_cut=self.top_cut,
                                    top1_cut=self.top1_cut, week=week)
        self._update_mentors(staying, ctx, tallies)
        if record:
            self._observe(staying, flows, entries=entries, exits=len(pop) - len(kept), levers=lever_years,
                          tallies=tallies)
        return staying

    def _lever_year(self, lever: Lever, paid: Payments, pop: Population, kept: np.ndarray, ctx: YearContext
                    ) -> observe.LeverYear:
        """A lever's outputs for the year, from its payments (rows of ``pop``, before those leaving are dropped)."""
        w = self.people_per_agent
        value_share = np.nan
        if len(paid.rows):
            pay = behaviour.current_pay(ctx.world, pop, paid.rows)
            value_share = float(np.mean(paid.value / pay))
        dead_money = dead_people = np.nan
        if self.twin is not None:
            twin = self.twin.population
            position = np.searchsorted(kept, paid.rows)
            if len(twin) != len(kept) or not np.array_equal(twin.id, pop.id[kept]):
                raise RuntimeError("the baseline twin's researchers differ from the policy run's")
            anyway = twin.country[position] == lever.home
            dead_money = float(paid.cost[anyway].sum()) * w
            dead_people = float(np.count_nonzero(anyway)) * w
        return observe.LeverYear(spent=float(paid.cost.sum()) * w, recipients=len(paid.rows) * w,
                                 wage_equivalent=value_share, deadweight=dead_money, deadweight_recipients=dead_people,
                                 offered=paid.offered * w, signed=paid.signed * w)

    def _update_mentors(self, pop: Population, ctx: YearContext, tallies: observe.Tallies | None = None) -> None:
        """Mentor quality from academic seniors' talent per trainee (from ``tallies`` of ``pop``, if taken), and the
        star labs' places for next year."""
        world = ctx.world
        if tallies is not None:
            ratio = tallies.talent_per_trainee()
        else:
            ratio = talent_per_trainee(pop.country, pop.sector, pop.stage, pop.ln_talent, world.n_countries)
        self.mentor_quality = mentor_quality(world.mentor_floor, world.mentor_weight, ratio, world.mentor_reference)
        self.lab_cut = np.full(world.n_countries, np.inf)
        self.lab_gain = np.zeros(world.n_countries)
        for lever in self.levers:
            labs = lever.labs(pop, ctx)
            if labs is None or labs.places <= 0:
                continue
            trainees = is_trainee(pop.stage, pop.sector) & (pop.country == labs.country)
            self.lab_cut[labs.country] = lab_talent_cut(pop.ln_talent[trainees], labs.places)
            self.lab_gain[labs.country] = labs.gain

    def _observe(self, pop: Population, flows: observe.Flows, *, entries: int, exits: int,
                 levers: dict[str, observe.LeverYear], tallies: observe.Tallies | None = None) -> None:
        config, world = self._year_inputs()
        self._observed = pop
        self.metrics = observe.observe(pop, world, config.hours, year=self.year, people_per_agent=self.people_per_agent,
                                       top_cut=self.top_cut, top1_cut=self.top1_cut,
                                       mentor_quality=self.mentor_quality, flows=flows, entries=entries, exits=exits,
                                       levers=levers, tallies=tallies)
        self.datacollector.collect(self)
        if self.record_agents:
            self._agent_rows.append({  # copies: the vectorized engine reuses its arrays next year
                "id": pop.id.copy(), "year": np.full(len(pop), self.year, dtype=np.int16),
                "origin": pop.origin.copy(), "country": pop.country.copy(), "sector": pop.sector.copy(),
                "stage": pop.stage.copy(), "career_age": pop.career_age.copy(), "talent": np.exp(pop.ln_talent),
                "phd_country": pop.phd_country.copy(), "phd_year": pop.phd_year.copy(),
                "moved": pop.moved.copy(), "support": pop.support.copy()})

    def _context(self, config: Config, world: World) -> YearContext:
        return YearContext(self.year, config, world, self.people_per_agent, self.reference_talent)

    # ------------------------------------------------------------ vectorized engine
    def _year_vectorized(self, record: bool) -> None:
        self.year += 1
        config, world = self._year_inputs()
        ctx = self._context(config, world)
        cohort, draws, pop = self._year_draws(config, world)
        self.contacts = contacts_by_country(pop.country, pop.origin, world.origin, world.n_countries)
        transition, leaving = behaviour.age_one_year(pop, world, config, self.mentor_quality, self.lab_cut,
                                                     self.lab_gain, self.year, draws.exit_u, draws.advance_u)
        approaches = self._approaches(pop, leaving, ctx)
        held, offered = behaviour.offers_held(pop, world, draws.offer_u, transition)
        approached = np.zeros(len(pop), dtype=bool)
        for approach in approaches:
            if approach is not None:
                held[approach.rows] |= approach.alternatives
                approached[approach.rows] = True  # who decides, whatever the posts offered (offered: before these)
        rows = np.flatnonzero(decides(transition, offered, approached, leaving))
        available = behaviour.open_alternatives(pop, world, held, transition, rows)
        taste_u = draws.tastes.at(rows, self._taste_space(len(rows) * world.n_alternatives))  # (deciders, A)
        minus_shock = behaviour.minus_gumbel(taste_u)

        def choose(local: np.ndarray, bonus: np.ndarray, exempt: np.ndarray) -> np.ndarray:
            return behaviour.choose_alternatives(pop, world, config, self.mentor_quality, self.lab_cut, self.lab_gain,
                                                 self.contacts, bonus, exempt, available[local],
                                                 minus_shock[local], rows[local])

        if self.levers:
            pay = behaviour.base_pay(world, pop.stage[rows], pop.ln_talent[rows])
            offers, bonus, exempt = self._offers(pop, Choices(rows, pay, available), approaches, ctx, choose)
        else:  # what _offers gives with no levers, without the pay it does not read
            offers, bonus, exempt = [], np.zeros(available.shape), np.zeros(available.shape, bool)
        chosen = behaviour.choose_alternatives(pop, world, config, self.mentor_quality, self.lab_cut, self.lab_gain,
                                               self.contacts, bonus, exempt, available, minus_shock, rows)
        before, sector_before = pop.country.copy(), pop.sector.copy()
        behaviour.move(pop, rows, chosen, world)
        self.population = self._after_moves(pop, before, sector_before, leaving, ctx, offers, len(cohort), record)

    def _taste_space(self, size: int) -> np.ndarray:
        """Memory for the year's taste shocks of the deciders (``size`` numbers), kept from year to year, as
        :meth:`_draw_space`."""
        if len(self._tastes) < size:
            self._tastes = np.empty(size + size // SPARE)
        return self._tastes

    def _draw_space(self, n: int) -> np.ndarray:
        """Memory for the year's uniform draws of ``n`` researchers, kept from year to year.

        A fresh 7 MB a year at 100,000 researchers made the allocator hand memory
        back and fault it in again each year, a third of the engine's time.
        """
        size = draw_size(n, self.world.n_alternatives)
        if len(self._draws) < size:
            self._draws = np.empty(size + size // SPARE)
        return self._draws

    # ----------------------------------------------------------------- agent engine
    def _year_agents(self) -> None:
        """The year of the agent engine: the model computes what is the same for everyone once
        (:class:`~simulation.yearvalues.YearValues`) and hands each researcher its draws; each researcher lives
        its year in its own ``step``. With levers on, the government acts between ageing and deciding."""
        self.year += 1
        config, world = self._year_inputs()
        ctx = self._context(config, world)
        cohort = self._cohort(config, world)
        self.researchers += Researcher.from_population(self, cohort)
        researchers = self.researchers
        last = self._end_state  # last year's researchers who stay, then this year's cohort: the rows of the year
        before = np.concatenate([last.country, cohort.country])
        sector_before = np.concatenate([last.sector, cohort.sector])
        self._fixed = {name: np.concatenate([getattr(last, name), getattr(cohort, name)]) for name in FIXED_FIELDS}
        self.contacts = contacts_by_country(before, self._fixed["origin"], world.origin, world.n_countries)
        self.year_values = YearValues.build(self.year, config, world, self.mentor_quality, self.lab_cut,
                                            self.lab_gain, self.contacts)
        draws = draw_year(self.rng, len(researchers), world.n_alternatives)
        for r, exit_u, advance_u, offer_u, noise_u in zip(researchers, draws.exit_u.tolist(), draws.advance_u.tolist(),
                                                          draws.offer_u.tolist(), draws.noise_u.tolist(), strict=True):
            r.year_draws = (exit_u, advance_u, offer_u, noise_u)
        self.agents.do("step")
        offers = self._government(ctx) if self.levers else []
        after = gather(researchers, world.n_countries, len(self.levers), self._fixed)
        leaving = np.fromiter([r.leaving for r in researchers], dtype=bool, count=len(researchers))
        self._end_state = self._after_moves(after, before, sector_before, leaving, ctx, offers, len(cohort),
                                            record=True)

    def _government(self, ctx: YearContext) -> list[Offer]:
        """The levers' part of an agent-engine year, once the researchers have aged: the programmes approach,
        the researchers consider their offers, the programmes offer to those who decide, and they decide."""
        world, values, researchers = ctx.world, self.year_values, self.researchers
        pop = gather(researchers, world.n_countries, len(self.levers), self._fixed)
        leaving = np.fromiter([r.leaving for r in researchers], dtype=bool, count=len(researchers))
        approaches = self._approaches(pop, leaving, ctx)
        approached: dict[int, tuple[int, ...]] = {}
        for approach in approaches:
            if approach is not None:
                posts = tuple(np.flatnonzero(approach.alternatives).tolist())
                for k in approach.rows.tolist():
                    approached[k] = approached.get(k, ()) + posts
        rows = np.array([k for k, r in enumerate(researchers)
                         if r.consider(values, r.year_draws[2], approached.get(k))], dtype=np.int64)
        deciders = [researchers[k] for k in rows.tolist()]
        available = np.zeros((len(rows), world.n_alternatives), dtype=bool)
        for j, r in enumerate(deciders):
            available[j, list(alternatives_in(r.available))] = True
        pay = behaviour.base_pay(world, pop.stage[rows], pop.ln_talent[rows])

        def choose(local: np.ndarray, bonus: np.ndarray, exempt: np.ndarray) -> np.ndarray:
            return np.array([deciders[j].choose(values, deciders[j].year_draws[3], b, e) for j, b, e
                             in zip(local.tolist(), bonus.tolist(), exempt.tolist(), strict=True)], dtype=np.intp)

        offers, bonus, exempt = self._offers(pop, Choices(rows, pay, available), approaches, ctx, choose)
        for r, b, e in zip(deciders, bonus.tolist(), exempt.tolist(), strict=True):
            r.decide(values, r.year_draws[3], b, e)
        return offers

    @staticmethod
    def _settlement(pop: Population) -> tuple[np.ndarray, ...]:
        """What the levers settle, per researcher (support, exemption, contracts), as copies."""
        return pop.support.copy(), pop.exempt.copy(), pop.contract_amount.copy(), pop.contract_left.copy()

    def _settle_agents(self, after: Population, leaving: np.ndarray, unsettled: tuple[np.ndarray, ...]) -> None:
        """The agents take the year's settlement (support, exemption, contracts: rows of ``after``; ``unsettled``
        is the same before the levers settled: only the agents whose settlement changed are written to); those
        ``leaving`` research leave the model."""
        if self.levers:
            support, exempt, amount, left = unsettled
            changed = (after.support != support) | (after.exempt != exempt)
            changed |= (after.contract_amount != amount).any(axis=1) | (after.contract_left != left).any(axis=1)
            rows = np.flatnonzero(changed)
            researchers = self.researchers
            for k, support_k, exempt_k, amount_k, left_k in zip(
                    rows.tolist(), after.support[rows].tolist(), after.exempt[rows].tolist(),
                    after.contract_amount[rows].tolist(), after.contract_left[rows].tolist(), strict=True):
                r = researchers[k]
                r.support, r.exempt, r.contract_amount, r.contract_left = (support_k, exempt_k, tuple(amount_k),
                                                                           tuple(left_k))
        for r in compress(self.researchers, leaving.tolist()):
            r.remove()
        self.researchers = list(compress(self.researchers, (~leaving).tolist()))

    # --------------------------------------------------------------------- outputs
    def agent_records(self) -> list[tuple[Any, ...]]:
        """The DataCollector's agent rows of the latest observation (agent engine): ``(time, unique_id, country,
        sector, stage, talent, support)`` per researcher, the values of :data:`AGENT_REPORTERS`, from the
        observed arrays."""
        pop, researchers = self._observed, self.researchers
        if len(pop) != len(researchers):
            raise RuntimeError("the observed population is not the model's agents")
        codes = self.world.codes
        return list(zip([self.time] * len(pop), [r.unique_id for r in researchers],
                        [codes[c] for c in pop.country.tolist()], [SECTORS[s] for s in pop.sector.tolist()],
                        [STAGES[s] for s in pop.stage.tolist()], list(map(math.exp, pop.ln_talent.tolist())),
                        pop.support.tolist(), strict=True))

    def yearly(self):
        """The yearly outputs as a DataFrame, one row a year (the first is the state at the start)."""
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
        phd = frame["phd_country"].to_numpy()
        frame["phd_country"] = np.where(phd >= 0, codes[np.maximum(phd, 0)], "")
        frame["sector"] = np.array(SECTORS)[frame["sector"].to_numpy()]
        frame["stage"] = np.array(STAGES)[frame["stage"].to_numpy()]
        return frame
