"""The session key: from the environment, else made once in the instance folder and shared."""

from __future__ import annotations

import stat
import threading
from pathlib import Path

import pytest

from feed.core.keys import SECRET_FILE, SecretKeyError, instance_secret


def test_made_once_private_and_kept(tmp_path: Path):
    key = instance_secret(tmp_path)
    assert len(key) >= 32
    path = tmp_path / SECRET_FILE
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    assert instance_secret(tmp_path) == key
    assert [p.name for p in tmp_path.iterdir()] == [SECRET_FILE]  # no temporary file left


def test_workers_starting_together_agree_on_one_key(tmp_path: Path):
    start = threading.Barrier(16)
    keys: list[str] = []

    def worker() -> None:
        start.wait()
        keys.append(instance_secret(tmp_path))

    threads = [threading.Thread(target=worker) for _ in range(16)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert len(keys) == 16 and len(set(keys)) == 1
    assert sorted(p.name for p in tmp_path.iterdir()) == [SECRET_FILE]


def test_a_truncated_key_is_refused(tmp_path: Path):
    (tmp_path / SECRET_FILE).write_text("short\n")
    with pytest.raises(SecretKeyError, match="delete the file"):
        instance_secret(tmp_path)


def test_env_key_wins_and_no_file_is_made(tmp_path: Path, config_path, monkeypatch):
    from feed import create_app

    monkeypatch.setenv("SIMFEED_SECRET_KEY", "k" * 40)
    app = create_app({"SIMFEED_CONFIG": str(config_path), "SIMFEED_INSTANCE": str(tmp_path / "inst")})
    assert app.secret_key == "k" * 40
    assert not (tmp_path / "inst" / SECRET_FILE).exists()


def test_app_uses_the_instance_key(app):
    assert app.secret_key == (Path(app.instance_path) / SECRET_FILE).read_text().strip()
