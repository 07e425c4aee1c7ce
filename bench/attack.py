"""Attack: the Procfile's gunicorn under slow clients and token guessers, on loopback only.

    make attack                      # about 70 s
    ATTACK_SECONDS=20 make attack    # a quick check (every phase scales)

Slow clients: 500 connections that send a request line and then one header line a
second, and 500 that connect and send nothing, reopened as soon as the server closes
them, while 10 normal clients poll a feed (a new connection each time, 5 s timeout).
Run once against the project's gunicorn.conf.py and once, in the same run, against the
settings it had before issue 15 (bench/baseline_gthread.conf.py), with 2 workers each.
Printed: slow and idle connections held, normal requests served, their p50 and p99
(a timed-out request counts as 5 s), 5xx, and the before/after ratios.

Guessing: for 1, 2 and 4 workers sharing one renewal log, in SQLite and (with Debian's
postgresql package) in a PostgreSQL server started for the run, clients on 127.0.0.1
send wrong feed tokens and wrong admin tokens as fast as they can for a few seconds (all
inside one limit window). Printed: the guesses that got an answer (404/401) rather than
429, per minute per client, against the limit plus one per worker; and whether a client
on 127.0.0.2 with the right tokens is still served meanwhile.

Exits 1 when a goal is missed: p99 under 1 s and no 5xx with the project's settings,
guesses within the limits, the other client served.
"""

from __future__ import annotations

import contextlib
import http.client
import math
import os
import resource
import selectors
import socket
import sys
import tempfile
import threading
import time
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.results import report  # noqa: E402
from bench.soak import ADMIN, TOKEN, config_text  # noqa: E402
from feed.web.throttle import ADMIN_LIMIT, ADMIN_WINDOW, LIMIT, WINDOW  # noqa: E402
from tests.helpers import gunicorn  # noqa: E402
from tests.postgres import PostgresServer, pg_bin  # noqa: E402

SECONDS = float(os.environ.get("ATTACK_SECONDS", "60"))
PHASE = SECONDS / 4  # each slow-client run
BURST = max(2.0, SECONDS / 20)  # each guessing run
SLOW = int(os.environ.get("ATTACK_SLOW", "500"))
IDLE = int(os.environ.get("ATTACK_IDLE", "500"))
NORMAL = 10
TIMEOUT = 5.0  # a normal request that takes longer counts as failed, and as 5 s in the percentiles
BASELINE = str(ROOT / "bench" / "baseline_gthread.conf.py")
FEED = f"/calendar.ics?token={TOKEN}"


@dataclass
class Crowd:
    """The slow and idle connections: kept open from one thread, each reopened once the server drops it."""

    port: int
    slow: int
    idle: int
    stop: threading.Event = field(default_factory=threading.Event)
    dropped: Counter[str] = field(default_factory=Counter)  # closed by the server, by kind
    failed: int = 0  # connections that could not be opened
    samples: list[tuple[int, int]] = field(default_factory=list)  # (slow, idle) open, once a second

    def _open(self, kind: str) -> socket.socket | None:
        try:
            sock = socket.create_connection(("127.0.0.1", self.port), timeout=2)
            if kind == "slow":
                sock.sendall(b"GET /calendar.ics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
            sock.setblocking(False)
            return sock
        except OSError:
            self.failed += 1
            return None

    def run(self, ready: threading.Event) -> None:
        selector = selectors.DefaultSelector()
        open_: dict[socket.socket, str] = {}

        def refill() -> None:
            counts = Counter(open_.values())
            for kind, target in (("slow", self.slow), ("idle", self.idle)):
                for _ in range(target - counts[kind]):
                    if (sock := self._open(kind)) is not None:
                        open_[sock] = kind
                        selector.register(sock, selectors.EVENT_READ)

        refill()
        ready.set()
        line, next_line, next_sample = 0, time.monotonic() + 1, time.monotonic() + 1
        while not self.stop.is_set():
            for key, _ in selector.select(timeout=0.1):
                sock = key.fileobj
                assert isinstance(sock, socket.socket)
                try:
                    data = sock.recv(65536)
                except BlockingIOError:
                    continue
                except OSError:
                    data = b""
                if not data:  # closed (or answered, which a slow request head never is)
                    self.dropped[open_.pop(sock)] += 1
                    selector.unregister(sock)
                    sock.close()
            now = time.monotonic()
            if now >= next_line:  # one more header line on every slow connection
                line += 1
                for sock, kind in open_.items():
                    if kind == "slow":
                        with contextlib.suppress(OSError):  # closed: the selector reports it
                            sock.send(f"X-Slow-{line}: 1\r\n".encode())
                next_line = now + 1
            if now >= next_sample:
                counts = Counter(open_.values())
                self.samples.append((counts["slow"], counts["idle"]))
                next_sample = now + 1
            refill()
        for sock in open_:
            sock.close()
        selector.close()


@contextlib.contextmanager
def serving(work: Path, args: tuple[str, ...], **env: str) -> Iterator[int]:
    """The Procfile's gunicorn (`args` appended) on work/sims.toml; its port."""
    with gunicorn(work / "sims.toml", work, work / "gunicorn.log", args=args, **env) as base:
        yield int(urlsplit(base).port or 0)


def percentile(values: list[float], share: float) -> float:
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)] if ordered else float("nan")


