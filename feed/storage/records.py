"""Renewals as flat records, the one shape the JSON API and the CLI's exports share; the one CSV writer."""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable, Mapping, Sequence
from typing import Any

from ..core.costs import decimal, plain
from ..core.model import Renewal
from .store import StoredRenewal

RECORD_FIELDS = ("id", "sim_id", "source", "date", "kind", "amount", "currency", "method", "reference",
                 "note", "recorded_at")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
# Control characters but tab and line feed, which a cell may hold.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


def renewal_record(entry: StoredRenewal | Renewal, sim_id: str) -> dict[str, Any]:
    """A renewal from the log (with its id) or from the config (id None) as a flat dict."""
    renewal = entry.renewal if isinstance(entry, StoredRenewal) else entry
    return {
        "id": renewal.log_id,
        "sim_id": sim_id,
        "source": "log" if renewal.log_id is not None else "config",
        "date": renewal.date.isoformat(),
        "kind": renewal.kind,
        # Exact decimal text, as the costs are: a float would turn 0.1 + 0.2 into 0.30000000000000004.
        "amount": None if renewal.amount is None else plain(decimal(renewal.amount)),
        "currency": renewal.currency,
        "method": renewal.method,
        "reference": renewal.reference,
        "note": renewal.note,
        "recorded_at": entry.created_at.isoformat() if isinstance(entry, StoredRenewal) else None,
    }


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet shows as text in one cell, never runs as a formula.

    Control characters go: click drops terminal escapes ("\\x1b[31m") when it writes
    to a file, which would turn "\\x1b[31m=1+1" into a formula after this check. A
    carriage return becomes a line feed: the CSV writer quotes a cell holding a line
    feed, not one holding a lone carriage return, which a spreadsheet then takes for the
    start of a new row (whose first cell could be a formula).

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")"), spreadsheet_safe("TXN-1"), spreadsheet_safe(10.0)
    ('\\'=HYPERLINK("http://x")', 'TXN-1', 10.0)
    >>> spreadsheet_safe("paid\\r=1+1"), spreadsheet_safe("\\x1b[31m=1+1")
    ('paid\\n=1+1', '[31m=1+1')
    """
    if isinstance(value, str):
        value = _CONTROL.sub("", value.replace("\r\n", "\n").replace("\r", "\n"))
        if value.startswith(_FORMULA_START):
            return "'" + value
    return value


def csv_text(rows: Iterable[Mapping[str, Any]], fields: Sequence[str]) -> str:
    """Rows as CSV with a header, every cell spreadsheet-safe: every CSV simfeed writes.

    >>> csv_text([{"id": 1, "note": "=1+1"}], ("id", "note"))
    "id,note\\n1,'=1+1\\n"
    """
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows({key: spreadsheet_safe(row.get(key)) for key in fields} for row in rows)
    return out.getvalue()
