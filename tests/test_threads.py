"""Threads split the vectorized engine's year into spans of researchers: the outputs must not depend on how many."""

from __future__ import annotations

import itertools
import multiprocessing
import threading
import time

import numpy as np
import pandas as pd
import pytest
from conftest import run_model
from hypothesis import given
from hypothesis import strategies as st
from pandas.testing import assert_frame_equal

from simulation import pcg64, threads
from simulation.cli import main as cli_main
from simulation.model import TalentModel
from simulation.population import draw_size, draw_year


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


@given(n=st.integers(1, 400), block_rows=st.integers(1, 5), density=st.floats(0.0, 1.0), parts=st.integers(1, 5),
       min_span=st.integers(1, 50), seed=st.integers(0, 2**32), skip=st.integers(0, 2**70))
def test_uniforms_at_chosen_places_are_those_of_the_whole_block(n, block_rows, density, parts, min_span, seed, skip):
    """Jumping from wanted draw to wanted draw gives the numbers drawing the whole block would, gaps of any length
    included (a near-empty row jumps further than the table of short gaps)."""
    rng = np.random.default_rng(seed)
    rows = np.flatnonzero(rng.random(n) < density)
    rng.bit_generator.advance(skip)
    state = rng.bit_generator.state
    block = rng.random(block_rows * n).reshape(block_rows, n)
    out = np.full((len(rows), block_rows), np.nan)
    threads.uniforms_at(state, rows, n, out, parts=parts, min_span=min_span)
    np.testing.assert_array_equal(out, block[:, rows].T)


@given(n=st.integers(0, 3000), chunk=st.integers(1, 700), seed=st.integers(0, 2**32), skip=st.integers(0, 2**70),
       helpers=st.integers(0, 3))
def test_uniforms_drawn_by_several_threads_are_those_of_one_stream(n, chunk, seed, skip, helpers):
    """Threads that lend a hand draw chunks of the uniforms left to draw: together they give the numbers one call
    ``rng.random`` would, and the generator is left where that call leaves it."""
    rng = np.random.default_rng(seed)
    rng.bit_generator.advance(skip)
    alone = np.random.default_rng(seed)
    alone.bit_generator.advance(skip)
    shared = threads.SharedUniforms(chunk)
    out = np.full(n, np.nan)
    assert shared.prepare(rng, out) is out
    hands = [threading.Thread(target=shared.help) for _ in range(helpers)]
    for hand in hands:
        hand.start()
    shared.help()
    for hand in hands:
        hand.join()
    np.testing.assert_array_equal(out, alone.random(n))
    assert rng.bit_generator.state == alone.bit_generator.state


def test_uniforms_left_undrawn_once_closed():
    rng = np.random.default_rng(4)
    shared = threads.SharedUniforms(10)
    out = np.full(100, np.nan)
    shared.prepare(rng, out)
    shared.close()
    assert shared.help() == 0  # nothing left to take
    assert np.isnan(out).all()
    assert threads.SharedUniforms(10).help() == 0  # nothing prepared: nothing to draw
    with pytest.raises(ValueError, match="chunk must be a whole number >= 1, got 0"):
        threads.SharedUniforms(0)


def test_uniforms_of_a_generator_that_cannot_jump_are_the_owners_alone():
    rng, alone = np.random.Generator(np.random.SFC64(3)), np.random.Generator(np.random.SFC64(3))
    shared = threads.SharedUniforms(5)
    out = np.empty(100)
    assert shared.prepare(rng, out) is out  # drawn at once
    assert shared.help() == 0  # nothing left to help with
    np.testing.assert_array_equal(out, alone.random(100))
    np.testing.assert_array_equal(rng.random(10), alone.random(10))  # left where one call leaves it


