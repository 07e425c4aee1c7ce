"""Generated configs for the benchmarks: N SIMs, three alarms each, every fifth with grace."""

from __future__ import annotations

import os
from datetime import date, timedelta
from pathlib import Path

FIXED_MTIME = 1_780_000_000


def sim_table(i: int, name_suffix: str = "") -> str:
    last = date(2026, 1, 1) + timedelta(days=i % 300)
    rule = 'keep_alive = "6 months"' if i % 2 else 'keep_alive = "180 days"'
    grace = '\ngrace = "30 days"' if i % 5 == 0 else ""
    return f"""
[[sim]]
id = "sim-{i:05d}"
name = "保号卡 SIM {i:05d}{name_suffix}"
carrier = "Carrier {i % 37}"
country = "United Kingdom"
number = "+44 7700 9{i:05d}"
renew_url = "https://example.com/renew/{i}"
how_to_renew = "Send one text to another number or top up £10 in the app."
last_renewal = {last.isoformat()}
{rule}{grace}
"""


def config_text(count: int, edited: int | None = None, tail: str = "") -> str:
    """The config; `tail` is appended as it is (a [[notify]] table, say)."""
    head = ('[calendar]\nname = "Benchmark"\ntimezone = "Europe/London"\n'
            'alarms = ["14 days", "3 days", "0 days"]\n')
    return head + "".join(sim_table(i, " (edited)" if i == edited else "") for i in range(count)) + tail


def write_config(path: Path, count: int, edited: int | None = None, mtime: int = FIXED_MTIME,
                 tail: str = "") -> Path:
    path.write_text(config_text(count, edited, tail), encoding="utf-8")
    os.utime(path, (mtime, mtime))
    return path
