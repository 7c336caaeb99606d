"""What the model says about each calibration target: one pure function a target.

Every function takes a :class:`RunRecord` (a finished run's config, yearly
outputs and agent rows) and the :class:`Window` of years it is measured over,
and returns one number in the target's unit. ``configs/calibration/targets.toml``
names the function of each target; docs/calibration.md gives the same
definitions in words.

The window: the model starts in ``start_year`` from an initial state set from
data, so its first years show the initial state, not the weights. The targets
are measured over the years after a burn-in, where the model runs under
today's conditions: the calibration makes today's observations a stationary
state of the model (the usual steady-state reading of a cross-section).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.careers import SECTORS, STAGES
from simulation.choice import pay
from simulation.schema import Config
from simulation.world import World

#: Years after graduation at which the stay rate is measured (NSF NCSES 25-325: 2017-19 graduates seen in 2023).
STAY_YEARS = 5
#: Talent percentile of the "top 1 percent" pay comparison.
TOP_PERCENTILE = 99.0


@dataclass(frozen=True)
class Window:
    """The calendar years ``first`` to ``last`` (inclusive) over which targets are measured."""

    first: int
    last: int

    @classmethod
    def after_burn_in(cls, config: Config, burn_in_years: int) -> Window:
        """From ``burn_in_years`` after the start year to the last simulated year."""
        start = config.simulation.start_year
        return cls(start + burn_in_years, start + config.simulation.years)

    def years(self) -> range:
        """The calendar years of the window."""
        return range(self.first, self.last + 1)

    def contains(self, year: pd.Series) -> pd.Series:
        """Whether each calendar year of ``year`` lies in the window."""
        return (year >= self.first) & (year <= self.last)


@dataclass(frozen=True)
class RunRecord:
    """A finished run: its config, ``TalentModel.yearly()`` and ``TalentModel.agent_rows()``."""

    config: Config
    yearly: pd.DataFrame
    agents: pd.DataFrame

    @property
    def origin(self) -> str:
        """Code of the researchers' origin country."""
        return self.config.simulation.origin


def phd_graduates(agents: pd.DataFrame, origin: str) -> pd.DataFrame:
    """Origin-country researchers who finished a PhD, one row each: id, year (of graduation), phd_country.

    A researcher graduates in year ``g`` when their row of year ``g`` is a postdoc
    and their row of ``g - 1`` a PhD student; the PhD country is where they were
    in ``g - 1`` (the model's ``phd_country``). Those who leave research in their
    graduation year have no row in ``g`` and are not counted. Graduations in the
    first simulated year (no row before them) are not seen either.
    """
    native = agents[agents["origin"] == origin]
    now = native.loc[native["stage"] == "postdoc", ["id", "year"]]
    before = native.loc[native["stage"] == "phd", ["id", "year", "country"]]
    before = before.assign(year=before["year"] + 1).rename(columns={"country": "phd_country"})
    return now.merge(before, on=["id", "year"], how="inner")


def stay_counts(record: RunRecord, window: Window, host: str = "US") -> tuple[int, int]:
    """(Stayers, cohort) pooled over the window, in agents: the numerator and denominator of the stay rate.

    For each year ``t`` of the window, the cohort is the origin-country graduates
    of a PhD in ``host`` in year ``t - 5`` still in research in ``t``; the stayers
    are those of them in ``host`` in ``t``. This is the yearly output
    ``stay_rate_5y_{host}`` of :mod:`simulation.observe`, pooled over years.
    """
    grads = phd_graduates(record.agents, record.origin)
    grads = grads[(grads["phd_country"] == host) & window.contains(grads["year"] + STAY_YEARS)]
    later = record.agents[["id", "year", "country"]]
    seen = grads.assign(year=grads["year"] + STAY_YEARS)[["id", "year"]].merge(later, on=["id", "year"])
    return int((seen["country"] == host).sum()), len(seen)


# ----------------------------------------------------------------------------- fitted moments
def share_abroad(record: RunRecord, window: Window) -> float:
    """Share of origin-country researchers after the PhD working outside the origin country (share of 1).

    The yearly output ``share_abroad`` averaged over the years of the window.
    Observed: 0.16 in 2024 (Bank of Korea, Dec 2025).
    """
    yearly = record.yearly
    inside = window.contains(yearly["year"])
    return float(yearly.loc[inside, "share_abroad"].mean())


def us_phd_stay_rate_5y(record: RunRecord, window: Window) -> float:
    """Share of origin-country US PhD graduates of five years earlier who are in the US (share of 1).

    Pooled over the window: stayers summed over the years over the cohort summed
    over the years (see :func:`stay_counts`). Observed: 0.51 for the 2017-19
    cohort in 2023 (NSF NCSES 25-325).
    """
    stayers, cohort = stay_counts(record, window, "US")
    return stayers / cohort if cohort else float("nan")


