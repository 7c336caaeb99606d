"""The memory a run will need, estimated before it starts, and the memory the machine has to give.

A run too big for the machine is refused in one line (:func:`check_memory`)
instead of being killed by the system, or swapping, partway. The estimate is
researchers alive at most (:func:`alive_bound`) times the bytes each takes:
the arrays of :class:`~simulation.population.Population` (measured on a small
model of the same config) times :data:`WORKING_COPIES`; plus, for the agent
engine, a Mesa agent each, and with ``record_agents`` a row per researcher a year.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from simulation.config import ConfigError
from simulation.schema import Config

#: Bytes the vectorized engine holds per byte of Population arrays: the arrays, their spare set and room for
#: compaction (2 x 1.25), the year's random draws and the decision's temporaries. Measured: 416 bytes a
#: researcher alive at the peak of 1,000,000 researchers for 30 years, against 86 bytes of arrays (4.8 times).
WORKING_COPIES = 6.0
#: Bytes of one Mesa agent of the agent engine beyond the arrays (measured: about 2,200).
AGENT_OBJECT_BYTES = 2_500
#: Bytes of one recorded agent row (``record_agents``) until agents.parquet is written (measured: about 240).
AGENT_ROW_BYTES = 300
#: Researchers of the small model whose arrays are measured.
SAMPLE_RESEARCHERS = 100
GIB = 2**30


def bytes_per_researcher(config: Config) -> float:
    """Bytes of the Population arrays of one researcher of ``config`` (they depend on its levers)."""
    from simulation.model import TalentModel
    from simulation.parameters import scale_population

    sample = scale_population(config, SAMPLE_RESEARCHERS)
    # The bytes a researcher do not depend on how many enter: measured with entry at the steady state's, so that a
    # scenario whose cohorts are empty at the start (a cohort index of 0) still has researchers to measure.
    sample = dataclasses.replace(sample, simulation=dataclasses.replace(sample.simulation, cohort_index=1.0),
                                 paths={k: v for k, v in sample.paths.items() if k != "simulation.cohort_index"})
    model = TalentModel(sample, rng=0)
    pop = model.population
    return sum(getattr(pop, f.name).nbytes for f in dataclasses.fields(pop)) / len(pop)


def alive_bound(config: Config) -> float:
    """Researchers alive at most during the run: the steady state's size, scaled by the largest yearly cohort
    index of the scenario's paths, with room for chance (the size is a steady state, not a fixed count)."""
    sim = config.simulation
    index = [sim.cohort_index, *config.paths.get("simulation.cohort_index", {}).values()]
    return sim.researchers * max(1.0, *index) * 1.25


def estimate_bytes(config: Config, *, engine: str = "vectorized", record_agents: bool = False) -> int:
    """Bytes the run of ``config`` needs at its peak, beyond the interpreter and libraries (an upper estimate)."""
    alive = alive_bound(config)
    total = alive * _bytes_alive(config, engine)
    if record_agents:
        total += alive * (config.simulation.years + 1) * AGENT_ROW_BYTES
    return int(total)


def _bytes_alive(config: Config, engine: str) -> float:
    """Bytes the engine holds for each researcher alive."""
    per_researcher = bytes_per_researcher(config) * WORKING_COPIES
    return per_researcher + (AGENT_OBJECT_BYTES if engine == "agents" else 0)


def _read_int(path: Path) -> int | None:
    try:
        text = path.read_text().split()[0]
    except (OSError, IndexError):
        return None
    return int(text) if text.isdigit() else None


def _cgroup_room() -> int | None:
    """Bytes left under this process's cgroup memory limit (v2 or v1), or None without a limit."""
    try:
        lines = Path("/proc/self/cgroup").read_text().splitlines()
    except OSError:
        return None
    for line in lines:
        _, controllers, where = line.split(":", 2)
        if controllers == "":  # cgroup v2
            folder, limit, usage = Path("/sys/fs/cgroup") / where.lstrip("/"), "memory.max", "memory.current"
        elif "memory" in controllers.split(","):
            folder = Path("/sys/fs/cgroup/memory") / where.lstrip("/")
            limit, usage = "memory.limit_in_bytes", "memory.usage_in_bytes"
        else:
            continue
        most, used = _read_int(folder / limit), _read_int(folder / usage)
        if most is not None and used is not None and most < 2**60:  # v1 writes "no limit" as a huge number
            return max(most - used, 0)
    return None


def available_bytes() -> int | None:
    """Memory the run may still take: the system's available memory, or less under a cgroup limit; None if unknown."""
    known = []
    try:
        for line in Path("/proc/meminfo").read_text().splitlines():
            if line.startswith("MemAvailable:"):
                known.append(int(line.split()[1]) * 1024)
    except (OSError, ValueError):
        pass
    room = _cgroup_room()
    if room is not None:
        known.append(room)
    return min(known) if known else None


def check_memory(config: Config, *, source: str, engine: str = "vectorized", record_agents: bool = False) -> None:
    """Raise :class:`ConfigError` (naming ``source`` and simulation.researchers) if the run cannot fit in memory."""
    available = available_bytes()
    if available is None:
        return
    needed = estimate_bytes(config, engine=engine, record_agents=record_agents)
    if needed <= available:
        return
    sim = config.simulation
    rows = ", and a row per researcher a year for --agents" if record_agents else ""
    raise ConfigError(source, "simulation.researchers",
                      f"a run of {sim.researchers:,} researchers for {sim.years} years needs about "
                      f"{needed / GIB:,.1f} GiB of memory (up to {alive_bound(config):,.0f} researchers alive at "
                      f"about {_bytes_alive(config, engine):,.0f} bytes each{rows}), more than the "
                      f"{available / GIB:,.1f} GiB available; choose fewer researchers")
