"""HTTP behaviour of the feeds through Flask's test client."""

from __future__ import annotations

from pathlib import Path

import pytest
from icalendar import Calendar

from .conftest import BASIC, write_config

TOKEN = "s3cret-Token_1234-cTpVPs"


def events(body: bytes) -> list:
    return list(Calendar.from_ical(body).walk("VEVENT"))


def test_calendar_headers(client):
    response = client.get("/calendar.ics")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "text/calendar; charset=utf-8"
    etag = response.headers["ETag"]
    assert etag.startswith('"') and not etag.startswith("W/")
    # The config file's mtime (conftest: 1,780,000,000 = 2026-05-28 20:26:40 UTC), not the clock.
    assert response.headers["Last-Modified"] == "Thu, 28 May 2026 20:26:40 GMT"
    cache_control = response.headers["Cache-Control"]
    assert "max-age=21600" in cache_control and "public" in cache_control
    assert "Content-Disposition" not in response.headers
    assert response.data.startswith(b"BEGIN:VCALENDAR\r\n")


def test_repeated_requests_are_byte_identical(client):
    first, second = client.get("/calendar.ics"), client.get("/calendar.ics")
    assert first.data == second.data
    assert first.headers["ETag"] == second.headers["ETag"]


def test_if_none_match_gives_304(client):
    etag = client.get("/calendar.ics").headers["ETag"]
    response = client.get("/calendar.ics", headers={"If-None-Match": etag})
    assert response.status_code == 304
    assert response.data == b""
    assert response.headers["ETag"] == etag
    assert client.get("/calendar.ics", headers={"If-None-Match": '"other"'}).status_code == 200
    assert client.get("/calendar.ics", headers={"If-None-Match": "*"}).status_code == 304


def test_if_modified_since_only_on_exact_match(client):
    last_modified = client.get("/calendar.ics").headers["Last-Modified"]
    assert client.get("/calendar.ics", headers={"If-Modified-Since": last_modified}).status_code == 304
    # A later date would be a 304 for most servers; a file restored with an older
    # mtime must not freeze Apple subscribers, so only an exact match counts.
    later = "Fri, 29 May 2026 00:00:00 GMT"
    assert client.get("/calendar.ics", headers={"If-Modified-Since": later}).status_code == 200


def test_head(client):
    get = client.get("/calendar.ics")
    head = client.head("/calendar.ics")
    assert head.status_code == 200
    assert head.data == b""
    assert head.headers["ETag"] == get.headers["ETag"]
    assert head.headers["Content-Length"] == str(len(get.data))


def test_download(client):
    response = client.get("/calendar.ics?download=1")
    assert response.headers["Content-Disposition"] == 'attachment; filename="simfeed.ics"'
    one = client.get("/sims/cubacel.ics?download=1")
    assert one.headers["Content-Disposition"] == 'attachment; filename="cubacel.ics"'


def test_sim_feed(client):
    response = client.get("/sims/cubacel.ics")
    assert response.status_code == 200
    summaries = [str(e["SUMMARY"]) for e in events(response.data)]
    assert summaries == ["Renew Cubacel ••4567", "Last day to recover: Cubacel ••4567"]
    assert [str(e["UID"]) for e in events(response.data)] == ["cubacel-deadline@simfeed",
                                                              "cubacel-stage-0@simfeed"]
    calendar = Calendar.from_ical(response.data)
    assert str(calendar["X-WR-CALNAME"]) == "Test SIMs: Cubacel"
    assert response.headers["ETag"] != client.get("/calendar.ics").headers["ETag"]


@pytest.mark.parametrize("path", ["/sims/nope.ics", "/sims/.ics", "/sims/../config.ics", "/calendar.ic"],
                         ids=["unknown-id", "empty-id", "dotdot", "typo"])
def test_unknown_feed_is_404(client, path):
    response = client.get(path)
    assert response.status_code == 404
    assert b"Traceback" not in response.data


@pytest.fixture
def token_client(tmp_path: Path, make_app):
    path = write_config(tmp_path / "token.toml", BASIC.replace(
        'timezone = "Europe/London"', f'timezone = "Europe/London"\ntoken = "{TOKEN}"'))
    return make_app(path).test_client()


@pytest.mark.parametrize("path", ["/calendar.ics", "/sims/cubacel.ics"], ids=["all", "one"])
def test_token_required(token_client, path):
    assert token_client.get(path).status_code == 404
    assert token_client.get(f"{path}?token=wrong").status_code == 404
    assert token_client.get(f"{path}?token={TOKEN}x").status_code == 404
    assert token_client.get(f"{path}?token={TOKEN[:-1]}").status_code == 404
    ok = token_client.get(f"{path}?token={TOKEN}")
    assert ok.status_code == 200
    assert "private" in ok.headers["Cache-Control"]


def test_wrong_token_looks_like_unknown_url(token_client):
    wrong = token_client.get("/calendar.ics?token=wrong")
    unknown = token_client.get("/nothing-here.ics")
    assert (wrong.status_code, wrong.data) == (unknown.status_code, unknown.data)


def test_unknown_sim_with_token_is_404(token_client):
    assert token_client.get(f"/sims/nope.ics?token={TOKEN}").status_code == 404


def test_healthz(client):
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}


def test_healthz_needs_no_token_and_shows_no_data(token_client):
    response = token_client.get("/healthz")
    assert response.status_code == 200
    assert b"cubacel" not in response.data.lower()
