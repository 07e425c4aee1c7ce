"""Slowing down token guessing: a client that keeps missing is refused (429) until its window ends.

Misses are counted in the database (feed/storage/limits.py), so every worker and every
instance on the same database adds to one count. Each worker also keeps what it last
learnt of each window: checking "is this client refused" reads that copy only, so a
request with a right token costs neither a read nor a write; only a miss writes (one
upsert, which returns the shared count). A worker learns of a lockout at its first miss
from that client after the limit was reached, so a guesser gets at most one more try per
worker and instance than the limit in each window.

When the database cannot be reached, each worker goes on counting on its own (the limit
then holds per worker, as before it was shared), logs that once, and tries the database
again after RETRY_SHARED seconds.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable, Sequence

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from ..storage import db, limits
from ..storage.limits import Quota, Window

# After LIMIT misses (wrong tokens, unknown feed URLs) within WINDOW seconds, a client's feed
# requests are refused until the window that began with its first miss is over.
LIMIT = 20
WINDOW = 60.0
FEEDS = (Quota("feeds", LIMIT, WINDOW),)
# Wrong admin tokens (the API's Bearer token, the page's sign-in): 10 per client and 100 from
# everyone together in 10 minutes; the total stops many addresses guessing together.
ADMIN_LIMIT, ADMIN_TOTAL, ADMIN_WINDOW = 10, 100, 600.0
ADMIN = (Quota("admin", ADMIN_LIMIT, ADMIN_WINDOW),
         Quota("admin-total", ADMIN_TOTAL, ADMIN_WINDOW, total=True))
# Windows remembered at most by a worker; beyond that ended ones, then the oldest, are forgotten.
MAX_CLIENTS = 10_000
# After the database failed, count in this worker alone for this long before trying it again.
RETRY_SHARED = 30.0

logger = logging.getLogger(__name__)


class Misses:
    """Each client's misses per quota: shared through the database, this worker's copy for checks.

    >>> now = [0.0]
    >>> quotas = (Quota("feeds", limit=2, window=60),)
    >>> misses = Misses(engine=None, clock=lambda: now[0])  # no database: this worker alone
    >>> misses.miss("a", quotas), misses.retry_after("a", quotas)
    (None, None)
    >>> misses.miss("a", quotas), misses.retry_after("a", quotas), misses.retry_after("b", quotas)
    (None, 60, None)
    >>> now[0] = 59.5; misses.miss("a", quotas)
    1
    >>> now[0] = 60.0; misses.retry_after("a", quotas)
    """

    def __init__(self, engine: Callable[[], Engine] | None, clock: Callable[[], float] = time.time,
                 max_clients: int = MAX_CLIENTS):
        self._engine, self._clock, self._max = engine, clock, max_clients
        self._lock = threading.Lock()
        # (scope, client) -> its window as last seen; in the order they were last counted.
        self._windows: dict[tuple[str, str], Window] = {}
        self._shared_from = 0.0  # when to use the database (again)
        self._prune_from = 0.0  # when to delete ended windows from it next
        self._alone = False

    def retry_after(self, client: str, quotas: Sequence[Quota]) -> int | None:
        """Whole seconds until this client may try again, or None when it may now."""
        if not self._windows:  # the usual case, checked on every poll without the lock
            return None
        now = self._clock()
        waits = [wait for quota in quotas if (window := self._windows.get(quota.key(client))) is not None
                 and (wait := window.retry_after(quota, now)) is not None]
        return max(waits, default=None)

    def miss(self, client: str, quotas: Sequence[Quota]) -> int | None:
        """Count one miss of this client; seconds to wait when this attempt went beyond a limit."""
        now = self._clock()
        shared = self._count_shared(client, quotas, now)
        with self._lock:
            counted = []
            for number, quota in enumerate(quotas):
                key = quota.key(client)
                known = self._windows.pop(key, None)
                if shared is not None:
                    window = shared[number]
                else:
                    window = Window.first(quota, now) if known is None else known.after_miss(quota, now)
                self._windows[key] = window
                counted.append((quota, window))
            self._forget(now)
        waits = [wait for quota, window in counted
                 if window.refused(quota) and (wait := window.retry_after(quota, now)) is not None]
        return max(waits, default=None)

    def _count_shared(self, client: str, quotas: Sequence[Quota], now: float) -> list[Window] | None:
        """The windows after this miss as the database counts them, or None to count here alone."""
        if self._engine is None or now < self._shared_from:
            return None
        prune = now >= self._prune_from
        try:
            windows = limits.count_miss(self._engine(), quotas, client, now, prune=prune)
        except (db.LogUnavailable, SQLAlchemyError) as error:
            self._shared_from = now + RETRY_SHARED
            if not self._alone:
                self._alone = True
                cause = getattr(error, "orig", None) or error
                why = error if isinstance(error, db.LogUnavailable) else db.reason(cause)
                logger.warning("failed-token limits are counted by this worker alone until the database "
                            "answers again: %s", why)
            return None
        if prune:
            self._prune_from = now + max(quota.window for quota in quotas)
        if self._alone:
            self._alone = False
            logger.info("failed-token limits are shared through the database again")
        return windows

    def _forget(self, now: float) -> None:
        """Drop ended windows, then the oldest ones, once more windows than allowed are kept."""
        if len(self._windows) <= self._max:
            return
        for key, window in list(self._windows.items()):
            if now < window.ends and len(self._windows) <= self._max // 2:
                break
            del self._windows[key]
