"""Compiled loops of the vectorized engine's year: each takes one pass over the researchers.

numba compiles each function to machine code on its first call and caches the
code in ``__pycache__``, so that later processes load it. Within a loop a
researcher goes through the formula the matching function of
:mod:`simulation.behaviour` or :mod:`simulation.observe` documents, with the
floating-point operations of the pure numpy functions of :mod:`simulation.choice`,
:mod:`simulation.lifecycle`, :mod:`simulation.mentors` and :mod:`simulation.hours`
in the same order, so that each value has the same bits (tests/test_loops.py).
The exponentials and logarithms over whole arrays (the offers' chances, pay's
talent factor, the taste shocks, talent) are numpy's, computed before a loop and
passed in: numpy's SIMD loops compute them several times faster than one call a
value. The loops' own (the log and power of a curved utility of income) are the
C library's, as in the agent engine (:mod:`simulation.agents`), and may differ
from numpy's in the last bit, which decides a choice only between two utilities
that agree to about 1e-16 of their size.

Each loop reads and writes the population's arrays in row order. Loops that
gather from small tables by stage or country do so in a first pass and leave the
arithmetic to a second, which the compiler turns into SIMD instructions.

Arrays of alternatives are passed alternative-major, as (A, n) arrays (the
transposes of the (n, A) arrays of :mod:`simulation.behaviour`), but for the
deciders' (:func:`open_posts` and :func:`choose`), which are (m, A); ``rows``
index the researchers of the population's arrays a loop is about.

Units: pay in million KRW a year, hours in hours a week, utilities in utils.
"""

from __future__ import annotations

import math

import numpy as np
from numba import njit

from simulation.careers import ACADEMIA, INDUSTRY, PHD, POSTDOC, SENIOR
from simulation.choice import INCOME_REFERENCE
from simulation.hours import REFERENCE_HOURS

jit = njit(cache=True, nogil=True, error_model="numpy")


@jit
def is_trainee(stage: int, sector: int) -> bool:
    """Whether a researcher trains under a mentor (:func:`simulation.mentors.is_trainee`)."""
    return (stage < POSTDOC) | ((stage == POSTDOC) & (sector == ACADEMIA))  # no branch: see age


@jit
def age(stage, sector, country, years_in_stage, career_age, years_in_place, ln_talent, phd_country, phd_year,
        moved, support, exit_u, advance_u, mentor_quality, lab_cut, lab_gain, training_gain, exit_hazard, min_years,
        advance_p, max_career_age, year, transition, leaving):
    """Train, age and advance every researcher by a year, in place (:func:`simulation.behaviour.age_one_year`),
    and write whether each made a stage transition and whether each leaves research into ``transition`` and
    ``leaving``, (n,) bool."""
    for i in range(len(stage)):  # without branches: the processor need not guess who trains, leaves or advances
        s, c = stage[i], country[i]
        trainee = is_trainee(s, sector[i])
        quality = mentor_quality[c] + (lab_gain[c] if ln_talent[i] >= lab_cut[c] else 0.0)
        ln_talent[i] += training_gain * quality if trainee else 0.0
        leaving[i] = (exit_u[i] < exit_hazard[s]) | (career_age[i] >= max_career_age)
        years = years_in_stage[i] + 1
        done = (years >= min_years[s]) & (advance_u[i] < advance_p[s]) & (s < SENIOR)
        transition[i] = done
        graduate = done & (s == PHD)
        phd_country[i] = c if graduate else phd_country[i]
        phd_year[i] = year if graduate else phd_year[i]
        stage[i] = s + 1 if done else s
        years_in_stage[i] = 0 if done else years
        career_age[i] += 1
        years_in_place[i] += 1
        moved[i] = False
        support[i] = 0.0


@jit
def open_bits(stage_allows):
    """By stage, the posts open at it as the bits of a whole number: bit a set if ``stage_allows[stage, a]``."""
    bits = np.zeros(len(stage_allows), dtype=np.int64)
    for s in range(len(stage_allows)):
        for a in range(stage_allows.shape[1]):
            bits[s] |= np.int64(stage_allows[s, a]) << a
    return bits


@jit
def offer_exponents(ln_talent, stage, transition, talent_sigma, minus_slope, intercept, stage_shift, transition_shift,
                    stage_allows, out, allowed):
    """``-eta`` of :func:`simulation.choice.offer_probability` for each alternative and researcher, into ``out``
    (A, n): ``-slope z - intercept - (shift[stage] + transition_shift [transition])``, z = ln_talent / talent_sigma;
    and the posts ``stage_allows`` (stage, A) allows at each researcher's stage, as the bits of ``allowed`` (n,)
    (:func:`open_bits`). A post not allowed gets 0 (:func:`offers` holds none of them: numpy's exponential of an
    infinite exponent, a chance of 0, takes a slow path)."""
    n_alt, n = out.shape
    bits = open_bits(stage_allows)
    shift = np.empty(n)
    for i in range(n):
        s = stage[i]
        shift[i] = stage_shift[s] + transition_shift * (1.0 if transition[i] else 0.0)
        allowed[i] = bits[s]
    for a in range(n_alt):
        for i in range(n):  # arithmetic only: compiled to SIMD instructions
            minus_eta = minus_slope[a] * (ln_talent[i] / talent_sigma)
            minus_eta -= intercept[a]
            minus_eta -= shift[i]
            out[a, i] = minus_eta if (allowed[i] >> a) & 1 else 0.0
    return out


