"""The scenario configuration as frozen dataclasses.

Every parameter is declared once, here, with its unit, its allowed range and
its origin: set from data, calibrated, assumed (with a prior range) or a design
choice. :mod:`simulation.config` validates a
TOML file against these declarations; docs/ODD.md's parameter table is printed
from them (``talentflow params``). Money is in million KRW a year (2024 prices),
hours in hours a week, shares and probabilities as a share of 1.
"""

from __future__ import annotations

import copy
import dataclasses
import functools
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.careers import SECTORS, STAGES, WORKING_STAGES
from simulation.lifecycle import steady_state_presence


def param(
    default: Any = dataclasses.MISSING,
    *,
    unit: str = "",
    doc: str,
    lo: float | None = None,
    hi: float | None = None,
    lo_open: bool = False,
    origin: str = "data",
    keys: tuple[str, ...] | None = None,
    prior: tuple[float, float] | None = None,
) -> Any:
    """Declare a parameter: its default, unit, range and provenance.

    ``origin`` is "data" (set from a cited source), "calibrated" (fitted to observed
    moments), "assumed" (no source pins it: a stated value with a ``prior`` range,
    over which a sweep may draw it), "design" (a choice of the simulation, not of
    the world: population size, years) or "policy" (a setting of a policy lever).
    ``keys`` lists the allowed keys of a per-stage or per-sector table.
    """
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open, "origin": origin, "keys": keys,
            "prior": prior}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: copy.deepcopy(d), metadata=meta)  # a copy each instance
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def _stage_values(table: dict[str, float], fill: float = 0.0) -> np.ndarray:
    """A per-stage table as an array over :data:`STAGES`, ``fill`` where absent."""
    return np.array([float(table.get(s, fill)) for s in STAGES])


#: Stages with pay in industry: the first post-PhD job (the postdoc stage) and the working stages.
INDUSTRY_STAGES: tuple[str, ...] = ("postdoc", *(STAGES[s] for s in WORKING_STAGES))


@dataclass(frozen=True)
class SimulationConfig:
    """Time, population size and how the population is scaled to people."""

    start_year: int = param(2024, unit="calendar year", doc="first recorded year (the state at its end is row 0)",
                            lo=1900, hi=2200, origin="design")
    years: int = param(30, unit="years", doc="years simulated after the start year (one step a year)", lo=1, hi=500,
                       origin="design")
    spin_up: int = param(
        60,
        unit="years",
        doc="years simulated before the start year from an empty population, so that the starting population is "
            "the model's own history; at least the career length",
        lo=0,
        hi=500,
        origin="design",
    )
    researchers: int = param(
        10_000, unit="agents", doc="agents alive in the steady state (the population's size in agents)", lo=10,
        hi=100_000_000, origin="design"
    )
    workforce: float = param(
        57_000.0,
        unit="people",
        doc="Korean-origin AI researchers after the PhD, at home and abroad, in the steady state (sets the people "
            "one agent stands for)",
        lo=1,
        hi=1e9,
        lo_open=True,
    )
    cohort_index: float = param(
        1.0,
        unit="share of the steady-state cohort",
        doc="new students a year relative to the entry that keeps the workforce steady (a yearly path may change it)",
        lo=0,
        hi=100,
        origin="design",
    )
    origin: str = param("KR", doc="country code of the researchers' origin")
    max_career_age: int = param(
        40, unit="years", doc="career age at which researchers retire (entry at about 25, retirement at 65)",
        lo=1, hi=80
    )


