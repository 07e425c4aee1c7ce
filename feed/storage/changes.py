"""How a worker knows the renewal log is unchanged without reading it on every request.

Three signals, each cheap to read per request:

- `LocalWrites`, a counter in memory shared by the workers forked from one master (gunicorn's
  preload_app) and, kept in a file of the data folder, by every process that uses that folder
  (the CLI's `simfeed renew`, `simfeed remind`): every write through them bumps it after its
  commit and before it is acknowledged, so no worker serves from before a write acknowledged
  by any of them, whatever the database and before any notification arrives.
- `Listener`, one PostgreSQL connection per worker waiting in LISTEN on CHANNEL, which every
  write notifies in its transaction: other instances' writes (and the CLI's) arrive as
  notifications. While it is not connected the store reads the generation on every request
  again; it reconnects by itself.
- `DataVersion`, on SQLite: one connection per worker kept for SQLite's `PRAGMA data_version`,
  which changes whenever any other connection, in any process (another worker, another
  instance, the CLI), committed to the database since its previous call. A statement in the
  process, no table read.

Under gunicorn's gevent worker threading is monkey-patched, so the listener is a greenlet and
psycopg waits cooperatively (it uses the patched select when gevent patched it).
"""

from __future__ import annotations

import logging
import mmap
import os
import select
import sqlite3
import struct
import sys
import threading
from collections.abc import Mapping
from pathlib import Path
from time import monotonic
from typing import Any

from sqlalchemy import Connection, text

from . import db

# The channel every write to the log notifies on commit.
CHANNEL = "simfeed_log"
# In the data folder: the count of writes every process using the folder bumps (LocalWrites).
WRITES_FILE = "log-writes"
# How often an idle listener wakes: to see whether it was stopped, and every PING_EVERY wakes
# to send a query, so that a connection that died without a word is noticed (with TCP keepalives).
WAKE_SECONDS = 1.0
PING_EVERY = 30
# Reconnecting after a failure waits this long at first, doubling up to RETRY_MAX.
RETRY_MIN, RETRY_MAX = 0.2, 10.0
# libpq's keepalive and send timeout settings for the listening connection.
KEEPALIVE = {"keepalives": 1, "keepalives_idle": 10, "keepalives_interval": 5, "keepalives_count": 3,
             "tcp_user_timeout": 20_000, "connect_timeout": 5}

logger = logging.getLogger(__name__)


def announce(connection: Connection) -> None:
    """Tell every listening worker, when this transaction commits, that the log changed.

    Whatever bumps the log's generation calls it in the same transaction (PostgreSQL;
    nothing to do on SQLite, whose every commit changes DataVersion).
    """
    if connection.dialect.name == "postgresql":
        connection.execute(text(f"NOTIFY {CHANNEL}"))

_COUNT = struct.Struct("Q")


class LocalWrites:
    """How many writes this instance made: one 8-byte counter in shared memory.

    Made before gunicorn forks, it is the same memory in every worker; mapped from `path`,
    the same in every process that maps that file (anonymous memory when it cannot be
    opened: this process and its forks only). An increment lost to two writers at once is
    harmless: both bump it after their commits, so a read that follows either bump sees
    both writes.

    >>> writes = LocalWrites()
    >>> before = writes.count(); writes.wrote(); writes.count() == before + 1
    True
    """

    def __init__(self, path: Path | None = None) -> None:
        self._memory = _shared(path)


    def count(self) -> int:
        value: int = _COUNT.unpack_from(self._memory)[0]
        return value

    def wrote(self) -> None:
        _COUNT.pack_into(self._memory, 0, (self.count() + 1) % 2**64)


def _shared(path: Path | None) -> mmap.mmap:
    """The counter's memory: MAP_SHARED, so forked workers (and, with a file, other processes) see one."""
    if path is not None:
        try:
            fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o600)
        except OSError as error:
            logger.warning("writes to the renewal log are counted per process tree (%s: %s)",
                           path, error.strerror)
        else:
            try:
                if os.fstat(fd).st_size < _COUNT.size:
                    os.ftruncate(fd, _COUNT.size)  # zeros; a count another process wrote is kept
                return mmap.mmap(fd, _COUNT.size)
            finally:
                os.close(fd)
    return mmap.mmap(-1, _COUNT.size)


