"""Each SIM as a record of the ledger: JSON for the API and exports, flat rows for a CSV."""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from typing import Any

from ..core.costs import Money, YearCost, checked_long_ago, plain, totals, year_cost
from ..core.model import Config, Sim
from ..core.wording import Wording
from ..storage.records import csv_text
from ..storage.renewals import SimStatus, overview

CSV_FIELDS = ("id", "name", "carrier", "country", "number", "rule", "deadline", "days_left", "status",
              "grace_until", "cost_per_year", "cost_currency", "paid_last_12_months", "accounts",
              "preset", "rule_checked", "rule_check_stale")


def money_json(money: Money) -> dict[str, Any]:
    return {"amount": plain(money.amount), "currency": money.currency}


def cost_json(cost: YearCost) -> dict[str, Any]:
    """A SIM's cost per year: the projection (null when no price is known) and what was paid."""
    plan = cost.projected
    return {
        "projected": None if plan is None else {
            **money_json(plan.cost),
            "until": plan.until.isoformat() if plan.until else None,
            "steps": [{"times": s.times, "price": plain(s.price), "period": s.period} for s in plan.steps],
        },
        "actual": [money_json(m) for m in cost.actual],
    }


def rule_is_old(sim: Sim, today: date) -> bool:
    """Whether the SIM's rule comes from a preset last checked more than a year ago."""
    preset = sim.preset
    return preset is not None and preset.rule_from_preset and checked_long_ago(preset.checked, today)


def sim_record(view: SimStatus, today: date, cost: YearCost | None = None) -> dict[str, Any]:
    """One SIM as the API and the exports give it; the number masked unless the SIM opts in."""
    sim, deadline = view.sim, view.deadline
    last = sim.last_renewal
    check = sim.check
    return {
        "id": sim.id,
        "name": sim.name,
        "carrier": sim.carrier,
        "country": sim.country,
        "number": sim.display_number,
        "last_renewal": last.date.isoformat() if last else None,
        "deadline": deadline.due.isoformat(),
        "grace_until": deadline.grace_until.isoformat() if deadline.grace_until else None,
        "days_left": view.days_left,
        "status": view.status,
        "rule": Wording().rule_summary(sim.rule),
        "cost_per_year": cost_json(cost or year_cost(sim, today)),
        "accounts": list(sim.accounts),
        "check": None if check is None else {"kind": check.kind, "code": check.code, "to": check.to},
        "preset": sim.preset.id if sim.preset else None,
        "rule_checked": sim.preset.checked.isoformat() if sim.preset else None,
        "rule_check_stale": rule_is_old(sim, today),
    }


def records(config: Config, today: date) -> list[dict[str, Any]]:
    """Every SIM's record, the most urgent first."""
    return [sim_record(view, today) for view in overview(config, today)]


def totals_json(config: Config, today: date) -> dict[str, Any]:
    """Projected and paid totals over every SIM, each per currency."""
    projected, paid = totals(year_cost(sim, today) for sim in config.sims)
    return {"projected": [money_json(m) for m in projected], "actual": [money_json(m) for m in paid]}


def _moneys(moneys: Iterable[dict[str, Any]]) -> str:
    return "; ".join(f"{m['amount']} {m['currency'] or ''}".strip() for m in moneys)


def csv_row(record: dict[str, Any]) -> dict[str, Any]:
    """A record flattened for a spreadsheet: one cell each."""
    projected = record["cost_per_year"]["projected"]
    row = {key: record[key] for key in CSV_FIELDS if key in record}
    row.update(cost_per_year=projected["amount"] if projected else None,
               cost_currency=projected["currency"] if projected else None,
               paid_last_12_months=_moneys(record["cost_per_year"]["actual"]),
               accounts="; ".join(record["accounts"]))
    return row


def export(config: Config, today: date, form: str) -> str:
    """Every SIM as CSV or JSON (`form`), for `export-sims` and the page's download."""
    rows = records(config, today)
    if form == "json":
        document = {"sims": rows, "totals": totals_json(config, today)}
        return json.dumps(document, ensure_ascii=False, indent=2) + "\n"
    return csv_text((csv_row(row) for row in rows), CSV_FIELDS)
