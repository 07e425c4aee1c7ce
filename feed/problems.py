"""Config problems: collected with their location, reported all at once."""

from __future__ import annotations

import difflib
from collections.abc import Callable, Mapping
from typing import Any

from . import fields
from .durations import DurationError, quote


class ConfigError(ValueError):
    """The config cannot be used; `problems` holds one readable line per problem."""

    def __init__(self, problems: list[str]):
        super().__init__("\n".join(problems))
        self.problems = problems


class Collector:
    """Gathers problems, each naming the file, the table (SIM, feed) and the field."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[str] = []

    def add(self, where: str, message: str) -> None:
        self.problems.append(f"{self.source}: {where}: {message}")

    def unknown_keys(self, where: str, table: Mapping[str, Any], known: frozenset[str]) -> None:
        for key in table:
            if key not in known:
                hint = difflib.get_close_matches(key, sorted(known), n=1)
                suggestion = f" (did you mean {quote(hint[0])}?)" if hint else ""
                self.add(where, f"unknown key {quote(key)}{suggestion}")

    def field(self, where: str, table: Mapping[str, Any], key: str, check: Callable[[Any], Any],
              default: Any = None) -> Any:
        """Run `check` on table[key]; on failure record the problem and return the default."""
        if key not in table:
            return default
        try:
            return check(table[key])
        except (fields.Invalid, DurationError) as problem:
            self.add(f"{where}: {key}" if where else key, str(problem))
            return default

    def table(self, where: str, value: Any, example: str) -> dict[str, Any] | None:
        """The value if it is a TOML table, else a problem showing how to write one."""
        if isinstance(value, dict):
            return value
        self.add(where, f"{quote(value)} must be a table like {example}")
        return None
