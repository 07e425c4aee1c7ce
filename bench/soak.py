"""Soak: the Procfile's gunicorn with 4 workers under 50 polling clients, while the config is
rewritten (valid, invalid, truncated mid-write, deleted, replaced atomically) and renewals are
recorded. Loopback only; stops by itself.

    make soak                                   # 60 s, 100 rewrites
    SOAK_SECONDS=15 make soak                   # a quick check (rewrites scale: 25)

Reports requests served, 5xx on feeds and pages (goal 0; /healthz's 503 while the file is
unusable is expected and counted apart), responses that were not a complete parseable feed
(goal 0), and, for every period in which the file was unusable, whether each feed answered
in it came from the last good config (each version of the config names itself in the
calendar's name). Then the renewal log: PRAGMA integrity_check, and every acknowledged
renewal present, whole. Exits 1 when a goal is missed.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import json
import os
import random
import re
import sqlite3
import sys
import tempfile
import threading
import time
from collections import Counter
from contextlib import closing
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from icalendar import Calendar  # noqa: E402

from bench.results import report  # noqa: E402
from tests.helpers import gunicorn  # noqa: E402

SECONDS = float(os.environ.get("SOAK_SECONDS", "60"))
REWRITES = int(os.environ.get("SOAK_REWRITES", str(max(5, round(100 * SECONDS / 60)))))
CLIENTS = int(os.environ.get("SOAK_CLIENTS", "50"))
WORKERS = os.environ.get("SOAK_WORKERS", "4")
TOKEN = "soak-calendar-token-1-DKuydD"
FAMILY_TOKEN = "soak-family-token-2-kOxAqI"
ADMIN = "soak-admin-token-3-oCcvcN"
SIM_IDS = ["giffgaff", "three", "ee", "tello", "cubacel", "povo"]
VERSION = re.compile(r"^X-WR-CALNAME:.*?\bv(\d+)\b", re.MULTILINE)


def config_text(version: int) -> str:
    """A valid config; its calendar, feed and first SIM carry the version, so every feed shows it."""
    sims = "\n".join(f"""
[[sim]]
id = "{sim_id}"
name = "{sim_id.title()}{' v' + str(version) if index == 0 else ''}"
number = "+44 7700 9001{index:02d}"
last_renewal = 2026-0{1 + index}-1{version % 10}
keep_alive = "{180 + version % 30} days"
grace = "30 days"
notes = "version {version}; 保号 😀, semicolons; and commas"
""" for index, sim_id in enumerate(SIM_IDS))
    return f"""# soak config, version {version}
[calendar]
name = "Soak v{version}"
timezone = "Europe/London"
token = "{TOKEN}"
history = true

