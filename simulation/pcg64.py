"""numpy's PCG64 uniforms, compiled: the numbers ``Generator.random`` gives, in the same order, about twice as fast.

numpy's PCG64 is PCG XSL RR 128/64 (O'Neill 2014, "PCG: a family of simple
fast space-efficient statistically good algorithms for random number
generation"): a 128-bit linear congruential state, ``state = state *
MULTIPLIER + increment`` (mod 2**128), and from each new state the 64-bit
output ``rotate_right(high ^ low, high >> 58)``. ``Generator.random`` makes a
double of each output: ``(output >> 11) * 2**-53``. :func:`fill` computes the
same, several streams at once (:data:`LANES`), each started at its own place
in the sequence by numpy's own ``PCG64.advance``: one stream's steps wait on
each other's multiplications, several streams' steps overlap in the processor.
The numbers are those of one stream, in order; the generator is left where one
stream would leave it.

Whether this module computes what numpy does is checked once a process
(:func:`agrees_with_numpy`) before it is used, and by tests/test_threads.py; a
numpy that computed ``random`` otherwise would get its own draws instead.
"""

from __future__ import annotations

import functools
from typing import Any

import numpy as np
from llvmlite import ir
from numba import njit, types
from numba.extending import intrinsic

#: The 128-bit multiplier of numpy's PCG64 (PCG's default for 128-bit states), as its high and low 64 bits.
MULTIPLIER_HIGH = np.uint64(2549297995355413924)
MULTIPLIER_LOW = np.uint64(4865540595714422341)
#: Streams drawn at once by :func:`fill`.
LANES = 4
MASK_64 = (1 << 64) - 1


