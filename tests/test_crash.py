"""A process killed with SIGKILL in the middle of a renewal write: the log stays whole, with no partial row
(on SQLite and on PostgreSQL).

First exactly inside the transaction (after the INSERT, before COMMIT), then at
random moments while 4 gunicorn workers take concurrent POSTs.
"""

from __future__ import annotations

import http.client
import json
import os
import random
import signal
import sqlite3
import subprocess
import sys
import threading
import time
from contextlib import closing
from datetime import date
from pathlib import Path

from feed.core.model import Renewal
from feed.storage.store import RenewalStore

from .conftest import BASIC, write_config
from .helpers import ROOT, env_for, free_port, procfile_command, stop, wait_until_up
from .test_store import raw

# A writer that stops inside its transaction: the store reads the clock a second time in
# _touch, after the INSERT and before COMMIT; there it says so and waits to be killed.
WRITER = """
import sys, time
from datetime import UTC, date, datetime
from feed.core.model import Renewal
from feed.core.model import Renewal
from feed.storage.store import RenewalStore

calls = []

def clock():
    calls.append(1)
    if len(calls) == 2:
        print("inside", flush=True)
        time.sleep(60)
    return datetime(2026, 11, 24, tzinfo=UTC)

store = RenewalStore(sys.argv[1], clock=clock)
store.add("giffgaff", Renewal(date(2026, 11, 20), 10.0, "GBP", reference="killed"), "key-1", "fp")
"""


def check(database: str) -> None:
    if "://" not in database:
        with closing(sqlite3.connect(database)) as db:
            assert db.execute("PRAGMA integrity_check").fetchall() == [("ok",)]


def test_sigkill_inside_the_write_transaction_leaves_no_row(log_url: str) -> None:
    database = log_url
    before = RenewalStore(database)
    before.add("giffgaff", Renewal(date(2026, 6, 2), reference="kept"))
    generation = before.generation()
    before.close()
    with subprocess.Popen([sys.executable, "-c", WRITER, str(database)], cwd=ROOT, stdout=subprocess.PIPE,
                          text=True) as child:
        try:
            assert child.stdout is not None
            assert child.stdout.readline().strip() == "inside"
        finally:
            child.send_signal(signal.SIGKILL)
            child.wait(timeout=10)
    assert child.returncode == -signal.SIGKILL
    check(database)
    assert raw(database, "SELECT reference FROM renewals") == [("kept",)]
    assert raw(database, "SELECT count(*) FROM idempotency") == [(0,)]
    after = RenewalStore(database)  # the next writer is not blocked by the dead one's lock
    assert after.generation() == generation
    assert [stored.renewal.reference for stored in after.list()] == ["kept"]
    after.close()


def workers(master: int) -> list[int]:
    return [int(pid) for pid in Path(f"/proc/{master}/task/{master}/children").read_text().split()]


def test_workers_killed_at_random_during_writes_lose_no_acknowledged_renewal(tmp_path: Path,
                                                                           log_url: str) -> None:
    admin = "admin-token-for-the-crash-test"
    config = write_config(tmp_path / "sims.toml", BASIC)
    port = free_port()
    env = {**env_for(config, tmp_path, port), "WEB_CONCURRENCY": "4", "SIMFEED_ADMIN_TOKEN": admin,
           "SIMFEED_DATABASE": log_url}
    log = tmp_path / "gunicorn.log"
    with log.open("wb") as out:
        master = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    acknowledged: dict[str, int] = {}
    lock = threading.Lock()
    done = threading.Event()
    kills = 0
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", master, seconds=120)

        def post(n: int) -> None:
            body = {"date": "2026-11-20", "amount": n, "currency": "GBP", "reference": f"ref-{n}",
                    "note": "x" * (n % 400 + 1)}
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            try:
                connection.request("POST", "/api/sims/giffgaff/renewals", json.dumps(body),
                                   {"Authorization": f"Bearer {admin}", "Content-Type": "application/json",
                                    "Idempotency-Key": f"key-{n}"})
                response = connection.getresponse()
                if response.status == 201:
                    with lock:
                        acknowledged[f"ref-{n}"] = json.loads(response.read())["renewal"]["id"]
            except (OSError, http.client.HTTPException):
                pass  # the worker died with the connection: the write may or may not have happened
            finally:
                connection.close()

        def client(first: int) -> None:
            n = first
            while not done.is_set():
                post(n)
                n += 8

        threads = [threading.Thread(target=client, args=(i,)) for i in range(8)]
        for thread in threads:
            thread.start()
        # Counted in progress, not in seconds: each kill waits for a renewal acknowledged since the
        # last one, so a slow machine kills as often (only later), and the writes go on meanwhile.
        chance = random.Random(7)
        limit = time.monotonic() + 300  # only a server that stopped answering gets near this
        while (kills < 8 or len(acknowledged) < 30) and time.monotonic() < limit:
            seen = len(acknowledged)
            while len(acknowledged) == seen and time.monotonic() < limit:
                time.sleep(0.02)
            time.sleep(chance.uniform(0, 0.1))  # somewhere in the next writes
            alive = workers(master.pid)
            if alive:
                os.kill(chance.choice(alive), signal.SIGKILL)
                kills += 1
        done.set()
        for thread in threads:
            thread.join(timeout=60)
    finally:
        done.set()
        stop(master, 30)
    assert kills >= 8 and len(acknowledged) >= 30, (kills, len(acknowledged))
    check(log_url)
    rows = raw(log_url, "SELECT id, sim_id, date, amount, currency, reference, note, kind, created_at"
                        " FROM renewals")
    keys = dict(raw(log_url, "SELECT key, renewal_id FROM idempotency"))  # type: ignore[arg-type]
    generation = int(raw(log_url, "SELECT value FROM meta WHERE key = 'generation'")[0][0])  # type: ignore
    by_reference = {}
    for rid, sim, on, amount, currency, reference, note, kind, created in rows:
        n = int(reference.removeprefix("ref-"))
        # Every row whole: each field as its request sent it.
        assert (sim, on, amount, currency, note, kind) == ("giffgaff", "2026-11-20", n, "GBP",
                                                          "x" * (n % 400 + 1), "topup")
        assert created and keys[f"key-{n}"] == rid
        assert reference not in by_reference, "an idempotent retry was stored twice"
        by_reference[reference] = rid
    for reference, rid in acknowledged.items():
        assert by_reference.get(reference) == rid, f"{reference} was acknowledged but is gone"
    assert len(keys) == len(rows) and generation >= len(rows)
