"""Stylized facts the model should reproduce without being fitted to them (docs/validation.md).

``python -m experiments.validation --out docs/img/validation`` runs the default
scenario a few times (replicate seeds as in the runner), and the star-recruitment
scenario once, measures each fact over the window, and writes one figure a fact,
``facts.json`` (the numbers) and ``facts.md`` (the table docs/validation.md quotes).

Each measure is a pure function of the agent rows (``TalentModel.agent_rows()``)
or the yearly outputs of the runs, pooled over replicates.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd
from matplotlib.figure import Figure

from experiments import seeds
from experiments.runner import run_model
from simulation.chart import COLOURS
from simulation.cli import ArgumentParser, UsageError, whole_number
from simulation.config import DEFAULT_CONFIG, ConfigError, load_config
from simulation.outputs import MARKERS, OutputError, check_output_folder, output_folder

#: Years after the start before the measurement window: the five-year stay rate looks five years back.
BURN_IN = 5
#: Years over which the default scenario must hold steady with no policy: top-decile share within 5 points,
#: researchers abroad within 15 percent.
STEADY_YEARS, MAX_TOP_SHARE_MOVE, MAX_ABROAD_MOVE = 20, 0.05, 0.15


@dataclass(frozen=True)
class Window:
    """The calendar years ``first`` to ``last`` (inclusive) over which facts are measured."""

    first: int
    last: int

    @classmethod
    def after_burn_in(cls, config: Any, burn_in_years: int) -> Window:
        start = config.simulation.start_year
        return cls(start + burn_in_years, start + config.simulation.years)

    def contains(self, year: pd.Series) -> pd.Series:
        return (year >= self.first) & (year <= self.last)
#: Longest spell abroad shown; longer spells are pooled into this one.
MAX_YEARS_ABROAD = 15
#: Transitions named as people know them: (stage before, stage after) -> label.
TRANSITIONS: dict[tuple[str, str], str] = {
    ("student", "phd"): "into the PhD",
    ("phd", "postdoc"): "after the PhD",
    ("postdoc", "junior"): "first job",
    ("junior", "senior"): "into senior",
}
MARKER = "facts.json"
KIND = MARKERS[MARKER]


def _native(rows: pd.DataFrame, origin: str) -> pd.DataFrame:
    return rows[rows["origin"] == origin].sort_values(["run", "id", "year"]).reset_index(drop=True)


def _next_year(rows: pd.DataFrame) -> pd.DataFrame:
    """Each row with the same researcher's country and stage a year later (rows without a next year dropped)."""
    later = rows[["run", "id", "year", "country", "stage"]].assign(year=rows["year"] - 1)
    return rows.merge(later, on=["run", "id", "year"], suffixes=("", "_next"))


def years_abroad(rows: pd.DataFrame, origin: str, start_year: int) -> pd.Series:
    """Consecutive years abroad up to each row (0 at home); NaN for spells that began before the start year.

    The initial population's spells abroad are censored on the left (we do not
    know when they began): they are left out.
    """
    abroad = (rows["country"] != origin).to_numpy()
    new_spell = np.ones(len(rows), dtype=bool)
    same = ((rows["run"].to_numpy()[1:] == rows["run"].to_numpy()[:-1])
            & (rows["id"].to_numpy()[1:] == rows["id"].to_numpy()[:-1])
            & (rows["year"].to_numpy()[1:] == rows["year"].to_numpy()[:-1] + 1)
            & (abroad[1:] == abroad[:-1]))
    new_spell[1:] = ~same
    spell = np.cumsum(new_spell)
    frame = pd.DataFrame({"spell": spell, "year": rows["year"].to_numpy()})
    duration = frame.groupby("spell").cumcount().to_numpy() + 1
    began = frame.groupby("spell")["year"].transform("min").to_numpy()
    out = np.where(abroad, duration, 0).astype(float)
    out[abroad & (began <= start_year)] = np.nan
    return pd.Series(out, index=rows.index)


