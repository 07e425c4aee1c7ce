"""Issue 15's slow clients, through the Procfile's own command: connections that dribble their
headers (more than the 8 threads the old gthread workers had) starve no feed, and the server
ends them itself. Behaviour only: the timeouts are generous, the speed is `make attack`'s.
"""

from __future__ import annotations

import socket
import threading
import time
import urllib.request
from collections.abc import Iterator
from urllib.parse import urlsplit

import pytest

from .conftest import BASIC, write_config
from .helpers import gunicorn

SLOW = 50  # beyond the 2 workers x 4 threads that a dribbling client could hold before


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, socket.socket]]:
    """The base URL, and a POST whose body stopped arriving, sent as soon as the server is up
    so that its wait for the body timeout overlaps the other test."""
    folder = tmp_path_factory.mktemp("slow")
    config = write_config(folder / "sims.toml", BASIC)
    with gunicorn(config, folder, folder / "gunicorn.log") as base, connect(base) as stalled:
        stalled.sendall(b"POST /signin HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 100\r\n"
                        b"Content-Type: application/x-www-form-urlencoded\r\n\r\ntoken=")
        yield base, stalled


def connect(base: str) -> socket.socket:
    address = urlsplit(base)
    return socket.create_connection((address.hostname, address.port), timeout=20)


def closed_by_server(sock: socket.socket) -> bytes:
    """Everything the server sent until it closed the connection (raises on the 20 s timeout)."""
    chunks = []
    try:
        while chunk := sock.recv(65536):
            chunks.append(chunk)
    except ConnectionResetError:
        pass
    return b"".join(chunks)


def test_dribbling_headers_starve_no_feed_and_are_cut_off(server: tuple[str, socket.socket]) -> None:
    base, _ = server
    slow = [connect(base) for _ in range(SLOW)]
    for sock in slow:
        sock.sendall(b"GET /calendar.ics HTTP/1.1\r\nHost: 127.0.0.1\r\n")
    stop = threading.Event()
    refused: set[int] = set()  # connections the server has closed: no more lines sent

    def dribble() -> None:
        """One more header line on each connection every half second, for up to 20 s."""
        deadline = time.monotonic() + 20
        number = 0
        while not stop.is_set() and time.monotonic() < deadline:
            number += 1
            for index, sock in enumerate(slow):
                if index not in refused:
                    try:
                        sock.sendall(f"X-Slow-{number}: 1\r\n".encode())
                    except OSError:
                        refused.add(index)
            stop.wait(0.5)

    dribbler = threading.Thread(target=dribble)
    dribbler.start()
    try:
        # A normal client meanwhile: answered (the generous timeout checks "answers", not speed).
        with urllib.request.urlopen(f"{base}/calendar.ics", timeout=10) as response:
            assert response.status == 200
            assert response.read().startswith(b"BEGIN:VCALENDAR")
        # Each dribbler is closed by the server, unanswered, though its header lines kept coming:
        # the time limit is on the whole request head, not on each read.
        assert [closed_by_server(sock) for sock in slow] == [b""] * SLOW
        assert dribbler.is_alive(), "the server must close them while they are still dribbling"
    finally:
        stop.set()
        dribbler.join()
        for sock in slow:
            sock.close()


def test_a_body_that_stops_arriving_gets_408_and_the_connection_ends(
        server: tuple[str, socket.socket]) -> None:
    _, stalled = server
    answer = closed_by_server(stalled)
    assert answer.startswith(b"HTTP/1.1 408 ")
    assert answer.endswith(b"\r\n\r\n408 Request Timeout: the request body stopped arriving\n")
