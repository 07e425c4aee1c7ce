"""The watched config joined with the renewal log, and the feeds built from it.

Per request this costs one stat of the config file and the store's check that the log
is unchanged (no read of it while SQLite's data_version or PostgreSQL's listener says
nothing was committed: storage/changes.py), and takes no lock; the joined config and its
feeds are rebuilt only when either changed.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import threading
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from ..calendar import builder
from ..calendar.cache import FeedCache, Published
from ..config.problems import Problem
from ..config.starter import is_starter
from ..config.watcher import ConfigWatcher, Loaded
from ..core.model import Config, Sim
from ..storage.db import LogUnavailable
from ..storage.renewals import with_log
from ..storage.store import LogState, RenewalStore


@dataclass(frozen=True)
class Snapshot:
    """The config being served (renewals from the log included) and any config errors."""

    config: Config
    errors: tuple[Problem, ...]
    log_state: LogState
    # Each SIM's DTSTAMP: when its definition or its logged renewals last changed.
    stamps: Mapping[str, datetime]
    # Why the log cannot be read now: this view is the last good one, served meanwhile.
    unavailable: str | None = None

    @property
    def stale(self) -> bool:
        return bool(self.errors)


def _plain(value: Any) -> Any:
    if isinstance(value, (set, frozenset)):
        return sorted(value)
    return repr(value)


def fingerprint(sim: Sim) -> str:
    """A SIM definition's digest, the same in every process (sets sorted, no hash seeds)."""
    canonical = json.dumps(dataclasses.asdict(sim), sort_keys=True, default=_plain)
    return hashlib.sha256(canonical.encode()).hexdigest()


class Serving:
    """The state shared by every request of one worker: the config, the log and the built feeds."""

    def __init__(self, watcher: ConfigWatcher, store: RenewalStore):
        self.watcher = watcher
        self.store = store
        self.feeds = FeedCache()
        self._lock = threading.Lock()
        # The last snapshot with what it was made of: one attribute, read without the lock.
        self._taken: tuple[Loaded, Snapshot] | None = None
        # When each SIM definition was first served, for the config last seen.
        self._seen: dict[Sim, datetime] = {}

    def starter(self) -> str | None:
        """The SIM file's path while it is still the starter written on the first start, else None."""
        return str(self.watcher.path) if is_starter(self.watcher.path) else None

    def joined(self, config: Config) -> Config:
        """A config (a draft, or a file read strictly) with the renewal log applied, as the feed joins it."""
        state, entries = self.store.read_all()
        return with_log(config, entries, state)

    def snapshot(self) -> Snapshot:
        """The current snapshot; rebuilt only when the config file or the log changed.

        While the database is unavailable, the last good snapshot is served, marked with why;
        with none yet, LogUnavailable propagates (a 503).
        """
        loaded = self.watcher.current()
        try:
            return self._rebuild(loaded)
        except LogUnavailable as error:
            taken = self._taken
            if taken is None:
                raise
            return dataclasses.replace(taken[1], unavailable=str(error))

    def _rebuild(self, loaded: Loaded) -> Snapshot:
        generation = self.store.generation()
        taken = self._taken
        # The watcher hands out the same Loaded while the file is unchanged.
        if taken is not None and taken[0] is loaded and taken[1].log_state.generation == generation:
            return taken[1]
        state, by_sim = self.store.read_all()
        stamps = self._first_seen(loaded.config)
        for sim_id, logged in by_sim.items():
            if sim_id in stamps:
                stamps[sim_id] = max([stamps[sim_id], *(e.created_at.replace(microsecond=0) for e in logged)])
        made = Snapshot(with_log(loaded.config, by_sim, state), loaded.errors, state, stamps)
        self._taken = (loaded, made)
        return made

    def _first_seen(self, config: Config) -> dict[str, datetime]:
        """When each SIM's definition was first served, by SIM id.

        Definitions this worker saw before keep their time; only new ones are
        digested and looked up (or recorded) in the database.
        """
        with self._lock:
            known = self._seen
        seen: dict[Sim, datetime] = {}
        new: dict[str, str] = {}
        for sim in config.sims:
            stamp = known.get(sim)
            if stamp is None:
                new[sim.id] = fingerprint(sim)
            else:
                seen[sim] = stamp
        if new:
            recorded = self.store.first_seen(new, config.modified)
            seen.update((sim, recorded[sim.id]) for sim in config.sims if sim.id in new)
        with self._lock:
            self._seen = seen
        return {sim.id: stamp for sim, stamp in seen.items()}

    def feed(self, snapshot: Snapshot, key: Hashable, sims: Iterable[Sim] | None = None,
             name: str | None = None, reminders: str | None = None) -> Published:
        """A feed of this snapshot, built once and then served from memory."""
        config = snapshot.config
        return self.feeds.get(config, key, lambda: builder.render(
            config, sims, name, reminders, snapshot.stamps, block=self.feeds.block))
