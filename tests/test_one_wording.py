"""One wording and one meaning: the page, the API, the CLI and the feed say the same (issue 10)."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from feed import create_app

from .helpers import Visitor

DATA = Path(__file__).parent / "data"
ADMIN = "every-shape-admin-token-0123456789"
# The latest renewal of any kind, worked out from tests/data/every_shape.toml: Tello's call of
# 11-10 (only top-ups count: the rule counts from 10-02), the plan's top-up (a fixed expiry counts
# from nothing), Cubacel's 50 CUP (below the 100 CUP tier: counted from 08-05), the balance SIM's
# call (a charge rule counts from nothing).
LATEST = {"tello": "2026-11-10", "plan": "2026-11-01", "cubacel": "2026-10-01", "balance": "2026-11-15"}
COUNTED = {"tello": "2026-10-02", "cubacel": "2026-08-05"}


@pytest.fixture
def app(tmp_path: Path) -> Flask:
    config = tmp_path / "sims.toml"
    shutil.copy(DATA / "every_shape.toml", config)
    return create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(tmp_path / "instance")})


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


@pytest.fixture(autouse=True)
def today():
    with time_machine.travel("2026-12-04 12:00 +00:00", tick=False):
        yield


def sign_in(client: FlaskClient) -> None:
    assert Visitor(client).sign_in(ADMIN).status_code == 303


def feed_descriptions(client: FlaskClient, language: str | None = None) -> dict[str, str]:
    body = client.get("/calendar.ics").data
    return {str(e["UID"]).removesuffix("-deadline@simfeed"): str(e["DESCRIPTION"])
            for e in Calendar.from_ical(body).walk("VEVENT") if str(e["UID"]).endswith("-deadline@simfeed")}


def test_last_renewal_means_the_latest_of_any_kind_everywhere(app: Flask, client: FlaskClient) -> None:
    sign_in(client)
    index = client.get("/").get_data(as_text=True)
    api = {s["id"]: s["last_renewal"] for s in client.get(
        "/api/sims", headers={"Authorization": f"Bearer {ADMIN}"}).get_json()}
    check = app.test_cli_runner().invoke(args=["check"]).output
    feed = feed_descriptions(client)
    for sim_id, latest in LATEST.items():
        row = re.search(rf'<tr [^>]*data-sim="{sim_id}">.*?</tr>', index, re.S)
        assert row is not None
        assert f'<td data-label="Last renewal"><time datetime="{latest}">' in row.group(0), sim_id
        page = client.get(f"/sims/{sim_id}").get_data(as_text=True)
        assert re.search(rf'<dt>Last renewal</dt><dd><time datetime="{latest}">', page), sim_id
        assert api[sim_id] == latest
        assert re.search(rf"^{sim_id}\s.*\s{latest}\s", check, re.M), (sim_id, check)
        assert feed[sim_id].startswith(f"Last renewed: {latest}"), feed[sim_id]
        # What the rule counted from, where it is another renewal, is said as such on both.
        if sim_id in COUNTED:
            assert f'<dt>Counted from</dt><dd><time datetime="{COUNTED[sim_id]}">' in page
            assert f"Counted from: {COUNTED[sim_id]}" in feed[sim_id]
        else:
            assert "Counted from" not in page and "Counted from" not in feed[sim_id]


@pytest.mark.parametrize(("language", "rule"), [
    ("en", "renew at least every 3 months; only a top-up counts"),
    ("zh-CN", "至少每 3 个月续费一次；只有充值才算"),
], ids=["en", "zh-CN"])
def test_the_page_words_a_rule_as_the_feed_does(client: FlaskClient, language: str, rule: str) -> None:
    """Tello counts top-ups only: the page said "Renew at least every 3 months." and left that out."""
    client.get(f"/language/{language}")
    page = client.get("/sims/tello").get_data(as_text=True)
    shown = re.search(r"<dd>([^<]*)</dd>", page[page.index('id="deadline"'):])
    assert shown is not None
    words = shown.group(1)
    assert words == rule
    # The feed of the same config in the same language has that rule in its description.
    config = client.application.config["SIMFEED_CONFIG"]
    text = Path(config).read_text()
    Path(config).write_text(text.replace('timezone = "Europe/London"',
                                         f'timezone = "Europe/London"\nlanguage = "{language}"'))
    assert words in feed_descriptions(client)["tello"]


def test_methods_and_amounts_read_the_same_on_the_page_and_in_the_feed(client: FlaskClient) -> None:
    sign_in(client)
    page = client.get("/sims/tello").get_data(as_text=True)
    # The history row and the form's choice both say "USSD code"; the feed says "by USSD code".
    assert '<td data-label="Method">USSD code</td>' in page
    assert '<option value="ussd">USSD code</option>' in page
    assert '<td data-label="Amount">$10.00</td>' in page
    assert "2026-10-02 ($10.00, by USSD code)" in feed_descriptions(client)["tello"]


def test_a_typed_stage_is_never_translated_the_grace_shorthand_is(tmp_path: Path) -> None:
    """A stage typed with the grace stage's English words stays as typed in a Chinese feed."""
    config = tmp_path / "sims.toml"
    config.write_text("""
[calendar]
language = "zh-CN"

[[sim]]
id = "typed"
name = "Typed"
keep_alive = "6 months"
last_renewal = 2026-06-02
[[sim.stages]]
after = "30 days"
status = "last day to recover"
recovery = "renew today; after today the number may be lost for good"

[[sim]]
id = "grace"
name = "Grace"
keep_alive = "6 months"
last_renewal = 2026-06-02
grace = "30 days"
""")
    app = create_app({"SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(tmp_path / "instance")})
    events = {str(e["UID"]): str(e["SUMMARY"])
              for e in Calendar.from_ical(app.test_client().get("/calendar.ics").data).walk("VEVENT")}
    assert events["typed-stage-0@simfeed"] == "Last day to recover：Typed"
    assert events["grace-stage-0@simfeed"] == "最后挽回日：Grace"