def return_hazard(rows: pd.DataFrame, origin: str, window: Window, start_year: int) -> pd.DataFrame:
    """Share of origin-country researchers abroad for ``d`` years in year t who are home in t + 1, by ``d``.

    Pooled over t in the window (t + 1 within it too) and over runs; researchers
    who leave research in t + 1 are not at risk. ``d`` above MAX_YEARS_ABROAD is pooled.
    """
    native = _native(rows, origin)
    native = native.assign(years_abroad=years_abroad(native, origin, start_year))
    pairs = _next_year(native)
    at_risk = pairs[(pairs["years_abroad"] > 0) & (pairs["year"] >= window.first) & (pairs["year"] < window.last)]
    d = np.minimum(at_risk["years_abroad"], MAX_YEARS_ABROAD).astype(int)
    returned = at_risk["country_next"] == origin
    table = pd.DataFrame({"years_abroad": d, "returned": returned}).groupby("years_abroad")["returned"]
    return pd.DataFrame({"at_risk": table.size(), "returned": table.sum()}).assign(
        hazard=lambda f: f["returned"] / f["at_risk"]).reset_index()


def return_hazard_by_span(hazard: pd.DataFrame) -> dict[str, float]:
    """The return hazard pooled over spans of years abroad: 1-5, 6-10, 11-14 and 15 or more."""
    spans = {"1-5": (1, 5), "6-10": (6, 10), "11-14": (11, 14), f"{MAX_YEARS_ABROAD}+": (MAX_YEARS_ABROAD,) * 2}
    out = {}
    for name, (lo, hi) in spans.items():
        part = hazard[(hazard["years_abroad"] >= lo) & (hazard["years_abroad"] <= hi)]
        out[name] = float(part["returned"].sum() / part["at_risk"].sum()) if part["at_risk"].sum() else float("nan")
    return out


def share_abroad_by_talent(rows: pd.DataFrame, origin: str, window: Window, groups: int = 10) -> pd.DataFrame:
    """Share abroad of origin-country researchers after the PhD, by talent decile (ranked within each year and run)."""
    post = rows[(rows["origin"] == origin) & rows["stage"].isin(["postdoc", "junior", "senior"])
                & window.contains(rows["year"])]
    rank = post.groupby(["run", "year"])["talent"].rank(pct=True, method="first")
    decile = np.minimum((rank * groups).apply(np.ceil).astype(int), groups)
    table = pd.DataFrame({"decile": decile, "abroad": post["country"] != origin}).groupby("decile")["abroad"]
    return pd.DataFrame({"researchers": table.size(), "share_abroad": table.mean()}).reset_index()


def returnee_talent(rows: pd.DataFrame, origin: str, window: Window) -> dict[str, float]:
    """Median talent percentile (among origin-country post-PhD researchers that year) of three groups.

    Returnees: abroad in t, home in t + 1; stayers: abroad in both; home: at home in both.
    """
    native = _native(rows, origin)
    post = native["stage"].isin(["postdoc", "junior", "senior"])
    native = native.assign(percentile=native[post].groupby(["run", "year"])["talent"].rank(pct=True) * 100)
    pairs = _next_year(native[post])
    pairs = pairs[(pairs["year"] >= window.first) & (pairs["year"] < window.last)]
    abroad, home_next = pairs["country"] != origin, pairs["country_next"] == origin
    groups = {"returnees": abroad & home_next, "stayers abroad": abroad & ~home_next, "at home": ~abroad & home_next}
    return {name: float(pairs.loc[mask, "percentile"].median()) for name, mask in groups.items()}


def emigration_by_transition(rows: pd.DataFrame, origin: str, window: Window) -> pd.DataFrame:
    """Moves of origin-country researchers from home to abroad between t and t + 1, by the career step of the move."""
    pairs = _next_year(_native(rows, origin))
    moves = pairs[(pairs["country"] == origin) & (pairs["country_next"] != origin)
                  & (pairs["year"] >= window.first) & (pairs["year"] < window.last)]
    label = [TRANSITIONS.get((a, b), "within a stage" if a == b else f"{a} to {b}")
             for a, b in zip(moves["stage"], moves["stage_next"], strict=True)]
    counts = pd.Series(label, dtype=object).value_counts()
    order = [*TRANSITIONS.values(), "within a stage"]
    counts = counts.reindex(order + [k for k in counts.index if k not in order], fill_value=0)
    return pd.DataFrame({"step": counts.index, "emigrations": counts.to_numpy(),
                         "share": counts.to_numpy() / max(counts.sum(), 1)})


def stay_rate_by_year(yearly: pd.DataFrame) -> pd.DataFrame:
    """The yearly output stay_rate_5y_US, mean over runs, by year."""
    return yearly.groupby("year")["stay_rate_5y_US"].mean().reset_index()


