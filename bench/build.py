"""Cold builds and incremental rebuilds, each as a ratio against a floor measured in this run.

1. Cold: from the TOML file to the first full response (parsing and validation
   included), against bench/baseline_build.py reading the same file and building
   the same events with icalendar alone. Goal: at most 1.3x.
2. Incremental, 10,000 SIMs: the next full response after one renewal recorded
   through the renewal log (goal: at most 5% of the cold build), and after one
   SIM's entry edited in the file (goal: at most 15%).
"""

from __future__ import annotations

import os
import sys
import tempfile
from datetime import date
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench import baseline_build
from bench.generate import FIXED_MTIME, write_config
from bench.results import best_of, report
from feed import create_app
from feed.service import Service
from feed.storage import renewals

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "10,100,1000,10000").split(",")]


def cold(config: Path, instance: Path) -> bytes:
    app = create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(instance)})
    body: bytes = app.test_client().get("/calendar.ics").data
    app.extensions["simfeed"].store.close()
    return body


def cold_rows(work: Path) -> tuple[list[list[object]], dict[int, float]]:
    rows: list[list[object]] = []
    seconds: dict[int, float] = {}
    for count in SIZES:
        config = write_config(work / f"cold-{count}.toml", count)
        repeat = 2 if count >= 10_000 else 5
        runs = iter(range(1_000_000))

        def app_build(config: Path = config, count: int = count, runs: object = runs) -> None:
            # A fresh instance folder each run: a cold start creates its database too.
            body = cold(config, work / f"instance-{count}-{next(runs)}")  # type: ignore[call-overload]
            if not body.startswith(b"BEGIN:VCALENDAR"):
                raise RuntimeError("not a feed")

        floor = best_of(repeat, lambda config=config: baseline_build.build(config))
        ours = best_of(repeat, app_build)
        seconds[count] = ours
        rows.append([f"cold build, {count} SIMs", f"{floor * 1000:.1f} ms", f"{ours * 1000:.1f} ms",
                     f"{ours / floor:.2f}x", "<= 1.30x", "met" if ours / floor <= 1.3 else "MISSED"])
    return rows, seconds


def incremental_rows(work: Path, cold_seconds: float) -> list[list[object]]:
    count = 10_000
    config = write_config(work / "incremental.toml", count)
    app = create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(work / "instance-inc")})
    client = app.test_client()
    site: Service = app.extensions["simfeed"]
    client.get("/calendar.ics")
    rows: list[list[object]] = []

    def renewal_then_fetch(day: int) -> float:
        view = site.snapshot()
        renewals.record(site.store, view.config, "sim-00042", {"amount": 10, "currency": "GBP"},
                        date(2026, 11, day))
        return best_of(1, lambda: client.get("/calendar.ics").data)

    after_renewal = min(renewal_then_fetch(day) for day in (20, 21, 22))
    rows.append([f"after one renewal, {count} SIMs", f"{cold_seconds * 1000:.0f} ms (cold)",
                 f"{after_renewal * 1000:.1f} ms", f"{after_renewal / cold_seconds:.1%}", "<= 5%",
                 "met" if after_renewal / cold_seconds <= 0.05 else "MISSED"])

    def edit_then_fetch(n: int) -> float:
        write_config(config, count, edited=100 + n, mtime=FIXED_MTIME + 10 * (n + 1))
        return best_of(1, lambda: client.get("/calendar.ics").data)

    after_edit = min(edit_then_fetch(n) for n in range(3))
    rows.append([f"after one SIM edited, {count} SIMs", f"{cold_seconds * 1000:.0f} ms (cold)",
                 f"{after_edit * 1000:.1f} ms", f"{after_edit / cold_seconds:.1%}", "<= 15%",
                 "met" if after_edit / cold_seconds <= 0.15 else "MISSED"])
    parse = best_of(3, lambda: __import__("tomllib").loads(config.read_text("utf-8")))
    size = config.stat().st_size / 1e6
    rows.append([f"(parsing the {size:.1f} MB file alone)", "", f"{parse * 1000:.1f} ms",
                 f"{parse / cold_seconds:.1%}", "", ""])
    site.store.close()
    return rows


def main() -> None:
    with tempfile.TemporaryDirectory(prefix="simfeed-bench-") as temp:
        work = Path(temp)
        rows, seconds = cold_rows(work)
        if 10_000 in seconds:
            rows += incremental_rows(work, seconds[10_000])
    report("build", ["measure", "floor", "simfeed", "ratio", "goal", ""], rows,
           {"floor": "bench/baseline_build.py: tomllib + icalendar building the same events"})


if __name__ == "__main__":
    main()
