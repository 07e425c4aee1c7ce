"""What a request works with: this worker's service, its snapshot and the client asking."""

from __future__ import annotations

from flask import current_app, g, request

from ..service import Service, Snapshot
from .throttle import Misses


def service() -> Service:
    """This worker's Service (the config, the log and the built feeds)."""
    found: Service = current_app.extensions["simfeed"]
    return found


def snapshot() -> Snapshot:
    """The config and its errors, read once per request so that every part of a page agrees."""
    if "simfeed_snapshot" not in g:
        g.simfeed_snapshot = service().snapshot()
    taken: Snapshot = g.simfeed_snapshot
    return taken


def misses() -> Misses:
    """Wrong tokens and unknown feed URLs per client, counted to refuse guessers for a while."""
    found: Misses = current_app.extensions["simfeed.misses"]
    return found


def client() -> str:
    """Who is asking: the peer, or with SIMFEED_PROXIES the address the trusted proxies saw."""
    return request.remote_addr or "-"
