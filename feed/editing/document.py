"""[[sim]] tables edited in the file's own text with tomlkit: everything not edited stays byte for byte.

tomlkit takes about as long to parse a file as everything else a save does together, so a save
parses once (`parse`) and hands the document to these functions; given a text, they parse it.
An edit rewrites only the edited table's own span of the text (parsed on its own), so the
rest of the file stays byte for byte wherever the table stands.
"""

from __future__ import annotations

import re
import tomllib
from collections.abc import Callable, Mapping
from typing import Any, NamedTuple

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


class Parsed(NamedTuple):
    """A file's text with tomlkit's document of it: edits need both, since tomlkit writes
    [[sim]] tables back together wherever they stood, and only the text says where."""

    text: str
    doc: tomlkit.TOMLDocument


Source = str | Parsed


def parse(text: str) -> Parsed:
    """The file's text with its tomlkit document; NotEditable when it is not TOML."""
    try:
        return Parsed(text, tomlkit.parse(text))
    except TOMLKitError as error:
        raise NotEditable(str(error)) from None


def parsed(source: Source) -> Parsed:
    """The file's text parsed, or the parse given: each edit of a save parses the file once."""
    return source if isinstance(source, Parsed) else parse(source)


def _sims(doc: tomlkit.TOMLDocument) -> AoT | None:
    sims = doc.get("sim")
    return sims if isinstance(sims, AoT) else None


def sim_tables(source: Source) -> dict[str, dict[str, Any]]:
    """Each [[sim]] table as written (before presets), by id."""
    sims = _sims(parsed(source).doc)
    return {str(t["id"]): t.unwrap() for t in sims or () if isinstance(t.get("id"), str)}


def sim_ids(source: Source) -> list[str]:
    """The ids of the [[sim]] tables, in the file's order."""
    return [str(t["id"]) for t in _sims(parsed(source).doc) or () if isinstance(t.get("id"), str)]


def sim_table(source: Source, sim_id: str) -> dict[str, Any] | None:
    """One [[sim]] table as written, or None when no table has this id."""
    return next((t.unwrap() for t in _sims(parsed(source).doc) or () if t.get("id") == sim_id), None)


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
    if replacement:  # a new table: one blank line before it and one after it
        replacement = replacement.removeprefix("\n") if before.endswith("\n\n") else replacement
        replacement += "\n" if after and not after.startswith("\n") else ""
    return before + replacement + after


# A table header on a line of its own: [name], [[name]], [sim.topup] (quotes and dots allowed).
_HEADER = re.compile(r"""^[ \t]*(\[\[?)[ \t]*([A-Za-z0-9_."' -]+?)[ \t]*\]\]?[ \t]*(?:#[^\n]*)?$""", re.M)


def _sim_spans(text: str) -> list[tuple[int, int]]:
    """Where each [[sim]] table stands in the text, in the file's order, wherever other tables are.

    A span runs from its header to the next header that is not one of its own sub-tables
    ([sim.topup]), so it holds the comments and blank lines that follow the table. tomlkit
    alone would gather the [[sim]] tables in one place when it writes the file back.
    """
    headers = [(match.start(), match[1], match[2].replace('"', "").replace("'", "").replace(" ", ""))
               for match in _HEADER.finditer(text)]
    spans = []
    for index, (start, brackets, name) in enumerate(headers):
        if brackets == "[[" and name == "sim":
            ends = (at for at, _brackets, later in headers[index + 1:] if not later.startswith("sim."))
            end = next(ends, len(text))
            spans.append((start, end))
    return spans


def _edit_sim(source: Source, sim_id: str | None, edit: Callable[[Table], None]) -> str:
    """The text with one [[sim]] table (by id, or the last when None) edited by `edit`: only its span
    is rewritten, and the rest of the file is checked to read the same as before.

    Given the parsed document, the file is not parsed again with tomlkit: only the table's span is.
    """
    text, doc = parsed(source)
    sims = _sims(doc)
    if not sims:
        raise NotEditable("the file has no [[sim]] table")
    spans = _sim_spans(text)
    # The document lists the [[sim]] tables in the file's order, as the spans are: the table's
    # own span is tried first, so a save parses one table, not every one after it.
    wanted = len(sims) - 1 if sim_id is None else next(
        (i for i, table in enumerate(sims) if table.get("id") == sim_id), None)
    if wanted is not None and len(spans) == len(sims):
        spans.append(spans.pop(wanted))
    for start, end in reversed(spans):
        segment = parsed(text[start:end]).doc
        found = _sims(segment)
        if found is None or len(found) != 1 or (sim_id is not None and found[0].get("id") != sim_id):
            continue
        edit(found[0])
        edited = text[:start] + segment.as_string() + text[end:]
        _same_elsewhere(text, edited, text[start:end], segment.as_string())
        return edited
    raise NotEditable(f"no [[sim]] table has the id {sim_id!r}" if sim_id else "no [[sim]] table found")


def _same_elsewhere(before: str, after: str, old: str, new: str) -> None:
    """Refuse an edit whose span was misread: every other table must read exactly as before."""
    def without(text: str, segment: str) -> Any:
        data = tomllib.loads(text.replace(_MARK + " = 1\n", ""))
        gone = tomllib.loads(segment.replace(_MARK + " = 1\n", "")).get("sim", [])
        return {**data, "sim": [table for table in data.get("sim", []) if table not in gone]}

    try:
        same = without(before, old) == without(after, new)
    except tomllib.TOMLDecodeError:
        same = False
    if not same:
        raise NotEditable("could not tell where the [[sim]] table ends: edit the file by hand")


def add_sim(source: Source, table: Mapping[str, Any]) -> str:
    """The text with a new [[sim]] table after the last one in the file."""
    file = parsed(source)
    new = table_text(table)
    if not _sims(file.doc):
        if "sim" in file.doc:
            raise NotEditable("sim is not written as [[sim]] tables")
        return file.text.rstrip("\n") + "\n\n" + new
    return _splice(_edit_sim(file, None, lambda last: _put(last, _MARK, 1)), "\n" + new)


def update_sim(source: Source, sim_id: str, table: Mapping[str, Any]) -> str:
    """The text with this SIM's form-managed keys set to `table`'s; every other line as it was."""

    def edit(current: Table) -> None:
        # An unticked box is absent from the form: an explicit `show_number = false` stays as written.
        for key in [k for k in current if k in MANAGED_KEYS and k not in table and current[k] is not False]:
            del current[key]
        for key, value in table.items():
            old = current.get(key)
            if old is None or (old.unwrap() if hasattr(old, "unwrap") else old) != value:
                _put(current, key, _item(value))

    return _edit_sim(source, sim_id, edit)


def remove_sim(source: Source, sim_id: str) -> str:
    """The text without this SIM's table; the comments after it (about the next one) stay."""

    def empty(table: Table) -> None:
        for key in list(table):
            del table[key]
        _put(table, _MARK, 1)

    return _splice(_edit_sim(source, sim_id, empty), "")