@jit
def offers(exp_minus_eta, offer_u, country, sector, allowed, n_sectors, start, held, offered):
    """The offers each researcher holds, into ``held`` (A, n), and whether they hold one of a post other than
    their own, into ``offered`` (n,) (:func:`simulation.behaviour.offers_held`): a draw of ``offer_u`` (A, start +
    n or more; the columns from ``start`` on are these researchers') below the offer's chance
    ``1 / (1 + exp(-eta))``, from ``exp(-eta)`` (A, n), at the posts open at the researcher's stage (bits of
    ``allowed``, from :func:`offer_exponents`; a chance of 0 elsewhere)."""
    n_alt, n = exp_minus_eta.shape
    offered[:] = False
    for a in range(n_alt):
        draws = offer_u[a, start:start + n]  # contiguous: the loop below stays SIMD
        for i in range(n):  # compiled to SIMD instructions
            hit = (draws[i] < 1.0 / (exp_minus_eta[a, i] + 1.0)) & ((allowed[i] >> a) & 1 == 1)
            held[a, i] = hit
            offered[i] |= hit & (country[i] * n_sectors + sector[i] != a)


@jit
def open_posts(rows, origin, country, sector, stage, held, transition, home_posts, n_sectors, available):
    """The posts each researcher at ``rows`` may choose, into ``available`` (len(rows), A), decider-major as
    :func:`choose` reads it
    (:func:`simulation.behaviour.open_alternatives`): those held (``held``, (A, n)), and their own post, or at a
    stage transition every post of their origin country open at the new stage (``home_posts``, (C, stage, A))."""
    n_alt = held.shape[0]
    for j in range(len(rows)):
        i = rows[j]
        for a in range(n_alt):
            available[j, a] = held[a, i]
        if transition[i]:
            for a in range(n_alt):
                available[j, a] |= home_posts[origin[i], stage[i], a]
        else:
            available[j, country[i] * n_sectors + sector[i]] = True


@jit
def income_utility(income: float, curvature: float) -> float:
    """:func:`simulation.choice.income_utility` of one income (million KRW a year), in units of the wage weight."""
    x = income / INCOME_REFERENCE
    if curvature == 0.0:
        return x - 1.0
    if curvature == 1.0:
        return math.log(x)
    return (x ** (1.0 - curvature) - 1.0) / (1.0 - curvature)


@jit
def talent_exponents(rows, ln_talent, convexity, out):
    """``convexity[a] * ln_talent[rows[j]]`` into ``out[j, a]`` (m, A), decider-major: the exponent of pay's
    talent factor (:func:`simulation.choice.pay`) in each alternative, which numpy exponentiates in one pass."""
    for j in range(len(rows)):
        x = ln_talent[rows[j]]
        for a in range(len(convexity)):
            out[j, a] = convexity[a] * x
    return out


