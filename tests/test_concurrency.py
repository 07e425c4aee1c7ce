"""200 concurrent POSTs to 4 gunicorn workers: no renewal lost, none doubled."""

from __future__ import annotations

import http.client
import json
import random
import sqlite3
import subprocess
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from .conftest import BASIC, write_config
from .helpers import ROOT, env_for, free_port, procfile_command, wait_until_up

ADMIN = "admin-token-for-the-load-test"


def post(port: int, sim: str, body: dict[str, object], key: str | None) -> tuple[int, dict[str, object]]:
    headers = {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json"}
    if key:
        headers["Idempotency-Key"] = key
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("POST", f"/api/sims/{sim}/renewals", json.dumps(body), headers)
        response = connection.getresponse()
        return response.status, json.loads(response.read())
    finally:
        connection.close()


def get_json(port: int, path: str) -> object:
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    try:
        connection.request("GET", path, headers={"Authorization": f"Bearer {ADMIN}"})
        return json.loads(connection.getresponse().read())
    finally:
        connection.close()


def test_200_concurrent_posts_across_4_workers(tmp_path: Path):
    config = write_config(tmp_path / "sims.toml", BASIC)
    port = free_port()
    env = env_for(config, tmp_path, port)
    env.update(WEB_CONCURRENCY="4", SIMFEED_ADMIN_TOKEN=ADMIN)
    # 150 distinct requests, then 50 retries of earlier ones with the same key and body.
    # Dates cycle back from 2026-10-31, so the latest of each SIM is known by hand.
    requests = []
    for i in range(150):
        sim = "giffgaff" if i % 2 == 0 else "cubacel"
        body = {"date": (date(2026, 10, 31) - timedelta(days=i)).isoformat(), "amount": i,
                "currency": "GBP" if sim == "giffgaff" else "CUP", "reference": f"ref-{i}"}
        key = f"key-{i}" if i % 3 else None
        requests.append((sim, body, key))
    retries = [r for r in requests if r[2]][:50]
    assert len(retries) == 50
    work = requests + retries
    # Interleave so that retries race their originals rather than follow them.
    order = list(range(len(work)))
    random.Random(7).shuffle(order)

    log = (tmp_path / "gunicorn.log").open("wb")
    process = subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        with ThreadPoolExecutor(max_workers=32) as pool:
            shuffled = list(pool.map(lambda i: post(port, *work[i]), order))
        results = [result for _, result in sorted(zip(order, shuffled, strict=True))]
        sims = {s["id"]: s for s in get_json(port, "/api/sims")}  # type: ignore[union-attr]
    finally:
        process.terminate()
        process.wait(timeout=30)
        log.close()

    assert [status for status, _ in results] == [201] * 200
    # A retry answers with the renewal stored the first time.
    first = {r[2]: body["renewal"]["id"]
             for r, (_, body) in zip(requests, results[:150], strict=True) if r[2]}
    for request, (_, body) in zip(retries, results[150:], strict=True):
        assert body["renewal"]["id"] == first[request[2]]

    database = sqlite3.connect(tmp_path / "instance" / "simfeed.sqlite3")
    try:
        rows = database.execute("SELECT sim_id, reference FROM renewals ORDER BY id").fetchall()
        assert database.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    finally:
        database.close()
    assert len(rows) == 150
    assert sorted(ref for _, ref in rows) == sorted(f"ref-{i}" for i in range(150))
    assert len(set(rows)) == 150
    # giffgaff's latest: i = 0, 2026-10-31; + 6 months = 2027-04-30 (April has 30 days).
    assert sims["giffgaff"]["last_renewal"] == "2026-10-31"
    assert sims["giffgaff"]["deadline"] == "2027-04-30"
    # cubacel's latest: i = 1, 2026-10-30; + 330 days: 2026-10-30 + 365 days is 2027-10-30,
    # less 35 days is 2027-09-25.
    assert sims["cubacel"]["last_renewal"] == "2026-10-30"
    assert sims["cubacel"]["deadline"] == "2027-09-25"
