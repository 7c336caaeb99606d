"""Fault injection for the fault tests: runs that never finish, so that a sweep is surely killed partway.

Python imports this module at start-up when this folder is on PYTHONPATH (see
``experiments_support.holding``). With TALENTFLOW_TEST_HOLD_FROM_RUN=N set, a
worker given a task with a run numbered N or more does not run it: it creates
the file TALENTFLOW_TEST_HELD (if set) and waits to be killed. Runs below N
finish as usual, so the status log reaches exactly N lines and no more, on a
fast machine or a slow one, and the test kills the sweep then.
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
