"""Issue 21: no part of a configured push URL in apprise's or urllib3's log records, at any level,
whatever handlers exist (a platform's root handler at DEBUG included).
"""

from __future__ import annotations

import io
import logging
from collections.abc import Iterator

import apprise
import pytest

from feed.config.load import parse_toml
from feed.core.scrubbing import SCRUBBER
from feed.reminders import channels

from .conftest import BASIC
from .receivers import http_receiver

TOPIC = "sims-topic-Qk83vZ"
HOOK_PATH = "hooks-Pq1xW7"
PASSWORD = "pw-Zt42nb"
HOOK_TOKEN = "tok-Lm90sd"
SECRETS = (TOPIC, HOOK_PATH, PASSWORD, HOOK_TOKEN)


@pytest.fixture
def root_log() -> Iterator[io.StringIO]:
    """A handler on the root logger at DEBUG, as a platform installs one; every logger at DEBUG."""
    stream = io.StringIO()
    handler = logging.StreamHandler(stream)
    handler.setFormatter(logging.Formatter("%(name)s %(levelname)s %(message)s"))
    root = logging.getLogger()
    levels = {name: logging.getLogger(name).level for name in ("", "apprise", "urllib3")}
    root.addHandler(handler)
    for name in levels:
        logging.getLogger(name).setLevel(logging.DEBUG)
    yield stream
    root.removeHandler(handler)
    for name, level in levels.items():
        logging.getLogger(name).setLevel(level)


def _configure(port: int) -> None:
    urls = [f"ntfy://127.0.0.1:{port}/{TOPIC}",
            f"json://simfeed:{PASSWORD}@127.0.0.1:{port}/{HOOK_PATH}?token={HOOK_TOKEN}"]
    toml = BASIC + "\n[[notify]]\nid = \"phone\"\nurls = [" + ", ".join(f'"{u}"' for u in urls) + "]\n"
    assert parse_toml(toml).notify  # loaded: its URLs are known to the scrubbing from now on


def test_apprise_and_urllib3_records_name_no_part_of_a_configured_url(root_log: io.StringIO) -> None:
    with http_receiver() as receiver:
        receiver.failing = 10  # answers 500: apprise warns, urllib3 logs the request line
        _configure(receiver.port)
        sender = apprise.Apprise()
        sender.add(f"json://simfeed:{PASSWORD}@127.0.0.1:{receiver.port}/{HOOK_PATH}?token={HOOK_TOKEN}")
        sender.add(f"ntfy://127.0.0.1:{receiver.port}/{TOPIC}")
        assert not sender.notify(body="SIM due", title="simfeed")
    # What the libraries log themselves, on their own and their children's loggers.
    logging.getLogger("apprise").warning("Failed to send ntfy notification to %s", TOPIC)
    logging.getLogger("apprise.plugins.custom_json").debug("posting to /%s", HOOK_PATH)
    pool = logging.getLogger("urllib3.connectionpool")
    pool.debug('%s://%s:%s "%s %s HTTP/1.1" %s', "http", "127.0.0.1", 9, "POST",
               f"/{HOOK_PATH}?token={HOOK_TOKEN}", 500)
    try:
        raise ConnectionError(f"cannot reach ntfy topic {TOPIC}")
    except ConnectionError:
        logging.getLogger("urllib3.connectionpool").exception("request failed")
    written = root_log.getvalue()
    assert "urllib3.connectionpool" in written and "apprise" in written  # the records did arrive
    for secret in SECRETS:
        assert secret not in written, (secret, written)


GATE_PASSWORD, GATE_PATH, GATE_TOKEN, GATE_SECRET = "gw-Hd72kq", "gate-Wm3pz", "gtok-Rf81xc", "gw-Sx55ty"


def test_a_gateways_url_is_scrubbed_as_a_push_url_is(root_log: io.StringIO) -> None:
    """An apprise gateway sends through apprise and urllib3, SMS Gate and Home Assistant through httpx.
    Its own secrets: the scrubbing keeps every URL it was ever given, so a push URL's would pass."""
    toml = BASIC + f"""
[[gateway]]
id = "sms"
kind = "apprise"
url = "json://simfeed:{GATE_PASSWORD}@127.0.0.1:9/{GATE_PATH}/{{to}}?token={GATE_TOKEN}"

[[gateway]]
id = "phone"
kind = "sms-gate"
url = "http://sms:{GATE_SECRET}@192.168.1.20:8080"
"""
    assert len(parse_toml(toml).gateways) == 2
    logging.getLogger("urllib3.connectionpool").debug('"POST /%s/+447700900123?token=%s HTTP/1.1" 500',
                                                      GATE_PATH, GATE_TOKEN)
    logging.getLogger("apprise").warning("could not reach json://simfeed:%s@127.0.0.1:9", GATE_PASSWORD)
    logging.getLogger("httpx").info("HTTP Request: POST http://sms:%s@192.168.1.20:8080/messages",
                                    GATE_SECRET)
    written = root_log.getvalue()
    assert "urllib3.connectionpool" in written and "httpx" in written
    for secret in (GATE_PASSWORD, GATE_PATH, GATE_TOKEN, GATE_SECRET):
        assert secret not in written, (secret, written)


def test_other_loggers_are_left_alone(root_log: io.StringIO) -> None:
    _configure(9)
    logging.getLogger("elsewhere").warning("the topic %s is named in our own line", TOPIC)
    assert TOPIC in root_log.getvalue()


# Issue 22: one splitter of a URL into its secret parts, for the log records and for a send's stored error.
@pytest.mark.parametrize(("url", "secret"), [
    ("json://hookuser:pw-Zt42nb@127.0.0.1:8080/hook", "pw-Zt42nb"),
    ("json://hookuser:pw-Zt42nb@127.0.0.1:8080/hook", "hookuser"),
    ("tgram://123456789:AAbbCCddEE/4242", "AAbbCCddEE"),
    ("ntfy://ntfy.example/sims-topic-Qk83vZ", "sims-topic-Qk83vZ"),
    ("json://127.0.0.1:8080/hooks-Pq1xW7?token=tok-Lm90sd", "tok-Lm90sd"),
    ("json://127.0.0.1:8080/hooks-Pq1xW7?token=tok-Lm90sd", "hooks-Pq1xW7"),
    ("mailto://mailer:pw-Zt42nb@mail.example?to=ann@one.example,ben-Qv7@two.example", "ben-Qv7"),
], ids=["password", "user", "token-in-path", "topic", "query-token", "webhook-path", "one-recipient"])
def test_no_secret_part_survives_the_log_nor_a_stored_error(root_log: io.StringIO, url: str,
                                                              secret: str) -> None:
    said = f"Failed to send to {secret} (then to {secret.upper()}) through {url}"
    SCRUBBER.watch([url])
    logging.getLogger("apprise").warning("%s", said)
    assert "Failed to send" in root_log.getvalue()  # the record did arrive
    assert secret.lower() not in root_log.getvalue().lower()
    stored = channels.scrub(said, url)
    assert stored.startswith("Failed to send") and secret not in stored
