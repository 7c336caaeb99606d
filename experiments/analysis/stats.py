"""Confidence intervals over replicates: means, paired and unpaired differences, and ratios of means.

Pure functions over arrays (replicates along axis 0) plus one over the tidy sweep frame. Intervals are
t-based: ``mean +- t_{n-1, (1+level)/2} * sd / sqrt(n)``, with the sample standard deviation (ddof 1).
The relative half-width ``half_width / |mean|`` tells whether the replicates suffice (say, below 0.1).

An output that cannot be negative (counts, shares, spending: :attr:`measures.Measure.floor`) gets its
t interval clipped at zero by :func:`replicate_summary`: a mean of such values cannot be below zero, and a
skewed sample (spending zero in most replicates) would otherwise give a lower bound below it. The
half-widths stay those of the t interval.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd
from scipy import stats as scipy_stats

from experiments.analysis.measures import measure

#: Confidence level of every interval unless told otherwise.
LEVEL = 0.95


@dataclass(frozen=True)
class Interval:
    """A mean (or a ratio of means) and its confidence interval, in the units of the data."""

    estimate: float
    low: float
    high: float
    sd: float
    n: int

    def clipped(self, floor: float) -> Interval:
        """The interval with its lower bound raised to ``floor`` (the least the estimated quantity can be)."""
        return dataclasses.replace(self, low=max(self.low, floor)) if not np.isnan(self.low) else self

    @property
    def half_width(self) -> float:
        """Half the interval's width (infinite when the interval is unbounded)."""
        return (self.high - self.low) / 2

    @property
    def relative_half_width(self) -> float:
        """Half-width over the absolute estimate (NaN when the estimate is 0)."""
        return abs(self.half_width / self.estimate) if self.estimate != 0 else float("nan")


def t_quantile(level: float, n: int) -> float:
    """The two-sided t quantile for ``n`` replicates (``n - 1`` degrees of freedom); NaN below 2 replicates."""
    if not 0 < level < 1:
        raise ValueError(f"level must be between 0 and 1, got {level}")
    return float(scipy_stats.t.ppf((1 + level) / 2, n - 1)) if n >= 2 else float("nan")


def mean_interval(values: Sequence[float] | np.ndarray, level: float = LEVEL) -> Interval:
    """Mean of the replicates with its t interval (NaN bounds for a single replicate)."""
    x = np.asarray(values, dtype=float)
    x = x[~np.isnan(x)]
    n = len(x)
    if n == 0:
        return Interval(float("nan"), float("nan"), float("nan"), float("nan"), 0)
    mean = float(x.mean())
    sd = float(x.std(ddof=1)) if n >= 2 else float("nan")
    half = t_quantile(level, n) * sd / np.sqrt(n)
    return Interval(mean, mean - half, mean + half, sd, n)


def paired_difference(treated: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray,
                      level: float = LEVEL) -> Interval:
    """Mean of the per-replicate differences ``treated - reference`` (replicate r against replicate r).

    Under common random numbers the two runs of a replicate share their draws, so the differences vary
    far less than either run: the interval is the one-sample t interval of the differences.
    """
    a, b = np.asarray(treated, dtype=float), np.asarray(reference, dtype=float)
    if a.shape != b.shape:
        raise ValueError(f"paired samples must have the same length, got {len(a)} and {len(b)}")
    return mean_interval(a - b, level)


def welch_difference(treated: Sequence[float] | np.ndarray, reference: Sequence[float] | np.ndarray,
                     level: float = LEVEL) -> Interval:
    """Difference of two independent means with Welch's t interval (for sweeps without common random numbers).

    There is no per-replicate difference, so ``sd`` is NaN; ``n`` is the smaller sample.
    """
    a, b = np.asarray(treated, dtype=float), np.asarray(reference, dtype=float)
    va, vb = a.var(ddof=1) / len(a), b.var(ddof=1) / len(b)
    se = np.sqrt(va + vb)
    dof = (va + vb) ** 2 / (va**2 / (len(a) - 1) + vb**2 / (len(b) - 1)) if se > 0 else np.inf
    diff = float(a.mean() - b.mean())
    half = float(scipy_stats.t.ppf((1 + level) / 2, dof) * se) if se > 0 else 0.0
    return Interval(diff, diff - half, diff + half, float("nan"), min(len(a), len(b)))