def us_phd_graduates_per_year(record: RunRecord, window: Window) -> float:
    """Origin-country researchers earning a US PhD a year, in people (agents times people per agent).

    Graduations (see :func:`phd_graduates`) with the PhD country the US, counted
    in each year of the window and averaged. Observed: about 1,000 a year
    (NSF, Survey of Earned Doctorates: 1,229 in 2016 to 1,025 in 2021).
    """
    grads = phd_graduates(record.agents, record.origin)
    inside = (grads["phd_country"] == "US") & window.contains(grads["year"])
    n_years = len(window.years())
    return float(inside.sum()) * record.config.simulation.people_per_agent / n_years


# ------------------------------------------------------------------ input checks (not fitted)
def schedule_pay(config: Config, country: str, sector: str, stage: str, ln_talent: np.ndarray) -> np.ndarray:
    """Pay in million KRW a year in ``country``'s ``sector`` at ``stage`` for researchers of log talent ``ln_talent``.

    The salary schedule of the config through :func:`simulation.choice.pay`, the
    function the researchers' decisions use.
    """
    world = World.from_config(config)
    c = world.codes.index(country)
    base = world.pay[c, SECTORS.index(sector), STAGES.index(stage)]
    ln_talent = np.atleast_1d(np.asarray(ln_talent, dtype=float))
    return pay(np.full((len(ln_talent), 1), base), np.array([world.convexity[c]]), ln_talent)[:, 0]


def post_phd_ln_talent(record: RunRecord, window: Window, stages: tuple[str, ...] = ("postdoc", "junior", "senior"),
                       ) -> np.ndarray:
    """Log talent of origin-country researchers at ``stages`` in every year of the window (one value a row)."""
    rows = record.agents
    pick = (rows["origin"] == record.origin) & rows["stage"].isin(stages) & window.contains(rows["year"])
    return np.log(rows.loc[pick, "talent"].to_numpy(dtype=float))


def schedule_pay_ratio(config: Config, ln_talent: float, abroad: str = "US", stage: str = "senior",
                       sector: str = "industry") -> float:
    """US to Korea pay at the same talent, stage and sector: the ratio of two offers to one researcher."""
    origin = config.simulation.origin
    return float(schedule_pay(config, abroad, sector, stage, ln_talent)[0]
                 / schedule_pay(config, origin, sector, stage, ln_talent)[0])


def top_pay_ratio(record: RunRecord, window: Window) -> float:
    """US to Korea pay of a senior industry researcher at the 99th percentile of post-PhD talent (ratio).

    Talent: origin-country postdocs, juniors and seniors over the window. An input
    check, not fitted: about 10 (Asia Business Daily, Feb 2025: about 2 billion
    KRW in the US, about ten times a Korean offer).
    """
    top = float(np.percentile(post_phd_ln_talent(record, window), TOP_PERCENTILE))
    return schedule_pay_ratio(record.config, top)


def median_pay_ratio(record: RunRecord, window: Window) -> float:
    """US to Korea pay of a senior industry researcher at the median talent of origin-country seniors (ratio).

    The schedule at the same talent: the pay-profile peak of a typical senior in
    each country. An input check, not fitted: about 2.9 (Bank of Korea, Nov 2025:
    USD 366k vs 127k at the STEM pay-profile peaks).
    """
    median = float(np.median(post_phd_ln_talent(record, window, ("senior",))))
    return schedule_pay_ratio(record.config, median)


def median_pay_ratio_realized(record: RunRecord, window: Window, abroad: str = "US") -> float:
    """Median pay of origin-country seniors abroad over that of seniors at home, each in their own sector (ratio).

    The closer analogue of the Bank of Korea comparison, which sets overseas
    Korean workers (a selected group) against those in Korea; it moves with the
    weights through who leaves, so it is reported beside :func:`median_pay_ratio`.
    """
    rows = record.agents
    pick = (rows["origin"] == record.origin) & (rows["stage"] == "senior") & window.contains(rows["year"])
    seniors = rows.loc[pick]
    medians = []
    for country in (abroad, record.origin):
        here = seniors[seniors["country"] == country]
        pays = [schedule_pay(record.config, country, sector, "senior", np.log(group["talent"].to_numpy(float)))
                for sector, group in here.groupby("sector")]
        medians.append(float(np.median(np.concatenate(pays))) if pays else float("nan"))
    return medians[0] / medians[1]


#: Every measurement function a targets file may name, by name.
MEASURES: dict[str, Callable[[RunRecord, Window], float]] = {
    fn.__name__: fn for fn in (share_abroad, us_phd_stay_rate_5y, us_phd_graduates_per_year, top_pay_ratio,
                               median_pay_ratio, median_pay_ratio_realized)
}
