"""The JSON API under /api: the admin token, statuses, recording and removing renewals, the feed after."""

from __future__ import annotations

import dataclasses
import json
import sqlite3
from collections.abc import Callable
from contextlib import closing
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar, Event
from werkzeug.test import TestResponse

from .conftest import BASIC, write_config
from .helpers import renewal_rows as rows
from .helpers import shared_sim

ADMIN = "admin-token-for-tests-uYybk7"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
FEED = "feed-token-123-uYl4k1vZC"
CONFIG_ADMIN = "config-admin-token-Q6UugC"


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}
# Noon in London on 24 November 2026 (GMT, so also noon UTC).
NOON = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
RECORDED_AT = "2026-11-24T12:00:00+00:00"

GIFFGAFF = {"id": "giffgaff", "name": "giffgaff", "carrier": "giffgaff", "country": None,
            "number": "••0123", "last_renewal": "2026-06-02", "deadline": "2026-12-02",
            "grace_until": None}
# 2026-01-10 + 330 days: 21 days to the end of January, then 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30
# + 31 + 30 = 303 to 2026-11-30 (324 in all), and 6 more: 2026-12-06. Grace 30 days: 2027-01-05.
CUBACEL = {"id": "cubacel", "name": "Cubacel", "carrier": None, "country": None, "number": "••4567",
           "last_renewal": "2026-01-10", "deadline": "2026-12-06", "grace_until": "2027-01-05"}
CUBACEL_CONFIG_RENEWAL = {"id": None, "sim_id": "cubacel", "source": "config", "date": "2026-01-10",
                          "kind": "topup", "amount": "100", "currency": "CUP", "method": "app",
                          "reference": "T1", "note": None, "recorded_at": None}
GRACE_RECOVERY = "renew today; after today the number may be lost for good"
# The keep-alive ledger's fields of GET /api/sims (issue 14), tested in test_ledger.py.
LEDGER_KEYS = ("rule", "cost_per_year", "accounts", "check", "preset", "rule_checked", "rule_check_stale")


def without_ledger(record: dict) -> dict:
    return {key: value for key, value in record.items() if key not in LEDGER_KEYS}


pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def api(build: Callable[..., Flask], config_path: Path) -> FlaskClient:
    return build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()


def log_summary(database: Path) -> tuple[int, int, str]:
    """Renewal rows, idempotency keys and the change counter: all three unchanged means nothing written."""
    with closing(sqlite3.connect(database)) as db:
        renewals = db.execute("SELECT COUNT(*) FROM renewals").fetchone()[0]
        keys = db.execute("SELECT COUNT(*) FROM idempotency").fetchone()[0]
        generation = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
    return renewals, keys, generation


def post(client: FlaskClient, sim: str, body: Any, key: str | None = None, **headers: str) -> TestResponse:
    headers = {**AUTH, **headers}
    if key is not None:
        headers["Idempotency-Key"] = key
    data = body if isinstance(body, bytes) else json.dumps(body)
    return client.post(f"/api/sims/{sim}/renewals", data=data, headers=headers,
                       content_type="application/json")


def events(body: bytes) -> dict[str, Event]:
    return {str(event["UID"]): event for event in Calendar.from_ical(body).walk("VEVENT")}


def log_record(rid: int, sim: str, day: str, amount: str | None = None, currency: str | None = None,
               method: str | None = None, reference: str | None = None, note: str | None = None,
               recorded_at: str = RECORDED_AT, kind: str = "topup") -> dict[str, Any]:
    return {"id": rid, "sim_id": sim, "source": "log", "date": day, "kind": kind, "amount": amount,
            "currency": currency, "method": method, "reference": reference, "note": note,
            "recorded_at": recorded_at}


# --- the admin token ------------------------------------------------------------------------------

CALLS = [
    ("GET", "/api/sims"),
    ("HEAD", "/api/sims"),
    ("GET", "/api/sims/giffgaff/renewals"),
    ("GET", "/api/sims/nope/renewals"),
    ("POST", "/api/sims/giffgaff/renewals"),
    ("POST", "/api/sims/nope/renewals"),
    ("GET", "/api/renewals/1"),
    ("DELETE", "/api/renewals/1"),
    ("DELETE", "/api/renewals/99"),
]
UNAUTHORISED = {
    "none": {},
    "wrong": {"Authorization": "Bearer not-the-admin-token"},
    "prefix": {"Authorization": f"Bearer {ADMIN[:-1]}"},
    "longer": {"Authorization": f"Bearer {ADMIN}x"},
    "empty-bearer": {"Authorization": "Bearer "},
    "no-scheme": {"Authorization": ADMIN},
    "basic": {"Authorization": "Basic YWRtaW46YWRtaW4tdG9rZW4tZm9yLXRlc3Rz"},
    "feed-token": {"Authorization": "Bearer feed-token-123-uYl4k1vZC"},
}


def with_tokens(feed: str | None = None, admin: str | None = None) -> str:
    text = BASIC
    if feed is not None:
        text = text.replace('timezone = "Europe/London"', f'timezone = "Europe/London"\ntoken = "{feed}"')
    if admin is not None:
        text += f'\n[server]\nadmin_token = "{admin}"\n'
    return text


@pytest.mark.parametrize("who", UNAUTHORISED, ids=list(UNAUTHORISED))
@pytest.mark.parametrize(("method", "path"), CALLS, ids=[f"{m}-{p}" for m, p in CALLS])
@time_machine.travel(NOON, tick=False)
def test_every_call_needs_the_admin_token(build, tmp_path, database, method, path, who):
    config = write_config(tmp_path / "sims.toml", with_tokens(feed=FEED))
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    assert post(client, "giffgaff", {"date": "2026-11-20"}).status_code == 201
    before = log_summary(database)

    response = client.open(path, method=method, headers=UNAUTHORISED[who],
                           data=json.dumps({"date": "2026-11-21"}) if method == "POST" else None,
                           content_type="application/json")
    assert response.status_code == 401
    assert response.headers["WWW-Authenticate"] == 'Bearer realm="simfeed"'
    if method != "HEAD":
        assert response.get_json() == {"error": "an admin token is needed: Authorization: Bearer <token>"}
    assert log_summary(database) == before == (1, 0, "1")


