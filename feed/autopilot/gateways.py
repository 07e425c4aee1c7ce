"""Sending the keep-alive text through a [[gateway]], and asking it what became of the text.

Each kind as its own documentation describes it:
- sms-gate: SMS Gate for Android's local server (capcom6/android-sms-gateway), through its
  maintainers' Python client (android-sms-gateway): POST /messages with Basic auth, the text,
  the number and `simNumber`; GET /messages/{id} answers Pending, Processed, Sent, Delivered
  or Failed.
- home-assistant: a service call, POST /api/services/notify/sms with a long-lived token as
  Bearer, {"message": …, "target": …}; a 200 means Home Assistant took it (sent).
- command: an argv with {to}, {text} and {slot} filled in, run without a shell; exit 0 = sent.
- apprise: the gateway's apprise URL with {to} filled in; apprise's True = sent.
A gateway that took the request and then did not answer may have sent the text: GatewayError
says so (`maybe_sent`), and the runner never sends that text again. Every error is scrubbed of
the URL's secrets and of the number before it is stored or shown.
"""

from __future__ import annotations

import subprocess
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

import httpx
from android_sms_gateway import client, domain
from android_sms_gateway.errors import APIError
from android_sms_gateway.http import HttpxHttpClient

from ..core.model import Autopilot, Gateway
from ..reminders import channels

# How long one call to a gateway may take (connecting, and each read), in seconds.
TIMEOUT = 20.0
# A command (gammu-smsd-inject queues the text and returns) gets longer.
COMMAND_TIMEOUT = 120.0
# What a gateway reports of a text, in simfeed's words.
PENDING, SENT, DELIVERED, FAILED = "pending", "sent", "delivered", "failed"
# httpx's errors once the whole request was written: the gateway may have acted on it. Refused or
# timed-out connections, unreadable addresses, TLS failures and error answers surely sent nothing.
_AFTER_THE_REQUEST = (httpx.ReadTimeout, httpx.ReadError, httpx.RemoteProtocolError)
# What a GatewayError built from one of those says besides the error itself.
MAYBE_SENT = "no answer after it took the request, so the text may have been sent"
_SMS_GATE_STATES = {"Pending": PENDING, "Processed": PENDING, "Sent": SENT, "Delivered": DELIVERED,
                    "Failed": FAILED, "Cancelling": FAILED, "Cancelled": FAILED}


class GatewayError(RuntimeError):
    """The gateway could not be reached or refused the text; the message holds no secret.

    `maybe_sent` when the gateway had the whole request and may have sent the text all the
    same (it did not answer in time, or dropped the connection before answering): such a text
    is never sent again, since a second one costs money and a refused one is retried.
    """

    def __init__(self, message: str, maybe_sent: bool = False):
        super().__init__(message)
        self.maybe_sent = maybe_sent


@dataclass(frozen=True)
class Report:
    """What the gateway said of a text: its id there (if it has ids) and its state."""

    message_id: str | None
    state: str
    error: str | None = None


def _split(url: str) -> tuple[str, str | None, str | None]:
    """A URL without its credentials, and the user and password it carried."""
    parts = urlsplit(url)
    host = parts.hostname or ""
    netloc = f"[{host}]" if ":" in host else host
    if parts.port:
        netloc += f":{parts.port}"
    return urlunsplit((parts.scheme, netloc, parts.path.rstrip("/"), "", "")), parts.username, parts.password


def _clean(error: BaseException | str, gateway: Gateway, pilot: Autopilot | None) -> str:
    """An error as it may be stored: no part of the URL that could be a secret, nor the number."""
    text = str(error) if isinstance(error, str) else f"{type(error).__name__}: {error}"
    if pilot is not None:
        text = text.replace(pilot.to, "…")
    return channels.scrub(text, gateway.url or "")


def _sms_gate(gateway: Gateway, http: httpx.Client) -> client.APIClient:
    base, user, password = _split(gateway.url or "")
    return client.APIClient(user, password or "", base_url=base, http=HttpxHttpClient(http))


def _sms_gate_report(state: domain.MessageState) -> Report:
    errors = [r.error for r in state.recipients if r.error]
    said = _SMS_GATE_STATES.get(state.state.value, PENDING)
    return Report(str(state.id), said, errors[0] if errors else None)


