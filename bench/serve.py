"""Serving speed under gunicorn, against a minimal Flask app serving the same bytes from memory.

Both run with the project's gunicorn.conf.py and 2 workers on loopback; wrk
(Debian's package) loads each from a separate process, -t2 -c16, a few seconds a
round, rounds alternating so that both see the same machine. Also: gzip on the
wire, and the peak memory of a worker serving a 10,000-SIM feed. With Debian's
postgresql package, the same cached feed and 304 again with the log in a PostgreSQL
server started for the run (tests/postgres.py), in the same alternating rounds.
BENCH_BEFORE=<another checkout> (e.g. a `git worktree` of main) adds that code's cached
feed and 304 on both logs to the same rounds, so a change is compared with the code
before it against one floor. BENCH_ONLY=<regular expression> keeps the measures whose name
it matches (BENCH_ONLY=304 for the 304s alone) and leaves out gzip and the peak memory.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.generate import write_config  # noqa: E402
from bench.results import print_table, report  # noqa: E402
from tests.helpers import stop  # noqa: E402
from tests.postgres import PostgresServer, pg_bin  # noqa: E402

GUNICORN = str(Path(sys.executable).parent / "gunicorn")
# The project's settings (the gevent worker, preload_app), as `simfeed serve` runs gunicorn.
CONF = "feed/gunicorn.conf.py"
SECONDS = os.environ.get("BENCH_SECONDS", "3")
ROUNDS = int(os.environ.get("BENCH_ROUNDS", "3"))
ONLY = os.environ.get("BENCH_ONLY", "")
COLUMNS = ["measure", "floor", "simfeed", "ratio", "goal", "", "ratio per CPU second"]
TICKS = os.sysconf("SC_CLK_TCK")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Server:
    """gunicorn with the project's settings, on a free loopback port, stopped on exit."""

    def __init__(self, app: str, env: dict[str, str], code: Path = ROOT):
        self.port = free_port()
        full = {**os.environ, **env, "HOST": "127.0.0.1", "PORT": str(self.port), "WEB_CONCURRENCY": "2"}
        # gunicorn puts its working folder first on sys.path: `code`'s feed package is the one served.
        argv = [GUNICORN, "-c", CONF, "--access-logfile", "/dev/null", app]
        self.process = subprocess.Popen(argv, cwd=code, env=full, stdout=subprocess.DEVNULL,
                                        stderr=subprocess.DEVNULL)
        self.base = f"http://127.0.0.1:{self.port}"
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            try:
                urllib.request.urlopen(self.base + "/healthz", timeout=2).close()
                return
            except OSError as error:
                if getattr(error, "code", None):  # an HTTP answer: the server is up
                    return
                time.sleep(0.1)
        raise RuntimeError(f"{app} did not start")

    def workers(self) -> list[int]:
        children = Path(f"/proc/{self.process.pid}/task/{self.process.pid}/children").read_text().split()
        return [int(pid) for pid in children]

    def cpu_seconds(self) -> float:
        """CPU time its workers have used so far (user and system)."""
        total = 0
        for pid in self.workers():
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
            total += int(fields[11]) + int(fields[12])  # utime, stime: fields 14 and 15 of stat
        return total / TICKS

    def load(self, path: str, headers: dict[str, str]) -> tuple[float, float]:
        """wrk on `path`: requests per second, and requests per second of the workers' CPU time."""
        before = self.cpu_seconds()
        rps, requests = wrk(self.base + path, headers)
        return rps, requests / max(self.cpu_seconds() - before, 1 / TICKS)

    def stop(self) -> None:
        stop(self.process, 30)


def fetch(url: str, headers: dict[str, str] | None = None) -> tuple[bytes, dict[str, str]]:
    with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=60) as r:
        return r.read(), dict(r.headers)


def wrk(url: str, headers: dict[str, str]) -> tuple[float, int]:
    """Requests per second and requests made, with a check that every answer was a 2xx or 304."""
    args = ["wrk", "-t2", "-c16", f"-d{SECONDS}s", "--latency"]
    for name, value in headers.items():
        args += ["-H", f"{name}: {value}"]
    out = subprocess.run([*args, url], capture_output=True, text=True, check=True).stdout
    if "Non-2xx or 3xx responses" in out:
        raise RuntimeError(f"errors while loading {url}:\n{out}")
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))  # type: ignore[union-attr]
    return rps, int(re.search(r"(\d+) requests in", out).group(1))  # type: ignore[union-attr]


def peak_rss_kib(pids: list[int]) -> int:
    return max(int(re.search(r"VmHWM:\s+(\d+)", Path(f"/proc/{pid}/status").read_text()).group(1))  # type: ignore[union-attr]
               for pid in pids)


