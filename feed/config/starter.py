"""The starter SIM file: written on a first start with no SIM file, and told apart from the user's own.

It holds example SIMs of every kind so that the page and the calendar show something at
once; the page says what it is and how to make it the user's own while it is unchanged.
Its dates were written for WRITTEN_FOR and move with the day it is written, so that a
newcomer always sees the examples as they stood then (one due within the fortnight, none
overdue) rather than a page of lost numbers a few months later.
"""

from __future__ import annotations

import functools
import os
import re
from datetime import date, timedelta
from pathlib import Path

from ..core.files import atomic_write

STARTER = Path(__file__).with_name("starter.toml")
# The day starter.toml's dates were written for.
WRITTEN_FOR = date(2026, 11, 20)
# Every date in it, values and comments alike (always ten characters: the size never changes).
_DATE = re.compile(rb"\b(\d{4})-(\d{2})-(\d{2})\b")


@functools.cache
def _starter_bytes() -> bytes:
    return STARTER.read_bytes()


def _day(found: re.Match[bytes]) -> date:
    return date(int(found[1]), int(found[2]), int(found[3]))


@functools.lru_cache(maxsize=4)
def _moved(days: int) -> bytes:
    """The starter with each date moved by `days` (kept: the overview asks on every view)."""
    shift = timedelta(days=days)
    return _DATE.sub(lambda found: (_day(found) + shift).isoformat().encode(), _starter_bytes())


def starter_for(today: date) -> bytes:
    """The starter as written on `today`: each date moved by the days since WRITTEN_FOR.

    >>> b"last_renewal = 2026-06-18" in starter_for(date(2026, 12, 6))
    True
    """
    return _moved((today - WRITTEN_FOR).days)


def write_starter(path: str | os.PathLike[str], today: date) -> bool:
    """Write the starter to `path` unless a file is there (a concurrent start wins); True if written."""
    target = Path(path)
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, starter_for(today), mode=0o600, exclusive=True)


def is_starter(path: str | os.PathLike[str]) -> bool:
    """Whether the file at `path` is still the starter as written on some day, byte for byte."""
    target, starter = Path(path), _starter_bytes()
    try:  # the size first: the overview asks on every view, and a user's file is often large
        if target.stat().st_size != len(starter):
            return False
        text = target.read_bytes()
    except OSError:
        return False
    first, written = _DATE.search(text), _DATE.search(starter)
    try:
        days = (_day(first) - _day(written)).days if first and written else 0
    except ValueError:  # not a date: edited
        return False
    return text == _moved(days)
