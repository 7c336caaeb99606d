"""The scenario's countries and careers in one year, as arrays.

An *alternative* is a (country, sector) pair; alternative ``a`` is country
``a // 2`` and sector ``a % 2``. Arrays here are read-only inputs to the pure
functions of the decision math. A scenario with yearly paths gets a World for
each year whose inputs differ (:func:`simulation.paths.config_in_year`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from simulation.careers import ACADEMIA, INDUSTRY, PHD, POSTDOC, SECTORS, STAGES
from simulation.schema import Config


@dataclass(frozen=True)
class World:
    """Country and career parameters as arrays (C countries, A = 2C alternatives)."""

    codes: tuple[str, ...]
    origin: int
    pay: np.ndarray  # (C, sector, stage) million KRW a year at median entry talent, pay level applied
    convexity: np.ndarray  # (A,) elasticity of pay to talent
    hours_cap: np.ndarray  # (C,) hours a week; inf where there is no cap
    cap_coverage: np.ndarray  # (C,) share of employees the cap binds
    mentor_floor: np.ndarray  # (C,) SD of faculty quality
    mentor_weight: np.ndarray  # (C,)
    mentor_reference: float  # talent per trainee
    offer_intercept: np.ndarray  # (A,) log odds
    offer_slope: np.ndarray  # (A,) log odds per SD of entry talent
    stage_shift: np.ndarray  # (stage,) log odds
    transition_shift: float  # log odds added in a year that ends a stage
    talent_sigma: float  # SD of log talent at entry
    alt_country: np.ndarray  # (A,)
    alt_sector: np.ndarray  # (A,)
    stage_allows: np.ndarray  # (stage, A) bool: a researcher at the stage may hold a post in the alternative
    trains_in: np.ndarray  # (stage, A) bool: a researcher at the stage would train under a mentor in the alternative
    country_alternatives: np.ndarray  # (C, A) bool: the alternatives of each country
    capped: np.ndarray  # (stage,) bool: the stage is bound by a working-hour cap (employees)
    min_years: np.ndarray  # (stage,) fewest years in the stage
    advance_p: np.ndarray  # (stage,) yearly chance of ending the stage after its minimum
    exit_hazard: np.ndarray  # (stage,) share a year

    @property
    def n_countries(self) -> int:
        """Number of countries."""
        return len(self.codes)

    @property
    def n_alternatives(self) -> int:
        """Number of (country, sector) alternatives."""
        return len(self.alt_country)

    def alternative(self, country: np.ndarray, sector: np.ndarray) -> np.ndarray:
        """The alternative index of each (country, sector)."""
        return country.astype(np.int64) * len(SECTORS) + sector

    @classmethod
    def from_config(cls, config: Config) -> World:
        """Arrays for ``config``'s countries, in config order (paths already applied, if any)."""
        countries = list(config.countries.values())
        n = len(countries)
        alt_country = np.repeat(np.arange(n), len(SECTORS))
        alt_sector = np.tile(np.arange(len(SECTORS)), n)
        pay = np.stack([c.salary.table() * np.array([c.pay_level[s] for s in SECTORS])[:, None] for c in countries])
        stage_allows = np.ones((len(STAGES), len(alt_country)), dtype=bool)
        stage_allows[: PHD + 1, alt_sector == INDUSTRY] = False  # students and PhD candidates train in academia
        per_alt = [(c, SECTORS[s]) for c, s in zip(alt_country, alt_sector, strict=True)]
        trains_in = np.zeros_like(stage_allows)
        trains_in[:POSTDOC] = True  # students and PhD candidates train wherever they are
        trains_in[POSTDOC] = alt_sector == ACADEMIA  # postdocs train in academia
        return cls(
            codes=config.country_codes,
            origin=config.origin_index,
            pay=pay,
            convexity=np.array([countries[c].talent_convexity[s] for c, s in per_alt]),
            hours_cap=np.array([np.inf if c.hours_cap is None else c.hours_cap for c in countries]),
            cap_coverage=np.array([c.cap_coverage for c in countries]),
            mentor_floor=np.array([c.mentor_floor for c in countries]),
            mentor_weight=np.array([c.mentor_weight for c in countries]),
            mentor_reference=config.mentors.reference_ratio,
            offer_intercept=np.array([countries[c].offers[s].intercept for c, s in per_alt]),
            offer_slope=np.array([countries[c].offers[s].slope for c, s in per_alt]),
            stage_shift=config.offers.shifts(),
            transition_shift=config.offers.transition_shift,
            talent_sigma=config.talent.sigma,
            alt_country=alt_country,
            alt_sector=alt_sector,
            stage_allows=stage_allows,
            trains_in=trains_in,
            country_alternatives=alt_country[None, :] == np.arange(n)[:, None],
            capped=np.arange(len(STAGES)) >= STAGES.index(config.hours.capped_from),
            min_years=config.careers.minimum_years(),
            advance_p=config.careers.advance_probability(),
            exit_hazard=config.careers.exit_hazards(),
        )

