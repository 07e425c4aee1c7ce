"""Carrier presets: a catalogue shipped with the package (presets.toml), applied to raw SIM tables.

A preset fills in keys before validation, so a preset-based SIM is checked by
exactly the same rules as one written out in full. Besides the SIM keys, a preset
says where its rule comes from (`sources`, whence its confidence), when it was
checked, what it costs where the SIM is kept, and its texts in every language:

>>> giffgaff = catalogue()["giffgaff"]
>>> giffgaff.confidence.value
"carrier's own terms"
>>> texts = giffgaff.texts("zh-CN")           # an app language; zh-CN reads the zh-Hans texts
>>> texts.language, texts.title
('zh-Hans', 'giffgaff（英国）')

Shipped presets carry every language (tests/test_presets.py): `texts` refuses a missing
one. A user-written preset (parse(…, shipped=False)) falls back to English, key by key.
"""

from __future__ import annotations

import tomllib
from dataclasses import dataclass, field
from datetime import date
from functools import cache, cached_property
from importlib import resources
from typing import Any

from ..core.model import RULES
from ..core.terms import (
    RENEW_WAYS,
    SOURCE_KINDS,
    TEXT_LANGUAGES,
    Confidence,
    PresetTexts,
    Source,
    StageText,
    text_language,
)

# Keys that together make a SIM's rule: setting any one on the SIM drops all of the preset's.
RULE_KEYS = frozenset({*RULES, "counts"})
# The SIM keys that set its stages (`grace` is shorthand for one stage); either drops the preset's.
STAGE_SETTING_KEYS = frozenset({"grace", "stages"})
# Keys whose preset texts stand in for the SIM's, in the SIM's language, when the preset filled them.
TEXT_KEYS = ("how_to_renew", "notes", "stages", "keep_cost")
# Keys of a catalogue entry that describe it rather than the SIM (with one table per language).
ABOUT_KEYS = frozenset({"title", "sources", "checked", "home", "what_counts", "not_counted",
                        "renew_ways", "prerequisites", "keep_cost_abroad", "free_numbers", *TEXT_LANGUAGES})
# The keys of a language table ([giffgaff.zh-Hans]); the English are at the entry's top level.
LANGUAGE_KEYS = frozenset({"title", "how_to_renew", "what_counts", "not_counted", "renew_ways", "stages",
                           "keep_cost_action", "abroad_actions", "notes", "prerequisites"})
SOURCE_KEYS = frozenset({"url", "title", "kind", "date"})
# Keys every preset has in every language.
REQUIRED_TEXTS = ("title", "how_to_renew", "what_counts")


class PresetError(ValueError):
    """A preset in a catalogue is malformed: names the file, the preset and the key."""


class MissingTexts(PresetError):
    """A shipped preset lacks texts in a language simfeed speaks."""


@dataclass(frozen=True)
class Preset:
    """One carrier's rule as its sources state it, with its texts in every language."""

    id: str
    title: str
    checked: date
    keys: dict[str, Any]
    sources: tuple[Source, ...] = ()
    # The carrier's country (ISO 3166): a SIM with used_in = this is at home.
    home: str | None = None
    # keep_cost tables by the country the SIM is kept in ("CN"), each with its own source.
    abroad: dict[str, dict[str, Any]] = field(default_factory=dict)
    # The entry as written: English texts at the top level, a table per other language.
    raw: dict[str, Any] = field(default_factory=dict, repr=False)
    # Shipped with simfeed (every language required) or written by a user (English fallback).
    shipped: bool = True
    # Numbers a text to which does not count as activity (giffgaff's 43430): no autopilot may use them.
    free_numbers: tuple[str, ...] = ()

    @property
    def confidence(self) -> Confidence:
        """Derived from the sources' kinds: the carrier's own pages, users' reports, or both."""
        return Confidence.of(self.sources)

    @property
    def source(self) -> str:
        """The sources in one line, for the feed: "title (date); title"."""
        return "; ".join(s.title + (f" ({s.date})" if s.date else "") for s in self.sources)

    def texts(self, language: str) -> PresetTexts:
        """The preset's texts in a language (an app tag such as "zh-CN", or "zh-Hant").

        Raises MissingTexts when a shipped preset lacks one of them; a user-written
        preset gets the English text for each one it lacks.
        """
        english = _english(self.raw)
        wanted = text_language(language)
        if wanted == "en":
            return english
        table = self.raw.get(wanted, {})
        if self.shipped:
            missing = missing_texts(self.raw, wanted)
            if missing:
                raise MissingTexts(f"preset {self.id}: [{self.id}.{wanted}] lacks {', '.join(missing)}")
        stages = table.get("stages")
        return PresetTexts(
            language=wanted,
            title=table.get("title", english.title),
            how_to_renew=table.get("how_to_renew", english.how_to_renew),
            what_counts=table.get("what_counts", english.what_counts),
            not_counted=table.get("not_counted", english.not_counted),
            renew_ways=_ways(table["renew_ways"]) if "renew_ways" in table else english.renew_ways,
            stages=(tuple(StageText(s["status"], s.get("recovery")) for s in stages) if stages is not None
                    else english.stages),
            keep_cost_action=table.get("keep_cost_action", english.keep_cost_action),
            abroad_actions=(tuple(sorted(table["abroad_actions"].items())) if "abroad_actions" in table
                            else english.abroad_actions),
            notes=table.get("notes", english.notes),
            prerequisites=tuple(table.get("prerequisites", english.prerequisites)),
        )

    def all_texts(self) -> tuple[PresetTexts, ...]:
        """The texts in every language of TEXT_LANGUAGES, English first (made once per preset)."""
        return self._all_texts

    @cached_property
    def _all_texts(self) -> tuple[PresetTexts, ...]:
        # Every SIM naming the preset shares this tuple: one per catalogue, not per reload.
        return tuple(self.texts(language) for language in TEXT_LANGUAGES)


