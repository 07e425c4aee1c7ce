"""A page save of one SIM in a large file, against one tomlkit parse of that file (issue 21).

The generated 1,000-SIM file (bench/generate.py), signed in, one SIM's name changed through
the editor's form (POST /sims/<id>/edit with save): the whole request, from the form to the
file written and the redirect, as a browser's save costs a gevent worker. The floor is
tomlkit.parse of the same file in the same run: the least any save that keeps the file's
comments and layout (tomlkit) must spend. Rounds alternate the two; each figure is the best
of its rounds. Before each timed save, a page is served, so the save does not pay the
reload of the previous one (that is the next request's, as in service). Goal: at most 2x.
"""

from __future__ import annotations

import logging
import os
import re
import sys
import tempfile
import time
from html import unescape
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

import tomlkit

from bench.generate import config_text
from bench.results import report
from feed import create_app
from feed.editing import document
from feed.editing.configfile import digest
from feed.editing.fields import to_values

COUNT = int(os.environ.get("BENCH_SAVE_SIMS", "1000"))
ROUNDS = int(os.environ.get("BENCH_SAVE_ROUNDS", "7"))
ADMIN = "bench-admin-token-Qm9Xw2Lr5Tz8Kp4V"
EDITED = f"sim-{COUNT // 2:05d}"


def hidden(html: str, name: str) -> str:
    found = re.search(rf'<input[^>]*\bname="{name}"[^>]*\bvalue="([^"]*)"', html)
    if found is None:
        raise RuntimeError(f"no field {name} on the page")
    return unescape(found.group(1))


def main() -> None:
    work = Path(tempfile.mkdtemp(prefix="simfeed-bench-save-"))
    path = work / "sims.toml"
    text = config_text(COUNT).replace("[calendar]", f'[server]\nadmin_token = "{ADMIN}"\n\n[calendar]', 1)
    path.write_text(text, encoding="utf-8")
    app = create_app({"SIMFEED_CONFIG": str(path), "SIMFEED_INSTANCE": str(work / "instance"),
                      "SIMFEED_DATABASE": str(work / "log.sqlite3")})
    logging.disable(logging.INFO)  # one line a save and a reload: not what is measured
    client = app.test_client()
    signin = client.get("/signin").get_data(as_text=True)
    client.post("/signin", data={"csrf_token": hidden(signin, "csrf_token"), "token": ADMIN, "next": "/"})
    csrf = hidden(client.get(f"/sims/{EDITED}/edit").get_data(as_text=True), "csrf_token")
    fields = {name: value for name, value in to_values(document.sim_tables(text)[EDITED]).items() if value}

    def save(n: int) -> float:
        client.get("/")  # the previous save's reload, outside the timing
        current = path.read_text(encoding="utf-8")
        form = {**fields, "name": f"Edited {n}", "save": "1", "csrf_token": csrf, "digest": digest(current)}
        start = time.perf_counter()
        answer = client.post(f"/sims/{EDITED}/edit", data=form)
        seconds = time.perf_counter() - start
        if answer.status_code != 303 or f"Edited {n}" not in path.read_text(encoding="utf-8"):
            raise RuntimeError(f"the save was not written: {answer.status_code}")
        return seconds

    def parse() -> float:
        current = path.read_text(encoding="utf-8")
        start = time.perf_counter()
        tomlkit.parse(current)
        return time.perf_counter() - start

    save(0)  # the first request of the edit view, not what a worker repeats
    saves, parses = [], []
    for n in range(1, ROUNDS + 1):
        parses.append(parse())
        saves.append(save(n))
    floor, seconds = min(parses), min(saves)
    ratio = seconds / floor
    report("save", ["measure", "tomlkit.parse (floor)", "simfeed", "ratio", "goal"],
           [[f"save of one SIM, {COUNT:,} SIMs", f"{floor * 1000:,.0f} ms", f"{seconds * 1000:,.0f} ms",
             f"{ratio:.2f}x", "≤ 2x" + ("" if ratio <= 2 else ", missed")]],
           {"sims": COUNT, "rounds": ROUNDS, "floor_seconds": floor, "save_seconds": seconds, "ratio": ratio})
    app.extensions["simfeed"].store.close()


if __name__ == "__main__":
    main()
