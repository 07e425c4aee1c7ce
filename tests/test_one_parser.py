"""One answer for each input (issue 22): the file, the editor, the API and the CLI read a date
and an amount by the same rule, so what one accepts the others accept.

The rules: a date is YYYY-MM-DD, as TOML writes it (not "20260602", which date.fromisoformat
also reads); an amount is a plain decimal (not "1e3" or "10.", which float() also reads).
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask

from feed.config.load import ConfigError, parse_toml
from feed.editing import drafts
from feed.editing.configfile import ConfigFile

from .conftest import BASIC

ADMIN = "admin-token-for-tests-uYybk7"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
SIM = '[[sim]]\nid = "new"\nname = "New"\nkeep_alive = "6 months"\n'

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield

DATES = [
    ("2026-06-02", True),
    ("20260602", False),
    ("2026-6-2", False),
    ("2026-02-30", False),
    ("2026-W23-2", False),
    ("2026-06-02T10:00", False),
    ("1899-12-31", False),
]
AMOUNTS = [
    ("10", True),
    ("9.99", True),
    ("0", True),
    ("1e3", False),
    ("10.", False),
    (".5", False),
    ("-5", False),
    ("ten", False),
    ("nan", False),
    ("1e400", False),
]
ENTRIES = ["toml", "editor", "api", "cli"]


def _toml(what: str, value: str) -> bool:
    line = (f"last_renewal = {value}\n" if what == "date"
            else f"renewals = [{{ date = 2026-06-02, amount = {value} }}]\n")
    try:
        parse_toml(BASIC + "\n" + SIM + line)
    except ConfigError:
        return False
    return True


def _editor(tmp_path: Path, what: str, value: str) -> bool:
    path = tmp_path / "sims.toml"
    path.write_text(BASIC, encoding="utf-8")
    values = ({"name": "New", "rule": "keep_alive", "keep_alive": "6 months", "last_renewal": value}
              if what == "date" else
              {"name": "New", "rule": "topup", "topup_extends": "90 days", "topup_min_amount": value,
               "last_renewal": "2026-06-02"})
    return drafts.add(ConfigFile(path, str(tmp_path / "instance")), BASIC, values).ok


def _api(app: Flask, what: str, value: str) -> bool:
    response = app.test_client().post("/api/sims/giffgaff/renewals", json={what: value},
                                      headers={"Authorization": f"Bearer {ADMIN}"})
    assert response.status_code in (201, 400), response.status_code
    return response.status_code == 201


def _cli(app: Flask, what: str, value: str) -> bool:
    result = app.test_cli_runner().invoke(args=["renew", "giffgaff", f"--{what}", value])
    assert result.exit_code in (0, 1), result.output
    return result.exit_code == 0


@pytest.fixture
def answer(build: Callable[..., Flask], config_path: Path, tmp_path: Path) -> Callable[[str, str, str], bool]:
    app = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN)

    def through(entry: str, what: str, value: str) -> bool:
        if entry == "toml":
            return _toml(what, value)
        if entry == "editor":
            return _editor(tmp_path, what, value)
        return _api(app, what, value) if entry == "api" else _cli(app, what, value)

    return through


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(("value", "accepted"), DATES, ids=[value for value, _ in DATES])
def test_a_date_gets_one_answer_everywhere(answer, entry: str, value: str, accepted: bool) -> None:
    assert answer(entry, "date", value) is accepted


@pytest.mark.parametrize("entry", ENTRIES)
@pytest.mark.parametrize(("value", "accepted"), AMOUNTS, ids=[value for value, _ in AMOUNTS])
def test_an_amount_gets_one_answer_everywhere(answer, entry: str, value: str, accepted: bool) -> None:
    assert answer(entry, "amount", value) is accepted
