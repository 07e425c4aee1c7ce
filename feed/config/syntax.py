"""A TOML syntax error as a person can act on it: the file, line and table, the line, what to write.

tomllib says only "Expected newline or end of document after a statement (at line 16,
column 17)" for a date written 09/06/2026, or "Cannot declare ('sim',) twice" for a
second [sim]. The line is shown unless it may hold a secret (a token, a push URL).
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from datetime import date

from ..core.durations import quote

_AT = re.compile(r"^(?P<what>.*) \(at line (?P<line>\d+), column (?P<column>\d+)\)$", re.DOTALL)
_HEADER = re.compile(r"^\s*(\[\[?)\s*([A-Za-z0-9_.-]+)\s*\]\]?")
_ID = re.compile(r"""^\s*id\s*=\s*["']([^"']*)["']""")
_DATEISH = re.compile(r"=\s*(\d{1,4}[-/.]\d{1,2}[-/.]\d{1,4})")
# How much of the line is shown: enough for any key and value people write.
SHOWN = 120
_BARE = re.compile(r"=\s*[A-Za-z]")
# Tables that are a list, written [[name]]: each SIM, feed and push channel is one table of its own.
LISTS = {"sim": "SIM", "feed": "feed", "notify": "push channel"}
# Tables and keys whose lines may hold a secret: never shown.
_SECRET_TABLES = ("server", "notify")


@dataclass(frozen=True)
class Located:
    """Where a TOML syntax error is and what to write instead (in English: the problem's detail)."""

    line: int
    column: int
    # ", in [[sim]] "gg"", or "" before any table.
    table: str
    # The line as written (unless it may hold a secret) and the hint, then tomllib's own words.
    detail: str


def locate(text: str, error: tomllib.TOMLDecodeError) -> Located | None:
    """The line, column and table of a syntax error in `text`, with the line and a hint; None when
    tomllib names no place."""
    found = _AT.match(str(error))
    if found is None:
        return None
    what, number = found["what"], int(found["line"])
    lines = text.splitlines()
    line = lines[number - 1].strip() if 0 < number <= len(lines) else ""
    table = _table_at(lines, number)
    hidden = bool(line) and _secret(line, table)
    shown = "(the line is not shown: it may hold a secret)" if hidden else _visible(line) or "(an empty line)"
    hint = _hint(what, line, lines[:number - 1])
    said = f"{hint}; tomllib: {what}" if hint else f"tomllib: {what}"
    return Located(number, int(found["column"]), f", in {table}" if table else "", f"{shown} ({said})")


def explain(text: str, error: tomllib.TOMLDecodeError, source: str) -> str:
    """One problem line for a TOML syntax error in `text`.

    >>> text = '[calendar]\\nname = "x"\\n\\n[[sim]]\\nid = "gg"\\nlast_renewal = 09/06/2026\\n'
    >>> try:
    ...     tomllib.loads(text)
    ... except tomllib.TOMLDecodeError as error:
    ...     print(explain(text, error, "sims.toml"))  # doctest: +NORMALIZE_WHITESPACE
    sims.toml: line 6, column 17, in [[sim]] "gg": this is not valid TOML: last_renewal = 09/06/2026
    (a TOML date is written year-month-day, like 2026-06-09, and must be a real date;
    tomllib: Expected newline or end of document after a statement)
    """
    found = locate(text, error)
    if found is None:
        return f"{source}: {error}"
    where = f"line {found.line}, column {found.column}{found.table}"
    return f"{source}: {where}: this is not valid TOML: {found.detail}"


def _table_at(lines: list[str], number: int) -> str:
    """The table the line belongs to: [calendar], or [[sim]] "gg" by its id (else its place)."""
    header_at = next((i for i in range(min(number, len(lines)) - 1, -1, -1) if _HEADER.match(lines[i])), None)
    if header_at is None:
        return ""
    brackets, name = _HEADER.match(lines[header_at]).groups()  # type: ignore[union-attr]
    if brackets == "[":
        return f"[{name}]"
    following = []
    for later in lines[header_at + 1:]:
        if _HEADER.match(later):
            break
        following.append(later)
    found = next((match[1] for line in following if (match := _ID.match(line))), None)
    if found is not None:
        return f"[[{name}]] {quote(found)}"
    place = sum(1 for line in lines[:header_at + 1]
                if (match := _HEADER.match(line)) and match.groups() == ("[[", name))
    return f"[[{name}]] #{place}"


def _real_date(text: str) -> bool:
    try:
        date.fromisoformat(text)
    except ValueError:
        return False
    return len(text) == 10


def _visible(line: str) -> str:
    """The line as one short printable line: control characters escaped, a long line cut."""
    printable = "".join(char if char.isprintable() else repr(char)[1:-1] for char in line)
    return printable if len(printable) <= SHOWN else printable[:SHOWN - 1] + "…"


def _secret(line: str, table: str) -> bool:
    key = line.split("=", 1)[0].strip().lower()
    return "token" in key or "://" in line or any(f"[{name}]" in table for name in _SECRET_TABLES)


def _hint(what: str, line: str, before: list[str]) -> str:
    """What to write instead, for the mistakes people make."""
    header = _HEADER.match(line)
    single = [(i + 1, m[2]) for i, text in enumerate(before) if (m := _HEADER.match(text)) and m[1] == "["]
    listed = next(((at, name) for at, name in single if name in LISTS), None)
    if header and header[2] in LISTS:
        name = header[2]
        if header[1] == "[":
            return f"each {LISTS[name]} is a table of its own, written [[{name}]] with two brackets"
        if listed:
            return (f"line {listed[0]} writes [{listed[1]}] with one bracket: "
                    f"write [[{listed[1]}]] there, as for every {LISTS[listed[1]]}")
    dateish = _DATEISH.search(line)
    if what.startswith("Invalid date") or (dateish and not _real_date(dateish[1])):
        return "a TOML date is written year-month-day, like 2026-06-09, and must be a real date"
    if what.startswith("Expected '=' after a key"):
        return 'a key and its value are written key = value, like keep_alive = "6 months"'
    if what.startswith("Cannot overwrite a value") and "=" in line:
        return "this key is already set in this table: keep one of them"
    if what.startswith("Invalid value") and _BARE.search(line):
        return 'text is written in quotes, like name = "giffgaff"'
    if what.startswith("Illegal character") and '"' in line:
        return "a text in quotes must end on the same line with its closing quote"
    return ""