def normal_client(port: int, stop_at: float, latencies: list[float], statuses: Counter[str]) -> None:
    """A calendar app polling the feed: a new connection each time, then a short pause."""
    while time.monotonic() < stop_at:
        start = time.monotonic()
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=TIMEOUT)
        try:
            connection.request("GET", FEED)
            response = connection.getresponse()
            response.read()
            statuses[str(response.status)] += 1
            latencies.append(time.monotonic() - start)
        except (OSError, http.client.HTTPException) as error:
            statuses[type(error).__name__] += 1
            latencies.append(TIMEOUT)
        finally:
            connection.close()
        time.sleep(0.1)


def slow_clients(work: Path, extra: tuple[str, ...]) -> dict[str, float]:
    """The slow-client load against the Procfile's command (with `extra` gunicorn arguments)."""
    with serving(work, extra, WEB_CONCURRENCY="2") as port:
        crowd, ready = Crowd(port, SLOW, IDLE), threading.Event()
        holder = threading.Thread(target=crowd.run, args=(ready,))
        holder.start()
        ready.wait()
        time.sleep(1.5)  # the dribblers have sent a line more; the idle ones wait
        latencies: list[float] = []
        statuses: Counter[str] = Counter()
        stop_at = time.monotonic() + PHASE
        clients = [threading.Thread(target=normal_client, args=(port, stop_at, latencies, statuses))
                   for _ in range(NORMAL)]
        for thread in clients:
            thread.start()
        for thread in clients:
            thread.join()
        crowd.stop.set()  # closed before gunicorn is stopped, so no worker waits on them
        holder.join()
    held = crowd.samples or [(0, 0)]
    return {
        "slow connections open at once (mean)": round(sum(s for s, _ in held) / len(held)),
        "idle connections open at once (mean)": round(sum(i for _, i in held) / len(held)),
        "closed by the server (then reopened), slow / idle": "{slow} / {idle}".format_map(crowd.dropped),
        "connections refused": crowd.failed,
        "normal requests served (200)": statuses["200"],
        "normal requests failed or timed out": sum(n for s, n in statuses.items() if not s.isdigit()),
        "5xx": sum(n for s, n in statuses.items() if s.isdigit() and s.startswith("5")),
        "p50 (s)": round(percentile(latencies, 0.5), 3),
        "p99 (s)": round(percentile(latencies, 0.99), 3),
    }


def guess_feed(connection: http.client.HTTPConnection) -> None:
    connection.request("GET", f"/calendar.ics?token=guess-{time.monotonic_ns()}")


def guess_admin(connection: http.client.HTTPConnection) -> None:
    connection.request("GET", "/api/sims", headers={"Authorization": f"Bearer guess-{time.monotonic_ns()}"})


def fire(port: int, stop_at: float, request: Callable[[http.client.HTTPConnection], None],
         statuses: Counter[int]) -> None:
    """One guesser: a new connection for each try (so that every worker gets some), until stop_at."""
    while time.monotonic() < stop_at:
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
        try:
            request(connection)
            response = connection.getresponse()
            response.read()
            statuses[response.status] += 1
        except (OSError, http.client.HTTPException):
            statuses[0] += 1
        finally:
            connection.close()


def right_tokens_elsewhere(port: int) -> tuple[int, int]:
    """The feed and the API with the right tokens, from another loopback address."""
    answers = []
    for path, headers in ((FEED, {}), ("/api/sims", {"Authorization": f"Bearer {ADMIN}"})):
        connection = http.client.HTTPConnection("127.0.0.1", port, timeout=10,
                                                source_address=("127.0.0.2", 0))
        try:
            connection.request("GET", path, headers=headers)
            answers.append(connection.getresponse().status)
        finally:
            connection.close()
    return answers[0], answers[1]


