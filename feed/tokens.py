"""Comparing secrets without telling an attacker how close they came."""

from __future__ import annotations

import hashlib
import hmac


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
