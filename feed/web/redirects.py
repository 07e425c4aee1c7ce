"""Where a `next` parameter may send the browser: a path on this site, never another site."""

from __future__ import annotations

import unicodedata
from urllib.parse import urlsplit

from flask import url_for
from werkzeug.urls import iri_to_uri


def same_site_path(target: str | None) -> str | None:
    """`target` as the Location header will carry it, if that is a path on this site; else None.

    The check runs on what werkzeug writes (iri_to_uri, which drops tabs and newlines as
    browsers do), and anything a browser might read differently is refused outright:
    control characters, whitespace of any script and backslashes.

    >>> same_site_path("/sims/caf\\u00e9?x=1"), same_site_path("/\\t/evil.example/phish")
    ('/sims/caf%C3%A9?x=1', None)
    >>> [same_site_path(t) for t in ("//evil.example", "/\\\\evil.example", "https://e.example/", "x")]
    [None, None, None, None]
    """
    if not target or any(_refused(char) for char in target):
        return None
    written = iri_to_uri(target)
    parts = urlsplit(written)
    if parts.scheme or parts.netloc or not written.startswith("/") or written.startswith("//"):
        return None
    return written


def _refused(char: str) -> bool:
    return char == "\\" or char.isspace() or unicodedata.category(char) in ("Cc", "Cf", "Zl", "Zp", "Zs")


def safe_next(target: str | None) -> str:
    """Where to go after a form: `target` when it is a path on this site, else the front page."""
    return same_site_path(target) or url_for("pages.index")
