"""The demo's model: a policy run and a no-policy baseline run side by side, built from the page's controls.

The page rebuilds the model on Reset with ``DemoModel(**controls)``. Bad input
(a seed that is not a whole number, a scenario file that does not load, a lever
value out of range) never raises: the model falls back to the default for that
input, runs, and keeps the one-line messages in :attr:`DemoModel.input_errors`
for the page to show.

Both runs take the same seed, so they share their random numbers as far as the
model allows and a gap between them is the levers' effect, not noise.
"""

from __future__ import annotations

import math
import numbers
import os
import time
from pathlib import Path
from typing import Any

import numpy as np

from simulation.config import DEFAULT_CONFIG, ConfigError, load_config
from simulation.model import ENGINES, TalentModel
from simulation.parameters import SWITCHES, with_parameters
from simulation.schema import Config
from simulation.viz.components import LEVER_LABELS

CONFIGS_DIR: Path = DEFAULT_CONFIG.parent
#: Environment variable naming the scenario that ``talentflow viz CONFIG`` opens with.
CONFIG_ENV = "TALENTFLOW_VIZ_CONFIG"
DEFAULT_SEED = 42
DEFAULT_RESEARCHERS = 2500
#: The engine the page runs by default: Mesa agents (the vectorized engine gives the same outputs, faster).
DEFAULT_ENGINE = "agents"
#: What the page's agent view shows of each researcher.
AGENT_VIEW_FIELDS: tuple[str, ...] = ("id", "country", "sector", "stage", "ln_talent")
#: Largest seed accepted (numpy takes any non-negative integer; a bound keeps the field readable).
MAX_SEED = 2**32 - 1

#: Lever switch -> (config section, the slider keywords that belong to it).
LEVER_CONTROLS: dict[str, tuple[str, tuple[str, ...]]] = {
    "salary_match": ("salary_match", ("match_share", "match_cap", "match_budget")),
    "hours_exemption": ("hours_exemption", ()),
    "star_recruitment": ("star_recruitment", ("stars_per_year", "star_budget")),
    "return_grant_on": ("return_grant", ("return_grant", "return_grant_budget")),
}


def scenario_files(configs_dir: Path = CONFIGS_DIR, extra: str | Path | None = None) -> dict[str, Path]:
    """Scenario name -> TOML file: every scenario in ``configs_dir`` and its ``examples/`` folder.

    Names are paths relative to ``configs_dir`` without ``.toml`` ("baseline",
    "examples/three_countries"). ``extra`` (the CLI's CONFIG) is added under its
    own path when it lies elsewhere. Sweep designs (``sweeps/``) are not scenarios.
    """
    files: dict[str, Path] = {}
    for path in sorted([*configs_dir.glob("*.toml"), *configs_dir.glob("examples/*.toml")]):
        files[path.relative_to(configs_dir).with_suffix("").as_posix()] = path
    if extra is not None:
        extra_path = Path(extra).resolve()
        known = {p.resolve(): name for name, p in files.items()}
        if extra_path not in known:
            files[str(extra)] = extra_path
    return files


def default_scenario(files: dict[str, Path] | None = None) -> str:
    """The scenario the page opens with: the CLI's CONFIG if given, else the calibrated default scenario."""
    extra = os.environ.get(CONFIG_ENV)
    files = scenario_files(extra=extra) if files is None else files
    if extra:
        extra_path = Path(extra).resolve()
        for name, path in files.items():
            if path.resolve() == extra_path:
                return name
    for name in ("calibrated", "baseline"):
        if name in files:
            return name
    return next(iter(files))


def parse_seed(value: Any) -> int:
    """The seed as an int; ValueError with a one-line message if it is not a whole number in 0..MAX_SEED."""
    text = str(value).strip()
    try:
        seed = int(text)
    except ValueError:
        raise ValueError(f"seed: {text!r} is not a whole number; allowed: 0 to {MAX_SEED}") from None
    if not 0 <= seed <= MAX_SEED:
        raise ValueError(f"seed: {seed} is out of range; allowed: 0 to {MAX_SEED}")
    return seed


def without_levers(config: Config) -> Config:
    """``config`` with every policy lever switched off: the baseline the demo draws faintly."""
    return with_parameters(config, source="baseline run", **{switch: False for switch in SWITCHES})


def whole_agents(value: Any) -> int:
    """The population size as a whole number of agents; ValueError (one line) for anything else: a fraction, a
    boolean, inf or NaN, text."""
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real) or (
            not isinstance(value, numbers.Integral) and not (math.isfinite(value) and float(value).is_integer())):
        raise ValueError(f"researchers: must be a whole number of agents, got {value!r}")
    return int(value)


def apply_controls(config: Config, researchers: int, levers: dict[str, Any]) -> tuple[Config, list[str]]:
    """``config`` with the population size and the switched-on levers of the page, and the messages of bad input.

    A lever whose switch is on gets the slider values on top of the scenario's
    own settings for it; a lever whose switch is off stays as the scenario has it.
    A population size or lever that the config rejects is left out, with a message.
    """
    errors: list[str] = []
    try:
        config = with_parameters(config, source="population size", researchers=whole_agents(researchers))
    except (ConfigError, TypeError, ValueError) as err:
        config = with_parameters(config, source="population size", researchers=DEFAULT_RESEARCHERS)
        errors.append(f"{err}; kept the page's default, {DEFAULT_RESEARCHERS}")
    for switch, (section, keywords) in LEVER_CONTROLS.items():
        on = levers.get(switch)
        if on is not None and not isinstance(on, bool):  # "no", "false" and 0 would all be true
            errors.append(f"{switch}: must be true or false, got {on!r}; {LEVER_LABELS[section]} left as in the "
                          "scenario")
            continue
        if not on:
            continue
        values = {keyword: levers[keyword] for keyword in keywords if levers.get(keyword) is not None}
        try:
            config = with_parameters(config, source=LEVER_LABELS[section], **{switch: True}, **values)
        except (ConfigError, TypeError, ValueError) as err:
            errors.append(f"{err}; {LEVER_LABELS[section]} left as in the scenario")
    return config, errors


