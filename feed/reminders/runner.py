"""One pass of the reminder runner: what is due now, claimed, sent once, recorded.

`simfeed remind` runs a pass; `--loop` one a minute. A pass reads the config and
the renewal log as the web workers serve them, finds for each channel and SIM the one
reminder due now (schedule.Schedule.current), and for each of the channel's URLs claims
it in the database, sends it, and records the outcome. With nothing due a pass asks the
database nothing; otherwise one read, then two short writes per message.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date, datetime
from functools import cached_property

from sqlalchemy import Engine

from ..config.notify import masked, target
from ..core.deadlines import Deadline, deadline_for
from ..core.model import Config, Notify, Stage
from ..core.wording import Wording
from ..storage import deliveries
from ..storage.deliveries import Delivery, Key
from . import channels, links
from .schedule import Occasion, Schedule

logger = logging.getLogger("feed.reminders")

# After a failed send, the next tries wait this long (seconds); after the last, it is given up.
RETRY_DELAYS = (60, 300, 1800)
# How long a claim is held: far longer than a receiver's time-outs for one send (channels.py).
LEASE = 600.0


def runner_name() -> str:
    """Who claimed a delivery: host, process and a random part (a restarted process is another runner)."""
    return f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"


@dataclass(frozen=True)
class Planned:
    """A reminder due now for one URL of one channel."""

    notify: Notify
    url: str
    deadline: Deadline
    occasion: Occasion

    @cached_property
    def key(self) -> Key:
        """Its row in the deliveries table (read, then claimed: made once)."""
        sim_id, due = self.deadline.sim.id, self.deadline.due
        return Key(self.notify.id, target(self.url), sim_id, due, self.occasion.name)

    @property
    def channel(self) -> str:
        """The channel as logs and the CLI may name it: its id and the URL masked."""
        return f"{self.notify.id} {masked(self.url)}"


@dataclass(frozen=True)
class Outcome:
    """What became of one planned reminder in this pass."""

    planned: Planned
    state: str
    error: str | None = None


def due_now(config: Config, now: datetime, held: frozenset[str] = frozenset()) -> Iterator[Planned]:
    """Every reminder due at `now`, per channel, SIM and URL; pure, no database.

    `held` are SIMs whose reminders wait while the autopilot keeps them (feed/autopilot).
    """
    zone = config.calendar.timezone
    for notify in config.notifies:
        for sim_id in notify.sim_ids:
            sim = config.sim(sim_id)
            if sim is None or sim_id in held:
                continue
            deadline = deadline_for(sim, config.calendar)
            occasion = Schedule(deadline, zone, notify.alarms).current(now)
            if occasion is not None:
                for url in notify.urls:
                    yield Planned(notify, url, deadline, occasion)


def _stage_on(deadline: Deadline, day: date) -> Stage | None:
    return next((stage for on, stage in deadline.stages if on == day), None)


def message(config: Config, planned: Planned, today: date, secret_key: str | bytes | None) -> tuple[str, str]:
    """The reminder's title and text in the channel's language, with the one-tap link if public_url is set."""
    deadline = planned.deadline
    words = Wording(planned.notify.language or config.calendar.language)
    link = links.link_for(config.server.public_url, secret_key, deadline)
    stage = _stage_on(deadline, planned.occasion.day)
    days = Schedule(deadline, config.calendar.timezone, planned.notify.alarms).before or [deadline.due]
    return (words.reminder_title(deadline, today, stage),
            words.reminder_body(deadline, today, link, planned.notify.show_accounts,
                                first=planned.occasion.day == days[0]))


def run_pass(config: Config, engine: Engine, now: datetime, secret_key: str | bytes | None, runner: str,
             send: channels.Sender = channels.send, dry_run: bool = False,
             clock: Callable[[], datetime] | None = None,
             held: frozenset[str] = frozenset()) -> list[Outcome]:
    """Send what is due at `now`, each message at most once across every runner; the outcomes.

    `clock` stamps each claim and outcome (default: `now`); with `dry_run` nothing is
    claimed nor sent, and the outcomes say what would be sent.
    """
    planned = list(due_now(config, now, held))
    if not planned:
        return []
    stamp = clock or (lambda: now)
    today = now.astimezone(config.calendar.timezone).date()
    seen = deliveries.latest(engine, min(p.deadline.due for p in planned))
    outcomes = []
    for plan in planned:
        found = seen.get(plan.key)
        if found is not None and not found.claimable(now.timestamp()):
            continue  # sent, given up, being sent, or a retry not yet due: no claim needed
        if dry_run:
            outcomes.append(Outcome(plan, "would send"))
            continue
        claimed = deliveries.claim(engine, plan.key, plan.occasion.due_at, runner, stamp().timestamp(), LEASE)
        if claimed is None:
            continue
        done = deliver(engine, claimed, send, plan.url, *message(config, plan, today, secret_key),
                       finished=lambda: stamp().timestamp())
        _log(plan, done)
        outcomes.append(Outcome(plan, done.state, done.error))
    return outcomes


def deliver(engine: Engine, claimed: Delivery, send: channels.Sender, url: str, title: str, body: str,
            finished: Callable[[], float], retries: tuple[float, ...] = RETRY_DELAYS) -> Delivery:
    """Send a claimed message and record how it went. A failure that surely did not arrive is tried
    again after the next of `retries` (none left: given up); one that may have arrived never is."""
    failure = send(url, title, body)
    at = finished()
    unconfirmed = failure is not None and failure.unconfirmed
    retry_at = None
    if failure is not None and not unconfirmed and claimed.attempts <= len(retries):
        retry_at = at + retries[claimed.attempts - 1]
    return deliveries.finish(engine, claimed, at, failure.reason if failure is not None else None, retry_at,
                             unconfirmed)


def _log(plan: Planned, done: Delivery) -> None:
    deadline = plan.deadline
    what = (f"reminder {plan.occasion.name} of {deadline.sim.id} (deadline {deadline.due.isoformat()})"
            f" to {plan.channel}")
    if done.state == deliveries.SENT:
        logger.info("sent %s", what)
    elif done.state == deliveries.UNCONFIRMED:
        logger.warning("sent, unconfirmed (not sent again, so as never to send it twice): %s: %s",
                    what, done.error)
    elif done.state == deliveries.RETRY:
        logger.warning("not sent, will retry (attempt %d): %s: %s", done.attempts, what, done.error)
    else:
        logger.error("not sent, gave up after %d attempts: %s: %s", done.attempts, what, done.error)


def test_message(notify: Notify, language: str,
                 send: channels.Sender = channels.send) -> list[tuple[str, channels.Failure | None]]:
    """Send the test message to each URL of a channel: (masked URL, failure or None) for each."""
    title, body = Wording(notify.language or language).test_message()
    return [(masked(url), send(url, title, body)) for url in notify.urls]
