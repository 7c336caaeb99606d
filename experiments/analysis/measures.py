"""The outputs analysed: their labels and units, and the few measures derived from the yearly columns.

Model outputs are named as in :meth:`simulation.model.TalentModel.yearly` (``researchers_KR``,
``top_talent_KR``, ``share_abroad``, ...). Counts are in people, money in million KRW, shares in
shares of 1 (shown as percent in tables and figures).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation import schema
from simulation.careers import SECTORS

#: Display names of the country codes of the default scenario (others are shown by their code).
COUNTRY_NAMES: dict[str, str] = {"KR": "Korea", "US": "the United States", "CN": "China"}


@dataclass(frozen=True)
class Measure:
    """How an output is shown: a label, its unit, and the factor from the stored unit to the shown one."""

    label: str
    unit: str
    scale: float = 1.0
    floor: float | None = None  # the least the output can be (0 for counts, shares, spending), in stored units

    @property
    def axis(self) -> str:
        """Axis label: ``label (unit)``."""
        return f"{self.label} ({self.unit})"


def country(code: str) -> str:
    """Display name of a country code."""
    return COUNTRY_NAMES.get(code, code)


_PATTERNS: tuple[tuple[str, Measure], ...] = (
    (r"researchers_(?P<c>[A-Z]+)", Measure("researchers in {c}", "people", floor=0.0)),
    (r"top_talent_(?P<c>[A-Z]+)", Measure("top-decile researchers in {c}", "people", floor=0.0)),
    (r"top_talent_share_(?P<c>[A-Z]+)", Measure("share of the top decile in {c}", "%", 100.0, floor=0.0)),
    (r"mentor_quality_(?P<c>[A-Z]+)", Measure("mentor quality in {c}", "model index")),
    (r"research_output_(?P<c>[A-Z]+)", Measure("research output in {c}", "talent-hours index")),
    (r"phd_share_(?P<c>[A-Z]+)", Measure("share of PhD students training in {c}", "%", 100.0, floor=0.0)),
    (r"share_abroad", Measure("share of post-PhD researchers abroad", "%", 100.0, floor=0.0)),
    (r"researchers_home", Measure("researchers in the origin country", "people", floor=0.0)),
    (r"researchers_abroad", Measure("researchers abroad", "people", floor=0.0)),
    (r"emigration", Measure("emigration", "people a year", floor=0.0)),
    (r"returns", Measure("returns", "people a year", floor=0.0)),
    (r"net_flow_per_10k", Measure("net flow", "per 10,000 researchers a year")),
    (r"spending_total", Measure("policy spending", "billion KRW a year", 1e-3, floor=0.0)),
    (r"spending_(?P<l>[a-z_]+)", Measure("spending on {l}", "billion KRW a year", 1e-3, floor=0.0)),
    (r"stay_rate_5y_(?P<c>[A-Z]+)", Measure("five-year stay rate in {c}", "%", 100.0, floor=0.0)),
    (r"effect_(?P<l>[a-z_]+)", Measure("extra top-decile researchers from {l}", "people")),
    (r"lead_(?P<l>[a-z_]+)", Measure("lead in extra top talent of {l}", "people")),
)


def measure(column: str) -> Measure:
    """Label and unit of a yearly output column (the column name itself when it is not known)."""
    for pattern, template in _PATTERNS:
        found = re.fullmatch(pattern, column)
        if found:
            parts = found.groupdict()
            label = template.label.format(c=country(parts.get("c", "")), l=parts.get("l", "").replace("_", " "))
            return Measure(label, template.unit, template.scale, template.floor)
    return Measure(column.replace("_", " "), "model units")


def infer_origin(data: pd.DataFrame) -> str:
    """The origin country's code: the country whose researcher count is ``researchers_home`` in every row."""
    home = data["researchers_home"].to_numpy(dtype=float)
    for column in data.columns:
        found = re.fullmatch(r"researchers_([A-Z]+)", column)
        if found and np.allclose(data[column].to_numpy(dtype=float), home):
            return found.group(1)
    raise ValueError("no researchers_<code> column equals researchers_home: cannot tell the origin country")


