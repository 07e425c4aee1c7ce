"""The reminders' one-tap "I have renewed it" link (issue 11): GET changes nothing, POST records once.

BASIC's giffgaff: last renewal 2026-06-02, kept alive 6 months, so due 2026-12-02 with no
stages (the link expires after that day); a renewal on 2026-11-20 moves it to 2027-05-20.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import click
import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from feed import create_app
from feed.core import keys
from feed.core.deadlines import deadline_for
from feed.log import renewals
from feed.reminders import links

from .helpers import Visitor, fetch, parse, renewal_rows

pytestmark = pytest.mark.usefixtures("clean_environment")

TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DUE = date(2026, 12, 2)


def link(app: Flask, sim_id: str = "giffgaff", deadline: date = DUE, expires: date = DUE,
         key: bytes | None = None) -> str:
    """The path of a link as a reminder carries it, made through the reminders' own function."""
    secret = key or str(app.secret_key).encode()
    url = links.renewed_url("https://sims.example.org/", secret, sim_id, deadline, expires)
    assert url.startswith("https://sims.example.org/renewed/")
    return url.removeprefix("https://sims.example.org")


@pytest.fixture
def post(app: Flask, client: FlaskClient) -> Callable[..., TestResponse]:
    """Form POSTs with the session's CSRF token, read once from a genuine link's page."""
    with time_machine.travel(TODAY, tick=False):
        csrf = Visitor.hidden(Visitor(client).html(link(app)), "csrf_token")
    return lambda path, **fields: client.post(path, data={"csrf_token": csrf, **fields})


@pytest.fixture
def rows(database: Path):
    return lambda: renewal_rows(database) if database.exists() else []


@time_machine.travel(TODAY, tick=False)
def test_opening_the_link_twice_shows_the_form_and_stores_nothing(app: Flask, client: FlaskClient, rows):
    path = link(app)
    for _ in range(2):  # a chat app's preview, then the person
        page = client.get(path)
        html = page.get_data(as_text=True)
        assert page.status_code == 200
        assert "giffgaff" in html and "••0123" in html and "900123" not in html
        assert Visitor.hidden(html, "date") == "2026-11-20"
        assert 'datetime="2026-12-02"' in html
    assert rows() == []


@time_machine.travel(TODAY, tick=False)
def test_one_post_records_one_renewal_and_moves_the_feed(app: Flask, client: FlaskClient, rows, post):
    path = link(app)
    answer = post(path, date="2026-11-20", amount="10", currency="GBP", reference="R-1")
    assert answer.status_code == 303 and answer.location == path
    (row,) = rows()
    assert row[1:4] == ("giffgaff", "2026-11-20", 10.0)
    assert parse(fetch(client, "/calendar.ics")).starts()["giffgaff-deadline@simfeed"] == date(2027, 5, 20)
    after = client.get(path).get_data(as_text=True)
    assert "already renewed" in after and "2027" in after and "Renewal recorded" in after
    # A replay (the same form again, or other values) stores nothing new.
    for amount in ("10", "20"):
        again = post(path, date="2026-11-20", amount=amount)
        assert again.status_code == 200 and "already renewed" in again.get_data(as_text=True)
    assert len(rows()) == 1


@time_machine.travel(TODAY, tick=False)
def test_two_posts_racing_for_one_deadline_store_one_renewal(app: Flask, client: FlaskClient, rows, post):
    # Both posts read the deadline before either stored: the idempotency key makes them one.
    path = link(app)
    service = app.extensions["simfeed"]
    fields = {"date": "2026-11-20", "amount": "10", "currency": "GBP", "reference": ""}
    claim = links.read_token(str(app.secret_key).encode(), path.rsplit("/", 1)[1], TODAY.date())
    assert claim == links.Claim("giffgaff", DUE, DUE)
    # The second post's view read its snapshot before the first one stored.
    old = service.snapshot()
    service.snapshot = lambda: old
    first = renewals.record(service.store, old.config, "giffgaff", fields, TODAY.date(),
                            claim.idempotency_key)
    assert post(path, **fields).status_code == 303
    assert first.created and [row[0] for row in rows()] == [first.stored.id]


@time_machine.travel(TODAY, tick=False)
def test_a_link_for_a_deadline_already_renewed_says_so(app: Flask, client: FlaskClient, rows, post):
    path = link(app, deadline=date(2026, 10, 1))  # sent before a renewal moved the deadline
    page = client.get(path).get_data(as_text=True)
    assert "already renewed" in page and "<form method=\"post\" action=\"/renewed" not in page
    assert post(path, date="2026-11-20").status_code == 200
    assert rows() == []


@pytest.mark.parametrize("make", [
    # Cubacel's claim under giffgaff's signature.
    lambda app: link(app, "cubacel").rsplit(".", 1)[0] + "." + link(app).rsplit(".", 1)[1],
    lambda app: link(app, key=b"another service's key, 32+ chars long"),
    lambda app: "/renewed/not-a-token",
    lambda app: link(app, sim_id="nobody"),
], ids=["tampered", "other-key", "garbage", "unknown-sim"])
@time_machine.travel(TODAY, tick=False)
def test_forged_links_show_a_clear_page_and_store_nothing(app: Flask, client: FlaskClient, rows, make, post):
    path = make(app)
    page = client.get(path)
    assert page.status_code == 404 and "link" in page.get_data(as_text=True)
    assert post(path, date="2026-11-20").status_code == 404
    assert rows() == []


def test_an_expired_link_is_refused_and_stores_nothing(app: Flask, client: FlaskClient, rows, post):
    path = link(app)
    with time_machine.travel(datetime(2026, 12, 2, 23, 30, tzinfo=UTC), tick=False):  # DUE, in London
        assert client.get(path).status_code == 200
    # The day after DUE, in London: the last (and only) day of the link has passed.
    with time_machine.travel(datetime(2026, 12, 3, 0, 30, tzinfo=UTC), tick=False):
        assert client.get(path).status_code == 410
        answer = post(path, date="2026-12-03")
        assert answer.status_code == 410 and "expired" in answer.get_data(as_text=True)
    assert rows() == []


@time_machine.travel(TODAY, tick=False)
def test_a_post_without_the_csrf_token_stores_nothing(app: Flask, client: FlaskClient, rows):
    assert client.post(link(app), data={"date": "2026-11-20"}).status_code == 400
    assert rows() == []


@time_machine.travel(TODAY, tick=False)
def test_the_page_speaks_chinese(app: Flask, client: FlaskClient):
    html = client.get(link(app), headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert 'lang="zh-CN"' in html and "我已续费" in html and "2026年12月2日" in html


def test_the_cli_reads_the_same_secret_key_as_the_app(app: Flask, config_path: Path):
    with click.Context(click.Command("remind")):  # as `flask --app feed remind` builds the app
        runner_app = create_app({"SIMFEED_CONFIG": str(config_path), "SIMFEED_INSTANCE": app.instance_path})
    assert runner_app.secret_key == app.secret_key == keys.secret_key(None, app.instance_path)
    runner_app.extensions["simfeed"].store.close()


def test_a_link_lasts_until_the_last_stage_passes(app: Flask):
    # Cubacel: renewed 2026-01-10, 330 days -> due 2026-12-06; grace 30 days -> 2027-01-05.
    config = app.extensions["simfeed"].snapshot().config
    cubacel, giffgaff = (deadline_for(config.sim(i), config.calendar) for i in ("cubacel", "giffgaff"))
    assert (cubacel.due, links.expires_for(cubacel)) == (date(2026, 12, 6), date(2027, 1, 5))
    assert links.expires_for(giffgaff) == DUE  # no stages: the deadline's own day
