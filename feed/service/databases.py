"""Databases named by path or URL, administered from the CLI: copying one log into an empty one.

Below any use case: the engines are made here for the one command and disposed of after it.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..storage import db


@dataclass(frozen=True)
class Copied:
    """Which databases a copy went from and to (no password), and the rows it copied, by table."""

    source: str
    target: str
    counts: dict[str, int]


def copy(source: str, target: str) -> Copied:
    """Copy every table of the database at `source` into the empty one at `target`; raises CopyRefused."""
    engines = [db.engine_for(source), db.engine_for(target)]
    try:
        counts = db.copy(*engines)
    finally:
        for engine in engines:
            engine.dispose()
    return Copied(db.describe(engines[0]), db.describe(engines[1]), counts)
