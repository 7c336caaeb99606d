"""Pieces the named experiments' sections share."""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from experiments.analysis.measures import parameter_label
from experiments.analysis.report import figure_block as figure
from experiments.analysis.report import table_block as table
from experiments.uncertainties import PARTICLE

__all__ = ["drawn_text", "figure", "held_sentence", "labelled_keys", "particles_sentence", "ranged_inputs",
           "screened_inputs", "sweep_sentence", "table"]


def sweep_sentence(manifest: Mapping[str, Any]) -> str:
    """What was run, in one sentence: sweep file, design, runs, years, agents, base config, seed."""
    sweep = manifest["sweep"]
    agents = manifest.get("researchers")
    return (f"Sweep `{Path(sweep['path']).name}`: {manifest['design']} design, {len(manifest['design_table'])} "
            f"points x {manifest['replicates']} replicate{'s' if manifest['replicates'] > 1 else ''} = "
            f"{len(manifest['runs'])} runs of {manifest['years']} years"
            + (f", {agents:,} researcher agents at the start" if agents else "")
            + f"; base config `{Path(manifest['base']).name}`; root seed {manifest['seed']}"
            + (", common random numbers." if manifest["common_random_numbers"] else "."))


def effective_particles(particle_of_draw: pd.Series) -> float:
    """Kish's effective number of distinct particles among draws: ``n^2 / sum(count^2)`` over the counts of each
    particle drawn (n when every draw takes another particle, 1 when all take the same)."""
    counts = particle_of_draw.value_counts().to_numpy(dtype=float)
    return float(counts.sum() ** 2 / (counts**2).sum())


def particles_sentence(manifest: Mapping[str, Any]) -> str:
    """How many distinct posterior particles a sweep's draws took, and how unevenly, in one sentence ("" for a
    sweep that draws no particle)."""
    design = pd.DataFrame(manifest["design_table"])
    if PARTICLE not in design.columns or "uncertainty" not in design.columns:
        return ""
    per_draw = design.groupby("uncertainty")[PARTICLE].first()
    counts = per_draw.value_counts()
    return (f"The posterior's particles weigh unequally, so the {len(per_draw)} draws took {len(counts)} distinct "
            f"particles, the heaviest in {counts.iloc[0]} of them: as an effective number (Kish), the fitted "
            f"weights vary over about {effective_particles(per_draw):.0f} points of their posterior. The spread "
            "due to the fitted weights, and the probabilities below, rest on those particles, and so carry the "
            "Monte Carlo error of the calibration's sample too (its effective sample size: docs/calibration.md).")


def ranged_inputs(manifest: Mapping[str, Any]) -> list[str]:
    """The dotted keys a sweep file ranges over itself (``[uncertainties]`` beside its posterior and carried
    weights): the assumed inputs it draws from their priors."""
    uncertain = dict(tomllib.loads(manifest["sweep"]["text"]).get("uncertainties", {}))
    for key in ("posterior", "carried"):
        uncertain.pop(key, None)
    return list(_ranged_keys(uncertain, ""))


def _ranged_keys(table: Mapping[str, Any], prefix: str) -> Iterator[str]:
    """The dotted keys of the ranges ``{ low, high }`` in ``table``, however TOML nests them (quoted dotted keys,
    bare dotted keys or sub-tables: the sweep file reader takes all three)."""
    for key, value in table.items():
        dotted = f"{prefix}.{key}" if prefix else key
        if isinstance(value, dict) and not {"low", "high"} <= set(value):
            yield from _ranged_keys(value, dotted)
        else:
            yield dotted


def drawn_text(manifest: Mapping[str, Any]) -> str:
    """What a draw of an uncertainties sweep takes, for the sentences that describe it: "a particle of the
    calibration's posterior (...), each input the calibration carries (...) and each further assumed input (X, Y)
    from its prior range"."""
    ranged = ", ".join(parameter_label(key) for key in ranged_inputs(manifest))
    return ("a particle of the calibration's posterior (every fitted weight together, with its posterior weight), "
            "each input the calibration carries (a weight no target pins, or an assumed input with a prior range)"
            + (f" and each further assumed input ({ranged})" if ranged else "") + " from its prior range")


#: The sweep that screens assumed inputs the robustness draws hold (experiment effect_sensitivity).
SCREENING = "effect_morris"


def screened_inputs(sweep: str = SCREENING) -> list[str]:
    """The assumed inputs the sweep file ``configs/sweeps/SWEEP.toml`` ranges over ([] if there is no such file)."""
    from experiments.named.base import sweep_file

    path = sweep_file(sweep)
    return ranged_inputs({"sweep": {"text": path.read_text(encoding="utf-8")}}) if path.is_file() else []


def held_sentence(manifest: Mapping[str, Any], screened: Iterable[str] = ()) -> str:
    """The assumed inputs of the sweep's base scenario that have a prior range (talentflow params) but that no
    draw varies, in one sentence ("" when every one is drawn), and which of them the Morris screening
    (:data:`SCREENING`) moves instead (``screened``: the inputs it ranges over)."""
    from simulation.config import ConfigError, load_config
    from simulation.paramtable import parameter_rows

    drawn = set(pd.DataFrame(manifest["design_table"]).columns)
    try:
        base = load_config(manifest["base"])
    except ConfigError:  # the base scenario moved or changed since the sweep ran: say nothing rather than guess
        return ""
    held = [row.key for row in parameter_rows(base) if row.origin == "assumed" and row.prior and row.key not in drawn]
    if not held:
        return ""
    screened = set(screened)
    unknown = [key for key in held if key not in screened]
    morris = f"the Morris screening of the effects (sweep `{SCREENING}.toml`) moves"
    if len(unknown) == len(held):
        tail = "the results say nothing of how far they matter"
    elif not unknown:
        tail = f"{morris} each over its prior range, the weights not refitted"
    else:
        named = ", ".join(f"`{key}`" for key in unknown)
        tail = (f"{morris} all but {named} over their prior ranges, the weights not refitted; the results say "
                f"nothing of how far {named} matter{'s' if len(unknown) == 1 else ''}")
    return ("Held at their assumed values at every draw, though each has a prior range in docs/ODD.md: "
            + labelled_keys(held) + ". The calibration fitted the weights with them so, and its posterior is "
            f"conditional on them; {tail}.")


def labelled_keys(keys: Iterable[str]) -> str:
    """``label (`key`), ...`` for dotted config keys: their names in the tables, then the keys themselves."""
    return ", ".join(f"{parameter_label(key)} (`{key}`)" for key in keys)
