"""Plain-text tables of a run's yearly outputs, for the terminal.

Pure functions of the yearly DataFrame (row 0 the initial state, then one row a
year); counts in people, money shown in billion KRW.
"""

from __future__ import annotations

from collections.abc import Sequence

import pandas as pd

from simulation.schema import Config

#: Million KRW in a billion KRW.
BILLION = 1_000.0
#: Years after the start at which the summary shows the state (besides the start and the end).
CHECKPOINT_YEARS: tuple[int, ...] = (10, 20)


def checkpoints(n_years: int, years: Sequence[int] = CHECKPOINT_YEARS) -> list[int]:
    """Row numbers to show: the start (0), each of ``years`` within the run, and the end."""
    rows = [0, *(y for y in years if 0 < y < n_years), n_years]
    return sorted(set(rows))


def row_label(row: int, n_years: int) -> str:
    """'start', 'year 10', or 'end (year 30)'."""
    if row == 0:
        return "start"
    return f"end (year {row})" if row == n_years else f"year {row}"


def format_table(headers: Sequence[str], rows: Sequence[Sequence[str]]) -> str:
    """A fixed-width table: the first column left-aligned, the others right-aligned."""
    widths = [max(len(str(c)) for c in column) for column in zip(headers, *rows, strict=True)]

    def line(cells: Sequence[str]) -> str:
        first, *rest = cells
        return "  ".join([str(first).ljust(widths[0]), *(str(c).rjust(w) for c, w in zip(rest, widths[1:],
                                                                                            strict=True))]).rstrip()

    return "\n".join([line(headers), line(["-" * w for w in widths]), *(line(r) for r in rows)])


def people(value: float) -> str:
    """A count of people, rounded, with thousands separators."""
    return f"{value:,.0f}"


def percent(share: float) -> str:
    """A share of 1 as a percentage with one decimal ('n/a' when undefined)."""
    return "n/a" if pd.isna(share) else f"{100 * share:.1f}"


def billions(million_krw: float) -> str:
    """Million KRW shown as billion KRW with one decimal."""
    return f"{million_krw / BILLION:,.1f}"


def summary_table(yearly: pd.DataFrame, config: Config) -> str:
    """Researchers at home and abroad, share abroad, top-talent share by country, flows and spending.

    Rows: the start, years 10 and 20, and the end. Flows and spending are those of the year shown.
    """
    origin = config.simulation.origin
    codes = config.country_codes
    n_years = len(yearly) - 1
    headers = ["", "year", f"in {origin}", "abroad", "% abroad",
               *(f"top % {c}" for c in codes), "emigrated", "returned", "spent bn KRW"]
    rows = []
    for r in checkpoints(n_years):
        y = yearly.iloc[r]
        rows.append([row_label(r, n_years), str(int(y["year"])), people(y["researchers_home"]),
                     people(y["researchers_abroad"]), percent(y["share_abroad"]),
                     *(percent(y[f"top_talent_share_{c}"]) for c in codes),
                     people(y["emigration"]), people(y["returns"]), billions(y["spending_total"])])
    note = (f"researchers in people; % abroad: {origin}-origin post-PhD researchers abroad; top %: share of the "
            f"top decile in each country; flows (people) and spending in the year shown")
    return format_table(headers, rows) + "\n" + note


def last_line(researcher_years: int, seconds: float) -> str:
    """The closing line: researcher-years simulated and the seconds the simulation took."""
    return f"simulated {researcher_years:,} researcher-years in {seconds:.2f} s"
