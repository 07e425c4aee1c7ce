"""HTTP: the feeds and the health check. Thin: everything it serves is built elsewhere."""

from __future__ import annotations

import hashlib
import hmac

from flask import Blueprint, Response, abort, current_app, jsonify, request

from . import ical
from .feedcache import FeedCache, Published
from .model import Config
from .watcher import ConfigWatcher, Loaded

bp = Blueprint("feed", __name__)


def _watcher() -> ConfigWatcher:
    watcher: ConfigWatcher = current_app.extensions["simfeed.watcher"]
    return watcher


def _cache() -> FeedCache:
    cache: FeedCache = current_app.extensions["simfeed.feeds"]
    return cache


def _check_token(config: Config) -> None:
    """A missing or wrong token looks exactly like an unknown URL."""
    expected = config.calendar.token
    if expected is None:
        return
    given = request.args.get("token", "")
    # Hashing first makes the comparison constant-time whatever the lengths.
    if not hmac.compare_digest(hashlib.sha256(given.encode()).digest(),
                               hashlib.sha256(expected.encode()).digest()):
        abort(404)


def _serve(config: Config, published: Published, filename: str) -> Response:
    not_modified = published.etag in request.if_none_match or (
        # Only an exact Last-Modified match counts: a file restored with an older
        # mtime must not freeze a client that sends If-Modified-Since alone.
        not request.if_none_match and request.if_modified_since == published.last_modified
    )
    if not_modified:
        response = Response(status=304)
    else:
        response = Response(published.body, mimetype="text/calendar")
        if request.args.get("download") == "1":
            response.headers["Content-Disposition"] = f'attachment; filename="{filename}"'
    response.set_etag(published.etag)
    response.last_modified = published.last_modified
    response.cache_control.max_age = int(config.calendar.refresh.total_seconds())
    if config.calendar.token:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response


def _loaded() -> Loaded:
    return _watcher().current()


@bp.get("/calendar.ics")
def calendar() -> Response:
    config = _loaded().config
    _check_token(config)
    published = _cache().get(config, "all", lambda: ical.render(config))
    return _serve(config, published, "simfeed.ics")


@bp.get("/sims/<sim_id>.ics")
def sim_calendar(sim_id: str) -> Response:
    config = _loaded().config
    _check_token(config)
    sim = config.sim(sim_id)
    if sim is None:
        abort(404)
    name = f"{config.calendar.name}: {sim.name}"
    published = _cache().get(config, ("sim", sim.id), lambda: ical.render(config, [sim], name))
    return _serve(config, published, f"{sim.id}.ics")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    loaded = _loaded()
    if loaded.stale:
        return jsonify(status="stale", errors=list(loaded.errors)), 503
    return jsonify(status="ok"), 200
