"""Scenario discovery with PRIM: which ranges of the inputs make an outcome of interest likely.

PRIM, the Patient Rule Induction Method (Friedman and Fisher 1999, "Bump hunting in high-dimensional
data", Statistics and Computing 9:123-143), starts from the box that holds every point and peels it:
at each step it cuts the share ``peel_alpha`` of the points off one side of one input, the cut that leaves
the highest share of cases of interest in the box, until the box would hold less than ``min_mass`` of the
points; a pasting phase then widens the last box again where that raises its density. Every box on the way
is a candidate, and the sequence is the *peeling trajectory*. The peeling is the ``PRIM`` package's
(Project Platypus; the stand-alone version of the EMA Workbench's PRIM, itself after RAND's sdtoolkit),
with Friedman and Fisher's original criterion (the package's default, ``lenient1``, stops at the first step
where no cut raises the density, which can strand the peeling in a plateau far from the box); this module
checks the inputs, chooses a box and presents it.

The three statistics of a box (Bryant and Lempert 2010, "Thinking inside the box", Technological
Forecasting and Social Change 77:34-49):

- **coverage**: the share of all cases of interest that fall inside the box (how much of the phenomenon
  the box explains);
- **density**: the share of the points inside the box that are cases of interest (how reliably the box
  predicts it);
- **mass**: the share of all points that fall inside the box (how much of the input space it spans).

With ``base_rate`` the share of cases of interest among all points, ``density * mass == coverage *
base_rate``: both are the share of all points that are cases of interest inside the box. A box's
bounds are inclusive.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.colors import BoundaryNorm
from matplotlib.figure import Figure

from experiments.analysis.figures import SEQUENTIAL, STYLE, save
from simulation.chart import COLOURS

#: Fewest points PRIM is run on: with fewer, a 5% peel removes a single point and the boxes mean little.
MIN_POINTS = 20
#: Columns of :attr:`Box.trajectory`.
TRAJECTORY_COLUMNS: tuple[str, ...] = ("coverage", "density", "mass", "restricted_dims")


@dataclass(frozen=True)
class Box:
    """A box found by PRIM: bounds on some inputs, with its coverage, density and mass.

    - ``limits``: input name to inclusive ``(low, high)``, for the restricted inputs only (in the order of
      the inputs' columns); an input not named here may take any value.
    - ``coverage``: share of all cases of interest that lie inside the box.
    - ``density``: share of the points inside the box that are cases of interest.
    - ``mass``: share of all points that lie inside the box.
    - ``base_rate``: share of all points that are cases of interest (the density of the box holding everything).
    - ``quasi_p``: for each restricted input, the one-sided binomial quasi-p-value of Bryant and Lempert
      (2010): how likely the box's density would be reached by chance without that restriction.
    - ``threshold``: the density the box was chosen for (see :func:`discover`).
    - ``selected``: the row of ``trajectory`` the box was chosen at, before insignificant restrictions were
      dropped (then the box's statistics differ a little from that row's).
    - ``trajectory``: the peeling (and pasting) trajectory, one row per candidate box, columns ``coverage``,
      ``density``, ``mass`` and ``restricted_dims`` (number of restricted inputs).
    """

    limits: dict[str, tuple[float, float]]
    coverage: float
    density: float
    mass: float
    base_rate: float
    quasi_p: dict[str, float]
    threshold: float
    selected: int
    trajectory: pd.DataFrame = field(compare=False, repr=False)


def check_inputs(inputs: pd.DataFrame, of_interest: Any) -> tuple[pd.DataFrame, np.ndarray]:
    """The inputs as float columns and the cases of interest as a boolean array; ValueError if PRIM cannot run.

    PRIM needs at least :data:`MIN_POINTS` points, finite numeric inputs with distinct string names, one flag
    per point, and both cases of interest and other cases (with only one kind, every box has the same density).
    """
    if not isinstance(inputs, pd.DataFrame):
        raise ValueError(f"inputs must be a pandas DataFrame, not {type(inputs).__name__}")
    if inputs.shape[1] == 0:
        raise ValueError("inputs have no columns: PRIM needs at least one input to restrict")
    if len(inputs) < MIN_POINTS:
        raise ValueError(f"PRIM needs at least {MIN_POINTS} points; got {len(inputs)}")
    names = list(inputs.columns)
    if not all(isinstance(name, str) for name in names) or len(set(names)) != len(names):
        raise ValueError(f"inputs need distinct string column names; got {names}")
    not_numeric = [name for name in names if not pd.api.types.is_numeric_dtype(inputs[name])]
    if not_numeric:
        raise ValueError(f"PRIM here takes numeric inputs only; not numeric: {', '.join(not_numeric)}")
    x = inputs.astype(float).reset_index(drop=True)
    not_finite = [name for name in names if not np.isfinite(x[name].to_numpy()).all()]
    if not_finite:
        raise ValueError(f"inputs hold NaN or infinite values in: {', '.join(not_finite)}")
    y = np.asarray(of_interest)
    if y.ndim != 1 or y.shape[0] != len(x):
        raise ValueError(f"of_interest must be one flag per point ({len(x)}); got shape {y.shape}")
    if y.dtype != bool:
        if not (np.issubdtype(y.dtype, np.number) and np.isin(y, (0, 1)).all()):
            raise ValueError("of_interest must be booleans (or 0/1)")
        y = y.astype(bool)
    if not y.any():
        raise ValueError("no case of interest: PRIM has nothing to find")
    if y.all():
        raise ValueError("every case is of interest: every box has density 1, so PRIM is undefined")
    return x, y


def box_stats(inputs: pd.DataFrame, of_interest: np.ndarray,
              limits: Mapping[str, tuple[float, float]]) -> tuple[float, float, float]:
    """``(coverage, density, mass)`` of the box ``limits`` (inclusive bounds) on these points."""
    inside = np.ones(len(inputs), dtype=bool)
    for name, (low, high) in limits.items():
        values = inputs[name].to_numpy(dtype=float)
        inside &= (values >= low) & (values <= high)
    y = np.asarray(of_interest, dtype=bool)
    hits = int((inside & y).sum())
    n_inside = int(inside.sum())
    density = hits / n_inside if n_inside else 0.0
    return hits / int(y.sum()), density, n_inside / len(y)


def choose(trajectory: pd.DataFrame, threshold: float) -> int:
    """The row of the trajectory to keep: the highest coverage among the boxes with density >= ``threshold``.

    Ties go to the higher density, then to fewer restricted inputs, then to the earlier box. If no box
    reaches the threshold, the densest box (ties: higher coverage, fewer restricted inputs, earlier).
    """
    t = trajectory.reset_index(drop=True)
    dense = t[t["density"] >= threshold]
    first, second = ("coverage", "density") if len(dense) else ("density", "coverage")
    pool = dense if len(dense) else t
    order = pool.sort_values([first, second, "restricted_dims"], ascending=[False, False, True], kind="stable")
    return int(order.index[0])


def _trajectory(peeling: pd.DataFrame) -> pd.DataFrame:
    """The library's trajectory (``coverage``, ``density``, ``mean``, ``res dim``, ``mass``) in our columns."""
    out = peeling.rename(columns={"res dim": "restricted_dims"})[list(TRAJECTORY_COLUMNS)]
    return out.astype({"coverage": float, "density": float, "mass": float, "restricted_dims": int}).reset_index(
        drop=True)


def _drop_insignificant(prim_box: Any, max_quasi_p: float) -> None:
    """Drop, one at a time and least significant first, the restrictions whose quasi-p exceeds ``max_quasi_p``.

    Each drop appends the widened box to the library's trajectory and selects it.
    """
    while True:
        limits = prim_box.limits
        weak = limits[limits["qp values"] > max_quasi_p]
        if weak.empty:
            return
        prim_box.drop_restriction(str(weak["qp values"].idxmax()))


def discover(inputs: pd.DataFrame, of_interest: np.ndarray, *, threshold: float = 0.8, peel_alpha: float = 0.05,
             min_mass: float = 0.05, max_quasi_p: float | None = 0.05) -> Box:
    """The PRIM box of the cases of interest among the points ``inputs`` (one row a point, one column an input).

    PRIM peels (share ``peel_alpha`` per step, pasting share 0.05) down to a box of mass ``min_mass`` (or until
    the box holds no case of interest); of the
    boxes on the trajectory, the one kept is the one with the highest coverage among those whose density is at
    least ``threshold``, or, if none reaches the threshold, the densest one (see :func:`choose`). Then, when
    ``max_quasi_p`` is not None, the restrictions that are not significant (quasi-p above ``max_quasi_p``,
    Bryant and Lempert 2010) are dropped one at a time: peeling often trims a sliver off an irrelevant input by
    chance, and dropping it widens the box at almost no cost in density (the density may fall a little below the
    threshold). Integer and boolean inputs are treated as floats.

    Raises ValueError with fewer than :data:`MIN_POINTS` points, with no case of interest, or with every case of
    interest (see :func:`check_inputs`).
    """
    if not 0 < peel_alpha < 0.5:
        raise ValueError(f"peel_alpha must lie in (0, 0.5); got {peel_alpha}")
    if not 0 <= min_mass < 1:
        raise ValueError(f"min_mass must lie in [0, 1); got {min_mass}")
    x, y = check_inputs(inputs, of_interest)
    import prim  # the optional PRIM package (the "experiments" extra); it imports matplotlib.pyplot

    prim_box = prim.Prim(x, y, obj_func=prim.original, peel_alpha=peel_alpha, paste_alpha=0.05,
                         mass_min=min_mass).find_box()
    trajectory = _trajectory(prim_box.peeling_trajectory)
    selected = choose(trajectory, threshold)
    prim_box.select(selected)
    if max_quasi_p is not None:
        _drop_insignificant(prim_box, max_quasi_p)
    found = prim_box.limits
    limits = {name: (float(found.at[name, "min"]), float(found.at[name, "max"])) for name in x.columns
              if name in found.index}
    return Box(limits=limits, coverage=float(prim_box.coverage), density=float(prim_box.density),
               mass=float(prim_box.mass), base_rate=float(y.mean()),
               quasi_p={name: float(found.at[name, "qp values"]) for name in limits}, threshold=float(threshold),
               selected=selected, trajectory=trajectory)


def box_table(box: Box, inputs: pd.DataFrame) -> pd.DataFrame:
    """One row per restricted input: ``input``, the box's ``low`` and ``high``, the data's ``range_low`` and
    ``range_high`` (the smallest and largest value of that input among ``inputs``)."""
    rows = [{"input": name, "low": low, "high": high, "range_low": float(inputs[name].min()),
             "range_high": float(inputs[name].max())} for name, (low, high) in box.limits.items()]
    return pd.DataFrame(rows, columns=["input", "low", "high", "range_low", "range_high"])


def trajectory_figure(box: Box, path_stem: Path, title: str) -> Path:
    """The peeling trajectory: coverage (x) against density (y), a point per candidate box coloured by its
    number of restricted inputs, with the chosen box, the density threshold and the base rate marked.

    Saved as ``path_stem.png`` and ``path_stem.pdf`` (Agg); returns the PNG's path.
    """
    t = box.trajectory
    most = int(t["restricted_dims"].max()) if len(t) else 0
    cmap = mpl.colormaps[SEQUENTIAL].resampled(most + 1)
    norm = BoundaryNorm(np.arange(-0.5, most + 1.5), cmap.N)
    with mpl.rc_context(STYLE):
        fig = Figure(figsize=(5.6, 4.2), layout="constrained")
        FigureCanvasAgg(fig)
        ax = fig.subplots()
        ax.plot(t["coverage"], t["density"], color="grey", linewidth=0.6, alpha=0.6, zorder=1)
        points = ax.scatter(t["coverage"], t["density"], c=t["restricted_dims"], cmap=cmap, norm=norm, s=18,
                            edgecolors="black", linewidths=0.3, zorder=2)
        ax.axhline(box.threshold, color=COLOURS[1], linestyle="--", linewidth=0.9,
                   label=f"density threshold ({box.threshold:g})")
        ax.axhline(box.base_rate, color="grey", linestyle=":", linewidth=0.9,
                   label=f"base rate ({box.base_rate:.2f})")
        ax.scatter([box.coverage], [box.density], marker="*", s=200, facecolors="none", edgecolors=COLOURS[1],
                   linewidths=1.4, zorder=3, label=f"chosen box ({len(box.limits)} inputs restricted)")
        ax.set_xlim(0, 1.03)
        ax.set_ylim(0, 1.03)
        ax.set_xlabel("coverage (share of the cases of interest inside the box)")
        ax.set_ylabel("density (share of the box's points of interest)")
        ax.set_title(title)
        ax.legend(loc="lower left")
        bar = fig.colorbar(points, ax=ax, ticks=range(most + 1))
        bar.set_label("restricted inputs")
        return save(fig, path_stem)
