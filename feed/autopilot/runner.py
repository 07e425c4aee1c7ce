"""One pass of the autopilot, run by `remind` before the reminders: texts due now sent once, confirmations
read, renewals recorded, and the person told what happened.

Each attempt is claimed in the database before its text is sent (storage.attempts), so runners
and restarts never send one twice. A text the gateway took waits for its confirmation
("sent" or "delivered" as the SIM asks; SMS Gate is asked each pass); a confirmation records
one renewal (an idempotency key per SIM and deadline, however many runners see it). A text
that fails is tried again once RETRY_AFTER later; then, or when no confirmation comes within
CONFIRM_WITHIN, the person is told to do it by hand, and `held` lets the reminders go on.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, replace
from datetime import date, datetime

from ..config.gateways import masked_gateway
from ..config.notify import target
from ..core.deadlines import Deadline, deadline_for
from ..core.model import Config, Kind, Method, Renewal, masked_number
from ..core.wording import Wording
from ..reminders import channels, links
from ..reminders import runner as reminders
from ..storage import attempts, deliveries
from ..storage.attempts import Attempt
from ..storage.store import RenewalStore
from . import gateways
from .plan import Plan, cost_of, over_cap, plans

logger = logging.getLogger("feed.autopilot")

# A failed text is tried again once, this long after (seconds); then the person is told.
RETRY_AFTER = 3600.0
# A text the gateway took but did not confirm within this long has failed.
CONFIRM_WITHIN = 6 * 3600.0
# How long a claim is held: far longer than a gateway's own time-outs.
LEASE = 600.0
# Sends one message to one apprise URL (the reminders' channels).
Sender = channels.Sender
# Hands a text to a gateway (gateways.send; tests may wrap it).
Texter = Callable[..., gateways.Report]


@dataclass(frozen=True)
class Outcome:
    """What the pass did for one SIM's attempt: its state after the pass, and why (never a secret)."""

    sim_id: str
    deadline: date
    gateway: str
    state: str
    detail: str | None = None


def held(planned: Iterable[Plan], found: dict[tuple[str, date], Attempt], paused: frozenset[str],
         now: datetime) -> frozenset[str]:
    """The SIMs whose reminders wait for the autopilot: planned, sending or confirmed, until it gives up."""
    waiting = set()
    for plan in planned:
        attempt = found.get((plan.sim.id, plan.deadline.due))
        if plan.sim.id in paused or now >= plan.ends:
            continue
        if attempt is None or attempt.as_seen(now.timestamp()) not in attempts.GAVE_UP | {attempts.AWAITING}:
            waiting.add(plan.sim.id)
    return frozenset(waiting)


def idempotency_key(sim_id: str, deadline: date) -> str:
    """One renewal per SIM and deadline, however often its confirmation is read."""
    digest = hashlib.sha256(f"{sim_id}\n{deadline.isoformat()}".encode()).hexdigest()
    return f"autopilot-{digest}"


