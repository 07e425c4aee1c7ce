"""The carrier presets a SIM can name, each with a sample SIM built from it: `simfeed presets` and
the editor's list.

Read-only reference data shipped with simfeed; it needs no config, no log and no app.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from ..config import presets
from ..config.presets import Preset
from ..config.problems import Problem
from ..config.sims import preset_sample
from ..core.costs import checked_long_ago, months_since
from ..core.model import Sim

# The day the sample SIMs were last renewed: any fixed day serves, the rules are what is shown.
SAMPLE_RENEWED = date(2000, 1, 1)


def catalogue() -> dict[str, Preset]:
    """Every preset shipped with simfeed, by id."""
    return presets.catalogue()


@dataclass(frozen=True)
class KeepCost:
    """The cheapest action that keeps a preset's number, at home (`country` None) or abroad."""

    country: str | None
    price: Mapping[str, Any]


@dataclass(frozen=True)
class Entry:
    """One preset as `simfeed presets` lists it, on `today`."""

    preset: Preset
    today: date
    # The SIM the preset makes; None (with the problems) only for a hand-edited, broken catalogue.
    sim: Sim | None
    problems: tuple[Problem, ...]
    # How long ago its sources were checked: whole months, and the days when under a month.
    months: int
    days: int
    keep_costs: tuple[KeepCost, ...]
    checked_long_ago: bool


def entries(today: date | None = None) -> list[Entry]:
    """Every preset with its sample SIM, its costs at home and abroad, and its age on `today` (the
    machine's today by default: `simfeed presets` reads no config, so no calendar's zone)."""
    today = today or date.today()
    found = []
    for preset in catalogue().values():
        sim, problems = preset_sample(preset.id, SAMPLE_RENEWED)
        variants = (("home", preset.keys.get("keep_cost")), *sorted(preset.abroad.items()))
        costs = tuple(KeepCost(None if country == "home" else country, price)
                      for country, price in variants if price is not None)
        found.append(Entry(preset, today, sim, tuple(problems), months_since(preset.checked, today),
                           (today - preset.checked).days, costs, checked_long_ago(preset.checked, today)))
    return found
