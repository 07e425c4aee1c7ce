"""What `simfeed check` finds in a config: its deadlines soonest first, their costs, and its channels.

The command words it; everything worked out (the order, the totals, which SIMs have no price,
which presets are old, which SIMs each gateway pilots, every URL masked) is here.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from ..config.gateways import masked_gateway
from ..config.notify import masked
from ..core.costs import Money, YearCost, totals, year_cost
from ..core.deadlines import Deadline, deadline_for
from ..core.model import Config, Sim
from ..ledger import sheet


@dataclass(frozen=True)
class Outlet:
    """A [[notify]] channel or a [[gateway]] as the CLI may show it: its URLs masked (they are secrets)."""

    id: str
    shown: tuple[str, ...]
    # The environment variable its URLs were read from; None when they are in the file.
    variable: str | None
    # The SIMs it sends for: a channel's, or those whose autopilot texts through the gateway.
    sim_ids: tuple[str, ...]
    # A channel's language (a gateway's texts are the SIM's own).
    language: str | None = None


@dataclass(frozen=True)
class Checkup:
    """A config looked over on `today`."""

    config: Config
    today: date
    deadlines: tuple[Deadline, ...]
    costs: dict[str, YearCost]
    projected: tuple[Money, ...]
    paid: tuple[Money, ...]
    # SIMs whose cost per year is unknown (no keep_cost).
    uncosted: tuple[str, ...]
    # SIMs whose rule comes from a preset checked more than a year ago.
    old_rules: tuple[Sim, ...]
    channels: tuple[Outlet, ...]
    gateways: tuple[Outlet, ...]
    # Reminders are sent, but without a public_url they cannot carry the one-tap link.
    no_link: bool


def checkup(config: Config, today: date) -> Checkup:
    """Look a config over: what `simfeed check` lists."""
    deadlines = sorted((deadline_for(sim, config.calendar) for sim in config.sims),
                       key=lambda d: (d.due, d.sim.id))
    costs = {sim.id: year_cost(sim, today) for sim in config.sims}
    projected, paid = totals(costs.values())
    channels = tuple(Outlet(n.id, tuple(masked(url) for url in n.urls), _variable(n.urls_from, "urls"),
                            n.sim_ids, n.language or config.calendar.language) for n in config.notifies)
    gateways = tuple(Outlet(g.id, (masked_gateway(g),), _variable(g.url_from, "url"),
                            tuple(s.id for s in config.sims if s.autopilot and s.autopilot.gateway == g.id))
                     for g in config.gateways)
    return Checkup(
        config, today, tuple(deadlines), costs, projected, paid,
        uncosted=tuple(sorted(sim_id for sim_id, cost in costs.items() if cost.projected is None)),
        old_rules=tuple(sim for sim in config.sims if sheet.rule_is_old(sim, today) and sim.preset),
        channels=channels, gateways=gateways,
        no_link=bool(config.notifies) and not config.server.public_url)


def _variable(source: str, in_file: str) -> str | None:
    """The environment variable URLs came from: None when `source` says they are in the file."""
    return None if source == in_file else source
