"""Test sends from the CLI: a [[notify]] channel's test message, and a SIM's keep-alive text now.

A test records nothing: no delivery, no attempt, no renewal. What a test would send to
is found here, and refused with a sentence (NotFound) when the config has no such thing.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..config.gateways import masked_gateway
from ..core.model import Autopilot, Config, Gateway, KeepCost, Sim, masked_number
from ..reminders import runner


class NotFound(LookupError):
    """The config has no such channel, or no such SIM with an autopilot; the message says which it has."""


class NotSent(RuntimeError):
    """The gateway did not take the test text; the message is scrubbed of its secrets."""


@dataclass(frozen=True)
class Tried:
    """One URL of a channel, masked, and whether the test message reached it."""

    shown: str
    error: str | None = None
    unconfirmed: bool = False


def try_channel(config: Config, notify_id: str) -> list[Tried]:
    """Send the test message to every URL of the [[notify]] channel `notify_id`; raises NotFound."""
    notify = config.notify(notify_id)
    if notify is None:
        known = ", ".join(n.id for n in config.notifies) or "none"
        raise NotFound(f"no [[notify]] {notify_id!r} in {config.source} (channels: {known})")
    return [Tried(shown, None if error is None else str(error), error is not None and error.unconfirmed)
            for shown, error in runner.test_message(notify, config.calendar.language)]


@dataclass(frozen=True)
class TrialText:
    """A SIM's keep-alive text as a test would send it: to whom and through what, shown safely."""

    sim: Sim
    pilot: Autopilot
    gateway: Gateway
    # The gateway, its secrets masked; the number, all but its last four digits hidden.
    shown_gateway: str
    shown_to: str
    cost: KeepCost | None


def trial_text(config: Config, sim_id: str) -> TrialText:
    """What `autopilot-test` would send for SIM `sim_id`; raises NotFound."""
    sim = config.sim(sim_id)
    if sim is None or sim.autopilot is None:
        piloted = ", ".join(s.id for s in config.sims if s.autopilot) or "none"
        raise NotFound(f"no SIM {sim_id!r} with an autopilot in {config.source} (SIMs with one: {piloted})")
    gateway = config.gateway(sim.autopilot.gateway)
    if gateway is None:  # the config's own check names it; this guards a hand-built config
        raise NotFound(f"{sim_id}: no [[gateway]] {sim.autopilot.gateway!r}")
    shown_to = masked_number(sim.autopilot.to)
    return TrialText(sim, sim.autopilot, gateway, masked_gateway(gateway), shown_to, sim.keep_cost)


def send_trial_text(test: TrialText) -> str:
    """Hand the test text to its gateway; what it said (its state, its message id). Raises NotSent."""
    from ..autopilot import gateways  # here: gateway clients take 0.3 s to import, web workers none

    try:
        report = gateways.send(test.gateway, test.pilot)
    except gateways.GatewayError as error:
        raise NotSent(str(error)) from None
    return report.state + (f", message id {report.message_id}" if report.message_id else "")
