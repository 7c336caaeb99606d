"""numpy's PCG64 uniforms, compiled: the numbers ``Generator.random`` gives, in the same order, several times as fast.

numpy's PCG64 is PCG XSL RR 128/64 (O'Neill 2014, "PCG: a family of simple
fast space-efficient statistically good algorithms for random number
generation"): a 128-bit linear congruential state, ``state = state *
MULTIPLIER + increment`` (mod 2**128), and from each new state the 64-bit
output ``rotate_right(high ^ low, high >> 58)``. ``Generator.random`` makes a
double of each output: ``(output >> 11) * 2**-53``. :func:`fill` computes the
same in :data:`STREAMS` streams: stream j gives the outputs j, j + STREAMS,
j + 2 STREAMS, ..., stepping by the affine map of STREAMS steps (``A state +
C``, mod 2**128, as :func:`jump_tables` makes them), so that the outputs of a
step of all streams are consecutive. The processor's vector instructions step
:data:`VECTOR` streams at once (:func:`_step_streams`), and the streams' steps
do not wait on each other. The numbers are those of one stream, in order; the
generator is left where one stream would leave it.

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
#: Streams drawn at once by :func:`fill_at` (four block rows).
LANES = 4
#: Streams in one vector of the processor (eight 64-bit lanes: 512 bits), and streams drawn at once by
#: :func:`fill` (four vectors: the steps of one wait on its multiplications, the others' fill the wait).
VECTOR, STREAMS = 8, 32
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
def _double(high, low):
    """The uniform on [0, 1) of a state: XSL RR output, then numpy's ``(output >> 11) * 2**-53``."""
    value = high ^ low
    rotation = high >> np.uint64(58)
    value = (value >> rotation) | (value << ((np.uint64(64) - rotation) & np.uint64(63)))
    return (value >> np.uint64(11)) * (1.0 / 9007199254740992.0)


def fill(state: dict[str, Any], out: np.ndarray) -> int:
    """Fill ``out`` (float64, 1-D, contiguous) with the uniforms numpy's PCG64 in ``state`` (its ``state``
    entry: ``{"state": int, "inc": int}``) gives ``Generator.random``; return the 128-bit state after them."""
    near, powers = jump_tables(state["inc"])
    start = state["state"]
    high, low = _fill_from(out, np.uint64(start >> 64), np.uint64(start & MASK_64), near, powers, HALF)
    return (int(high) << 64) | int(low)


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


#: 32, half the bits of an output, passed to the compiled code as a value: given the constant, the compiler
#: recognizes the high half of a 64 x 64-bit product in :func:`_step_streams` and computes it one lane at a time.
HALF = np.uint64(32)


def _lanes(builder: Any, value: Any) -> Any:
    """A vector of :data:`VECTOR` copies of a uint64."""
    vector = ir.Constant(ir.VectorType(ir.IntType(64), VECTOR), [0] * VECTOR)
    for j in range(VECTOR):
        vector = builder.insert_element(vector, value, ir.Constant(ir.IntType(32), j))
    return vector


