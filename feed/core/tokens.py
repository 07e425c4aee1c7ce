"""Comparing secrets without telling an attacker how close they came, and keeping them out of logs."""

from __future__ import annotations

import hashlib
import hmac
import logging
import re
import secrets

from . import parsers

# A feed token in a query string, an admin token after "Bearer", a sign-in form's token field,
# a reminder's signed "I have renewed it" link (/renewed/<token>).
_SECRETS = re.compile(r"(?i)(\btoken=|\bbearer\s+|/renewed/)[^\s&'\"()<>,;]+")
# The password of a database URL (postgresql://user:password@host/db), as DATABASE_URL carries it.
_URL_PASSWORD = re.compile(r"(?i)(\b[a-z][a-z0-9+.-]*://[^\s:/@]*:)[^\s@/]+@")
REDACTED = "[redacted]"


def matches(given: str | None, expected: str | None) -> bool:
    """True only when both are set and equal; constant time whatever the lengths.

    >>> matches("abc", "abc"), matches("abd", "abc"), matches(None, "abc"), matches("", None)
    (True, False, False, False)
    """
    if not given or not expected:
        return False
    # Hashing first makes the comparison independent of where and whether lengths differ.
    return hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(expected.encode()).digest())


def fresh() -> str:
    """A new random token that the config and SIMFEED_ADMIN_TOKEN accept: 256 bits, 43 characters."""
    while True:  # a draw with fewer than 8 distinct characters is vanishingly rare, but refused
        made = secrets.token_urlsafe(32)
        try:
            return parsers.token(made)
        except parsers.Invalid:
            continue


def redact(text: str) -> str:
    """The text with every token that a URL, a header or a form may carry replaced.

    >>> redact("GET /calendar.ics?token=s3cret&download=1 HTTP/1.1")
    'GET /calendar.ics?token=[redacted]&download=1 HTTP/1.1'
    >>> redact("POST /renewed/.eJyL.yroT5 HTTP/1.1")
    'POST /renewed/[redacted] HTTP/1.1'
    >>> redact("Authorization: Bearer s3cret")
    'Authorization: Bearer [redacted]'
    >>> redact("cannot reach postgres://simfeed:pa55@db.example:5432/log")
    'cannot reach postgres://simfeed:[redacted]@db.example:5432/log'
    """
    text = _URL_PASSWORD.sub(lambda m: m.group(1) + REDACTED + "@", text)
    return _SECRETS.sub(lambda m: m.group(1) + REDACTED, text)


class RedactingFilter(logging.Filter):
    """A logging filter that writes each record, traceback included, with its tokens redacted."""

    _format = logging.Formatter()

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg, record.args = redact(record.getMessage()), ()
        if record.exc_info:
            record.exc_text = redact(self._format.formatException(record.exc_info))
            record.exc_info = None
        return True