@given(count=st.integers(0, 10**6), seed=st.integers(0, 2**32), half_used=st.booleans())
def test_skipping_uniforms_leaves_the_generator_as_drawing_them(count, seed, half_used):
    drawn, skipped = np.random.default_rng(seed), np.random.default_rng(seed)
    if half_used:  # the buffered 32-bit half-output survives, as it does a draw of uniforms
        drawn.integers(0, 1000, dtype=np.int32)
        skipped.integers(0, 1000, dtype=np.int32)
    before = skipped.bit_generator.state
    drawn.random(count)
    assert threads.skip_uniforms(skipped, count) == before
    assert skipped.bit_generator.state == drawn.bit_generator.state
    np.testing.assert_array_equal(skipped.integers(0, 2**31, size=5, dtype=np.int32),
                                  drawn.integers(0, 2**31, size=5, dtype=np.int32))


def test_a_generator_that_cannot_jump_is_not_skipped():
    rng, untouched = np.random.Generator(np.random.SFC64(4)), np.random.Generator(np.random.SFC64(4))
    assert threads.skip_uniforms(rng, 100) is None
    np.testing.assert_array_equal(rng.random(5), untouched.random(5))


@pytest.mark.parametrize("bit_generator", [np.random.PCG64, np.random.SFC64])
def test_the_years_taste_draws_later_are_the_numbers_of_the_whole_draw(bit_generator):
    """The vectorized engine draws the taste shocks' uniforms of those who decide only (population.TasteDraws):
    the same numbers as draw_year's noise block at their rows, and the generator ends where drawing all leaves it."""
    n, n_alt = 1000, 4
    whole, later = np.random.Generator(bit_generator(6)), np.random.Generator(bit_generator(6))
    expected = draw_year(whole, n, n_alt)
    got = draw_year(later, n, n_alt, space=np.empty(draw_size(n, n_alt)), tastes_later=True)
    assert got.noise_u is None
    for name in ("exit_u", "advance_u", "offer_u"):
        np.testing.assert_array_equal(getattr(got, name), getattr(expected, name))
    np.testing.assert_array_equal(later.random(5), whole.random(5))  # the generator left where drawing all leaves it
    rows = np.flatnonzero(np.random.default_rng(1).random(n) < 0.37)
    np.testing.assert_array_equal(got.tastes.at(rows), expected.noise_u[rows])
    np.testing.assert_array_equal(got.tastes.at(rows, space=np.empty(len(rows) * n_alt + 3)), expected.noise_u[rows])
    assert (got.tastes.state is None) == (bit_generator is np.random.SFC64)


def test_next_years_draws_are_drawn_ahead_on_two_threads(small_spans, small_config):
    """With a second thread, next year's cohort and uniforms are drawn while the year is observed
    (TalentModel._draw_ahead), and next year takes them: the equality of outputs on any number of threads above
    covers them only if they were."""
    threads.set_threads(2)
    model = TalentModel(small_config, rng=3)
    drawn_in_the_year = []
    cohort = model._cohort  # what a year calls when nothing was drawn ahead for it
    model._cohort = lambda *args: drawn_in_the_year.append(model.year) or cohort(*args)
    while model.running:
        model.step()
    assert drawn_in_the_year == [small_config.simulation.start_year + 1]  # the first: none was drawn at the start
    assert model._ahead is None  # nothing is drawn ahead after the last year


@pytest.mark.parametrize("between", ["reseed", "pickle"])
def test_draws_ahead_are_not_used_once_the_generator_is_not_where_they_started(small_spans, small_config, between):
    """Between two years the model's generator is the model's to change (a new seed) and the model may be pickled:
    what was drawn ahead must then give way, and the run go on as it would have without it."""
    import pickle

    def run_with(n_threads: int) -> pd.DataFrame:
        threads.set_threads(n_threads)
        model = TalentModel(small_config, rng=5)
        for year in range(small_config.simulation.years):
            model.step()
            if year == 2 and between == "reseed":
                model.rng.bit_generator.state = np.random.default_rng(99).bit_generator.state
            elif year == 2:
                model = pickle.loads(pickle.dumps(model))
        return model.yearly()

    assert_frame_equal(run_with(2), run_with(1), check_exact=True)
