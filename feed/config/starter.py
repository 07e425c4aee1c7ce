"""The starter SIM file: written on a first start with no SIM file, and told apart from the user's own.

It holds example SIMs of every kind so that the page and the calendar show something at
once; the page says what it is and how to make it the user's own while it is unchanged.
"""

from __future__ import annotations

import functools
import os
from pathlib import Path

from ..core.files import atomic_write

STARTER = Path(__file__).with_name("starter.toml")


@functools.cache
def _starter_bytes() -> bytes:
    return STARTER.read_bytes()


def write_starter(path: str | os.PathLike[str]) -> bool:
    """Write the starter to `path` unless a file is there (a concurrent start wins); True if written."""
    target = Path(path)
    if target.exists():
        return False
    target.parent.mkdir(parents=True, exist_ok=True)
    return atomic_write(target, _starter_bytes(), mode=0o600, exclusive=True)


def is_starter(path: str | os.PathLike[str]) -> bool:
    """Whether the file at `path` is still the starter, byte for byte."""
    target, starter = Path(path), _starter_bytes()
    try:  # the size first: the overview asks on every view, and a user's file is often large
        return target.stat().st_size == len(starter) and target.read_bytes() == starter
    except OSError:
        return False
