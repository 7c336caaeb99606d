"""Fault injection for the fault tests: runs that never finish, so that a sweep is surely killed partway.

Python imports this module at start-up when this folder is on PYTHONPATH (see
``experiments_support.holding``). With TALENTFLOW_TEST_HOLD_FROM_RUN=N set, a
worker given a task with a run numbered N or more does not run it: it creates
the file TALENTFLOW_TEST_HELD (if set) and waits to be killed. Runs below N
finish as usual, so the status log reaches exactly N lines and no more, on a
fast machine or a slow one, and the test kills the sweep then. With
TALENTFLOW_TEST_HOLD_AFTER_SIMULATIONS=N set, the workers run N calibration
simulations in all and hold the next ones the same way (or die there).
"""

from __future__ import annotations

import functools
import os
import time
from pathlib import Path

#: How long a held task waits before its process gives up (the test kills it long before).
HOLD_SECONDS = 300

if os.environ.get("TALENTFLOW_TEST_HOLD_FROM_RUN"):
    from experiments import runner

    hold_from = int(os.environ["TALENTFLOW_TEST_HOLD_FROM_RUN"])
    run_batch = runner.simulate

    @functools.wraps(run_batch)
    def simulate(tasks):
        if any(task.run >= hold_from for task in tasks):
            if os.environ.get("TALENTFLOW_TEST_HELD"):
                Path(os.environ["TALENTFLOW_TEST_HELD"]).touch()
            time.sleep(HOLD_SECONDS)
            os._exit(3)
        return run_batch(tasks)

    runner.simulate = simulate  # pickled by name: workers started with this module find the same function

if os.environ.get("TALENTFLOW_TEST_HOLD_AFTER_SIMULATIONS"):
    # The calibration's counterpart: once N calibration simulations (Simulator.run, behind ABC, its checks and
    # the identification table) have run in all, counted in the file TALENTFLOW_TEST_SIMULATIONS shared by the
    # worker processes (pyabc starts them afresh each generation), a worker holds every later one, so the run can
    # never finish and is surely interrupted partway. With TALENTFLOW_TEST_DIE_WHEN_HOLDING set, the worker
    # process dies there instead (as if killed).
    from experiments.calibration import abc

    hold_after = int(os.environ["TALENTFLOW_TEST_HOLD_AFTER_SIMULATIONS"])
    simulate_particle = abc.Simulator.run

    @functools.wraps(simulate_particle)
    def run(self, *args, **kwargs):
        fd = os.open(os.environ["TALENTFLOW_TEST_SIMULATIONS"], os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, b"x")  # one byte a simulation, appended atomically
            simulations = os.fstat(fd).st_size
        finally:
            os.close(fd)
        if simulations > hold_after:
            if os.environ.get("TALENTFLOW_TEST_HELD"):
                Path(os.environ["TALENTFLOW_TEST_HELD"]).touch()
            if not os.environ.get("TALENTFLOW_TEST_DIE_WHEN_HOLDING"):
                time.sleep(HOLD_SECONDS)
            os._exit(3)
        return simulate_particle(self, *args, **kwargs)

    abc.Simulator.run = run  # workers unpickle Simulator by reference, so they call this