def hazards_by_career_age(rows: pd.DataFrame, origin: str, window: Window) -> pd.DataFrame:
    """By single career age: the share of origin-country researchers abroad in t who are home in t + 1 (return),
    and of those at home who are abroad in t + 1 (departure), pooled over the window and runs."""
    pairs = _next_year(_native(rows, origin))
    pairs = pairs[(pairs["year"] >= window.first) & (pairs["year"] < window.last)]
    abroad = pairs["country"] != origin
    out = []
    for name, at_risk, moved in (("return", abroad, pairs["country_next"] == origin),
                                 ("departure", ~abroad, pairs["country_next"] != origin)):
        table = pd.DataFrame({"career_age": pairs.loc[at_risk, "career_age"], "moved": moved[at_risk]})
        grouped = table.groupby("career_age")["moved"]
        out.append(pd.DataFrame({"at_risk": grouped.size(), "moved": grouped.sum()}).assign(hazard=name))
    table = pd.concat(out).reset_index()
    return table.assign(rate=table["moved"] / table["at_risk"])


def spike_index(hazards: pd.DataFrame, kind: str, min_at_risk: int = 200, min_expected: float = 10.0
                ) -> dict[str, float]:
    """The largest ratio of a career age's hazard to the mean of the two ages either side, and where it is:
    about 1 for a smooth hazard, several times more at a spike (the first version's return spikes were 10x).

    Ages where the neighbours' rate would give fewer than ``min_expected`` moves among those at risk are left
    out: there a ratio of two rates near zero (2 returns in 3,600 against none) is noise, not a spike.
    """
    part = hazards[(hazards["hazard"] == kind) & (hazards["at_risk"] >= min_at_risk)].set_index("career_age")
    h, at_risk = part["rate"], part["at_risk"]
    best, where = float("nan"), -1
    for age in h.index:
        neighbours = [h.get(a) for a in (age - 2, age - 1, age + 1, age + 2) if a in h.index]
        base = float(np.mean(neighbours)) if neighbours else float("nan")
        if not base * at_risk[age] >= min_expected:
            continue
        if not np.isfinite(best) or h[age] / base > best:
            best, where = float(h[age] / base), int(age)
    return {"ratio": best, "career_age": where}


def steady_state(yearly: pd.DataFrame, origin: str, start_year: int) -> dict[str, float]:
    """How far the default scenario drifts with no policy: the top-decile share in the origin country and the
    researchers abroad, at the start and after STEADY_YEARS (means over runs)."""
    by_year = yearly.groupby("year")[[f"top_talent_share_{origin}", "researchers_abroad"]].mean()
    first, last = by_year.loc[start_year], by_year.loc[start_year + STEADY_YEARS]
    top_move = float(last.iloc[0] - first.iloc[0])
    abroad_move = float(last.iloc[1] / first.iloc[1] - 1)
    return {"top_share_start": float(first.iloc[0]), "top_share_end": float(last.iloc[0]), "top_share_move": top_move,
            "abroad_start": float(first.iloc[1]), "abroad_end": float(last.iloc[1]), "abroad_move": abroad_move,
            "steady": bool(abs(top_move) <= MAX_TOP_SHARE_MOVE and abs(abroad_move) <= MAX_ABROAD_MOVE)}


def star_recruits(config_path: Path, seed: int) -> dict[str, float]:
    """Who the star-recruitment scenario recruits: their mean talent percentile (of the post-PhD population at
    the start) and the share of packages offered that are taken (Shi, Liu and Wang 2023: recruits from about
    the 85th percentile, not the top)."""
    from simulation.levers.base import talent_percentile
    from simulation.model import TalentModel

    model = TalentModel(config_path, rng=np.random.default_rng(seeds.run_seed(seed, 0, 0)), record_agents=True)
    while model.running:
        model.step()
    rows, yearly = model.agent_rows(), model.yearly()
    first = rows[(rows["support"] > 0) & rows["moved"]].sort_values("year").groupby("id").head(1)
    percentile = talent_percentile(np.log(first["talent"].to_numpy()), model.reference_talent)
    offered, signed = yearly["offered_star_recruitment"].sum(), yearly["signed_star_recruitment"].sum()
    return {"recruits": len(first), "mean_percentile": float(np.mean(percentile)) if len(first) else np.nan,
            "median_percentile": float(np.median(percentile)) if len(first) else np.nan,
            "acceptance_rate": float(signed / offered) if offered else np.nan}


