"""The SIM form's fields: one list, each field's text as typed <-> its value in the TOML table.

Adding a SIM key to the form is one entry in FIELDS (and its label on the page).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date, time
from typing import Any

from ..core import parsers
from ..core.model import RULES
from ..core.reasons import Reason, Refused

# What the rule field may be: "" keeps the preset's rule.
RULE_CHOICES = ("", *RULES)
_LIST = re.compile(r"[,，\s]+")


class Unreadable(Refused):
    """A field's text cannot become a TOML value; the reason says how to write it."""


def _text(given: str) -> str:
    return given.strip()


def _date(given: str) -> date:
    try:
        return parsers.day(given)
    except parsers.Invalid:
        raise Unreadable("write_date") from None


def _number(given: str) -> int | float:
    try:
        return parsers.plain_number(given)
    except parsers.Invalid:
        raise Unreadable("write_number") from None


def _flag(given: str) -> bool:
    return given.strip().lower() in ("on", "true", "1", "yes", "y")


def _words(given: str) -> list[str]:
    return [word for word in _LIST.split(given.strip()) if word]


# What the alarms field takes for "no alarms", in each language of the page.
NO_ALARMS = ("none", "无", "無")


def _alarms(given: str) -> list[str]:
    if given.strip().lower() in NO_ALARMS:
        return []
    return [lead.strip() for lead in re.split(r"[,，;\n]+", given) if lead.strip()]


def _lines(given: str) -> list[str]:
    return [line.strip() for line in given.splitlines() if line.strip()]


def _tiers(given: str) -> list[dict[str, Any]]:
    """One tier a line, "10: 90 days" (a top-up of at least 10 gives 90 days) or "90 days"."""
    tiers = []
    for line in _lines(given):
        minimum, _, extends = line.rpartition(":")
        tier: dict[str, Any] = {"extends": extends.strip()}
        if minimum.strip():
            try:
                tier = {"min_amount": _number(minimum), **tier}
            except Unreadable:
                raise Unreadable("write_tier") from None
        tiers.append(tier)
    return tiers


def _stages(given: str) -> list[dict[str, Any]]:
    """One stage a line, "after | status | recovery", like "179 days | hibernated | call us"."""
    stages = []
    for line in _lines(given):
        parts = [part.strip() for part in line.split("|")]
        if len(parts) not in (2, 3) or not all(parts[:2]):
            raise Unreadable("write_stage")
        stage = {"after": parts[0], "status": parts[1]}
        if len(parts) == 3 and parts[2]:
            stage["recovery"] = parts[2]
        stages.append(stage)
    return stages


def _show_scalar(value: Any) -> str:
    if isinstance(value, bool):
        return "on" if value else ""
    if isinstance(value, time):
        return value.strftime("%H:%M")
    if isinstance(value, float) and value.is_integer():
        return str(value)
    return str(value)


def _show_words(value: Any) -> str:
    return ", ".join(str(v) for v in value) if isinstance(value, list) else _show_scalar(value)


def _show_lines(value: Any) -> str:
    return "\n".join(str(v) for v in value) if isinstance(value, list) else _show_scalar(value)


def _show_alarms(value: Any) -> str:
    return "none" if value == [] else _show_words(value)


def _show_tiers(value: Any) -> str:
    if not isinstance(value, list):
        return _show_scalar(value)
    return "\n".join(
        (f"{_show_scalar(t['min_amount'])}: " if "min_amount" in t else "") + str(t.get("extends", ""))
        for t in value if isinstance(t, dict))


def _show_stages(value: Any) -> str:
    if not isinstance(value, list):
        return _show_scalar(value)
    return "\n".join(" | ".join(str(s[k]) for k in ("after", "status", "recovery") if k in s)
                     for s in value if isinstance(s, dict))


@dataclass(frozen=True)
class Field:
    """One form field: where its value lives in the [[sim]] table and how its text reads."""

    name: str
    # The key in the table, or (rule, key) inside a rule's inline table.
    path: tuple[str, ...]
    read: Callable[[str], Any] = _text
    show: Callable[[Any], str] = _show_scalar
    # The rule this field belongs to: only the chosen rule's fields are written.
    rule: str | None = None
    # How the form shows it: "text", "date", "flag", "choice", "area", "kinds".
    widget: str = "text"


