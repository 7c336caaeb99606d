"""Threads split the vectorized engine's year into spans of researchers: the outputs must not depend on how many."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time

import numpy as np
import pytest
from conftest import run_model
from hypothesis import given
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from simulation import pcg64, threads
from simulation.cli import main as cli_main


@pytest.fixture
def small_spans(monkeypatch):
    """Spans of a few rows, so that the test scenarios of a few hundred agents are split as 100,000 would be."""
    monkeypatch.setattr(threads, "MIN_SPAN", 16)
    yield
    threads.set_threads(None)


@given(n=st.integers(0, 3000), parts=st.integers(1, 6), min_span=st.integers(1, 700), seed=st.integers(0, 2**32),
       half_used=st.booleans())
def test_uniforms_in_spans_are_one_streams_and_leave_the_generator_as_it(n, parts, min_span, seed, half_used):
    one, split = np.random.default_rng(seed), np.random.default_rng(seed)
    if half_used:  # a 32-bit draw leaves half an output buffered in the generator's state
        one.integers(0, 1000, dtype=np.int32)
        split.integers(0, 1000, dtype=np.int32)
    expected = one.random(n)
    got = threads.uniforms(split, np.empty(n), parts=parts, min_span=min_span)
    np.testing.assert_array_equal(got, expected)
    assert split.bit_generator.state == one.bit_generator.state
    np.testing.assert_array_equal(split.integers(0, 2**31, size=5, dtype=np.int32),
                                  one.integers(0, 2**31, size=5, dtype=np.int32))


def test_uniforms_are_split_where_the_spans_are_long_enough(monkeypatch):
    """The test above must have exercised a split: each span of PCG64 is drawn by its own compiled fill."""
    calls = []
    original = pcg64.fill

    def counting(state, out):
        calls.append(len(out))
        return original(state, out)

    monkeypatch.setattr(pcg64, "fill", counting)
    threads.uniforms(np.random.default_rng(3), np.empty(100), parts=4, min_span=10)
    assert calls == [25, 25, 25, 25]


@given(seed=st.integers(0, 2**64), skip=st.integers(0, 2**70), n=st.integers(0, 200))
def test_the_compiled_pcg64_gives_numpys_uniforms_from_any_state(seed, skip, n):
    rng = np.random.Generator(np.random.PCG64(seed))
    rng.bit_generator.advance(skip)
    state = rng.bit_generator.state["state"]
    out = np.empty(n)
    end = pcg64.fill(state, out)
    np.testing.assert_array_equal(out, rng.random(n))
    assert end == rng.bit_generator.state["state"]["state"]


def test_the_compiled_pcg64_is_checked_against_this_numpy(monkeypatch):
    assert pcg64.agrees_with_numpy()
    monkeypatch.setattr(pcg64, "agrees_with_numpy", lambda: False)  # a numpy that draws otherwise: its own draws
    monkeypatch.setattr(pcg64, "fill", lambda state, out: pytest.fail("the compiled fill was used"))
    one, split = np.random.default_rng(8), np.random.default_rng(8)
    np.testing.assert_array_equal(threads.uniforms(split, np.empty(300), parts=3, min_span=10), one.random(300))
    assert split.bit_generator.state == one.bit_generator.state


def test_uniforms_of_other_bit_generators_are_drawn_in_one_span():
    one, split = np.random.Generator(np.random.SFC64(5)), np.random.Generator(np.random.SFC64(5))
    np.testing.assert_array_equal(threads.uniforms(split, np.empty(500), parts=4, min_span=10), one.random(500))
    np.testing.assert_array_equal(split.random(10), one.random(10))


@given(n=st.integers(0, 10**6), parts=st.integers(1, 64), min_span=st.integers(1, 10**5))
def test_spans_cover_the_rows_in_order_with_near_equal_lengths(n, parts, min_span):
    cut = threads.spans(n, parts, min_span)
    assert cut[0][0] == 0 and cut[-1][1] == n
    assert all(stop == start for (_, stop), (start, _) in itertools.pairwise(cut))
    assert 1 <= len(cut) <= parts
    lengths = [stop - start for start, stop in cut]
    assert max(lengths) - min(lengths) <= 1
    assert len(cut) == 1 or min(lengths) >= min_span


def test_each_gives_the_spans_results_in_order():
    assert threads.each(lambda start, stop: (start, stop), 10, parts=3, min_span=1) == [(0, 3), (3, 6), (6, 10)]


def test_each_waits_for_every_span_before_an_error_propagates():
    finished = threading.Event()

    def work(start: int, stop: int) -> None:
        if start == 0:
            raise RuntimeError("first span")
        time.sleep(0.2)
        finished.set()

    with pytest.raises(RuntimeError, match="first span"):
        threads.each(work, 10, parts=2, min_span=1)
    assert finished.is_set()


def test_threads_come_from_the_setting_then_the_environment_then_the_machine(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    assert threads.threads() == threads.usable_cpus()
    monkeypatch.setenv(threads.ENV, " 3 ")
    assert threads.threads() == 3
    threads.set_threads(5)
    try:
        assert threads.threads() == 5
    finally:
        threads.set_threads(None)
    for bad in ("0", "-1", "two", "1.5", "", "٣"):
        monkeypatch.setenv(threads.ENV, bad)
        with pytest.raises(ValueError, match=f"{threads.ENV}: expected a whole number >= 1"):
            threads.threads()
    for bad in (0, -2, 1.5, True, "2"):
        with pytest.raises(ValueError, match="whole number >= 1"):
            threads.set_threads(bad)


def _threads_and_a_split_sum(_: object) -> tuple[int, list[int]]:
    """In a worker process: its default threads, and a split run on two threads (the parent's pool is not there)."""
    default = threads.threads()
    threads.set_threads(2)
    return default, threads.each(lambda start, stop: stop - start, 100, min_span=1)


@pytest.mark.filterwarnings("ignore:This process .* is multi-threaded, use of fork:DeprecationWarning")
def test_a_process_multiprocessing_started_uses_one_thread_and_forks_safely(monkeypatch):
    monkeypatch.delenv(threads.ENV, raising=False)
    threads.each(lambda start, stop: None, 100, parts=2, min_span=1)  # the parent's pool exists before the fork
    with multiprocessing.get_context("fork").Pool(1) as pool:
        default, lengths = pool.apply_async(_threads_and_a_split_sum, (None,)).get(timeout=60)
    assert default == 1
    assert lengths == [50, 50]


@pytest.mark.parametrize("config_name", ["small_config", "all_levers_config", "three_country_config"])
def test_outputs_are_identical_on_any_number_of_threads(request, small_spans, config_name):
    config = request.getfixturevalue(config_name)
    runs = []
    for n in (1, 2, 3):
        threads.set_threads(n)
        model = run_model(config, 5, record_agents=True)
        runs.append((model.yearly(), model.agent_rows()))
    for yearly, rows in runs[1:]:
        assert_frame_equal(yearly, runs[0][0], check_exact=True)
        assert_frame_equal(rows, runs[0][1], check_exact=True)
    threads.set_threads(3)
    assert_frame_equal(run_model(config, 5, engine="agents").yearly(), runs[0][0], check_exact=True)


def test_the_year_is_split_into_spans_in_these_tests(monkeypatch, small_spans, small_config):
    """The equality above is worth something only if the year's work was split: count the spans run."""
    seen: list[int] = []
    original = threads.run_spans

    def counting(work, parts):
        seen.append(len(parts))
        return original(work, parts)

    monkeypatch.setattr(threads, "run_spans", counting)
    threads.set_threads(3)
    run_model(small_config, 5)
    assert max(seen) == 3
    assert sum(1 for k in seen if k > 1) >= 5 * small_config.simulation.years  # draws, ageing, offers, ... each year


def test_a_bad_thread_count_in_the_environment_is_one_line_and_exit_2(monkeypatch, tmp_path, capsys):
    monkeypatch.setenv(threads.ENV, "many")
    out = tmp_path / "run"
    assert cli_main(["run", "configs/baseline.toml", "--researchers", "100", "--years", "1", "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err == f"talentflow: error: environment variable {threads.ENV}: expected a whole number >= 1 (threads), " \
                  "got 'many'"
    assert not out.exists()
