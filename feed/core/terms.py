"""A carrier's terms as a preset states them: where they come from, how sure they are, and
their texts in each language simfeed speaks. Pure: the catalogue itself is read by config.presets.

The texts are data, not gettext messages: a carrier's own words differ between Simplified
Chinese (mainland wording) and Traditional Chinese (Hong Kong and Taiwan carriers' terms,
增值/儲值), which no character conversion gives.
"""

from __future__ import annotations

import enum
import functools
from dataclasses import dataclass

from babel import Locale, UnknownLocaleError

# The languages preset texts are written in; English is the fallback of user-written presets.
TEXT_LANGUAGES = ("en", "zh-Hans", "zh-Hant")
# Ways a number is renewed, in the order the page lists them.
RENEW_WAYS = ("app", "web", "ussd", "sms", "phone", "shop", "auto")
SOURCE_KINDS = ("carrier", "third-party")


@functools.cache
def text_language(language: str) -> str:
    """The preset-text language for a language tag of the app: the one place zh-CN becomes zh-Hans.

    Chinese goes by script (Babel's likely subtags: zh-TW, zh-HK and zh-MO are Traditional);
    anything else reads the English texts.

    >>> [text_language(tag) for tag in ("en", "zh-CN", "zh-Hans", "zh-Hant", "zh-TW", "zh-HK", "fr")]
    ['en', 'zh-Hans', 'zh-Hans', 'zh-Hant', 'zh-Hant', 'zh-Hant', 'en']
    """
    try:
        locale = Locale.parse(language.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return "en"
    if locale.language != "zh":
        return "en"
    return "zh-Hant" if locale.script == "Hant" else "zh-Hans"


class Confidence(enum.Enum):
    """How sure a rule is, derived from the kinds of its sources (never stored)."""

    CARRIER = "carrier's own terms"
    MIXED = "carrier's terms, partly reported by users"
    USERS = "reported by users"

    @classmethod
    def of(cls, sources: tuple[Source, ...]) -> Confidence:
        """All sources the carrier's own: CARRIER; none: USERS; some: MIXED.

        >>> own, user = Source(None, "A", "carrier"), Source(None, "B", "third-party")
        >>> Confidence.of((own,)).name, Confidence.of((own, user)).name, Confidence.of((user,)).name
        ('CARRIER', 'MIXED', 'USERS')
        """
        own = sum(source.kind == "carrier" for source in sources)
        if own == len(sources) and own:
            return cls.CARRIER
        return cls.MIXED if own else cls.USERS


@dataclass(frozen=True)
class Source:
    """Where a rule comes from: a public page, its title, its own date (None: undated) and its kind.

    `url` is None when the research names the site and page but not its exact address.
    """

    url: str | None
    title: str
    kind: str
    # "2016", "2022-06" or "2025-03-18": as precise as the page itself is.
    date: str | None = None


@dataclass(frozen=True)
class StageText:
    """A stage's status and recovery in one language, in the order of the preset's stages."""

    status: str
    recovery: str | None = None


@dataclass(frozen=True)
class PresetTexts:
    """Everything a preset says in words, in one language (see TEXT_LANGUAGES).

    `renew_ways` and `abroad_actions` are (key, text) pairs: a way of RENEW_WAYS, or the
    ISO country of a keep_cost variant.
    """

    language: str
    title: str
    how_to_renew: str
    what_counts: str
    not_counted: str | None = None
    renew_ways: tuple[tuple[str, str], ...] = ()
    stages: tuple[StageText, ...] = ()
    keep_cost_action: str | None = None
    abroad_actions: tuple[tuple[str, str], ...] = ()
    notes: str | None = None
    prerequisites: tuple[str, ...] = ()

    def abroad_action(self, country: str) -> str | None:
        """What the cheapest action is while the SIM is in `country`, if the preset knows."""
        return dict(self.abroad_actions).get(country)
