"""What one worker serves: the watched config joined with the renewal log, and the built feeds.

Per request this costs one stat of the config file and one small read of the
log; the joined config and its feeds are rebuilt only when either changed.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass

from .feedcache import FeedCache
from .model import Config
from .renewals import with_log
from .store import LogState, RenewalStore
from .watcher import ConfigWatcher, Loaded


@dataclass(frozen=True)
class View:
    """The config being served (renewals from the log included) and any config errors."""

    config: Config
    errors: tuple[str, ...]
    log: LogState

    @property
    def stale(self) -> bool:
        return bool(self.errors)


class Site:
    """The state shared by every request of one worker."""

    def __init__(self, watcher: ConfigWatcher, store: RenewalStore):
        self.watcher = watcher
        self.store = store
        self.feeds = FeedCache()
        self._lock = threading.Lock()
        self._key: tuple[Loaded, LogState] | None = None
        self._view: View | None = None

    def view(self) -> View:
        """The current view; rebuilt only when the config file or the log changed."""
        loaded = self.watcher.current()
        log = self.store.state()
        with self._lock:
            if self._view is not None and self._key is not None and \
                    self._key[0] is loaded and self._key[1] == log:
                return self._view
        log, renewals = self.store.snapshot()
        view = View(with_log(loaded.config, renewals, log), loaded.errors, log)
        with self._lock:
            self._key, self._view = (loaded, log), view
        return view
