"""The Researcher agent of the agent engine: one researcher's year in scalar Python.

A Researcher holds its state as plain Python numbers and lives its year in its
own methods: it trains and ages (:meth:`Researcher.age`), looks at the offers it
holds (:meth:`Researcher.consider`), and chooses a country and sector over its own
few alternatives (:meth:`Researcher.choose`, :meth:`Researcher.decide`). What is the
same for everyone (pay schedules, mentor quality, caps, weights) the model computes
once a year (:class:`~simulation.yearvalues.YearValues`); the random numbers are the
year's draws of the model's generator, row by row, as the vectorized engine takes them.

This is a second implementation of the model's behaviour, not a call into the
vectorized one: each formula of :mod:`simulation.behaviour`, :mod:`simulation.choice`,
:mod:`simulation.lifecycle` and :mod:`simulation.hours` is written here for one
researcher, with the same floating-point operations in the same order, so that
the two engines give the same outputs bit for bit (tests/test_engines.py). One
difference is in the libraries, not the formulas: ``exp`` and ``log`` here are the
C library's, in the vectorized engine numpy's SIMD loops, and the two differ in the
last bit for some arguments. Those values only ever feed a comparison (an offer
draw against its chance, one utility against another), which a last-bit
difference flips only when the two sides agree to about 1e-16 of their size.
"""

from __future__ import annotations

from math import exp, inf, isfinite, log
from typing import TYPE_CHECKING

import mesa
import numpy as np

from simulation.careers import ACADEMIA, INDUSTRY, PHD, POSTDOC, SECTORS, SENIOR, STAGES
from simulation.population import FIELDS, Population
from simulation.yearvalues import YearValues, alternatives_in

if TYPE_CHECKING:
    from simulation.model import TalentModel

#: The state of a Researcher: the fields of :class:`~simulation.population.Population`, one value each.
STATE_FIELDS: tuple[str, ...] = FIELDS
#: Fields held as tuples (one value per country, per lever).
_ROW_FIELDS = ("country_taste", "contract_amount", "contract_left")
#: Pay (million KRW a year) at which the utility of income has slope 1 per 100 million (simulation.choice).
_INCOME_REFERENCE = 100.0