@dataclass(frozen=True)
class CareerConfig:
    """Stage lengths and exits. A stage lasts at least its minimum, then ends each year with a fixed chance,
    so that its mean is the configured mean (a shifted geometric length)."""

    duration_mean: dict[str, float] = param(
        {"student": 2.0, "phd": 4.8, "postdoc": 1.8, "junior": 6.5},
        unit="years",
        doc="mean years in each stage before the next (senior lasts until exit)",
        lo=1,
        hi=50,
        keys=STAGES[:-1],
    )
    duration_min: dict[str, int] = param(
        {"student": 1, "phd": 3, "postdoc": 1, "junior": 4},
        unit="years",
        doc="fewest years in each stage",
        lo=1,
        hi=50,
        keys=STAGES[:-1],
        origin="assumed",
    )
    exit_hazard: dict[str, float] = param(
        {"student": 0.10, "phd": 0.05, "postdoc": 0.06, "junior": 0.03, "senior": 0.025},
        unit="share a year",
        doc="chance of leaving research each year, by stage",
        lo=0,
        hi=1,
        keys=STAGES,
        origin="assumed",
    )

    def advance_probability(self) -> np.ndarray:
        """Yearly chance of finishing each stage once its minimum is served (senior: 0)."""
        mean = _stage_values(self.duration_mean, fill=np.inf)
        low = _stage_values(self.duration_min, fill=np.inf)
        with np.errstate(invalid="ignore", divide="ignore"):
            p = 1.0 / (mean - low + 1.0)
        return np.where(np.isfinite(mean), p, 0.0)

    def minimum_years(self) -> np.ndarray:
        """Fewest years in each stage (senior: effectively unbounded)."""
        return _stage_values(self.duration_min, fill=10_000).astype(np.int64)

    def exit_hazards(self) -> np.ndarray:
        """Yearly exit probability by stage."""
        return _stage_values(self.exit_hazard)


@dataclass(frozen=True)
class TalentConfig:
    """Talent at entry and its growth under mentors."""

    sigma: float = param(
        0.5, unit="log points", doc="standard deviation of log talent at entry", lo=0, hi=3, lo_open=True,
        origin="assumed", prior=(0.3, 0.8),
    )
    training_gain: float = param(
        0.04,
        unit="log points a year per unit of mentor quality",
        doc="talent gained per training year (Waldinger 2010: +1 SD faculty quality, +10-13 points)",
        lo=0,
        hi=1,
    )
    top_share: float = param(
        0.10,
        unit="share",
        doc="share of the post-PhD population at the start counted as top talent",
        lo=0,
        hi=1,
        lo_open=True,
        origin="design",
    )


@dataclass(frozen=True)
class HoursConfig:
    """Hours researchers want to work, the peaks they face, and what hours produce.

    Ordinary desired hours are normal across researchers; their mean and spread are not
    inputs but fitted in closed form to the survey's hours worked and cut under the
    survey's cap, given the peaks (:meth:`Config.desired_hours`).
    """

    survey_hours: float = param(
        46.04, unit="hours a week", doc="hours worked by covered researchers, with the cap (NST survey of GRI "
        "researchers, 2019-20)", lo=1, hi=100,
    )
    survey_cut: float = param(
        2.61, unit="hours a week", doc="fall in their weekly hours after the 52-hour cap applied (NST survey, 2018-20)",
        lo=0, hi=50,
    )
    survey_cap: float = param(
        52.0, unit="hours a week", doc="the cap the surveyed researchers worked under (Labor Standards Act, 2018)",
        lo=1, hi=168,
    )
    peak_share: float = param(
        0.1, unit="share of weeks", doc="share of weeks that are peaks (training runs, deadlines)", lo=0, hi=1,
        # Priors of the peaks: a box in which the survey's hours and cut can be fitted at every corner (at 25% of
        # weeks and +24 hours no spread of desired hours gives them; tests/test_hours.py).
        origin="assumed", prior=(0.04, 0.2),
    )
    peak_extra: float = param(
        16.0, unit="hours a week", doc="extra hours wanted in a peak week", lo=0, hi=100, origin="assumed",
        prior=(8.0, 20.0),
    )
    output_kink: float = param(
        50.0, unit="hours a week", doc="hours beyond which output per hour falls (Pencavel 2014)", lo=1, hi=168,
    )
    output_flat: float = param(
        55.0, unit="hours a week", doc="hours beyond which output no longer rises (Pencavel 2014)", lo=1, hi=168,
    )
    capped_from: str = param(
        "postdoc", doc="first stage bound by a working-hour cap: employees, not students (Labor Standards Act)",
    )