# ---------------------------------------------------------------------------------- running
def simulate(config_path: Path, replicates: int, seed: int) -> tuple[Any, pd.DataFrame, pd.DataFrame]:
    """Run the scenario ``replicates`` times with the runner's seeds; yearly outputs and agent rows, keyed by run."""
    config = load_config(config_path)
    yearly, rows = [], []
    for r in range(replicates):
        y, a = run_model(config, seeds.run_seed(seed, 0, r), True)
        yearly.append(y.assign(run=r))
        rows.append(a.assign(run=r))
    return config, pd.concat(yearly, ignore_index=True), pd.concat(rows, ignore_index=True)


def measure(config: Any, yearly: pd.DataFrame, rows: pd.DataFrame) -> dict[str, Any]:
    """Every fact's numbers."""
    origin, start = config.simulation.origin, config.simulation.start_year
    window = Window.after_burn_in(config, BURN_IN)
    hazard = return_hazard(rows, origin, window, start)
    talent = share_abroad_by_talent(rows, origin, window)
    stay = stay_rate_by_year(yearly)
    in_window = yearly[window.contains(yearly["year"])]
    slopes = [np.polyfit(g["year"], g["stay_rate_5y_US"], 1)[0] for _, g in in_window.groupby("run")]
    slope_se = float(np.std(slopes, ddof=1) / np.sqrt(len(slopes))) if len(slopes) > 1 else float("nan")
    ages = hazards_by_career_age(rows, origin, window)
    return {
        "window": [window.first, window.last],
        "return_hazard": hazard.to_dict(orient="list"),
        "share_abroad_by_talent_decile": talent.to_dict(orient="list"),
        "returnee_talent_percentile": returnee_talent(rows, origin, window),
        "emigration_by_step": emigration_by_transition(rows, origin, window).to_dict(orient="list"),
        "stay_rate_by_year": stay.to_dict(orient="list"),
        "stay_rate_slope_per_year": float(np.mean(slopes)),
        "stay_rate_slope_se": slope_se,
        "return_hazard_by_span": return_hazard_by_span(hazard),
        "hazards_by_career_age": ages.to_dict(orient="list"),
        "return_spike": spike_index(ages, "return"),
        "departure_spike": spike_index(ages, "departure"),
        "faculty_return_rate": float(in_window["faculty_return_rate"].mean()),
        "steady_state": steady_state(yearly, origin, start),
        "steady_series": yearly.groupby("year")[[f"top_talent_share_{origin}", "researchers_abroad"]].mean()
                               .reset_index().to_dict(orient="list"),
        "net_flow_per_10k": float(in_window["net_flow_per_10k"].mean()),
        "emigration_per_year": float(in_window["emigration"].mean()),
        "returns_per_year": float(in_window["returns"].mean()),
    }


# ---------------------------------------------------------------------------------- figures
def _figure() -> tuple[Figure, Any]:
    fig = Figure(figsize=(6.0, 3.6), layout="constrained")
    return fig, fig.add_subplot()