class Pass:
    """One pass over the config's autopilots; `run` returns what it did."""

    def __init__(self, config: Config, store: RenewalStore, now: datetime, secret_key: str | bytes | None,
                 runner: str, send: Sender = channels.send, text: Texter = gateways.send,
                 clock: Callable[[], datetime] | None = None):
        self.config, self.store, self.now = config, store, now
        self.secret_key, self.runner = secret_key, runner
        self.send, self.text = send, text
        self.clock = clock or (lambda: now)

    def _t(self) -> float:
        return self.clock().timestamp()

    def run(self, dry_run: bool = False) -> list[Outcome]:
        planned = list(plans(self.config))
        if not planned:
            return []
        engine = self.store.engine
        paused = attempts.paused_sims(engine)
        found = attempts.for_sims(engine, [p.sim.id for p in planned])
        outcomes = []
        for plan in planned:
            if plan.sim.id in paused:
                continue
            attempt = found.get((plan.sim.id, plan.deadline.due))
            outcome = self._step(plan, attempt, found.values(), dry_run)
            if outcome is not None:
                outcomes.append(outcome)
        return outcomes

    def _outcome(self, plan: Plan, state: str, detail: str | None = None) -> Outcome:
        return Outcome(plan.sim.id, plan.deadline.due, masked_gateway(plan.gateway), state, detail)

    def _step(self, plan: Plan, attempt: Attempt | None, found: Iterable[Attempt],
              dry_run: bool) -> Outcome | None:
        now = self.now.timestamp()
        if attempt is not None and attempt.state == attempts.PENDING:
            return None if dry_run else self._poll(plan, attempt)
        if not (attempt is None or attempt.claimable(now)) or not plan.open_at(self.now):
            return None
        if dry_run:
            return self._outcome(plan, "would send", f"{plan.pilot.text!r} to {masked_number(plan.pilot.to)}")
        if attempt is None:
            why = over_cap(plan, found, self.now)
            if why is not None:
                capped = attempts.capped(self.store.engine, plan.sim.id, plan.deadline.due, plan.gateway.id,
                                         plan.at, self.runner, self._t(), why)
                if capped is not None:
                    logger.warning("autopilot of %s stopped: %s", plan.sim.id, why)
                    self._tell(plan, "autopilot-capped", lambda words: words.autopilot_failed(
                        plan.deadline, self._today(), why, self._link(plan.deadline)))
                    return self._outcome(plan, attempts.CAPPED, why)
                return None
        claimed = attempts.claim(self.store.engine, plan.sim.id, plan.deadline.due, plan.gateway.id, plan.at,
                                 self.runner, self._t(), LEASE)
        if claimed is None:
            return self._interrupted(plan)
        cost = cost_of(plan.sim)
        try:
            report = self.text(plan.gateway, plan.pilot)
        except gateways.GatewayError as error:
            return self._fail(plan, claimed, str(error), maybe_sent=error.maybe_sent)
        taken = attempts.sent(self.store.engine, claimed, self._t(), report.message_id,
                              cost.amount if cost else None, cost.currency if cost else None)
        logger.info("autopilot text of %s (deadline %s) handed to %s, try %d", plan.sim.id,
                 plan.deadline.due.isoformat(), masked_gateway(plan.gateway), claimed.tries)
        return self._settle(plan, taken, report, fresh=True)

    def _interrupted(self, plan: Plan) -> Outcome | None:
        """A claim whose runner died, which `claim` marked interrupted: the person does it by hand."""
        now = attempts.get(self.store.engine, plan.sim.id, plan.deadline.due)
        if now is None or now.state != attempts.INTERRUPTED:
            return None
        self._give_up(plan, now)
        return self._outcome(plan, attempts.INTERRUPTED, now.error)

    def _poll(self, plan: Plan, attempt: Attempt) -> Outcome | None:
        try:
            report = gateways.check(plan.gateway, attempt.message_id or "")
        except gateways.GatewayError as error:
            report = gateways.Report(attempt.message_id, gateways.PENDING, str(error))
        return self._settle(plan, attempt, report)

    def _settle(self, plan: Plan, attempt: Attempt, report: gateways.Report,
                fresh: bool = False) -> Outcome | None:
        """Act on what the gateway said: confirm, wait, hand over to the person, or fail.

        A text just handed over is an outcome; a poll that changes nothing is not (unless it erred).
        """
        confirm = plan.pilot.confirm
        if report.state == gateways.FAILED:
            reason = report.error or "no reason given"
            return self._fail(plan, attempt, f"the gateway reports the text failed: {reason}")
        done = report.state == gateways.DELIVERED or (report.state == gateways.SENT and confirm == "sent")
        if done:
            return self._confirm(plan, attempt, report.message_id)
        if report.state in (gateways.SENT, gateways.DELIVERED) and confirm == "manual":
            if attempts.awaiting(self.store.engine, attempt, self._t()) is not None:
                self._tell(plan, "autopilot-sent", lambda words: words.autopilot_sent(
                    plan.deadline, self._link(plan.deadline)))
                return self._outcome(plan, attempts.AWAITING)
            return None
        if self._t() - (attempt.sent_at or self._t()) > CONFIRM_WITHIN:
            hours = CONFIRM_WITHIN / 3600
            return self._fail(plan, attempt, f"no confirmation from the gateway within {hours:g} hours")
        if fresh:
            return self._outcome(plan, attempts.PENDING, f"handed over, message {report.message_id or '-'}")
        return self._outcome(plan, attempts.PENDING, report.error) if report.error else None

    def _confirm(self, plan: Plan, attempt: Attempt, message_id: str | None) -> Outcome | None:
        key = idempotency_key(plan.sim.id, plan.deadline.due)
        amount = float(attempt.spent) if attempt.currency else None
        renewal = Renewal(date=self._today(), amount=amount, currency=attempt.currency,
                          method=Method.AUTOPILOT,
                          reference=message_id, kind=Kind.SMS,
                          note=f"automatic keep-alive text through gateway {plan.gateway.id}")
        stored, _created = self.store.add(plan.sim.id, renewal, key, key)
        done = attempts.confirmed(self.store.engine, attempt, self._t(), stored.id)
        if done is None:
            return None  # another runner confirmed it first, and told the person
        logger.info("autopilot kept %s alive: renewal #%d recorded (deadline was %s)", plan.sim.id, stored.id,
                 plan.deadline.due.isoformat())
        renewals = sorted([*plan.sim.renewals, stored.renewal], key=lambda r: r.date)
        moved = deadline_for(replace(plan.sim, renewals=tuple(renewals)), self.config.calendar).due
        self._tell(plan, "autopilot-kept", lambda words: words.autopilot_kept(plan.sim, moved))
        return self._outcome(plan, attempts.CONFIRMED,
                             f"renewal #{stored.id}; next deadline {moved.isoformat()}")

    def _fail(self, plan: Plan, attempt: Attempt, error: str, maybe_sent: bool = False) -> Outcome | None:
        """Try a failed text once more, or give up; a text that may have been sent is never sent again."""
        retry_at = self._t() + RETRY_AFTER if attempt.tries < 2 and not maybe_sent else None
        cost = cost_of(plan.sim) if maybe_sent else None
        failed = attempts.failed(self.store.engine, attempt, self._t(), error, retry_at,
                                 cost.amount if cost else None, cost.currency if cost else None, maybe_sent)
        if failed is None:
            return None
        if retry_at is not None:
            logger.warning("autopilot text of %s failed, trying again in %d minutes: %s", plan.sim.id,
                           RETRY_AFTER // 60, error)
            return self._outcome(plan, attempts.RETRY, error)
        self._give_up(plan, failed)
        return self._outcome(plan, failed.state, error)

    def _give_up(self, plan: Plan, attempt: Attempt) -> None:
        """Tell the person, once: do it by hand, or (when the text may have left) check the phone first."""
        logger.error("automatic keep-alive of %s failed (deadline %s): %s; reminding instead", plan.sim.id,
                     plan.deadline.due.isoformat(), attempt.error)

        def compose(words: Wording) -> tuple[str, str]:
            say = words.autopilot_unsure if attempt.state == attempts.INTERRUPTED else words.autopilot_failed
            return say(plan.deadline, self._today(), attempt.error or "", self._link(plan.deadline))

        self._tell(plan, "autopilot-failed", compose)

    # --- telling the person, once, through the SIM's [[notify]] channels -------------------------

    def _today(self) -> date:
        return self.now.astimezone(self.config.calendar.timezone).date()

    def _link(self, deadline: Deadline) -> str | None:
        return links.link_for(self.config.server.public_url, self.secret_key, deadline)

    def _tell(self, plan: Plan, occasion: str, compose: Callable[[Wording], tuple[str, str]]) -> None:
        """One message per URL of each channel of the SIM, in the channel's language, each claimed
        (as reminders are) so that it goes out once."""
        for notify in self.config.notifies:
            if plan.sim.id not in notify.sim_ids:
                continue
            title, body = compose(Wording(notify.language or self.config.calendar.language))
            for url in notify.urls:
                key = deliveries.Key(notify.id, target(url), plan.sim.id, plan.deadline.due, occasion)
                claimed = deliveries.claim(self.store.engine, key, self.now, self.runner, self._t(), LEASE)
                if claimed is None:
                    continue
                done = reminders.deliver(self.store.engine, claimed, self.send, url, title, body, self._t,
                                         retries=())  # told once: a message lost here is not retried
                if done.error is not None:
                    logger.warning("the autopilot's message about %s did not reach %s: %s", plan.sim.id,
                                   notify.id, done.error)


def run_pass(config: Config, store: RenewalStore, now: datetime, secret_key: str | bytes | None, runner: str,
             send: Sender = channels.send, text: Texter = gateways.send, dry_run: bool = False,
             clock: Callable[[], datetime] | None = None) -> list[Outcome]:
    """Send the keep-alive texts due at `now` and read the confirmations awaited; what was done."""
    return Pass(config, store, now, secret_key, runner, send, text, clock).run(dry_run)


def held_now(config: Config, store: RenewalStore, now: datetime) -> frozenset[str]:
    """The SIMs whose reminders the autopilot holds at `now` (one read of the attempts)."""
    planned = list(plans(config))
    if not planned:
        return frozenset()
    engine = store.engine
    found = attempts.for_sims(engine, [p.sim.id for p in planned])
    return held(planned, found, attempts.paused_sims(engine), now)
