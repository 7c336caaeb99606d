"""Policies against the baseline on common random numbers: what each adds, what it costs, with intervals.

A policy arm's replicate r and the baseline's replicate r share their random draws (the sweep's common
random numbers), so each replicate gives one paired difference and the interval is that of the
differences. Definitions follow :mod:`simulation.compare`: researcher-years are summed over the
simulated years (the initial state, year 0, counts for none); spending over every year.

Measures, each the policy minus the baseline:

- ``extra_researchers_<h>y``: researchers in the origin country ``h`` years after the start (people);
- ``extra_top_talent_<h>y``: top-decile researchers there ``h`` years after the start (people);
- ``extra_researcher_years``: researcher-years there over the whole run (people x years);
- ``spending``: programme spending over the whole run (million KRW); its interval is clipped at the
  least the difference can be, minus the baseline's mean spending (zero when the baseline spends nothing),
  as a policy cannot spend less than nothing;
- ``cost_per_researcher_year``: spending over extra researcher-years (million KRW a researcher-year),
  a ratio of means with Fieller's interval, unbounded when the extra researcher-years are not clearly
  above or below zero.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from experiments.analysis import stats
from experiments.analysis.measures import country, infer_origin

#: Years after the start at which researchers and top talent are compared.
HORIZONS: tuple[int, ...] = (10, 20)


@dataclass(frozen=True)
class Metric:
    """One compared measure: its column in the per-run table, label, unit, and the factor to the shown unit."""

    name: str
    label: str
    unit: str
    scale: float = 1.0


def metrics(origin: str, horizons: Sequence[int], years: int) -> list[Metric]:
    """The compared measures for runs of ``years`` years (horizons beyond the run are left out)."""
    home = country(origin)
    out = []
    for h in horizons:
        if h <= years:
            out.append(Metric(f"extra_researchers_{h}y", f"extra researchers in {home}, year {h}", "people"))
    for h in horizons:
        if h <= years:
            out.append(Metric(f"extra_top_talent_{h}y", f"extra top-decile researchers in {home}, year {h}",
                              "people"))
    out += [
        Metric("extra_researcher_years", f"extra researcher-years in {home}, years 1-{years}", "researcher-years"),
        Metric("spending", f"spending, years 1-{years}", "billion KRW", 1e-3),
        Metric("cost_per_researcher_year", "cost per extra researcher-year", "million KRW per researcher-year"),
    ]
    return out


def run_outcomes(data: pd.DataFrame, origin: str | None = None, horizons: Sequence[int] = HORIZONS) -> pd.DataFrame:
    """One row a run: point, replicate, the origin's researchers and top talent at each horizon and the
    spending up to it, the researcher-years over the run and the spending over the run (million KRW).

    ``data`` is the tidy yearly frame of :func:`experiments.load` (``keep = "yearly"``).
    """
    origin = origin or infer_origin(data)
    data = data.sort_values(["run", "year"], kind="stable")
    start = data.groupby("run")["year"].transform("min")
    offset = (data["year"] - start).to_numpy()
    runs = data.groupby("run", sort=True)
    out = pd.DataFrame({"point": runs["point"].first(), "replicate": runs["replicate"].first(),
                        "years": runs["year"].count() - 1})
    home = data[f"researchers_{origin}"].to_numpy(dtype=float)
    out["researcher_years"] = pd.Series(np.where(offset > 0, home, 0.0), index=data.index).groupby(data["run"]).sum()
    out["spending"] = runs["spending_total"].sum()
    spent = data["spending_total"].to_numpy(dtype=float)
    for h in horizons:
        at = data[offset == h].set_index("run")
        out[f"researchers_{h}y"] = at[f"researchers_{origin}"]
        out[f"top_talent_{h}y"] = at[f"top_talent_{origin}"]
        out[f"spending_{h}y"] = pd.Series(np.where(offset <= h, spent, 0.0), index=data.index).groupby(
            data["run"]).sum()
    return out.reset_index()


def horizons_within(outcomes: pd.DataFrame, horizons: Sequence[int] = HORIZONS) -> list[int]:
    """The horizons every run reached (those beyond the runs' years are left out)."""
    return [h for h in horizons if h <= int(outcomes["years"].min())]


def last_horizon(outcomes: pd.DataFrame, horizons: Sequence[int] = HORIZONS) -> int:
    """The last horizon every run reached; ValueError when the runs are shorter than the first."""
    reached = horizons_within(outcomes, horizons)
    if not reached:
        raise ValueError(f"the runs last {int(outcomes['years'].min())} years, fewer than the first horizon "
                         f"({horizons[0]} years)")
    return reached[-1]


def compare(outcomes: pd.DataFrame, pairs: Mapping[int, int], *, origin: str, paired: bool = True,
            horizons: Sequence[int] = HORIZONS, level: float = stats.LEVEL) -> pd.DataFrame:
    """Each point against its reference point (``pairs``: point -> reference point), measure by measure.

    ``paired`` pairs replicate r with replicate r (common random numbers); otherwise Welch's interval of
    two independent means is used (and the cost ratio's interval is not given). Returns one row a point
    and measure: ``point``, ``reference``, ``metric``, ``label``, ``unit``, ``estimate``, ``ci_low``,
    ``ci_high``, ``sd``, ``n``, ``relative_half_width``, in the metric's unit (spending in billion KRW).
    """
    years = int(outcomes["years"].min())
    diff = stats.paired_difference if paired else stats.welch_difference
    rows = []
    for point, reference, treated, base in _compared(outcomes, pairs, paired):
        for metric in metrics(origin, horizons, years):
            if metric.name == "cost_per_researcher_year":
                if not paired:
                    continue
                spent = treated["spending"].to_numpy() - base["spending"].to_numpy()
                extra = treated["researcher_years"].to_numpy() - base["researcher_years"].to_numpy()
                interval = stats.ratio_interval(spent, extra, level)
            else:
                column = metric.name.removeprefix("extra_")
                interval = diff(treated[column].to_numpy(), base[column].to_numpy(), level)
                if column == "spending":
                    interval = interval.clipped(spending_floor(base[column]))
            k = metric.scale
            rows.append({"point": point, "reference": reference, "metric": metric.name, "label": metric.label,
                         "unit": metric.unit, "estimate": interval.estimate * k, "ci_low": interval.low * k,
                         "ci_high": interval.high * k, "sd": interval.sd * k, "n": interval.n,
                         "relative_half_width": interval.relative_half_width})
    return pd.DataFrame(rows)


def spending_floor(base: pd.Series) -> float:
    """The least a policy's extra spending over ``base`` (the reference's spending, by replicate) can be, on
    average: minus the reference's mean spending, as the policy's own spending is at least zero."""
    return 0.0 - float(base.mean())


def arm_pairs(design: pd.DataFrame, reference: str = "baseline") -> dict[int, int]:
    """Every arm's point against the ``reference`` arm's point (the reference itself left out)."""
    names = dict(zip(design["arm"], design["point"], strict=True))
    if reference not in names:
        raise ValueError(f"no arm named {reference!r} to compare against (arms: {', '.join(names)})")
    return {int(p): int(names[reference]) for arm, p in names.items() if arm != reference}


def _compared(outcomes: pd.DataFrame, pairs: Mapping[int, int], paired: bool
              ) -> Iterator[tuple[int, int, pd.DataFrame, pd.DataFrame]]:
    """Each (point, reference, the point's runs, the reference's runs), runs indexed by replicate.

    ``paired`` keeps only the replicates both have, in the same order (replicate r against replicate r).
    """
    by_point = {p: g.set_index("replicate").sort_index() for p, g in outcomes.groupby("point")}
    for point, reference in pairs.items():
        treated, base = by_point[point], by_point[reference]
        if paired:
            common = treated.index.intersection(base.index)
            treated, base = treated.loc[common], base.loc[common]
        yield point, reference, treated, base


def cost_effectiveness(outcomes: pd.DataFrame, pairs: Mapping[int, int], horizon: int,
                       level: float = stats.LEVEL) -> pd.DataFrame:
    """Per compared point: extra top talent at ``horizon`` (people) and spending up to it (billion KRW).

    Paired differences with their intervals; columns ``point``, ``x``, ``x_low``, ``x_high`` (extra top
    talent), ``y``, ``y_low``, ``y_high`` (spending).
    """
    rows = []
    for point, _, treated, base in _compared(outcomes, pairs, paired=True):
        top = stats.paired_difference(treated[f"top_talent_{horizon}y"], base[f"top_talent_{horizon}y"], level)
        spent = stats.paired_difference(treated[f"spending_{horizon}y"] * 1e-3, base[f"spending_{horizon}y"] * 1e-3,
                                        level).clipped(spending_floor(base[f"spending_{horizon}y"] * 1e-3))
        rows.append({"point": point, "x": top.estimate, "x_low": top.low, "x_high": top.high,
                     "y": spent.estimate, "y_low": spent.low, "y_high": spent.high})
    return pd.DataFrame(rows)
