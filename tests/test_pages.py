"""The web page through Flask's test client: overview, SIM pages, subscribe links, sign-in, top-ups."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path
from urllib.parse import quote

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar

from .conftest import BASIC, write_config
from .helpers import Visitor

ADMIN = "admin-Token_1234-l58shgD"
FEED_TOKEN = "feed-Token_5678-ZYJW7pGJ"
# Tuesday 24 November 2026, noon in London: giffgaff is due on 2 December (in 8 days).
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)

WITH_ADMIN = BASIC.replace('timezone = "Europe/London"',
                           f'timezone = "Europe/London"\n\n[server]\nadmin_token = "{ADMIN}"')
WITH_TOKEN = WITH_ADMIN.replace('timezone = "Europe/London"',
                                f'timezone = "Europe/London"\ntoken = "{FEED_TOKEN}"')

# Written out of order: the page sorts by deadline. Statuses on NOW in the comments.
EVERY_STATUS = """
[calendar]
timezone = "Europe/London"

[[sim]]
id = "fine"
name = "Fine"
last_renewal = 2026-09-30
keep_alive = "180 days"            # 2027-03-29: ok

[[sim]]
id = "grace"
name = "Grace"
expires = 2026-11-10
grace = "30 days"                  # until 2026-12-10: in grace

[[sim]]
id = "lapsed"
name = "Lapsed"
expires = 2026-09-01
grace = "30 days"                  # until 2026-10-01: lapsed

[[sim]]
id = "soon"
name = "Soon"
last_renewal = 2026-06-02
keep_alive = "6 months"            # 2026-12-02: due soon

