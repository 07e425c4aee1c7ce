"""Which language the page speaks: the visitor's choice, else the browser's, else the config's."""

from __future__ import annotations

from collections.abc import Callable, Iterable

from flask import Flask, request, session
from flask_babel import Babel, get_locale

from ..core.languages import served
from ..core.model import LANGUAGES
from ..core.wording import Wording, babel_name


def choose(accepted: Iterable[str], chosen: str | None, fallback: str) -> str:
    """The language to serve, from the visitor's pick, Accept-Language (best first) and the config.

    >>> choose(["fr", "zh-TW", "en"], None, "en"), choose(["de"], None, "zh-CN")
    ('zh-Hant', 'zh-CN')
    >>> choose(["zh-CN"], "en", "zh-CN"), choose(["*"], None, "zh-CN")
    ('en', 'zh-CN')
    """
    if chosen in LANGUAGES:
        return chosen
    for tag in accepted:
        language = served(tag)
        if language is not None:
            return language
    return fallback


def html_lang() -> str:
    """The current locale as an HTML lang attribute (and simfeed's language): zh_Hans_CN -> "zh-CN",
    zh_Hant -> "zh-Hant"."""
    locale = get_locale()
    if locale is None:
        return "en"
    if locale.territory:
        return f"{locale.language}-{locale.territory}"
    return f"{locale.language}-{locale.script}" if locale.script else str(locale.language)


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