@dataclass(frozen=True)
class PreferenceConfig:
    """Utility weights of the random-utility choice, and the spread of persistent tastes."""

    wage: float = param(0.5, unit="utils per 100 million KRW a year (at 100 million)", doc="weight on pay",
                        lo=0, hi=100, origin="calibrated")
    income_curvature: float = param(
        0.0,
        unit="relative risk aversion",
        doc="curvature of the utility of pay: 0 levels (absolute gaps count), 1 logs (relative gaps count)",
        lo=0,
        hi=1,
        origin="assumed",
        prior=(0.0, 1.0),
    )
    hours: float = param(
        0.02, unit="utils per hour a week", doc="weight on the weekly hours a cap takes away", lo=0, hi=10,
        origin="assumed", prior=(0.0, 0.1)
    )
    mentor: float = param(
        1.5, unit="utils per unit of mentor quality", doc="weight on mentor quality when choosing where to train",
        lo=0, hi=100, origin="calibrated",
    )
    mentor_working: float = param(
        0.5, unit="utils per unit of mentor quality", doc="weight on mentor (peer) quality when choosing where to work",
        lo=0, hi=100, origin="assumed", prior=(0.0, 2.0)
    )
    network: float = param(
        0.3, unit="utils per log contact", doc="weight on same-origin contacts", lo=0, hi=100, origin="calibrated",
        prior=(0.0, 1.0)
    )
    home: float = param(2.0, unit="utils", doc="mean pull of the origin country", lo=0, hi=100, origin="calibrated")
    moving_cost: float = param(
        1.0, unit="utils", doc="cost of moving country, at zero years in place", lo=0, hi=100, origin="calibrated",
    )
    tie_growth: float = param(
        0.05,
        unit="share a year in place",
        doc="growth of the moving cost with years in place (ties: family, children's schooling)",
        lo=0,
        hi=1,
        origin="calibrated",
        prior=(0.0, 0.2),
    )
    sector_switch_cost: float = param(
        0.3, unit="utils", doc="cost of switching sector within a country", lo=0, hi=100, origin="assumed",
        prior=(0.0, 1.0),
    )
    country_taste_sd: float = param(
        1.0, unit="utils", doc="spread of each researcher's persistent taste for each country (drawn once)", lo=0,
        hi=20, origin="calibrated",
    )
    sector_taste_sd: float = param(
        1.0, unit="utils", doc="spread of each researcher's persistent taste for industry over academia", lo=0,
        hi=20, origin="assumed", prior=(0.0, 3.0),
    )


@dataclass(frozen=True)
class OfferConfig:
    """How the chance of an offer changes with career stage (the same in every country and sector)."""

    stage_shift: dict[str, float] = param(
        {"student": 0.0, "phd": 0.0, "postdoc": 0.25, "junior": 0.5, "senior": 0.75},
        unit="log odds",
        doc=("added to every offer's log odds at each stage; the PhD (admissions abroad), postdoc, junior and "
             "senior entries are fitted (their priors in configs/calibration/targets.toml), the student entry "
             "carried over the prior range shown"),
        lo=-20,
        hi=20,
        keys=STAGES,
        origin="calibrated", prior=(-2.0, 2.0)
    )

    transition_shift: float = param(
        2.0,
        unit="log odds",
        doc="added to every offer's log odds in a year a researcher ends a stage (on the job market)",
        lo=-20,
        hi=20,
        origin="calibrated",
    )

    def shifts(self) -> np.ndarray:
        """Log-odds shift by stage."""
        return _stage_values(self.stage_shift)


@dataclass(frozen=True)
class MentorConfig:
    """How mentor quality follows the talent of academic seniors per trainee."""

    reference_ratio: float = param(
        0.3,
        unit="talent per trainee",
        doc="senior academic talent per trainee at which the pool adds ln 2 times its weight",
        lo=0,
        hi=1000,
        lo_open=True,
        origin="assumed",
        prior=(0.1, 1.0),
    )