def guessing(workers: int, database: str | None) -> tuple[list[object], bool]:
    """Guessers against `workers` workers on one log: SQLite in the instance folder, or `database`."""
    work = Path(tempfile.mkdtemp(prefix=f"simfeed-attack-guess-{workers}-"))
    (work / "sims.toml").write_text(config_text(0), encoding="utf-8")
    env = {"WEB_CONCURRENCY": str(workers)}
    if database is not None:
        env["SIMFEED_DATABASE"] = database
    with serving(work, (), **env) as port:
        feed: Counter[int] = Counter()
        admin: Counter[int] = Counter()
        stop_at = time.monotonic() + BURST
        threads = [threading.Thread(target=fire, args=(port, stop_at, request, statuses))
                   for request, statuses in [(guess_feed, feed), (guess_admin, admin)] * 4]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        other = right_tokens_elsewhere(port)
    feed_allowed, admin_allowed = feed[404], admin[401]
    feed_bound, admin_bound = LIMIT + workers, ADMIN_LIMIT + workers
    unexpected = sum(n for s, n in (feed + admin).items() if s not in (404, 401, 429))
    row: list[object] = [
        f"{workers}, {'PostgreSQL' if database else 'SQLite'}",
        f"{feed_allowed} of {feed.total()}",
        f"{feed_allowed * 60 / WINDOW:g} (≤ {feed_bound * 60 / WINDOW:g})",
        f"{admin_allowed} of {admin.total()}",
        f"{admin_allowed * 60 / ADMIN_WINDOW:g} (≤ {admin_bound * 60 / ADMIN_WINDOW:g})",
        f"{other[0]} / {other[1]}", unexpected]
    within = feed_allowed <= feed_bound and admin_allowed <= admin_bound
    met = within and other == (200, 200) and not unexpected
    return row, met


def main() -> int:
    # 1,000 sockets here and as many in the server (which inherits the limit).
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (max(soft, min(hard, 8192)), hard))
    print(f"attack: {SLOW} slow + {IDLE} idle connections and {NORMAL} normal clients, {PHASE:g} s against "
          f"each of gthread (before) and gevent (now), 2 workers; then {BURST:g} s of guessing with 1, 2 "
          "and 4 workers; loopback only")
    figures = {}
    for name, extra in (("before: gthread, 4 threads", ("-c", BASELINE)), ("now: gunicorn.conf.py", ())):
        work = Path(tempfile.mkdtemp(prefix="simfeed-attack-slow-"))
        (work / "sims.toml").write_text(config_text(0), encoding="utf-8")
        figures[name] = slow_clients(work, extra)
    before, now = figures.values()
    rows: list[list[object]] = []
    for measure in now:
        shown, ratio = before[measure], ""
        if measure in ("p50 (s)", "p99 (s)"):
            censored = before[measure] >= TIMEOUT  # timed out: the real figure is at least this
            shown = f"≥ {before[measure]:g} (timed out)" if censored else before[measure]
            ratio = f"{'≥ ' if censored else ''}{before[measure] / max(now[measure], 0.001):.0f}x faster"
        elif measure == "normal requests served (200)":
            ratio = f"{now[measure] / before[measure]:.1f}x" if before[measure] else "none served before"
        rows.append([measure, shown, now[measure], ratio])
    report("attack-slow", ["slow clients", *figures, "ratio"], rows,
           {"seconds": PHASE, "slow": SLOW, "idle": IDLE, "normal": NORMAL})
    slow_met = now["p99 (s)"] < 1 and now["5xx"] == 0 and now["normal requests failed or timed out"] == 0
    print()
    guesses, guess_met = [], True
    binaries = pg_bin()
    postgres = PostgresServer(binaries) if binaries is not None else None
    if postgres is None:
        print("no PostgreSQL rows: apt-get install postgresql", file=sys.stderr)
    else:
        postgres.start()
    try:
        for workers in (1, 2, 4):
            for database in [None] + ([postgres.create_database()] if postgres else []):
                row, met = guessing(workers, database)
                guesses.append(row)
                guess_met = guess_met and met
    finally:
        if postgres is not None:
            postgres.remove()
    report("attack-guess", ["workers, log", "feed guesses answered", "per minute (limit + 1/worker)",
                            "admin guesses answered", "per minute (limit + 1/worker)",
                            "right tokens from 127.0.0.2", "other answers"], guesses,
           {"seconds": BURST, "feed_limit": [LIMIT, WINDOW], "admin_limit": [ADMIN_LIMIT, ADMIN_WINDOW]})
    print(f"attack: p99 under 1 s and no 5xx under slow clients: {'yes' if slow_met else 'NO'}; "
          f"guesses within the limits and the right tokens served: {'yes' if guess_met else 'NO'}")
    return 0 if slow_met and guess_met else 1


if __name__ == "__main__":
    sys.exit(main())
