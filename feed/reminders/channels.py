"""Sending one message to one apprise URL, and saying why it failed without leaking the URL.

apprise answers a send with True or False; why it failed is in what it logs, which is
captured here, cut to its last line and scrubbed of every part of the URL (a bot token,
a password, a webhook key) before it is stored or shown. Whether a failed message may
have arrived all the same (no answer in time) is told by the transport (transport.py).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import apprise

from ..core import tokens
from ..core.scrubbing import scrub_url
from . import transport

MAX_ERROR = 300
# How long a receiver has to accept the connection, then to answer (seconds), unless its URL
# says otherwise (apprise's cto= and rto=). apprise's own 4 s cut off slow but working services.
CONNECT_TIMEOUT = 10.0
READ_TIMEOUT = 30.0


@dataclass(frozen=True)
class Failure:
    """Why a message was not confirmed (scrubbed); `unconfirmed` when it may have arrived all the same."""

    reason: str
    unconfirmed: bool = False

    def __str__(self) -> str:
        return self.reason


# One send: (url, title, body) -> None when delivered, else why not.
Sender = Callable[[str, str, str], "Failure | None"]


def scrub(text: str, url: str) -> str:
    """`text` with every part of `url` that could be a secret (core.scrubbing.parts) replaced, and any
    token redacted.

    >>> scrub("Failed to send to 123456:AAbbCC/77 at api.telegram.org", "tgram://123456:AAbbCC/77")
    'Failed to send to … at api.telegram.org'
    """
    return tokens.redact(scrub_url(text, url))[:MAX_ERROR]


def _with_timeouts(plugin: apprise.plugins.NotifyBase, url: str) -> None:
    """The receiver's time-outs: ours, unless the URL sets apprise's own."""
    given = parse_qs(urlsplit(url).query)
    if "cto" not in given:
        plugin.socket_connect_timeout = CONNECT_TIMEOUT
    if "rto" not in given:
        plugin.socket_read_timeout = READ_TIMEOUT


def send(url: str, title: str, body: str) -> Failure | None:
    """Send through apprise; None when it was delivered, else the reason, scrubbed.

    A failure is `unconfirmed` when the request may have reached the receiver (it did not
    answer in time, or dropped the connection after the request): it must not be sent again.
    A refused connection, or an error the receiver answered, is a plain failure, to retry.
    """
    plugin = apprise.Apprise.instantiate(url)
    if plugin is None:  # the config was checked at load time; an apprise upgrade could still refuse it
        return Failure("apprise cannot send to this URL any more")
    _with_timeouts(plugin, url)
    with apprise.LogCapture(level=logging.WARNING) as captured, transport.watched() as errors:  # type: ignore[no-untyped-call]
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
    maybe = transport.may_have_arrived(errors)
    if maybe is not None:
        said = f"{said} ({type(maybe).__name__}: no answer, so it may have arrived)"
    return Failure(scrub(said, url), unconfirmed=maybe is not None)
