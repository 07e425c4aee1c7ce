"""Issue 15: tokens carry at least 128 bits; `flask token` makes one; a weak env token stops start-up."""

from __future__ import annotations

import re
import subprocess
import sys

import pytest

from feed import StartupError, create_app
from feed.config.load import parse_toml

from .conftest import BASIC, write_config
from .helpers import ROOT, env_for, free_port, procfile_command

WEAK = "aAaAaAaAaAaAaAaAbBbBbBbB"  # 24 characters, 3 distinct


def test_token_prints_a_fresh_accepted_token(runner):
    first, second = (runner.invoke(args=["token"]) for _ in range(2))
    assert first.exit_code == second.exit_code == 0
    token = first.output.strip()
    assert first.output == token + "\n" and re.fullmatch(r"[A-Za-z0-9_-]{43}", token)
    assert token != second.output.strip()
    assert parse_toml(f'[server]\nadmin_token = "{token}"\n' + BASIC).server.admin_token == token


def test_a_repetitive_token_is_refused_without_echoing_it():
    with pytest.raises(ValueError) as raised:
        parse_toml(f'[server]\nadmin_token = "{WEAK}"\n' + BASIC, "sims.toml")
    assert str(raised.value).startswith("sims.toml: server: admin_token: is too easy to guess")
    assert WEAK not in str(raised.value)


def test_a_weak_environment_token_stops_the_app(tmp_path):
    config = write_config(tmp_path / "sims.toml", BASIC)
    with pytest.raises(StartupError) as raised:
        create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(tmp_path / "i"),
                    "SIMFEED_ADMIN_TOKEN": "a"})
    assert "SIMFEED_ADMIN_TOKEN (environment): must be 22 to 256" in str(raised.value)


def test_check_and_gunicorn_name_the_variable_and_exit_non_zero(tmp_path):
    config = write_config(tmp_path / "sims.toml", BASIC)
    env = {**env_for(config, tmp_path, free_port()), "SIMFEED_ADMIN_TOKEN": WEAK}
    check = subprocess.run([sys.executable, "-m", "flask", "--app", "feed", "check"], cwd=ROOT, env=env,
                           capture_output=True, text=True, timeout=60)
    served = subprocess.run(procfile_command(), cwd=ROOT, env=env, capture_output=True, text=True, timeout=60)
    for result in (check, served):
        assert result.returncode != 0
        assert "SIMFEED_ADMIN_TOKEN (environment): is too easy to guess" in result.stderr
        assert WEAK not in result.stderr + result.stdout and "Traceback" not in result.stderr
