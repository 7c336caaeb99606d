"""One simulation run: build the model from a config and a seed, step it to the end, and write its files.

:func:`simulate` is what the command line, the experiment runner and notebooks
call; :func:`write_run` writes a run folder (yearly outputs, agent rows, the
resolved config with seed and versions, and a chart) that appears whole or not
at all.
"""

from __future__ import annotations

import json
import platform
import sys
import time
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

import numpy as np
import pandas as pd
from tqdm import tqdm

from simulation.chart import draw_runs
from simulation.config import config_to_json
from simulation.machine import numeric_platform
from simulation.model import ENGINES, TalentModel
from simulation.outputs import MARKERS, output_folder
from simulation.schema import Config

#: Packages whose versions a run records.
VERSIONED_PACKAGES: tuple[str, ...] = ("talentflow", "mesa", "numpy", "numba", "pandas")


@dataclass(frozen=True)
class RunResult:
    """What one run produced.

    ``yearly`` has one row a year (row 0 is the initial state); ``agents`` one row
    per researcher per year, or None when not recorded. ``seconds`` is the wall
    time of building and stepping the model; ``researcher_years`` the agents
    alive summed over the simulated years.
    """

    config: Config
    seed: int
    engine: str
    yearly: pd.DataFrame
    agents: pd.DataFrame | None
    seconds: float
    researcher_years: int


def agents_alive(model: TalentModel) -> int:
    """Researcher agents in the model now, whichever the engine."""
    return len(model.population) if model.population is not None else len(model.researchers)


def simulate(config: Config, seed: int, *, engine: str = "vectorized", record_agents: bool = False,
             progress: bool | None = None, deadweight: bool = False) -> RunResult:
    """Run ``config`` to its last year with every random draw from ``SeedSequence(seed)``.

    ``progress``: None shows a bar on stderr (one tick a year) only once the run
    has lasted a second; True shows it at once; False never. ``deadweight``: run
    the baseline twin beside it (see :class:`~simulation.model.TalentModel`).
    """
    if engine not in ENGINES:
        raise ValueError(f"engine must be one of {', '.join(ENGINES)}, got {engine!r}")
    years = config.simulation.years
    bar = tqdm(total=years, unit="year", desc=config.name, file=sys.stderr, leave=False,
               delay=0.0 if progress else 1.0, disable=progress is False)
    start = time.perf_counter()
    with bar:
        model = TalentModel(config, engine=engine, record_agents=record_agents, deadweight=deadweight,
                            rng=np.random.default_rng(np.random.SeedSequence(seed)))
        researcher_years = 0
        while model.running:
            model.step()
            researcher_years += agents_alive(model)
            bar.update(1)
    seconds = time.perf_counter() - start
    return RunResult(config=config, seed=seed, engine=engine, yearly=model.yearly(),
                     agents=model.agent_rows() if record_agents else None, seconds=seconds,
                     researcher_years=researcher_years)


def package_versions() -> dict[str, str]:
    """Versions of the packages a run depends on, and of Python."""
    versions = {}
    for name in VERSIONED_PACKAGES:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = "not installed"
    versions["python"] = platform.python_version()
    return versions


def run_metadata(result: RunResult, command: list[str] | None = None) -> dict:
    """The contents of run.json: what was run, with which seed, versions and numeric platform, and how long it took."""
    meta = {
        "kind": MARKERS["run.json"],
        "name": result.config.name,
        "seed": result.seed,
        "engine": result.engine,
        "years": result.config.simulation.years,
        "people_per_agent": result.config.people_per_agent,
        "seconds": round(result.seconds, 6),
        "researcher_years": result.researcher_years,
        "versions": package_versions(),
        "platform": numeric_platform(),
        "config": config_to_json(result.config),
    }
    if command is not None:
        meta["command"] = command
    return meta


def write_run_files(result: RunResult, folder: Path, command: list[str] | None = None) -> list[str]:
    """Write the run's files into the existing ``folder``; return their names."""
    folder.mkdir(parents=True, exist_ok=True)
    result.yearly.to_parquet(folder / "yearly.parquet", index=False)
    result.yearly.to_csv(folder / "yearly.csv", index=False)
    names = ["yearly.parquet", "yearly.csv"]
    if result.agents is not None:
        result.agents.to_parquet(folder / "agents.parquet", index=False)
        names.append("agents.parquet")
    draw_runs({result.config.name: (result.yearly, result.config)}, folder / "chart.png",
              title=result.config.name, seed=result.seed)
    names.append("chart.png")
    meta = run_metadata(result, command)
    meta["files"] = [*names, "run.json"]
    (folder / "run.json").write_text(json.dumps(meta, indent=2, allow_nan=False) + "\n", encoding="utf-8")
    return meta["files"]


def write_run(result: RunResult, out_dir: str | Path, command: list[str] | None = None) -> Path:
    """Write the run folder ``out_dir`` whole: into a temporary sibling first, then renamed into place.

    Refuses (:class:`~simulation.outputs.OutputError`) a folder that holds other
    files and is not an earlier talentflow output.
    """
    out_dir = Path(out_dir)
    with output_folder(out_dir, "run.json") as staging:
        write_run_files(result, staging, command)
    return out_dir