def _ways(table: dict[str, str]) -> tuple[tuple[str, str], ...]:
    return tuple((way, table[way]) for way in RENEW_WAYS if way in table)


def _english(raw: dict[str, Any]) -> PresetTexts:
    cost = raw.get("keep_cost", {})
    return PresetTexts(
        language="en",
        title=raw["title"],
        how_to_renew=raw["how_to_renew"],
        what_counts=raw["what_counts"],
        not_counted=raw.get("not_counted"),
        renew_ways=_ways(raw.get("renew_ways", {})),
        stages=tuple(StageText(s["status"], s.get("recovery")) for s in raw.get("stages", ())),
        keep_cost_action=cost.get("action"),
        abroad_actions=tuple(sorted((country, variant["action"]) for country, variant
                                    in raw.get("keep_cost_abroad", {}).items() if "action" in variant)),
        notes=raw.get("notes"),
        prerequisites=tuple(raw.get("prerequisites", ())),
    )


def missing_texts(raw: dict[str, Any], language: str) -> list[str]:
    """What a language table lacks that the English has: keys, ways, stages, recoveries, countries."""
    table = raw.get(language)
    if not isinstance(table, dict):
        return [f"the whole table [{language}]"]
    english = _english(raw)
    missing = [key for key in REQUIRED_TEXTS if key not in table]
    for key, there in (("not_counted", english.not_counted), ("notes", english.notes),
                       ("keep_cost_action", english.keep_cost_action),
                       ("prerequisites", english.prerequisites)):
        if there and key not in table:
            missing.append(key)
    ways = table.get("renew_ways", {})
    missing += [f"renew_ways.{way}" for way, _text in english.renew_ways if way not in ways]
    abroad = table.get("abroad_actions", {})
    missing += [f"abroad_actions.{country}" for country, _text in english.abroad_actions
                if country not in abroad]
    stages = table.get("stages", [])
    if len(stages) != len(english.stages):
        missing.append(f"stages ({len(english.stages)}, with status and recovery as in English)")
    else:
        pairs = enumerate(zip(stages, english.stages, strict=True))
        missing += [f"stages[{i}].recovery" for i, (mine, theirs) in pairs
                    if theirs.recovery and "recovery" not in mine]
    if len(table.get("prerequisites", english.prerequisites)) != len(english.prerequisites):
        missing.append(f"prerequisites ({len(english.prerequisites)})")
    return missing


def _source(where: str, entry: Any) -> Source:
    if not isinstance(entry, dict) or not {"title", "kind"} <= entry.keys() or set(entry) - SOURCE_KEYS:
        raise PresetError(f"{where}: each source is {{ title, kind, url and date (both optional) }}")
    if entry["kind"] not in SOURCE_KINDS:
        raise PresetError(f"{where}: kind must be one of {', '.join(SOURCE_KINDS)}")
    url = entry.get("url")
    if url is not None and not str(url).startswith(("https://", "http://")):
        raise PresetError(f"{where}: url must be a web address")
    day = entry.get("date")
    return Source(url, entry["title"], entry["kind"], None if day is None else str(day))