@dataclass(frozen=True)
class SalaryConfig:
    """Pay by sector and stage for a researcher of median entry talent."""

    academia: dict[str, float] = param(
        unit="million KRW a year", doc="academic pay (stipends in training)", lo=0, hi=1e6, keys=STAGES
    )
    industry: dict[str, float] = param(
        unit="million KRW a year", doc="industry pay (first post-PhD job, then working stages)", lo=0, hi=1e6,
        keys=INDUSTRY_STAGES
    )

    def table(self) -> np.ndarray:
        """Pay as an array of shape (sector, stage); 0 where a sector has no post at a stage."""
        return np.vstack([_stage_values(self.academia), _stage_values(self.industry)])


@dataclass(frozen=True)
class OfferTerms:
    """The yearly chance of an offer from one sector of a country: logistic in standardized talent."""

    intercept: float = param(
        0.0, unit="log odds", doc="log odds of an offer a year for a researcher of median entry talent (fitted, or "
        "carried as its prior: configs/calibration/targets.toml)", lo=-30, hi=30, origin="calibrated",
    )
    slope: float = param(
        1.0, unit="log odds per SD of talent", doc="rise of the offer log odds with talent (fitted for the US, "
        "carried as the prior range for Korea: configs/calibration/targets.toml)", lo=0, hi=20,
        origin="calibrated", prior=(0.0, 2.0)
    )


@dataclass(frozen=True)
class CountryConfig:
    """A country: its pay, working-hour cap, mentors and offers."""

    name: str = param(doc="display name", origin="design")
    salary: SalaryConfig = param(doc="pay schedule")
    talent_convexity: dict[str, float] = param(
        unit="elasticity of pay to talent",
        doc="how steeply pay rises with talent, by sector (superlinear at the top of US industry)",
        lo=0,
        hi=10,
        keys=SECTORS,
    )
    offers: dict[str, OfferTerms] = param(doc="yearly offer chances, by sector", keys=SECTORS)
    pay_level: dict[str, float] = param(
        {"academia": 1.0, "industry": 1.0},
        unit="multiple of the salary schedule",
        doc="pay level by sector (1 in the schedule's year; a yearly path may change it)",
        lo=0,
        hi=100,
        lo_open=True,
        keys=SECTORS,
    )
    hours_cap: float | None = param(
        None, unit="hours a week", doc="legal working-hour cap (absent: none)", lo=0, hi=168, lo_open=True
    )
    cap_coverage: float = param(
        1.0, unit="share of employees", doc="share of employees whose employer the cap binds (phase-in by firm size)",
        lo=0, hi=1,
    )
    mentor_floor: float = param(
        0.5, unit="mentor quality (SD of faculty quality)", doc="institutional mentor quality with no academic seniors",
        lo=0, hi=10, origin="assumed", prior=(0.0, 2.0)
    )
    mentor_weight: float = param(
        0.0,
        unit="mentor quality per log unit",
        doc="mentor quality added by simulated academic seniors' talent per trainee (0: set abroad, not simulated)",
        lo=0,
        hi=10,
        origin="assumed", prior=(0.2, 1.0)
    )


@dataclass(frozen=True)
class LeverConfig:
    """What every policy lever has: where, when, for whom, and its yearly budget."""

    country: str = param("KR", doc="country that runs the programme", origin="policy")
    start_year: int = param(
        2025, unit="calendar year", doc="first year of the programme", lo=1900, hi=2200, origin="policy"
    )
    end_year: int = param(
        2200, unit="calendar year", doc="last year of the programme", lo=1900, hi=2200, origin="policy"
    )
    eligible_stages: list[str] = param(
        ["postdoc", "junior", "senior"], doc="stages eligible", keys=STAGES, origin="policy"
    )
    min_talent_percentile: float = param(
        0.0,
        unit="percentile",
        doc="lowest talent percentile eligible (of the post-PhD population at the start)",
        lo=0,
        hi=100,
        origin="policy",
    )
    budget: float = param(0.0, unit="million KRW a year", doc="hard yearly budget", lo=0, origin="policy")

    def active(self, year: int) -> bool:
        """Whether the programme runs in ``year``."""
        return self.start_year <= year <= self.end_year