@intrinsic
def _step_streams(typingctx: Any, highs: Any, lows: Any, out: Any, first: Any, place: Any, a_high: Any,
                  a_low: Any, c_high: Any, c_low: Any, half: Any) -> Any:
    """For the :data:`VECTOR` streams from ``first`` (states ``highs``/``lows``, uint64 arrays): write the uniform
    of each stream's state to ``out[place:place + VECTOR]``, then step each state by the map ``A state + C`` (mod
    2**128), in vector instructions. ``half`` is :data:`HALF`. The arithmetic of :func:`_double` and
    :func:`_multiply_add`, the high half of ``low * A low`` from four products of 32-bit halves."""
    if getattr(out, "layout", None) != "C" or getattr(highs, "layout", None) != "C":
        return None
    signature = types.void(highs, lows, out, types.intp, types.intp, types.uint64, types.uint64, types.uint64,
                           types.uint64, types.uint64)

    def codegen(context: Any, builder: Any, sig: Any, args: Any) -> Any:
        words = ir.VectorType(ir.IntType(64), VECTOR)
        doubles = ir.VectorType(ir.DoubleType(), VECTOR)

        def each(value: int) -> Any:
            return ir.Constant(words, [value] * VECTOR)

        def at(array_type: Any, array: Any, index: Any, vector: Any) -> Any:
            data = context.make_array(array_type)(context, builder, array).data
            return builder.bitcast(builder.gep(data, [index]), vector.as_pointer())

        high_at, low_at = at(sig.args[0], args[0], args[3], words), at(sig.args[1], args[1], args[3], words)
        out_at = at(sig.args[2], args[2], args[4], doubles)
        high, low = builder.load(high_at, align=8), builder.load(low_at, align=8)
        # The uniform of each state (_double).
        value = builder.xor(high, low)
        rotation = builder.lshr(high, each(58))
        left = builder.and_(builder.sub(each(64), rotation), each(63))
        value = builder.or_(builder.lshr(value, rotation), builder.shl(value, left))
        uniform = builder.uitofp(builder.lshr(value, each(11)), doubles)
        builder.store(builder.fmul(uniform, ir.Constant(doubles, [1.0 / 9007199254740992.0] * VECTOR)), out_at,
                      align=8)
        # The next state (_multiply_add).
        a_high, a_low, c_high, c_low, half = (_lanes(builder, value) for value in args[5:10])
        mask = each(0xFFFFFFFF)
        low_0, low_1 = builder.and_(low, mask), builder.lshr(low, each(32))
        a_0, a_1 = builder.and_(a_low, mask), builder.lshr(a_low, each(32))
        p_00, p_01 = builder.mul(low_0, a_0), builder.mul(low_0, a_1)
        p_10, p_11 = builder.mul(low_1, a_0), builder.mul(low_1, a_1)
        middle = builder.add(builder.add(builder.lshr(p_00, half), builder.and_(p_01, mask)), builder.and_(p_10, mask))
        high_product = builder.add(builder.add(p_11, builder.lshr(p_01, half)), builder.lshr(p_10, half))
        high_product = builder.add(high_product, builder.lshr(middle, half))
        new_low = builder.mul(low, a_low)
        new_high = builder.add(builder.add(high_product, builder.mul(low, a_high)), builder.mul(high, a_low))
        sum_low = builder.add(new_low, c_low)
        carry = builder.zext(builder.icmp_unsigned("<", sum_low, new_low), words)
        builder.store(builder.add(builder.add(new_high, c_high), carry), high_at, align=8)
        builder.store(sum_low, low_at, align=8)
        return context.get_dummy_value()

    return signature, codegen


@jit
def _fill_from(out, high, low, near, powers, half):
    """Fill ``out`` (contiguous) with the uniforms that follow the state ``high``/``low``, in :data:`STREAMS`
    streams (see the module's docstring); the state after them. ``near``/``powers``: :func:`jump_tables`;
    ``half``: :data:`HALF`."""
    n = len(out)
    highs, lows = np.empty(STREAMS, dtype=np.uint64), np.empty(STREAMS, dtype=np.uint64)
    for j in range(STREAMS):  # stream j's state gives output j
        highs[j], lows[j] = _jump(high, low, j + 1, near, powers)
    a_high, a_low, c_high, c_low = near[STREAMS, 0], near[STREAMS, 1], near[STREAMS, 2], near[STREAMS, 3]
    steps = n // STREAMS
    for k in range(steps):
        for first in range(0, STREAMS, VECTOR):
            _step_streams(highs, lows, out, first, k * STREAMS + first, a_high, a_low, c_high, c_low, half)
    for j in range(n - steps * STREAMS):
        out[steps * STREAMS + j] = _double(highs[j], lows[j])
    return _jump(high, low, n, near, powers)


@jit
def fill_chunks(out, counter, chunk, high, low, near, powers, half):
    """Fill chunks of ``out`` with the uniforms of the PCG64 state ``high``/``low`` (as :func:`fill`), one chunk
    of ``chunk`` numbers at a time, for as long as ``counter`` (int64, shared by the threads that call this at the
    same time) gives out chunks not yet taken: each chunk is drawn by one thread, from the state jumped ahead to
    its start. ``near``/``powers``: :func:`jump_tables`; ``half``: :data:`HALF`. Returns the chunks this thread
    drew."""
    n = len(out)
    n_chunks = (n + chunk - 1) // chunk
    drawn = 0
    while True:
        k = _take_ticket(counter)
        if k >= n_chunks:
            return drawn
        start, stop = k * chunk, min((k + 1) * chunk, n)
        chunk_high, chunk_low = _jump(high, low, start, near, powers)
        _fill_from(out[start:stop], chunk_high, chunk_low, near, powers, half)
        drawn += 1
