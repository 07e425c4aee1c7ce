"""Currencies a form offers (a <datalist>): each code the parser accepts, in the reader's language."""

from __future__ import annotations

import functools

from babel.numbers import get_currency_name
from flask_babel import get_locale

from ..core import parsers


def options() -> list[tuple[str, str]]:
    """(code, name) for each currency in use, by code; the names in the page's language."""
    return _named(str(get_locale() or "en"))


@functools.cache
def _named(locale: str) -> list[tuple[str, str]]:
    return [(code, get_currency_name(code, locale=locale)) for code in sorted(parsers.currency_codes())]
