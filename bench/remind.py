"""A reminder pass against the cold feed build of the same config (issue 11's goal).

For each size, the generated SIMs (bench/generate.py) with one [[notify]] channel over all
of them, pointed at a loopback port (nothing is sent: nothing is due):

1. Nothing due: one pass as `flask --app feed remind --loop` makes it (the config and log
   as a warm service serves them, then `runner.run_pass`), as a share of the cold build
   (create_app and the first /calendar.ics, bench/build.py's `cold`). Goal: at most 20%.
2. Every SIM due, every reminder already sent (the steady state while numbers are overdue):
   the same pass with the channel's alarms 300 days ahead, so that each SIM has a reminder
   due, all recorded as sent beforehand; then again with a month of earlier reminders of
   the same deadlines recorded too (a month overdue: one sent a day), not a goal of the issue.

Database queries per pass are counted on the store's engine (a `before_cursor_execute`
listener); goal: the same for every size. The listener does not see the snapshot's check of
the log's generation (store.generation, one statement on a raw DBAPI cursor): add one.
"""

from __future__ import annotations

import os
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, event, insert

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from bench.build import cold
from bench.generate import write_config
from bench.results import best_of, report
from feed import create_app
from feed.reminders import runner
from feed.service import Service
from feed.storage import deliveries

SIZES = [int(n) for n in os.environ.get("BENCH_SIZES", "100,1000,10000").split(",")]
# Loopback, and never reached: no reminder is sent in either case.
CHANNEL = '\n[[notify]]\nid = "phone"\nurls = ["json://127.0.0.1:9/simfeed-bench"]\n'
# The generated deadlines fall between 2026-06-30 and 2027-04-27.
QUIET = datetime(2026, 6, 1, 12, 0, tzinfo=UTC)       # 15 days before the first alarm
# With alarms 300 days ahead, every deadline has a reminder due (or is overdue) on this day.
STEADY = datetime(2026, 7, 15, 12, 0, tzinfo=UTC)
STEADY_ALARMS = 'alarms = ["300 days"]\n'
# A month overdue: this many reminders of one deadline recorded for each SIM.
HISTORY_DAYS = 30


class Warm:
    """A service that has served its feed once, as the runner's process holds it between passes."""

    def __init__(self, config: Path, instance: Path):
        self.app = create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(instance)})
        self.app.test_client().get("/calendar.ics")
        self.site: Service = self.app.extensions["simfeed"]
        key = self.app.secret_key
        self.key = key if isinstance(key, bytes) else str(key).encode()

    @property
    def engine(self) -> Engine:
        return self.site.store.engine

    def one_pass(self, now: datetime) -> list[runner.Outcome]:
        """What `flask remind --loop` does each minute (cli._remind_once), at `now`."""
        view = self.site.snapshot()
        return runner.run_pass(view.config, self.engine, now, self.key, "bench")

    def close(self) -> None:
        self.site.store.close()


