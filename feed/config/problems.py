"""Config problems as data: where (file, table, key) and why (a code and its values), all reported at once.

A Problem's sentence is made from its code in the reader's language (Wording.problem);
str() gives the English line that logs, /healthz and the API show. The editor places a
problem next to its form field by its table, index and key, never by its words.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any

from ..core.durations import quote
from ..core.reasons import Reason, Refused
from .suggestions import suggest

Key = tuple[str | int, ...]


@dataclass(frozen=True)
class Place:
    """Where in the file: a table ([[sim]] number `index`, known by its `id`), then keys inside it."""

    table: str | None = None
    index: int | None = None
    id: str | None = None
    key: Key = ()

    def at(self, *keys: str | int) -> Place:
        """A key inside this place: place.at("topup", "tiers", 0)."""
        return replace(self, key=self.key + keys)

    def __str__(self) -> str:
        """As the problem lines say it: 'sim "giffgaff": topup: tiers[0]: extends'."""
        parts: list[str] = []
        if self.table is not None:
            parts.append(f"{self.table} {quote(self.id)}" if self.id is not None
                         else f"{self.table} #{self.index + 1}" if self.index is not None else self.table)
        for key in self.key:
            if isinstance(key, int) and parts:
                parts[-1] += f"[{key}]"
            else:
                parts.append(str(key))
        return ": ".join(parts)


@dataclass(frozen=True)
class Problem:
    """One thing wrong in the config: its file, table (with index and id), key, and the reason's code."""

    file: str
    table: str | None
    index: int | None
    key: Key
    code: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)
    id: str | None = None

    @property
    def place(self) -> Place:
        return Place(self.table, self.index, self.id, self.key)

    @property
    def reason(self) -> Reason:
        return Reason(self.code, self.params)

    def __str__(self) -> str:
        where = str(self.place)
        return f"{self.file}: {where}: {self.reason}" if where else f"{self.file}: {self.reason}"


class ConfigError(ValueError):
    """The config cannot be used; `problems` holds every Problem, `lines` their English lines."""

    def __init__(self, problems: Sequence[Problem]):
        self.problems = list(problems)
        self.lines = [str(problem) for problem in self.problems]
        super().__init__("\n".join(self.lines))


def file_problem(source: str, code: str, **params: object) -> ConfigError:
    """A ConfigError about the whole file (unreadable, not TOML, empty)."""
    return ConfigError([Problem(source, None, None, (), code, params)])


class Collector:
    """Gathers problems, each naming the file, the table (SIM, feed) and the field."""

    def __init__(self, source: str):
        self.source = source
        self.problems: list[Problem] = []

    def add(self, where: Place, code: str, **params: object) -> None:
        self.problems.append(Problem(self.source, where.table, where.index, where.key, code, params,
                                     where.id))

    def refused(self, where: Place, reason: Reason) -> None:
        self.add(where, reason.code, **reason.params)

    def unknown_keys(self, where: Place, table: Mapping[str, Any], known: frozenset[str]) -> None:
        for key in table:
            if key not in known:
                hint = suggest(key, known)
                if hint:
                    self.add(where, "unknown_key_hint", key=quote(key), hint=quote(hint))
                else:
                    self.add(where, "unknown_key", key=quote(key))

    def field(self, where: Place, table: Mapping[str, Any], key: str, check: Callable[[Any], Any],
              default: Any = None) -> Any:
        """Run `check` on table[key]; on failure record the problem and return the default."""
        if key not in table:
            return default
        try:
            return check(table[key])
        except Refused as problem:
            self.refused(where.at(key), problem.reason)
            return default

    def fields(self, where: Place, table: Mapping[str, Any],
               checks: Mapping[str, Callable[[Any], Any]]) -> dict[str, Any]:
        """`field` for each key of a table-driven parse: its checked value, None if absent or wrong."""
        return {key: self.field(where, table, key, check) for key, check in checks.items()}

    def record(self, where: Place, value: Any, example: str, checks: Mapping[str, Callable[[Any], Any]],
               required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """An inline table parsed by `fields`; None when it, a key or a value is wrong (all reported)."""
        before = len(self.problems)
        table = self.subtable(where, value, example, frozenset(checks), required)
        given = self.fields(where, table, checks) if table is not None else None
        return given if len(self.problems) == before else None

    def require(self, where: Place, table: Mapping[str, Any], keys: tuple[str, ...]) -> None:
        for key in keys:
            if key not in table:
                self.add(where, "missing_key", key=key)

    def named(self, label: str, index: int, raw: Any, example: str, known: frozenset[str],
              required: tuple[str, ...] = ("id", "name")) -> tuple[Place, dict[str, Any] | None]:
        """A [[sim]], [[feed]] or [[notify]] table and where it is: by its id, else by its place."""
        raw_id = raw.get("id") if isinstance(raw, dict) else None
        where = Place(label, index, raw_id if isinstance(raw_id, str) else None)
        table = self.table(where, raw, example)
        if table is not None:
            self.unknown_keys(where, table, known)
            self.require(where, table, required)
        return where, table

    def items(self, where: Place, key: str, value: Any, example: str, known: frozenset[str],
              required: tuple[str, ...] = ()) -> Iterator[tuple[Place, dict[str, Any]]]:
        """Each table of a list of inline tables (renewals, stages, tiers), with its location."""
        if not isinstance(value, list):
            self.add(where.at(key), "not_table_list", example=example)
            return
        for index, item in enumerate(value):
            at = where.at(key, index)
            table = self.subtable(at, item, example, known, required)
            if table is not None:
                yield at, table

    def subtable(self, where: Place, value: Any, example: str, known: frozenset[str],
                 required: tuple[str, ...] = ()) -> dict[str, Any] | None:
        """An inline table such as topup = { … }, with its unknown and missing keys reported."""
        table = self.table(where, value, example)
        if table is not None:
            self.unknown_keys(where, table, known)
            self.require(where, table, required)
        return table

    def table(self, where: Place, value: Any, example: str) -> dict[str, Any] | None:
        """The value if it is a TOML table, else a problem showing how to write one."""
        if isinstance(value, dict):
            return value
        self.add(where, "not_table", value=quote(value), example=example)
        return None
