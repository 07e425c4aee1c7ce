"""Issue 21: a request body larger than any form or API call is refused (413) before it is read."""

from __future__ import annotations

import socket
import time
from pathlib import Path

import pytest

from feed.web.bodies import EDITOR_LIMIT, FORM_LIMIT

from .conftest import BASIC, write_config
from .helpers import ADMIN_TOKEN, Visitor, gunicorn

ADMIN = f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n'
AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def site(serve):
    return serve(BASIC + ADMIN)


def test_a_form_larger_than_any_form_is_refused_413_on_the_page(site):
    response = site.post("/signin", data={"token": "x" * (FORM_LIMIT + 1)})
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    assert "too large" in response.get_data(as_text=True)


def test_an_api_body_larger_than_any_call_is_refused_413_in_json(site):
    body = '{"notes": "' + "x" * FORM_LIMIT + '"}'
    response = site.post("/api/sims/giffgaff/renewals", data=body, headers=AUTH,
                         content_type="application/json")
    assert response.status_code == 413
    assert response.is_json and "error" in response.get_json()


def test_the_editor_still_saves_a_sim_with_long_notes(site):
    """Notes of 60,000 Chinese characters (540 kB percent-encoded): more than any form elsewhere may send."""
    visitor = Visitor(site)
    visitor.sign_in()
    page = visitor.html("/sims/giffgaff/edit")
    notes = "长" * 60_000
    data = {"csrf_token": visitor.hidden(page, "csrf_token"), "digest": visitor.hidden(page, "digest"),
            "name": "giffgaff", "id": "giffgaff", "number": "+44 7700 900123", "rule": "keep_alive",
            "keep_alive": "6 months", "last_renewal": "2026-06-02", "notes": notes, "save": "1"}
    from urllib.parse import urlencode

    assert FORM_LIMIT < len(urlencode(data).encode()) < EDITOR_LIMIT
    response = site.post("/sims/giffgaff/edit", data=data)
    assert response.status_code == 303, response.get_data(as_text=True)[-2000:]
    assert notes in Path(site.application.config["SIMFEED_CONFIG"]).read_text(encoding="utf-8")


def _status_line(sock: socket.socket) -> bytes:
    received = b""
    while b"\r\n" not in received:
        chunk = sock.recv(4096)
        assert chunk, received
        received += chunk
    return received.split(b"\r\n", 1)[0]


def _server_closes(sock: socket.socket, limit_s: float = 60) -> bool:
    """Keep sending body bytes until the server ends the connection (it stopped reading), or the limit."""
    deadline = time.monotonic() + limit_s
    sock.settimeout(0.2)
    while time.monotonic() < deadline:
        try:
            sock.sendall(b"x" * 1024)
            if sock.recv(4096) == b"":
                return True
        except TimeoutError:
            continue
        except (BrokenPipeError, ConnectionResetError):
            return True
    return False


@pytest.mark.parametrize(("path", "status"), [
    ("/signin", 413), ("/api/sims/giffgaff/renewals", 413),
    ("/sims/giffgaff/edit", 403),  # signed out: refused before the form is read
], ids=["form", "api", "editor-signed-out"])
def test_gunicorn_answers_a_1gb_post_without_reading_it(tmp_path: Path, path: str, status: int) -> None:
    """Only the headers are sent: a worker that read the body would wait for it, not answer."""
    config = write_config(tmp_path / "sims.toml", BASIC + ADMIN)
    log = tmp_path / "gunicorn.log"
    with gunicorn(config, tmp_path, log) as base:
        port = int(base.rsplit(":", 1)[1])
        with socket.create_connection(("127.0.0.1", port), timeout=60) as sock:
            sock.sendall(f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: Bearer {ADMIN_TOKEN}\r\n"
                         "Content-Type: application/x-www-form-urlencoded\r\n"
                         "Content-Length: 1000000000\r\n\r\n".encode())
            assert _status_line(sock).startswith(f"HTTP/1.1 {status} ".encode())
            assert _server_closes(sock), "the worker kept reading the refused body"
    assert "connection closed: 1000000000 bytes of a refused body left unread" in log.read_text()