class DataVersion:
    """SQLite's count of other connections' commits, on a connection kept for it alone.

    The connection never writes (its own commits would not count) and belongs to the process
    that opened it: a forked worker opens its own. A new connection counts from its own
    start, so each one gets a new `epoch`, part of what `settled` returns.
    """

    def __init__(self, path: str | os.PathLike[str], within: float = 0.0):
        self._path = os.fspath(path)
        self._within = within
        self._lock = threading.Lock()
        self._cursor: sqlite3.Cursor | None = None
        self._pid = 0
        self._epoch = 0
        # (until when, what was read): answered again without asking SQLite until then.
        self._last: tuple[float, tuple[int, int]] | None = None

    def settled(self) -> tuple[int, int] | None:
        """(epoch, data_version): equal to an earlier value only if nothing was committed since,
        or, with `within`, nothing more than `within` seconds before the last time it was read.

        None when it cannot be read now (the caller reads the log instead).
        """
        last = self._last
        if last is not None and monotonic() < last[0]:
            return last[1]
        with self._lock:  # one connection, shared by the worker's threads
            try:
                cursor = self._cursor
                if cursor is None or self._pid != os.getpid():
                    cursor = self._open()
                # fetchall: the statement runs to its end, so no read transaction stays open.
                value: int = cursor.execute("PRAGMA data_version").fetchall()[0][0]
            except sqlite3.Error:
                self._cursor, self._last = None, None  # opened again next time, with a new epoch
                return None
            if self._within > 0:
                self._last = (monotonic() + self._within, (self._epoch, value))
            return self._epoch, value

    def _open(self) -> sqlite3.Cursor:
        # A parent's connection is left alone in a forked child (closing it there is not safe).
        # mode=rw: a database that is gone is an error here, never a new empty file. No busy
        # wait (timeout 0): a database busy for a moment is read the usual way, which waits.
        connection = sqlite3.connect(f"{Path(self._path).resolve().as_uri()}?mode=rw", uri=True,
                                     isolation_level=None, check_same_thread=False, timeout=0)
        self._cursor, self._pid = connection.cursor(), os.getpid()
        self._epoch += 1
        return self._cursor

    def close(self) -> None:
        with self._lock:
            if self._cursor is not None and self._pid == os.getpid():
                self._cursor.connection.close()
            self._cursor = None


class Listener:
    """A connection waiting for the log's notifications, in a thread (a greenlet under gevent).

    `heard` changes on every notification, every (re)connection and every loss of the
    connection; `live` says whether notifications are arriving now. A reader that saw
    `live` and the same `heard` before and after its last read of the log knows the log
    has not changed since, as far as any committed write could tell it.
    """

    def __init__(self, connect: Mapping[str, Any], describe: str):
        self._connect = {**connect, **KEEPALIVE, "autocommit": True, "application_name": "simfeed-listen"}
        self._describe = describe
        self.heard = 0
        self.live = False
        self._fd = -1  # the connection's socket while connected
        self._poll = _poller()
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name="simfeed-listen", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self) -> None:
        """Ask the thread to close its connection and end (within WAKE_SECONDS)."""
        self.live = False
        self._stop.set()

    def settled(self) -> int | None:
        """`heard`, while connected with nothing unread on the connection; else None (read the log).

        Data waiting on the socket is a notification, or the server's goodbye, that the thread
        has not handled yet: the caller must not trust its last read meanwhile.
        """
        heard, fd = self.heard, self._fd
        if not self.live or fd < 0:
            return None
        probe = self._poll()
        probe.register(fd, select.POLLIN)
        if probe.poll(0):
            return None
        # The thread bumps `heard` before it closes `fd`: unchanged, the poll was of our socket.
        return heard if self.heard == heard else None

    def _run(self) -> None:
        import psycopg

        delay = RETRY_MIN
        while not self._stop.is_set():
            connection = None
            try:
                connection = psycopg.connect(**self._connect)
                connection.execute(f"LISTEN {CHANNEL}")
                # A copy of libpq's descriptor: libpq closes its own as soon as it reads the end of
                # the connection, and the number could then name another socket before we notice.
                self._fd = os.dup(connection.pgconn.socket)
                # Whatever was written before LISTEN took effect was not notified to us:
                # the next request reads the generation once more.
                self.heard += 1
                self.live = True
                if delay > RETRY_MIN:
                    logger.info("changes to the renewal log of %s are notified again", self._describe)
                delay = RETRY_MIN
                self._listen(connection)
            except (psycopg.Error, OSError) as error:  # the thread must live on: it reconnects
                if (self.live or delay == RETRY_MIN) and not self._stop.is_set():
                    logger.warning("listening for changes to the renewal log of %s failed (each request"
                                " reads it meanwhile): %s", self._describe, db.reason(error))
            finally:
                self.live, fd, self._fd = False, self._fd, -1
                self.heard += 1
                if fd >= 0:
                    os.close(fd)
                if connection is not None:
                    connection.close()
            self._stop.wait(delay)
            delay = min(delay * 2, RETRY_MAX)

    def _listen(self, connection: Any) -> None:
        wakes = 0
        while not self._stop.is_set():
            for _ in connection.notifies(timeout=WAKE_SECONDS):
                self.heard += 1
            wakes += 1
            if wakes % PING_EVERY == 0:
                connection.execute("SELECT 1")


def _poller() -> Any:
    """select.poll, which never yields: the original when gevent patched select (it removes poll)."""
    monkey = sys.modules.get("gevent.monkey")
    if monkey is not None and monkey.is_module_patched("select"):
        return monkey.get_original("select", "poll")
    return select.poll
