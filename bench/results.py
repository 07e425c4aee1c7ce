"""Printing and saving benchmark figures: ratios against a baseline measured in the same run."""

from __future__ import annotations

import json
import platform
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

RESULTS = Path(__file__).resolve().parent / "results"


def best_of(repeat: int, run: Callable[[], object]) -> float:
    """The fastest of `repeat` runs, in seconds: the least disturbed by the rest of the machine."""
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def machine() -> str:
    cores = len(__import__("os").sched_getaffinity(0))
    return f"{platform.machine()}, {cores} cores, Python {platform.python_version()}"


def print_table(rows: list[list[Any]], headers: list[str]) -> None:
    """The rows in columns under their headers."""
    widths = [max(len(str(x)) for x in column) for column in zip(headers, *rows, strict=False)]
    print("  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True)))
    for row in rows:
        print("  ".join(str(x).ljust(w) for x, w in zip(row, widths, strict=True)))


def report(name: str, headers: list[str], rows: list[list[Any]], extra: dict[str, Any]) -> None:
    """Print a table and write it, with the machine, to bench/results/<name>.json."""
    print_table(rows, headers)
    RESULTS.mkdir(exist_ok=True)
    document = {"benchmark": name, "machine": machine(), "when": datetime.now(UTC).isoformat(),
                "columns": headers, "rows": rows, **extra}
    (RESULTS / f"{name}.json").write_text(json.dumps(document, indent=2, ensure_ascii=False) + "\n")
