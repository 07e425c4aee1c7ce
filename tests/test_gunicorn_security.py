"""Issue 7 through the Procfile's own command: no token in any log, nothing echoed by gunicorn's own
error answers, debug mode off whatever FLASK_DEBUG says, guessers refused.
"""

from __future__ import annotations

import socket
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from feed.web.throttle import LIMIT

from .conftest import write_config
from .helpers import ROOT, env_for, free_port, procfile_command, stop
from .test_security import ADMIN, NAMED, PRIVATE, TOKEN


@dataclass
class Server:
    base: str
    port: int
    log: Path

    def get(self, path: str, **headers: str) -> tuple[int, dict[str, str], bytes]:
        request = urllib.request.Request(self.base + path, headers=headers)
        try:
            with urllib.request.urlopen(request, timeout=10) as response:
                return response.status, dict(response.headers), response.read()
        except urllib.error.HTTPError as error:
            with error:
                return error.code, dict(error.headers), error.read()

    def status_or_none(self, path: str) -> int | None:
        """The status, or None while nothing listens yet."""
        try:
            return self.get(path)[0]
        except OSError:
            return None

    def raw(self, data: bytes) -> bytes:
        """Bytes straight onto the socket, for requests no client library would send."""
        with socket.create_connection(("127.0.0.1", self.port), timeout=10) as sock:
            sock.sendall(data)
            chunks = []
            while chunk := sock.recv(65536):
                chunks.append(chunk)
        return b"".join(chunks)


@contextmanager
def serving(tmp_path: Path, config_text: str, **env: str) -> Iterator[Server]:
    """The Procfile's command on a free loopback port; its whole output (both logs) in a file."""
    config = write_config(tmp_path / "sims.toml", config_text)
    log = tmp_path / "gunicorn.log"
    port = free_port()
    full = {**env_for(config, tmp_path, port), **env}
    with log.open("wb") as out:
        process = subprocess.Popen(procfile_command(), cwd=ROOT, env=full, stdout=out,
                                   stderr=subprocess.STDOUT)
    server = Server(f"http://127.0.0.1:{port}", port, log)
    try:
        deadline = time.monotonic() + 20
        while server.status_or_none("/static/style.css") is None:
            assert process.poll() is None, log.read_text()
            assert time.monotonic() < deadline, "gunicorn did not start"
            time.sleep(0.1)
        yield server
    finally:
        stop(process, 15)


def test_no_token_reaches_any_log(tmp_path: Path) -> None:
    with serving(tmp_path, PRIVATE) as server:
        assert server.get(f"/calendar.ics?token={TOKEN}")[0] == 200
        assert server.get(f"/calendar.ics?token={TOKEN}x")[0] == 404
        assert server.get(f"/feeds/family.ics?token={NAMED}&download=1")[0] == 200
        assert server.get("/api/sims", Authorization=f"Bearer {ADMIN}")[0] == 200
        assert server.get("/api/sims", Authorization=f"Bearer {ADMIN}x")[0] == 401
        # Requests gunicorn itself refuses, and logs: a bad request line, a bad header, a huge header.
        for request in (f"GET /calendar.ics?token={TOKEN} HTTP/1.1 extra\r\n\r\n".encode(),
                        f"GET /calendar.ics?token={TOKEN} HTTP/1.1\r\nBad Header: {ADMIN}\r\n\r\n".encode(),
                        f"GET /feeds/family.ics?token={NAMED} HTTP/1.1\r\nHost: x\r\nX-Big: {'a' * 9000}"
                        "\r\n\r\n".encode(),
                        f"GET /calendar.ics?token={TOKEN}\x00 HTTP/1.1\r\n\r\n".encode()):
            answer = server.raw(request)
            head = answer.partition(b"\r\n\r\n")[0]
            assert answer.startswith(b"HTTP/1.1 4"), answer[:100]
            assert b"X-Content-Type-Options: nosniff" in head and b"text/plain" in head
            for secret in (TOKEN, NAMED, ADMIN):
                assert secret.encode() not in answer
        # Paths that climb out of the static folder, sent as they are (no client would).
        for path in ("/static/../../../../../../etc/passwd", "/static/%2e%2e/%2e%2e/gunicorn.conf.py",
                     "/static/..%2f..%2finstance/secret_key", "/static/%2e%2e%5c%2e%2e%5cProcfile",
                     "/..%2f..%2f..%2fetc/passwd", "/static//etc/passwd"):
            answer = server.raw(f"GET {path} HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n".encode())
            assert answer.startswith((b"HTTP/1.1 404", b"HTTP/1.1 400", b"HTTP/1.1 308")), (path, answer[:40])
            assert b"root:x:0:0" not in answer and b"preload_app" not in answer and b"web:" not in answer
    text = server.log.read_text()
    assert 'GET /calendar.ics HTTP/1.1" 200' in text and 'GET /calendar.ics HTTP/1.1" 404' in text
    assert "Invalid request from ip=127.0.0.1" in text and "token=[redacted]" in text
    for secret in (TOKEN, NAMED, ADMIN):
        assert secret not in text, secret


def test_debug_mode_is_off_under_gunicorn_even_with_flask_debug(tmp_path: Path) -> None:
    # The renewal log, migrated at start-up, then overwritten with bytes that are no database:
    # every feed request fails inside the app.
    log = tmp_path / "log.sqlite3"
    with serving(tmp_path, PRIVATE, FLASK_DEBUG="1", SIMFEED_DATABASE=str(log)) as server:
        for path in tmp_path.glob("log.sqlite3*"):
            path.unlink()
        log.write_bytes(b"not a database " * 100)
        status, headers, body = server.get(f"/calendar.ics?token={TOKEN}")
    # Flask's own 500 (debug would propagate the exception to gunicorn, which answers by itself
    # and logs the request line, token included), with every header of an HTML page.
    assert status == 500
    assert b"Internal Server Error" in body and b"Traceback" not in body and TOKEN.encode() not in body
    assert "frame-ancestors 'none'" in headers["Content-Security-Policy"]
    assert headers["X-Content-Type-Options"] == "nosniff"
    text = server.log.read_text()
    assert "Exception on /calendar.ics [GET]" in text
    assert "Error handling request" not in text
    assert TOKEN not in text


def test_guessers_get_429_from_a_gunicorn_worker(tmp_path: Path) -> None:
    with serving(tmp_path, PRIVATE, WEB_CONCURRENCY="1") as server:
        for _ in range(LIMIT):
            assert server.get("/calendar.ics?token=guess")[0] == 404
        status, headers, _ = server.get(f"/calendar.ics?token={TOKEN}")
        assert status == 429 and 0 < int(headers["Retry-After"]) <= 60
        assert server.get("/healthz")[0] == 200
