"""Carrier presets: a catalogue shipped with the package (presets.toml), applied to raw SIM tables.

A preset fills in keys before validation, so a preset-based SIM is checked by
exactly the same rules as one written out in full.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

# Keys that together make a SIM's rule: setting any one on the SIM drops all of the preset's.
RULE_KEYS = frozenset({"keep_alive", "expires", "topup", "charge", "counts"})
STAGE_KEYS = frozenset({"grace", "stages"})
# Keys of a catalogue entry that describe it rather than the SIM.
ABOUT_KEYS = frozenset({"title", "source", "checked", "free_numbers"})


@dataclass(frozen=True)
class Preset:
    """One carrier's rule as its source states it."""

    id: str
    title: str
    source: str
    checked: date
    keys: dict[str, Any]
    # Numbers a text to which does not count as activity (giffgaff's 43430): no autopilot may use them.
    free_numbers: tuple[str, ...] = ()


@cache
def catalogue() -> dict[str, Preset]:
    """Every preset shipped with simfeed, by id."""
    data = tomllib.loads(resources.files(__package__).joinpath("presets.toml").read_text("utf-8"))
    return {
        preset_id: Preset(
            id=preset_id,
            title=entry["title"],
            source=entry["source"],
            checked=entry["checked"],
            keys={k: v for k, v in entry.items() if k not in ABOUT_KEYS},
            free_numbers=tuple(entry.get("free_numbers", ())),
        )
        for preset_id, entry in data.items()
    }


def apply(preset: Preset, table: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The SIM table with the preset's keys filled in; and whether the rule is the preset's.

    >>> giffgaff = catalogue()["giffgaff"]
    >>> merged, from_preset = apply(giffgaff, {"id": "x", "keep_alive": "180 days", "last_renewal": 1})
    >>> merged["keep_alive"], "counts" in merged, from_preset
    ('180 days', False, False)
    """
    own_rule = bool(RULE_KEYS & table.keys())
    own_stages = bool(STAGE_KEYS & table.keys())
    merged = {
        key: value for key, value in preset.keys.items()
        if not (own_rule and key in RULE_KEYS) and not (own_stages and key in STAGE_KEYS)
    }
    merged.update(table)
    merged.pop("preset", None)
    return merged, not own_rule
