"""TalentModel's DataCollector: Mesa's, with the agent table filled from the year's arrays.

Mesa's DataCollector calls every agent reporter on every agent each year, which
costs more than the agent engine's whole year (about 5 µs an agent for five
reporters). When the reporters are the model's own (:data:`AGENT_REPORTERS`),
this collector asks the model for the same rows, built from the end-of-year
arrays the model has anyway (:meth:`simulation.model.TalentModel.agent_records`);
tests/test_engines.py checks that they equal what Mesa's own collection gives.
Any other reporters are collected Mesa's way.
"""

from __future__ import annotations

import operator
from collections.abc import Iterable
from typing import Any

import mesa

#: The agent reporters (agent engine): column -> Researcher attribute, read with ``operator.attrgetter``
#: (Mesa wraps an attribute name in a local function, which cannot be pickled).
AGENT_REPORTERS: dict[str, operator.attrgetter] = {
    name: operator.attrgetter(attribute) for name, attribute in (
        ("country", "country_code"), ("sector", "sector_name"), ("stage", "stage_name"), ("talent", "talent"),
        ("support", "support_received"))}


class TalentDataCollector(mesa.DataCollector):
    """Mesa's DataCollector; with :data:`AGENT_REPORTERS` as its agent reporters, the agent table's rows come from
    the model's ``agent_records()``: ``(time, unique_id, *values)`` per agent, in the order of ``model.agents``."""

    def _record_agents(self, model: Any) -> Iterable[tuple[Any, ...]]:
        if self.agent_reporters == AGENT_REPORTERS and hasattr(model, "agent_records"):
            return model.agent_records()
        return super()._record_agents(model)

    def mesa_records(self, model: Any) -> list[tuple[Any, ...]]:
        """The agent table's rows for ``model`` now, as Mesa's DataCollector collects them (one call per reporter
        per agent): what :meth:`_record_agents` must equal."""
        return list(super()._record_agents(model))
