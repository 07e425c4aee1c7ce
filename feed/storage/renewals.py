"""Recording renewals: one code path for the CLI, the JSON API and the web page.

The config defines the SIMs and the renewal log says what happened to them; a
SIM's effective renewals are both together, so a top-up recorded here moves its
deadline exactly as a `renewals` entry in the config would.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any

from ..core import parsers
from ..core.deadlines import Deadline, Status, deadline_for, status
from ..core.durations import quote
from ..core.model import Config, Kind, Renewal, Sim
from ..core.reasons import Reason
from .store import LogState, RenewalStore, StoredRenewal

# What an Idempotency-Key (the API's header, the page's hidden field) may be: printable ASCII.
IDEMPOTENCY_KEY = re.compile(r"[\x21-\x7e]{1,255}")
INPUT_FIELDS = ("date", "kind", "amount", "currency", "method", "reference", "note")
MAX_TEXT = 500


class RenewalInvalid(ValueError):
    """The renewal cannot be stored; `reasons` maps each bad field to why, `errors` says it in English."""

    def __init__(self, reasons: dict[str, Reason]):
        self.reasons = reasons
        self.errors = {name: str(reason) for name, reason in reasons.items()}
        super().__init__("; ".join(f"{name}: {message}" for name, message in self.errors.items()))


class UnknownSim(LookupError):
    """No SIM with this id in the config being served."""


@dataclass(frozen=True)
class Recorded:
    """A stored renewal and the deadline it gives its SIM."""

    stored: StoredRenewal
    deadline: Deadline
    created: bool


@dataclass(frozen=True)
class SimStatus:
    """One SIM as a person needs to see it today."""

    sim: Sim
    deadline: Deadline
    days_left: int
    status: Status


def _amount(value: Any) -> float:
    if isinstance(value, str):  # typed into a form or on the command line
        value = parsers.amount_text(value)
    try:
        # As a float: a huge JSON integer would overflow SQLite's INTEGER binding (a 500).
        return float(parsers.amount(value))
    except OverflowError:
        raise parsers.Invalid("too_large", value=quote(value)) from None


def _short_text(value: Any) -> str:
    given = parsers.text(value).strip()
    if len(given) > MAX_TEXT:
        raise parsers.Invalid("too_long_text", limit=MAX_TEXT)
    return given


_CHECKS = {"amount": _amount, "currency": parsers.currency, "method": parsers.method,
           "reference": _short_text, "note": _short_text, "kind": parsers.member(Kind)}


def parse_input(data: Mapping[str, Any], today: date) -> Renewal:
    """Validate a renewal typed by a person; every bad field is reported at once.

    Empty values count as absent, as an empty form field does; the date defaults to `today`.
    """
    errors = {name: Reason("unknown_field") for name in data if name not in INPUT_FIELDS}
    values: dict[str, Any] = {}
    for name in INPUT_FIELDS:
        value = data.get(name)
        if value is None or (isinstance(value, str) and not value.strip()):
            continue
        try:
            values[name] = parsers.day(value) if name == "date" else _CHECKS[name](value)
        except parsers.Invalid as problem:
            errors[name] = problem.reason
    on = values.pop("date", today)
    if "date" not in errors and on > today:
        errors["date"] = Reason("after_today", {"value": quote(on.isoformat()), "today": today.isoformat()})
    if errors:
        raise RenewalInvalid(errors)
    return Renewal(date=on, **values)


def fingerprint(sim_id: str, data: Mapping[str, Any]) -> str:
    """What makes two requests "the same" for an Idempotency-Key."""
    canonical = json.dumps({"sim": sim_id, "body": data}, sort_keys=True, default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


def with_log(config: Config, by_sim: Mapping[str, tuple[StoredRenewal, ...]], state: LogState) -> Config:
    """The config with each SIM's logged renewals added; stamped with the later change."""
    sims = tuple(_with_renewals(sim, (s.renewal for s in by_sim[sim.id])) if sim.id in by_sim else sim
                 for sim in config.sims)
    # Whole seconds, as HTTP dates carry them: If-Modified-Since must be able to match.
    changed = state.changed_at.replace(microsecond=0)
    return replace(config, sims=sims, modified=max(config.modified, changed))


def _with_renewals(sim: Sim, logged: Iterable[Renewal]) -> Sim:
    """The SIM with these logged renewals beside its config's own, oldest first.

    A SIM may come with the log applied already (and be older than it): only its
    own renewals are kept from it.
    """
    own = [r for r in sim.renewals if r.log_id is None]
    return replace(sim, renewals=tuple(sorted([*own, *logged], key=lambda r: r.date)))


def record(store: RenewalStore, config: Config, sim_id: str, data: Mapping[str, Any], today: date,
           idempotency_key: str | None = None) -> Recorded:
    """Validate and store one renewal; returns it with the SIM's new deadline.

    Raises UnknownSim, RenewalInvalid or store.IdempotencyConflict, storing nothing.
    """
    sim = config.sim(sim_id)
    if sim is None:
        raise UnknownSim(sim_id)
    renewal = parse_input(data, today)
    stored, created = store.add(sim_id, renewal, idempotency_key, fingerprint(sim_id, dict(data)))
    deadline = deadline_for(_with_renewals(sim, (s.renewal for s in store.list(sim_id))), config.calendar)
    return Recorded(stored, deadline, created)


def history(store: RenewalStore, config: Config, sim_id: str) -> list[StoredRenewal | Renewal]:
    """A SIM's renewals newest first: the log's (with ids) and the config's.

    A SIM that left the config still has its logged renewals; an id known to
    neither raises UnknownSim.
    """
    logged: list[StoredRenewal | Renewal] = list(store.list(sim_id))
    sim = config.sim(sim_id)
    if sim is None and not logged:
        raise UnknownSim(sim_id)
    # The config may come with the log applied already: take only its own entries.
    entries = logged + [r for r in (sim.renewals if sim else ()) if r.log_id is None]
    return sorted(entries, key=lambda e: (_renewal(e).date, _renewal(e).log_id or 0), reverse=True)


def _renewal(entry: StoredRenewal | Renewal) -> Renewal:
    return entry.renewal if isinstance(entry, StoredRenewal) else entry


def overview(config: Config, today: date) -> list[SimStatus]:
    """Every SIM with its deadline and status, the most urgent first."""
    views = []
    for sim in config.sims:
        deadline = deadline_for(sim, config.calendar)
        views.append(SimStatus(sim, deadline, deadline.days_left(today), status(deadline, today)))
    return sorted(views, key=lambda v: (v.deadline.due, v.sim.id))


def today_in(config: Config, now: datetime | None = None) -> date:
    """Today's date where the calendar lives: days are counted there, not on the server."""
    return (now or datetime.now(config.calendar.timezone)).astimezone(config.calendar.timezone).date()