@intrinsic
def _high_product(typingctx: Any, a: Any, b: Any) -> Any:
    """The high 64 bits of the 128-bit product of two uint64 (one multiplication instruction on x86-64 and
    arm64)."""
    signature = types.uint64(types.uint64, types.uint64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        wide = ir.IntType(128)
        product = builder.mul(builder.zext(args[0], wide), builder.zext(args[1], wide))
        return builder.trunc(builder.lshr(product, ir.Constant(wide, 64)), ir.IntType(64))

    return signature, codegen


jit = njit(cache=True, nogil=True)


@njit(cache=True, inline="always")
def _multiply_add(high, low, a_high, a_low, c_high, c_low):
    """``A state + C`` mod 2**128, each in high and low 64-bit halves."""
    new_low = low * a_low
    new_high = _high_product(low, a_low) + low * a_high + high * a_low
    sum_low = new_low + c_low
    carry = np.uint64(1) if sum_low < new_low else np.uint64(0)
    return new_high + c_high + carry, sum_low


@njit(cache=True, inline="always")
def _step(high, low, increment_high, increment_low):
    """``state * MULTIPLIER + increment`` mod 2**128, in high and low 64-bit halves."""
    return _multiply_add(high, low, MULTIPLIER_HIGH, MULTIPLIER_LOW, increment_high, increment_low)


@njit(cache=True, inline="always")
def _double(high, low):
    """The uniform on [0, 1) of a state: XSL RR output, then numpy's ``(output >> 11) * 2**-53``."""
    value = high ^ low
    rotation = high >> np.uint64(58)
    value = (value >> rotation) | (value << ((np.uint64(64) - rotation) & np.uint64(63)))
    return (value >> np.uint64(11)) * (1.0 / 9007199254740992.0)


@jit
def _fill_lanes(out, highs, lows, increment_high, increment_low):
    """Fill ``out`` from the :data:`LANES` states ``highs``/``lows``: lane k draws ``out[k L:(k + 1) L]``,
    ``L = len(out) // LANES``, and the last lane the rest; the lanes' end states are written back."""
    n = len(out)
    span = n // LANES
    h0, l0, h1, l1 = highs[0], lows[0], highs[1], lows[1]
    h2, l2, h3, l3 = highs[2], lows[2], highs[3], lows[3]
    for j in range(span):  # four independent streams a pass
        h0, l0 = _step(h0, l0, increment_high, increment_low)
        out[j] = _double(h0, l0)
        h1, l1 = _step(h1, l1, increment_high, increment_low)
        out[span + j] = _double(h1, l1)
        h2, l2 = _step(h2, l2, increment_high, increment_low)
        out[2 * span + j] = _double(h2, l2)
        h3, l3 = _step(h3, l3, increment_high, increment_low)
        out[3 * span + j] = _double(h3, l3)
    for j in range(LANES * span, n):
        h3, l3 = _step(h3, l3, increment_high, increment_low)
        out[j] = _double(h3, l3)
    highs[0], lows[0], highs[1], lows[1] = h0, l0, h1, l1
    highs[2], lows[2], highs[3], lows[3] = h2, l2, h3, l3


def fill(state: dict[str, Any], out: np.ndarray) -> int:
    """Fill ``out`` (float64, 1-D, contiguous) with the uniforms numpy's PCG64 in ``state`` (its ``state``
    entry: ``{"state": int, "inc": int}``) gives ``Generator.random``; return the 128-bit state after them."""
    span = len(out) // LANES
    highs, lows = np.empty(LANES, dtype=np.uint64), np.empty(LANES, dtype=np.uint64)
    lane = np.random.PCG64(0)  # its seed is overwritten: each lane starts from the state given
    lane.state = {"bit_generator": "PCG64", "state": dict(state), "has_uint32": 0, "uinteger": 0}
    for k in range(LANES):
        if k:
            lane.advance(span)
        start = lane.state["state"]["state"]
        highs[k], lows[k] = start >> 64, start & MASK_64
    increment = state["inc"]
    _fill_lanes(out, highs, lows, np.uint64(increment >> 64), np.uint64(increment & MASK_64))
    return (int(highs[-1]) << 64) | int(lows[-1])


@functools.cache
def agrees_with_numpy() -> bool:
    """Whether :func:`fill` gives this numpy's ``Generator.random`` numbers and end state (checked once)."""
    for seed, n in ((0, 1), (1, 7), (2, 1001)):
        rng = np.random.Generator(np.random.PCG64(seed))
        state = rng.bit_generator.state["state"]
        out = np.empty(n)
        end = fill(state, out)
        if not np.array_equal(out, rng.random(n)) or end != rng.bit_generator.state["state"]["state"]:
            return False
    return True


#: Gaps between wanted outputs that :func:`fill_at` crosses with one affine map from a table; longer gaps take
#: one map per binary digit of the gap.
NEAR = 64


@functools.lru_cache(maxsize=16)
def jump_tables(increment: int) -> tuple[np.ndarray, np.ndarray]:
    """The affine maps ``state -> A state + C`` (mod 2**128) of ``d`` steps of the generator of ``increment``:
    for each ``d`` in ``0 .. NEAR`` (rows of ``near``) and each ``d = 2**k``, k in 0 .. 127 (rows of ``powers``);
    each row is ``(A high, A low, C high, C low)``, uint64."""
    multiplier = (int(MULTIPLIER_HIGH) << 64) | int(MULTIPLIER_LOW)
    modulus = 1 << 128

    def row(a: int, c: int) -> list[int]:
        return [a >> 64, a & MASK_64, c >> 64, c & MASK_64]

    near, a, c = [], 1, 0
    for _ in range(NEAR + 1):
        near.append(row(a, c))
        a, c = a * multiplier % modulus, (c * multiplier + increment) % modulus
    powers, a, c = [], multiplier, increment
    for _ in range(128):
        powers.append(row(a, c))
        a, c = a * a % modulus, (a * c + c) % modulus
    return np.array(near, dtype=np.uint64), np.array(powers, dtype=np.uint64)


@njit(cache=True, inline="always")
def _affine(high, low, table, d):
    """``A state + C`` mod 2**128 for row ``d`` of a table of :func:`jump_tables`."""
    return _multiply_add(high, low, table[d, 0], table[d, 1], table[d, 2], table[d, 3])


@njit(cache=True, inline="always")
def _jump(high, low, d, near, powers):
    """The state ``d`` steps on (d >= 0)."""
    if d <= NEAR:
        return _affine(high, low, near, d)
    k = 0
    while d:
        if d & 1:
            high, low = _affine(high, low, powers, k)
        d >>= 1
        k += 1
    return high, low


@njit(cache=True, inline="always")
def _lane_start(high, low, n, rows, r, column, near, powers):
    """A lane's state at the output of block row ``r``, column ``rows[column]``: the block's start state
    ``high``/``low`` precedes output 0."""
    return _jump(high, low, r * n + rows[column] + 1, near, powers)


@jit
def _fill_at_lanes(out, rows, n, first, stop, high, low, near, powers):
    """``out[j, r]`` = the output at block row ``r``, column ``rows[j]`` of the block whose start state is
    ``high``/``low``, for the columns ``first <= j < stop`` of every block row (see :func:`fill_at`).

    :data:`LANES` block rows at a time, one stream each, jumping from one wanted column to the next: the
    streams' jumps have the same length, so one row of the table serves the four, and the four do not wait on
    each other. A last row or rows are done one at a time."""
    n_rows = out.shape[1]
    r = 0
    while r + LANES <= n_rows:
        h0, l0 = _lane_start(high, low, n, rows, r, first, near, powers)
        h1, l1 = _lane_start(high, low, n, rows, r + 1, first, near, powers)
        h2, l2 = _lane_start(high, low, n, rows, r + 2, first, near, powers)
        h3, l3 = _lane_start(high, low, n, rows, r + 3, first, near, powers)
        for c in range(first, stop):
            if c > first:
                d = rows[c] - rows[c - 1]
                h0, l0 = _jump(h0, l0, d, near, powers)
                h1, l1 = _jump(h1, l1, d, near, powers)
                h2, l2 = _jump(h2, l2, d, near, powers)
                h3, l3 = _jump(h3, l3, d, near, powers)
            out[c, r] = _double(h0, l0)
            out[c, r + 1] = _double(h1, l1)
            out[c, r + 2] = _double(h2, l2)
            out[c, r + 3] = _double(h3, l3)
        r += LANES
    for last in range(r, n_rows):
        h0, l0 = _lane_start(high, low, n, rows, last, first, near, powers)
        for c in range(first, stop):
            if c > first:
                h0, l0 = _jump(h0, l0, rows[c] - rows[c - 1], near, powers)
            out[c, last] = _double(h0, l0)


def fill_at(state: dict[str, Any], out: np.ndarray, rows: np.ndarray, n: int, first: int = 0,
            stop: int | None = None) -> None:
    """The uniforms at chosen columns of a block of ``R x n`` of numpy PCG64's ``Generator.random`` outputs (row
    by row), into ``out`` (float64, (len(rows), R): ``out[j, r]`` is the output at row ``r``, column ``rows[j]``),
    without computing the others.

    ``state`` (its ``state`` entry, ``{"state": int, "inc": int}``) is the generator's at the block's start;
    ``rows`` are increasing, in ``[0, n)``. The columns ``rows[first:stop]`` (default: all) are written, in every
    row. Each wanted output is reached from the one before in its row by jumping the generator ahead (one 128-bit
    multiply-add, as one step).
    """
    stop = len(rows) if stop is None else stop
    if stop <= first:
        return
    near, powers = jump_tables(state["inc"])
    start = state["state"]
    _fill_at_lanes(out, rows, n, first, stop, np.uint64(start >> 64), np.uint64(start & MASK_64), near, powers)


@intrinsic
def _take_ticket(typingctx: Any, counter: Any) -> Any:
    """Add 1 to the int64 ``counter[0]`` atomically and return its value before: each thread that calls this at the
    same time gets its own number."""
    signature = types.int64(counter)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        array = context.make_array(sig.args[0])(context, builder, args[0])
        return builder.atomic_rmw("add", array.data, ir.Constant(ir.IntType(64), 1), "seq_cst")

    return signature, codegen


@jit
def fill_chunks(out, counter, chunk, high, low, increment_high, increment_low, near, powers):
    """Fill chunks of ``out`` with the uniforms of the PCG64 state ``high``/``low`` (as :func:`fill`), one chunk
    of ``chunk`` numbers at a time, for as long as ``counter`` (int64, shared by the threads that call this at the
    same time) gives out chunks not yet taken: each chunk is drawn by one thread, from the state jumped ahead to
    its start. Returns the chunks this thread drew."""
    n = len(out)
    n_chunks = (n + chunk - 1) // chunk
    highs, lows = np.empty(LANES, dtype=np.uint64), np.empty(LANES, dtype=np.uint64)
    drawn = 0
    while True:
        k = _take_ticket(counter)
        if k >= n_chunks:
            return drawn
        start, stop = k * chunk, min((k + 1) * chunk, n)
        span = (stop - start) // LANES
        for lane in range(LANES):
            highs[lane], lows[lane] = _jump(high, low, start + lane * span, near, powers)
        _fill_lanes(out[start:stop], highs, lows, increment_high, increment_low)
        drawn += 1