def _preset(where: str, preset_id: str, entry: dict[str, Any], shipped: bool) -> Preset:
    at = f"{where}: preset {preset_id}"
    for key in ("title", "checked", "how_to_renew", "what_counts"):
        if key not in entry:
            raise PresetError(f"{at}: {key} is missing")
    if not isinstance(entry["checked"], date):
        raise PresetError(f"{at}: checked must be a date like 2026-12-06")
    sources = tuple(_source(f"{at}: sources", s) for s in entry.get("sources", ()))
    if not sources:
        raise PresetError(f"{at}: sources is missing (where does the rule come from?)")
    unknown = [key for key in entry if isinstance(entry[key], dict) and key in TEXT_LANGUAGES
               and set(entry[key]) - LANGUAGE_KEYS]
    if unknown:
        raise PresetError(f"{at}: unknown keys in [{preset_id}.{unknown[0]}]: "
                          + ", ".join(sorted(set(entry[unknown[0]]) - LANGUAGE_KEYS)))
    return Preset(
        id=preset_id,
        title=entry["title"],
        checked=entry["checked"],
        keys={k: v for k, v in entry.items() if k not in ABOUT_KEYS},
        sources=sources,
        home=entry.get("home"),
        abroad=dict(entry.get("keep_cost_abroad", {})),
        raw=entry,
        shipped=shipped,
        free_numbers=tuple(entry.get("free_numbers", ())),
    )


def parse(text: str, where: str, shipped: bool = False) -> dict[str, Preset]:
    """A presets file's text -> its presets by id; PresetError names the file, preset and key."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as problem:
        raise PresetError(f"{where}: {problem}") from None
    return {preset_id: _preset(where, preset_id, entry, shipped) for preset_id, entry in data.items()}


@cache
def catalogue() -> dict[str, Preset]:
    """Every preset shipped with simfeed, by id."""
    text = resources.files(__package__).joinpath("presets.toml").read_text("utf-8")
    return parse(text, "presets.toml", shipped=True)


def texts(preset_id: str, language: str) -> PresetTexts:
    """A shipped preset's texts in an app language: the call for pages, feeds and push messages.

    >>> texts("povo", "zh-Hant").title
    'povo 2.0（日本）'
    """
    return catalogue()[preset_id].texts(language)


def apply(preset: Preset, table: dict[str, Any]) -> tuple[dict[str, Any], bool]:
    """The SIM table with the preset's keys filled in; and whether the rule is the preset's.

    >>> giffgaff = catalogue()["giffgaff"]
    >>> merged, from_preset = apply(giffgaff, {"id": "x", "keep_alive": "180 days", "last_renewal": 1})
    >>> merged["keep_alive"], "counts" in merged, from_preset
    ('180 days', False, False)
    """
    own_rule = bool(RULE_KEYS & table.keys())
    own_stages = bool(STAGE_SETTING_KEYS & table.keys())
    merged = {
        key: value for key, value in preset.keys.items()
        if not (own_rule and key in RULE_KEYS) and not (own_stages and key in STAGE_SETTING_KEYS)
    }
    merged.update(table)
    merged.pop("preset", None)
    return merged, not own_rule


def filled(preset: Preset, table: dict[str, Any]) -> frozenset[str]:
    """Which of TEXT_KEYS the preset fills in on this SIM table (the SIM's own keys win).

    >>> sorted(filled(catalogue()["povo"], {"notes": "mine", "grace": "30 days"}))
    ['how_to_renew', 'keep_cost']
    """
    own_stages = bool(STAGE_SETTING_KEYS & table.keys())
    return frozenset(key for key in TEXT_KEYS
                     if key in preset.keys and key not in table and not (key == "stages" and own_stages))


def keep_cost_where(preset: Preset, used_in: str | None) -> dict[str, Any] | None:
    """The preset's keep_cost table for where the SIM is kept; None when the preset knows no price there.

    >>> giffgaff = catalogue()["giffgaff"]
    >>> keep_cost_where(giffgaff, "home")["amount"], keep_cost_where(giffgaff, "CN")["amount"]
    (0.1, 0.3)
    >>> keep_cost_where(giffgaff, "GB")["amount"], keep_cost_where(giffgaff, "JP")
    (0.1, None)
    """
    if used_in in (None, "home", preset.home):
        home: dict[str, Any] | None = preset.keys.get("keep_cost")
        return home
    return preset.abroad.get(used_in) if used_in is not None else None
