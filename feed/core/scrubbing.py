"""Every part of every configured push or gateway URL, scrubbed from the log records of the HTTP
libraries that send to them (apprise, urllib3, requests, httpx).

apprise and urllib3 log what they send to: an ntfy topic (the channel's only
secret), a webhook's path, a bot token inside an API path. Their records reach any
handler (a platform's root handler, a log file, pytest's capture), and a record
propagated from a child logger such as urllib3.connectionpool passes no filter of
its parent loggers. So the scrubbing happens where each record is made, in the
record factory: before any logger, filter or handler sees it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections.abc import Callable, Iterable
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

SCRUBBED = "[url part]"
# Loggers whose records may quote a push or gateway URL: apprise's own, the HTTP library it sends
# with, and httpx, which the autopilot's SMS Gate and Home Assistant clients send with.
LOGGERS = ("apprise", "urllib3", "requests", "httpx", "httpcore")
# Shorter parts (a port, "v1") are not secrets, and scrubbing them would garble every line.
SHORTEST = 3


# What a URL's pieces are cut at, besides its structure: a list of recipients ("a@x.org,b@y.org")
# or a chat id and a bot token ("123456:AAbbCC") hold secrets that a line may quote one by one.
_PUNCTUATION = re.compile(r"[/:@?&=#,;\s]+")


def parts(url: str) -> set[str]:
    """The pieces of `url` that a log line or an error may quote: the whole, its user, password, host,
    path segments, query keys and values and fragment, and every run between its punctuation, each as
    written and percent-decoded; never its scheme alone (which is shown), nor a piece under SHORTEST.

    The one answer to "what of this URL is secret", for the log records (Scrubber) and for the
    errors a send stores and shows (reminders.channels.scrub).

    >>> found = parts("json://bob:hunter22@hooks.example:8080/api/SECRET?token=qv8x")
    >>> sorted(found & {"bob", "hunter22", "hooks.example", "8080", "SECRET", "token", "qv8x", "json"})
    ['8080', 'SECRET', 'bob', 'hooks.example', 'hunter22', 'qv8x', 'token']
    >>> sorted(parts("tgram://123456:AAbbCC/789"))
    ['/789', '123456', '123456:AAbbCC', '123456:AAbbCC/789', '789', 'AAbbCC', 'tgram://123456:AAbbCC/789']
    >>> recipients = parts("mailto://me:pw1@mail.example?to=ann@one.example,ben@two.example")
    >>> sorted(recipients & {"one.example", "ben"})
    ['ben', 'one.example']
    """
    url = url.strip()
    split = urlsplit(url)
    scheme, _sep, rest = url.partition("://")
    found = {url, rest, split.netloc, split.path, split.query, split.fragment}
    userinfo, _at, host = split.netloc.rpartition("@")
    found.update({userinfo, host, *userinfo.split(":"), *host.split(":")})
    found.update(split.path.split("/"))
    for key, value in parse_qsl(split.query, keep_blank_values=True):
        found.update({key, value})
    found.update(_PUNCTUATION.split(rest))
    found |= {unquote(part) for part in found}
    found |= {piece for part in list(found) for piece in _PUNCTUATION.split(part)}
    return {part for part in found if len(part) >= SHORTEST and part.lower() != scheme.lower()}


def pattern(pieces: Iterable[str]) -> re.Pattern[str] | None:
    """One expression that finds any of `pieces` in any case, the longest first; None for none."""
    longest_first = sorted(set(pieces), key=len, reverse=True)
    return re.compile("|".join(map(re.escape, longest_first)), re.IGNORECASE) if longest_first else None


def scrub_url(text: str, url: str, mark: str = "…") -> str:
    """`text` with every part of `url` that could be a secret replaced by `mark`.

    >>> scrub_url("Failed to send to 123456:AAbbCC/77 at api.telegram.org", "tgram://123456:AAbbCC/77")
    'Failed to send to … at api.telegram.org'
    """
    found = pattern(parts(url))
    return found.sub(mark, text) if found is not None else text


class Scrubber:
    """The configured URLs' parts, and the record factory that takes them out of the records."""

    def __init__(self, loggers: Iterable[str] = LOGGERS):
        self._loggers = tuple(loggers)
        self._parts: set[str] = set()
        self._pattern: re.Pattern[str] | None = None
        self._lock = threading.Lock()
        self._installed = False

    def watch(self, urls: Iterable[str]) -> None:
        """Scrub these URLs from now on (and every URL watched before: an old URL is still a secret)."""
        with self._lock:
            new = set().union(*(parts(url) for url in urls)) - self._parts
            if new:
                self._parts |= new
                self._pattern = pattern(self._parts)
            if not self._installed:
                self._install()

    def scrub(self, text: str) -> str:
        pattern = self._pattern
        return pattern.sub(SCRUBBED, text) if pattern is not None else text

    def concerns(self, name: str) -> bool:
        return any(name == logger or name.startswith(logger + ".") for logger in self._loggers)

    def _install(self) -> None:
        made: Callable[..., logging.LogRecord] = logging.getLogRecordFactory()

        def factory(*args: Any, **kwargs: Any) -> logging.LogRecord:
            record = made(*args, **kwargs)
            if self._pattern is not None and self.concerns(record.name):
                self._clean(record)
            return record

        logging.setLogRecordFactory(factory)
        self._installed = True

    def _clean(self, record: logging.LogRecord) -> None:
        try:
            message = record.getMessage()
        except Exception:  # arguments that do not fit the format: keep both, scrubbed
            message = f"{record.msg} {record.args}"
        record.msg, record.args = self.scrub(message), ()
        if record.exc_info:
            record.exc_text = self.scrub(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None  # the text above stands for it: no handler formats it again
        if record.stack_info:
            record.stack_info = self.scrub(record.stack_info)


# One for the process: logging's record factory is one for the process too.
SCRUBBER = Scrubber()