FIELDS: tuple[Field, ...] = (
    Field("name", ("name",)),
    Field("id", ("id",)),
    Field("preset", ("preset",), widget="choice"),
    Field("number", ("number",)),
    Field("show_number", ("show_number",), _flag, widget="flag"),
    Field("carrier", ("carrier",)),
    Field("country", ("country",)),
    Field("last_renewal", ("last_renewal",), _date, widget="date"),
    Field("keep_alive", ("keep_alive",), rule="keep_alive"),
    Field("counts", ("counts",), _words, _show_words, rule="keep_alive", widget="kinds"),
    Field("expires", ("expires",), _date, rule="expires", widget="date"),
    Field("topup_extends", ("topup", "extends"), rule="topup"),
    Field("topup_min_amount", ("topup", "min_amount"), _number, rule="topup"),
    Field("topup_from", ("topup", "from"), rule="topup", widget="choice"),
    Field("topup_tiers", ("topup", "tiers"), _tiers, _show_tiers, rule="topup", widget="area"),
    Field("charge_fee", ("charge", "fee"), _number, rule="charge"),
    Field("charge_every", ("charge", "every"), rule="charge"),
    Field("charge_balance", ("charge", "balance"), _number, rule="charge"),
    Field("charge_as_of", ("charge", "as_of"), _date, rule="charge", widget="date"),
    Field("charge_first", ("charge", "first"), _date, rule="charge", widget="date"),
    Field("charge_currency", ("charge", "currency"), rule="charge"),
    Field("grace", ("grace",)),
    Field("stages", ("stages",), _stages, _show_stages, widget="area"),
    Field("alarms", ("alarms",), _alarms, _show_alarms),
    Field("alarm_time", ("alarm_time",)),
    Field("tags", ("tags",), _words, _show_words),
    Field("renew_url", ("renew_url",)),
    Field("how_to_renew", ("how_to_renew",), widget="area"),
    Field("notes", ("notes",), widget="area"),
    Field("accounts", ("accounts",), _lines, _show_lines, widget="area"),
)
BY_NAME = {f.name: f for f in FIELDS}
# Every key of a [[sim]] table the form writes; others (renewals) are left as they are.
MANAGED_KEYS = frozenset(f.path[0] for f in FIELDS)


def to_table(values: Mapping[str, str]) -> tuple[dict[str, Any], dict[str, Reason]]:
    """The [[sim]] table these form values make, in FIELDS order, and the fields that cannot be read.

    An empty field is an absent key, so the preset's (or the calendar's) value applies.

    >>> to_table({"name": "HK", "id": "hk", "rule": "topup", "topup_extends": "1 year",
    ...           "topup_min_amount": "50", "keep_alive": "6 months"})[0]
    {'name': 'HK', 'id': 'hk', 'topup': {'extends': '1 year', 'min_amount': 50}}
    """
    rule = values.get("rule", "")
    table: dict[str, Any] = {}
    errors: dict[str, Reason] = {}
    for field in FIELDS:
        given = values.get(field.name, "")
        if (field.rule is not None and field.rule != rule) or not given.strip():
            continue
        try:
            value = field.read(given)
        except Unreadable as problem:
            errors[field.name] = problem.reason
            continue
        if value is False:
            continue
        if len(field.path) == 1:
            table[field.path[0]] = value
        else:
            table.setdefault(field.path[0], {})[field.path[1]] = value
    if rule in RULE_CHOICES[1:] and rule not in table:
        table[rule] = {} if rule in ("topup", "charge") else ""
    return table, errors


def rule_of(table: Mapping[str, Any]) -> str:
    """Which rule a SIM table sets itself ("" when it takes its preset's)."""
    return next((rule for rule in RULE_CHOICES[1:] if rule in table), "")


def to_values(table: Mapping[str, Any]) -> dict[str, str]:
    """The form values that show a [[sim]] table (as written, before any preset fills it in)."""
    values = {"rule": rule_of(table)}
    for field in FIELDS:
        value: Any = table.get(field.path[0])
        if len(field.path) == 2:
            value = value.get(field.path[1]) if isinstance(value, Mapping) else None
        values[field.name] = "" if value is None else field.show(value)
    return values
