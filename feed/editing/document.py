"""[[sim]] tables edited in the file's own text with tomlkit: everything not edited stays byte for byte.

tomlkit takes about as long to parse a file as everything else a save does together, so a save
parses once (`parse`) and hands the document to these functions; given a text, they parse it.
Those that edit change the document they are given.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any

import tomlkit
from tomlkit.exceptions import TOMLKitError
from tomlkit.items import AoT, Table

from .fields import MANAGED_KEYS

# Placeholders put in through tomlkit, then replaced in the text: they mark where a table was
# or where the next one goes, without tomlkit moving the comments that follow a table.
_MARK = "simfeed_edit_mark_7c1e"


class NotEditable(ValueError):
    """The file is not TOML that tomlkit can edit, or the SIM is not in it."""


def _item(value: Any) -> Any:
    """A plain value as tomlkit writes it inside a [[sim]] table: tables inline, lists on one line."""
    if isinstance(value, Mapping):
        inline = tomlkit.inline_table()
        inline.update({k: _item(v) for k, v in value.items()})
        return inline
    if isinstance(value, list):
        array = tomlkit.array()
        array.extend(_item(v) for v in value)
        return array
    return value


Source = str | tomlkit.TOMLDocument


def parse(text: str) -> tomlkit.TOMLDocument:
    """The file's text as tomlkit's document; NotEditable when it is not TOML."""
    try:
        return tomlkit.parse(text)
    except TOMLKitError as error:
        raise NotEditable(str(error)) from None


def _parse(source: Source) -> tomlkit.TOMLDocument:
    return source if isinstance(source, tomlkit.TOMLDocument) else parse(source)


def _sims(doc: tomlkit.TOMLDocument) -> AoT | None:
    sims = doc.get("sim")
    return sims if isinstance(sims, AoT) else None


def _index(doc: tomlkit.TOMLDocument, sim_id: str) -> int:
    sims = _sims(doc)
    for index, table in enumerate(sims or ()):
        if table.get("id") == sim_id:
            return index
    raise NotEditable(f"no [[sim]] table has the id {sim_id!r}")


def sim_tables(source: Source) -> dict[str, dict[str, Any]]:
    """Each [[sim]] table as written (before presets), by id."""
    sims = _sims(_parse(source))
    return {str(t["id"]): t.unwrap() for t in sims or () if isinstance(t.get("id"), str)}


def sim_ids(source: Source) -> list[str]:
    """The ids of the [[sim]] tables, in the file's order."""
    return [str(t["id"]) for t in _sims(_parse(source)) or () if isinstance(t.get("id"), str)]


def sim_table(source: Source, sim_id: str) -> dict[str, Any] | None:
    """One [[sim]] table as written, or None when no table has this id."""
    return next((t.unwrap() for t in _sims(_parse(source)) or () if t.get("id") == sim_id), None)


def table_text(table: Mapping[str, Any]) -> str:
    """A [[sim]] table as TOML, to paste into a file this service may not write."""
    doc = tomlkit.document()
    aot = tomlkit.aot()
    aot.append(_new_table(table))
    doc.append("sim", aot)
    return doc.as_string().lstrip("\n")


def _new_table(table: Mapping[str, Any]) -> Table:
    new = tomlkit.table()
    for key, value in table.items():
        new[key] = _item(value)
    return new


def _put(table: Table, key: str, value: Any) -> None:
    """Set a key; a new one goes right after the table's last key, before the comments that follow it."""
    if key in table:
        table[key] = value
        return
    keys = [k.key for k, _ in table.value.body if k is not None]
    if keys:
        table.value._insert_after(keys[-1], key, value)
    else:
        table.value._insert_at(0, key, value)


def _splice(text: str, replacement: str) -> str:
    """The text with the marked line (and its [[sim]] header, when it stands alone) replaced."""
    alone = re.search(rf"^[ \t]*\[\[[ \t]*sim[ \t]*\]\][^\n]*\n{_MARK} = 1\n", text, re.M)
    found = alone or re.search(rf"^{_MARK} = 1\n", text, re.M)
    if found is None:  # pragma: no cover - tomlkit always writes the mark as set
        raise NotEditable("could not place the edit")
    before, after = text[:found.start()], text[found.end():]
    if not replacement and before.endswith("\n\n") and after.startswith("\n"):
        after = after[1:]  # one blank line goes with the table
    return before + replacement + after


def add_sim(source: Source, table: Mapping[str, Any]) -> str:
    """The text with a new [[sim]] table after the last one (before any [[feed]])."""
    doc = _parse(source)
    sims = _sims(doc)
    new = table_text(table)
    if not sims:
        if "sim" in doc:
            raise NotEditable("sim is not written as [[sim]] tables")
        text = source if isinstance(source, str) else doc.as_string()
        return text.rstrip("\n") + "\n\n" + new
    _put(sims[-1], _MARK, 1)
    return _splice(doc.as_string(), "\n" + new)


def update_sim(source: Source, sim_id: str, table: Mapping[str, Any]) -> str:
    """The text with this SIM's form-managed keys set to `table`'s; unchanged keys keep their lines."""
    doc = _parse(source)
    sims = _sims(doc)
    assert sims is not None
    current = sims[_index(doc, sim_id)]
    # An unticked box is absent from the form: an explicit `show_number = false` stays as written.
    for key in [k for k in current if k in MANAGED_KEYS and k not in table and current[k] is not False]:
        del current[key]
    for key, value in table.items():
        old = current.get(key)
        if old is None or (old.unwrap() if hasattr(old, "unwrap") else old) != value:
            _put(current, key, _item(value))
    return doc.as_string()


def remove_sim(source: Source, sim_id: str) -> str:
    """The text without this SIM's table; the comments after it (about the next one) stay."""
    doc = _parse(source)
    sims = _sims(doc)
    assert sims is not None
    table = sims[_index(doc, sim_id)]
    for key in list(table):
        del table[key]
    _put(table, _MARK, 1)
    return _splice(doc.as_string(), "")
