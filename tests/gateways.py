"""Stand-ins on loopback for the autopilot's gateways, each as its own documentation describes it.

SmsGate: SMS Gate for Android's local server (capcom6/android-sms-gateway, docs "Local Server
Mode" and "Status Tracking"): POST /message (and /messages, which the app also serves) with
Basic auth (user "sms"), {"textMessage": {"text"}, "phoneNumbers", "simNumber",
"withDeliveryReport"} -> 202 {"id", "state": "Pending", "recipients": [...]}; GET /message/{id}
-> the message's state. `script` says what each message goes through, one state per GET
("Pending", "Sent", "Delivered", "Failed"); `post` can be "error" (500), "hang" (no answer,
nothing taken) or "silent" (the message taken, as a phone that sends it, and no answer).
HomeAssistant: POST /api/services/notify/sms with a Bearer token, answering 200 and the changed
states ([]), or `status`. fake_command: a script put on PATH that records its arguments.
"""

from __future__ import annotations

import base64
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any

from .receivers import in_thread

PASSWORD = "gw-s3cret-pa55"
TOKEN = "ha-l0ng-lived-t0ken-s3cret"


@dataclass
class SmsGate:
    """What the phone received and how it answers."""

    port: int = 0
    script: list[str] = field(default_factory=lambda: ["Sent", "Delivered"])
    post: str = "ok"
    messages: dict[str, dict[str, Any]] = field(default_factory=dict)
    polls: dict[str, int] = field(default_factory=dict)
    unauthorized: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)

    def url(self, password: str = PASSWORD) -> str:
        return f"http://sms:{password}@127.0.0.1:{self.port}"

    def sent(self) -> list[dict[str, Any]]:
        with self._lock:
            return list(self.messages.values())


def _json(handler: BaseHTTPRequestHandler, status: int, body: Any) -> None:
    raw = json.dumps(body).encode()
    handler.send_response(status)
    handler.send_header("Content-Type", "application/json")
    handler.send_header("Content-Length", str(len(raw)))
    handler.end_headers()
    handler.wfile.write(raw)


class Quiet(BaseHTTPRequestHandler):
    """A handler that keeps the test output clean."""

    def log_message(self, *args: Any) -> None:
        pass


@contextmanager
def sms_gate() -> Iterator[SmsGate]:
    gate = SmsGate()

    class Handler(Quiet):
        def _authorized(self) -> bool:
            expected = "Basic " + base64.b64encode(f"sms:{PASSWORD}".encode()).decode()
            if self.headers.get("Authorization") == expected:
                return True
            with gate._lock:
                gate.unauthorized += 1
            _json(self, 401, {"message": "Unauthorized"})
            return False

        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.path.split("?")[0] not in ("/message", "/messages") or not self._authorized():
                if self.path.split("?")[0] not in ("/message", "/messages"):
                    _json(self, 404, {"message": "Not Found"})
                return
            if gate.post == "hang":
                time.sleep(30)
                return
            if gate.post == "error":
                _json(self, 500, {"message": "SMS service unavailable"})
                return
            with gate._lock:
                message_id = body.get("id") or f"msg{len(gate.messages) + 1:04d}"
                gate.messages[message_id] = {**body, "at": time.time()}
                gate.polls[message_id] = 0
            if gate.post == "silent":
                time.sleep(30)
                return
            recipients = [{"phoneNumber": n, "state": "Pending", "error": None} for n in body["phoneNumbers"]]
            _json(self, 202, {"id": message_id, "state": "Pending", "recipients": recipients,
                              "isEncrypted": False, "states": {"Pending": "2026-01-01T00:00:00Z"}})

        def do_GET(self) -> None:
            parts = self.path.strip("/").split("/")
            if len(parts) != 2 or parts[0] not in ("message", "messages"):
                _json(self, 404, {"message": "Not Found"})
                return
            if not self._authorized():
                return
            with gate._lock:
                message = gate.messages.get(parts[1])
                if message is None:
                    _json(self, 404, {"message": "Not Found"})
                    return
                step = gate.polls[parts[1]]
                gate.polls[parts[1]] = step + 1
                state = gate.script[min(step, len(gate.script) - 1)] if gate.script else "Pending"
            error = "RESULT_ERROR_GENERIC_FAILURE" if state == "Failed" else None
            _json(self, 200, {"id": parts[1], "state": state, "isEncrypted": False, "isHashed": False,
                              "recipients": [{"phoneNumber": n, "state": state, "error": error}
                                             for n in message["phoneNumbers"]]})

    with in_thread(Handler) as gate.port:
        yield gate


@dataclass
class HomeAssistant:
    """Service calls Home Assistant received; `status` is what it answers (0: it takes the call, then
    never answers)."""

    port: int = 0
    calls: list[dict[str, Any]] = field(default_factory=list)
    status: int = 200

    def url(self, token: str = TOKEN) -> str:
        return f"http://{token}@127.0.0.1:{self.port}"


@contextmanager
def home_assistant() -> Iterator[HomeAssistant]:
    ha = HomeAssistant()

    class Handler(Quiet):
        def do_POST(self) -> None:
            body = json.loads(self.rfile.read(int(self.headers.get("Content-Length", 0))) or b"{}")
            if self.headers.get("Authorization") != f"Bearer {TOKEN}":
                _json(self, 401, {"message": "401: Unauthorized"})
                return
            if ha.status not in (0, 200):
                _json(self, ha.status, {"message": "Service not found."})
                return
            ha.calls.append({**body, "path": self.path})
            if ha.status == 0:
                time.sleep(30)
                return
            _json(self, 200, [])

    with in_thread(Handler) as ha.port:
        yield ha


def fake_command(folder: Path, name: str = "fake-inject") -> tuple[Path, Path]:
    """A script `name` in `folder` (to put on PATH) that appends its arguments, one JSON list a line,
    to calls.jsonl, and fails (exit 3) while a file `fail` holds a positive count (one less each time)."""
    folder.mkdir(parents=True, exist_ok=True)
    calls, fail = folder / "calls.jsonl", folder / "fail"
    script = folder / name
    script.write_text(f"""#!/usr/bin/env python3
import json, sys
from pathlib import Path
fail = Path({str(fail)!r})
left = int(fail.read_text() or 0) if fail.exists() else 0
if left > 0:
    fail.write_text(str(left - 1))
    print("modem not answering", file=sys.stderr)
    sys.exit(3)
with open({str(calls)!r}, "a") as out:
    out.write(json.dumps(sys.argv[1:]) + "\\n")
""")
    script.chmod(0o755)
    return calls, fail