@jit
def choose(rows, origin, country, sector, stage, years_in_place, ln_talent, desired_hours, employer_rank,
           country_taste, industry_taste, talent_pay, minus_shock, wage_bonus, exempt, available, alt_country,
           alt_sector, pay_table, cap_table, coverage, mentor_table, quality, lab_cut_table, lab_gain, network,
           home_table, wage, curvature, hours, peak_share, peak_extra, moving_cost, tie_growth, sector_switch_cost,
           chosen):
    """The alternative each researcher at ``rows`` chooses, into ``chosen`` (m,): the open one (``available``,
    (m, A)) of highest utility plus its Gumbel taste shock, ``-minus_shock`` (m, A)
    (:func:`simulation.behaviour.choose_alternatives`).

    The arrays of the deciders' alternatives are decider-major, (m, A), unlike those of the other loops: a
    decider's alternatives are then read from one place in memory, not one from each of A streams.

    Income is ``pay_table[stage, a] * talent_pay[j, a]`` (:func:`simulation.choice.pay`; ``talent_pay`` is
    ``exp(convexity * ln_talent)``, (m, A)) plus ``wage_bonus`` (m, A); ``exempt`` (m, A) lifts the hours cap.
    Per stage and alternative: ``pay_table`` (pay at median entry talent), ``cap_table`` (the cap, inf where none
    binds the stage), ``mentor_table`` (the mentor weight: training or working), ``lab_cut_table`` (the star labs'
    talent cut, inf where the stage would not train in one); per alternative: ``coverage`` (share of employers
    the cap covers), ``quality`` (mentor quality), ``lab_gain``, ``network`` (the network term, utils);
    ``home_table`` (origin, A) the home weight where the post is at home.

    Returns whether the utility of every open post was finite.
    """
    n_alt = len(alt_country)
    finite = True
    for j in range(len(rows)):
        i = rows[j]
        s, c_now, sector_now, o = stage[i], country[i], sector[i], origin[i]
        talent, desired, rank = ln_talent[i], desired_hours[i], employer_rank[i]
        move_cost = moving_cost * (1.0 + tie_growth * years_in_place[i])
        best = -np.inf
        pick = 0
        for a in range(n_alt):
            if not available[j, a]:  # only open posts are weighed (and, as in the agent engine, checked)
                continue
            c = alt_country[a]
            income = pay_table[s, a] * talent_pay[j, a] + wage_bonus[j, a]
            # simulation.hours.cap_cut under the cap that binds (inf: none, and the cut is 0)
            cap = cap_table[s, a] if rank < coverage[a] and not exempt[j, a] else np.inf
            ordinary = max(desired - cap, 0.0)
            peak = max(desired + peak_extra - cap, 0.0)
            cut = (1.0 - peak_share) * ordinary + peak_share * peak
            mentor = quality[a] + (lab_gain[a] if talent >= lab_cut_table[s, a] else 0.0)
            taste = country_taste[i, c] + (industry_taste[i] if alt_sector[a] == INDUSTRY else 0.0)
            other_country = c != c_now
            u = wage * income_utility(income, curvature)
            u -= hours * cut
            u += mentor_table[s, a] * mentor
            u += network[a]
            u += home_table[o, a]
            u += taste
            u -= move_cost * (1.0 if other_country else 0.0)
            u -= sector_switch_cost * (1.0 if alt_sector[a] != sector_now and not other_country else 0.0)
            finite &= np.isfinite(u)
            u -= minus_shock[j, a]  # + the Gumbel shock, -log(-log u): the same sum, bit for bit
            if u > best:
                best = u
                pick = a
        chosen[j] = pick
    return finite


@jit
def move(rows, chosen, alt_country, alt_sector, country, sector, moved, years_in_place):
    """Put the researchers at ``rows`` in their ``chosen`` alternatives, in place (:func:`.behaviour.move`)."""
    for j in range(len(rows)):
        i = rows[j]
        new_country = alt_country[chosen[j]]
        moved[i] = new_country != country[i]
        if moved[i]:
            years_in_place[i] = 0
        country[i] = new_country
        sector[i] = alt_sector[chosen[j]]


@jit
def output_hours(hours: float, kink: float, flat: float) -> float:
    """:func:`simulation.hours.output_hours` of one week's hours."""
    h = min(hours, flat)
    over = max(h - kink, 0.0)
    over *= over
    over /= 2.0 * (flat - kink)
    return h - over


@jit
def hours_and_output(country, stage, talent, desired_hours, employer_rank, exempt, hours_cap, cap_coverage, capped,
                     peak_share, peak_extra, output_kink, output_flat, cut, worked, output, group):
    """Each researcher's hours a week cut by the cap and worked, research output (``talent`` times
    :func:`simulation.hours.research_time` under the cap that binds them), and survey group ``2 covered + employee``
    (an employee whose employer a cap covers), into ``cut``, ``worked``, ``output`` and ``group``, (n,) each."""
    n = len(country)
    cap = np.empty(n)
    for i in range(n):  # the cap that binds each researcher (inf: none)
        c = country[i]
        employee = capped[stage[i]]
        covered = employee & (employer_rank[i] < cap_coverage[c]) & (hours_cap[c] < np.inf)
        cap[i] = hours_cap[c] if covered & (not exempt[i]) else np.inf
        group[i] = 2 * covered + employee
    for i in range(n):  # arithmetic only: compiled to SIMD instructions
        desired = desired_hours[i]
        lost = (1.0 - peak_share) * max(desired - cap[i], 0.0) + peak_share * max(desired + peak_extra - cap[i], 0.0)
        cut[i] = lost
        worked[i] = desired + peak_share * peak_extra - lost
        ordinary = output_hours(min(desired, cap[i]), output_kink, output_flat)
        peak = output_hours(min(desired + peak_extra, cap[i]), output_kink, output_flat)
        ordinary *= 1.0 - peak_share
        peak *= peak_share
        ordinary += peak
        ordinary /= REFERENCE_HOURS
        output[i] = talent[i] * ordinary