@dataclass(frozen=True)
class SalaryMatchConfig(LeverConfig):
    """Salary matching: the government pays a share of the gap between the best foreign offer held and pay at home."""

    min_talent_percentile: float = param(
        90.0,
        unit="percentile",
        doc="lowest talent percentile eligible (of the post-PhD population at the start)",
        lo=0,
        hi=100,
        origin="policy",
    )
    budget: float = param(100_000.0, unit="million KRW a year", doc="hard yearly budget", lo=0, origin="policy")
    share: float = param(0.5, unit="share of the gap", doc="share of the pay gap matched", lo=0, hi=1, origin="policy")
    cap: float = param(1000.0, unit="million KRW a year", doc="most paid to one person a year", lo=0, origin="policy")
    contract_years: int = param(3, unit="years", doc="length of a matching contract", lo=1, hi=50, origin="policy")


@dataclass(frozen=True)
class HoursExemptionConfig(LeverConfig):
    """Exemption of eligible researchers from the working-hour cap."""

    budget: float = param(
        float("inf"),
        unit="million KRW a year",
        doc="hard yearly budget for the administration cost",
        lo=0,
        origin="policy",
    )
    cost_per_researcher: float = param(
        0.0, unit="million KRW a year", doc="administration cost per exempt researcher", lo=0, origin="policy"
    )


@dataclass(frozen=True)
class StarRecruitmentConfig(LeverConfig):
    """Packages, each with a lab, offered each year to the most talented seniors abroad."""

    eligible_stages: list[str] = param(["senior"], doc="stages eligible", keys=STAGES, origin="policy")
    approach_sectors: list[str] = param(
        ["academia"], doc="sectors abroad whose researchers are approached (talent programmes recruit academics)",
        keys=SECTORS, origin="policy",
    )
    min_talent_percentile: float = param(
        85.0,
        unit="percentile",
        doc="lowest talent percentile approached (China's Young Thousand Talents recruited from about the 85th, "
            "Shi, Liu and Wang 2023)",
        lo=0,
        hi=100,
        origin="policy",
    )
    budget: float = param(40_000.0, unit="million KRW a year", doc="hard yearly budget", lo=0, origin="policy")
    stars_per_year: float = param(20.0, unit="people a year", doc="packages offered each year", lo=0, origin="policy")
    package: float = param(
        350.0, unit="million KRW a year", doc="yearly pay top-up of a package (Brain Pool+: up to 350)", lo=0,
        origin="policy"
    )
    lab_places: int = param(
        4, unit="trainees", doc="funded trainee places in each recruited star's lab", lo=0, hi=1000, origin="policy"
    )
    place_cost: float = param(
        150.0, unit="million KRW a year", doc="cost of a lab place (InnoCORE postdoc: 90 pay plus 60 research funds)",
        lo=0, origin="policy",
    )
    lab_mentor_gain: float = param(
        1.0,
        unit="mentor quality (SD of faculty quality)",
        doc="mentor quality a star's lab adds for its trainees (a recruit at the 85th percentile stands about 1 SD "
            "above the median)",
        lo=0,
        hi=10,
    )
    contract_years: int = param(5, unit="years", doc="length of a package", lo=1, hi=50, origin="policy")


@dataclass(frozen=True)
class ReturnGrantConfig(LeverConfig):
    """A grant for researchers abroad who come back."""

    budget: float = param(50_000.0, unit="million KRW a year", doc="hard yearly budget", lo=0, origin="policy")
    grant: float = param(
        150.0, unit="million KRW a year", doc="grant paid each year after a return", lo=0, origin="policy"
    )
    years: int = param(3, unit="years", doc="years the grant is paid", lo=1, hi=50, origin="policy")


@dataclass(frozen=True)
class PolicyConfig:
    """The policy levers in force; an absent section means the lever is off."""

    salary_match: SalaryMatchConfig | None = param(None, doc="salary matching")
    hours_exemption: HoursExemptionConfig | None = param(None, doc="52-hour exemption")
    star_recruitment: StarRecruitmentConfig | None = param(None, doc="star-mentor recruitment")
    return_grant: ReturnGrantConfig | None = param(None, doc="return grant")

    def levers(self) -> list[tuple[str, LeverConfig]]:
        """The levers switched on, in a fixed order."""
        return [(f.name, getattr(self, f.name)) for f in dataclasses.fields(self) if getattr(self, f.name) is not None]


