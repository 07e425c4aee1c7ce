"""Saving the config file: validated first, against the digest the form was opened with, under a lock.

The previous versions (the last HISTORY) are kept in the instance folder; undo puts
back the one before the last change made from the page.
"""

from __future__ import annotations

import contextlib
import errno
import fcntl
import hashlib
import json
import logging
import os
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from ..config.load import ConfigError, parse_toml
from ..config.watcher import file_key
from ..core.files import atomic_write
from ..core.model import Config

logger = logging.getLogger(__name__)
HISTORY = 20


class Stale(RuntimeError):
    """The file changed since the form was opened: nothing was written."""


class NotWritable(RuntimeError):
    """The service may not write the file (read-only, or [server] editable = false)."""


class NotSaved(OSError):
    """The file could not be written (a full disk, an I/O error): it is as it was before."""

    @property
    def disk_full(self) -> bool:
        return self.errno in (errno.ENOSPC, errno.EDQUOT)


@contextlib.contextmanager
def _nothing_saved() -> Iterator[None]:
    try:
        yield
    except OSError as error:
        raise NotSaved(error.errno, error.strerror) from error


class NothingToUndo(LookupError):
    """No change made from the page is left to undo (or the file changed since)."""


def digest(text: str) -> str:
    """What a form carries to prove it was opened on this version of the file."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class Change:
    """One change made from the page: who, what, and the file's digest after it."""

    who: str
    what: str
    sim_id: str
    fields: tuple[str, ...]


class ConfigFile:
    """The config file as the page edits it: read, validate, write atomically, keep history."""

    def __init__(self, path: str | os.PathLike[str], instance: str | os.PathLike[str]):
        self.path = Path(path)
        key = file_key(self.path)
        self.history = Path(instance) / f"config-history-{key}"
        self._lock_path = Path(instance) / f"config-{key}.lock"

    def read(self) -> str:
        return self.path.read_text(encoding="utf-8")

    def writable(self, config: Config) -> bool:
        """Whether saves may write the file: allowed by [server] editable, and by the filesystem."""
        folder = self.path.resolve().parent
        try:
            # A file with no write bit is read-only on purpose, even for root (who may write anyway).
            marked = bool(self.path.stat().st_mode & 0o222)
        except OSError:
            return False
        return (config.server.editable and marked and os.access(self.path, os.W_OK)
                and os.access(folder, os.W_OK | os.X_OK))

    def validate(self, text: str) -> Config:
        """The same parser as at start-up; raises ConfigError naming file, SIM and field."""
        return parse_toml(text, str(self.path))

    @contextlib.contextmanager
    def _locked(self) -> Iterator[None]:
        """One save at a time across every worker and process on this machine."""
        self._lock_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self._lock_path, "a") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    def _write(self, data: bytes) -> None:
        # Through a symbolic link to the file it names: the link stays a link, and the history
        # (kept under the resolved path's key) stays one. A new file is its owner's only (tokens).
        target = self.path.resolve()
        target.parent.mkdir(parents=True, exist_ok=True)
        mode = target.stat().st_mode & 0o777 if target.exists() else 0o600
        atomic_write(target, data, mode=mode)

    def _history_files(self) -> list[Path]:
        """The history's files (not its hidden lock or temporary files), in name order."""
        kept = sorted(self.history.iterdir()) if self.history.is_dir() else []
        return [p for p in kept if p.is_file() and not p.name.startswith(".")]

    def _manifest(self) -> list[dict[str, str]]:
        try:
            entries: list[dict[str, str]] = json.loads((self.history / "history.json").read_text("utf-8"))
        except (OSError, ValueError):
            return []
        return entries

    def _keep(self, entries: list[dict[str, str]]) -> None:
        """The history's list after a change that is written already: a failure here costs the undo only."""
        for old in entries[:-HISTORY]:
            with contextlib.suppress(FileNotFoundError):
                (self.history / old["file"]).unlink()
        try:
            atomic_write(self.history / "history.json", json.dumps(entries[-HISTORY:], indent=1).encode())
        except OSError as error:
            logger.warning("config %s: saved, but its undo history could not be written: %s",
                        self.path.name, error.strerror)

    def save(self, text: str, expected: str, change: Change, now: datetime,
             validated: Config | None = None) -> Config:
        """Validate and write `text` if the file still has digest `expected`; returns the new config.

        `validated`: what `validate(text)` gave already (a draft's config), not parsed again.
        Raises ConfigError (invalid), Stale, NotWritable or NotSaved (the disk is full); in each
        case the file is as it was.
        """
        config = validated or self.validate(text)
        with self._locked():
            current = self.read()
            if digest(current) != expected:
                raise Stale(str(self.path))
            if not self.writable(config):
                raise NotWritable(str(self.path))
            name = f"{now.strftime('%Y%m%dT%H%M%S%f')}-{digest(current)[:8]}.toml"
            with _nothing_saved():
                self.history.mkdir(parents=True, exist_ok=True)
                atomic_write(self.history / name, current.encode("utf-8"))
                self._write(text.encode("utf-8"))
            self._keep([*self._manifest(), {"file": name, "after": digest(text), "who": change.who,
                                            "what": change.what, "sim": change.sim_id}])
        # Field names only: values (numbers, tokens) never reach the log.
        logger.info("config %s: %s SIM %s (%s) by session %s", self.path.name, change.what, change.sim_id,
                 ", ".join(change.fields) or "-", change.who)
        return config

    def contents(self) -> tuple[bytes | None, dict[str, bytes]]:
        """The file's bytes (None when there is none) and its history's files by name, for a backup.

        Read together under the save lock: no save from the page lands between them.
        """
        with self._locked():
            try:
                text: bytes | None = self.path.read_bytes()
            except FileNotFoundError:
                text = None
            return text, {p.name: p.read_bytes() for p in self._history_files()}

    def put_back(self, text: bytes | None, history: dict[str, bytes]) -> None:
        """Write the file and its history as a backup had them (a restore), under the save lock.

        The history first, then the file, each file whole or not at all; history files the
        backup did not have are removed. A new file is readable by its owner only (it holds tokens).
        """
        with self._locked():
            self.history.mkdir(parents=True, exist_ok=True)
            for name, data in history.items():
                atomic_write(self.history / name, data)
            for old in self._history_files():
                if old.name not in history:
                    old.unlink()
            if text is not None:
                self._write(text)

    def can_undo(self) -> bool:
        entries = self._manifest()
        try:
            return bool(entries) and entries[-1]["after"] == digest(self.read())
        except OSError:
            return False

    def undo(self, who: str) -> Config:
        """Put back the file as it was before the last change made from the page.

        Refused (NothingToUndo) when the file changed since that change: undo never
        throws away an edit made elsewhere.
        """
        with self._locked():
            entries = self._manifest()
            if not entries or entries[-1]["after"] != digest(self.read()):
                raise NothingToUndo(str(self.path))
            last = entries[-1]
            before = (self.history / last["file"]).read_text("utf-8")
            config = self.validate(before)
            if not self.writable(config):
                raise NotWritable(str(self.path))
            with _nothing_saved():
                self._write(before.encode("utf-8"))
            (self.history / last["file"]).unlink()
            self._keep(entries[:-1])
        logger.info("config %s: undid %s of SIM %s, by session %s", self.path.name, last["what"],
                 last["sim"], who)
        return config


__all__ = ["Change", "ConfigError", "ConfigFile", "NotSaved", "NotWritable", "NothingToUndo", "Stale",
           "digest"]
