"""The running config: reloaded when the file changes, last good one kept when an edit is bad.

Every worker checks the file with one stat per request. A good config is also
saved to the instance folder, so that a worker that starts while the file is
broken (or deleted) serves the last good config rather than an older one.
"""

from __future__ import annotations

import hashlib
import logging
import os
import threading
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from ..core.files import atomic_write
from ..core.model import Config
from .load import ConfigError, Problem, parse_toml, read_source

logger = logging.getLogger(__name__)


@dataclass(frozen=True)
class Loaded:
    """What is being served and, when the file on disk is unusable, why not that."""

    config: Config
    errors: tuple[Problem, ...] = ()

    @property
    def stale(self) -> bool:
        return bool(self.errors)


def _signature(path: str) -> tuple[int, int, int] | None:
    try:
        stat = os.stat(path)
    except OSError:
        return None
    return (stat.st_mtime_ns, stat.st_size, stat.st_ino)


def file_key(path: Path) -> str:
    """A config file's name in the instance folder: several configs may share one folder."""
    return hashlib.sha256(str(path.resolve()).encode()).hexdigest()[:16]


class ConfigWatcher:
    """Holds the config served by this worker and notices edits to the file."""

    def __init__(self, path: str | os.PathLike[str], last_good_dir: str | os.PathLike[str] | None = None):
        self.path = Path(path)
        self.label = str(path)
        self._last_good: Path | None = None
        if last_good_dir is not None:
            self._last_good = Path(last_good_dir) / f"last-good-{file_key(self.path)}.toml"
        self._where = os.fspath(self.path)  # os.stat of a str: the cheapest check, made per request
        self._lock = threading.Lock()
        # The file's stat and what was loaded from it: one attribute, so that a request that
        # reads it without the lock never pairs a new stat with the config before it.
        self._seen: tuple[tuple[int, int, int] | None, Loaded] | None = None

    def start(self) -> Loaded:
        """Load the file strictly: at start-up a bad config is an error, not a fallback."""
        with self._lock:
            signature = _signature(self._where)
            config, text = self._parse_file()
            self._save_last_good(text, config)
            loaded = Loaded(config)
            self._seen = (signature, loaded)
            return loaded

    def current(self) -> Loaded:
        """The config to serve now; re-reads the file only when its stat changed."""
        signature = _signature(self._where)
        seen = self._seen
        if seen is not None and seen[0] == signature:
            return seen[1]
        with self._lock:
            seen = self._seen
            if seen is not None and seen[0] == signature:
                return seen[1]
            loaded = self._reload(seen[1] if seen is not None else None)
            self._seen = (signature, loaded)
            return loaded

    def _parse_file(self) -> tuple[Config, str]:
        text, modified = read_source(self.path, self.label)
        return parse_toml(text, self.label, modified), text

    def _reload(self, previous: Loaded | None) -> Loaded:
        try:
            config, text = self._parse_file()
        except ConfigError as error:
            for line in error.lines:
                logger.error("config not reloaded, still serving the last good one: %s", line)
            fallback = self._load_last_good() or (previous.config if previous else None)
            if fallback is None:
                raise
            return Loaded(fallback, tuple(error.problems))
        self._save_last_good(text, config)
        logger.info("config reloaded from %s: %d SIMs", self.label, len(config.sims))
        return Loaded(config)

    def _save_last_good(self, text: str, config: Config) -> None:
        if self._last_good is None:
            return
        try:
            if self._last_good.exists() and self._last_good.read_text("utf-8") == text:
                return
            self._last_good.parent.mkdir(parents=True, exist_ok=True)
            atomic_write(self._last_good, text.encode("utf-8"), mode=0o600, mtime=config.modified.timestamp())
        except OSError as error:
            logger.warning("could not keep a copy of the last good config: %s", error.strerror)

    def _load_last_good(self) -> Config | None:
        if self._last_good is None or not self._last_good.exists():
            return None
        try:
            text, _ = read_source(self._last_good, self.label)
            modified = datetime.fromtimestamp(int(self._last_good.stat().st_mtime), tz=UTC)
            return parse_toml(text, self.label, modified)
        except (ConfigError, OSError):
            return None
