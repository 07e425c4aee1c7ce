"""The feed cache: reassembled feeds equal whole ones, unchanged SIMs are not serialised again,
and gzip is made once per build."""

from __future__ import annotations

import gzip
from datetime import UTC, datetime

import time_machine
from icalendar import Calendar

from feed.calendar import builder, cache
from feed.config.load import parse_toml
from feed.core.deadlines import deadline_for

from .conftest import BASIC, write_config

ADMIN = {"Authorization": "Bearer admin-token-1234-yc7WHcp"}
NOON = datetime(2026, 11, 24, 12, tzinfo=UTC)


def test_a_reassembled_feed_is_the_same_bytes_as_one_calendar_serialised_whole():
    text = BASIC.replace('timezone = "Europe/London"',
                         'timezone = "Europe/London"\nhistory = true\ncolor = "teal"')
    config = parse_toml(text, "t.toml", datetime(2026, 5, 28, tzinfo=UTC))
    whole = Calendar.from_ical(builder.calendar_shell(config))
    for sim in config.sims:
        for event in builder.sim_events(deadline_for(sim, config.calendar), config, "both"):
            whole.add_component(event)
        for event in builder.history_events(sim, config.modified):
            whole.add_component(event)
    assert builder.render(config, reminders="both") == whole.to_ical()


def counting_blocks(monkeypatch) -> list[str]:
    made: list[str] = []
    real = cache.sim_block

    def spy(sim, config, reminders, stamp):
        made.append(sim.id)
        return real(sim, config, reminders, stamp)

    monkeypatch.setattr(cache, "sim_block", spy)
    return made


@time_machine.travel(NOON, tick=False)
def test_a_renewal_serialises_only_its_sim_again(make_app, config_path, monkeypatch):
    client = make_app(config_path, SIMFEED_ADMIN_TOKEN=ADMIN["Authorization"][7:]).test_client()
    made = counting_blocks(monkeypatch)
    first = client.get("/calendar.ics").data
    assert sorted(made) == ["cubacel", "giffgaff"]
    made.clear()
    posted = client.post("/api/sims/giffgaff/renewals", json={"date": "2026-11-20"}, headers=ADMIN)
    assert posted.status_code == 201
    second = client.get("/calendar.ics").data
    assert made == ["giffgaff"]
    assert second != first
    # The untouched SIM's events are the same bytes, DTSTAMP included.
    cubacel = [e for e in Calendar.from_ical(first).walk("VEVENT") if "cubacel" in str(e["UID"])]
    assert all(e.to_ical() in second for e in cubacel)


def test_an_edit_serialises_only_the_edited_sim_again(client, config_path, monkeypatch):
    made = counting_blocks(monkeypatch)
    client.get("/calendar.ics")
    made.clear()
    write_config(config_path, BASIC.replace('name = "Cubacel"', 'name = "Cubacel (CU)"'), mtime=1_780_000_500)
    body = client.get("/calendar.ics").data
    assert made == ["cubacel"]
    stamps = {str(e["UID"]): e["DTSTAMP"].dt for e in Calendar.from_ical(body).walk("VEVENT")}
    # conftest's mtime for giffgaff's untouched definition; the edit's for cubacel.
    assert stamps["giffgaff-deadline@simfeed"] == datetime.fromtimestamp(1_780_000_000, UTC)
    assert stamps["cubacel-deadline@simfeed"] == datetime.fromtimestamp(1_780_000_500, UTC)


def test_every_worker_gives_an_edited_sim_the_same_stamp(make_app, config_path):
    """Two workers (two apps on one database) see the edit at different times, and agree."""
    first, second = make_app(config_path).test_client(), make_app(config_path).test_client()
    first.get("/calendar.ics")
    write_config(config_path, BASIC.replace('name = "Cubacel"', 'name = "Cubacel (CU)"'), mtime=1_780_000_500)
    a = first.get("/calendar.ics")
    write_config(config_path, BASIC.replace('name = "Cubacel"', 'name = "Cubacel (CU)"'), mtime=1_780_000_900)
    b = second.get("/calendar.ics")
    assert a.data == b.data


def test_gzip_is_served_to_clients_that_ask_and_made_once(client):
    plain = client.get("/calendar.ics")
    packed = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip, deflate"})
    assert packed.headers["Content-Encoding"] == "gzip"
    assert gzip.decompress(packed.data) == plain.data
    assert packed.headers["Vary"] == plain.headers["Vary"] == "Accept-Encoding"
    # Each encoding its own strong ETag; either proves the client current.
    assert packed.headers["ETag"] == plain.headers["ETag"][:-1] + '-gzip"'
    for etag in (plain.headers["ETag"], packed.headers["ETag"]):
        assert client.get("/calendar.ics", headers={"If-None-Match": etag}).status_code == 304
    again = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip"})
    assert again.data == packed.data
    refused = client.get("/calendar.ics", headers={"Accept-Encoding": "gzip;q=0, identity"})
    assert "Content-Encoding" not in refused.headers and refused.data == plain.data


def test_a_304_carries_the_caching_headers(client):
    """RFC 9110 15.4.5: the ETag, Cache-Control and Vary a 200 would have carried."""
    plain = client.get("/calendar.ics")
    again = client.get("/calendar.ics", headers={"If-None-Match": plain.headers["ETag"]})
    assert again.status_code == 304
    for name in ("ETag", "Cache-Control", "Vary"):
        assert again.headers[name] == plain.headers[name]
