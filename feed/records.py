"""Renewals as flat records, the one shape the JSON API and the CLI's exports share."""

from __future__ import annotations

from typing import Any

from .model import Renewal
from .store import StoredRenewal

RECORD_FIELDS = ("id", "sim_id", "source", "date", "kind", "amount", "currency", "method", "reference",
                 "note", "recorded_at")
TABLE_FIELDS = ("id", "sim_id", "date", "kind", "amount", "currency", "method", "reference", "note")
# A cell starting with one of these is a formula to a spreadsheet (CSV injection).
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")


def renewal_record(entry: StoredRenewal | Renewal, sim_id: str) -> dict[str, Any]:
    """A renewal from the log (with its id) or from the config (id None) as a flat dict."""
    renewal = entry.renewal if isinstance(entry, StoredRenewal) else entry
    return {
        "id": renewal.log_id,
        "sim_id": sim_id,
        "source": "log" if renewal.log_id is not None else "config",
        "date": renewal.date.isoformat(),
        "kind": renewal.kind,
        "amount": renewal.amount,
        "currency": renewal.currency,
        "method": renewal.method,
        "reference": renewal.reference,
        "note": renewal.note,
        "recorded_at": entry.created_at.isoformat() if isinstance(entry, StoredRenewal) else None,
    }


def spreadsheet_safe(value: Any) -> Any:
    """Text that a spreadsheet shows as text, never runs as a formula.

    >>> spreadsheet_safe("=HYPERLINK(\\"http://x\\")"), spreadsheet_safe("TXN-1"), spreadsheet_safe(10.0)
    ('\\'=HYPERLINK("http://x")', 'TXN-1', 10.0)
    """
    if isinstance(value, str) and value.startswith(_FORMULA_START):
        return "'" + value
    return value
