"""Built feeds kept per config, and each SIM's serialised events kept across rebuilds.

A poll costs a dictionary lookup. After a renewal or an edit, only the SIMs
whose data changed are serialised again; the rest of the feed is reassembled
from the blocks kept here, which is what makes a rebuild of a large feed cheap.
"""

from __future__ import annotations

import gzip
import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from datetime import datetime

from ..core.model import CalendarSettings, Config, Sim
from .builder import sim_block


@dataclass(frozen=True)
class Published:
    """A serialised feed with the validators HTTP caching needs."""

    body: bytes
    etag: str
    last_modified: datetime
    _gzip: list[bytes] = field(default_factory=list, compare=False, repr=False)

    @property
    def gzipped(self) -> bytes:
        """The body compressed once, on first use (mtime 0, so every worker makes the same bytes)."""
        if not self._gzip:
            self._gzip.append(gzip.compress(self.body, compresslevel=6, mtime=0))
        return self._gzip[0]


BlockKey = tuple[Sim, CalendarSettings, str, datetime]


class FeedCache:
    """Feeds of the config being served, and SIM blocks of this config and the one before."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        # The config being served and its built feeds: one attribute, read by a poll without the lock.
        self._served: tuple[Config | None, dict[Hashable, Published]] = (None, {})
        self._blocks: dict[BlockKey, bytes] = {}
        self._previous_blocks: dict[BlockKey, bytes] = {}

    def get(self, config: Config, key: Hashable, build: Callable[[], bytes]) -> Published:
        """The feed called `key` for this config, built on first use."""
        served, feeds = self._served
        if served is config:
            published = feeds.get(key)
            if published is not None:
                return published
        with self._lock:
            if config is not self._served[0]:
                self._served = (config, {})
                # Blocks of the last config stay one generation, to be reused by this one.
                self._previous_blocks, self._blocks = self._blocks, {}
            published = self._served[1].get(key)
        if published is not None:
            return published
        body = build()
        published = Published(body, hashlib.sha256(body).hexdigest()[:32], config.modified)
        with self._lock:
            served, feeds = self._served
            if served is config:
                feeds[key] = published
        return published

    def block(self, sim: Sim, config: Config, reminders: str, stamp: datetime) -> bytes:
        """A SIM's serialised events, made again only when the SIM, its stamp or the settings changed."""
        key = (sim, config.calendar, reminders, stamp)
        with self._lock:
            found = self._blocks.get(key) or self._previous_blocks.get(key)
        if found is None:
            found = sim_block(sim, config, reminders, stamp)
        with self._lock:
            self._blocks[key] = found
        return found
