"""Issue 20: installed as a platform installs it, started as a new user starts it.

A venv with requirements.txt alone (no dev tools, which used to pull in what the runtime
forgot) runs the Procfile's lines exactly as written; `make run` stops with make; the first
start makes the user's data folder: a starter SIM file and an admin token to sign in with.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import os
import re
import shlex
import signal
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from click.testing import CliRunner

from feed import create_app
from feed.command import main
from feed.config.load import parse_toml
from feed.config.starter import WRITTEN_FOR, is_starter, starter_for
from feed.core.deadlines import deadline_for
from feed.settings import Settings

from .conftest import BASIC, write_config
from .helpers import ROOT, Visitor, free_port, stop, wait_until_up


def _cache_home() -> Path:
    return Path(os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache") / "simfeed-tests"


@pytest.fixture(scope="session")
def production_venv() -> Path:
    """A venv with requirements.txt alone, kept between runs by the hash of what it installs.

    The checkout's path is in the hash too: requirements.txt installs simfeed editable.
    """
    digest = hashlib.sha256((ROOT / "requirements.txt").read_bytes() + (ROOT / "pyproject.toml").read_bytes()
                            + str(ROOT).encode()).hexdigest()[:16]
    venv = _cache_home() / f"production-venv-{digest}"
    venv.parent.mkdir(parents=True, exist_ok=True)
    with (venv.parent / f"{venv.name}.lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # another test run building the same venv: wait for it
        if not (venv / ".complete").exists():
            subprocess.run(["rm", "-rf", str(venv)], check=True)
            base = getattr(sys, "_base_executable", sys.executable)
            subprocess.run([base, "-m", "venv", str(venv)], check=True)
            subprocess.run([str(venv / "bin" / "python"), "-m", "pip", "install", "--quiet",
                            "--disable-pip-version-check", "-r", "requirements.txt"], cwd=ROOT, check=True,
                           timeout=900)
            (venv / ".complete").touch()
    return venv


def procfile(kind: str) -> str:
    return next(line for line in (ROOT / "Procfile").read_text().splitlines()
                if line.startswith(f"{kind}:")).removeprefix(f"{kind}:").strip()


def platform_env(venv: Path, instance: Path, port: int) -> dict[str, str]:
    """What a platform gives a process: its venv on PATH, PORT, and nothing of ours."""
    env = {k: v for k, v in os.environ.items()
           if not k.startswith(("SIMFEED_", "FLASK_", "VIRTUAL_ENV", "PYTHON")) and k != "DATABASE_URL"}
    env.update(PATH=f"{venv / 'bin'}:/usr/bin:/bin", PORT=str(port), SIMFEED_INSTANCE=str(instance))
    return env


@contextlib.contextmanager
def running(argv: list[str], env: dict[str, str], log: Path) -> Iterator[subprocess.Popen[bytes]]:
    with log.open("wb") as out:
        process = subprocess.Popen(argv, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT)
    try:
        yield process
    finally:
        stop(process, 30)


@pytest.mark.slow
def test_requirements_alone_lack_the_dev_tools(production_venv: Path):
    python = str(production_venv / "bin" / "python")
    for dev_only in ("pytest", "playwright", "mypy"):
        found = subprocess.run([python, "-c", f"import {dev_only}"], capture_output=True)
        assert found.returncode != 0, f"{dev_only} is installed by requirements.txt"


@pytest.mark.slow
def test_the_procfile_web_line_serves_from_requirements_alone(production_venv: Path, tmp_path: Path):
    port = free_port()
    log = tmp_path / "web.log"
    env = platform_env(production_venv, tmp_path / "data", port)
    with running(["bash", "-c", procfile("web")], env, log) as web:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", web, seconds=120)
        with urllib.request.urlopen(f"http://127.0.0.1:{port}/calendar.ics", timeout=10) as answer:
            assert answer.status == 200
            assert answer.read().startswith(b"BEGIN:VCALENDAR")
        web.send_signal(signal.SIGTERM)
        assert web.wait(timeout=30) == 0
    output = log.read_text()
    assert "Traceback" not in output and "ModuleNotFoundError" not in output, output
    # The first start wrote the starter SIM file into the data folder it was given.
    assert (tmp_path / "data" / "sims.toml").read_bytes() == starter_for(datetime.now(UTC).date())


@pytest.mark.slow
def test_the_procfile_worker_line_runs_from_requirements_alone(production_venv: Path, tmp_path: Path):
    env = platform_env(production_venv, tmp_path / "data", free_port())
    once = subprocess.run(["bash", "-c", procfile("worker").replace(" --loop", "")], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)
    assert once.returncode == 0, once.stdout + once.stderr
    log = tmp_path / "worker.log"
    with running(["bash", "-c", procfile("worker")], env, log) as worker:
        deadline = time.monotonic() + 120
        while "reminding every minute" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.1)
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0, log.read_text()
    assert log.read_text().rstrip().endswith("stopped")


@pytest.mark.slow
def test_the_worker_starts_while_the_database_is_down_and_keeps_trying(tmp_path: Path):
    closed = free_port()  # nothing listens there
    env = {**platform_env(Path(sys.executable).parent.parent, tmp_path / "data", free_port()),
           "DATABASE_URL": f"postgresql://simfeed:pw@127.0.0.1:{closed}/simfeed"}
    config = write_config(tmp_path / "sims.toml", BASIC + '\n[[notify]]\nid = "x"\nurls = ["json://127.0.0.1:9/"]\n')
    env["SIMFEED_CONFIG"] = str(config)
    log = tmp_path / "worker.log"
    simfeed = str(Path(sys.executable).parent / "simfeed")
    with running([simfeed, "remind", "--loop"], env, log) as worker:
        deadline = time.monotonic() + 120
        while "is unavailable" not in log.read_text() and time.monotonic() < deadline:
            assert worker.poll() is None, log.read_text()
            time.sleep(0.1)
        assert worker.poll() is None  # still running: it waits for the database
        worker.send_signal(signal.SIGTERM)
        assert worker.wait(timeout=30) == 0
    assert "pw" not in log.read_text().replace("pw@", "")  # the password is never printed


@pytest.mark.slow
def test_make_run_stops_gunicorn_when_make_is_stopped(tmp_path: Path):
    if not (ROOT / ".venv" / "bin" / ".runtime").exists():
        pytest.skip("make run's .venv is not installed here (make test installs it)")
    port = free_port()
    env = {**os.environ, "PORT": str(port), "SIMFEED_INSTANCE": str(tmp_path / "data")}
    env.pop("SIMFEED_CONFIG", None)
    log = tmp_path / "make.log"
    with running(["make", "--no-print-directory", "run"], env, log) as make:
        wait_until_up(f"http://127.0.0.1:{port}/healthz", make, seconds=120)
        make.send_signal(signal.SIGTERM)
        make.wait(timeout=30)
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=2)
        except OSError:
            break
        time.sleep(0.2)
    else:
        raise AssertionError("gunicorn still answers after make was stopped")
    leftover = subprocess.run(["pgrep", "-f", f"SIMFEED_INSTANCE={tmp_path}"], capture_output=True, text=True)
    assert leftover.stdout == ""
    assert "Shutting down: Master" in log.read_text()


# ---------------------------------------------------------------- the data folder, in process


@pytest.mark.parametrize("today", [WRITTEN_FOR, date(2026, 12, 6), date(2028, 2, 29), date(2031, 7, 15)])
def test_the_starter_written_on_any_day_has_one_example_due_soon_and_none_overdue(today: date,
                                                                                 tmp_path: Path):
    """The examples' dates move with the day the starter is written: a newcomer never meets a page of
    lost numbers, however long after this release they start."""
    text = starter_for(today)
    config = parse_toml(text.decode("utf-8"))
    left = sorted((deadline_for(sim, config.calendar).days_left(today), sim.id) for sim in config.sims)
    assert 1 <= left[0][0] <= 14 and left[0][1] == "giffgaff-uk", left  # due within the first alarm
    assert left[1][0] > 14, left
    # Still the starter, byte for byte, on whatever day it was written; edited, it is the user's own.
    written = tmp_path / "sims.toml"
    written.write_bytes(text)
    assert is_starter(written)
    written.write_bytes(text.replace(b"last_renewal = ", b"last_renewal =\t", 1))
    assert not is_starter(written)
    giffgaff = (date(2026, 6, 2) + (today - WRITTEN_FOR)).isoformat().encode()  # its last renewal
    moved = text.replace(giffgaff, b"2026-01-01", 1)
    assert moved != text
    written.write_bytes(moved)
    assert not is_starter(written)


def test_a_first_start_writes_the_starter_and_the_page_says_how_to_make_it_yours(tmp_path: Path,
                                                                                   monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # no earlier version's config/sims.toml here
    data = tmp_path / "data"
    app = create_app({"TESTING": True, "SIMFEED_INSTANCE": str(data)})
    assert (data / "sims.toml").read_bytes() == starter_for(datetime.now(UTC).date())
    assert (data / "sims.toml").stat().st_mode & 0o777 == 0o600
    token = (data / "admin-token").read_text().strip()
    printed = capsys.readouterr().err
    assert f"/signin#token={token}" in printed  # the first start says how to sign in, Jupyter-style
    visitor = Visitor(app.test_client())
    page = visitor.html("/")
    assert "These are example SIM cards" in page and str(data / "sims.toml") in page
    assert visitor.sign_in(token).status_code == 303
    assert "add your own SIM card" in visitor.html("/")
    # Once the file is the user's own, the page stops calling it a starter; a restart keeps it.
    (data / "sims.toml").write_text(BASIC, encoding="utf-8")
    assert "These are example SIM cards" not in visitor.html("/")
    again = create_app({"TESTING": True, "SIMFEED_INSTANCE": str(data)})
    assert (data / "sims.toml").read_text(encoding="utf-8") == BASIC
    assert again.config["SIMFEED_KEPT_TOKEN"] == token
    later = capsys.readouterr().err
    assert token not in later and str(data / "admin-token") in later  # not a terminal: where, not what


def test_simfeed_token_show_prints_the_kept_token(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    for name in ("SIMFEED_ADMIN_TOKEN", "SIMFEED_CONFIG", "DATABASE_URL", "SIMFEED_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIMFEED_INSTANCE", str(tmp_path / "data"))
    shown = CliRunner().invoke(main, ["token", "--show"])
    assert shown.exit_code == 0, shown.output
    assert shown.stdout.strip() == (tmp_path / "data" / "admin-token").read_text().strip()
    monkeypatch.setenv("SIMFEED_ADMIN_TOKEN", "configured-Token_1-C3R8fTzz")
    configured = CliRunner().invoke(main, ["token", "--show"])
    assert configured.exit_code == 1 and "SIMFEED_ADMIN_TOKEN" in configured.output
    assert "configured-Token" not in configured.output
    assert re.fullmatch(r"[\w-]{43}\n", CliRunner().invoke(main, ["token"]).stdout)


def test_a_configured_admin_token_wins_and_none_is_made(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    token = "config-Token_1-C3R8fTzzQ"
    config = write_config(tmp_path / "sims.toml", BASIC + f'[server]\nadmin_token = "{token}"\n')
    app = create_app({"TESTING": True, "SIMFEED_INSTANCE": str(tmp_path / "data"),
                      "SIMFEED_CONFIG": str(config)})
    assert not (tmp_path / "data" / "admin-token").exists()
    assert app.test_client().get("/api/sims", headers={"Authorization": f"Bearer {token}"}).status_code == 200


def test_an_earlier_versions_sim_file_keeps_being_used_and_the_log_says_how_to_move_it(
        tmp_path: Path, monkeypatch, caplog):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "config").mkdir()
    legacy = write_config(tmp_path / "config" / "sims.toml", BASIC)
    before = legacy.read_bytes()
    data = tmp_path / "instance"
    with caplog.at_level("WARNING", logger="feed"):
        app = create_app({"TESTING": True, "SIMFEED_INSTANCE": str(data)})
    assert app.config["SIMFEED_CONFIG"] == os.path.join("config", "sims.toml")
    assert not (data / "sims.toml").exists()  # no starter beside it: one SIM file at a time
    assert f"mv config/sims.toml {data / 'sims.toml'}" in caplog.text
    assert "giffgaff" in app.test_client().get("/calendar.ics").get_data(as_text=True).lower()
    assert legacy.read_bytes() == before
    # Moved as the message says, the data folder's file is the one used, and nothing else changes.
    legacy.rename(data / "sims.toml")
    assert Settings.from_env({"SIMFEED_INSTANCE": str(data)}).config == data / "sims.toml"


def test_settings_defaults_and_overrides(tmp_path: Path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    settings = Settings.from_env({})
    assert settings.instance == ROOT / "instance"  # a checkout keeps its data in instance/, git-ignored
    assert settings.config == ROOT / "instance" / "sims.toml" and settings.default_config
    assert settings.database == str(ROOT / "instance" / "simfeed.sqlite3")
    if (ROOT / ".git").exists():  # what the page's editor writes leaves `git status` clean
        ignored = subprocess.run(["git", "check-ignore", "-q", str(settings.config)], cwd=ROOT)
        assert ignored.returncode == 0
    given = Settings.from_env({"SIMFEED_INSTANCE": "d", "SIMFEED_CONFIG": "c.toml", "DATABASE_URL": "postgresql://x",
                               "SIMFEED_PROXIES": "1"})
    assert (given.instance, given.config, given.database, given.proxies) == (
        tmp_path / "d", Path("c.toml"), "postgresql://x", 1)
    both = Settings.from_env({"SIMFEED_DATABASE": "a.db", "DATABASE_URL": "postgresql://x"})
    assert both.database == "a.db"
    with pytest.raises(ValueError, match="SIMFEED_PROXIES"):
        Settings.from_env({"SIMFEED_PROXIES": "many"})


def test_the_console_command_lists_every_command_with_help():
    listed = CliRunner().invoke(main, ["--help"])
    assert listed.exit_code == 0
    for command in ("serve", "remind", "check", "token", "renew", "presets"):
        assert re.search(rf"^  {command}\s", listed.output, re.M), command
        assert CliRunner().invoke(main, [command, "--help"]).exit_code == 0
    assert shlex.split(procfile("web")) == ["simfeed", "serve"]
    assert shlex.split(procfile("worker")) == ["simfeed", "remind", "--loop"]


def test_simfeed_token_show_says_a_refused_environment_token_opens_nothing(tmp_path: Path, monkeypatch):
    """Issue 22: `token --show` and the sign-in decide the admin token in one place: a refused
    SIMFEED_ADMIN_TOKEN opens nothing, so no other token is shown as the one to sign in with."""
    monkeypatch.chdir(tmp_path)
    for name in ("SIMFEED_CONFIG", "DATABASE_URL", "SIMFEED_DATABASE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("SIMFEED_INSTANCE", str(tmp_path / "data"))
    monkeypatch.setenv("SIMFEED_ADMIN_TOKEN", "weak1")
    shown = CliRunner().invoke(main, ["token", "--show"])
    assert shown.exit_code == 1 and "SIMFEED_ADMIN_TOKEN is refused" in shown.output, shown.output
    assert "weak1" not in shown.output