class DemoModel(TalentModel):
    """The policy run of the page, with its no-policy baseline in :attr:`baseline`.

    Keyword parameters are the page's controls: ``scenario_name`` (a key of
    :func:`scenario_files`), ``seed``, ``researchers`` (agents at the start), ``engine`` ("agents": Mesa
    agents, the default; or "vectorized"), the
    lever switches (``salary_match``, ``hours_exemption``, ``star_recruitment``,
    ``return_grant_on``) and the lever values (shares, million KRW a year, people a year).
    """

    def __init__(self, scenario_name: str | None = None, seed: int | str = DEFAULT_SEED,
                 researchers: int = DEFAULT_RESEARCHERS, engine: str = DEFAULT_ENGINE,
                 salary_match: bool = False, match_share: float = 0.5, match_cap: float = 1000.0,
                 match_budget: float = 200_000.0, hours_exemption: bool = False,
                 star_recruitment: bool = False, stars_per_year: float = 20.0, star_budget: float = 50_000.0,
                 return_grant_on: bool = False, return_grant: float = 150.0,
                 return_grant_budget: float = 50_000.0) -> None:
        #: The controls this model was built from, by keyword (the page compares them with pending changes).
        self.controls: dict[str, Any] = {
            "scenario_name": scenario_name, "seed": seed, "researchers": researchers, "engine": engine,
            "salary_match": salary_match,
            "match_share": match_share, "match_cap": match_cap, "match_budget": match_budget,
            "hours_exemption": hours_exemption, "star_recruitment": star_recruitment,
            "stars_per_year": stars_per_year, "star_budget": star_budget, "return_grant_on": return_grant_on,
            "return_grant": return_grant, "return_grant_budget": return_grant_budget}
        errors: list[str] = []
        try:
            self.seed = parse_seed(seed)
        except ValueError as err:
            errors.append(f"{err}; using {DEFAULT_SEED}")
            self.seed = DEFAULT_SEED
        files = scenario_files(extra=os.environ.get(CONFIG_ENV))
        name = default_scenario(files) if scenario_name is None else str(scenario_name)
        scenario = self._load_scenario(name, files, errors)
        self.controls["scenario_name"] = name
        levers = {k: v for k, v in self.controls.items()
                  if k not in ("scenario_name", "seed", "researchers", "engine")}
        config, lever_errors = apply_controls(scenario, researchers, levers)
        errors += lever_errors
        if engine not in ENGINES:
            errors.append(f"engine: {engine!r} is not one of {', '.join(ENGINES)}; using {DEFAULT_ENGINE}")
            engine = self.controls["engine"] = DEFAULT_ENGINE
        super().__init__(config, engine=engine, rng=self.seed)
        # The baseline is only drawn as dashed totals, never as agents: it runs on the vectorized engine, which gives
        # the same outputs as the agents would (tests/test_engines.py), in a tenth of the time.
        self.baseline = TalentModel(without_levers(config), engine="vectorized", rng=self.seed)
        self.input_errors: tuple[str, ...] = tuple(errors)
        self._yearly: tuple[int, Any] | None = None
        self._baseline_yearly: tuple[int, Any] | None = None
        #: Wall time of the last step of both runs, seconds.
        self.step_seconds = 0.0

    def _load_scenario(self, name: str, files: dict[str, Path], errors: list[str]) -> Config:
        """The scenario ``name``, or the default scenario with a message when it is unknown or does not load."""
        self.scenario_name = name
        if name not in files:
            errors.append(f"scenario: {name!r} is not a file in {CONFIGS_DIR}; allowed: {', '.join(files)}; "
                          f"using {DEFAULT_CONFIG.stem}")
        else:
            try:
                return load_config(files[name])
            except ConfigError as err:
                errors.append(f"{err} (using {DEFAULT_CONFIG.stem})")
        self.scenario_name = DEFAULT_CONFIG.stem
        return load_config(DEFAULT_CONFIG)

    def step(self) -> None:
        """One year of the policy run and of the baseline run."""
        start = time.perf_counter()
        super().step()
        if self.baseline.running:
            self.baseline.step()
        self.step_seconds = time.perf_counter() - start

    def yearly(self):
        """The yearly outputs (see :meth:`TalentModel.yearly`), built once a step: the page's views all read them.
        Read-only: the same frame is returned until the next step."""
        if self._yearly is None or self._yearly[0] != self.steps:
            self._yearly = (self.steps, super().yearly())
        return self._yearly[1]

    def baseline_yearly(self):
        """The baseline run's yearly outputs, built once a step (read-only, as :meth:`yearly`)."""
        if self._baseline_yearly is None or self._baseline_yearly[0] != self.baseline.steps:
            self._baseline_yearly = (self.baseline.steps, self.baseline.yearly())
        return self._baseline_yearly[1]

    def researcher_arrays(self) -> dict[str, np.ndarray]:
        """The policy run's researchers now: id, country, sector, stage and ln_talent, one array each; read from
        the Mesa agents themselves on the agent engine."""
        if self.engine == "agents":
            agents = list(self.agents)
            return {name: np.array([getattr(r, name) for r in agents]) for name in AGENT_VIEW_FIELDS}
        return {name: getattr(self.population, name) for name in AGENT_VIEW_FIELDS}

    @property
    def lever_names(self) -> list[str]:
        """Config sections of the levers switched on in the policy run."""
        return [lever.name for lever in self.levers]