def send(gateway: Gateway, pilot: Autopilot) -> Report:
    """Hand the text to the gateway; GatewayError (scrubbed) when it was not taken."""
    try:
        if gateway.kind == "sms-gate":
            message = domain.Message(phone_numbers=[pilot.to], text_message=domain.TextMessage(pilot.text),
                                     sim_number=pilot.slot, with_delivery_report=pilot.confirm == "delivered")
            with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:
                return _sms_gate_report(_sms_gate(gateway, http).send(message))
        if gateway.kind == "home-assistant":
            return _home_assistant(gateway, pilot)
        if gateway.kind == "command":
            return _command(gateway, pilot)
        failure = channels.send((gateway.url or "").replace("{to}", pilot.to), "", pilot.text)
        if failure is not None:
            raise GatewayError(_clean(failure.reason, gateway, pilot), maybe_sent=failure.unconfirmed)
        return Report(None, SENT)
    except GatewayError:
        raise
    except _AFTER_THE_REQUEST as error:
        raise GatewayError(f"{_clean(error, gateway, pilot)} ({MAYBE_SENT})", maybe_sent=True) from None
    except (APIError, httpx.HTTPError, OSError, ValueError, KeyError) as error:
        raise GatewayError(_clean(error, gateway, pilot)) from None


def check(gateway: Gateway, message_id: str) -> Report:
    """What became of a text the gateway took (SMS Gate alone can say); GatewayError if it cannot be asked."""
    if gateway.kind != "sms-gate":
        return Report(message_id, SENT)
    try:
        with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:
            return _sms_gate_report(_sms_gate(gateway, http).get_state(message_id))
    except (APIError, httpx.HTTPError, OSError, ValueError, KeyError) as error:
        raise GatewayError(_clean(error, gateway, None)) from None


def _home_assistant(gateway: Gateway, pilot: Autopilot) -> Report:
    base, user, password = _split(gateway.url or "")
    domain_name, _, service = gateway.service.partition(".")
    with httpx.Client(timeout=TIMEOUT, trust_env=False) as http:
        answer = http.post(f"{base}/api/services/{domain_name}/{service}",
                           headers={"Authorization": f"Bearer {password or user}"},
                           json={"message": pilot.text, "target": pilot.to})
    if answer.status_code != 200:
        raise GatewayError(f"Home Assistant answered {answer.status_code} {answer.reason_phrase}")
    return Report(None, SENT)


def argv(gateway: Gateway, pilot: Autopilot) -> list[str]:
    """The command with {to}, {text} and {slot} filled in: each stays one argument (no shell).

    >>> from dateutil.relativedelta import relativedelta
    >>> pilot = Autopilot("m", "+447700900123", "hi; rm -rf ~", relativedelta(days=14), "14 days", slot=2)
    >>> argv(Gateway("m", "command", command=("inject", "TEXT", "{to}", "-text", "{text}")), pilot)
    ['inject', 'TEXT', '+447700900123', '-text', 'hi; rm -rf ~']
    """
    values = {"{to}": pilot.to, "{text}": pilot.text, "{slot}": str(pilot.slot or "")}
    filled = []
    for arg in gateway.command:
        for placeholder, value in values.items():
            arg = arg.replace(placeholder, value)
        filled.append(arg)
    return filled


def _command(gateway: Gateway, pilot: Autopilot) -> Report:
    try:
        done = subprocess.run(argv(gateway, pilot), capture_output=True, text=True, timeout=COMMAND_TIMEOUT,
                              stdin=subprocess.DEVNULL, check=False)
    except subprocess.TimeoutExpired:  # killed: it may have queued the text before it hung
        raise GatewayError(f"{gateway.command[0]} did not finish within {COMMAND_TIMEOUT:g} s ({MAYBE_SENT})",
                           maybe_sent=True) from None
    except OSError as error:
        raise GatewayError(f"{gateway.command[0]} could not be run: {error.strerror or error}") from None
    if done.returncode != 0:
        said = [line for line in (done.stderr or done.stdout).splitlines() if line.strip()]
        raise GatewayError(_clean(f"{gateway.command[0]} exited with {done.returncode}"
                                  + (f": {said[-1]}" if said else ""), gateway, pilot))
    return Report(None, SENT)
