"""Real receivers on loopback for the reminders' tests: an HTTP endpoint for apprise's json://,
and an SMTP server (aiosmtpd) for mailto://. Each records what arrived, and the HTTP one can be
told to fail for a while, as a channel's service does."""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from email import message_from_bytes
from email.message import Message
from email.policy import default
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from aiosmtpd.controller import Controller

# How often a server's loop checks whether it is asked to stop: shutdown() waits for that check
# (every 0.5 s by default), which a test with five servers would spend doing nothing at its end.
# Not much shorter: each check takes the GIL from the test, and a year-long walk with five
# stand-ins took 20% longer at 20 ms.
POLL = 0.1


@contextmanager
def in_thread(handler: type[BaseHTTPRequestHandler]) -> Iterator[int]:
    """A server on a free loopback port, in a thread, for the `with` block; its port.

    Its end does not wait for answers still held back (a hanging gateway, a slow receiver): what
    they received is recorded before they wait.
    """
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, kwargs={"poll_interval": POLL}, daemon=True).start()
    try:
        yield server.server_address[1]
    finally:
        server.shutdown()
        server.server_close()


@dataclass
class HttpReceiver:
    """Messages POSTed by apprise's json:// plugin; `failing` answers 500 that many times.

    With `hold_at` = N, the N-th message is stored and then its answer withheld for a while
    (`held` is set): its sender is left waiting, as when it dies mid-send. With `slow` = s,
    every message is stored and answered s seconds later, as a slow service does.
    """

    port: int = 0
    received: list[dict[str, Any]] = field(default_factory=list)
    refused: int = 0
    failing: int = 0
    hold_at: int = 0
    slow: float = 0
    held: threading.Event = field(default_factory=threading.Event)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, path: str = "hook") -> str:
        return f"json://127.0.0.1:{self.port}/{path}"

    def titles(self) -> list[str]:
        with self._lock:
            return [m["title"] for m in self.received]


@contextmanager
def http_receiver() -> Iterator[HttpReceiver]:
    receiver = HttpReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver._lock:
                fail = receiver.failing > 0
                if fail:
                    receiver.failing -= 1
                    receiver.refused += 1
                else:
                    receiver.received.append({**json.loads(body), "path": self.path})
                hold = not fail and len(receiver.received) == receiver.hold_at
            if hold:
                receiver.held.set()
                time.sleep(20)
            time.sleep(receiver.slow)
            self.send_response(500 if fail else 200)
            self.send_header("Content-Length", "0")
            self.end_headers()

        def log_message(self, *args: Any) -> None:
            pass

    with in_thread(Handler) as receiver.port:
        yield receiver


@dataclass
class SmtpReceiver:
    """Mails delivered to the local SMTP server."""

    port: int = 0
    mails: list[Message] = field(default_factory=list)

    def url(self, to: str = "me@example.org") -> str:
        return f"mailto://127.0.0.1:{self.port}?from=simfeed@example.org&to={to}&mode=insecure"

    async def handle_DATA(self, server: Any, session: Any, envelope: Any) -> str:
        self.mails.append(message_from_bytes(envelope.content, policy=default))
        return "250 OK"


@contextmanager
def smtp_receiver() -> Iterator[SmtpReceiver]:
    from .helpers import free_port

    receiver = SmtpReceiver(port=free_port())
    controller = Controller(receiver, hostname="127.0.0.1", port=receiver.port)
    controller.start()
    try:
        yield receiver
    finally:
        controller.stop()
