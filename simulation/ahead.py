"""Next year's random draws, made on a thread of their own while the model lives this year.

A year of the vectorized engine takes ten uniforms a researcher from the
model's generator (:func:`simulation.population.draw_year`), after the year's
cohort (:func:`simulation.population.draw_cohort`). Drawing them takes about as
long as the rest of the year's work on one core, and needs to know only how many
researchers the next year has: those who do not leave research this year, known
once they have aged, and the next year's cohort. So the model starts the next
year's draws on a second thread as soon as this year's exits are known, and
takes them when the next year begins. numpy's generators release the GIL while
they fill arrays, and so do the compiled loops of :mod:`simulation.loops`.

The numbers are those the model would draw in turn: only the model draws from
its generator, nothing draws between, and the thread draws in the model's
order (the cohort's, then the year's).
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import Any


class Ahead:
    """A call running on a thread of its own; :meth:`result` waits for it and returns its value (or raises)."""

    def __init__(self, job: Callable[..., Any], *args: Any) -> None:
        self._value: Any = None
        self._error: BaseException | None = None
        self._thread = threading.Thread(target=self._run, args=(job, args), name="talentflow-draws-ahead",
                                        daemon=True)
        self._thread.start()

    def _run(self, job: Callable[..., Any], args: tuple[Any, ...]) -> None:
        try:
            self._value = job(*args)
        except BaseException as error:  # handed to the caller of result()
            self._error = error

    def result(self) -> Any:
        """The job's value, once it is done; the job's exception, if it raised one."""
        self._thread.join()
        if self._error is not None:
            raise self._error
        return self._value
