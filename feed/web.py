"""HTTP: the feeds and the health check. Thin: everything it serves is built elsewhere."""

from __future__ import annotations

from flask import Blueprint, Response, abort, current_app, jsonify, request

from . import ical, tokens
from .feedcache import Published
from .model import REMINDERS, Config
from .site import Site, View

bp = Blueprint("feed", __name__)


def site() -> Site:
    """This worker's Site (the config, the log and the built feeds)."""
    found: Site = current_app.extensions["simfeed"]
    return found


def _check_token(config: Config, expected: str | None) -> None:
    """A missing or wrong token looks exactly like an unknown URL.

    Each token opens its own feed only; a feed without one is open only while no
    feed at all has a token.
    """
    if expected is None:
        if config.any_token:
            abort(404)
    elif not tokens.matches(request.args.get("token"), expected):
        abort(404)


def _reminders(default: str) -> str:
    """`?reminders=alarms|events|both` overrides the feed's default."""
    mode = request.args.get("reminders", default)
    if mode not in REMINDERS:
        abort(400, f"reminders must be one of {', '.join(REMINDERS)}")
    return mode


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
    if config.any_token:
        response.cache_control.private = True
    else:
        response.cache_control.public = True
    return response


def _view() -> View:
    return site().view()


@bp.get("/calendar.ics")
def calendar() -> Response:
    config = _view().config
    _check_token(config, config.calendar.token)
    mode = _reminders(config.calendar.reminders)
    published = site().feeds.get(config, ("all", mode), lambda: ical.render(config, reminders=mode))
    return _serve(config, published, "simfeed.ics")


@bp.get("/sims/<sim_id>.ics")
def sim_calendar(sim_id: str) -> Response:
    config = _view().config
    _check_token(config, config.calendar.token)
    sim = config.sim(sim_id)
    if sim is None:
        abort(404)
    mode = _reminders(config.calendar.reminders)
    name = f"{config.calendar.name}: {sim.name}"
    published = site().feeds.get(config, ("sim", sim.id, mode),
                                 lambda: ical.render(config, [sim], name, mode))
    return _serve(config, published, f"{sim.id}.ics")


@bp.get("/feeds/<feed_id>.ics")
def named_feed(feed_id: str) -> Response:
    config = _view().config
    feed = config.feed(feed_id)
    if feed is None:
        abort(404)
    _check_token(config, feed.token)
    mode = _reminders(feed.reminders or config.calendar.reminders)
    sims = [sim for sim in config.sims if sim.id in feed.sim_ids]
    published = site().feeds.get(config, ("feed", feed.id, mode),
                                 lambda: ical.render(config, sims, feed.name, mode))
    return _serve(config, published, f"{feed.id}.ics")


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    loaded = _view()
    if loaded.stale:
        return jsonify(status="stale", errors=list(loaded.errors)), 503
    return jsonify(status="ok"), 200
