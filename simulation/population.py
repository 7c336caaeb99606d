"""The researchers as a structure of arrays, and the random draws that create them.

Row ``i`` of every array is one researcher; rows stay in order of entry (id).
Both engines start from :func:`empty_population` and create researchers with
:func:`draw_cohort`, so they consume the same random numbers in the same order.
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from simulation import threads
from simulation.careers import ACADEMIA, STUDENT
from simulation.schema import Config
from simulation.world import World


@dataclass
class Population:
    """Researchers' state; every field has one row per researcher."""

    id: np.ndarray  # int64, unique, increasing
    origin: np.ndarray  # int8 country index
    country: np.ndarray  # int8 country index where they are
    sector: np.ndarray  # int8 ACADEMIA or INDUSTRY
    stage: np.ndarray  # int8 index in STAGES
    years_in_stage: np.ndarray  # int16 years
    career_age: np.ndarray  # int16 years since entry
    years_in_place: np.ndarray  # int16 years in the current country
    ln_talent: np.ndarray  # float64 log talent (0 = median at entry)
    desired_hours: np.ndarray  # float64 hours a week wanted in an ordinary week (persistent)
    employer_rank: np.ndarray  # float64 in [0, 1): a cap covering a share s of employees binds those below s
    country_taste: np.ndarray  # float64 (n, C) persistent taste for each country, utils
    industry_taste: np.ndarray  # float64 persistent taste for industry over academia, utils
    phd_country: np.ndarray  # int8, -1 before the PhD is done
    phd_year: np.ndarray  # int16 calendar year the PhD ended, -1 before
    moved: np.ndarray  # bool: changed country this year
    support: np.ndarray  # float64 policy support received this year, million KRW
    exempt: np.ndarray  # bool: exempt from the working-hour cap this year
    contract_amount: np.ndarray  # float64 (n, levers) million KRW a year per lever
    contract_left: np.ndarray  # int16 (n, levers) years left per lever

    def __len__(self) -> int:
        return len(self.id)

    def take(self, rows: np.ndarray) -> Population:
        """The researchers at ``rows`` (an index or a boolean mask), as a new Population."""
        index = np.flatnonzero(rows) if rows.dtype == bool else rows
        return Population(**{name: _take_rows(getattr(self, name), index) for name in FIELDS})

    def compact(self, rows: np.ndarray) -> Population:
        """The researchers at ``rows`` (an index or a boolean mask), like :meth:`take`, but into kept memory.

        The rows go into a second set of arrays kept for the purpose (made on
        first use), and the arrays they leave become that set for the next
        compaction: year after year nothing is allocated, and the room behind
        the rows takes the next :meth:`extend`. The next compaction writes
        over this population's arrays; keep the returned population.
        """
        index = _row_index(rows, len(self))
        k = len(index)
        room, spare = getattr(self, "_room", {}), getattr(self, "_spare", {})
        arrays, new_room, new_spare = {}, {}, {}
        for name in FIELDS:
            mine = getattr(self, name)
            target = spare.get(name)
            if target is None or len(target) < k:
                target = _buffer(mine, k)
            arrays[name] = target[:k]
            new_room[name] = target
            if _is_front(mine, room.get(name)):
                new_spare[name] = room[name]

        def span(start: int, stop: int) -> None:  # rows of the kept researchers, in every array
            for name in FIELDS:
                _take_rows(getattr(self, name), index[start:stop], out=arrays[name][start:stop])

        threads.each(span, k)
        return _with_memory(arrays, new_room, new_spare, handed_over_by=self)

    def extend(self, other: Population) -> Population:
        """This population followed by ``other``.

        After :meth:`compact`, ``other`` is written into the room behind this
        population's rows and the result shares this population's memory;
        otherwise all rows are copied into new arrays, with room to spare.
        """
        n, k = len(self), len(other)
        room = getattr(self, "_room", {})
        arrays, buffers = {}, {}
        for name in FIELDS:
            mine = getattr(self, name)
            buffer = room.get(name)
            if not _is_front(mine, buffer) or len(buffer) < n + k:
                buffer = _buffer(mine, n + k)
                buffer[:n] = mine
            buffer[n:n + k] = getattr(other, name)
            arrays[name], buffers[name] = buffer[:n + k], buffer
        return _with_memory(arrays, buffers, getattr(self, "_spare", {}), handed_over_by=self)


#: Names of the fields of :class:`Population`, in order.
FIELDS: tuple[str, ...] = tuple(f.name for f in fields(Population))
#: Arrays made by :meth:`Population.extend` and :meth:`Population.compact` get room for 1/SPARE more rows.
SPARE = 4


