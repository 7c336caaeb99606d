"""Where and when a benchmark ran: the machine, the load on it, the date and the versions."""

from __future__ import annotations

import datetime
import os
import platform
import subprocess
from importlib import metadata
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent


def cpu_model() -> str:
    """The CPU's model name (from /proc/cpuinfo on Linux), or what the platform reports."""
    cpuinfo = Path("/proc/cpuinfo")
    if cpuinfo.is_file():
        for line in cpuinfo.read_text().splitlines():
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return platform.processor() or platform.machine()


def memory_gib() -> float | None:
    """Total memory of the machine in GiB, where /proc/meminfo tells it."""
    meminfo = Path("/proc/meminfo")
    if meminfo.is_file():
        for line in meminfo.read_text().splitlines():
            if line.startswith("MemTotal:"):
                return int(line.split()[1]) / 2**20
    return None


def git_commit() -> str:
    """The repository's commit, with "+ uncommitted changes" when the tree is dirty; "unknown" outside git."""
    try:
        commit = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=REPO, capture_output=True, text=True,
                                check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--untracked-files=no"], cwd=REPO,
                               capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{commit} + uncommitted changes" if dirty else commit


def version(package: str) -> str:
    """Installed version of ``package``, or "not installed"."""
    try:
        return metadata.version(package)
    except metadata.PackageNotFoundError:
        return "not installed"


def yardstick_ms(repeats: int = 21) -> float:
    """Median milliseconds to draw 1,000,000 uniforms with numpy's default generator (PCG64), in this process: a
    measure of how fast the machine runs at the moment, to compare benchmark runs on shared machines whose speed
    varies from hour to hour (the model draws ten uniforms a researcher a year)."""
    import statistics
    import time

    import numpy as np

    rng, out = np.random.default_rng(0), np.empty(1_000_000)
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        rng.random(out=out)
        times.append(time.perf_counter() - start)
    return 1000 * statistics.median(times)


def yardstick_text() -> str:
    """The yardstick read now, as the report's line says it."""
    return (f"{yardstick_ms():.2f} ms to draw 1,000,000 uniforms with numpy's PCG64 (median of 21; the same work, to "
            "compare runs on a machine whose speed varies)")


def with_end_yardstick(setting: list[tuple[str, str]]) -> list[tuple[str, str]]:
    """``setting`` (see :func:`describe`) with the yardstick read again now, after the runs, beside the one read at
    the start: a machine whose speed changed during the runs shows it there."""
    end = ("Yardstick at end", yardstick_text())
    at = next((k + 1 for k, (label, _) in enumerate(setting) if label == "Yardstick at start"), len(setting))
    return [*setting[:at], end, *setting[at:]]


def describe() -> list[tuple[str, str]]:
    """(label, value) lines describing this run's machine, load, date and versions."""
    cores = os.cpu_count() or 0
    usable = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else cores
    memory = memory_gib()
    machine = f"{cpu_model()}, {cores} cores ({usable} usable by this process)"
    if memory is not None:
        machine += f", {memory:.1f} GiB memory"
    load = " / ".join(f"{x:.2f}" for x in os.getloadavg()) if hasattr(os, "getloadavg") else "unknown"
    versions = ", ".join([f"Python {platform.python_version()}", *(f"{p} {version(p)}" for p in
                                                                  ("numpy", "numba", "mesa", "pandas", "talentflow"))])
    return [
        ("Date", datetime.datetime.now(datetime.UTC).strftime("%Y-%m-%d %H:%M UTC")),
        ("Machine", f"{machine}; {platform.system()} {platform.release()}"),
        ("Load average at start (1 / 5 / 15 min)", f"{load} (other work on the machine slows wall-clock times)"),
        ("Yardstick at start", yardstick_text()),
        ("Threads of the vectorized engine", engine_threads()),
        ("Versions", f"{versions}; git {git_commit()}"),
    ]


def engine_threads() -> str:
    """How many threads the vectorized engine takes in the benchmarks' processes, and why."""
    from simulation.threads import ENV, threads

    why = f"{ENV}={os.environ[ENV]}" if ENV in os.environ else f"{ENV} unset: the CPUs the process may use"
    return f"{threads()} ({why}; the outputs are the same on any number)"
