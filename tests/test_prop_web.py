"""Property-based, over HTTP: hostile text stays text in the page, the download header and the CSV export;
random requests never get a 500 nor a file from outside the app.
"""

from __future__ import annotations

import csv
import io
import re
import sqlite3
import tempfile
from collections.abc import Iterator
from contextlib import closing
from html.parser import HTMLParser
from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from flask.testing import FlaskClient
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st

from feed import create_app

from .conftest import BASIC, write_config
from .helpers import ADMIN_TOKEN, FEED_TOKEN, NAMED_TOKEN, Visitor, private_config
from .strategies import examples, hostile_text, toml_document
from .test_prop_feed import Expected, valid_configs

ADMIN = ADMIN_TOKEN
TEXT_KEYS = {"name", "carrier", "country", "how_to_renew", "notes", "status", "recovery", "note", "reference"}
FORMULA_START = ("=", "+", "-", "@", "\t", "\r", "\n")
CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Tags(HTMLParser):
    """The page's markup: each start tag with its attribute names, in order."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[tuple[str, tuple[str, ...]]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append((tag, tuple(sorted(name for name, _ in attrs))))


def markup(html: str) -> list[tuple[str, tuple[str, ...]]]:
    parser = Tags()
    parser.feed(html)
    parser.close()
    return parser.tags


def plain(value: Any, key: str | None = None) -> Any:
    """The same document with every free text replaced by "x": the page's markup must not change."""
    if isinstance(value, dict):
        return {k: plain(v, k) for k, v in value.items()}
    if isinstance(value, list):
        return [plain(v, key) for v in value]
    return "x" if isinstance(value, str) and key in TEXT_KEYS else value


class Site:
    """An app on a config document, in a folder of its own, signed in as the admin."""

    def __init__(self, folder: Path, doc: dict[str, Any]):
        doc = {**doc, "server": {"admin_token": ADMIN}}
        config = folder / "sims.toml"
        config.write_text(toml_document(doc), encoding="utf-8")
        self.app = create_app({"TESTING": True, "SIMFEED_CONFIG": str(config),
                               "SIMFEED_INSTANCE": str(folder / "instance")})
        self.client = self.app.test_client()
        assert Visitor(self.client).sign_in(ADMIN).status_code == 303

    def page(self, path: str) -> str:
        response = self.client.get(path)
        assert response.status_code == 200, (path, response.status_code)
        return response.get_data(as_text=True)

    def close(self) -> None:
        self.app.extensions["simfeed"].store.close()


@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_hostile_text_never_becomes_markup(case: tuple[dict[str, Any], dict[str, Expected]]) -> None:
    doc, expected = case
    with tempfile.TemporaryDirectory() as hostile_dir, tempfile.TemporaryDirectory() as plain_dir:
        hostile, benign = Site(Path(hostile_dir), doc), Site(Path(plain_dir), plain(doc))
        try:
            for path in ["/", *(f"/sims/{sim_id}" for sim_id in expected)]:
                page = hostile.page(path)
                assert markup(page) == markup(benign.page(path)), path
                assert "<script>alert" not in page
        finally:
            hostile.close()
            benign.close()


@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.too_slow])
@given(valid_configs())
def test_the_download_filename_is_the_ascii_id(case: tuple[dict[str, Any], dict[str, Expected]]) -> None:
    doc, expected = case
    doc = {**doc, "feed": [{"id": "mine", "name": doc["calendar"]["name"], "sims": sorted(expected)}]}
    with tempfile.TemporaryDirectory() as folder:
        site = Site(Path(folder), doc)
        try:
            paths = ["/calendar.ics", "/feeds/mine.ics", *(f"/sims/{sim_id}.ics" for sim_id in expected)]
            for path in paths:
                response = site.client.get(path, query_string={"download": "1"})
                assert response.status_code == 200
                disposition = response.headers["Content-Disposition"]
                assert re.fullmatch(r'attachment; filename="[a-z0-9-]{1,64}\.ics"', disposition), disposition
                assert disposition.isascii()
        finally:
            site.close()


@settings(max_examples=examples(25), suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(hostile_text(max_size=10), hostile_text(max_size=10)), min_size=1, max_size=5))
@example([("=HYPERLINK(\"http://x\")", "+1+1"), ("@SUM(1)", "-2"), ("\t=1", "\r=1"), ("a\nb,c\"d", "x"),
          ("paid\r=HYPERLINK(\"http://x\")", "0\r0"), ("\x1b[31m=", "'")])
