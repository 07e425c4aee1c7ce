"""A page save in the Procfile's gunicorn (one gevent worker): the worker answers others meanwhile.

The save is held where a save can wait in any deployment, at the config file's lock (another
worker's or process's save holds it): the test takes that lock, sends a save, sees in
/proc/locks that the save now waits for it, and only then asks for another page. No timing:
the other page must be answered while the save still waits, which a worker whose one thread
is blocked cannot do.
"""

from __future__ import annotations

import fcntl
import os
import threading
import time
from pathlib import Path

import requests

from feed.editing import document
from feed.editing.configfile import ConfigFile, digest
from feed.editing.fields import to_values

from .conftest import BASIC, write_config
from .helpers import Visitor, gunicorn

ADMIN = "admin-Token_1234-l58shgD"
WITH_ADMIN = BASIC.replace('timezone = "Europe/London"',
                           f'timezone = "Europe/London"\n\n[server]\nadmin_token = "{ADMIN}"')


def _waiting_for(lock: Path) -> bool:
    """Whether some process waits for this file's flock (a "->" line in /proc/locks)."""
    inode = f":{os.stat(lock).st_ino} "
    return any("->" in line and inode in line for line in Path("/proc/locks").read_text().splitlines())


def test_a_save_waiting_for_the_file_leaves_the_worker_answering(tmp_path: Path):
    config = write_config(tmp_path / "sims.toml", WITH_ADMIN)
    lock = ConfigFile(config, tmp_path / "instance")._lock_path
    with gunicorn(config, tmp_path, tmp_path / "gunicorn.log", WEB_CONCURRENCY="1") as base:
        browser = requests.Session()
        signin = browser.get(f"{base}/signin", timeout=60).text
        browser.post(f"{base}/signin", data={"csrf_token": Visitor.hidden(signin, "csrf_token"),
                                             "token": ADMIN, "next": "/"}, timeout=60)
        page = browser.get(f"{base}/sims/giffgaff/edit", timeout=60).text
        text = config.read_text(encoding="utf-8")
        fields = {**to_values(document.sim_tables(text)["giffgaff"]), "name": "giffgaff (edited)",
                  "save": "1", "csrf_token": Visitor.hidden(page, "csrf_token"), "digest": digest(text)}
        answers: list[requests.Response] = []
        lock.parent.mkdir(parents=True, exist_ok=True)
        with open(lock, "a") as held:
            fcntl.flock(held, fcntl.LOCK_EX)
            try:
                saving = threading.Thread(target=lambda: answers.append(browser.post(
                    f"{base}/sims/giffgaff/edit", data=fields, allow_redirects=False, timeout=120)))
                saving.start()
                limit = time.monotonic() + 60
                while not _waiting_for(lock) and time.monotonic() < limit:
                    time.sleep(0.05)
                assert _waiting_for(lock), "the save never reached the file's lock"
                # A reader's page and the health check, answered while the save waits.
                other = requests.get(f"{base}/", timeout=30)
                health = requests.get(f"{base}/healthz", timeout=30)
                assert other.status_code == 200 and "giffgaff" in other.text and health.status_code == 200
                assert saving.is_alive() and answers == []
            finally:
                fcntl.flock(held, fcntl.LOCK_UN)
        saving.join(timeout=120)
    (saved,) = answers
    assert saved.status_code == 303 and saved.headers["Location"].endswith("/sims/giffgaff")
    assert 'name = "giffgaff (edited)"' in config.read_text(encoding="utf-8")
