"""The reminders' one-tap "I have renewed it" link (issue 11): GET changes nothing, POST records once.

BASIC's giffgaff: last renewal 2026-06-02, kept alive 6 months, so due 2026-12-02 with no
stages, so reminded daily for 30 days after it: the link expires after 2027-01-01. A renewal
on 2026-11-20 moves it to 2027-05-20.
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
from feed.reminders import links
from feed.storage import renewals

from .conftest import BASIC, write_config
from .helpers import Visitor, fetch, parse, renewal_rows

pytestmark = pytest.mark.usefixtures("clean_environment")

TODAY = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
DUE = date(2026, 12, 2)
LAST_REMINDER = date(2027, 1, 1)  # 30 days after DUE


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


def test_the_link_works_while_overdue_reminders_carry_it_then_leads_to_the_sims_page(
        app: Flask, client: FlaskClient, rows):
    config = app.extensions["simfeed"].snapshot().config
    path = link(app, expires=links.expires_for(deadline_for(config.sim("giffgaff"), config.calendar)))
    # The 30th overdue reminder, in the evening: the link it carries still opens the form.
    with time_machine.travel(datetime(2027, 1, 1, 23, 50, tzinfo=UTC), tick=False):
        opened = client.get(path)
        assert opened.status_code == 200
        csrf = Visitor.hidden(opened.get_data(as_text=True), "csrf_token")
    # The day after, in London: no reminder carries it any more.
    with time_machine.travel(datetime(2027, 1, 2, 0, 10, tzinfo=UTC), tick=False):
        for answer in (client.get(path), client.post(path, data={"csrf_token": csrf, "date": "2027-01-02"})):
            html = answer.get_data(as_text=True)
            assert answer.status_code == 410 and "giffgaff" in html and "Jan 1, 2027" in html
            assert 'href="/sims/giffgaff#record"' in html and "Traceback" not in html
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
    assert links.expires_for(giffgaff) == LAST_REMINDER  # no stages: 30 days of overdue reminders


# A fixed expiry and a balance: a renewal moves neither deadline's date by itself (the plan's
# never; the fee's only with an amount), so the link alone must keep its "once".
ONCE = BASIC + """
[[sim]]
id = "plan"
name = "Annual plan"
expires = 2026-12-02

[[sim]]
id = "fee"
name = "Monthly fee"
charge = {fee = 5, every = "1 month", balance = 12, as_of = 2026-10-01, first = 2026-11-01, currency = "EUR"}
"""


@pytest.fixture
def once(build: Callable[..., Flask], tmp_path: Path) -> Flask:
    return build(write_config(tmp_path / "once.toml", ONCE))


def _form_post(client: FlaskClient, path: str, **fields: str) -> TestResponse:
    csrf = Visitor.hidden(Visitor(client).html(path), "csrf_token")
    return client.post(path, data={"csrf_token": csrf, **fields})


def test_one_press_one_renewal_for_as_long_as_the_link_lives(once: Flask):
    client = once.test_client()
    store = once.extensions["simfeed"].store
    path = link(once, "plan", DUE, LAST_REMINDER)
    with time_machine.travel(TODAY, tick=False):
        csrf = Visitor.hidden(Visitor(client).html(path), "csrf_token")
        assert _form_post(client, path, date="2026-11-20").status_code == 303
    # Three days later (past the 48 hours an API Idempotency-Key is kept), pressed again.
    with time_machine.travel(datetime(2026, 11, 23, 12, tzinfo=UTC), tick=False):
        page = client.get(path).get_data(as_text=True)
        assert "already recorded from this link" in page and 'action="/renewed' not in page
        again = client.post(path, data={"csrf_token": csrf, "date": "2026-11-23"})
        assert again.status_code == 200 and "already recorded from this link" in again.get_data(as_text=True)
    assert [stored.renewal.date for stored in store.list("plan")] == [date(2026, 11, 20)]


def test_a_balance_link_asks_for_the_amount_and_records_it_once(once: Flask):
    client = once.test_client()
    store = once.extensions["simfeed"].store
    config = once.extensions["simfeed"].snapshot().config
    due = deadline_for(config.sim("fee"), config.calendar).due
    assert due == date(2027, 1, 1)  # 12 EUR pays the fees of 1 November and 1 December
    path = link(once, "fee", due, date(2027, 1, 31))
    with time_machine.travel(TODAY, tick=False):
        page = client.get(path).get_data(as_text=True)
        assert "Required" in page
        csrf = Visitor.hidden(page, "csrf_token")
        for amount in ("", "0"):
            answer = _form_post(client, path, date="2026-11-20", amount=amount)
            html = answer.get_data(as_text=True)
            assert answer.status_code == 200 and "Enter the amount you topped up" in html
            assert "Renewal recorded" not in html
        assert store.list("fee") == []
        assert _form_post(client, path, date="2026-11-20", amount="10").status_code == 303
        (stored,) = store.list("fee")
        assert stored.renewal.amount == 10.0
    with time_machine.travel(datetime(2026, 11, 25, tzinfo=UTC), tick=False):
        # The deadline moved (to 2027-03-01): the link says so and records nothing more.
        again = client.post(path, data={"csrf_token": csrf, "date": "2026-11-25", "amount": "10"})
        assert again.status_code == 200 and "already renewed" in again.get_data(as_text=True)
    assert len(store.list("fee")) == 1


def test_deleting_the_renewal_frees_the_link(once: Flask):
    client = once.test_client()
    store = once.extensions["simfeed"].store
    path = link(once, "plan", DUE, LAST_REMINDER)
    with time_machine.travel(TODAY, tick=False):
        _form_post(client, path, date="2026-11-20")
        (stored,) = store.list("plan")
        assert store.delete(stored.id)  # a mistaken press, deleted from the log
        assert "already recorded" not in client.get(path).get_data(as_text=True)
        assert _form_post(client, path, date="2026-11-19").status_code == 303
    assert [s.renewal.date for s in store.list("plan")] == [date(2026, 11, 19)]