[server]
admin_token = "{ADMIN}"
{sims}
[[feed]]
id = "family"
name = "Family v{version}"
sims = ["giffgaff", "ee"]
token = "{FAMILY_TOKEN}"
"""


INVALID = config_text(0).replace('keep_alive = "180 days"', 'keep_alive = "180 dyas"').replace("v0", "v999")


@dataclass
class Period:
    """A span during which the file on disk held one thing."""

    start: float
    kind: str
    version: int  # the version a feed must show in this period (the last good one if unusable)
    end: float = float("inf")
    good: bool = True


@dataclass
class Tally:
    lock: threading.Lock = field(default_factory=threading.Lock)
    status: Counter[tuple[str, int]] = field(default_factory=Counter)
    bad_feeds: list[str] = field(default_factory=list)
    errors: Counter[str] = field(default_factory=Counter)
    feeds: list[tuple[float, float, int]] = field(default_factory=list)  # start, end, version shown
    parsed: set[str] = field(default_factory=set)
    renewals: dict[str, int] = field(default_factory=dict)


class Rewriter(threading.Thread):
    """Rewrites the config file REWRITES times, spread over the run, and keeps the timeline."""

    def __init__(self, path: Path, stop_at: float):
        super().__init__(daemon=True)
        self.path, self.stop_at = path, stop_at
        self.periods = [Period(time.monotonic(), "initial", 0)]
        self.counts: Counter[str] = Counter()

    def _begin(self, kind: str, version: int, good: bool) -> None:
        now = time.monotonic()
        self.periods[-1].end = now
        self.periods.append(Period(now, kind, version, good=good))

    def _in_place(self, text: str) -> None:
        with self.path.open("w", encoding="utf-8") as handle:
            handle.write(text)

    def _atomic(self, text: str) -> None:
        fd, temp = tempfile.mkstemp(dir=self.path.parent, prefix=".sims-")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(text)
        os.replace(temp, self.path)

    def run(self) -> None:
        chance = random.Random(20261124)
        pause = SECONDS / (REWRITES + 1)
        last_good, version, bad_before = 0, 0, False
        for _ in range(REWRITES):
            time.sleep(pause)
            if time.monotonic() > self.stop_at:
                break
            # An unusable file is always followed by a good one, so that each bad period
            # has one last good version to check against.
            kind = chance.choice(["in-place", "atomic"] if bad_before else
                                 ["in-place", "atomic", "atomic", "invalid", "truncated", "deleted"])
            self.counts[kind] += 1
            if kind in ("in-place", "atomic"):
                version += 1
                # A good period starts once the write is complete; during an in-place write
                # the file is briefly empty or partial, which counts as unusable.
                self._begin(f"{kind} (writing)", last_good, good=False)
                (self._in_place if kind == "in-place" else self._atomic)(config_text(version))
                self._begin(kind, version, good=True)
                last_good, bad_before = version, False
            elif kind == "invalid":
                self._atomic(INVALID)
                self._begin(kind, last_good, good=False)
                bad_before = True
            elif kind == "truncated":
                text = config_text(version + 1)
                cut = text.index('name = "Three') + 10  # inside a string: not TOML
                self._begin(kind, last_good, good=False)
                self._in_place(text[:cut])
                bad_before = True
            else:
                self._begin(kind, last_good, good=False)
                self.path.unlink()
                bad_before = True
        time.sleep(pause)
        if bad_before:  # end on a good file
            version += 1
            self._begin("in-place (writing)", last_good, good=False)
            self._in_place(config_text(version))
            self._begin("in-place", version, good=True)
        self.periods[-1].end = time.monotonic()


def check_feed(body: bytes, tally: Tally) -> int | None:
    """The version a complete, parseable feed shows; None (and a bad feed counted) otherwise."""
    problem = None
    if not body.startswith(b"BEGIN:VCALENDAR\r\n") or not body.endswith(b"END:VCALENDAR\r\n"):
        problem = "not a whole calendar"
    else:
        digest = hashlib.sha256(body).hexdigest()
        with tally.lock:
            known = digest in tally.parsed
        if not known:
            try:
                calendar = Calendar.from_ical(body)
                if len(calendar.walk("VEVENT")) == 0:
                    problem = "no events"
            except ValueError as error:
                problem = f"icalendar: {error}"
            if problem is None:
                with tally.lock:
                    tally.parsed.add(digest)
    found = VERSION.search(body.decode("utf-8", "replace").replace("\r\n ", ""))
    if problem is None and found is None:
        problem = "no version in the calendar name"
    if problem is not None:
        with tally.lock:
            tally.bad_feeds.append(f"{problem}: {body[:80]!r}")
        return None
    return int(found.group(1)) if found else None


def client(port: int, number: int, stop_at: float, tally: Tally) -> None:
    """One subscriber or browser: polls feeds (some gzip, some conditional) and pages, keep-alive."""
    chance = random.Random(number)
    connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    etags: dict[str, str] = {}
    feeds = [f"/calendar.ics?token={TOKEN}", f"/feeds/family.ics?token={FAMILY_TOKEN}",
             *(f"/sims/{sim_id}.ics?token={TOKEN}" for sim_id in SIM_IDS)]
    pages = ["/", "/signin", "/sims/giffgaff", "/static/style.css"]
    while time.monotonic() < stop_at:
        roll = chance.random()
        path = chance.choice(feeds) if roll < 0.8 else ("/healthz" if roll > 0.97 else chance.choice(pages))
        group = "feed" if path.endswith(".ics") or ".ics?" in path else (
            "healthz" if path == "/healthz" else "page")
        headers = {}
        if chance.random() < 0.5:
            headers["Accept-Encoding"] = "gzip"
        if group == "feed" and path in etags and chance.random() < 0.3:
            headers["If-None-Match"] = etags[path]
        start = time.monotonic()
        try:
            connection.request("GET", path, headers=headers)
            response = connection.getresponse()
            body = response.read()
        except (OSError, http.client.HTTPException) as error:
            with tally.lock:
                tally.errors[type(error).__name__] += 1
            connection.close()
            connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
            continue
        end = time.monotonic()
        with tally.lock:
            tally.status[(group, response.status)] += 1
        if group != "feed" or response.status != 200:
            continue
        if response.getheader("Content-Encoding") == "gzip":
            body = gzip.decompress(body)
        etag = response.getheader("ETag")
        if etag:
            etags[path] = etag
        version = check_feed(body, tally)
        if version is not None and path.startswith(("/calendar.ics", "/feeds/")):
            with tally.lock:
                tally.feeds.append((start, end, version))
    connection.close()


def recorder(port: int, stop_at: float, tally: Tally) -> None:
    """Records a renewal every few tenths of a second through the API, with an Idempotency-Key."""
    n = 0
    while time.monotonic() < stop_at:
        n += 1
        sim_id = SIM_IDS[n % len(SIM_IDS)]
        body = {"date": "2026-11-20", "amount": n, "currency": "GBP", "reference": f"soak-{n}",
                "note": "soak"}
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        try:
            connection.request("POST", f"/api/sims/{sim_id}/renewals", json.dumps(body),
                               {"Authorization": f"Bearer {ADMIN}", "Content-Type": "application/json",
                                "Idempotency-Key": f"soak-{n}"})
            response = connection.getresponse()
            answer = response.read()
            with tally.lock:
                tally.status[("api", response.status)] += 1
                if response.status == 201:
                    tally.renewals[f"soak-{n}"] = json.loads(answer)["renewal"]["id"]
        except (OSError, http.client.HTTPException) as error:
            with tally.lock:
                tally.errors[f"api {type(error).__name__}"] += 1
        finally:
            connection.close()
        time.sleep(0.25)


def check_periods(periods: list[Period], tally: Tally) -> tuple[int, int, list[str]]:
    """Unusable periods checked (with at least one feed answered inside), and any wrong versions."""
    checked, answered, wrong = 0, 0, []
    for period in periods:
        if period.good:
            continue
        inside = [v for start, end, v in tally.feeds if start >= period.start and end <= period.end]
        if period.kind.endswith("(writing)"):
            continue  # microseconds long; whatever answered in it is checked by the next rule too
        checked += 1
        answered += bool(inside)
        for version in inside:
            if version != period.version:
                wrong.append(f"{period.kind} at {period.start:.2f}: served v{version}, last good "
                             f"v{period.version}")
    return checked, answered, wrong


def check_log(database: Path, tally: Tally) -> tuple[str, int, list[str]]:
    with closing(sqlite3.connect(database)) as db:
        integrity = db.execute("PRAGMA integrity_check").fetchone()[0]
        rows = {reference: (rid, note) for rid, reference, note in
                db.execute("SELECT id, reference, note FROM renewals")}
    lost = [reference for reference, rid in tally.renewals.items()
            if rows.get(reference) != (rid, "soak")]
    return integrity, len(rows), lost


def main() -> int:
    work = Path(tempfile.mkdtemp(prefix="simfeed-soak-"))
    config = work / "sims.toml"
    config.write_text(config_text(0), encoding="utf-8")
    with gunicorn(config, work, work / "gunicorn.log", WEB_CONCURRENCY=WORKERS) as base:
        port = int(urlsplit(base).port or 0)
        print(f"soak: {SECONDS:g} s, {CLIENTS} clients, {WORKERS} workers, {REWRITES} rewrites, port {port}")
        tally = Tally()
        stop_at = time.monotonic() + SECONDS
        rewriter = Rewriter(config, stop_at)
        threads = [threading.Thread(target=client, args=(port, n, stop_at, tally)) for n in range(CLIENTS)]
        threads.append(threading.Thread(target=recorder, args=(port, stop_at, tally)))
        began = time.monotonic()
        rewriter.start()
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        rewriter.join()
        elapsed = time.monotonic() - began

    checked, answered, wrong = check_periods(rewriter.periods, tally)
    integrity, rows, lost = check_log(work / "instance" / "simfeed.sqlite3", tally)
    text = (work / "gunicorn.log").read_text()
    leaked = [token for token in (TOKEN, FAMILY_TOKEN, ADMIN) if token in text]
    by_group: Counter[str] = Counter()
    for (group, _), count in tally.status.items():
        by_group[group] += count
    served = sum(tally.status.values())
    server_errors = sum(count for (group, status), count in tally.status.items()
                        if status >= 500 and group in ("feed", "page", "api"))
    rows_out = [
        ["requests served", served],
        ["  feeds / pages / healthz / api", " / ".join(str(by_group[g]) for g in ("feed", "page", "healthz",
                                                                                  "api"))],
        ["  per second", round(served / elapsed)],
        ["5xx on feeds, pages and the API (goal 0)", server_errors],
        ["healthz 200 / 503 (503 while the file is unusable)",
         f"{tally.status[('healthz', 200)]} / {tally.status[('healthz', 503)]}"],
        ["feeds 200 / 304", f"{tally.status[('feed', 200)]} / {tally.status[('feed', 304)]}"],
        ["not a complete parseable feed (goal 0)", len(tally.bad_feeds)],
        ["distinct feed bodies parsed by icalendar", len(tally.parsed)],
        ["rewrites", ", ".join(f"{k} {v}" for k, v in sorted(rewriter.counts.items()))],
        ["unusable periods checked / with feeds answered inside", f"{checked} / {answered}"],
        ["feeds answered in them, all from the last good config",
         "yes" if not wrong else f"NO: {len(wrong)} wrong"],
        ["renewals acknowledged / rows in the log", f"{len(tally.renewals)} / {rows}"],
        ["acknowledged renewals missing or partial", len(lost)],
        ["PRAGMA integrity_check", integrity],
        ["connection errors", sum(tally.errors.values())],
        ["tokens in gunicorn's output", ", ".join(leaked) or "none"],
    ]
    report("soak", ["check", "result"], rows_out, {"seconds": SECONDS, "clients": CLIENTS, "workers": WORKERS,
                                                    "statuses": {f"{g} {s}": c for (g, s), c in
                                                                 sorted(tally.status.items())}})
    for line in (tally.bad_feeds[:5] + wrong[:5]):
        print("  " + line)
    failed = (server_errors or tally.bad_feeds or wrong or lost or integrity != "ok" or leaked
              or answered < checked * 0.9 or tally.errors)
    print("soak: FAILED" if failed else "soak: all goals met")
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
