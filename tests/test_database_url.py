"""Issue 21: a database URL with a bare '@' in its password is refused before anything connects,
with a hint to write %40 and no part of the password in the message.
"""

from __future__ import annotations

import pytest

from feed import StartupError
from feed.storage import db

PASSWORD = "simfeed@Tail-7Qx"
URLS = {
    "postgresql": f"postgresql://simfeed:{PASSWORD}@127.0.0.1:5432/simfeed",
    "postgres-scheme": f"postgres://simfeed:{PASSWORD}@127.0.0.1/simfeed",
    "in-the-user-name": "postgresql://sim@feed:pw@127.0.0.1/simfeed",
}


def _refused_without_connecting(monkeypatch: pytest.MonkeyPatch, url: str) -> str:
    def no_connection(*args: object, **kwargs: object) -> None:
        raise AssertionError("an engine was made for a URL that should be refused")

    monkeypatch.setattr(db, "create_engine", no_connection)
    with pytest.raises(db.BadDatabaseUrl) as refused:
        db.engine_for(url)
    return str(refused.value)


@pytest.mark.parametrize("url", URLS.values(), ids=URLS.keys())
def test_an_unencoded_at_sign_is_refused_before_any_connection(monkeypatch, url):
    message = _refused_without_connecting(monkeypatch, url)
    assert "%40" in message
    for part in ("Tail", "7Qx", "simfeed@", "pw", "feed:"):
        assert part not in message


def test_the_app_does_not_start_and_names_no_part_of_the_password(tmp_path, config_path, monkeypatch):
    from feed import create_app

    monkeypatch.setattr(db, "create_engine", lambda *a, **k: pytest.fail("connected"))
    with pytest.raises(StartupError) as refused:
        create_app({"SIMFEED_CONFIG": str(config_path), "SIMFEED_INSTANCE": str(tmp_path / "instance"),
                    "SIMFEED_DATABASE": URLS["postgresql"]})
    assert "%40" in str(refused.value) and "Tail" not in str(refused.value)


def test_an_encoded_at_sign_is_the_password(monkeypatch):
    url = db.url_for("postgresql://simfeed:simfeed%40Tail-7Qx@127.0.0.1/simfeed")
    assert url.password == PASSWORD and url.host == "127.0.0.1"