@dataclass(frozen=True)
class Config:
    """A whole scenario."""

    countries: dict[str, CountryConfig] = param(doc="countries by code")
    name: str = param("scenario", doc="scenario name")
    description: str = param("", doc="what the scenario is")
    simulation: SimulationConfig = param(SimulationConfig(), doc="time and population")
    careers: CareerConfig = param(CareerConfig(), doc="career stages")
    talent: TalentConfig = param(TalentConfig(), doc="talent")
    hours: HoursConfig = param(HoursConfig(), doc="working hours")
    preferences: PreferenceConfig = param(PreferenceConfig(), doc="utility weights")
    offers: OfferConfig = param(OfferConfig(), doc="offers by stage")
    mentors: MentorConfig = param(MentorConfig(), doc="mentor quality")
    policies: PolicyConfig = param(PolicyConfig(), doc="policy levers")
    paths: dict[str, dict[int, float]] = param(
        {}, unit="calendar year -> value", doc="yearly paths of inputs: dotted key -> {year = value}, linear between "
        "the years given, constant before the first and after the last", origin="data",
    )

    @property
    def country_codes(self) -> tuple[str, ...]:
        """Country codes in config order; their index is the country's number."""
        return tuple(self.countries)

    @property
    def origin_index(self) -> int:
        """Index of the origin country."""
        return self.country_codes.index(self.simulation.origin)

    def desired_hours(self) -> tuple[float, float]:
        """Mean and spread of ordinary desired hours (hours a week): those that reproduce the survey's hours
        worked and cut under the survey's cap, given the peaks (:func:`simulation.hours.fit_desired_hours`)."""
        h = self.hours
        return _fit_desired_hours(h.survey_hours, h.survey_cut, h.survey_cap, h.peak_share, h.peak_extra)

    def presence(self) -> np.ndarray:
        """Expected researchers in each stage per entrant a year, in the steady state (stage,)."""
        careers = self.careers
        return steady_state_presence(careers.minimum_years(), careers.advance_probability(), careers.exit_hazards(),
                                     self.simulation.max_career_age)

    @property
    def cohort_agents(self) -> float:
        """Agents entering a year (at a cohort index of 1) that keep ``simulation.researchers`` alive."""
        return self.simulation.researchers / float(self.presence().sum())

    @property
    def people_per_agent(self) -> float:
        """People one agent stands for: the steady-state population in people (the post-PhD workforce over its
        share of the population) over the agents."""
        presence = self.presence()
        post_phd = float(presence[STAGES.index("phd") + 1:].sum())
        return self.simulation.workforce / post_phd * float(presence.sum()) / self.simulation.researchers


@functools.lru_cache(maxsize=256)
def _fit_desired_hours(worked: float, cut: float, cap: float, peak_share: float, peak_extra: float
                       ) -> tuple[float, float]:
    from simulation.hours import fit_desired_hours  # scipy: imported when a population is first drawn

    return fit_desired_hours(worked, cut, cap, peak_share, peak_extra)


def field_at(dotted: str) -> tuple[Any, Mapping[str, Any]] | None:
    """The type of the dotted config key ``dotted`` and the metadata of its field; None if there is no such key.

    Inside a table of free keys (``countries.US``, ``careers.duration_mean.phd``) the metadata is the table's
    field's. ``X | None`` is given as ``X``.
    """
    tp: Any = Config
    meta: Mapping[str, Any] = {}
    for part in dotted.split("."):
        tp = _without_none(tp)
        if dataclasses.is_dataclass(tp):
            found = {f.name: f for f in dataclasses.fields(tp)}.get(part)
            if found is None:
                return None
            meta = found.metadata
            tp = typing.get_type_hints(tp)[part]
        elif typing.get_origin(tp) is dict:
            tp = typing.get_args(tp)[1]
        else:
            return None
    return _without_none(tp), meta


def _without_none(tp: Any) -> Any:
    """``X`` for ``X | None``; any other type as it is."""
    if typing.get_origin(tp) in (typing.Union, types.UnionType):
        return next(a for a in typing.get_args(tp) if a is not type(None))
    return tp
