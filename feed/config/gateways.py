"""`[[gateway]]` tables and a SIM's `autopilot`: how simfeed sends the keep-alive text itself.

A gateway's URL carries its credentials (SMS Gate's password, Home Assistant's token, an
apprise URL's API key), so it is treated as [[notify]] URLs are: `url_env` keeps it out of
the file, every problem names the file, the gateway and the key with at most the scheme,
and it is shown only through `masked`. A SIM's autopilot is checked against its rule (an
outgoing text must be what keeps the number) and its preset (a free number does not count).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from decimal import Decimal
from typing import Any
from urllib.parse import urlsplit

import apprise

from ..core import parsers
from ..core.costs import decimal
from ..core.durations import quote
from ..core.model import CONFIRMS, GATEWAY_KINDS, Autopilot, Gateway, KeepAlive, Rule, Sim
from ..core.scrubbing import SCRUBBER
from . import presets
from .notify import env_value, masked, scheme
from .problems import Collector, Place

GATEWAY_KEYS = frozenset({"id", "kind", "url", "url_env", "command", "service"})
AUTOPILOT_KEYS = frozenset({"gateway", "slot", "action", "to", "text", "before", "confirm", "cap"})
KIND_NAMES = {"sms-gate": "SMS Gate", "home-assistant": "Home Assistant", "command": "command",
              "apprise": "apprise"}
# What each kind can report: "delivered" needs a delivery report, which only SMS Gate gives.
CONFIRMS_OF = {"sms-gate": CONFIRMS, "home-assistant": ("sent", "manual"), "command": ("sent", "manual"),
               "apprise": ("sent", "manual")}
PLACEHOLDERS = frozenset({"to", "text", "slot"})
SERVICE = re.compile(r"[a-z0-9_]+\.[a-z0-9_]+")
# An apprise URL is checked with this number in place of {to}: each SIM fills in its own.
EXAMPLE_TO = "+447700900123"


def masked_gateway(gateway: Gateway) -> str:
    """The gateway as the page, the CLI and the logs may show it: its kind, never its secrets.

    >>> masked_gateway(Gateway("phone", "command", command=("gammu-smsd-inject", "TEXT", "{to}")))
    'command gammu-smsd-inject'
    """
    if gateway.kind == "command":
        return f"command {gateway.command[0]}"
    url = gateway.url or ""
    return masked(url.replace("{to}", EXAMPLE_TO)) if gateway.kind == "apprise" else \
        masked(url, KIND_NAMES[gateway.kind])


def _http_url(where: Place, kind: str, url: str, found: Collector) -> None:
    """SMS Gate and Home Assistant: http(s), a host, and the credentials in the URL."""
    parts = urlsplit(url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        found.add(where, "gateway_not_http", scheme=scheme(url),
                  example="http://sms:PASSWORD@192.168.1.20:8080" if kind == "sms-gate"
                  else "http://TOKEN@homeassistant.local:8123")
    elif kind == "sms-gate" and not (parts.username and parts.password):
        found.add(where, "gateway_needs_password")
    elif kind == "home-assistant" and not (parts.password or parts.username):
        found.add(where, "gateway_needs_token")


def _url(where: Place, kind: str, table: Mapping[str, Any], environ: Mapping[str, str],
         found: Collector) -> tuple[str, str] | None:
    """The gateway's URL and where it came from ("url" or the variable's name)."""
    if ("url" in table) == ("url_env" in table):
        found.add(where, "url_or_env")
        return None
    if "url" in table:
        given = found.field(where, table, "url", parsers.text)
        if given is None:
            return None
        url, origin, at = given.strip(), "url", where.at("url")
    else:
        named = env_value(where, table, "url_env", environ, found)
        if named is None:
            return None
        origin, url = named
        at = where.at(f"url_env {origin}")
    SCRUBBER.watch([url])  # from now on, no part of it in the HTTP libraries' log records
    before = len(found.problems)
    if kind == "apprise":
        if "{to}" not in url:
            found.add(at, "gateway_url_without_to")
        elif apprise.Apprise.instantiate(url.replace("{to}", EXAMPLE_TO)) is None:
            found.add(at, "gateway_not_apprise", scheme=scheme(url))
    else:
        _http_url(at, kind, url, found)
    return (url, origin) if len(found.problems) == before else None


def _command(where: Place, table: Mapping[str, Any], found: Collector) -> tuple[str, ...] | None:
    value = table.get("command")
    if not isinstance(value, list) or not value or not all(isinstance(a, str) and a for a in value):
        found.add(where.at("command"), "command_not_words")
        return None
    names = {name for arg in value for name in re.findall(r"\{(\w*)\}", arg)}
    unknown = sorted(names - PLACEHOLDERS)
    if unknown:
        found.add(where.at("command"), "command_placeholder", name="{" + unknown[0] + "}")
        return None
    if "to" not in names:
        found.add(where.at("command"), "command_without_to")
        return None
    return tuple(value)


def parse_gateway(index: int, raw: Any, found: Collector, environ: Mapping[str, str]) -> Gateway | None:
    """Validate one [[gateway]] table; None (with problems recorded) when it is unusable."""
    before = len(found.problems)
    where, table = found.named("gateway", index, raw, '[[gateway]] with id = "…" and kind = "sms-gate"',
                               GATEWAY_KEYS, required=("id", "kind"))
    if table is None:
        return None
    gateway_id = found.field(where, table, "id", parsers.sim_id)
    kind = found.field(where, table, "kind", parsers.one_of(GATEWAY_KINDS))
    if kind is None:
        return None
    url, origin, command = None, "url", tuple[str, ...]()
    if kind == "command":
        for key in ("url", "url_env", "service"):
            if key in table:
                found.add(where.at(key), "command_only")
        command = _command(where, table, found) or ()
    else:
        for key in ("command",) + (("service",) if kind != "home-assistant" else ()):
            if key in table:
                found.add(where.at(key), "not_for_kind", kind=kind)
        found_url = _url(where, kind, table, environ, found)
        if found_url is not None:
            url, origin = found_url
    service = found.field(where, table, "service", parsers.text, "notify.sms")
    if not SERVICE.fullmatch(service):
        found.add(where.at("service"), "not_service")
    if len(found.problems) > before or gateway_id is None:
        return None
    return Gateway(gateway_id, kind, url, origin, command, service)


def _free(to: str, preset_id: str | None) -> bool:
    """Whether the preset says a text to `to` does not count (a carrier's free number)."""
    preset = presets.catalogue().get(preset_id or "")
    digits = re.sub(r"\D", "", to)
    return preset is not None and any(re.sub(r"\D", "", n) == digits for n in preset.free_numbers)


def _cap(value: Any) -> Decimal:
    return decimal(parsers.amount(value))


AUTOPILOT_FIELDS = {"gateway": parsers.sim_id, "slot": parsers.positive, "action": parsers.one_of(("sms",)),
                    "to": parsers.number, "text": parsers.text, "before": parsers.period,
                    "confirm": parsers.one_of(CONFIRMS), "cap": _cap}


def parse_autopilot(where: Place, table: Mapping[str, Any], rule: Rule | None, preset_id: str | None,
                    found: Collector) -> Autopilot | None:
    """A SIM's autopilot = { … }; a problem when an outgoing text is not what keeps this SIM."""
    if "autopilot" not in table:
        return None
    at = where.at("autopilot")
    example = '{ gateway = "old-phone", to = "+447700900123", text = "hello", before = "14 days" }'
    given = found.record(at, table["autopilot"], example, AUTOPILOT_FIELDS,
                         required=("gateway", "to", "text"))
    if given is None:
        return None
    if isinstance(rule, KeepAlive) and "sms" not in rule.counts:
        found.add(at, "autopilot_no_sms")
        return None
    if rule is not None and not isinstance(rule, KeepAlive):
        found.add(at, "autopilot_not_keep_alive")
        return None
    if _free(given["to"], preset_id):
        found.add(at.at("to"), "autopilot_free_number", preset=preset_id)
        return None
    slot = given["slot"]
    if slot is not None and (slot != int(slot) or not 1 <= slot <= 3):
        found.add(at.at("slot"), "not_slot")
        return None
    if not given["text"].strip():
        found.add(at.at("text"), "empty")
        return None
    before = given["before"] or parsers.period("14 days")
    return Autopilot(gateway=given["gateway"], to=given["to"].strip(), text=given["text"].strip(),
                     before=before[0], before_text=before[1], confirm=given["confirm"] or "sent",
                     slot=int(slot) if slot is not None else None, cap=given["cap"])


def check_autopilots(sims: list[Sim], gateways: list[Gateway], found: Collector) -> None:
    """Each autopilot's gateway exists and can report what its `confirm` waits for."""
    known = {g.id: g for g in gateways}
    for sim in sims:
        pilot = sim.autopilot
        if pilot is None:
            continue
        at = Place("sim", id=sim.id, key=("autopilot",))
        gateway = known.get(pilot.gateway)
        if gateway is None and known:
            found.add(at.at("gateway"), "unknown_gateway_of", value=quote(pilot.gateway),
                      known=", ".join(sorted(known)))
        elif gateway is None:
            found.add(at.at("gateway"), "unknown_gateway", value=quote(pilot.gateway))
        elif pilot.confirm not in CONFIRMS_OF[gateway.kind]:
            found.add(at.at("confirm"), "cannot_confirm", kind=gateway.kind, value=quote(pilot.confirm),
                      choices=" or ".join(quote(c) for c in CONFIRMS_OF[gateway.kind]))
