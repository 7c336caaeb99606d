"""The helper threads that run the engine's spans beside the caller's: results, errors, sleep, and sharing."""

from __future__ import annotations

import itertools
import threading
import time

import numpy as np
import pytest

from simulation import crew as crew_module
from simulation.crew import Crew, wait_for_change


def spans_of(n: int, parts: int) -> list[tuple[int, int]]:
    edges = [n * k // parts for k in range(parts + 1)]
    return list(itertools.pairwise(edges))


def test_every_span_runs_once_and_the_results_come_in_span_order():
    team = Crew(3)
    ran_on: dict[int, int] = {}

    def work(start: int, stop: int) -> tuple[int, int]:
        time.sleep(0.01)  # long enough that the spans overlap
        ran_on[start] = threading.get_ident()
        return start, stop

    parts = spans_of(40, 4)
    assert team.run(work, parts) == parts
    assert ran_on[0] == threading.get_ident()  # the first span is the caller's
    assert len(set(ran_on.values())) == 4  # each of the others on its own helper


def test_the_first_error_in_span_order_propagates_once_every_span_is_done():
    team = Crew(2)
    finished = []

    def work(start: int, stop: int) -> None:
        if start == 0:
            time.sleep(0.05)
            finished.append(start)
        elif start == 10:
            raise ValueError("second span")
        else:
            time.sleep(0.1)
            finished.append(start)
            raise KeyError("third span")

    with pytest.raises(ValueError, match="second span"):
        team.run(work, spans_of(30, 3))
    assert sorted(finished) == [0, 20]
    assert team.run(lambda start, stop: stop - start, spans_of(30, 3)) == [10, 10, 10]  # the crew still works


def test_a_helper_that_fell_asleep_wakes_for_new_work(monkeypatch):
    monkeypatch.setattr(crew_module, "POLL_SECONDS", 1e-5)
    team = Crew(1)
    assert team.run(lambda start, stop: threading.get_ident(), spans_of(2, 2))[1] != threading.get_ident()
    deadline = time.monotonic() + 10
    while not team.sleeping[0] and time.monotonic() < deadline:
        time.sleep(0.001)
    assert team.sleeping[0]
    assert team.run(lambda start, stop: (start, stop), spans_of(2, 2)) == [(0, 1), (1, 2)]


def test_a_second_caller_runs_its_spans_itself_while_the_crew_is_busy():
    team = Crew(1)
    release, entered = threading.Event(), threading.Event()

    def slow(start: int, stop: int) -> None:
        entered.set()
        release.wait(10)

    first = threading.Thread(target=team.run, args=(slow, spans_of(2, 2)))
    first.start()
    entered.wait(10)
    caller = threading.get_ident()
    assert team.run(lambda start, stop: threading.get_ident(), spans_of(2, 2)) == [caller, caller]
    release.set()
    first.join(10)
    assert not first.is_alive()


def test_work_in_the_background_keeps_its_helper_out_of_the_spans_until_it_is_done():
    team = Crew(1)
    release = threading.Event()
    future = team.start(lambda: release.wait(10) and "drawn")
    assert future is not None
    assert team.start(lambda: None) is None  # one piece of background work at a time
    caller = threading.get_ident()
    assert team.run(lambda start, stop: threading.get_ident(), spans_of(2, 2)) == [caller, caller]
    release.set()
    assert future.result() == "drawn"
    assert team.run(lambda start, stop: threading.get_ident(), spans_of(2, 2))[1] != caller


def test_an_error_in_background_work_reaches_its_future():
    team = Crew(1)
    future = team.start(lambda: 1 / 0)
    with pytest.raises(ZeroDivisionError):
        future.result()
    assert team.run(lambda start, stop: stop, spans_of(4, 2)) == [2, 4]


def test_waiting_for_a_change_sees_another_threads_write():
    flags = np.zeros(16, dtype=np.int64)
    threading.Timer(0.05, lambda: flags.__setitem__(3, 7)).start()
    deadline = time.monotonic() + 10
    value = 0
    while value == 0 and time.monotonic() < deadline:
        value = wait_for_change(flags, 3, 0, 10_000)
    assert value == 7
    assert wait_for_change(flags, 3, 7, 100) == 7  # unchanged: returns after its reads
