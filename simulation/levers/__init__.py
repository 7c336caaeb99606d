"""Policy levers: one module a lever, one config section a lever.

A new lever is a module with a :class:`~simulation.levers.base.Lever` subclass,
a config dataclass in :mod:`simulation.schema` and an entry in :data:`LEVERS`.
"""

from __future__ import annotations

from simulation.levers.base import Approach, Choices, Chooser, Labs, Lever, Offer, Payments, YearContext
from simulation.levers.hours_exemption import HoursExemption
from simulation.levers.return_grant import ReturnGrant
from simulation.levers.salary_match import SalaryMatch
from simulation.levers.star_recruitment import StarRecruitment
from simulation.schema import Config
from simulation.world import World

#: Lever classes by their config section under ``[policies]``.
LEVERS: dict[str, type[Lever]] = {
    "salary_match": SalaryMatch,
    "hours_exemption": HoursExemption,
    "star_recruitment": StarRecruitment,
    "return_grant": ReturnGrant,
}


def build_levers(config: Config, world: World) -> list[Lever]:
    """The levers a scenario switches on, each with its column in the contract arrays."""
    return [LEVERS[name](name, lever_config, column, world)
            for column, (name, lever_config) in enumerate(config.policies.levers())]


__all__ = ["LEVERS", "Approach", "Choices", "Chooser", "Labs", "Lever", "Offer", "Payments", "YearContext",
           "build_levers"]