def main() -> None:
    if shutil.which("wrk") is None:
        sys.exit("wrk is not installed: apt-get install wrk (make bench does this when run as root)")
    work = Path(tempfile.mkdtemp(prefix="simfeed-serve-"))
    config = write_config(work / "sims.toml", 1000)
    ours = Server("feed:create_app()", {"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(work / "i")})
    cases = {"full feed, 1,000 SIMs": "/calendar.ics", "one SIM's feed": "/sims/sim-00042.ics"}
    feeds: dict[str, dict[str, object]] = {}
    for path in cases.values():
        body, headers = fetch(ours.base + path)
        (work / f"{len(feeds)}.ics").write_bytes(body)
        validators = {k: headers[k] for k in ("ETag", "Last-Modified", "Cache-Control", "Vary")}
        feeds[path] = {"body": str(work / f"{len(feeds)}.ics"),
                       "headers": {"Content-Type": headers["Content-Type"], **validators},
                       "validators": validators}
    (work / "feeds.json").write_text(json.dumps(feeds))
    floor = Server("bench.baseline_app:create_app()", {"BENCH_FEEDS": str(work / "feeds.json")})
    postgres = None
    # The servers of the cached feed and its 304 besides `ours`, by the label their rows get.
    others: dict[str, Server] = {}
    before = Path(os.environ["BENCH_BEFORE"]).resolve() if os.environ.get("BENCH_BEFORE") else None
    if before is not None:
        others[f", before ({before.name})"] = Server("feed:create_app()", {
            "SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(work / "b")}, before)
    if pg_bin() is not None:
        postgres = PostgresServer(pg_bin())  # type: ignore[arg-type]
        postgres.start()
        for label, code in [("", ROOT)] + ([(f", before ({before.name})", before)] if before else []):
            others[f", log in PostgreSQL{label}"] = Server("feed:create_app()", {
                "SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(work / f"p{len(others)}"),
                "SIMFEED_DATABASE": postgres.create_database()}, code)
    else:
        print("no PostgreSQL figures: apt-get install postgresql", file=sys.stderr)
    # The same feed, so the same validators: the 304 measure is a 304 on all.
    same = feeds["/calendar.ics"]["headers"]["ETag"]  # type: ignore[index]
    for other in others.values():
        assert fetch(other.base + "/calendar.ics")[1]["ETag"] == same

    measures = [(f"{name}, 200", path, {}, 0.8) for name, path in cases.items()]
    etag = feeds["/calendar.ics"]["headers"]["ETag"]  # type: ignore[index]
    measures.append(("full feed, 304 to If-None-Match", "/calendar.ics", {"If-None-Match": etag}, 0.9))
    measures = [measure for measure in measures if re.search(ONLY, measure[0])]
    rows: list[list[object]] = []
    try:
        for name, path, headers, goal in measures:
            servers = {name: ours}
            if path == "/calendar.ics":
                servers.update({name + label: server for label, server in others.items()})
            runs: dict[str, list[tuple[float, float]]] = {label: [] for label in servers}
            floor_runs = []
            for _ in range(ROUNDS):  # alternate, so all see the same load on the machine
                floor_runs.append(floor.load(path, headers))
                for label, server in servers.items():
                    runs[label].append(server.load(path, headers))
            # The best round of each: the least disturbed by the rest of the machine. Per CPU
            # second of the workers, the figure other work on the same cores moves least.
            b, b_cpu = (max(run[i] for run in floor_runs) for i in (0, 1))
            for label in servers:
                a, a_cpu = (max(run[i] for run in runs[label]) for i in (0, 1))
                rows.append([label, f"{b:,.0f}/s", f"{a:,.0f}/s", f"{a / b:.2f}x", f">= {goal}x",
                             "met" if a / b >= goal else "MISSED", f"{a_cpu / b_cpu:.2f}x"])
        if not ONLY:
            plain, _ = wrk(ours.base + "/calendar.ics", {})
            zipped, _ = wrk(ours.base + "/calendar.ics", {"Accept-Encoding": "gzip"})
            body, _ = fetch(ours.base + "/calendar.ics")
            packed, packed_headers = fetch(ours.base + "/calendar.ics", {"Accept-Encoding": "gzip"})
            assert packed_headers.get("Content-Encoding") == "gzip"
            rows.append(["gzip, full feed", f"{len(body):,} B plain", f"{len(packed):,} B gzip",
                         f"{zipped / plain:.2f}x req/s", "compressed once per build", "", ""])
    finally:
        ours.stop()
        floor.stop()
        for other in others.values():
            other.stop()
        if postgres is not None:
            postgres.remove()
    if ONLY:
        print_table(rows, COLUMNS)  # a part of the measures: bench/results/serve.json keeps the whole run
        shutil.rmtree(work, ignore_errors=True)
        return

    big = write_config(work / "big.toml", 10_000)
    server = Server("feed:create_app()", {"SIMFEED_CONFIG": str(big), "SIMFEED_INSTANCE": str(work / "j")})
    try:
        for _ in range(4):  # both workers build and hold the feed
            fetch(server.base + "/calendar.ics")
            fetch(server.base + "/calendar.ics", {"Accept-Encoding": "gzip"})
        peak = peak_rss_kib(server.workers())
    finally:
        server.stop()
    rows.append(["peak RSS of a worker, 10,000 SIMs", "", f"{peak / 1024:.0f} MiB",
                 f"{peak / 1024 / 10:.1f} MiB per 1,000 SIMs", "", "", ""])
    report("serve", COLUMNS, rows,
           {"floor": "bench/baseline_app.py: Flask returning the same bytes and headers from memory",
            "load": f"wrk -t2 -c16 -d{SECONDS}s, best of {ROUNDS} alternating rounds"})
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
