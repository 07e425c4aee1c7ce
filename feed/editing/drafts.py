"""A change to the file worked out before it is written: the new text, validated, errors by field."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Collection, Mapping
from dataclasses import dataclass, field
from datetime import date, timedelta
from typing import Any

from ..config.load import ConfigError
from ..core.deadlines import Deadline, NoDeadline, deadline_for, status
from ..core.durations import quote
from ..core.model import Config, Sim
from . import document
from .configfile import ConfigFile
from .fields import BY_NAME, FIELDS, to_table

# A problem line after "<file>: ": where (sim "id" or sim #n), then the field path, then why.
_PROBLEM = re.compile(r"^(?P<where>sim (?:\"[^\"]*\"|#\d+)): (?P<rest>.*)$", re.S)
_INDEX = re.compile(r"\[\d+\]$")


@dataclass(frozen=True)
class Draft:
    """What saving would write: the new text, or why not (errors next to fields, or for the form)."""

    text: str | None
    table: dict[str, Any] = field(default_factory=dict)
    errors: dict[str, str] = field(default_factory=dict)
    problems: tuple[str, ...] = ()
    config: Config | None = None
    sim_id: str | None = None

    @property
    def ok(self) -> bool:
        return self.config is not None and not self.errors and not self.problems

    @property
    def sim(self) -> Sim | None:
        return self.config.sim(self.sim_id) if self.config is not None and self.sim_id else None

    @property
    def changed(self) -> tuple[str, ...]:
        """The form fields this draft sets, for the change log (names only, never values)."""
        return tuple(f.name for f in FIELDS if f.path[0] in self.table)


def suggest_id(name: str, taken: Collection[str]) -> str:
    """An id from a name: lower-case ASCII words joined by dashes, numbered when taken.

    >>> suggest_id("HK  CMHK (main)", {"hk-cmhk-main"}), suggest_id("香港", ())
    ('hk-cmhk-main-2', 'sim')
    """
    plain = unicodedata.normalize("NFKD", name).encode("ascii", "ignore").decode()
    base = "-".join(re.findall(r"[a-z0-9]+", plain.lower()))[:60] or "sim"
    candidate, n = base, 1
    while candidate in taken:
        n += 1
        candidate = f"{base}-{n}"
    return candidate


def _field_for(path: str) -> str | None:
    """The form field a problem's path ("topup: tiers[0]: extends") points at."""
    parts = [_INDEX.sub("", part.strip()) for part in path.split(": ")]
    for depth in (2, 1):
        key = tuple(parts[:depth])
        found = next((f.name for f in FIELDS if f.path == key), None)
        if found:
            return found
    return next((f.name for f in FIELDS if f.path[0] == parts[0]), None)


def _place(problems: list[str], source: str, where: set[str]) -> tuple[dict[str, str], tuple[str, ...]]:
    """Problem lines of our SIM by field; the rest (another table, the file) for the whole form."""
    errors: dict[str, str] = {}
    general: list[str] = []
    for line in problems:
        rest = line.removeprefix(f"{source}: ")
        match = _PROBLEM.match(rest)
        if match is None or match["where"] not in where:
            general.append(line)
            continue
        body = match["rest"]
        path, _, message = body.rpartition(": ")
        name = "last_renewal" if "needs last_renewal" in message else _field_for(path) if path else None
        if name is None and "rule" in body:
            name = "rule"
        if name is None:
            general.append(body)
        else:
            errors.setdefault(name, message)
    return errors, tuple(general)


def _clash(table: Mapping[str, Any], others: Collection[str], errors: dict[str, str]) -> dict[str, str]:
    """An id another SIM has: said here, as the parser cannot when the new table has other errors."""
    if table.get("id") in others and "id" not in errors:
        return {**errors, "id": "is used by another [[sim]]; ids must be unique"}
    return errors


def _checked(file: ConfigFile, text: str, table: dict[str, Any], sim_id: str | None,
             where: set[str], errors: dict[str, str]) -> Draft:
    try:
        config = file.validate(text)
    except ConfigError as error:
        placed, general = _place(error.problems, str(file.path), where)
        return Draft(text, table, {**placed, **errors}, general, None, sim_id)
    return Draft(text, table, errors, (), None if errors else config, sim_id)


def _where(table: Mapping[str, Any], index: int) -> set[str]:
    where = {f"sim #{index + 1}"}
    if isinstance(table.get("id"), str):
        where.add(f"sim {quote(table['id'])}")
    return where


def add(file: ConfigFile, current: document.Source, values: Mapping[str, str]) -> Draft:
    """A new [[sim]] from the form's values, after the last one (the file parsed once)."""
    values = dict(values)
    current = document.parse(current) if isinstance(current, str) else current
    existing = document.sim_ids(current)
    if not values.get("id", "").strip() and values.get("name", "").strip():
        values["id"] = suggest_id(values["name"], existing)
    table, errors = to_table(values)
    text = document.add_sim(current, table)
    return _checked(file, text, table, table.get("id"), _where(table, len(existing)),
                    _clash(table, set(existing), errors))


def edit(file: ConfigFile, current: document.Source, sim_id: str, values: Mapping[str, str]) -> Draft:
    """This SIM's table with the form's values; its other keys (renewals) as they were.

    Given the file's document, edits it: the file is parsed once per save.
    """
    current = document.parse(current) if isinstance(current, str) else current
    tables = document.sim_ids(current)
    table, errors = to_table(values)
    if table.get("id") != sim_id:
        # The renewal log, the feed URLs and the event UIDs all hang on the id.
        errors["id"] = (f"stays {quote(sim_id)}: the renewal log and subscribed feeds use it "
                        "(retire the SIM and add a new one instead)")
    text = document.update_sim(current, sim_id, table)
    index = tables.index(sim_id)
    where = _where(table, index) | {f"sim {quote(sim_id)}"}
    return _checked(file, text, table, table.get("id"), where,
                    _clash(table, set(tables) - {sim_id}, errors))


def retire(file: ConfigFile, current: document.Source, sim_id: str) -> Draft:
    """The file without this SIM's table (its renewal log is kept)."""
    text = document.remove_sim(current, sim_id)
    return _checked(file, text, {}, None, set(), {})


@dataclass(frozen=True)
class Preview:
    """What the SIM would get in the feed: its deadline, alarm days and status today."""

    deadline: Deadline
    alarm_days: tuple[date, ...]
    status: str


def preview(sim: Sim, config: Config, today: date) -> Preview | None:
    """The same deadline and status code as the feed; None when the rule gives no deadline."""
    try:
        deadline = deadline_for(sim, config.calendar)
    except NoDeadline:
        return None
    days = tuple(sorted(deadline.due - timedelta(days=lead) for lead in set(deadline.alarms)))
    return Preview(deadline, days, status(deadline, today))


__all__ = ["BY_NAME", "Draft", "Preview", "add", "edit", "preview", "retire", "suggest_id"]
