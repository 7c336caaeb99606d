"""Benchmark of the experiment runner.

400 runs of 10,000 researchers for 30 years, run in this process and then on a
pool of 2 worker processes. Reports:

- parallel efficiency on 2 workers: serial wall time / (2 x pool wall time) (target >= 0.85);
- overhead per run beyond the simulation: (in-process wall time - summed run times) / runs (target <= 10 ms);
- bytes stored per run (Parquet parts, status log and manifest).

``python -m benchmarks.sweep [--runs N] [--researchers N] [--years N] [--workers N]``
"""

from __future__ import annotations

import argparse
import json
import tempfile
import time
from pathlib import Path
from typing import Any

from benchmarks import Section, Target, markdown_table, targets_table
from experiments import runner
from experiments.executors import InProcess, process_pool
from experiments.sweepfile import read_sweep

BASELINE = Path(__file__).resolve().parent.parent / "configs" / "baseline.toml"
TARGETS = {"parallel_efficiency": 0.85, "overhead_ms_per_run": 10.0}


def sweep_text(runs: int, researchers: int, years: int) -> str:
    """A sweep of two points with ``runs / 2`` replicates each."""
    return (f'base = "{BASELINE}"\ndesign = "grid"\nreplicates = {max(runs // 2, 1)}\nyears = {years}\n'
            f'researchers = {researchers}\nseed = 1\n[vary]\n"preferences.wage" = [1.0, 2.0]\n')


def folder_bytes(folder: Path) -> int:
    """Bytes of every file under ``folder``."""
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file())


def run_time(folder: Path) -> float:
    """Seconds spent inside the runs themselves (build and simulate), from the status log."""
    return sum(json.loads(line)["seconds"] for line in (folder / "status.jsonl").read_text().splitlines())


def bench(runs: int = 400, researchers: int = 10_000, years: int = 30, workers: int = 2) -> dict[str, Any]:
    """Time the sweep in process and on ``workers`` processes; return the measures."""
    with tempfile.TemporaryDirectory() as tmp:
        tmp_path = Path(tmp)
        path = tmp_path / "bench.toml"
        path.write_text(sweep_text(runs, researchers, years))
        sweep = read_sweep(path)
        start = time.perf_counter()
        runner.run_sweep(sweep, tmp_path / "serial", InProcess(), progress=False)
        serial = time.perf_counter() - start
        simulated = run_time(tmp_path / "serial")
        with process_pool(workers) as pool:
            pool.submit(int).result()  # start the workers before the clock, as a long sweep amortises it
            start = time.perf_counter()
            runner.run_sweep(sweep, tmp_path / "pool", pool, workers=workers, progress=False)
            parallel = time.perf_counter() - start
        n = len(sweep.runs)
        return {
            "runs": n, "researchers": researchers, "years": years, "workers": workers,
            "serial_seconds": round(serial, 3), "parallel_seconds": round(parallel, 3),
            "parallel_efficiency": round(serial / (workers * parallel), 3),
            "overhead_ms_per_run": round(1000 * (serial - simulated) / n, 3),
            "bytes_per_run": round(folder_bytes(tmp_path / "serial") / n),
        }


QUICK_SIZE = {"runs": 40, "researchers": 3_000, "years": 30}


def section(quick: bool = False) -> Section:
    """The runner's measures against their targets, for ``python -m benchmarks``."""
    size = QUICK_SIZE if quick else {"runs": 400, "researchers": 10_000, "years": 30}
    r = bench(**size)
    paragraphs = [
        f"{r['runs']} runs of {r['researchers']:,} researchers for {r['years']} years (a grid of two points, common "
        f"random numbers), first in this process, then on a pool of {r['workers']} worker processes started before "
        "the clock. Parallel efficiency = serial wall time / (workers x pool wall time); overhead per run = "
        "(serial wall time - time inside the runs, from the status log) / runs; bytes per run = the sweep folder "
        "(Parquet parts, status log, manifest) / runs.",
        markdown_table(["serial (s)", "pool (s)", "parallel efficiency", "overhead per run (ms)", "bytes per run"],
                       [[f"{r['serial_seconds']:.1f}", f"{r['parallel_seconds']:.1f}",
                         f"{r['parallel_efficiency']:.2f}", f"{r['overhead_ms_per_run']:.1f}",
                         f"{r['bytes_per_run']:,}"]]),
    ]
    checked: tuple[Target, ...] = (
        Target("parallel efficiency on 2 workers", f"{r['parallel_efficiency']:.2f}", ">= 0.85",
               r["parallel_efficiency"] >= TARGETS["parallel_efficiency"]),
        Target("overhead per run beyond the simulation", f"{r['overhead_ms_per_run']:.1f} ms", "<= 10 ms",
               r["overhead_ms_per_run"] <= TARGETS["overhead_ms_per_run"]),
    )
    return Section("Experiment runner (sweeps)", "\n\n".join([*paragraphs, targets_table(checked)]), checked)


def main(argv: list[str] | None = None) -> int:
    """Print the measures as JSON and whether each target is met."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.sweep", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=400)
    parser.add_argument("--researchers", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=30)
    parser.add_argument("--workers", type=int, default=2)
    args = parser.parse_args(argv)
    result = bench(args.runs, args.researchers, args.years, args.workers)
    result["targets_met"] = {"parallel_efficiency": result["parallel_efficiency"] >= TARGETS["parallel_efficiency"],
                             "overhead_ms_per_run": result["overhead_ms_per_run"] <= TARGETS["overhead_ms_per_run"]}
    print(json.dumps(result, indent=1))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
