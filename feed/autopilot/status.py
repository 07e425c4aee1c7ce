"""What a SIM's page says about its autopilot: the gateway (masked), the next text, the last attempt."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Engine

from ..config.gateways import masked_gateway
from ..core.model import Config, Sim
from ..storage import attempts
from ..storage.attempts import Attempt
from .plan import plans


@dataclass(frozen=True)
class SimAutopilot:
    """One SIM's autopilot as the page shows it."""

    gateway: str
    # When the next text goes (None: its attempt for this deadline is made, or it is paused).
    next_at: datetime | None
    last: Attempt | None
    last_state: str | None
    paused: bool


def for_sim(config: Config, engine: Engine, sim: Sim, now: datetime) -> SimAutopilot | None:
    """The autopilot of this SIM, or None when it has none."""
    plan = next((p for p in plans(config) if p.sim.id == sim.id), None)
    if plan is None:
        return None
    found = attempts.for_sims(engine, [sim.id])
    paused = sim.id in attempts.paused_sims(engine)
    last = max(found.values(), key=lambda a: a.updated_at, default=None)
    current = found.get((sim.id, plan.deadline.due))
    next_at = None if paused or current is not None or now >= plan.ends else max(plan.at, now)
    return SimAutopilot(masked_gateway(plan.gateway), next_at, last,
                        last.as_seen(now.timestamp()) if last else None, paused)


def pause(engine: Engine, sim_id: str, paused: bool, now: datetime) -> None:
    """Pause (or resume) a SIM's autopilot: its texts stop and its reminders go on as without one."""
    attempts.set_paused(engine, sim_id, paused, now.timestamp())
