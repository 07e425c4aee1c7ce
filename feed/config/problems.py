"""Config problems: collected with their location, reported all at once."""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping
from typing import Any

from ..core import parsers
from ..core.durations import DurationError, quote
from .suggestions import suggest


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
                hint = suggest(key, known)
                suggestion = f" (did you mean {quote(hint)}?)" if hint else ""
                self.add(where, f"unknown key {quote(key)}{suggestion}")

    def field(self, where: str, table: Mapping[str, Any], key: str, check: Callable[[Any], Any],
              default: Any = None) -> Any:
        """Run `check` on table[key]; on failure record the problem and return the default."""
        if key not in table:
            return default
        try:
            return check(table[key])
        except (parsers.Invalid, DurationError) as problem:
            self.add(f"{where}: {key}" if where else key, str(problem))
            return default

    def fields(self, where: str, table: Mapping[str, Any],
               checks: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
        """`field` for each key of a table-driven parse: its checked value, None if absent or wrong."""
        return {key: self.field(where, table, key, check) for key, check in checks.items()}

    def record(self, where: str, value: Any, example: str, checks: Mapping[str, Callable[[Any], Any]],
               required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """An inline table parsed by `fields`; None when it, a key or a value is wrong (all reported)."""
        before = len(self.problems)
        table = self.subtable(where, value, example, frozenset(checks), required)
        given = self.fields(where, table, checks) if table is not None else None
        return given if len(self.problems) == before else None

    def require(self, where: str, table: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            if key not in table:
                self.add(where, f"{key} is missing")

    def named(self, label: str, index: int, raw: Any, example: str, known: frozenset[str],
              required: tuple[str, ...] = ("id", "name")) -> tuple[str, dict[str, Any] | None]:
        """A [[sim]], [[feed]] or [[notify]] table and where it is: by its id, else by its place."""
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        where = f"{label} {quote(raw_id)}" if isinstance(raw_id, str) else f"{label} #{index + 1}"
        table = self.table(where, raw, example)
        if table is not None:
            self.unknown_keys(where, table, known)
            self.require(where, table, required)
        return where, table

    def items(self, where: str, key: str, value: Any, example: str, known: frozenset[str],
              required: tuple[str, ...] = ()) -> Iterator[tuple[str, dict[str, Any]]]:
        """Each table of a list of inline tables (renewals, stages, tiers), with its location."""
        if not isinstance(value, list):
            self.add(f"{where}: {key}", f"must be a list of tables like [{example}]")
            return
        for index, item in enumerate(value):
            at = f"{where}: {key}[{index}]"
            table = self.subtable(at, item, example, known, required)
            if table is not None:
                yield at, table

    def subtable(self, where: str, value: Any, example: str, known: frozenset[str],
                 required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """An inline table such as topup = { … }, with its unknown and missing keys reported."""
        table = self.table(where, value, example)
        if table is not None:
            self.unknown_keys(where, table, known)
            self.require(where, table, required)
        return table

    def table(self, where: str, value: Any, example: str) -> dict[str, Any] | None:
        """The value if it is a TOML table, else a problem showing how to write one."""
        if isinstance(value, dict):
            return value
        self.add(where, f"{quote(value)} must be a table like {example}")
        return None
