"""The scenario configuration as frozen dataclasses.

Every parameter is declared once, here, with its unit, its allowed range and
whether it is set from data or calibrated. :mod:`simulation.config` validates a
TOML file against these declarations; docs/ODD.md's parameter table is printed
from them (``talentflow params``). Money is in million KRW a year (2024 prices),
hours in hours a week, shares and probabilities as a share of 1.
"""

from __future__ import annotations

import copy
import dataclasses
import types
import typing
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

import numpy as np

from simulation.careers import STAGES


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
) -> Any:
    """Declare a parameter: its default, unit, range and provenance.

    ``origin`` is "data" (set from a source), "calibrated" (fitted, no direct
    empirical counterpart), "design" (a modelling choice) or "policy" (a setting
    of a policy lever). ``keys`` lists the allowed keys of a per-stage table.
    """
    meta = {"unit": unit, "doc": doc, "lo": lo, "hi": hi, "lo_open": lo_open, "origin": origin, "keys": keys}
    if isinstance(default, (dict, list)):
        return field(default_factory=lambda d=default: copy.deepcopy(d), metadata=meta)  # a copy each instance
    if default is dataclasses.MISSING:
        return field(metadata=meta)
    return field(default=default, metadata=meta)


def _stage_values(table: dict[str, float], fill: float = 0.0) -> np.ndarray:
    """A per-stage table as an array over :data:`STAGES`, ``fill`` where absent."""
    return np.array([float(table.get(s, fill)) for s in STAGES])


@dataclass(frozen=True)
class SimulationConfig:
    """Time, population size and the decision hazard."""

    start_year: int = param(2024, unit="calendar year", doc="first simulated year", lo=1900, hi=2200, origin="design")
    years: int = param(30, unit="years", doc="years simulated (one step a year)", lo=1, hi=500, origin="design")
    researchers: int = param(
        10_000, unit="agents", doc="researchers at the start", lo=10, hi=100_000_000, origin="design"
    )
    represented: float = param(
        76_000.0,
        unit="people",
        doc="people the initial population stands for (57,000 AI workers plus those in training)",
        lo=1,
        hi=1e9,
        lo_open=True,
    )
    cohort_size: int = param(
        600,
        unit="agents a year",
        doc="new students entering each year at this population size",
        lo=0,
        hi=100_000_000,
        origin="design",
    )
    origin: str = param("KR", doc="country code of the researchers' origin")
    reconsider_hazard: float = param(
        0.10,
        unit="share a year",
        doc="chance that a researcher not at a transition reconsiders",
        lo=0,
        hi=1,
        origin="design",
    )
    max_career_age: int = param(
        40, unit="years", doc="career age at which researchers retire", lo=1, hi=80, origin="design"
    )

    @property
    def people_per_agent(self) -> float:
        """People one agent stands for."""
        return self.represented / self.researchers


@dataclass(frozen=True)
class CareerConfig:
    """Stage durations, exits and the initial stage mix."""

    duration: dict[str, int] = param(
        {"student": 2, "phd": 5, "postdoc": 2, "junior": 7},
        unit="years",
        doc="years spent in each stage before the next (senior lasts until exit)",
        lo=1,
        hi=50,
        keys=STAGES[:-1],
        origin="design",
    )
    exit_hazard: dict[str, float] = param(
        {"student": 0.10, "phd": 0.05, "postdoc": 0.06, "junior": 0.03, "senior": 0.025},
        unit="share a year",
        doc="chance of leaving research each year, by stage",
        lo=0,
        hi=1,
        keys=STAGES,
        origin="design",
    )
    initial_stage_share: dict[str, float] = param(
        {"student": 0.12, "phd": 0.18, "postdoc": 0.08, "junior": 0.32, "senior": 0.30},
        unit="share",
        doc="stage mix of the initial population (sums to 1)",
        lo=0,
        hi=1,
        keys=STAGES,
        origin="design",
    )
    initial_abroad_share: dict[str, float] = param(
        {"student": 0.03, "phd": 0.30, "postdoc": 0.35, "junior": 0.15, "senior": 0.12},
        unit="share",
        doc="share of each stage abroad at the start (post-PhD mean 16 percent, Bank of Korea 2025)",
        lo=0,
        hi=1,
        keys=STAGES,
    )
    initial_industry_share: float = param(
        0.6, unit="share", doc="share of working researchers in industry at the start", lo=0, hi=1, origin="design"
    )

    def durations(self) -> np.ndarray:
        """Years in each stage (senior: effectively unbounded)."""
        d = _stage_values(self.duration, fill=10_000)
        return d.astype(np.int64)

    def exit_hazards(self) -> np.ndarray:
        """Yearly exit probability by stage."""
        return _stage_values(self.exit_hazard)


@dataclass(frozen=True)
class TalentConfig:
    """Talent at entry and its growth under mentors."""

    sigma: float = param(
        0.5,
        unit="log points",
        doc="standard deviation of log talent at entry",
        lo=0,
        hi=3,
        lo_open=True,
        origin="design",
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
        doc="share of the initial post-PhD population counted as top talent",
        lo=0,
        hi=1,
        lo_open=True,
        origin="design",
    )


