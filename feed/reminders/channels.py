"""Sending one message to one apprise URL, and saying why it failed without leaking the URL.

apprise answers a send with True or False; why it failed is in what it logs, which is
captured here, cut to its last line and scrubbed of every part of the URL (a bot token,
a password, a webhook key) before it is stored or shown.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

import apprise

from ..core import tokens

# The part of a URL long enough to be a secret, once split at its punctuation.
_PARTS = re.compile(r"[^/:@?&=#,;\s]{4,}")
MAX_ERROR = 300

# One send: (url, title, body) -> None when delivered, else why not (scrubbed).
Sender = Callable[[str, str, str], "str | None"]


def scrub(text: str, url: str) -> str:
    """`text` with every part of `url` that could be a secret replaced, and any token redacted.

    >>> scrub("Failed to send to 123456:AAbbCC/77 at api.telegram.org", "tgram://123456:AAbbCC/77")
    'Failed to send to …:…/77 at api.telegram.org'
    """
    scheme = url.partition("://")[0]
    for part in sorted(set(_PARTS.findall(url.partition("://")[2])), key=len, reverse=True):
        if part != scheme:
            text = text.replace(part, "…")
    return tokens.redact(text)[:MAX_ERROR]


def send(url: str, title: str, body: str) -> str | None:
    """Send through apprise; None when it was delivered, else the reason, scrubbed."""
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:  # the config was checked at load time; an apprise upgrade could still refuse it
        return "apprise cannot send to this URL any more"
    with apprise.LogCapture(level=logging.WARNING) as captured:  # type: ignore[no-untyped-call]
        try:
            delivered = bool(plugin.notify(body=body, title=title, body_format=apprise.NotifyFormat.TEXT))
        except Exception as error:  # a plugin's bug must not stop the pass; it is reported like a failure
            delivered, reason = False, f"{type(error).__name__}: {error}"
        else:
            reason = ""
        lines = [line for line in captured.getvalue().splitlines() if line.strip()]
    if delivered:
        return None
    said = reason or (lines[-1].split(" - ", 2)[-1] if lines else "apprise reported a failure")
    return scrub(said, url)
