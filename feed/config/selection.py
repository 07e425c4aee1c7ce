"""Which SIMs a [[feed]] or a [[notify]] table is for: `sims = [...]` and/or `tags = [...]`."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from ..core import parsers
from ..core.durations import quote
from ..core.model import Sim
from .problems import Collector, Place


def chosen_sims(where: Place, table: Mapping[str, Any], sims: list[Sim], found: Collector,
                everyone: bool = False) -> tuple[str, ...] | None:
    """The ids of the SIMs named by id or by tag, in the config's order; None after a problem.

    Without sims and tags: every SIM when `everyone` (a push channel), else a problem (a named
    feed must say whom it is for).
    """
    before = len(found.problems)
    chosen = found.field(where, table, "sims", parsers.words(parsers.sim_id), ())
    tags = found.field(where, table, "tags", parsers.words(parsers.sim_id), ())
    known = {sim.id for sim in sims}
    for sim_id in chosen:
        if sim_id not in known:
            found.add(where.at("sims"), "unknown_sim", value=quote(sim_id))
    known_tags = {tag for sim in sims for tag in sim.tags}
    for tag in tags:
        if tag not in known_tags:
            found.add(where.at("tags"), "unknown_tag", value=quote(tag))
    if "sims" not in table and "tags" not in table:
        if everyone:
            return tuple(sim.id for sim in sims)
        found.add(where, "choose_sims")
    if len(found.problems) > before:
        return None
    return tuple(s.id for s in sims if s.id in chosen or set(s.tags) & set(tags))