def ratio_interval(numerator: Sequence[float] | np.ndarray, denominator: Sequence[float] | np.ndarray,
                   level: float = LEVEL) -> Interval:
    """Ratio of two means from paired replicates, ``mean(numerator) / mean(denominator)``, with Fieller's interval.

    Fieller's interval is exact when the pair of means is normal and allows for their correlation
    (Fieller 1954). It is bounded only when the denominator's mean is clearly away from zero (its own t
    interval excludes 0); otherwise the bounds are infinite (the ratio is not determined by the data).
    """
    s, d = np.asarray(numerator, dtype=float), np.asarray(denominator, dtype=float)
    if s.shape != d.shape:
        raise ValueError(f"paired samples must have the same length, got {len(s)} and {len(d)}")
    n = len(s)
    a, b = float(s.mean()), float(d.mean())
    estimate = a / b if b != 0 else float("nan")
    if n < 2:
        return Interval(estimate, float("nan"), float("nan"), float("nan"), n)
    cov = np.cov(s, d, ddof=1) / n
    t2 = t_quantile(level, n) ** 2
    qa = b * b - t2 * cov[1, 1]
    qb = a * b - t2 * cov[0, 1]
    qc = a * a - t2 * cov[0, 0]
    disc = qb * qb - qa * qc
    # sd of the ratio by the delta method, for the table's sd column
    sd = float(np.sqrt(max(cov[0, 0] - 2 * estimate * cov[0, 1] + estimate**2 * cov[1, 1], 0.0) * n) / abs(b)) \
        if b != 0 else float("nan")
    if qa <= 0 or disc < 0:
        return Interval(estimate, -np.inf, np.inf, sd, n)
    root = np.sqrt(disc)
    low, high = (qb - root) / qa, (qb + root) / qa
    return Interval(estimate, float(low), float(high), sd, n)


def replicate_summary(data: pd.DataFrame, outputs: Sequence[str], by: Sequence[str] = ("point", "year"),
                      level: float = LEVEL, bounded: bool = True) -> pd.DataFrame:
    """Mean, sd and t interval of each output over the replicates, per group (by default per point and year).

    Returns one row a group and output: the ``by`` columns, ``output``, ``n``, ``mean``, ``sd``,
    ``ci_low``, ``ci_high``, ``half_width``, ``relative_half_width``. With ``bounded`` (the default), the
    interval of an output that cannot be negative is clipped at zero (``half_width`` stays the t one);
    ``bounded=False`` for outputs that are differences.
    """
    by = list(by)
    grouped = data.groupby(by, sort=True, observed=True)
    frames = []
    for output in outputs:
        g = grouped[output]
        table = pd.DataFrame({"n": g.count(), "mean": g.mean(), "sd": g.std(ddof=1)}).reset_index()
        t = np.array([t_quantile(level, int(n)) for n in table["n"]])
        half = t * table["sd"].to_numpy() / np.sqrt(table["n"].to_numpy())
        table["ci_low"] = table["mean"] - half
        floor = measure(output).floor
        if bounded and floor is not None:
            table["ci_low"] = table["ci_low"].clip(lower=floor)
        table["ci_high"] = table["mean"] + half
        table["half_width"] = half
        with np.errstate(divide="ignore", invalid="ignore"):
            table["relative_half_width"] = np.where(table["mean"] != 0, np.abs(half / table["mean"]), np.nan)
        table.insert(len(by), "output", output)
        frames.append(table)
    return pd.concat(frames, ignore_index=True)


def paired_summary(data: pd.DataFrame, outputs: Sequence[str], pairs: dict[int, int], by: Sequence[str] = ("year",),
                   level: float = LEVEL) -> pd.DataFrame:
    """Per compared point and group (by default per year): the mean paired difference ``point - reference``.

    ``pairs`` maps each point to its reference point; replicate r is paired with replicate r (common random
    numbers). Returns the columns of :func:`replicate_summary` with ``point`` and ``reference``.
    """
    by = list(by)
    frames = []
    for point, reference in pairs.items():
        treated = data[data["point"] == point].set_index(["replicate", *by])[list(outputs)]
        base = data[data["point"] == reference].set_index(["replicate", *by])[list(outputs)]
        diff = (treated - base.reindex(treated.index)).dropna(how="all").reset_index()
        diff["point"] = point
        summary = replicate_summary(diff, outputs, by=["point", *by], level=level, bounded=False)
        summary.insert(1, "reference", reference)
        frames.append(summary)
    return pd.concat(frames, ignore_index=True)
