"""Slowing down token guessing: a client that keeps missing feeds is refused until its minute is over.

Kept in memory, so each worker counts on its own: with N workers a client gets at
most N times the limit before every worker refuses it.
"""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable

# After this many misses (wrong tokens, unknown feed URLs) within WINDOW seconds, a client's
# feed requests are refused until the window that began with its first miss is over.
LIMIT = 20
WINDOW = 60.0
# Clients remembered at most; beyond that the oldest windows are forgotten first.
MAX_CLIENTS = 10_000


class Misses:
    """Counts each client's misses in fixed windows that start with its first miss.

    >>> now = [0.0]
    >>> misses = Misses(limit=2, window=60, clock=lambda: now[0])
    >>> misses.miss("a"); misses.retry_after("a")
    >>> misses.miss("a"); misses.retry_after("a"), misses.retry_after("b")
    (60, None)
    >>> now[0] = 59.5; misses.retry_after("a")
    1
    >>> now[0] = 60.0; misses.retry_after("a")
    """

    def __init__(self, limit: int = LIMIT, window: float = WINDOW,
                 clock: Callable[[], float] = time.monotonic, max_clients: int = MAX_CLIENTS):
        self.limit, self.window, self._clock, self._max = limit, window, clock, max_clients
        self._lock = threading.Lock()
        # client -> (start of its window, misses in it); in order of window start.
        self._windows: dict[str, tuple[float, int]] = {}

    def retry_after(self, client: str) -> int | None:
        """Whole seconds until this client may ask again, or None when it may now."""
        if not self._windows:  # the usual case, checked on every poll without the lock
            return None
        with self._lock:
            found = self._windows.get(client)
            if found is None or found[1] < self.limit:
                return None
            left = found[0] + self.window - self._clock()
        return math.ceil(left) if left > 0 else None

    def miss(self, client: str) -> None:
        """Count one wrong token or unknown feed URL from this client."""
        now = self._clock()
        with self._lock:
            found = self._windows.get(client)
            if found is None or now >= found[0] + self.window:
                self._windows.pop(client, None)
                self._windows[client] = (now, 1)
                self._forget(now)
            else:
                self._windows[client] = (found[0], found[1] + 1)

    def _forget(self, now: float) -> None:
        """Drop ended windows, then the oldest ones, once more clients than allowed are kept."""
        if len(self._windows) <= self._max:
            return
        for client, (start, _) in list(self._windows.items()):
            if now < start + self.window and len(self._windows) <= self._max // 2:
                break
            del self._windows[client]
