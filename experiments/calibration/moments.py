"""What the model says about each calibration target: one pure function a target.

Every function takes a :class:`RunRecord` (a finished run's config, its yearly
outputs, the log talent of its post-PhD researchers at the end, and the window
of years to measure over) and returns one number in the target's unit.
``configs/calibration/targets.toml`` names the function of each target and the
population it describes; docs/calibration.md gives the same definitions in words.

The run starts from its own history (the spin-up) under the scenario's inputs,
so the window, after the start year, measures the steady state those inputs
give: the usual reading of a cross-section as a stationary state.

:data:`EXPERIMENTS` are measurements that need more than one run (a bound's
simulated experiment, on common random numbers).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.careers import SECTORS, STAGES
from simulation.schema import Config
from simulation.world import World

#: Talent percentile of the "top 1 percent" pay comparison.
TOP_PERCENTILE = 99.0
#: The host country of the US targets.
HOST = "US"


@dataclass(frozen=True)
class RunRecord:
    """A finished run: its config, ``TalentModel.yearly()``, the post-PhD log talents at its end, and the window."""

    config: Config
    yearly: pd.DataFrame
    post_phd_ln_talent: np.ndarray
    first_year: int
    last_year: int

    def window(self, column: str, lag: int = 0) -> pd.Series:
        """``column`` in the window's years (``lag`` years earlier when given), indexed by the window's years."""
        y = self.yearly.set_index("year")[column]
        years = range(self.first_year, self.last_year + 1)
        return pd.Series([y.get(t - lag, np.nan) for t in years], index=list(years), dtype=float)


def share_abroad(record: RunRecord) -> float:
    """Mean over the window of the share of Korean-origin post-PhD researchers outside Korea."""
    return float(record.window("share_abroad").mean())


def us_phd_stay_rate_5y(record: RunRecord) -> float:
    """Share of Korean-origin US PhD graduates of five years before who are in the US, pooled over the window
    (each year's rate weighted by its cohort's size at graduation)."""
    rate, cohort = record.window(f"stay_rate_5y_{HOST}"), record.window(f"phd_graduates_{HOST}", lag=5)
    return _pooled(rate, cohort)


def faculty_return_hazard(record: RunRecord) -> float:
    """Mean over the window of the yearly share of Korean-origin academic seniors abroad who return to Korea."""
    return float(record.window("faculty_return_rate").mean())


def researcher_hours(record: RunRecord) -> float:
    """Mean weekly hours worked by covered employees in Korea over the window."""
    return float(record.window(f"hours_worked_{record.config.simulation.origin}").mean())


def hours_cut_by_cap(record: RunRecord) -> float:
    """Mean weekly hours the cap takes from covered employees in Korea over the window."""
    return float(record.window(f"hours_cut_{record.config.simulation.origin}").mean())


def stay_intended_to_actual(record: RunRecord) -> float:
    """The US stay rate five years after the PhD over the stay rate at graduation of the same cohorts."""
    at_graduation = _pooled(record.window(f"stay_rate_at_phd_{HOST}", lag=5),
                            record.window(f"phd_graduates_{HOST}", lag=5))
    return us_phd_stay_rate_5y(record) / at_graduation if at_graduation > 0 else float("nan")


def us_phd_graduates_per_year(record: RunRecord) -> float:
    """Korean-origin researchers completing a US PhD a year, in people, over the window."""
    return float(record.window(f"phd_graduates_{HOST}").mean())


def schedule_pay(config: Config, country: str, sector: str, stage: str, ln_talent: float) -> float:
    """Pay (million KRW a year) in the salary schedule of ``country`` for a researcher of ``ln_talent``."""
    world = World.from_config(config)
    c = world.codes.index(country)
    s, g = SECTORS.index(sector), STAGES.index(stage)
    return float(world.pay[c, s, g] * np.exp(world.convexity[c * len(SECTORS) + s] * ln_talent))


def top_pay_ratio(record: RunRecord) -> float:
    """US to Korea senior industry pay at the 99th talent percentile of post-PhD researchers (a schedule check)."""
    top = float(np.percentile(record.post_phd_ln_talent, TOP_PERCENTILE))
    origin = record.config.simulation.origin
    return (schedule_pay(record.config, HOST, "industry", "senior", top)
            / schedule_pay(record.config, origin, "industry", "senior", top))


def median_pay_ratio(record: RunRecord) -> float:
    """US to Korea senior industry pay at the median post-PhD talent (a schedule check)."""
    median = float(np.median(record.post_phd_ln_talent))
    origin = record.config.simulation.origin
    return (schedule_pay(record.config, HOST, "industry", "senior", median)
            / schedule_pay(record.config, origin, "industry", "senior", median))


def _pooled(rate: pd.Series, weight: pd.Series) -> float:
    ok = rate.notna() & weight.notna() & (weight > 0)
    if not ok.any():
        return float("nan")
    return float((rate[ok] * weight[ok]).sum() / weight[ok].sum())


#: Target functions of one run, by the name a calibration file uses.
MEASURES: dict[str, Callable[[RunRecord], float]] = {
    f.__name__: f for f in (share_abroad, us_phd_stay_rate_5y, faculty_return_hazard, researcher_hours,
                            hours_cut_by_cap, stay_intended_to_actual, us_phd_graduates_per_year, top_pay_ratio,
                            median_pay_ratio)
}
#: Target functions that are simulated experiments (experiments.calibration.checks), by name.
EXPERIMENTS: tuple[str, ...] = ("domestic_star_elasticity",)