#: Copies of the counters :func:`tally_counts` keeps: row i counts in copy ``i % COUNTER_COPIES``, so that a
#: row's count never waits on the previous row's (most consecutive rows fall in the same cell).
COUNTER_COPIES = 4
#: Flags of a researcher's counter key beside its cell and survey group: top talent, top 1 percent, post-PhD of
#: the origin country.
_TOP, _TOP1, _BASE = 4, 2, 1


@jit
def tally_counts(country, sector, stage, origin, ln_talent, group, phd_country, phd_year, year, origin_country, top_cut,
                 top1_cut, n_countries, n_sectors, n_stages):
    """The counts behind :func:`simulation.observe.observe`, in one pass over the researchers; ``group`` is
    :func:`hours_and_output`'s.

    Returns: researchers by (country, sector, stage) (C * sectors * stages,); researchers at or above ``top_cut``
    and ``top1_cut`` by country (C,); origin-country post-PhD researchers, and those of them abroad (2,);
    researchers by survey group ``4 c + 2 covered + employee`` (4C,); by country (C, 4): origin-country PhD
    graduates of ``year`` from there, those of them there, graduates of five years before, those of them there;
    and the trainees by country (C,) (:func:`simulation.mentors.talent_per_trainee`).

    Each researcher adds one to the counter of their key (cell, survey group and the flags ``_TOP``, ``_TOP1``,
    ``_BASE``); the counts are summed from the counters after the pass. The pass has no branch the processor
    must guess but the rare one of a graduate of ``year`` or five years before.
    """
    n_cells = n_countries * n_sectors * n_stages
    counters = np.zeros((COUNTER_COPIES, n_cells * 4 * 8), dtype=np.int64)
    graduates = np.zeros((n_countries, 4), dtype=np.int64)
    for i in range(len(country)):
        c, s = country[i], stage[i]
        native = origin[i] == origin_country
        cell = (c * n_sectors + sector[i]) * n_stages + s
        flags = _TOP * (ln_talent[i] >= top_cut) + _TOP1 * (ln_talent[i] >= top1_cut) + _BASE * (native & (s > PHD))
        counters[i % COUNTER_COPIES, (cell * 4 + group[i]) * 8 + flags] += 1
        graduated = phd_year[i]
        if (graduated == year) | (graduated == year - 5):  # few rows: a branch the processor guesses right
            p = phd_country[i]
            if native and p >= 0 and p != origin_country:
                k = 0 if graduated == year else 2
                graduates[p, k] += 1
                graduates[p, k + 1] += c == p
    cells = np.zeros(n_cells, dtype=np.int64)
    top = np.zeros(n_countries, dtype=np.int64)
    top1 = np.zeros(n_countries, dtype=np.int64)
    base = np.zeros(2, dtype=np.int64)
    group_count = np.zeros(4 * n_countries, dtype=np.int64)
    trainees = np.zeros(n_countries, dtype=np.int64)
    for key in range(counters.shape[1]):
        count = 0
        for copy in range(COUNTER_COPIES):
            count += counters[copy, key]
        cell, flags = key // 32, key % 8
        c, sec, s = cell // (n_sectors * n_stages), (cell // n_stages) % n_sectors, cell % n_stages
        cells[cell] += count
        top[c] += count if flags & _TOP else 0
        top1[c] += count if flags & _TOP1 else 0
        base[0] += count if flags & _BASE else 0
        base[1] += count if flags & _BASE and c != origin_country else 0
        group_count[4 * c + (key // 8) % 4] += count
        trainees[c] += count if is_trainee(s, sec) else 0
    return cells, top, top1, base, group_count, graduates, trainees


@jit
def tally_sums(country, sector, stage, talent, cut, worked, output, group, n_countries):
    """The sums of floats behind :func:`simulation.observe.observe`, in one pass over the researchers in row order
    (so that every sum adds its terms in the order ``np.bincount`` would); ``talent`` is ``exp(ln_talent)``,
    ``cut``, ``worked``, ``output`` and ``group`` those of :func:`hours_and_output`.

    Returns: research output by country (C,); hours worked and hours cut (hours a week) by survey group
    ``4 c + 2 covered + employee`` (4C,) each; and the talent of academic seniors by country (C,)
    (:func:`simulation.mentors.talent_per_trainee`).
    """
    by_country = np.zeros(n_countries)
    group_worked = np.zeros(4 * n_countries)
    group_cut = np.zeros(4 * n_countries)
    professor_talent = np.zeros(n_countries)
    for i in range(len(country)):
        c = country[i]
        # Adding 0.0 leaves a sum's bits as they are: the sum has the terms of the academic seniors alone.
        professor_talent[c] += talent[i] if (stage[i] == SENIOR) & (sector[i] == ACADEMIA) else 0.0
        by_country[c] += output[i]
        g = 4 * c + group[i]
        group_worked[g] += worked[i]
        group_cut[g] += cut[i]
    return by_country, group_worked, group_cut, professor_talent
