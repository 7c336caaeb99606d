"""Threads for the vectorized engine's year: work over the researchers split into contiguous spans, one a thread.

Every piece of work split here gives each researcher a result that depends on
that researcher's row alone (the compiled loops of :mod:`simulation.loops`,
numpy's elementwise functions, copies of rows), and the uniform draws are laid
out so that each span gets the numbers one stream would give it there
(:func:`uniforms`). A run's outputs are therefore the same, bit for bit, on any
number of threads (tests/test_threads.py). Sums over researchers are not split:
their order of addition would change their last bits.

The spans beside the caller's run on the helper threads of
:mod:`simulation.crew`, which poll for work between the year's steps; one of
them may also take work the caller does not wait for (:func:`in_background`:
next year's draws, while the year is observed), and then sits out the caller's
spans until it is done.

How many threads: the environment variable ``TALENTFLOW_THREADS`` if set (a
whole number >= 1); otherwise one in a process that :mod:`multiprocessing`
started (a worker of a sweep's pool, of a Dask cluster or of the calibration's
sampler, which shares the cores with its siblings), and the CPUs this process
may use otherwise. :func:`set_threads` sets it for the process.
"""

from __future__ import annotations

import itertools
import multiprocessing
import os
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # numpy is imported where it is used: the command line reads ENV before anything heavy
    import numpy as np

    from simulation.crew import Background, Crew

#: The environment variable that sets the number of threads.
ENV = "TALENTFLOW_THREADS"
#: Fewest rows a thread is given: below this, handing work to a thread costs more than it saves (about 20 µs).
MIN_SPAN = 16_384

_chosen: int | None = None  # set_threads; None: from ENV or the machine
_helpers: Crew | None = None
_lock = threading.Lock()


def usable_cpus() -> int:
    """The CPUs this process may run on (its affinity mask where the system has one)."""
    if hasattr(os, "sched_getaffinity"):
        return max(len(os.sched_getaffinity(0)), 1)
    return os.cpu_count() or 1


def threads_from_env(raw: str) -> int:
    """The number of threads ``TALENTFLOW_THREADS`` asks for; ValueError naming the variable if it is not a whole
    number >= 1."""
    text = raw.strip()
    if not (text.isascii() and text.isdigit()) or int(text) < 1:
        raise ValueError(f"environment variable {ENV}: expected a whole number >= 1 (threads), got {raw!r}")
    return int(text)


def threads() -> int:
    """Threads the engine uses in this process (see the module's docstring)."""
    if _chosen is not None:
        return _chosen
    raw = os.environ.get(ENV)
    if raw is not None:
        return threads_from_env(raw)
    return 1 if multiprocessing.parent_process() is not None else usable_cpus()


def set_threads(n: int | None) -> None:
    """Use ``n`` threads in this process from now on (None: back to the environment and the machine)."""
    global _chosen
    if n is not None and (isinstance(n, bool) or not isinstance(n, int) or n < 1):
        raise ValueError(f"threads must be a whole number >= 1, got {n!r}")
    _chosen = n


