"""Helper threads that poll for work: the threads that run the vectorized engine's spans beside the caller's.

A thread woken from sleep starts late: tens of microseconds on a bare machine,
often more on a virtual one, whose idle processor the host takes back. A year
hands spans to the helpers about ten times, for a millisecond of work or less
each, so a woken helper would lose a good part of what it brings. Each helper
of a :class:`Crew` therefore polls its slot in a compiled loop that holds no
lock (:func:`wait_for_change`) for :data:`POLL_SECONDS` after its last work,
as OpenMP's runtimes do, and sleeps only when that time passes with nothing to
do. The caller waits for the helpers' spans the same way. A helper may also
take one piece of work that the caller does not wait for (:meth:`Crew.start`):
next year's draws, while the caller observes the year; the spans of the
caller's next :meth:`Crew.run` that would go to a busy helper are the caller's
own, so that nobody waits for the other.

Which thread runs a span never changes what it computes: every span's work
depends on its rows alone (see :mod:`simulation.threads`).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

import numpy as np
from numba import njit, types
from numba.extending import intrinsic

#: How long a helper polls for work after its last before it sleeps, and the caller for a helper's span before
#: it sleeps until the helper is done (seconds).
POLL_SECONDS = 0.002
#: How much longer than a helper the caller polls for a helper's span before it sleeps: it has nothing else to do,
#: and a span may take longer than POLL_SECONDS.
CALLER_POLLS = 25
#: Slots of the flag table, one row a helper: [work posted, work done, back to polling], on its own 64-byte cache
#: line.
POSTED, DONE, POLLING, ROW = 0, 1, 2, 8


@intrinsic
def _store_release(typingctx: Any, table: Any, index: Any, value: Any) -> Any:
    """Write the int64 ``value`` at ``table.flat[index]`` with release ordering: what this thread wrote before is
    visible to a thread that reads ``value`` there with acquire ordering."""
    signature = types.void(table, types.intp, types.int64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        address = builder.gep(array.data, [args[1]])
        builder.store_atomic(args[2], address, "release", 8)
        return context.get_dummy_value()

    return signature, codegen


@intrinsic
def _load_acquire(typingctx: Any, table: Any, index: Any) -> Any:
    """The int64 at ``table.flat[index]``, read with acquire ordering: read again at every call (a plain read
    in a loop may be read once), and what the writer wrote before it is visible after it."""
    signature = types.int64(table, types.intp)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        address = builder.gep(array.data, [args[1]])
        return builder.load_atomic(address, "acquire", 8)

    return signature, codegen


#: The C library's sched_yield: the thread stays ready to run, but any other thread waiting for this processor,
#: of this process or another, runs first.
_sched_yield = types.ExternalFunction("sched_yield", types.int32())


@njit(cache=True, nogil=True)
def wait_for_change(table, index, seen, polls, arrived=-1):
    """Read ``table.flat[index]`` up to ``polls`` times, without the GIL, until it is not ``seen``; its last value.
    Between reads the thread yields its processor to any other that is waiting for it. ``arrived`` (if >= 0):
    first write ``seen`` at ``table.flat[arrived]``, to tell another thread that this one holds the GIL no more."""
    if arrived >= 0:
        _store_release(table, arrived, seen)
    value = _load_acquire(table, index)
    for _ in range(polls):
        if value != seen:
            return value
        _sched_yield()
        value = _load_acquire(table, index)
    return value


class Crew:
    """``helpers`` threads that run spans beside the caller's (:meth:`run`) and work the caller does not wait
    for (:meth:`start`). Daemon threads: they never keep the process alive."""

    def __init__(self, helpers: int) -> None:
        self.flags = np.zeros(helpers * ROW, dtype=np.int64)
        self.jobs: list[tuple[Callable[..., Any], tuple[Any, ...], Future[Any] | None] | None] = [None] * helpers
        self.sleeping = [False] * helpers
        self.caller_sleeps = False
        self.in_background: list[Future[Any] | None] = [None] * helpers
        self.condition = threading.Condition()
        self.busy = threading.Lock()  # one caller's spans at a time; another caller runs its spans itself
        self.polls = _polls_in(POLL_SECONDS, self.flags)
        for k in range(helpers):
            threading.Thread(target=self._serve, args=(k,), daemon=True, name=f"talentflow-{k + 1}").start()

    @property
    def helpers(self) -> int:
        return len(self.jobs)

    # ---------------------------------------------------------------- helper side
    def _serve(self, k: int) -> None:
        seen = 0
        posted, polling = k * ROW + POSTED, k * ROW + POLLING
        while True:
            value = wait_for_change(self.flags, posted, seen, self.polls, polling)
            if value == seen:  # nothing for a while: sleep until work is posted
                with self.condition:
                    self.sleeping[k] = True
                    while self.flags[posted] == seen:
                        self.condition.wait()
                    self.sleeping[k] = False
                    value = int(self.flags[posted])
            seen = value
            job = self.jobs[k]
            assert job is not None
            work, args, future = job
            self.jobs[k] = None
            try:
                result = work(*args)
            except BaseException as err:  # handed to the caller (spans catch their own)
                if future is not None:
                    future.set_exception(err)
            else:
                if future is not None:
                    future.set_result(result)
            self.flags[k * ROW + DONE] = value  # after the results: the caller reads them once it sees this
            if self.caller_sleeps:
                with self.condition:
                    self.condition.notify_all()

    # ---------------------------------------------------------------- caller side
    def _post(self, k: int, work: Callable[..., Any], args: tuple[Any, ...], future: Future[Any] | None) -> int:
        self.jobs[k] = (work, args, future)
        value = int(self.flags[k * ROW + POSTED]) + 1
        self.flags[k * ROW + POSTED] = value
        with self.condition:
            if self.sleeping[k]:
                self.condition.notify_all()
        return value

    def _wait(self, k: int, value: int) -> None:
        """Until helper ``k`` has done the work it was posted as ``value``: polling until it is back to polling
        (so that it holds the GIL no more when this thread wants it), then sleeping until it is done. The flags
        only grow: a helper that has gone on to later work is done with this one."""
        polling = k * ROW + POLLING
        seen = value - 1
        while seen < value:
            before = seen
            seen = wait_for_change(self.flags, polling, before, self.polls * CALLER_POLLS)
            if seen == before:  # polled long enough: sleep until the helper says it is done
                with self.condition:
                    self.caller_sleeps = True
                    try:
                        while self.flags[k * ROW + DONE] < value:
                            self.condition.wait(POLL_SECONDS)
                    finally:
                        self.caller_sleeps = False
                return

    def _free(self, k: int) -> bool:
        """Whether helper ``k`` has no work the caller did not wait for."""
        future = self.in_background[k]
        if future is not None and future.done():
            self.in_background[k] = future = None
        return future is None

    def start(self, work: Callable[[], Any]) -> Background | None:
        """``work()`` on the last helper, if it is free, without waiting for it; None if the helper is busy (the
        caller then does the work itself)."""
        k = self.helpers - 1
        with self.busy:
            if not self._free(k):
                return None
            future: Future[Any] = Future()
            future.set_running_or_notify_cancel()
            self.in_background[k] = future
            return Background(self, k, self._post(k, work, (), future), future)

    def run(self, work: Callable[[int, int], Any], parts: list[tuple[int, int]]) -> list[Any]:
        """``work(start, stop)`` for each of ``parts``: the first here, each of the others on a free helper at the
        same time (or here, after the first, if there is none); their results in order. If any raises, every
        span is waited for before the exception of the first that raised (in span order) propagates."""
        if not self.busy.acquire(blocking=False):  # another caller's spans are running: do these here
            return [work(*span) for span in parts]
        results: list[Any] = [None] * len(parts)
        failures: dict[int, BaseException] = {}

        def run_span(index: int) -> None:
            try:
                results[index] = work(*parts[index])
            except BaseException as err:  # raised once every span is done
                failures[index] = err

        try:
            posted: list[tuple[int, int]] = []  # (helper, value)
            mine = [0]
            free = [k for k in range(self.helpers) if self._free(k)]
            for index in range(1, len(parts)):
                if free:
                    posted.append((free[0], self._post(free.pop(0), run_span, (index,), None)))
                else:
                    mine.append(index)
            for index in mine:
                run_span(index)
            for k, value in posted:
                self._wait(k, value)
        finally:
            self.busy.release()
        if failures:
            raise failures[min(failures)]
        return results


class Background:
    """Work a helper does while the caller does other things (:meth:`Crew.start`)."""

    def __init__(self, crew: Crew, helper: int, value: int, future: Future[Any]) -> None:
        self._crew, self._helper, self._value, self._future = crew, helper, value, future

    def done(self) -> bool:
        return self._future.done()

    def result(self) -> Any:
        """The work's result (or its exception), once it is done: the caller polls for it, as for a span."""
        if not self._future.done():
            self._crew._wait(self._helper, self._value)
        return self._future.result()


def _polls_in(seconds: float, flags: np.ndarray) -> int:
    """How many reads :func:`wait_for_change` makes in about ``seconds`` on this machine (measured once)."""
    probe = 2_000
    wait_for_change(flags, 0, 0, 10)  # compiled (or loaded) before it is timed
    start = time.perf_counter()
    wait_for_change(flags, 0, 0, probe)
    elapsed = max(time.perf_counter() - start, 1e-9)
    return max(int(probe * seconds / elapsed), 1_000)
