"""400 concurrent POSTs to two instances of 4 gunicorn workers each, on SQLite and PostgreSQL:
no renewal lost, none doubled."""

from __future__ import annotations

import http.client
import json
import random
import subprocess
import time
from concurrent.futures import ThreadPoolExecutor
from datetime import date, timedelta
from pathlib import Path

from .conftest import BASIC, write_config
from .helpers import ROOT, env_for, free_port, procfile_command, stop, wait_until_up
from .test_store import raw

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


def test_400_concurrent_posts_across_two_instances_of_4_workers(tmp_path: Path, log_url: str, backend: str):
    config = write_config(tmp_path / "sims.toml", BASIC)
    ports = [free_port(), free_port()]
    # 300 distinct requests, then 100 retries of earlier ones with the same key and body.
    # Dates cycle back from 2026-10-31, so the latest of each SIM is known by hand.
    requests = []
    for i in range(300):
        sim = "giffgaff" if i % 2 == 0 else "cubacel"
        body = {"date": (date(2026, 10, 31) - timedelta(days=i)).isoformat(), "amount": i,
                "currency": "GBP" if sim == "giffgaff" else "CUP", "reference": f"ref-{i}"}
        key = f"key-{i}" if i % 3 else None
        requests.append((sim, body, key))
    retries = [r for r in requests if r[2]][:100]
    assert len(retries) == 100
    work = requests + retries
    # Interleave so that retries race their originals (often on the other instance) rather than follow them.
    order = list(range(len(work)))
    random.Random(7).shuffle(order)

    processes = []
    try:
        for n, port in enumerate(ports):
            env = env_for(config, tmp_path, port)
            env.update(WEB_CONCURRENCY="4", SIMFEED_ADMIN_TOKEN=ADMIN, SIMFEED_DATABASE=log_url)
            with (tmp_path / f"gunicorn-{n}.log").open("wb") as log:
                processes.append(subprocess.Popen(procfile_command(), cwd=ROOT, env=env, stdout=log,
                                                  stderr=subprocess.STDOUT))
        for port, process in zip(ports, processes, strict=True):
            wait_until_up(f"http://127.0.0.1:{port}/healthz", process)
        with ThreadPoolExecutor(max_workers=32) as pool:
            shuffled = list(pool.map(lambda i: post(ports[i % 2], *work[i]), order))
        results = [result for _, result in sorted(zip(order, shuffled, strict=True))]
        # Each instance serves its own writes at once and the other's once notified (PostgreSQL's
        # LISTEN, feed/storage/changes.py): ask until they agree, a bounded wait.
        deadline = time.monotonic() + 60
        while True:
            seen = [{s["id"]: s for s in get_json(port, "/api/sims")} for port in ports]  # type: ignore[union-attr]
            if seen[0] == seen[1] or time.monotonic() > deadline:
                break
            time.sleep(0.05)
    finally:
        for process in processes:
            stop(process, 30)

    assert [status for status, _ in results] == [201] * 400
    # A retry answers with the renewal stored the first time.
    first = {r[2]: body["renewal"]["id"]
             for r, (_, body) in zip(requests, results[:300], strict=True) if r[2]}
    for request, (_, body) in zip(retries, results[300:], strict=True):
        assert body["renewal"]["id"] == first[request[2]]

    rows = raw(log_url, "SELECT sim_id, reference FROM renewals ORDER BY id")
    if backend == "sqlite":
        assert raw(log_url, "PRAGMA integrity_check") == [("ok",)]
    assert len(rows) == 300
    assert sorted(ref for _, ref in rows) == sorted(f"ref-{i}" for i in range(300))  # type: ignore[type-var]
    assert len(set(rows)) == 300
    for sims in seen:  # both instances agree
        # giffgaff's latest: i = 0, 2026-10-31; + 6 months = 2027-04-30 (April has 30 days).
        assert sims["giffgaff"]["last_renewal"] == "2026-10-31"
        assert sims["giffgaff"]["deadline"] == "2027-04-30"
        # cubacel's latest: i = 1, 2026-10-30; + 330 days: 2026-10-30 + 365 days is 2027-10-30,
        # less 35 days is 2027-09-25.
        assert sims["cubacel"]["last_renewal"] == "2026-10-30"
        assert sims["cubacel"]["deadline"] == "2027-09-25"
