"""What the page, the API and the CLI can do: each use case once, on the served config and log.

Blueprints and commands translate HTTP and argv into these calls and their answers back;
they never reach the store, the config loader or the clock themselves.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import TYPE_CHECKING, Any

from ..autopilot import status as autopilot
from ..config.load import ConfigError, load_config
from ..config.watcher import ConfigWatcher
from ..core.costs import Money, YearCost, totals, year_cost
from ..core.model import Config, Renewal
from ..editing.configfile import Change, ConfigFile
from ..editing.drafts import Draft
from ..ledger import sheet
from ..reminders import runner
from ..reminders import status as reminders
from ..storage import db, renewals
from ..storage.records import RECORD_FIELDS, csv_text, renewal_record
from ..storage.renewals import Recorded, SimStatus
from ..storage.store import RenewalStore, StoredRenewal
from . import renewal_links
from .admin_token import AdminToken, admin_token
from .checkup import Checkup, checkup
from .snapshots import Serving

if TYPE_CHECKING:
    from ..autopilot.runner import Outcome as Piloted

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Overview:
    """Every SIM at a glance, the most urgent first; `sims` None when they are not to be shown."""

    today: date
    sims: list[SimStatus] | None
    costs: dict[str, YearCost]
    cost_totals: tuple[tuple[Money, ...], tuple[Money, ...]]


@dataclass(frozen=True)
class SimDetail:
    """One SIM's page: its status, history, cost, and what its reminders and autopilot do next."""

    item: SimStatus
    today: date
    history: list[StoredRenewal | Renewal]
    cost: YearCost
    rule_old: bool
    reminders: reminders.SimReminders | None
    autopilot: autopilot.SimAutopilot | None


@dataclass(frozen=True)
class ReminderPass:
    """One pass of the autopilot's texts and the push reminders, on the config it used.

    `messages`: for a dry run, each outcome's title and body as it would be sent.
    """

    config: Config
    piloted: tuple[Piloted, ...]
    outcomes: tuple[runner.Outcome, ...]
    messages: tuple[tuple[str, str], ...] = ()

    def __len__(self) -> int:
        return len(self.piloted) + len(self.outcomes)


def _utc_now() -> datetime:
    return datetime.now(UTC)