def countries(data: pd.DataFrame) -> list[str]:
    """Country codes present in the outputs, in column order."""
    return [m.group(1) for c in data.columns if (m := re.fullmatch(r"mentor_quality_([A-Z]+)", c))]


def add_phd_share(data: pd.DataFrame) -> pd.DataFrame:
    """Add ``phd_share_<code>``: the share of all PhD students (both sectors) who train in each country.

    The PhD students are the cohorts that entered in the last few years, so this share is how the next
    generation splits between training at home and abroad. NaN in a year with no PhD students.
    """
    codes = countries(data)
    phd = {c: sum(data[f"researchers_{c}_{s}_phd"].to_numpy(dtype=float) for s in SECTORS) for c in codes}
    total = sum(phd.values())
    out = data.copy()
    for code in codes:
        with np.errstate(divide="ignore", invalid="ignore"):
            out[f"phd_share_{code}"] = np.where(total > 0, phd[code] / total, np.nan)
    return out


#: Short labels of the parameters the project's sweeps vary (others are shown by their dotted key).
PARAMETER_LABELS: dict[str, str] = {
    "preferences.wage": "wage weight",
    "preferences.hours": "hours weight",
    "preferences.mentor": "mentor weight (training)",
    "preferences.mentor_working": "mentor weight (working)",
    "preferences.home": "home pull",
    "preferences.moving_cost": "moving cost",
    "talent.training_gain": "training gain",
    "policies.salary_match.share": "matched share of the pay gap",
    "policies.salary_match.budget": "salary-match budget",
    "posterior": "posterior (fitted weights together)",
    "preferences.network": "network weight",
    "preferences.tie_growth": "growth of ties",
    "preferences.sector_switch_cost": "sector switch cost",
    "preferences.sector_taste_sd": "spread of sector tastes",
    "offers.stage_shift.student": "offer shift, students",
    "offers.stage_shift.postdoc": "offer shift, postdocs",
    "offers.stage_shift.junior": "offer shift, juniors",
    "offers.stage_shift.phd": "offer shift, PhD",
    "offers.stage_shift.senior": "offer shift, seniors",
    "offers.transition_shift": "offer shift at transitions",
    "hours.peak_share": "share of peak weeks",
    "hours.peak_extra": "extra hours in a peak week",
    "talent.sigma": "spread of log talent",
    "preferences.income_curvature": "curvature of income utility",
    "mentors.reference_ratio": "mentor reference ratio",
}

#: Short labels of a country's parameters (``countries.<code>.<key>``).
COUNTRY_PARAMETER_LABELS: dict[str, str] = {
    "talent_convexity": "pay convexity",
    "talent_convexity.academia": "academic pay convexity",
    "talent_convexity.industry": "industry pay convexity",
    "mentor_weight": "mentor weight",
    "mentor_floor": "mentor floor",
    "hours_cap": "hours cap",
    "cap_coverage": "cap coverage",
}


def parameter_unit(dotted: str) -> str:
    """The unit of a dotted config key, from the schema's field metadata ('' when unknown or unitless)."""
    found = schema.field_at(dotted)
    return "" if found is None else str(found[1].get("unit", ""))


def parameter_label(dotted: str, *, unit: bool = False) -> str:
    """A short label of a dotted config key (``countries.US.talent_convexity`` -> ``pay convexity, US``)."""
    label = PARAMETER_LABELS.get(dotted)
    if label is None:
        parts = dotted.split(".")
        if parts[0] == "countries" and len(parts) == 5 and parts[2] == "salary":
            label = f"{parts[4]} {parts[3]} pay, {parts[1]}"
        elif parts[0] == "countries" and len(parts) >= 3:
            field = ".".join(parts[2:])
            label = f"{COUNTRY_PARAMETER_LABELS.get(field, field.replace('_', ' '))}, {parts[1]}"
        else:
            label = parts[-1].replace("_", " ")
    if unit:
        shown = parameter_unit(dotted)
        if shown:
            label = f"{label} ({shown})"
    return label