class Researcher(mesa.Agent):
    """A Korean-origin AI researcher choosing where (country and sector) to work.

    Attributes are those of :class:`~simulation.population.Population`, one Python
    number each (``country_taste``, ``contract_amount`` and ``contract_left`` are
    tuples): ``origin``, ``country``, ``sector``, ``stage``, ``ln_talent``, ...
    During a year it also holds ``year_draws`` (its uniforms: exit, stage end,
    offers, taste shocks), ``transition``, ``leaving``, ``deciding`` and ``available`` (a bit mask of alternatives).
    """

    model: TalentModel

    def __init__(self, model: TalentModel, state: dict[str, object]) -> None:
        super().__init__(model)
        self.__dict__.update(state)
        self.transition = False
        self.leaving = False
        self.deciding = False
        self.available = 0  # bit mask of the posts open this year
        self.year_draws: tuple[float, float, list[float], list[float]] = (1.0, 1.0, [], [])

    @classmethod
    def from_population(cls, model: TalentModel, pop: Population) -> list[Researcher]:
        """An agent for each researcher of ``pop``, in row order."""
        columns = []
        for name in STATE_FIELDS:
            values = getattr(pop, name).tolist()
            columns.append([tuple(v) for v in values] if name in _ROW_FIELDS else values)
        return [cls(model, dict(zip(STATE_FIELDS, row, strict=True))) for row in zip(*columns, strict=True)]

    # ------------------------------------------------------------------ the year
    def step(self) -> None:
        """The researcher's year: train and age, then, unless the government acts first (levers on: the model
        lets it consider and decide once the programmes have made their offers), choose where to work."""
        m = self.model
        exit_u, advance_u, offer_u, noise_u = self.year_draws
        v = m.year_values
        self.age(v, exit_u, advance_u)
        if not m.levers and self.consider(v, offer_u):
            self.decide(v, noise_u)

    def age(self, v: YearValues, exit_u: float, advance_u: float) -> None:
        """Train under the mentors where one is, grow a year older, finish a stage (``transition``) or leave
        research (``leaving``), as :func:`simulation.behaviour.age_one_year`."""
        stage = self.stage
        if stage < POSTDOC or (stage == POSTDOC and self.sector == ACADEMIA):  # a trainee
            c = self.country
            quality = v.mentor_quality[c]
            if v.any_lab:
                quality += v.lab_gain[c] if self.ln_talent >= v.lab_cut[c] else 0.0
            else:
                quality += 0.0
            self.ln_talent += v.training_gain * quality
        else:
            self.ln_talent += 0.0
        self.leaving = exit_u < v.exit_hazard[stage] or self.career_age >= v.max_career_age
        years = self.years_in_stage + 1
        self.transition = years >= v.min_years[stage] and advance_u < v.advance_p[stage] and stage < SENIOR
        if self.transition:
            if stage == PHD:
                self.phd_country, self.phd_year = self.country, v.year
            self.stage, self.years_in_stage = stage + 1, 0
        else:
            self.years_in_stage = years
        self.career_age += 1
        self.years_in_place += 1
        self.moved = False
        self.support = 0.0

    def consider(self, v: YearValues, offer_u: list[float], approached: tuple[int, ...] | None = None) -> bool:
        """Whether the researcher chooses this year: at a stage transition, holding an offer of a post other than
        its own, or ``approached`` by a programme (with the posts it offers); never when leaving research. Records
        the posts open to it (``available``, a bit mask), as :func:`simulation.behaviour.open_alternatives`."""
        stage = self.stage
        current = 1 << (self.country * len(SECTORS) + self.sector)
        z = self.ln_talent / v.talent_sigma
        shift = v.stage_shift[stage] + v.transition_shift * self.transition
        held = 0
        for a, minus_slope, intercept in v.offer_terms[stage]:
            minus_eta = minus_slope * z - intercept - shift
            u = offer_u[a]
            # The chance is at most 1 / (e + 1) = 0.26894 at minus_eta >= 1, and 1 / (e^3 + 1) = 0.047426 at 3: a
            # draw above these bounds is above the chance whatever the last bit of exp (offers are rare: most draws
            # are), so exp is not needed to know it.
            if minus_eta >= 1.0 and (u >= 0.269 or (minus_eta >= 3.0 and u >= 0.0475)):
                continue
            try:
                chance = 1.0 / (exp(minus_eta) + 1.0)
            except OverflowError:  # numpy's exp gives inf, and the chance 0
                chance = 0.0
            if u < chance:
                held |= 1 << a
        if approached is not None:
            for a in approached:
                held |= 1 << a
        self.deciding = (self.transition or approached is not None or held & ~current != 0) and not self.leaving
        if self.deciding:
            self.available = held | (v.home_posts[self.origin][stage] if self.transition else current)
        return self.deciding

    def decide(self, v: YearValues, noise_u: list[float], bonus: list[float] | None = None,
               exempt: list[bool] | None = None) -> None:
        """Choose (:meth:`choose`) and go there, as :func:`simulation.behaviour.move`."""
        alternative = self.choose(v, noise_u, bonus, exempt)
        country = v.alt_country[alternative]
        self.moved = country != self.country
        if self.moved:
            self.years_in_place = 0
        self.country, self.sector = country, v.alt_sector[alternative]

    def choose(self, v: YearValues, noise_u: list[float], bonus: list[float] | None = None,
               exempt: list[bool] | None = None) -> int:
        """The alternative the researcher chooses among those ``available``: the highest utility plus its taste
        shock, as :func:`simulation.behaviour.choose_alternatives` (the same operations in the same order).
        ``bonus`` (million KRW a year) and ``exempt`` are what the programmes offer in each alternative (none:
        nothing)."""
        ln_talent, country, sector = self.ln_talent, self.country, self.sector
        desired, rank, taste_of = self.desired_hours, self.employer_rank, self.country_taste
        terms, home_terms = v.choice_terms[self.stage], v.home_terms[self.origin]
        wage, curvature, hours, peak_share, peak_extra = v.wage, v.curvature, v.hours, v.peak_share, v.peak_extra
        moving_cost = v.moving_cost * (1.0 + v.tie_growth * self.years_in_place)
        best, chosen = -inf, 0
        for a in alternatives_in(self.available):
            c, s, base, convexity, cap, coverage, mentor, quality, lab, lab_cut, lab_gain, network = terms[a]
            income = base * exp(convexity * ln_talent)
            if bonus is not None:
                income = income + bonus[a]
            cut = 0.0
            if cap != inf and rank < coverage and not (exempt is not None and exempt[a]):  # simulation.hours.cap_cut
                ordinary = max(desired - cap, 0.0)
                peak = max(desired + peak_extra - cap, 0.0)
                cut = (1.0 - peak_share) * ordinary + peak_share * peak
            if lab:
                quality += lab_gain if ln_talent >= lab_cut else 0.0
            taste = taste_of[c]
            if s == INDUSTRY:
                taste += self.industry_taste
            other_country = c != country
            u = wage * (income / _INCOME_REFERENCE - 1.0 if curvature == 0.0 else income_utility(income, curvature))
            u -= hours * cut
            u += mentor * quality
            u += network
            u += home_terms[a]
            u += taste
            u -= moving_cost * other_country
            u -= v.sector_switch_cost * (s != sector and not other_country)
            if not isfinite(u):
                raise FloatingPointError("a utility is not finite: a weight or an input is too large for the model")
            u += gumbel(noise_u[a])
            if u > best:
                best, chosen = u, a
        return chosen

    # --- what the DataCollector's agent reporters read (attribute names: the model stays picklable) ---
    @property
    def country_code(self) -> str:
        """The country the researcher is in (``KR``, ``US``)."""
        return self.model.world.codes[self.country]

    @property
    def stage_name(self) -> str:
        """The career stage (``student``, ``phd``, ``postdoc``, ``junior``, ``senior``)."""
        return STAGES[self.stage]

    @property
    def sector_name(self) -> str:
        """The sector (``academia``, ``industry``)."""
        return SECTORS[self.sector]

    @property
    def talent(self) -> float:
        """Talent, a multiple of the median entrant's (the exponential of ``ln_talent``)."""
        return exp(self.ln_talent)

    @property
    def support_received(self) -> float:
        """Policy support received this year, million KRW."""
        return self.support

    @property
    def label(self) -> str:
        """A short description for tooltips."""
        return (f"#{self.id} {STAGES[self.stage]}, {SECTORS[self.sector]} in {self.model.world.codes[self.country]}, "
                f"talent {exp(self.ln_talent):.2f}")