class Service(Serving):
    """The one way in: every use case of the page, the API and the CLI, on one worker's state.

    `clock` is the only source of "now": tests pass a fixed one.
    """

    def __init__(self, watcher: ConfigWatcher, store: RenewalStore,
                 clock: Callable[[], datetime] = _utc_now):
        super().__init__(watcher, store)
        self.clock = clock

    def _config(self, config: Config | None = None) -> Config:
        """`config` (a request's, so that all of one answer agrees), else the one served now."""
        return config or self.snapshot().config

    def today(self, config: Config | None = None) -> date:
        """Today where the calendar lives: days are counted there, not on the server."""
        return renewals.today_in(self._config(config), self.clock())

    def checked(self, path: str | None = None, join_log: bool = True) -> Config:
        """The SIM file (the served one unless `path`) read strictly, with the log unless not `join_log`.

        Raises ConfigError: no last good config stands in for a broken file here.
        """
        config = load_config(path or self.watcher.label)
        return self.joined(config) if join_log else config

    def admin_token(self, from_env: str | None, refused: bool, kept: str | None) -> AdminToken:
        """The admin token in force with the SIM file as it is now (a broken one counts as setting none:
        `simfeed check` says what is wrong, and the kept token may still serve)."""
        try:
            configured = self.watcher.current().config.server.admin_token
        except ConfigError:
            configured = None
        return admin_token(configured, from_env, refused, kept)

    def checkup(self, config: Config) -> Checkup:
        """A config looked over today: deadlines soonest first, costs, channels (`simfeed check`)."""
        return checkup(config, self.today(config))

    def feed_body(self) -> tuple[Config, bytes]:
        """The served config and its whole feed, as the server builds it (`simfeed export`)."""
        view = self.snapshot()
        return view.config, self.feed(view, ("all", view.config.calendar.reminders)).body

    def upgrade(self) -> str:
        """Bring the database to the latest schema; which database, without its password."""
        db.create_schema(self.store.engine)
        return db.describe(self.store.engine)

    def remind(self, secret_key: str | bytes | None, name: str, dry_run: bool = False) -> ReminderPass:
        """One pass over the served config (the last good one) and log: the autopilot's texts first,
        then the reminders of the SIMs it does not hold. With `dry_run`, nothing is sent nor recorded."""
        # Here: gateway clients take 0.3 s to import, web workers none.
        from ..autopilot import runner as autopilot

        view = self.snapshot()
        if view.errors:
            logger.warning("the config has errors; reminding from the last good one: %s",
                           "; ".join(map(str, view.errors)))
        config, now = view.config, self.clock()
        piloted = autopilot.run_pass(config, self.store, now, secret_key, name, dry_run=dry_run,
                                     clock=self.clock)
        held = autopilot.held_now(config, self.store, now)
        outcomes = runner.run_pass(config, self.store.engine, now, secret_key, name, dry_run=dry_run,
                                   clock=self.clock, held=held)
        today = self.today(config)
        messages = tuple(runner.message(config, outcome.planned, today, secret_key)
                         for outcome in outcomes) if dry_run else ()
        return ReminderPass(config, tuple(piloted), tuple(outcomes), messages)

    def save_draft(self, file: ConfigFile, draft: Draft, expected: str, change: Change) -> Config:
        """Write a valid draft to the config file if it still has digest `expected`, stamped now; the
        new config. Raises ConfigError, Stale, NotWritable or NotSaved, the file as it was."""
        if draft.text is None:
            raise ValueError("a draft with errors is never saved")
        return file.save(draft.text, expected, change, self.clock(), draft.config)

    def record(self, sim_id: str, data: Mapping[str, Any], key: str | None = None,
               config: Config | None = None) -> Recorded:
        """Validate and store one renewal; raises UnknownSim, RenewalInvalid or IdempotencyConflict."""
        config = self._config(config)
        return renewals.record(self.store, config, sim_id, data, self.today(config), key)

    def link_target(self, secret_key: str | bytes, token: str,
                    config: Config | None = None) -> renewal_links.LinkTarget:
        """The SIM and deadline a reminder's one-tap link is for, today; raises LinkExpired,
        LinkInvalid, or UnknownSim for a SIM no longer in the config."""
        config = self._config(config)
        return renewal_links.target(config, secret_key, token, self.today(config))

    def record_from_link(self, found: renewal_links.LinkTarget, data: Mapping[str, str]) -> Recorded:
        """Record the renewal a link's form sent, once (keyed on the SIM and the deadline it was sent
        for); raises TopUpNeeded, RenewalInvalid or IdempotencyConflict."""
        renewal_links.require_top_up(found, data)
        return self.record(found.sim.id, data, found.claim.idempotency_key)

    def renewal(self, renewal_id: int) -> StoredRenewal | None:
        """One logged renewal, or None."""
        return self.store.get(renewal_id)

    def undo(self, renewal_id: int) -> StoredRenewal | None:
        """Delete a logged renewal (a mistaken entry); the one deleted, or None when there was none."""
        stored = self.store.get(renewal_id)
        return stored if stored is not None and self.store.delete(renewal_id) else None

    def recorded_with(self, key: str) -> StoredRenewal | None:
        """The renewal recorded under this idempotency key, if one was."""
        return self.store.recorded_with(key)

    def history(self, sim_id: str) -> list[StoredRenewal | Renewal]:
        """A SIM's renewals newest first, the log's and the config's; UnknownSim for neither."""
        return renewals.history(self.store, self._config(), sim_id)

    def renewal_records(self, sim_id: str | None = None,
                        config: Config | None = None) -> list[dict[str, Any]]:
        """Renewals as flat records, newest first: one SIM's, or every SIM's and the log's.

        Raises UnknownSim (its id as the argument) for an id known to neither.
        """
        config, store = self._config(config), self.store
        ids = [sim_id] if sim_id else sorted({s.id for s in config.sims} | {r.sim_id for r in store.list()})
        rows = [renewal_record(entry, one) for one in ids for entry in renewals.history(store, config, one)]
        return sorted(rows, key=lambda row: (row["date"], row["id"] or 0), reverse=True)

    def export_renewals(self, sim_id: str | None, form: str) -> str:
        """The renewal records as CSV or JSON (`form`), for `renewals --format`."""
        rows = self.renewal_records(sim_id)
        if form == "json":
            return json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
        return csv_text(rows, RECORD_FIELDS)

    def overview(self, with_sims: bool = True, config: Config | None = None) -> Overview:
        """The front page: every SIM with its deadline and cost (or, without the SIMs, the day only)."""
        config = self._config(config)
        today = self.today(config)
        sims = renewals.overview(config, today) if with_sims else None
        costs = {view.sim.id: year_cost(view.sim, today) for view in sims or ()}
        return Overview(today, sims, costs, totals(costs.values()))

    def sim_detail(self, sim_id: str, config: Config | None = None) -> SimDetail | None:
        """One SIM's page, or None for an id not in the config."""
        config = self._config(config)
        today = self.today(config)
        found = next((v for v in renewals.overview(config, today) if v.sim.id == sim_id), None)
        if found is None:
            return None
        sim, now, engine = found.sim, self.clock(), self.store.engine
        return SimDetail(found, today, renewals.history(self.store, config, sim_id), year_cost(sim, today),
                         sheet.rule_is_old(sim, today), reminders.for_sim(config, engine, sim, now),
                         autopilot.for_sim(config, engine, sim, now))

    def pause_autopilot(self, sim_id: str, paused: bool, config: Config | None = None) -> bool:
        """Pause or resume a SIM's autopilot (kept in the database); False when it has none."""
        sim = self._config(config).sim(sim_id)
        if sim is None or sim.autopilot is None:
            return False
        autopilot.pause(self.store.engine, sim_id, paused, self.clock())
        return True

    def ledger(self, config: Config | None = None) -> list[dict[str, Any]]:
        """Every SIM's record (rule, deadline, status, cost, accounts), the most urgent first."""
        config = self._config(config)
        return sheet.records(config, self.today(config))

    def cost_totals(self, config: Config | None = None) -> dict[str, Any]:
        """What keeping every SIM costs a year, projected and paid, per currency."""
        config = self._config(config)
        return sheet.totals_json(config, self.today(config))

    def export_sims(self, form: str, config: Config | None = None) -> str:
        """Every SIM as CSV or JSON (`form`): the page's download and `export-sims`."""
        config = self._config(config)
        return sheet.export(config, self.today(config), form)
