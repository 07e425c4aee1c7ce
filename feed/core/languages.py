"""Which of simfeed's languages a reader gets, from a language tag or a POSIX locale.

One answer for the page (Accept-Language), the CLI (LANGUAGE, LC_ALL, LC_MESSAGES, LANG)
and anything else that names a language: Chinese written in Traditional characters
(zh-Hant, or the places that write it: Taiwan, Hong Kong, Macau) gets zh-Hant, other
Chinese zh-CN, English en.
"""

from __future__ import annotations

from collections.abc import Mapping

from .model import LANGUAGES

_TRADITIONAL_PLACES = frozenset({"tw", "hk", "mo"})
# The POSIX variables that choose a program's messages, the first one set winning.
LOCALE_VARIABLES = ("LANGUAGE", "LC_ALL", "LC_MESSAGES", "LANG")


def served(tag: str) -> str | None:
    """The language of LANGUAGES served to a reader of `tag`, or None for a language simfeed lacks.

    >>> served("zh-TW"), served("zh-Hant"), served("zh_HK.UTF-8"), served("zh-Hans-HK"), served("zh")
    ('zh-Hant', 'zh-Hant', 'zh-Hant', 'zh-CN', 'zh-CN')
    >>> served("en-GB"), served("fr"), served("C.UTF-8")
    ('en', None, None)
    """
    parts = tag.split(".")[0].split("@")[0].replace("_", "-").lower().split("-")
    if parts[0] == "en":
        return "en"
    if parts[0] != "zh":
        return None
    if "hans" in parts[1:]:
        return "zh-CN"
    if "hant" in parts[1:] or _TRADITIONAL_PLACES & set(parts[1:]):
        return "zh-Hant"
    return "zh-CN"


def from_environment(environ: Mapping[str, str]) -> str:
    """The CLI's language from the POSIX locale variables; English when none names one of ours.

    >>> from_environment({"LANG": "zh_TW.UTF-8"}), from_environment({"LC_ALL": "C", "LANG": "zh_CN.UTF-8"})
    ('zh-Hant', 'en')
    >>> from_environment({"LANGUAGE": "fr:zh_CN", "LANG": "en_US.UTF-8"})
    'zh-CN'
    """
    locale = next((environ[name] for name in LOCALE_VARIABLES[1:] if environ.get(name)), "")
    # LANGUAGE lists preferences, as gettext reads it: ignored when the locale is C (no translation).
    if locale.split(".")[0] not in ("C", "POSIX"):
        for tag in environ.get("LANGUAGE", "").split(":"):
            if tag and served(tag):
                return str(served(tag))
    return served(locale) or "en" if locale else "en"


__all__ = ["LANGUAGES", "LOCALE_VARIABLES", "from_environment", "served"]