def draw(facts: dict[str, Any], folder: Path) -> None:
    """One PNG a fact."""
    hazard = pd.DataFrame(facts["return_hazard"])
    fig, ax = _figure()
    ax.bar(hazard["years_abroad"], hazard["hazard"], color=COLOURS[0])
    ax.set_xlabel(f"years abroad so far ({MAX_YEARS_ABROAD} = {MAX_YEARS_ABROAD} or more)")
    ax.set_ylabel("share home a year later")
    ax.set_title("Return probability by years abroad")
    fig.savefig(folder / "return_by_years_abroad.png", dpi=110)

    talent = pd.DataFrame(facts["share_abroad_by_talent_decile"])
    fig, ax = _figure()
    ax.bar(talent["decile"], talent["share_abroad"], color=COLOURS[1])
    ax.set_xlabel("talent decile among Korean-origin researchers after the PhD (10 = top)")
    ax.set_ylabel("share working abroad")
    ax.set_title("Who leaves: share abroad by talent")
    ax.set_xticks(talent["decile"])
    fig.savefig(folder / "abroad_by_talent.png", dpi=110)

    stay = pd.DataFrame(facts["stay_rate_by_year"])
    stay = stay[stay["year"] > stay["year"].min() + 5]  # the first five years still show the initial state
    fig, ax = _figure()
    ax.plot(stay["year"], stay["stay_rate_5y_US"], color=COLOURS[2], label="model (mean of runs)")
    ax.axvspan(*facts["window"], color="0.92", label="measurement window")
    ax.scatter([2007, 2023], [0.41, 0.51], color="black", zorder=3, label="observed: 2002 and 2017-19 cohorts")
    ax.set_ylim(0, 1)
    ax.set_xlabel("year observed (cohort graduated five years earlier)")
    ax.set_ylabel("share of US PhD graduates in the US")
    ax.set_title("Five-year stay rate of Korean US PhDs")
    ax.legend(fontsize=8)
    fig.savefig(folder / "stay_rate_over_time.png", dpi=110)

    ages = pd.DataFrame(facts["hazards_by_career_age"])
    fig, ax = _figure()
    for i, kind in enumerate(("return", "departure")):
        part = ages[(ages["hazard"] == kind) & (ages["at_risk"] >= 200)]
        ax.plot(part["career_age"], part["rate"], "o-", ms=3, color=COLOURS[i],
                label=f"{kind}: of those {'abroad' if kind == 'return' else 'in Korea'}")
    ax.set_yscale("log")
    ax.set_xlabel("career age (years since entering research)")
    ax.set_ylabel("share moving the next year")
    ax.set_title("Return and departure by career age: no spikes at stage ends")
    ax.legend(fontsize=8)
    fig.savefig(folder / "hazards_by_career_age.png", dpi=110)

    series = pd.DataFrame(facts["steady_series"])
    top = next(c for c in series.columns if c.startswith("top_talent_share_"))
    fig, ax = _figure()
    ax.plot(series["year"], series[top], color=COLOURS[0], label="top-decile share in Korea")
    ax.set_ylim(0, 1)
    ax.set_xlabel("year")
    ax.set_ylabel("share of the top decile")
    twin = ax.twinx()
    twin.plot(series["year"], series["researchers_abroad"], color=COLOURS[1], label="researchers abroad (people)")
    twin.set_ylim(0, 1.5 * series["researchers_abroad"].max())
    twin.set_ylabel("researchers abroad (people)")
    ax.set_title("With no policy the default scenario holds steady")
    fig.legend(fontsize=8, loc="outside lower center", ncols=2)
    fig.savefig(folder / "steady_state.png", dpi=110)

    steps = pd.DataFrame(facts["emigration_by_step"])
    steps = steps[steps["emigrations"] > 0]
    fig, ax = _figure()
    ax.barh(steps["step"][::-1], steps["share"][::-1], color=COLOURS[3])
    ax.set_xlabel("share of moves from Korea abroad")
    ax.set_title("When researchers leave Korea: the career step of the move")
    fig.savefig(folder / "emigration_by_step.png", dpi=110)


def markdown(facts: dict[str, Any], command: str) -> str:
    """The numbers docs/validation.md quotes."""
    hazard = pd.DataFrame(facts["return_hazard"]).set_index("years_abroad")["hazard"]
    talent = pd.DataFrame(facts["share_abroad_by_talent_decile"]).set_index("decile")["share_abroad"]
    steps = pd.DataFrame(facts["emigration_by_step"])
    sel = facts["returnee_talent_percentile"]
    lines = [f"Written by `{command}`; window {facts['window'][0]}-{facts['window'][1]}.", "",
             "| fact | model |", "|---|---|",
             "| yearly return probability by years abroad so far (" + ", ".join(facts["return_hazard_by_span"])
             + ") | " + ", ".join(f"{v:.3f}" for v in facts["return_hazard_by_span"].values()) + " |",
             "| yearly return probability, year by year from 1 to 15+ | "
             + ", ".join(f"{v:.3f}" for v in hazard) + " |",
             "| share abroad, bottom to top talent decile | " + ", ".join(f"{v:.2f}" for v in talent) + " |",
             f"| median talent percentile: returnees, stayers abroad, at home | {sel['returnees']:.0f}, "
             f"{sel['stayers abroad']:.0f}, {sel['at home']:.0f} |",
             f"| five-year stay rate, trend over the window | {facts['stay_rate_slope_per_year']:+.4f} a year "
             f"(SE {facts['stay_rate_slope_se']:.4f} over runs) |",
             "| moves abroad by career step | " + ", ".join(f"{s} {v:.0%}" for s, v in
                                                        zip(steps["step"], steps["share"], strict=True)) + " |",
             f"| net flow per 10,000 researchers a year (returns - emigration) | {facts['net_flow_per_10k']:.1f} "
             f"({facts['returns_per_year']:.0f} returns, {facts['emigration_per_year']:.0f} emigrations a year) |",
             f"| largest return hazard over its neighbours by career age (spike index; age) | "
             f"{facts['return_spike']['ratio']:.2f} (age {facts['return_spike']['career_age']}) |",
             f"| largest departure hazard over its neighbours by career age (spike index; age) | "
             f"{facts['departure_spike']['ratio']:.2f} (age {facts['departure_spike']['career_age']}) |",
             f"| faculty abroad returning a year | {facts['faculty_return_rate']:.4f} |",
             f"| no policy, {STEADY_YEARS} years: top-decile share in Korea, researchers abroad | "
             f"{facts['steady_state']['top_share_start']:.3f} to {facts['steady_state']['top_share_end']:.3f} "
             f"({facts['steady_state']['top_share_move']:+.3f}); {facts['steady_state']['abroad_start']:,.0f} to "
             f"{facts['steady_state']['abroad_end']:,.0f} ({facts['steady_state']['abroad_move']:+.1%}) |"]
    stars = facts.get("star_recruits")
    if stars:
        lines.append(f"| star recruitment: recruits' talent percentile (mean, median), packages taken | "
                     f"{stars['mean_percentile']:.0f}, {stars['median_percentile']:.0f} of {stars['recruits']} "
                     f"recruits; {stars['acceptance_rate']:.0%} of offers |")
    lines.append("")
    return "\n".join(lines)


