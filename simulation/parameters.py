"""Friendly keyword parameters of the model (for sliders and ``mesa.batch_run``) and scaling.

Each keyword maps to a dotted config key; setting a lever's keyword switches
that lever on with its defaults for the rest.
"""

from __future__ import annotations

from typing import Any

from simulation.config import apply_overrides, build_config, config_as_raw
from simulation.schema import Config

#: Model keyword -> dotted config key.
PARAMETER_KEYS: dict[str, str] = {
    "years": "simulation.years",
    "match_share": "policies.salary_match.share",
    "match_cap": "policies.salary_match.cap",
    "match_budget": "policies.salary_match.budget",
    "stars_per_year": "policies.star_recruitment.stars_per_year",
    "star_budget": "policies.star_recruitment.budget",
    "return_grant": "policies.return_grant.grant",
    "return_grant_budget": "policies.return_grant.budget",
}
#: Model keywords that switch a lever on (True) or off (False).
SWITCHES: dict[str, str] = {
    "hours_exemption": "hours_exemption",
    "salary_match": "salary_match",
    "star_recruitment": "star_recruitment",
    "return_grant_on": "return_grant",
}


def scale_population(config: Config, researchers: int) -> Config:
    """``config`` with ``researchers`` agents in the steady state.

    The yearly cohort follows (it is derived from the population size), and the
    workforce is unchanged, so each agent stands for more or fewer people and
    money and counts stay in real units. The same as setting ``simulation.researchers``.
    """
    return build_config(apply_overrides(config_as_raw(config), [("simulation.researchers", researchers)]),
                        "--researchers")


def with_parameters(config: Config, source: str = "model parameters", **params: Any) -> Config:
    """``config`` with the model keywords of :data:`PARAMETER_KEYS` and :data:`SWITCHES` applied, and any dotted
    config key (``**{"preferences.wage": 1.0}``, as ``mesa.batch_run`` passes it) set and validated like ``--set``.

    Dotted keys apply after the keywords; ``simulation.researchers`` is scaled as ``researchers`` is (the cohort
    follows). Raises TypeError for an unknown keyword, ConfigError for a bad dotted key or value.
    """
    dotted = {k: v for k, v in params.items() if "." in k}
    unknown = sorted(set(params) - set(PARAMETER_KEYS) - set(SWITCHES) - {"researchers"} - set(dotted))
    if unknown:
        allowed = ", ".join(sorted([*PARAMETER_KEYS, *SWITCHES, "researchers"]))
        raise TypeError(f"unknown model parameter(s) {', '.join(unknown)}; allowed: {allowed}, or any dotted "
                        "config key (e.g. preferences.wage)")
    population = dotted.pop("simulation.researchers", None)
    if population is not None and params.get("researchers") is not None:
        raise TypeError("give the number of researchers once: researchers or simulation.researchers")
    if population is not None:
        params = {**params, "researchers": population}
    raw = config_as_raw(config)
    policies = raw.setdefault("policies", {})
    for keyword, section in SWITCHES.items():
        if keyword in params and params[keyword] is not None:
            if params[keyword]:
                policies.setdefault(section, {})
            else:
                policies.pop(section, None)
    overrides = [(PARAMETER_KEYS[k], v) for k, v in params.items() if k in PARAMETER_KEYS and v is not None]
    overrides += list(dotted.items())
    out = build_config(apply_overrides(raw, overrides), source)
    if params.get("researchers") is not None:
        out = scale_population(out, int(params["researchers"]))
    return out
