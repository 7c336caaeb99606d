"""The year's values every Researcher agent reads, computed once a year by the model, as plain Python numbers.

The agent engine's researchers run scalar Python code over their own few
alternatives; arithmetic on Python floats is several times faster than on numpy
scalars, so the model turns the World's arrays and the year's mentor quality,
star labs and contacts into tuples once, here. Every value is taken from the
arrays the vectorized engine uses (so the two engines start from the same bits);
the terms that do not depend on the researcher (network, home) are computed with
the same numpy expressions as :func:`simulation.choice.utility`. Sets of
alternatives are bit masks (bit ``a`` for alternative ``a``).

Indexing: ``[stage]``, ``[country]``, ``[origin]`` or ``[alternative]`` as named.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass

import numpy as np

from simulation.careers import ACADEMIA
from simulation.schema import Config
from simulation.world import World


@dataclass(frozen=True, slots=True)
class YearValues:
    """What a researcher's year reads that is the same for every researcher (units as in :class:`World`)."""

    year: int
    n_alternatives: int
    alt_country: tuple[int, ...]  # [alternative]
    alt_sector: tuple[int, ...]  # [alternative]
    # careers
    exit_hazard: tuple[float, ...]  # [stage] share a year
    min_years: tuple[int, ...]  # [stage] years
    advance_p: tuple[float, ...]  # [stage] yearly chance of ending the stage after its minimum
    max_career_age: int  # years
    # training
    training_gain: float  # log talent per SD of mentor quality a year
    mentor_quality: tuple[float, ...]  # [country] SD of faculty quality
    lab_cut: tuple[float, ...]  # [country] log talent that gets a star-lab place (inf: no labs)
    lab_gain: tuple[float, ...]  # [country] mentor quality a lab adds
    any_lab: bool  # whether any country has star labs this year
    # offers
    stage_shift: tuple[float, ...]  # [stage] log odds
    transition_shift: float  # log odds in a year that ends a stage
    talent_sigma: float  # SD of log talent at entry
    # hours
    peak_share: float  # share of weeks that are peaks
    peak_extra: float  # extra hours a week wanted in a peak week
    # laid out for the agents' loops (simulation.agents)
    offer_terms: tuple[tuple[tuple[int, float, float], ...], ...]  # [stage]: (alternative, minus slope, intercept)
    home_posts: tuple[tuple[int, ...], ...]  # [origin][stage] bit mask of the home alternatives open at the stage
    choice_terms: tuple[tuple[tuple, ...], ...]  # [stage][alternative]: see :func:`choice_terms`
    home_terms: tuple[tuple[float, ...], ...]  # [origin][alternative] home weight x [home], utils
    # utility weights (simulation.choice.utility)
    wage: float
    curvature: float
    hours: float
    moving_cost: float
    tie_growth: float
    sector_switch_cost: float

    @classmethod
    def build(cls, year: int, config: Config, world: World, mentor_quality: np.ndarray, lab_cut: np.ndarray,
              lab_gain: np.ndarray, contacts: np.ndarray) -> YearValues:
        """The values of ``year``: its config and World, and the model's mentor quality, star labs and contacts
        (C,) at the start of the year."""
        p, h = config.preferences, config.hours
        c = world.alt_country
        stages = range(len(world.min_years))
        network = p.network * np.log1p(contacts[c])  # as simulation.choice.utility computes it
        return cls(
            year=year, n_alternatives=world.n_alternatives,
            alt_country=tuple(c.tolist()), alt_sector=tuple(world.alt_sector.tolist()),
            exit_hazard=tuple(world.exit_hazard.tolist()), min_years=tuple(int(m) for m in world.min_years),
            advance_p=tuple(world.advance_p.tolist()), max_career_age=config.simulation.max_career_age,
            training_gain=config.talent.training_gain, mentor_quality=tuple(mentor_quality.tolist()),
            lab_cut=tuple(lab_cut.tolist()), lab_gain=tuple(lab_gain.tolist()),
            any_lab=bool(np.isfinite(lab_cut).any()), stage_shift=tuple(world.stage_shift.tolist()),
            transition_shift=float(world.transition_shift), talent_sigma=float(world.talent_sigma),
            peak_share=h.peak_share, peak_extra=h.peak_extra,
            offer_terms=tuple(tuple((a, -float(world.offer_slope[a]), float(world.offer_intercept[a]))
                                    for a in np.flatnonzero(world.stage_allows[s]).tolist()) for s in stages),
            home_posts=tuple(tuple(bit_mask(world.stage_allows[s] & world.country_alternatives[o]) for s in stages)
                             for o in range(world.n_countries)),
            choice_terms=tuple(choice_terms(world, config, s, mentor_quality, lab_cut, lab_gain, network)
                               for s in stages),
            home_terms=tuple(tuple((p.home * world.country_alternatives[o]).tolist())
                             for o in range(world.n_countries)),
            wage=p.wage, curvature=p.income_curvature, hours=p.hours, moving_cost=p.moving_cost,
            tie_growth=p.tie_growth, sector_switch_cost=p.sector_switch_cost,
        )

    def __repr__(self) -> str:  # the default would print every table
        return f"YearValues(year={self.year}, alternatives={self.n_alternatives})"


def bit_mask(alternatives: np.ndarray) -> int:
    """A boolean (A,) array as an int whose bit ``a`` is set where alternative ``a`` is True."""
    return sum(1 << a for a in np.flatnonzero(alternatives).tolist())


@functools.cache
def alternatives_in(mask: int) -> tuple[int, ...]:
    """The alternatives whose bits are set in ``mask``, in increasing order."""
    return tuple(a for a in range(mask.bit_length()) if mask >> a & 1)


def choice_terms(world: World, config: Config, stage: int, mentor_quality: np.ndarray, lab_cut: np.ndarray,
                 lab_gain: np.ndarray, network: np.ndarray) -> tuple[tuple, ...]:
    """What :func:`simulation.behaviour.choose_alternatives` uses of alternative ``a`` for a researcher at
    ``stage``, one tuple per alternative: (country, sector, base pay, convexity, cap (inf where none binds the
    stage), cap coverage, mentor weight (training or working), mentor quality, star labs there (bool), the lab's
    talent cut (inf where the researcher would not train), the lab's gain, network term)."""
    p = config.preferences
    c = world.alt_country
    terms = []
    for a in range(world.n_alternatives):
        country, sector = int(c[a]), int(world.alt_sector[a])
        trainee = bool(world.trains_in[stage, a])
        cap = float(world.hours_cap[country]) if world.capped[stage] else np.inf
        lab = bool(np.isfinite(lab_cut[country]) and sector == ACADEMIA)
        terms.append((country, sector, float(world.pay[country, sector, stage]), float(world.convexity[a]), cap,
                      float(world.cap_coverage[country]), p.mentor if trainee else p.mentor_working,
                      float(mentor_quality[country]), lab, float(lab_cut[country]) if trainee else np.inf,
                      float(lab_gain[country]), float(network[a])))
    return tuple(terms)


__all__ = ["YearValues", "alternatives_in", "bit_mask", "choice_terms"]