@contextmanager
def counting(engine: Engine) -> Iterator[list[str]]:
    """The SQL statements run on `engine` meanwhile."""
    statements: list[str] = []

    def seen(_conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        statements.append(statement)

    event.listen(engine, "before_cursor_execute", seen)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", seen)


def mark_sent(warm: Warm, now: datetime, earlier: range = range(0, 1)) -> int:
    """Record the reminders due at `now` as sent, as passes before would have; how many are due.

    `earlier`: which reminders of the same deadline, in days before the one due now (0).
    """
    view = warm.site.snapshot()
    stamp = now.isoformat()
    planned = list(runner.due_now(view.config, now))
    rows = [{**plan.key.values(), "occasion": plan.occasion.name if days == 0 else f"earlier-{days}",
             "due_at": (plan.occasion.due_at - timedelta(days=days)).astimezone(UTC).isoformat(),
             "state": deliveries.SENT, "attempts": 1, "runner": "bench", "lease_until": now.timestamp(),
             "next_try": None, "error": None, "updated_at": stamp, "sent_at": stamp}
            for plan in planned for days in earlier]
    with warm.engine.begin() as connection:
        connection.execute(insert(deliveries.deliveries), rows)
    return len(planned)


def measure(warm: Warm, now: datetime, repeat: int = 5) -> tuple[float, int]:
    """The best pass time of a few, and the queries of one pass; raises if anything would be sent."""
    def one() -> None:
        if warm.one_pass(now):
            raise RuntimeError(f"a reminder was due at {now.isoformat()}: the benchmark must send nothing")

    one()  # the first pass after start-up, not what --loop repeats
    seconds = best_of(repeat, one)
    with counting(warm.engine) as statements:
        one()
    return seconds, len(statements)


def rows_for(work: Path, count: int) -> tuple[list[list[object]], int, int]:
    config = write_config(work / f"remind-{count}.toml", count, tail=CHANNEL)
    repeat = 2 if count >= 10_000 else 5
    runs = iter(range(1_000_000))
    cold_seconds = best_of(repeat, lambda: cold(config, work / f"cold-{count}-{next(runs)}"))

    warm = Warm(config, work / f"warm-{count}")
    if any(runner.due_now(warm.site.snapshot().config, QUIET)):
        raise RuntimeError(f"something is due at {QUIET.isoformat()}")
    quiet, quiet_queries = measure(warm, QUIET)
    warm.close()

    steady_config = write_config(work / f"steady-{count}.toml", count, tail=CHANNEL + STEADY_ALARMS)
    warm = Warm(steady_config, work / f"steady-{count}")
    due = mark_sent(warm, STEADY)
    if due != count:
        raise RuntimeError(f"{due} of {count} SIMs have a reminder due at {STEADY.isoformat()}")
    steady, steady_queries = measure(warm, STEADY)
    mark_sent(warm, STEADY, earlier=range(1, HISTORY_DAYS))
    history, history_queries = measure(warm, STEADY, repeat=2)
    warm.close()

    share = quiet / cold_seconds
    rows: list[list[object]] = [
        [f"pass, nothing due, {count:,} SIMs", f"{cold_seconds * 1000:.1f} ms", f"{quiet * 1000:.2f} ms",
         f"{share:.1%}", "<= 20%", "met" if share <= 0.2 else "MISSED", quiet_queries],
        [f"pass, {count:,} due, all sent, {count:,} SIMs", "", f"{steady * 1000:.2f} ms",
         f"{steady / cold_seconds:.1%}", "", "", steady_queries],
        [f"  the same, {HISTORY_DAYS} sent to each SIM (a month overdue)", "", f"{history * 1000:.2f} ms",
         f"{history / cold_seconds:.1%}", "", "", history_queries],
    ]
    return rows, quiet_queries, steady_queries


def main() -> None:
    rows: list[list[object]] = []
    quiet_counts: list[int] = []
    steady_counts: list[int] = []
    with tempfile.TemporaryDirectory(prefix="simfeed-bench-") as temp:
        for count in SIZES:
            more, quiet_queries, steady_queries = rows_for(Path(temp), count)
            rows += more
            quiet_counts.append(quiet_queries)
            steady_counts.append(steady_queries)
    for name, counts in (("nothing due", quiet_counts), ("all sent", steady_counts)):
        constant = len(set(counts)) == 1
        rows.append([f"queries per pass, {name}", "", " / ".join(map(str, counts)), "", "same for every size",
                     "met" if constant else "MISSED", ""])
    report("remind", ["measure", "cold build", "pass", "pass / cold", "goal", "", "queries (+1)"], rows,
           {"cold build": "bench/build.py's cold: create_app and the first /calendar.ics",
            "pass": "the config as the warm service serves it, then runner.run_pass (flask remind --loop)",
            "queries (+1)": "seen by a before_cursor_execute listener on the store's engine; the snapshot's "
                            "generation read (store.generation, a raw DBAPI cursor) adds one"})


if __name__ == "__main__":
    main()