def _row_index(rows: np.ndarray, n: int) -> np.ndarray:
    """Row numbers from a boolean mask or an index, checked to lie in ``[0, n)``."""
    if rows.dtype == bool:
        return np.flatnonzero(rows)
    if len(rows) and (rows.min() < 0 or rows.max() >= n):
        raise IndexError(f"rows must lie in [0, {n}), got {rows.min()} to {rows.max()}")
    return rows


def _take_rows(array: np.ndarray, index: np.ndarray, out: np.ndarray | None = None) -> np.ndarray:
    """``array[index]`` along the first axis, into ``out`` if given.

    np.take copies rows of (n, k) arrays several times faster than fancy or
    boolean indexing, but is slow on arrays with no columns (no levers: (n, 0)).
    """
    if 0 in array.shape[1:]:
        return out if out is not None else np.empty((len(index), *array.shape[1:]), dtype=array.dtype)
    if out is None:
        return np.take(array, index, axis=0)
    # The index is valid (see _row_index); numpy's default mode, "raise", would go through a temporary.
    return np.take(array, index, axis=0, out=out, mode="wrap")


def _buffer(like: np.ndarray, rows: int) -> np.ndarray:
    """An empty array like ``like`` with ``rows`` rows and room for 1/SPARE more."""
    return np.empty((rows + rows // SPARE, *like.shape[1:]), dtype=like.dtype)


def _is_front(array: np.ndarray, buffer: np.ndarray | None) -> bool:
    """Whether ``array`` is a view of the first rows of ``buffer`` (the only views of a buffer made here)."""
    return buffer is not None and (array.base is buffer or array is buffer)


def _with_memory(arrays: dict[str, np.ndarray], room: dict[str, np.ndarray], spare: dict[str, np.ndarray],
                 handed_over_by: Population) -> Population:
    """A Population of ``arrays``, each the front of its ``room`` buffer, and a ``spare`` set for compaction.

    The memory passes from ``handed_over_by`` to the new population: a second
    extend or compaction of the old one copies instead of writing over the new one.
    """
    pop = Population(**arrays)
    # Not dataclass fields: bookkeeping of memory, not state of researchers.
    pop._room, pop._spare = room, spare
    handed_over_by._room, handed_over_by._spare = {}, {}
    return pop


def _blank(n: int, n_levers: int, first_id: int) -> dict[str, np.ndarray]:
    return {
        "id": np.arange(first_id, first_id + n, dtype=np.int64),
        "phd_country": np.full(n, -1, dtype=np.int8),
        "phd_year": np.full(n, -1, dtype=np.int16),
        "moved": np.zeros(n, dtype=bool),
        "support": np.zeros(n),
        "exempt": np.zeros(n, dtype=bool),
        "contract_amount": np.zeros((n, n_levers)),
        "contract_left": np.zeros((n, n_levers), dtype=np.int16),
    }


def draw_cohort(rng: np.random.Generator, n: int, config: Config, world: World, first_id: int,
                n_levers: int) -> Population:
    """A new cohort of ``n`` students of the origin country, starting in its academia.

    Draws, in this order: log talent, ordinary desired hours, employer rank, a
    persistent taste for each country, a persistent taste for industry.
    """
    ln_talent = config.talent.sigma * rng.standard_normal(n)
    mean, sd = config.desired_hours()
    desired = np.clip(mean + sd * rng.standard_normal(n), 0.0, 100.0)
    employer_rank = rng.random(n)
    country_taste = config.preferences.country_taste_sd * rng.standard_normal((n, world.n_countries))
    industry_taste = config.preferences.sector_taste_sd * rng.standard_normal(n)
    return Population(
        origin=np.full(n, world.origin, dtype=np.int8),
        country=np.full(n, world.origin, dtype=np.int8),
        sector=np.full(n, ACADEMIA, dtype=np.int8),
        stage=np.full(n, STUDENT, dtype=np.int8),
        years_in_stage=np.zeros(n, dtype=np.int16),
        career_age=np.zeros(n, dtype=np.int16),
        years_in_place=np.zeros(n, dtype=np.int16),
        ln_talent=ln_talent,
        desired_hours=desired,
        employer_rank=employer_rank,
        country_taste=country_taste,
        industry_taste=industry_taste,
        **_blank(n, n_levers, first_id),
    )


def empty_population(n_countries: int, n_levers: int) -> Population:
    """A population with no researchers (the start of the spin-up)."""
    cohort = {name: np.zeros(0, dtype=dtype) for name, dtype in (
        ("origin", np.int8), ("country", np.int8), ("sector", np.int8), ("stage", np.int8),
        ("years_in_stage", np.int16), ("career_age", np.int16), ("years_in_place", np.int16),
        ("ln_talent", np.float64), ("desired_hours", np.float64), ("employer_rank", np.float64),
        ("industry_taste", np.float64))}
    return Population(country_taste=np.zeros((0, n_countries)), **cohort, **_blank(0, n_levers, 0))


@dataclass(frozen=True)
class YearDraws:
    """The random numbers every researcher gets at the start of a year.

    Everyone gets the decision draws too, whether they decide or not, so that
    a researcher's draws do not depend on who else decides: two policy arms
    run with the same seed give each researcher the same noise (common random
    numbers at the level of the person).
    """

    exit_u: np.ndarray  # (n,) uniform; exit if below the stage's hazard
    advance_u: np.ndarray  # (n,) uniform; the stage ends (after its minimum) if below its chance
    offer_u: np.ndarray  # (n, A) uniform; an offer of the alternative if below its probability
    noise_u: np.ndarray | None  # (n, A) uniform; the yearly taste shock of each alternative (see gumbel_noise)
    #: With ``tastes_later``: the taste shocks' uniforms, drawn for those who decide (noise_u is then None).
    tastes: TasteDraws | None = None


@dataclass(frozen=True)
class TasteDraws:
    """The uniforms of the year's taste shocks (the last block of :func:`draw_year`), drawn for the researchers who
    decide when they are known: the numbers of ``noise_u`` at their rows, without computing the others'.

    ``state`` is the PCG64 generator's state at the block's start (:func:`simulation.threads.skip_uniforms`);
    where the generator cannot jump ahead (None), ``block`` holds the whole block, drawn with the others.
    """

    n: int
    n_alternatives: int
    state: dict | None
    block: np.ndarray | None  # (A, n)

    def at(self, rows: np.ndarray, space: np.ndarray | None = None) -> np.ndarray:
        """The uniforms of the researchers at ``rows`` (increasing), (len(rows), A): ``noise_u[rows]``; drawn
        into ``space`` if given (float64, 1-D, at least len(rows) x A; the result is a view of it)."""
        shape = (len(rows), self.n_alternatives)
        out = np.empty(shape) if space is None else space[:shape[0] * shape[1]].reshape(shape)
        if self.block is not None:
            out[...] = np.take(self.block, rows, axis=1).T
            return out
        return threads.uniforms_at(self.state, rows, self.n, out)


def draw_size(n: int, n_alternatives: int) -> int:
    """How many uniforms :func:`draw_year` takes for ``n`` researchers."""
    return n * (2 + 2 * n_alternatives)


def draw_year(rng: np.random.Generator, n: int, n_alternatives: int, space: np.ndarray | None = None,
              tastes_later: bool = False, parts: int | None = None,
              shared: threads.SharedUniforms | None = None) -> YearDraws:
    """This year's uniforms for ``n`` researchers, in a fixed order: exit, stage end, offers, noise.

    ``space``, if given, is a float64 array of at least :func:`draw_size` to
    draw into (reused year after year, it spares the allocation); the draws
    are then views of it. ``tastes_later``: the noise block is skipped and left
    to ``tastes`` (:class:`TasteDraws`), which draws the numbers of the rows
    asked for. Either way the numbers, and the generator's state after them, are the same. ``parts``: spans
    drawn at once (:func:`simulation.threads.uniforms`). ``shared``: left to draw instead by the threads that
    lend a hand (:meth:`simulation.threads.SharedUniforms.prepare`); the draws are whole once they have.
    """
    size = draw_size(n, n_alternatives)
    offers_end = n * (2 + n_alternatives)
    space = space[:size] if space is not None else np.empty(size)
    first = space[:offers_end if tastes_later else size]
    u = threads.uniforms(rng, first, parts=parts) if shared is None else shared.prepare(rng, first)
    # Alternative-major blocks, viewed as (n, A): see simulation.choice on layout.
    exit_u, advance_u, offer_u = u[:n], u[n:2 * n], u[2 * n:offers_end].reshape(n_alternatives, n).T
    if not tastes_later:
        return YearDraws(exit_u, advance_u, offer_u, noise_u=u[offers_end:size].reshape(n_alternatives, n).T)
    state = threads.skip_uniforms(rng, size - offers_end)
    block = None
    if state is None:  # a generator that cannot jump: the block is drawn now
        block = threads.uniforms(rng, space[offers_end:size], parts=parts).reshape(n_alternatives, n)
    return YearDraws(exit_u, advance_u, offer_u, noise_u=None, tastes=TasteDraws(n, n_alternatives, state, block))


def gumbel_noise(noise_u: np.ndarray) -> np.ndarray:
    """Standard Gumbel noise from uniforms by inversion: ``-ln(-ln u)``."""
    noise = np.maximum(noise_u, 1e-300)  # then in place: the same operations, without temporaries
    np.log(noise, out=noise)
    np.negative(noise, out=noise)
    np.log(noise, out=noise)
    return np.negative(noise, out=noise)
