"""Which language the page speaks: the visitor's choice, else the browser's, else the config's."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from ..calendar.wording import Wording, babel_name
from ..core.model import LANGUAGES

# A language's primary subtag -> the language served: zh-TW and zh-Hans-CN readers get
# Simplified Chinese rather than English.
_BY_PRIMARY = {"en": "en", "zh": "zh-CN"}


def choose(accepted: Iterable[str], chosen: str | None, fallback: str) -> str:
    """The language to serve, from the visitor's pick, Accept-Language (best first) and the config.

    >>> choose(["fr", "zh-TW", "en"], None, "en"), choose(["de"], None, "zh-CN")
    ('zh-CN', 'zh-CN')
    >>> choose(["zh-CN"], "en", "zh-CN"), choose(["*"], None, "zh-CN")
    ('en', 'zh-CN')
    """
    if chosen in LANGUAGES:
        return chosen
    for tag in accepted:
        served = _BY_PRIMARY.get(tag.split("-")[0].split("_")[0].lower())
        if served is not None:
            return served
    return fallback


def html_lang() -> str:
    """The current locale as an HTML lang attribute: zh_Hans_CN -> "zh-CN"."""
    locale = get_locale()
    if locale is None:
        return "en"
    return f"{locale.language}-{locale.territory}" if locale.territory else str(locale.language)


def wording() -> Wording:
    """simfeed's wording in the page's language: the same sentences as the feed's."""
    return Wording(html_lang())


def init_app(app: Flask, fallback: Callable[[], str]) -> None:
    """Flask-Babel, choosing per request; `fallback` gives the config's [calendar] language."""

    def select() -> str:
        accepted = [tag for tag, _quality in request.accept_languages]
        return babel_name(choose(accepted, session.get("lang"), fallback()))

    Babel(app, locale_selector=select)
    app.jinja_env.globals["html_lang"] = html_lang
    app.context_processor(lambda: {"words": wording()})