@dataclass(frozen=True)
class PreferenceConfig:
    """Utility weights of the random-utility choice (calibrated) and personal tastes."""

    wage: float = param(1.5, unit="utils per log million KRW", doc="weight on log pay", lo=0, origin="calibrated")
    hours: float = param(
        0.6,
        unit="utils per 10 h/week over the cap",
        doc="weight on the working-hour cap's bite",
        lo=0,
        origin="calibrated",
    )
    mentor: float = param(
        1.5,
        unit="utils per unit of mentor quality",
        doc="weight on mentor quality when choosing where to train",
        lo=0,
        origin="calibrated",
    )
    mentor_working: float = param(
        0.5,
        unit="utils per unit of mentor quality",
        doc="weight on mentor (peer) quality when choosing where to work",
        lo=0,
        origin="design",
    )
    network: float = param(
        0.3, unit="utils per log contact", doc="weight on same-origin contacts", lo=0, origin="calibrated"
    )
    home: float = param(1.0, unit="utils", doc="pull of the origin country", lo=0, origin="calibrated")
    moving_cost: float = param(
        1.0, unit="utils", doc="cost of moving country, at zero years in place", lo=0, origin="calibrated"
    )
    moving_cost_growth: float = param(
        0.05,
        unit="share a year in place",
        doc="growth of the moving cost with years in place (location-specific ties)",
        lo=0,
        hi=1,
        origin="design",
    )
    sector_switch_cost: float = param(
        0.3, unit="utils", doc="cost of switching sector within a country", lo=0, origin="design"
    )
    heterogeneity: float = param(
        0.3, unit="log points", doc="standard deviation of personal taste multipliers", lo=0, hi=3, origin="design"
    )
    desired_hours_mean: float = param(
        58.0, unit="hours a week", doc="hours researchers at frontier labs want to work", lo=0, hi=168
    )
    desired_hours_sd: float = param(6.0, unit="hours a week", doc="spread of desired hours", lo=0, hi=50)


@dataclass(frozen=True)
class SalaryConfig:
    """Pay by sector and stage for a researcher of median entry talent."""

    academia: dict[str, float] = param(
        unit="million KRW a year", doc="academic pay (stipends in training)", lo=0, keys=STAGES
    )
    industry: dict[str, float] = param(
        unit="million KRW a year", doc="industry pay for working stages", lo=0, keys=("junior", "senior")
    )

    def table(self) -> np.ndarray:
        """Pay as an array of shape (sector, stage); industry pay is academic pay in training."""
        academia = _stage_values(self.academia)
        industry = academia.copy()
        for name, value in self.industry.items():
            industry[STAGES.index(name)] = value
        return np.vstack([academia, industry])


@dataclass(frozen=True)
class CountryConfig:
    """A country: its pay, working-hour cap, mentors and entry friction."""

    name: str = param(doc="display name", origin="design")
    salary: SalaryConfig = param(doc="pay schedule")
    talent_convexity: float = param(
        unit="elasticity of pay to talent",
        doc="how steeply pay rises with talent (superlinear at the US top)",
        lo=0,
        hi=10,
    )
    hours_cap: float | None = param(
        None, unit="hours a week", doc="legal working-hour cap (absent: none)", lo=0, hi=168, lo_open=True
    )
    mentor_floor: float = param(
        0.5,
        unit="mentor quality",
        doc="institutional mentor quality with no senior stars",
        lo=0,
        hi=10,
        origin="calibrated",
    )
    mentor_pool_weight: float = param(
        0.0,
        unit="mentor quality",
        doc="mentor quality added by the senior talent pool at its initial size",
        lo=0,
        hi=10,
        origin="design",
    )
    offer_intercept: float = param(
        0.0,
        unit="log odds",
        doc="log odds of an offer or visa for a researcher of median talent from elsewhere",
        origin="design",
    )
    offer_slope: float = param(
        1.0, unit="log odds per SD of talent", doc="rise of the offer log odds with talent", lo=0, origin="design"
    )
    initial_abroad_weight: float = param(
        1.0, unit="weight", doc="weight of this country among the initial researchers abroad", lo=0, origin="design"
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
        doc="lowest talent percentile eligible (of the initial post-PhD population)",
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
    """Salary matching: the government pays a share of the gap between the best foreign pay and pay at home."""

    min_talent_percentile: float = param(
        90.0,
        unit="percentile",
        doc="lowest talent percentile eligible (of the initial post-PhD population)",
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
    """Packages offered each year to the most talented seniors abroad."""

    eligible_stages: list[str] = param(["senior"], doc="stages eligible", keys=STAGES, origin="policy")
    min_talent_percentile: float = param(
        90.0,
        unit="percentile",
        doc="lowest talent percentile eligible (of the initial post-PhD population)",
        lo=0,
        hi=100,
        origin="policy",
    )
    budget: float = param(40_000.0, unit="million KRW a year", doc="hard yearly budget", lo=0, origin="policy")
    stars_per_year: float = param(20.0, unit="people a year", doc="packages offered each year", lo=0, origin="policy")
    package: float = param(
        350.0, unit="million KRW a year", doc="yearly pay top-up of a package", lo=0, origin="policy"
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
    preferences: PreferenceConfig = param(PreferenceConfig(), doc="utility weights")
    policies: PolicyConfig = param(PolicyConfig(), doc="policy levers")

    @property
    def country_codes(self) -> tuple[str, ...]:
        """Country codes in config order; their index is the country's number."""
        return tuple(self.countries)

    @property
    def origin_index(self) -> int:
        """Index of the origin country."""
        return self.country_codes.index(self.simulation.origin)


def field_at(dotted: str) -> tuple[Any, Mapping[str, Any]] | None:
    """The type of the dotted config key ``dotted`` and the metadata of its field; None if there is no such key.

    Inside a table of free keys (``countries.US``, ``careers.duration.phd``) the metadata is the table's field's.
    ``X | None`` is given as ``X``.
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