[[sim]]
id = "overdue"
name = "Overdue"
expires = 2026-11-20               # overdue
"""


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(NOW, tick=False):
        yield


def _app(tmp_path: Path, make_app, text: str, **settings: object) -> Flask:
    return make_app(write_config(tmp_path / "sims.toml", text), **settings)


@pytest.fixture
def admin_app(tmp_path: Path, make_app) -> Flask:
    return _app(tmp_path, make_app, WITH_ADMIN)


@pytest.fixture
def visitor(admin_app: Flask) -> Visitor:
    return Visitor(admin_app.test_client())


def logged(app: Flask, sim_id: str) -> list:
    return app.extensions["simfeed"].store.list(sim_id)


def first_deadline(client: FlaskClient, path: str) -> date:
    events = list(Calendar.from_ical(client.get(path).data).walk("VEVENT"))
    return events[0]["DTSTART"].dt


# --- The overview -------------------------------------------------------------------------

def test_overview_sorts_by_deadline_with_each_status(tmp_path, make_app):
    html = _app(tmp_path, make_app, EVERY_STATUS).test_client().get("/").get_data(as_text=True)
    rows = re.findall(r'<tr class="sim status-([a-z-]+)" data-sim="([a-z-]+)"', html)
    assert rows == [("lapsed", "lapsed"), ("in-grace", "grace"), ("overdue", "overdue"),
                    ("due-soon", "soon"), ("ok", "fine")]
    for label in ("lapsed", "in grace", "overdue", "due soon", "ok"):
        assert f'<span class="status">{label}</span>' in html


def test_overview_row_shows_what_a_person_needs(client):
    html = client.get("/").get_data(as_text=True)
    row = html[html.index('data-sim="giffgaff"'):html.index('data-sim="cubacel"')]
    assert '<a href="/sims/giffgaff">giffgaff</a>' in row
    assert "••0123" in row and "7700 900123" not in html  # masked, everywhere
    assert '<time datetime="2026-06-02">Jun 2, 2026</time>' in row
    assert '<time class="deadline" datetime="2026-12-02">Dec 2, 2026</time>' in row
    assert "in 8 days" in row
    assert '<span class="status">due soon</span>' in row


@pytest.mark.parametrize(("today", "expected"), [
    (datetime(2026, 12, 2, 12, tzinfo=UTC), "today"),
    (datetime(2026, 12, 1, 12, tzinfo=UTC), "in 1 day"),
    (datetime(2026, 12, 5, 12, tzinfo=UTC), "3 days ago"),
], ids=["today", "one-day", "past"])
def test_days_left_in_words(client, today, expected):
    with time_machine.travel(today, tick=False):
        html = client.get("/").get_data(as_text=True)
    row = html[html.index('data-sim="giffgaff"'):]
    assert f'<td data-label="Days left">{expected}</td>' in row


def test_no_sims_says_how_to_add_one(tmp_path, make_app):
    client = _app(tmp_path, make_app, '[calendar]\nname = "Empty"\n').test_client()
    html = client.get("/").get_data(as_text=True)
    assert "add a [[sim]] table" in html


# --- Subscribe links ------------------------------------------------------------------------

def test_subscribe_links_use_the_request_host(client):
    html = unescape(client.get("/", base_url="http://sims.local:8000").get_data(as_text=True))
    assert 'href="webcal://sims.local:8000/calendar.ics"' in html
    # Google ignores alarms in subscriptions: its link asks for reminder events.
    assert ('href="https://calendar.google.com/calendar/r?cid='
            + quote("webcal://sims.local:8000/calendar.ics?reminders=events", safe="") + '"') in html
    # So does Outlook, whose instructions give that address.
    assert '<code class="address">http://sims.local:8000/calendar.ics?reminders=events</code>' in html
    assert 'href="http://sims.local:8000/calendar.ics?download=1"' in html
    assert re.search(r'<input id="feed-url" type="text" readonly value="http://sims.local:8000/calendar.ics"',
                     html)
    assert re.search(r'<button type="button" class="button" data-copy="feed-url"[^>]* hidden>', html)
    assert '<svg viewBox="0 0 ' in html and 'class="qr-code"' in html
    assert "12 to 24 hours" in html  # Google's slow refresh is explained


def test_subscribe_links_use_public_url_when_set(tmp_path, make_app):
    text = BASIC + '\n[server]\npublic_url = "https://sims.example.org/simfeed/"\n'
    client = _app(tmp_path, make_app, text).test_client()
    html = unescape(client.get("/", base_url="http://10.0.0.5:8000").get_data(as_text=True))
    assert 'href="webcal://sims.example.org/simfeed/calendar.ics"' in html
    assert 'value="https://sims.example.org/simfeed/calendar.ics"' in html
    assert "10.0.0.5" not in html


def test_sim_page_subscribes_to_that_sim_only(client):
    html = unescape(client.get("/sims/cubacel").get_data(as_text=True))
    assert 'href="webcal://localhost/sims/cubacel.ics"' in html
    assert 'href="http://localhost/sims/cubacel.ics?download=1"' in html


def test_qr_code_encodes_the_webcal_address():
    from feed.web.links import feed_links

    svg = feed_links("https://x.org/calendar.ics").qr_svg()
    assert svg.startswith("<svg viewBox=") and "<script" not in svg


def test_a_qr_code_is_made_once_per_address(monkeypatch):
    """Every page view shows one; making it is pure arithmetic on the address, milliseconds each time."""
    import segno

    from feed.web.links import feed_links

    real, made = segno.make, []

    def counted(text: str, **options: object) -> segno.QRCode:
        made.append(text)
        return real(text, **options)

    monkeypatch.setattr(segno, "make", counted)
    first = feed_links("https://x.org/made-once.ics").qr_svg()
    assert feed_links("https://x.org/made-once.ics").qr_svg() == first
    assert made == ["webcal://x.org/made-once.ics"]


def test_sim_page_and_its_feed_share_a_prefix(client):
    assert client.get("/sims/cubacel").mimetype == "text/html"
    assert client.get("/sims/cubacel.ics").mimetype == "text/calendar"


# --- A token-protected feed -----------------------------------------------------------------

@pytest.fixture
def private(tmp_path, make_app) -> Visitor:
    return Visitor(_app(tmp_path, make_app, WITH_TOKEN).test_client())


def test_private_feed_shows_nothing_before_sign_in(private):
    html = private.html("/")
    assert FEED_TOKEN not in html and "token=" not in html
    assert "webcal://" not in html and "data-sim=" not in html
    assert "This calendar is private" in html
    assert 'href="/signin?next=/"' in html


def test_private_sim_page_asks_to_sign_in(private):
    response = private.client.get("/sims/giffgaff")
    assert response.status_code == 302
    assert response.headers["Location"] == "/signin?next=/sims/giffgaff"


def test_private_feed_links_carry_the_token_after_sign_in(private):
    private.sign_in()
    html = unescape(private.html("/"))
    assert f'href="webcal://localhost/calendar.ics?token={FEED_TOKEN}"' in html
    assert f'value="http://localhost/calendar.ics?token={FEED_TOKEN}"' in html
    assert f'http://localhost/calendar.ics?token={FEED_TOKEN}&download=1' in html
    assert 'data-sim="giffgaff"' in html
    # The links work: the feed answers them.
    assert private.client.get(f"/calendar.ics?token={FEED_TOKEN}").status_code == 200


# --- Signing in -----------------------------------------------------------------------------

def test_sign_in_sets_a_protected_cookie_and_goes_back(visitor):
    response = visitor.sign_in(next_path="/sims/giffgaff")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sims/giffgaff"
    cookie = response.headers["Set-Cookie"]
    assert cookie.startswith("simfeed_session=")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert ADMIN not in cookie
    assert "Signed in." in visitor.html("/sims/giffgaff")


def test_cookie_is_secure_over_https(admin_app):
    response = Visitor(admin_app.test_client()).sign_in(base_url="https://localhost")
    assert "Secure" in response.headers["Set-Cookie"]


def test_cookie_is_secure_behind_a_tls_proxy_at_public_url(tmp_path, make_app):
    app = _app(tmp_path, make_app, WITH_ADMIN.replace(
        f'admin_token = "{ADMIN}"', f'admin_token = "{ADMIN}"\npublic_url = "https://sims.example.org"'))
    response = app.test_client().get("/signin", base_url="http://sims.example.org")
    assert "Secure" in response.headers["Set-Cookie"]
    other = app.test_client().get("/signin", base_url="http://127.0.0.1:8000")
    assert "Secure" not in other.headers["Set-Cookie"]


def test_wrong_token_is_refused(visitor):
    response = visitor.sign_in("admin-Token_123")
    assert response.status_code == 200  # the form again, with the error
    assert "That is not the admin token." in response.get_data(as_text=True)
    assert 'aria-invalid="true"' in response.get_data(as_text=True)
    assert 'name="csrf_token"' not in visitor.html("/")  # no sign-out form: not signed in


def test_feed_token_does_not_sign_in(private):
    private.sign_in(FEED_TOKEN)
    assert "token=" not in private.html("/")


def test_sign_in_needs_the_csrf_token(visitor):
    visitor.html("/signin")
    response = visitor.client.post("/signin", data={"token": ADMIN})
    assert response.status_code == 400
    assert "This form has expired" in response.get_data(as_text=True)


@pytest.mark.parametrize("target", ["//evil.example/", "https://evil.example/", "/\\evil.example"],
                         ids=["scheme-relative", "absolute", "backslash"])
def test_sign_in_never_redirects_off_site(visitor, target):
    assert visitor.sign_in(next_path=target).headers["Location"] == "/"


def test_with_admin_token_switched_off_nobody_signs_in(tmp_path, make_app):
    config = write_config(tmp_path / "sims.toml", BASIC + '[server]\nadmin_token = ""\n')
    client = make_app(config).test_client()
    html = client.get("/signin").get_data(as_text=True)
    assert "No admin token is set" in html and 'name="token"' not in html
    assert client.post("/signin", data={"token": "anything-at-all"}).status_code == 400


def test_sign_out(visitor):
    visitor.sign_in()
    page = visitor.html("/")
    response = visitor.client.post("/signout", data={"csrf_token": visitor.hidden(page, "csrf_token")})
    assert response.status_code == 303
    assert "Record renewal" not in visitor.html("/sims/giffgaff")


def test_changing_the_admin_token_signs_everybody_out(tmp_path, make_app, visitor, admin_app):
    visitor.sign_in()
    assert 'action="/sims/giffgaff/renewals"' in visitor.html("/sims/giffgaff")
    write_config(Path(admin_app.config["SIMFEED_CONFIG"]), WITH_ADMIN.replace(ADMIN, ADMIN + "-new"),
                 mtime=1_780_000_100)
    assert 'action="/sims/giffgaff/renewals"' not in visitor.html("/sims/giffgaff")


def test_session_survives_a_restart(tmp_path, make_app, admin_app):
    first = admin_app.test_client()
    Visitor(first).sign_in()
    cookie = first.get_cookie("simfeed_session")
    assert cookie is not None
    again = _app(tmp_path, make_app, WITH_ADMIN).test_client()  # same instance folder
    again.set_cookie("simfeed_session", cookie.value)
    assert 'action="/sims/giffgaff/renewals"' in again.get("/sims/giffgaff").get_data(as_text=True)


# --- Recording a renewal --------------------------------------------------------------------

def test_form_defaults_to_today_and_the_last_currency(visitor):
    visitor.sign_in()
    page = visitor.html("/sims/cubacel")
    assert re.search(r'name="date" type="date" value="2026-11-24" max="2026-11-24"', page)
    assert 'name="currency" type="text" value="CUP"' in page
    assert '<label for="renewal-amount">Amount</label>' in page


def test_recording_moves_the_deadline_on_the_page_and_in_the_feed(visitor, admin_app):
    client = visitor.client
    assert first_deadline(client, "/sims/giffgaff.ics") == date(2026, 12, 2)
    visitor.sign_in()
    response = visitor.record("giffgaff", amount="10", currency="gbp", method="app", reference="TXN9")
    assert response.status_code == 303
    assert response.headers["Location"] == "/sims/giffgaff"
    page = visitor.html("/sims/giffgaff")
    assert "Renewal recorded. The deadline of giffgaff is now May 24, 2027." in page
    assert '<time id="deadline" datetime="2027-05-24">' in page
    assert "TXN9" in page and "£10.00" in page
    assert first_deadline(client, "/sims/giffgaff.ics") == date(2027, 5, 24)
    [stored] = logged(admin_app, "giffgaff")
    assert (stored.renewal.date, stored.renewal.amount, stored.renewal.currency) == \
        (date(2026, 11, 24), 10.0, "GBP")


def test_a_bad_amount_is_shown_next_to_the_field_and_nothing_is_stored(visitor, admin_app):
    visitor.sign_in()
    response = visitor.record("giffgaff", amount="ten", currency="GBP", reference="R1")
    assert response.status_code == 200  # the form again, with the errors
    html = response.get_data(as_text=True)
    assert "The renewal was not recorded" in html
    assert re.search(r'id="renewal-amount"[^>]*aria-describedby="renewal-amount-error" aria-invalid="true"',
                     html)
    assert ('<p class="field-error" id="renewal-amount-error">'
            "Enter a number of zero or more, like 10 or 9.99.</p>") in html
    assert 'value="ten"' in html and 'value="R1"' in html  # what was typed is kept
    assert "renewal-currency-error" not in html
    assert logged(admin_app, "giffgaff") == []
    assert first_deadline(visitor.client, "/sims/giffgaff.ics") == date(2026, 12, 2)


def test_every_bad_field_is_reported(visitor, admin_app):
    visitor.sign_in()
    html = visitor.record("giffgaff", date="2026-12-25", amount="-1", currency="pounds",
                          method="pigeon", note="x" * 501).get_data(as_text=True)
    for field in ("date", "amount", "currency", "method", "note"):
        assert f'id="renewal-{field}-error"' in html
    assert logged(admin_app, "giffgaff") == []


def test_sending_the_same_form_twice_stores_it_once(visitor, admin_app):
    visitor.sign_in()
    page = visitor.html("/sims/giffgaff")
    data = {"csrf_token": visitor.hidden(page, "csrf_token"), "key": visitor.hidden(page, "key"),
            "date": "2026-11-20", "amount": "5"}
    assert visitor.client.post("/sims/giffgaff/renewals", data=data).status_code == 303
    assert visitor.client.post("/sims/giffgaff/renewals", data=data).status_code == 303
    assert "This renewal was already recorded." in visitor.html("/sims/giffgaff")
    assert len(logged(admin_app, "giffgaff")) == 1
    changed = visitor.client.post("/sims/giffgaff/renewals", data={**data, "amount": "6"})
    assert "already sent with other values" in changed.get_data(as_text=True)
    assert len(logged(admin_app, "giffgaff")) == 1


def test_recording_needs_sign_in(visitor, admin_app):
    page = visitor.html("/signin")  # a CSRF token, but no sign-in
    response = visitor.client.post("/sims/giffgaff/renewals",
                                   data={"csrf_token": visitor.hidden(page, "csrf_token"), "amount": "5"})
    assert response.status_code == 403
    assert logged(admin_app, "giffgaff") == []
    assert 'href="/signin?next=/sims/giffgaff"' in visitor.html("/sims/giffgaff")


def test_recording_needs_the_csrf_token(visitor, admin_app):
    visitor.sign_in()
    response = visitor.client.post("/sims/giffgaff/renewals", data={"amount": "5"})
    assert response.status_code == 400
    assert logged(admin_app, "giffgaff") == []


def test_unknown_sim_is_404(visitor):
    assert visitor.client.get("/sims/nope").status_code == 404
    visitor.sign_in()
    csrf = visitor.hidden(visitor.html("/"), "csrf_token")
    assert visitor.client.post("/sims/nope/renewals", data={"csrf_token": csrf}).status_code == 404


def test_history_hides_references_until_sign_in(visitor):
    anonymous = visitor.html("/sims/cubacel")
    assert '<time datetime="2026-01-10">Jan 10, 2026</time>' in anonymous
    assert "CUP\u00a0100.00" in anonymous and "T1" not in anonymous
    visitor.sign_in()
    assert "<td data-label=\"Reference\">T1</td>" in visitor.html("/sims/cubacel")


def test_sim_page_explains_how_to_renew(client):
    html = client.get("/sims/giffgaff").get_data(as_text=True)
    assert '<a class="button primary" href="https://www.giffgaff.com/" rel="noopener noreferrer">' in html
    assert "<dd>renew at least every 6 months</dd>" in html
    cubacel = client.get("/sims/cubacel").get_data(as_text=True)
    assert "<dd>renew at least every 330 days</dd>" in cubacel
    assert "Last day to recover the number" in cubacel


# --- The stale-config banner ----------------------------------------------------------------

def test_banner_shows_the_errors_of_a_bad_edit(client, config_path):
    assert "config file has errors" not in client.get("/").get_data(as_text=True)
    write_config(config_path, BASIC.replace('"6 months"', '"6 <moths>"'), mtime=1_780_000_500)
    html = client.get("/").get_data(as_text=True)
    assert '<section class="banner" role="alert"' in html
    assert (f"<li><code>{config_path}: sim &#34;giffgaff&#34;: keep_alive: &#34;6 &lt;moths&gt;&#34; "
            "is not a duration") in html
    assert 'data-sim="giffgaff"' in html  # the last good config is still shown


# --- Security headers and no inline code ----------------------------------------------------

@pytest.mark.parametrize("path", ["/", "/sims/giffgaff", "/signin", "/sims/nope"],
                         ids=["index", "sim", "signin", "not-found"])
def test_security_headers(client, path):
    response = client.get(path)
    csp = response.headers["Content-Security-Policy"]
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "script-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "no-referrer"
    assert response.headers["Cache-Control"] == "no-store"


@pytest.mark.parametrize("path", ["/", "/sims/giffgaff", "/signin"], ids=["index", "sim", "signin"])
def test_no_inline_script_style_or_handlers(visitor, path):
    visitor.sign_in()
    html = visitor.html(path)
    assert re.findall(r"<script(?![^>]*\bsrc=)", html) == []
    assert "<style" not in html
    assert re.findall(r"\s(?:on[a-z]+|style)=", html) == []


def test_feeds_keep_their_own_headers(client):
    response = client.get("/calendar.ics")
    assert "Content-Security-Policy" not in response.headers
    assert response.headers["Referrer-Policy"] == "no-referrer"


@pytest.mark.parametrize(("path", "mimetype"), [
    ("/favicon.ico", "image/svg+xml"), ("/static/favicon.svg", "image/svg+xml"),
    ("/static/style.css", "text/css"), ("/static/copy.js", "text/javascript"),
], ids=["favicon-ico", "favicon-svg", "css", "js"])
def test_static_files(client, path, mimetype):
    response = client.get(path)
    assert response.status_code == 200
    assert response.mimetype == mimetype
    response.close()


# --- Accessibility basics -------------------------------------------------------------------

def test_every_form_control_has_a_label(visitor):
    visitor.sign_in()
    html = visitor.html("/sims/giffgaff")
    ids = re.findall(r'<(?:input|select)(?![^>]*type="hidden")[^>]*\bid="([^"]+)"', html)
    assert ids and all(f'<label for="{i}">' in html for i in ids)
    assert '<html lang="en">' in html