def spans(n: int, parts: int | None = None, min_span: int | None = None) -> list[tuple[int, int]]:
    """``[0, n)`` cut into contiguous ``(start, stop)`` spans of near-equal length: ``parts`` of them (default:
    :func:`threads`), fewer where a span would have under ``min_span`` rows (default :data:`MIN_SPAN`), and
    always at least one."""
    parts = threads() if parts is None else parts
    min_span = MIN_SPAN if min_span is None else min_span
    count = max(1, min(parts, n // max(min_span, 1)))
    edges = [n * k // count for k in range(count + 1)]
    return list(itertools.pairwise(edges))


def _crew(helpers: int) -> Crew:
    """The process's helper threads (:class:`simulation.crew.Crew`), at least ``helpers`` of them."""
    global _helpers
    from simulation.crew import Crew

    with _lock:
        if _helpers is None or _helpers.helpers < helpers:
            _helpers = Crew(helpers)  # a smaller crew's threads sleep from now on
        return _helpers


def _forget_pool() -> None:
    """In a forked child: the parent's helper threads do not exist there, so they must not be used."""
    global _helpers, _lock
    _helpers, _lock = None, threading.Lock()


def in_background(work: Callable[[], Any]) -> Background | None:
    """``work()`` on a helper thread, beside the caller's serial steps, if :func:`threads` allows a helper and one
    is free: a handle whose ``result()`` waits for it (the caller may do other work, spans included, meanwhile);
    None otherwise. ``work`` must not hand spans to the helpers (``parts=1``)."""
    if threads() < 2:
        return None
    return _crew(threads() - 1).start(work)


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_forget_pool)


def each[T](work: Callable[[int, int], T], n: int, parts: int | None = None, min_span: int | None = None
             ) -> list[T]:
    """``work(start, stop)`` for each span of :func:`spans` of ``n`` rows (``parts`` and ``min_span`` as there),
    the first in this thread and the others in helper threads at the same time; their results in span order.
    ``work`` must release the GIL to gain (compiled loops with ``nogil``, numpy's functions) and must write only
    to its own span's rows.

    If a span raises, the other spans are waited for before the exception propagates, so that no thread is still
    writing when the caller sees it.
    """
    return run_spans(work, spans(n, parts, min_span))


def together(*works: Callable[[], Any], rows: int) -> list[Any]:
    """Each of ``works`` (passes over ``rows`` researchers) at the same time, the first in this thread and the
    others in helper threads, as many as :func:`threads` allows, if each pass has at least :data:`MIN_SPAN` rows
    (fewer gain less than the hand-over costs); their results in order. Each must release the GIL to gain and
    must not write where another reads or writes."""
    parts = max(1, min(len(works), threads())) if rows >= MIN_SPAN else 1
    if parts == 1:
        return [work() for work in works]
    done = run_spans(lambda first, stop: [works[k]() for k in range(first, stop)], spans(len(works), parts, 1))
    return [result for part in done for result in part]


def run_spans[T](work: Callable[[int, int], T], parts: list[tuple[int, int]]) -> list[T]:
    """``work(start, stop)`` for each of ``parts``, as :func:`each` does for its spans."""
    if len(parts) == 1:
        return [work(*parts[0])]
    return _crew(len(parts) - 1).run(work, parts)


def uniforms(rng: np.random.Generator, out: np.ndarray, parts: int | None = None, min_span: int | None = None
             ) -> np.ndarray:
    """Fill ``out`` (float64, 1-D) with ``rng.random()``'s uniforms on [0, 1), several spans at once, and leave
    ``rng`` as one call ``rng.random(out=out)`` would.

    Each uniform takes one 64-bit output of the bit generator. For PCG64, whose
    state can jump ahead (``advance``), the span from ``start`` is drawn from the
    generator's state advanced by ``start`` outputs, by the compiled PCG64 of
    :mod:`simulation.pcg64`: the same numbers as one stream. Other bit generators
    (and a numpy that :func:`simulation.pcg64.agrees_with_numpy` finds computes
    otherwise) draw with numpy in one span. ``parts`` and ``min_span`` as in
    :func:`spans`.
    """
    import numpy as np

    from simulation import pcg64

    bit_generator = rng.bit_generator
    if not _can_jump(bit_generator):
        return rng.random(out=out)
    state = bit_generator.state
    parts_ = spans(len(out), parts, min_span)
    starts, ends = {}, {}
    jumped = np.random.PCG64(0)  # its seed is overwritten: the state is the run's generator's
    jumped.state = state
    for (start, _), (previous, _) in zip(parts_, [(0, 0), *parts_[:-1]], strict=True):
        jumped.advance(start - previous)
        starts[start] = jumped.state["state"]

    def draw(start: int, stop: int) -> None:
        ends[start] = pcg64.fill(starts[start], out[start:stop])

    run_spans(draw, parts_)
    _move_to(bit_generator, state, ends[parts_[-1][0]])  # the last span ends where one stream would
    return out


#: Uniforms a :class:`SharedUniforms` hands out at a time: about 20 µs of drawing, so that the thread that
#: finishes first waits for the other no longer than that.
SHARED_CHUNK = 32_768


class SharedUniforms:
    """``rng.random(out=out)``, drawn in chunks by any threads that lend a hand: :meth:`prepare` moves the
    generator past the numbers and leaves them to draw; each thread that calls :meth:`help` then takes chunks
    of ``out`` (``chunk`` numbers, default :data:`SHARED_CHUNK`) not yet taken until none is left. The numbers
    are those of one stream: each chunk is drawn from the generator's state jumped ahead to its start
    (:func:`simulation.pcg64.fill_chunks`), in compiled code that holds no GIL. Where the generator cannot jump
    ahead so (:func:`skip_uniforms`), :meth:`prepare` draws them all.

    Next year's draws are drawn ahead this way: a helper starts on them while this year is observed, and the
    caller takes the chunks left when the next year starts.
    """

    def __init__(self, chunk: int = SHARED_CHUNK) -> None:
        if chunk < 1:
            raise ValueError(f"chunk must be a whole number >= 1, got {chunk!r}")
        self.chunk = chunk
        self._job: tuple[Any, ...] | None = None  # fill_chunks' arguments but the counter

    def prepare(self, rng: np.random.Generator, out: np.ndarray) -> np.ndarray:
        """Leave ``rng``'s next ``len(out)`` uniforms to draw into ``out`` (float64, 1-D, contiguous) and move
        ``rng`` as one call ``rng.random(out=out)`` would; ``out``, which is whole once every thread that has
        called :meth:`help` has returned from it (and one has been called)."""
        import numpy as np

        from simulation import pcg64

        bit_generator = rng.bit_generator
        if not _can_jump(bit_generator):
            return rng.random(out=out)
        state = bit_generator.state
        position, increment = state["state"]["state"], state["state"]["inc"]
        near, powers = pcg64.jump_tables(increment)
        self._job = (out, np.zeros(1, dtype=np.int64), self.chunk, np.uint64(position >> 64),
                     np.uint64(position & pcg64.MASK_64), near, powers, pcg64.HALF)
        jumped = np.random.PCG64(0)  # its seed is overwritten: the state is the run's generator's
        jumped.state = state
        jumped.advance(len(out))
        _move_to(bit_generator, state, jumped.state["state"]["state"])
        return out

    def help(self) -> int:
        """Draw chunks not yet taken until none is left to take; the chunks this thread drew."""
        from simulation import pcg64

        return 0 if self._job is None else int(pcg64.fill_chunks(*self._job))

    def close(self) -> None:
        """Leave the chunks not yet taken undrawn: :meth:`help` returns once its chunk is drawn."""
        if self._job is not None:
            self._job[1][0] = 1 << 62


def _can_jump(bit_generator: np.random.BitGenerator) -> bool:
    """Whether the compiled PCG64 (:mod:`simulation.pcg64`) can draw for ``bit_generator``: numpy's PCG64, in a
    numpy whose uniforms it reproduces."""
    import numpy as np

    from simulation import pcg64

    return type(bit_generator) is np.random.PCG64 and pcg64.agrees_with_numpy()


def _move_to(bit_generator: np.random.BitGenerator, state: dict[str, Any], position: int) -> None:
    """Set the 128-bit position of ``bit_generator``, whose state was ``state`` before some uniforms. random()
    neither uses nor changes the buffered 32-bit half-output: the original's is kept."""
    bit_generator.state = {**state, "state": {"state": position, "inc": state["state"]["inc"]}}


def skip_uniforms(rng: np.random.Generator, count: int) -> dict[str, Any] | None:
    """Move ``rng`` past the ``count`` uniforms ``rng.random(count)`` would draw, without drawing them, and return
    its state before them (``bit_generator.state``), from which :func:`uniforms_at` draws any of them; None (and
    ``rng`` unchanged) where the generator cannot jump ahead so (not numpy's PCG64, or a numpy that
    :func:`simulation.pcg64.agrees_with_numpy` finds computes otherwise): the caller draws them instead."""
    import numpy as np

    bit_generator = rng.bit_generator
    if not _can_jump(bit_generator):
        return None
    state = bit_generator.state
    jumped = np.random.PCG64(0)  # its seed is overwritten: the state is the run's generator's
    jumped.state = state
    jumped.advance(count)
    _move_to(bit_generator, state, jumped.state["state"]["state"])
    return state


def uniforms_at(state: dict[str, Any], rows: np.ndarray, n: int, out: np.ndarray, parts: int | None = None,
                min_span: int | None = None) -> np.ndarray:
    """Fill ``out`` (float64, (len(rows), R)) with the uniforms at columns ``rows`` of the ``(R, n)`` block of
    ``rng.random`` draws that starts at the PCG64 ``state`` (from :func:`skip_uniforms`): ``out[j, r]`` is the
    draw at row ``r``, column ``rows[j]``. Several spans of ``rows`` at once; the others are not computed
    (:func:`simulation.pcg64.fill_at`). ``parts`` and ``min_span`` as in :func:`spans`, in numbers drawn."""
    from simulation import pcg64

    minimum = (MIN_SPAN if min_span is None else min_span) // max(out.shape[1], 1)
    run_spans(lambda start, stop: pcg64.fill_at(state["state"], out, rows, n, first=start, stop=stop),
              spans(len(rows), parts, max(minimum, 1)))
    return out