def income_utility(income: float, curvature: float) -> float:
    """:func:`simulation.choice.income_utility` of one income (million KRW a year), in units of the wage weight."""
    x = income / _INCOME_REFERENCE
    if curvature == 0.0:
        return x - 1.0
    if curvature == 1.0:
        return log(x)
    return (x ** (1.0 - curvature) - 1.0) / (1.0 - curvature)


def gumbel(u: float) -> float:
    """A standard Gumbel draw from a uniform, as :func:`simulation.population.gumbel_noise`."""
    return -log(-log(max(u, 1e-300)))


def gather(researchers: list[Researcher], n_countries: int, n_levers: int,
           fixed: dict[str, np.ndarray] | None = None) -> Population:
    """The researchers' state as a Population (rows in the list's order), for the model's year-wide work.

    ``fixed``: columns already at hand, in the same row order (the :data:`FIXED_FIELDS`, which never change).
    """
    n = len(researchers)
    fixed = fixed or {}
    states = [r.__dict__ for r in researchers]  # reading the dicts is twice as fast as getattr
    columns = {}
    for name, dtype in _DTYPES.items():
        if name in fixed:
            columns[name] = fixed[name]
        elif name in _ROW_FIELDS:
            width = n_countries if name == "country_taste" else n_levers
            columns[name] = np.array([state[name] for state in states], dtype=dtype).reshape(n, width)
        else:
            columns[name] = np.fromiter([state[name] for state in states], dtype=dtype, count=n)
    return Population(**columns)


#: The fields of a researcher that never change once it is drawn.
FIXED_FIELDS: tuple[str, ...] = ("id", "origin", "desired_hours", "employer_rank", "country_taste", "industry_taste")
#: The dtype of each Population field (simulation.population).
_DTYPES: dict[str, type] = {
    "id": np.int64, "origin": np.int8, "country": np.int8, "sector": np.int8, "stage": np.int8,
    "years_in_stage": np.int16, "career_age": np.int16, "years_in_place": np.int16, "ln_talent": np.float64,
    "desired_hours": np.float64, "employer_rank": np.float64, "country_taste": np.float64,
    "industry_taste": np.float64, "phd_country": np.int8, "phd_year": np.int16, "moved": np.bool_,
    "support": np.float64, "exempt": np.bool_, "contract_amount": np.float64, "contract_left": np.int16}