def test_the_admin_token_opens_every_call(api, database):
    with time_machine.travel(NOON, tick=False):
        assert api.get("/api/sims", headers=AUTH).status_code == 200
        assert api.get("/api/sims", headers={"Authorization": f"bearer {ADMIN}"}).status_code == 200
        assert post(api, "giffgaff", {}).status_code == 201
        assert api.get("/api/sims/giffgaff/renewals", headers=AUTH).status_code == 200
        assert api.get("/api/renewals/1", headers=AUTH).status_code == 200
        assert api.delete("/api/renewals/1", headers=AUTH).status_code == 204


def test_the_feed_token_never_opens_the_api(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", with_tokens(feed=FEED, admin="admin-token-9-TaQ5FR5oCY"))
    client = build(config).test_client()
    feed_bearer = bearer(FEED)
    assert client.get("/api/sims", headers=feed_bearer).status_code == 401
    assert client.get(f"/api/sims?token={FEED}").status_code == 401
    assert client.get(f"/api/sims?token={FEED}", headers=feed_bearer).status_code == 401
    assert client.get(f"/calendar.ics?token={FEED}").status_code == 200, "it still opens the feed"
    assert client.get("/api/sims", headers=bearer("admin-token-9-TaQ5FR5oCY")).status_code == 200
    # Nor does the admin token open the feed in its place.
    assert client.get("/calendar.ics?token=admin-token-9-TaQ5FR5oCY").status_code == 404


def test_the_feed_token_alone_does_not_open_the_api(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", with_tokens(feed=FEED))
    client = build(config).test_client()
    assert client.get("/api/sims", headers=bearer(FEED)).status_code == 401


def test_the_config_token_is_used_when_the_environment_has_none(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", with_tokens(admin=CONFIG_ADMIN))
    client = build(config).test_client()
    assert client.get("/api/sims", headers=bearer(CONFIG_ADMIN)).status_code == 200
    assert client.get("/api/sims", headers=AUTH).status_code == 401


@pytest.mark.parametrize("source", ["setting", "environment"])
def test_the_environment_token_wins_over_the_config_token(build, tmp_path, monkeypatch, source):
    config = write_config(tmp_path / "sims.toml", with_tokens(admin=CONFIG_ADMIN))
    if source == "environment":
        monkeypatch.setenv("SIMFEED_ADMIN_TOKEN", ADMIN)
        client = build(config).test_client()
    else:
        client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    assert client.get("/api/sims", headers=AUTH).status_code == 200
    assert client.get("/api/sims", headers=bearer(CONFIG_ADMIN)).status_code == 401


def test_an_empty_environment_token_counts_as_none(build, tmp_path, monkeypatch):
    monkeypatch.setenv("SIMFEED_ADMIN_TOKEN", "")
    config = write_config(tmp_path / "sims.toml", with_tokens(admin=CONFIG_ADMIN))
    client = build(config, SIMFEED_ADMIN_TOKEN="").test_client()
    assert client.get("/api/sims", headers=bearer(CONFIG_ADMIN)).status_code == 200
    assert client.get("/api/sims", headers={"Authorization": "Bearer "}).status_code == 401


@time_machine.travel(NOON, tick=False)
def test_with_admin_token_switched_off_the_api_refuses_everything(build, tmp_path, database):
    config = write_config(tmp_path / "sims.toml", with_tokens(admin=""))
    client = build(config, SIMFEED_ADMIN_TOKEN="").test_client()
    assert not (tmp_path / "instance" / "admin-token").exists()
    for headers in ({}, {"Authorization": "Bearer "}, {"Authorization": "Bearer None"},
                    {"Authorization": 'Bearer ""'}, AUTH):
        for method, path in CALLS:
            response = client.open(path, method=method, headers=headers, json={})
            assert response.status_code == 401, (method, path, headers)
    assert log_summary(database) == (0, 0, "0")


@time_machine.travel(NOON, tick=False)
def test_with_no_admin_token_set_only_the_one_made_in_the_data_folder_opens_the_api(
        build, tmp_path, database):
    config = write_config(tmp_path / "sims.toml", with_tokens(admin=None))
    client = build(config, SIMFEED_ADMIN_TOKEN="").test_client()
    kept = tmp_path / "instance" / "admin-token"
    assert kept.stat().st_mode & 0o777 == 0o600
    made = kept.read_text().strip()
    assert len(made) >= 22 and made != CONFIG_ADMIN
    for method, path in CALLS:  # no token at all: not a guess, so no throttling either
        assert client.open(path, method=method, json={}).status_code == 401
    assert client.get("/api/sims", headers=AUTH).status_code == 401
    assert client.get("/api/sims", headers=bearer(made)).status_code == 200
    assert log_summary(database) == (0, 0, "0")


# --- GET /api/sims --------------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_sims_lists_each_with_its_deadline_and_status_soonest_first(api):
    response = api.get("/api/sims", headers=AUTH)
    assert response.status_code == 200
    assert [without_ledger(r) for r in response.get_json()] == [
        {**GIFFGAFF, "days_left": 8, "status": "due soon"},  # 2026-12-02 is 8 days after 2026-11-24
        {**CUBACEL, "days_left": 12, "status": "due soon"},  # 2026-12-06 is 12 days after
    ]


def status_config(tz: str) -> str:
    """BASIC's two SIMs without carrier and number, with the calendar in the time zone `tz`."""
    return f"""
[calendar]
timezone = "{tz}"
alarms = ["7 days", "0 days"]

""" + shared_sim("giffgaff", carrier=None, number=None, renew_url=None) + shared_sim(
        "cubacel", number=None, alarms=["21 days", "2 days"])


LONDON, SHANGHAI, LOS_ANGELES = "Europe/London", "Asia/Shanghai", "America/Los_Angeles"


def utc(*args: int) -> datetime:
    return datetime(*args, tzinfo=UTC)


# giffgaff: deadline 2026-12-02, no grace, due soon from 7 days before (the calendar's alarms).
# cubacel: deadline 2026-12-06, grace until 2027-01-05, due soon from 21 days before (its own alarms).
STATUS_CASES = [
    (LONDON, utc(2026, 11, 24, 12), "giffgaff", 8, "ok"),
    (LONDON, utc(2026, 11, 25, 12), "giffgaff", 7, "due soon"),
    (LONDON, utc(2026, 12, 2, 12), "giffgaff", 0, "due soon"),
    (LONDON, utc(2026, 12, 3, 12), "giffgaff", -1, "overdue"),
    # 29 days left of December, 31 of January, 28 of February, and 1 March.
    (LONDON, utc(2027, 3, 1, 12), "giffgaff", -89, "overdue"),
    (LONDON, utc(2026, 11, 14, 12), "cubacel", 22, "ok"),
    (LONDON, utc(2026, 11, 15, 12), "cubacel", 21, "due soon"),
    (LONDON, utc(2026, 12, 6, 12), "cubacel", 0, "due soon"),
    (LONDON, utc(2026, 12, 7, 12), "cubacel", -1, "in grace"),
    (LONDON, utc(2027, 1, 5, 12), "cubacel", -30, "in grace"),
    (LONDON, utc(2027, 1, 6, 12), "cubacel", -31, "lapsed"),
    # 23:30 UTC is 07:30 the next day in Shanghai (UTC+8), and still the same day in London (GMT).
    (LONDON, utc(2026, 11, 24, 23, 30), "giffgaff", 8, "ok"),
    (SHANGHAI, utc(2026, 11, 24, 23, 30), "giffgaff", 7, "due soon"),
    (LONDON, utc(2026, 12, 2, 23, 30), "giffgaff", 0, "due soon"),
    (SHANGHAI, utc(2026, 12, 2, 23, 30), "giffgaff", -1, "overdue"),
    (LONDON, utc(2027, 1, 5, 23, 30), "cubacel", -30, "in grace"),
    (SHANGHAI, utc(2027, 1, 5, 23, 30), "cubacel", -31, "lapsed"),
    # Midnight in Shanghai is 16:00 UTC the day before.
    (SHANGHAI, utc(2026, 12, 6, 15, 59), "cubacel", 0, "due soon"),
    (SHANGHAI, utc(2026, 12, 6, 16, 0), "cubacel", -1, "in grace"),
    # 07:59 UTC is 23:59 the day before in Los Angeles (UTC-8).
    (LOS_ANGELES, utc(2026, 12, 3, 7, 59), "giffgaff", 0, "due soon"),
    (LONDON, utc(2026, 12, 3, 7, 59), "giffgaff", -1, "overdue"),
    (LOS_ANGELES, utc(2026, 11, 15, 7, 59), "cubacel", 22, "ok"),
    (LOS_ANGELES, utc(2026, 11, 15, 8, 0), "cubacel", 21, "due soon"),
]


@pytest.mark.parametrize(("tz", "now", "sim", "days_left", "status"), STATUS_CASES,
                         ids=[f"{c[2]}-{c[0].split('/')[1]}-{c[1]:%Y%m%dT%H%M}" for c in STATUS_CASES])
def test_status_counts_days_in_the_calendar_timezone(build, tmp_path, tz, now, sim, days_left, status):
    config = write_config(tmp_path / "status.toml", status_config(tz))
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    with time_machine.travel(now, tick=False):
        listed = {entry["id"]: entry for entry in client.get("/api/sims", headers=AUTH).get_json()}
    expected = {
        "giffgaff": {"id": "giffgaff", "name": "giffgaff", "last_renewal": "2026-06-02",
                     "deadline": "2026-12-02", "grace_until": None},
        "cubacel": {"id": "cubacel", "name": "Cubacel", "last_renewal": "2026-01-10",
                    "deadline": "2026-12-06", "grace_until": "2027-01-05"},
    }[sim]
    assert without_ledger(listed[sim]) == {**expected, "carrier": None, "country": None, "number": None,
                           "days_left": days_left, "status": status}


# --- GET /api/sims/<id>/renewals ------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_renewals_are_listed_newest_first_from_log_and_config(api):
    assert post(api, "cubacel", {"date": "2026-03-01", "amount": 10, "currency": "CUP"}).status_code == 201
    assert post(api, "cubacel", {"date": "2026-11-20", "method": "ussd"}).status_code == 201
    assert post(api, "cubacel", {"date": "2025-12-31", "reference": "OLD"}).status_code == 201
    assert post(api, "cubacel", {"date": "2026-01-10", "note": "same day"}).status_code == 201
    assert post(api, "giffgaff", {"date": "2026-11-21"}).status_code == 201

    response = api.get("/api/sims/cubacel/renewals", headers=AUTH)
    assert response.status_code == 200
    assert response.get_json() == [
        log_record(2, "cubacel", "2026-11-20", method="ussd"),
        log_record(1, "cubacel", "2026-03-01", amount="10", currency="CUP"),
        log_record(4, "cubacel", "2026-01-10", note="same day"),
        CUBACEL_CONFIG_RENEWAL,
        log_record(3, "cubacel", "2025-12-31", reference="OLD"),
    ]


def test_renewals_of_an_unknown_sim_is_404(api):
    response = api.get("/api/sims/nope/renewals", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "no SIM 'nope'"}


# --- POST /api/sims/<id>/renewals -----------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_post_stores_the_renewal_and_answers_with_the_new_deadline(api, database):
    body = {"date": "2026-11-20", "amount": 10, "currency": "gbp", "method": "App",
            "reference": " TXN-1 ", "note": "at the airport"}
    response = post(api, "giffgaff", body)
    assert response.status_code == 201
    # 2026-11-20 + 6 months = 2027-05-20.
    assert response.get_json() == {
        "renewal": log_record(1, "giffgaff", "2026-11-20", "10", "GBP", "app", "TXN-1", "at the airport"),
        "deadline": "2027-05-20",
    }
    assert response.headers["Location"] == "/api/renewals/1"
    assert "Idempotent-Replayed" not in response.headers
    assert rows(database) == [
        (1, "giffgaff", "2026-11-20", 10.0, "GBP", "app", "TXN-1", "at the airport", RECORDED_AT, "topup")]
    assert api.get("/api/renewals/1", headers=AUTH).get_json() == response.get_json()["renewal"]
    sims = {s["id"]: s for s in api.get("/api/sims", headers=AUTH).get_json()}
    # 6 days left of November, 31 + 31 + 28 + 31 + 30, and 20 of May: 177.
    assert without_ledger(sims["giffgaff"]) == {**GIFFGAFF, "last_renewal": "2026-11-20",
                                                "deadline": "2027-05-20", "days_left": 177, "status": "ok"}


@time_machine.travel(NOON, tick=False)
def test_post_with_an_empty_body_records_today(api, database):
    response = api.post("/api/sims/cubacel/renewals", headers=AUTH)
    assert response.status_code == 201
    # 2026-11-24 + 330 days: 6 to 2026-11-30, then 31 + 31 + 28 + 31 + 30 + 31 + 30 + 31 + 31 + 30 = 304
    # to 2027-09-30 (310 in all), and 20 more: 2027-10-20.
    assert response.get_json() == {"renewal": log_record(1, "cubacel", "2026-11-24"),
                                   "deadline": "2027-10-20"}
    assert post(api, "cubacel", {}).get_json()["renewal"]["date"] == "2026-11-24"
    assert post(api, "cubacel", {"amount": "", "note": "  "}).get_json()["renewal"] == log_record(
        3, "cubacel", "2026-11-24")


@time_machine.travel(NOON, tick=False)
def test_amount_zero_and_numeric_text_are_fine(api):
    assert post(api, "giffgaff", {"amount": 0}).get_json()["renewal"]["amount"] == "0"
    assert post(api, "giffgaff", {"amount": "9.99"}).get_json()["renewal"]["amount"] == "9.99"
    # Numeric, non-negative and beyond SQLite's 64-bit integers: kept as a float, not a 500.
    assert post(api, "giffgaff", {"amount": 2**63}).get_json()["renewal"]["amount"] == "9223372036854776000"


@time_machine.travel(NOON, tick=False)
def test_a_chunked_body_is_read_not_taken_for_an_empty_one(api, database):
    """gunicorn passes chunked bodies with no Content-Length; they must not record a bare 'today'."""
    response = api.post("/api/sims/giffgaff/renewals", data=b'{"date": "2026-11-01", "reference": "CH-1"}',
                        headers={**AUTH, "Transfer-Encoding": "chunked"}, content_type="application/json",
                        environ_overrides={"wsgi.input_terminated": True})
    assert response.status_code == 201
    assert response.get_json()["renewal"] == log_record(1, "giffgaff", "2026-11-01", reference="CH-1")


@time_machine.travel(NOON, tick=False)
def test_an_older_renewal_does_not_move_the_deadline(api):
    """The effective last renewal is the latest of the config's and the log's."""
    response = post(api, "giffgaff", {"date": "2026-05-01"})
    assert response.get_json()["deadline"] == "2026-12-02"
    assert without_ledger(api.get("/api/sims", headers=AUTH).get_json()[0]) == {**GIFFGAFF, "days_left": 8,
                                                                "status": "due soon"}
    # 2026-08-31 + 6 months is the last day of February: 2027-02-28, 6 + 31 + 31 + 28 = 96 days away.
    response = post(api, "giffgaff", {"date": "2026-08-31"})
    assert response.get_json()["deadline"] == "2027-02-28"
    giffgaff = without_ledger(api.get("/api/sims", headers=AUTH).get_json()[1])
    assert giffgaff == {**GIFFGAFF, "last_renewal": "2026-08-31", "deadline": "2027-02-28",
                        "days_left": 96, "status": "ok"}


# 23:30 UTC on 24 November is 07:30 on 25 November in Shanghai, still the 24th in London.
EDGE = datetime(2026, 11, 24, 23, 30, tzinfo=UTC)


@time_machine.travel(EDGE, tick=False)
def test_post_date_defaults_to_today_in_the_calendar_timezone(build, tmp_path):
    config = write_config(tmp_path / "sh.toml", BASIC.replace("Europe/London", "Asia/Shanghai"))
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    response = post(client, "giffgaff", {})
    # 2026-11-25 + 6 months = 2027-05-25.
    assert response.get_json() == {
        "renewal": log_record(1, "giffgaff", "2026-11-25", recorded_at="2026-11-24T23:30:00+00:00"),
        "deadline": "2027-05-25",
    }
    assert post(client, "giffgaff", {"date": "2026-11-25"}).status_code == 201
    tomorrow = post(client, "giffgaff", {"date": "2026-11-26"})
    assert tomorrow.status_code == 400
    assert tomorrow.get_json()["errors"] == {"date": '"2026-11-26" is after today (2026-11-25)'}


@time_machine.travel(EDGE, tick=False)
def test_the_same_instant_is_still_yesterday_in_london(api, database):
    response = post(api, "giffgaff", {"date": "2026-11-25"})
    assert response.status_code == 400
    assert response.get_json()["errors"] == {"date": '"2026-11-25" is after today (2026-11-24)'}
    assert post(api, "giffgaff", {}).get_json()["renewal"]["date"] == "2026-11-24"


BAD_BODIES = {
    "malformed": (b'{"date": "2026-11-20",', None),
    "array": (b'[{"date": "2026-11-20"}]', None),
    "null": (b"null", None),
    "string": (b'"2026-11-20"', None),
    "not-utf8": (b'{"note": "\xff"}', None),
    "unknown-field": ({"date": "2026-11-20", "colour": "red"}, {"colour": "unknown field"}),
    "unknown-fields": ({"sim_id": "cubacel", "id": 7}, {"sim_id": "unknown field", "id": "unknown field"}),
    "date-not-real": ({"date": "2026-02-30"}, {"date": '"2026-02-30" is not a real date'}),
    "date-words": ({"date": "yesterday"},
                   {"date": '"yesterday" must be a date as YYYY-MM-DD, like 2026-06-02'}),
    "date-tomorrow": ({"date": "2026-11-25"}, {"date": '"2026-11-25" is after today (2026-11-24)'}),
    "date-next-year": ({"date": "2027-01-01"}, {"date": '"2027-01-01" is after today (2026-11-24)'}),
    "date-with-time": ({"date": "2026-11-20T10:00"},
                       {"date": '"2026-11-20T10:00" must be a date as YYYY-MM-DD, like 2026-06-02'}),
    "date-number": ({"date": 20261120}, {"date": "20261120 must be a date as YYYY-MM-DD, like 2026-06-02"}),
    "amount-negative": ({"amount": -1}, {"amount": "-1 must be zero or more"}),
    "amount-negative-text": ({"amount": "-0.5"}, {"amount": "-0.5 must be zero or more"}),
    "amount-words": ({"amount": "ten"}, {"amount": '"ten" must be a number, like 10 or 9.99'}),
    "amount-bool": ({"amount": True}, {"amount": "True must be a number, like 10 or 9.99"}),
    "amount-list": ({"amount": [10]}, {"amount": "[10] must be a number, like 10 or 9.99"}),
    "amount-infinite": (b'{"amount": 1e999}', {"amount": "inf must be a finite number, like 10 or 9.99"}),
    "amount-nan": (b'{"amount": NaN}', {"amount": "nan must be a finite number, like 10 or 9.99"}),
    "amount-huge": ({"amount": 10**400}, {"amount": "1" + "0" * 56 + "... is too large"}),
    "currency-two": ({"currency": "GB"},
                     {"currency": '"GB" must be a three-letter currency code, like "GBP"'}),
    "currency-four": ({"currency": "GBPX"},
                      {"currency": '"GBPX" must be a three-letter currency code, like "GBP"'}),
    "currency-digit": ({"currency": "G8P"},
                       {"currency": '"G8P" must be a three-letter currency code, like "GBP"'}),
    "currency-number": ({"currency": 826}, {"currency": "826 must be a string in quotes"}),
    "method": ({"method": "bank"}, {"method": '"bank" must be one of app, web, ussd, shop, support, other'}),
    "kind": ({"kind": "voice"}, {"kind": '"voice" must be one of topup, call, sms, data'}),
    "kind-number": ({"kind": 1}, {"kind": "1 must be a string in quotes"}),
    "reference-long": ({"reference": "x" * 501}, {"reference": "must be at most 500 characters"}),
    "note-number": ({"note": 5}, {"note": "5 must be a string in quotes"}),
    "everything": (
        {"date": "yesterday", "amount": -5, "currency": "GB", "method": "bank", "reference": "",
         "colour": "red"},
        {"colour": "unknown field",
         "date": '"yesterday" must be a date as YYYY-MM-DD, like 2026-06-02',
         "amount": "-5 must be zero or more",
         "currency": '"GB" must be a three-letter currency code, like "GBP"',
         "method": '"bank" must be one of app, web, ussd, shop, support, other'},
    ),
}


@pytest.mark.parametrize("case", BAD_BODIES, ids=list(BAD_BODIES))
@time_machine.travel(NOON, tick=False)
def test_bad_input_is_400_naming_each_field_and_writes_nothing(api, database, case):
    assert post(api, "cubacel", {"date": "2026-11-01"}).status_code == 201
    before = log_summary(database)
    assert before == (1, 0, "1")

    body, errors = BAD_BODIES[case]
    response = post(api, "giffgaff", body, key="retry-1")
    assert response.status_code == 400
    if errors is None:
        assert response.get_json() == {"error": "the body must be a JSON object",
                                       "errors": {"body": "not a JSON object"}}
    else:
        assert response.get_json() == {"error": "the renewal was not stored", "errors": errors}
    assert log_summary(database) == before
    # The key of the refused request was not kept either: it is free for a good one.
    assert post(api, "giffgaff", {"date": "2026-11-02"}, key="retry-1").status_code == 201


@pytest.mark.parametrize("key", ["has space", "", "x" * 256, "naïve"], ids=["space", "empty", "long", "utf8"])
@time_machine.travel(NOON, tick=False)
def test_a_bad_idempotency_key_is_400(api, database, key):
    response = post(api, "giffgaff", {"date": "2026-11-20"}, key=key)
    assert response.status_code == 400
    assert response.get_json() == {"error": "bad Idempotency-Key",
                                   "errors": {"Idempotency-Key": "1 to 255 visible characters"}}
    assert log_summary(database) == (0, 0, "0")


@time_machine.travel(NOON, tick=False)
def test_post_to_an_unknown_sim_is_404(api, database):
    response = post(api, "nope", {"date": "2026-11-20"})
    assert response.status_code == 404
    assert response.get_json() == {"error": "no SIM 'nope'"}
    assert log_summary(database) == (0, 0, "0")


@time_machine.travel(NOON, tick=False)
def test_a_sim_that_left_the_config_keeps_its_renewals_but_takes_no_new_ones(api, config_path, database):
    stored = post(api, "cubacel", {"date": "2026-11-20", "amount": 10, "currency": "CUP", "reference": "T2"})
    assert stored.status_code == 201
    without_cubacel = BASIC[:BASIC.index('[[sim]]\nid = "cubacel"')]
    write_config(config_path, without_cubacel)

    listed = api.get("/api/sims/cubacel/renewals", headers=AUTH)
    assert listed.status_code == 200
    assert listed.get_json() == [log_record(1, "cubacel", "2026-11-20", "10", "CUP", reference="T2")]
    assert [s["id"] for s in api.get("/api/sims", headers=AUTH).get_json()] == ["giffgaff"]

    refused = post(api, "cubacel", {"date": "2026-11-21"})
    assert refused.status_code == 404
    assert refused.get_json() == {"error": "no SIM 'cubacel'"}
    assert rows(database) == [
        (1, "cubacel", "2026-11-20", 10.0, "CUP", None, "T2", None, RECORDED_AT, "topup")]
    assert log_summary(database) == (1, 0, "1")
    # An id never seen anywhere is still unknown.
    assert api.get("/api/sims/nope/renewals", headers=AUTH).status_code == 404


# --- Idempotency-Key ------------------------------------------------------------------------------


def test_a_retried_post_stores_nothing_new_and_answers_with_the_first(api, database):
    body = {"amount": 10, "currency": "GBP", "reference": "TXN-1"}
    with time_machine.travel(NOON, tick=False) as traveller:
        first = post(api, "giffgaff", body, key="retry-1")
        assert first.status_code == 201
        assert "Idempotent-Replayed" not in first.headers
        # The retry comes the next day, its keys in another order: still the same request.
        traveller.move_to(datetime(2026, 11, 25, 9, 0, tzinfo=UTC))
        again = post(api, "giffgaff", dict(reversed(body.items())), key="retry-1")
    assert again.status_code == 201
    assert again.headers["Idempotent-Replayed"] == "true"
    assert again.get_json() == first.get_json() == {
        "renewal": log_record(1, "giffgaff", "2026-11-24", "10", "GBP", reference="TXN-1"),
        "deadline": "2027-05-24",
    }
    assert again.headers["Location"] == first.headers["Location"] == "/api/renewals/1"
    assert log_summary(database) == (1, 1, "1")


@time_machine.travel(NOON, tick=False)
def test_the_same_key_with_a_different_body_is_422(api, database):
    body = {"date": "2026-11-20", "amount": 10}
    assert post(api, "giffgaff", body, key="retry-1").status_code == 201
    for sim, other in [("giffgaff", {**body, "amount": 11}), ("giffgaff", {"date": "2026-11-20"}),
                       ("cubacel", body)]:
        response = post(api, sim, other, key="retry-1")
        assert response.status_code == 422, (sim, other)
        assert response.get_json() == {"error": "this Idempotency-Key was used for a different request"}
    assert log_summary(database) == (1, 1, "1")
    # Another key is another request.
    assert post(api, "giffgaff", body, key="retry-2").get_json()["renewal"]["id"] == 2
    assert post(api, "giffgaff", body).get_json()["renewal"]["id"] == 3


# --- DELETE /api/renewals/<rid> -------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_delete_removes_a_mistaken_entry(api, database):
    assert post(api, "giffgaff", {"date": "2026-11-20"}).get_json()["deadline"] == "2027-05-20"
    assert post(api, "giffgaff", {"date": "2026-07-01"}).status_code == 201

    response = api.delete("/api/renewals/1", headers=AUTH)
    assert response.status_code == 204
    assert response.data == b""
    assert rows(database) == [
        (2, "giffgaff", "2026-07-01", None, None, None, None, None, RECORDED_AT, "topup")]
    # The deadline falls back to the next latest renewal: 2026-07-01 + 6 months.
    assert without_ledger(api.get("/api/sims", headers=AUTH).get_json()[1]) == {
        **GIFFGAFF, "last_renewal": "2026-07-01", "deadline": "2027-01-01", "days_left": 38, "status": "ok"}
    assert [r["id"] for r in api.get("/api/sims/giffgaff/renewals", headers=AUTH).get_json()] == [2, None]

    again = api.delete("/api/renewals/1", headers=AUTH)
    assert again.status_code == 404
    assert again.get_json() == {"error": "no renewal 1"}
    assert api.get("/api/renewals/1", headers=AUTH).status_code == 404
    assert api.delete("/api/renewals/999", headers=AUTH).status_code == 404
    assert log_summary(database) == (1, 0, "3")


@time_machine.travel(NOON, tick=False)
def test_delete_works_for_a_sim_that_left_the_config(api, config_path, database):
    assert post(api, "cubacel", {"date": "2026-11-20"}).status_code == 201
    write_config(config_path, BASIC[:BASIC.index('[[sim]]\nid = "cubacel"')])
    assert api.delete("/api/renewals/1", headers=AUTH).status_code == 204
    assert api.get("/api/sims/cubacel/renewals", headers=AUTH).status_code == 404
    assert rows(database) == []


# --- the feed after a change ----------------------------------------------------------------------


def test_a_recorded_renewal_changes_the_feed_on_the_next_request(api):
    with time_machine.travel(NOON, tick=False):
        first = api.get("/calendar.ics")
        one = api.get("/sims/giffgaff.ics")
        assert events(first.data)["giffgaff-deadline@simfeed"]["DTSTART"].dt == date(2026, 12, 2)
        assert post(api, "giffgaff", {"date": "2026-11-20", "amount": 10, "currency": "GBP",
                                      "method": "web", "reference": "TXN-9"}).status_code == 201
        second = api.get("/calendar.ics", headers={"If-None-Match": first.headers["ETag"]})
        one_after = api.get("/sims/giffgaff.ics", headers={"If-None-Match": one.headers["ETag"]})

    assert second.status_code == 200
    assert second.headers["ETag"] != first.headers["ETag"]
    assert one_after.status_code == 200
    assert one_after.headers["ETag"] != one.headers["ETag"]
    deadline = events(second.data)["giffgaff-deadline@simfeed"]
    assert deadline["DTSTART"].dt == date(2027, 5, 20)
    assert deadline["DTEND"].dt == date(2027, 5, 21)
    assert events(one_after.data)["giffgaff-deadline@simfeed"]["DTSTART"].dt == date(2027, 5, 20)
    assert str(deadline["DESCRIPTION"]) == (
        "Last renewed: 2026-11-20 (£10.00, by website, ref TXN-9).\n"
        "Before that: 2026-06-02.\n"
        "Rule: renew at least every 6 months (deadline 2027-05-20).\n"
        "Renew at: https://www.giffgaff.com/\n"
        "Carrier: giffgaff\n"
        "Number: ••0123"
    )
    # The other SIM is untouched.
    assert events(second.data)["cubacel-deadline@simfeed"]["DTSTART"].dt == date(2026, 12, 6)


def test_removing_a_renewal_changes_the_feed_back(api):
    with time_machine.travel(NOON, tick=False):
        before = api.get("/calendar.ics")
        post(api, "giffgaff", {"date": "2026-11-20"})
        during = api.get("/calendar.ics")
        assert api.delete("/api/renewals/1", headers=AUTH).status_code == 204
        after = api.get("/calendar.ics", headers={"If-None-Match": during.headers["ETag"]})
    assert after.status_code == 200
    # DTSTAMPs are per SIM: with the entry gone the feed is, to the byte, the one before.
    assert after.headers["ETag"] == before.headers["ETag"] != during.headers["ETag"]
    assert after.data == before.data
    assert events(after.data)["giffgaff-deadline@simfeed"]["DTSTART"].dt == date(2026, 12, 2)


@time_machine.travel(NOON, tick=False)
def test_the_deadline_description_lists_the_latest_three_renewals(api):
    for body in ({"date": "2026-03-01", "amount": 10, "currency": "CUP", "method": "app", "reference": "T2"},
                 {"date": "2026-11-20", "amount": 25.5, "currency": "cup", "method": "shop",
                  "reference": "T4", "note": "at the airport"},
                 {"date": "2026-06-15", "amount": 0, "currency": "CUP", "method": "ussd", "reference": "U3"}):
        assert post(api, "cubacel", body).status_code == 201
    deadline = events(api.get("/calendar.ics").data)["cubacel-deadline@simfeed"]
    # 2026-11-20 + 330 days = 2027-10-16 (four days before 2026-11-24 + 330 = 2027-10-20);
    # grace 30 days: 15 left of October and 15 of November, 2027-11-15.
    assert deadline["DTSTART"].dt == date(2027, 10, 16)
    assert str(deadline["DESCRIPTION"]) == (
        "Last renewed: 2026-11-20 (CUP\u00a025.50, by shop, ref T4, at the airport).\n"
        "Before that: 2026-06-15 (CUP\u00a00.00, by USSD code, ref U3); "
        "2026-03-01 (CUP\u00a010.00, by app, ref T2).\n"
        "Rule: renew at least every 330 days (deadline 2027-10-16).\n"
        f"From 2027-11-15: last day to recover (recovery: {GRACE_RECOVERY}).\n"
        "Number: ••4567"
    )
    stage = events(api.get("/calendar.ics").data)["cubacel-stage-0@simfeed"]
    assert stage["DTSTART"].dt == date(2027, 11, 15)
    assert str(stage["SUMMARY"]) == "Last day to recover: Cubacel ••4567"


TELLO = BASIC + shared_sim("tello")


@time_machine.travel(NOON, tick=False)
def test_a_renewal_has_a_kind_and_only_the_kinds_the_rule_counts_move_the_deadline(build, tmp_path, database):
    config = write_config(tmp_path / "sims.toml", TELLO)
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    # Tello counts top-ups only: a call is kept, and the deadline stays 2026-10-02 + 3 months.
    call = post(client, "tello", {"date": "2026-11-20", "kind": " Call "})
    assert call.status_code == 201
    assert call.get_json() == {"renewal": log_record(1, "tello", "2026-11-20", kind="call"),
                               "deadline": "2027-01-02"}
    tello = without_ledger(client.get("/api/sims", headers=AUTH).get_json()[2])
    # 6 days left of November, 31 of December and 2: 39, more than the 14-day alarm.
    assert tello == {"id": "tello", "name": "Tello", "carrier": None, "country": None, "number": None,
                     "last_renewal": "2026-11-20", "deadline": "2027-01-02", "grace_until": None,
                     "days_left": 39, "status": "ok"}
    # A top-up counts: 2026-11-21 + 3 months.
    topup = post(client, "tello", {"date": "2026-11-21", "kind": "topup"})
    assert topup.get_json()["deadline"] == "2027-02-21"
    # Every kind counts for giffgaff (no `counts`): a text moves its deadline, 2026-11-22 + 6 months.
    sms = post(client, "giffgaff", {"date": "2026-11-22", "kind": "sms"})
    assert sms.get_json() == {"renewal": log_record(3, "giffgaff", "2026-11-22", kind="sms"),
                              "deadline": "2027-05-22"}
    assert [row[-1] for row in rows(database)] == ["call", "topup", "sms"]
    # The config's bare last_renewal has no kind; the log's have theirs.
    listed = client.get("/api/sims/tello/renewals", headers=AUTH).get_json()
    assert [(r["date"], r["kind"]) for r in listed] == [
        ("2026-11-21", "topup"), ("2026-11-20", "call"), ("2026-10-02", None)]


EXPIRES = BASIC + """
[[sim]]
id = "plan"
name = "Data plan"
expires = 2027-01-31
"""


@time_machine.travel(NOON, tick=False)
def test_a_renewal_of_an_expires_sim_is_kept_but_does_not_move_the_expiry(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", EXPIRES)
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    before = client.get("/calendar.ics")

    response = post(client, "plan", {"date": "2026-11-20", "amount": 5, "currency": "eur", "method": "web",
                                     "reference": "P1"})
    assert response.status_code == 201
    assert response.get_json() == {
        "renewal": log_record(1, "plan", "2026-11-20", "5", "EUR", "web", "P1"), "deadline": "2027-01-31"}
    assert client.get("/api/sims/plan/renewals", headers=AUTH).get_json() == [
        log_record(1, "plan", "2026-11-20", "5", "EUR", "web", "P1")]
    plan = without_ledger(client.get("/api/sims", headers=AUTH).get_json()[2])
    # 6 days of November, 31 of December, 31 of January: 68.
    assert plan == {"id": "plan", "name": "Data plan", "carrier": None, "country": None, "number": None,
                    "last_renewal": "2026-11-20", "deadline": "2027-01-31", "grace_until": None,
                    "days_left": 68, "status": "ok"}

    after = client.get("/calendar.ics")
    assert after.headers["ETag"] != before.headers["ETag"], "the description changed"
    deadline = events(after.data)["plan-deadline@simfeed"]
    assert deadline["DTSTART"].dt == events(before.data)["plan-deadline@simfeed"]["DTSTART"].dt == date(
        2027, 1, 31)
    assert str(deadline["DESCRIPTION"]) == (
        "Last renewed: 2026-11-20 (€5.00, by website, ref P1).\n"
        "Rule: the plan expires on 2027-01-31."
    )


HISTORY = BASIC.replace('timezone = "Europe/London"', 'timezone = "Europe/London"\nhistory = true')


def history(body: bytes) -> dict[str, tuple[date, date, str]]:
    return {uid: (e["DTSTART"].dt, e["DTEND"].dt, str(e["SUMMARY"]))
            for uid, e in events(body).items() if "-renewal-" in uid}


@time_machine.travel(NOON, tick=False)
def test_history_has_one_past_event_per_renewal_with_stable_uids(build, tmp_path):
    config = write_config(tmp_path / "sims.toml", HISTORY)
    client = build(config, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    from_config = {
        "giffgaff-renewal-2026-06-02-1@simfeed": (date(2026, 6, 2), date(2026, 6, 3),
                                                  "Topped up giffgaff ••0123"),
        "cubacel-renewal-2026-01-10-1@simfeed": (date(2026, 1, 10), date(2026, 1, 11),
                                                 "Topped up Cubacel ••4567: CUP\u00a0100.00, by app, ref T1"),
    }
    assert history(client.get("/calendar.ics").data) == from_config

    assert post(client, "cubacel", {"date": "2026-11-20", "amount": 10, "currency": "CUP", "method": "app",
                                    "reference": "T2"}).status_code == 201
    first_log = {"cubacel-renewal-1@simfeed": (date(2026, 11, 20), date(2026, 11, 21),
                                               "Topped up Cubacel ••4567: CUP\u00a010.00, by app, ref T2")}
    body = client.get("/calendar.ics").data
    assert history(body) == {**from_config, **first_log}
    assert history(client.get("/calendar.ics").data) == history(body), "the same across requests"
    assert str(events(body)["cubacel-renewal-1@simfeed"]["DESCRIPTION"]) == (
        "Renewed on 2026-11-20 (CUP\u00a010.00, by app, ref T2).")

    # Another renewal, on the same day as the config's, leaves every existing UID as it was.
    assert post(client, "cubacel", {"date": "2026-01-10", "method": "shop"}).status_code == 201
    second_log = {"cubacel-renewal-2@simfeed": (date(2026, 1, 10), date(2026, 1, 11),
                                                "Topped up Cubacel ••4567: by shop")}
    assert history(client.get("/calendar.ics").data) == {**from_config, **first_log, **second_log}

    # And removing one leaves the others.
    assert client.delete("/api/renewals/1", headers=AUTH).status_code == 204
    assert history(client.get("/calendar.ics").data) == {**from_config, **second_log}
    assert history(client.get("/sims/cubacel.ics").data) == {
        "cubacel-renewal-2026-01-10-1@simfeed": from_config["cubacel-renewal-2026-01-10-1@simfeed"],
        **second_log}


@time_machine.travel(NOON, tick=False)
def test_without_history_there_are_no_past_events(api):
    post(api, "cubacel", {"date": "2026-11-20"})
    assert sorted(events(api.get("/calendar.ics").data)) == [
        "cubacel-deadline@simfeed", "cubacel-stage-0@simfeed", "giffgaff-deadline@simfeed"]


# --- where the log lives --------------------------------------------------------------------------


@time_machine.travel(NOON, tick=False)
def test_the_log_is_created_in_the_instance_folder_on_first_use(api, database):
    assert api.get("/healthz").status_code == 200
    assert database.exists()
    with closing(sqlite3.connect(database)) as db:
        assert db.execute("PRAGMA journal_mode").fetchone() == ("wal",)
        assert db.execute("PRAGMA user_version").fetchone() == (4,)
    post(api, "giffgaff", {})
    assert rows(database) == [
        (1, "giffgaff", "2026-11-24", None, None, None, None, None, RECORDED_AT, "topup")]


@pytest.mark.parametrize("source", ["setting", "environment"])
@time_machine.travel(NOON, tick=False)
def test_simfeed_database_moves_the_log(build, config_path, database, tmp_path, monkeypatch, source):
    elsewhere = tmp_path / "data" / "renewals.db"
    if source == "environment":
        monkeypatch.setenv("SIMFEED_DATABASE", str(elsewhere))
        client = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    else:
        client = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN, SIMFEED_DATABASE=str(elsewhere)).test_client()
    assert post(client, "giffgaff", {"date": "2026-11-20"}).status_code == 201
    assert rows(elsewhere) == [
        (1, "giffgaff", "2026-11-20", None, None, None, None, None, RECORDED_AT, "topup")]
    assert not database.exists()


def test_two_apps_on_one_log_see_each_others_renewals(build, config_path):
    """Like two gunicorn workers: a renewal recorded by one shows in the other's next response."""
    first = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    second = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()
    with time_machine.travel(NOON, tick=False):
        before = second.get("/calendar.ics")
        assert second.get("/api/sims", headers=AUTH).get_json()[0]["deadline"] == "2026-12-02"
        assert post(first, "giffgaff", {"date": "2026-11-20"}).status_code == 201
        assert second.get("/api/sims", headers=AUTH).get_json()[1]["deadline"] == "2027-05-20"
        after = second.get("/calendar.ics")
    assert after.headers["ETag"] != before.headers["ETag"]
    assert events(after.data)["giffgaff-deadline@simfeed"]["DTSTART"].dt == date(2027, 5, 20)


def test_zoneinfo_sanity_for_the_edge_cases():
    """The hand-worked local dates the timezone cases rely on."""
    assert EDGE.astimezone(ZoneInfo(SHANGHAI)).date() == date(2026, 11, 25)
    assert EDGE.astimezone(ZoneInfo(LONDON)).date() == date(2026, 11, 24)
    assert utc(2026, 12, 3, 7, 59).astimezone(ZoneInfo(LOS_ANGELES)).date() == date(2026, 12, 2)


def test_if_modified_since_matches_after_a_renewal(api):
    """The log's change time carries microseconds; Last-Modified must still match exactly."""
    assert post(api, "giffgaff", {"date": "2026-11-01"}).status_code == 201
    first = api.get("/calendar.ics")
    again = api.get("/calendar.ics", headers={"If-Modified-Since": first.headers["Last-Modified"]})
    assert again.status_code == 304


@pytest.mark.parametrize("method", ["get", "delete"])
def test_regression_a_renewal_id_beyond_sqlite_integers_is_404_not_500(api: FlaskClient, method: str) -> None:
    response = getattr(api, method)("/api/renewals/99999999999999999999", headers=AUTH)
    assert response.status_code == 404
    assert response.get_json() == {"error": "no renewal 99999999999999999999"}


def test_one_answer_works_from_one_config_even_when_the_file_changes_meanwhile(
        build: Callable[..., Flask], config_path: Path, monkeypatch: pytest.MonkeyPatch):
    """The request's config is the one the use case records against: a SIM the request found is not
    lost to a second look at a file that changed in between (that answered 500)."""
    app = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN)
    service = app.extensions["simfeed"]
    taken = service.snapshot()
    without = dataclasses.replace(taken, config=dataclasses.replace(taken.config, sims=()))
    seen: list[int] = []

    def changing() -> Any:  # the request's first look finds giffgaff; any later look does not
        seen.append(1)
        return taken if len(seen) == 1 else without

    monkeypatch.setattr(service, "snapshot", changing)
    answer = app.test_client().post("/api/sims/giffgaff/renewals", json={"date": "2026-11-20"}, headers=AUTH)
    assert answer.status_code == 201, answer.get_data(as_text=True)
    assert len(seen) == 1
