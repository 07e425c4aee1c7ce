"""When the autopilot sends each SIM's keep-alive text, what it costs, and whether the year's cap allows it.

Pure: "now" and the attempts already made are arguments. One attempt per deadline, on the
day `before` it at the SIM's alarm time in the calendar's zone (the moment its reminders
use), and until the deadline's day ends: a runner that was down still sends it, late.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime, time, timedelta
from decimal import Decimal

from ..core.deadlines import Deadline, deadline_for, instant
from ..core.model import Autopilot, Config, Gateway, KeepCost, Sim
from ..storage.attempts import Attempt

YEAR = timedelta(days=365)


@dataclass(frozen=True)
class Plan:
    """One SIM's next keep-alive text: its deadline, its gateway, and when it may be sent."""

    sim: Sim
    pilot: Autopilot
    gateway: Gateway
    deadline: Deadline
    at: datetime
    ends: datetime

    def open_at(self, now: datetime) -> bool:
        """Whether the text may be sent at `now`: from its moment until the deadline's day ends."""
        return self.at <= now < self.ends


def plans(config: Config) -> Iterator[Plan]:
    """Every SIM's next attempt (SIMs with an autopilot whose gateway the config has)."""
    zone = config.calendar.timezone
    for sim in config.sims:
        pilot = sim.autopilot
        gateway = config.gateway(pilot.gateway) if pilot else None
        if pilot is None or gateway is None:
            continue
        deadline = deadline_for(sim, config.calendar)
        at = instant(deadline.due - pilot.before, deadline.alarm_time, zone)
        ends = instant(deadline.due + timedelta(days=1), time(0), zone)
        yield Plan(sim, pilot, gateway, deadline, at, ends)


def cost_of(sim: Sim) -> KeepCost | None:
    """What one text costs: the SIM's (or its preset's) keep_cost.

    The hook for prices that depend on where the SIM is used (a text from abroad costs more):
    when presets carry such variants, pick the one for the SIM here.
    """
    return sim.keep_cost


def spent_in_year(found: Iterable[Attempt], sim_id: str, currency: str, now: datetime) -> Decimal:
    """What this SIM's texts cost in the 365 days before `now`, in `currency`.

    >>> spent_in_year([], "gg", "GBP", datetime(2027, 1, 1))
    Decimal('0')
    """
    return sum((a.spent for a in found if a.sim_id == sim_id and a.currency == currency
                and a.planned_at > now - YEAR), Decimal(0))


def over_cap(plan: Plan, found: Iterable[Attempt], now: datetime) -> str | None:
    """Why the next text would pass the SIM's yearly cap, or None when it may be sent."""
    cap, cost = plan.pilot.cap, cost_of(plan.sim)
    if cap is None:
        return None
    price = cost.amount if cost else Decimal(0)
    currency = cost.currency if cost else ""
    spent = spent_in_year(found, plan.sim.id, currency, now)
    if spent + price > cap:
        return (f"the yearly cap of {cap} {currency} is reached "
                f"({spent} {currency} spent in the last 365 days)")
    return None