def test_the_csv_export_never_starts_a_cell_with_a_formula(entries: list[tuple[str, str]]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = write_config(Path(folder) / "sims.toml", BASIC)
        app = create_app({"TESTING": True, "SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": folder,
                          "SIMFEED_ADMIN_TOKEN": ADMIN})
        client = app.test_client()
        stored = []
        for reference, note in entries:
            body = {"date": "2026-06-02", "reference": reference[:500], "note": note[:500]}
            response = client.post("/api/sims/giffgaff/renewals", json=body,
                                   headers={"Authorization": f"Bearer {ADMIN}"})
            if response.status_code == 201:
                stored.append(response.get_json()["renewal"])
        result = app.test_cli_runner().invoke(args=["renewals", "--format", "csv"])
        app.extensions["simfeed"].store.close()
    assert result.exit_code == 0, result.output
    rows = list(csv.DictReader(io.StringIO(result.output)))
    assert len(rows) == len(stored) + 2  # and the config's own: giffgaff's last_renewal, cubacel's top-up
    for row in rows:
        for value in row.values():
            assert not value.startswith(FORMULA_START), row
    by_id = {row["id"]: row for row in rows}
    for renewal in stored:
        row = by_id[str(renewal["id"])]
        for key in ("reference", "note"):
            # Control characters dropped (but tab and line feed), a CR written as a LF, then "'"
            # before a formula's first character.
            wanted = CONTROL.sub("", renewal[key].replace("\r\n", "\n").replace("\r", "\n"))
            assert row[key] == ("'" + wanted if wanted.startswith(FORMULA_START) else wanted)


# ------------------------------------------------------------------ random requests

SECRET_MARKER = "config-file-marker-7f3a"
FUZZ_CONFIG = private_config(f"# {SECRET_MARKER}")


@pytest.fixture(scope="module")
def fuzzed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Flask, FlaskClient, list[bytes]]]:
    """One app for every random request; and the bytes no answer may ever contain."""
    folder = tmp_path_factory.mktemp("fuzz")
    config = write_config(folder / "sims.toml", FUZZ_CONFIG)
    app = create_app({"TESTING": False, "SIMFEED_CONFIG": str(config), "SIMFEED_INSTANCE": str(folder / "i")})
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    secret_key = (folder / "i" / "secret_key").read_text().strip()
    forbidden = [SECRET_MARKER.encode(), ADMIN.encode(), FEED_TOKEN.encode(), NAMED_TOKEN.encode(),
                 secret_key.encode(), b"SQLite format 3", b"root:x:0:0", b"+44 7700 900123", b"7700 900123",
                 b"Traceback", b"File \"/"]
    yield app, client, forbidden
    app.extensions["simfeed"].store.close()


SEGMENTS = ["calendar.ics", "sims", "feeds", "giffgaff.ics", "giffgaff", "cubacel.ics", "family.ics",
            "static",
            "style.css", "copy.js", "api", "renewals", "1", "signin", "signout", "language", "en", "healthz",
            "favicon.ico", "..", "%2e%2e", "%2E%2E%2F", "..%2f", "%2f", "%00", "%ff", "%", ".", "", "etc",
            "passwd", "instance", "i", "secret_key", "sims.toml", "simfeed.sqlite3", "feed", "__init__.py",
            "..\\..", "~", "%c0%ae%c0%ae", "\u202e", "😀", "a" * 300, ".ics", "x.ics"]
# What can travel in a request: no lone surrogates; header values are latin-1 without line breaks.
WIRE_TEXT = st.text(st.characters(exclude_categories=("Cs",)), max_size=40)
LATIN1 = st.text(st.characters(max_codepoint=255, exclude_characters="\r\n"), max_size=40)
GARBAGE = st.sampled_from(
    ["", "*", "W/", '"', '"x", W/"y", *', "W/\"\"", "\x00", "Bearer", "Bearer ", f"Bearer {FEED_TOKEN}x",
     "Basic YWRtaW46YWRtaW4=", "gzip;q=nan", "gzip;q=1e999", "deflate, br, zstd, *;q=0", "zh-CN;q=2, *",
     "Thu, 01 Jan 1970 00:00:00 GMT", "Sun, 31 Dec 9999 23:59:59 GMT", "-1", "a" * 9000, "%00", "\u00ff",
     "bytes=0-", "bytes=99999999999999999999-", "application/json", "multipart/form-data; boundary=",
     "https", "https, http", "1.2.3.4, 5.6.7.8", "simfeed_session=garbage", "simfeed_session=.eJw.x.y"])
QUERY_VALUES = WIRE_TEXT | GARBAGE
HEADER_VALUES = LATIN1 | GARBAGE.filter(lambda v: v.isascii() or all(ord(c) < 256 for c in v))
HEADER_NAMES = ["If-None-Match", "If-Modified-Since", "Accept-Encoding", "Accept-Language", "Authorization",
                "Cookie", "Content-Type", "Range", "X-Forwarded-For", "X-Forwarded-Proto", "X-Forwarded-Host",
                "Referer", "Origin", "Content-Encoding", "Transfer-Encoding", "X-Http-Method-Override"]
METHODS = ["GET", "GET", "GET", "HEAD", "POST", "PUT", "DELETE", "PATCH", "OPTIONS", "TRACE", "PROPFIND"]