PROG = "python -m experiments.validation"


def check_inputs(args: argparse.Namespace) -> Any:
    """Every input checked before anything runs or is written: the scenarios, the output folder and the document.
    Returns the scenario's config; raises ConfigError, UsageError or OutputError (one line) on bad input."""
    config = load_config(args.config)
    stars = load_config(args.stars)
    if stars.policies.star_recruitment is None:
        raise UsageError(f"--stars {args.stars}: has no [policies.star_recruitment] lever; give a star-recruitment "
                         "scenario (configs/star_recruitment.toml)")
    check_output_folder(args.out, MARKER)
    if args.doc is not None:
        from simulation.paramtable import check_between

        try:
            check_between(args.doc, ["facts"])
        except ValueError as err:
            raise UsageError(f"--doc {err}") from None
    return config


def main(argv: list[str] | None = None) -> int:
    """``python -m experiments.validation --out DIR``; bad input is one line on stderr and exit code 2, before
    anything runs or is written."""
    parser = ArgumentParser(prog=PROG, description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                        help="scenario (default: configs/calibrated.toml)")
    parser.add_argument("--replicates", type=whole_number(1), default=4, help="runs pooled (default 4)")
    parser.add_argument("--seed", type=whole_number(0), default=0, help="root seed (default 0)")
    parser.add_argument("--stars", type=Path, default=DEFAULT_CONFIG.with_name("star_recruitment.toml"),
                        help="star-recruitment scenario whose recruits are described "
                             "(default: configs/star_recruitment.toml)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the figures and numbers")
    parser.add_argument("--doc", type=Path, default=None,
                        help="also write the facts table into this document, between its '<!-- facts:start -->' and "
                             "'<!-- facts:end -->' lines (docs/validation.md)")
    try:
        args = parser.parse_args(argv)
        check_inputs(args)
    except (ConfigError, UsageError, OutputError) as err:
        prefix = "--out " if isinstance(err, OutputError) else ""
        print(f"{PROG}: error: {prefix}{' '.join(str(err).split())}", file=sys.stderr)
        return 2
    command = "python -m experiments.validation " + " ".join(argv if argv is not None else sys.argv[1:])
    config, yearly, rows = simulate(args.config, args.replicates, args.seed)
    facts = measure(config, yearly, rows)
    facts["star_recruits"] = star_recruits(args.stars, args.seed)
    facts |= {"kind": KIND, "command": command, "config": str(args.config), "replicates": args.replicates,
              "seed": args.seed}
    with output_folder(args.out, MARKER) as staging:
        draw(facts, staging)
        (staging / MARKER).write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
        (staging / "facts.md").write_text(markdown(facts, command), encoding="utf-8")
    print(markdown(facts, command))
    if args.doc is not None:
        from simulation.paramtable import insert_between

        insert_between(args.doc, "facts", markdown(facts, command).strip())
    print(f"wrote {args.out}" + (f" and {args.doc}" if args.doc else ""))
    return 0


if __name__ == "__main__":
    sys.exit(main())
