"""Pieces the named experiments' sections share."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from experiments.analysis.report import figure_block as figure
from experiments.analysis.report import table_block as table

__all__ = ["figure", "sweep_sentence", "table"]


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