@st.composite
def requests(draw: st.DrawFn) -> dict[str, Any]:
    # "?" and "#" end a path; control characters never reach one (urlsplit drops some of them).
    free = st.text(st.characters(exclude_characters="?#/", exclude_categories=("Cs", "Cc")), max_size=12)
    path = "/" + "/".join(draw(st.lists(st.sampled_from(SEGMENTS) | free, min_size=1, max_size=5)))
    path = "/" + path.lstrip("/")  # the test client reads "//x" as a host
    query = draw(st.dictionaries(st.sampled_from(["token", "reminders", "download", "next", "lang"])
                                 | st.text(st.characters(exclude_categories=("Cs",)), max_size=6),
                                 QUERY_VALUES, max_size=3))
    headers = draw(st.dictionaries(st.sampled_from(HEADER_NAMES), HEADER_VALUES, max_size=4))
    body = draw(st.binary(max_size=200) | st.sampled_from([b"", b"{}", b"[]",
                                                         b"token=" + ADMIN.encode() + b"x",
                                                         b'{"date": "2026-01-01"}']))
    return {"method": draw(st.sampled_from(METHODS)), "path": path, "query_string": query,
            "headers": headers, "data": body}


def log_summary(app: Flask) -> tuple[int, str]:
    path = app.extensions["simfeed"].store.path
    with closing(sqlite3.connect(path)) as db:
        count = db.execute("SELECT count(*) FROM renewals").fetchone()[0]
        generation = db.execute("SELECT value FROM meta WHERE key = 'generation'").fetchone()[0]
    return count, generation


@settings(max_examples=examples(300), suppress_health_check=[HealthCheck.too_slow])
@given(requests())
@example({"method": "GET", "path": "/static/../../../../etc/passwd", "query_string": {}, "headers": {},
          "data": b""})
@example({"method": "GET", "path": "/static/%2e%2e/%2e%2e/instance/secret_key", "query_string": {},
          "headers": {}, "data": b""})
@example({"method": "GET", "path": "/api/renewals/99999999999999999999", "query_string": {},
          "headers": {"Authorization": "Bearer x"}, "data": b""})
@example({"method": "GET", "path": "/calendar.ics", "query_string": {"token": FEED_TOKEN + "x"},
          "headers": {"If-None-Match": '"' * 5000, "If-Modified-Since": "garbage"}, "data": b""})
def test_random_requests_never_500_nor_leak(fuzzed: tuple[Flask, FlaskClient, list[bytes]],
                                            request: dict[str, Any]) -> None:
    app, client, forbidden = fuzzed
    before = log_summary(app)
    with client.open(**request) as response:  # closed: a HEAD of a static file leaves it open
        body = response.get_data()
    assert response.status_code < 500, (response.status_code, body[:300])
    for secret in forbidden:
        assert secret not in body, secret
    for value in response.headers.values():
        assert ADMIN not in value and FEED_TOKEN not in value and NAMED_TOKEN not in value
    if response.mimetype == "text/html":
        assert "Content-Security-Policy" in response.headers
    assert log_summary(app) == before, "nothing is written without the admin token"


JSON_VALUES = st.recursive(st.none() | st.booleans() | st.integers() | st.floats() | WIRE_TEXT
                           | st.sampled_from(["2026-06-02", "9999-12-31", "0001-01-01", "2026-02-30", "GBP",
                                              "app", "call", "x" * 600, str(10**400)]),
                           lambda inner: st.lists(inner, max_size=3) | st.dictionaries(WIRE_TEXT, inner,
                                                                                         max_size=3),
                           max_leaves=8)
RENEWAL_BODIES = st.fixed_dictionaries({}, optional={key: JSON_VALUES for key in (
    "date", "kind", "amount", "currency", "method", "reference", "note")}) | JSON_VALUES


@settings(max_examples=examples(150), suppress_health_check=[HealthCheck.too_slow])
@given(st.sampled_from(METHODS), st.sampled_from(["/api/sims", "/api/sims/giffgaff/renewals",
                                                   "/api/sims/nope/renewals", "/api/renewals/1",
                                                   "/api/renewals/-1", "/api/renewals/99999999999999999999",
                                                   "/api/sims/giffgaff", "/api/renewals"]),
       RENEWAL_BODIES, st.none() | HEADER_VALUES)
def test_the_admin_api_never_500s_on_any_body(fuzzed: tuple[Flask, FlaskClient, list[bytes]], method: str,
                                              path: str, body: Any, key: str | None) -> None:
    """With the admin token: any JSON, any Idempotency-Key; the answer is 2xx or 4xx."""
    _, client, _ = fuzzed
    headers = {"Authorization": f"Bearer {ADMIN}"}
    if key is not None:
        headers["Idempotency-Key"] = key
    with client.open(path, method=method, json=body, headers=headers) as response:
        assert response.status_code < 500, (response.status_code, response.get_data()[:300])
