"""Built feeds kept per config, so that a poll costs a lookup rather than a rebuild."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import datetime

from .model import Config


@dataclass(frozen=True)
class Published:
    """A serialised feed with the validators HTTP caching needs."""

    body: bytes
    etag: str
    last_modified: datetime


class FeedCache:
    """Feeds of the config being served; forgotten as soon as another config is served."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._config: Config | None = None
        self._feeds: dict[Hashable, Published] = {}

    def get(self, config: Config, key: Hashable, build: Callable[[], bytes]) -> Published:
        """The feed called `key` for this config, built on first use."""
        with self._lock:
            if config is not self._config:
                self._config = config
                self._feeds = {}
            published = self._feeds.get(key)
        if published is not None:
            return published
        body = build()
        published = Published(body, hashlib.sha256(body).hexdigest()[:32], config.modified)
        with self._lock:
            if config is self._config:
                self._feeds[key] = published
        return published
