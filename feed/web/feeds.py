"""HTTP: the feeds and the health check. Thin: everything it serves is built elsewhere."""

from __future__ import annotations

import functools
from datetime import datetime, timedelta

from flask import Blueprint, Response, abort, jsonify, request
from werkzeug.http import http_date, parse_date, parse_etags, quote_etag

from ..calendar.cache import Published
from ..core import tokens
from ..core.model import REMINDERS, Config
from .current import client, misses, service
from .headers import Head, Prepared
from .throttle import FEEDS

bp = Blueprint("feeds", __name__)


@bp.before_request
def _refuse_guessers() -> Response | None:
    """429 to a client that missed too often this minute, whatever it asks of the feeds now."""
    if request.endpoint == "feeds.healthz":
        return None
    wait = misses().retry_after(client(), FEEDS)
    return None if wait is None else _too_many(wait)


def _too_many(wait: int) -> Response:
    return Response("Too many wrong feed addresses: try again later.\n", status=429, mimetype="text/plain",
                    headers={"Retry-After": str(wait)})


@bp.after_request
def _count_misses(response: Response) -> Response:
    """A 404 here is a wrong token or an unknown feed: both count towards the limit.

    A miss beyond the limit (counted by another worker or instance) is answered 429 too.
    """
    if response.status_code == 404:
        wait = misses().miss(client(), FEEDS)
        if wait is not None:
            return _too_many(wait)
    return response


def _arg(name: str) -> str | None:
    """A query parameter; most polls have no query string, and then nothing is parsed."""
    return request.args.get(name) if request.query_string else None


def _check_token(config: Config, expected: str | None) -> None:
    """A missing or wrong token looks exactly like an unknown URL.

    Each token opens its own feed only; a feed without one is open only while no
    feed at all has a token.
    """
    if expected is None:
        if config.any_token:
            abort(404)
    elif not tokens.matches(_arg("token"), expected):
        abort(404)


def _reminders(default: str) -> str:
    """`?reminders=alarms|events|both` overrides the feed's default."""
    mode = _arg("reminders")
    mode = default if mode is None else mode
    if mode not in REMINDERS:
        abort(400, f"reminders must be one of {', '.join(REMINDERS)}")
    return mode


def _not_modified(published: Published) -> bool:
    """Whether the client's copy is current; headers are parsed only when sent (a hot path)."""
    environ = request.environ
    raw_etags = environ.get("HTTP_IF_NONE_MATCH")
    if raw_etags:
        # Each encoding has its own strong ETag; either one proves the client is current.
        # A client sends back the one it was given: compared as it is before any parsing.
        if raw_etags in (f'"{published.etag}"', f'"{published.etag}-gzip"'):
            return True
        etags = parse_etags(raw_etags)
        return etags.star_tag or published.etag in etags or f"{published.etag}-gzip" in etags
    # Only an exact Last-Modified match counts: a file restored with an older mtime
    # must not freeze a client that sends If-Modified-Since alone.
    raw_date = environ.get("HTTP_IF_MODIFIED_SINCE")
    return bool(raw_date) and parse_date(raw_date) == published.last_modified


@functools.lru_cache(maxsize=512)
def _head(etag: str, last_modified: datetime, private: bool, max_age: timedelta, compressed: bool,
          length: int | None, download: str | None) -> Head:
    """A feed answer's headers, made once per feed and kind of answer: a 304's when `length` is None.

    RFC 9110 15.4.5: a 304 carries the ETag, Cache-Control and Vary the 200 would (its ETag
    makes Last-Modified needless), and no representation headers.
    """
    caching = f"{'private' if private else 'public'}, max-age={int(max_age.total_seconds())}"
    pairs = [("ETag", quote_etag(f"{etag}-gzip" if compressed else etag)), ("Cache-Control", caching),
             ("Vary", "Accept-Encoding")]
    if length is None:
        return Head(pairs)
    pairs += [("Last-Modified", http_date(last_modified)), ("Content-Type", "text/calendar; charset=utf-8"),
              ("Content-Length", str(length))]
    if compressed:
        pairs.append(("Content-Encoding", "gzip"))
    if download is not None:
        pairs.append(("Content-Disposition", f'attachment; filename="{download}"'))
    return Head(pairs)


def _serve(config: Config, published: Published, filename: str) -> Response:
    """The feed, or a 304; its headers are made once per feed (every poll of it gets the same)."""
    environ = request.environ
    compressed = bool(environ.get("HTTP_ACCEPT_ENCODING")) and request.accept_encodings["gzip"] > 0
    private, max_age = config.any_token, config.calendar.refresh
    if _not_modified(published):
        return Prepared(None, 304, _head(published.etag, published.last_modified, private, max_age,
                                         compressed, None, None))
    body = published.gzipped if compressed else published.body
    download = filename if _arg("download") == "1" else None
    return Prepared(body, 200, _head(published.etag, published.last_modified, private, max_age,
                                     compressed, len(body), download))


@bp.get("/calendar.ics")
def calendar() -> Response:
    serving = service()
    taken = serving.snapshot()
    config = taken.config
    _check_token(config, config.calendar.token)
    mode = _reminders(config.calendar.reminders)
    published = serving.feed(taken, ("all", mode), reminders=mode)
    return _serve(config, published, "simfeed.ics")


@bp.get("/sims/<sim_id>.ics")
def sim_calendar(sim_id: str) -> Response:
    serving = service()
    taken = serving.snapshot()
    config = taken.config
    _check_token(config, config.calendar.token)
    sim = config.sim(sim_id)
    if sim is None:
        abort(404)
    mode = _reminders(config.calendar.reminders)
    name = f"{config.calendar.name}: {sim.name}"
    published = serving.feed(taken, ("sim", sim.id, mode), [sim], name, mode)
    return _serve(config, published, f"{sim.id}.ics")


@bp.get("/feeds/<feed_id>.ics")
def named_feed(feed_id: str) -> Response:
    serving = service()
    taken = serving.snapshot()
    config = taken.config
    feed = config.feed(feed_id)
    if feed is None:
        abort(404)
    _check_token(config, feed.token)
    mode = _reminders(feed.reminders or config.calendar.reminders)
    sims = [sim for sim in config.sims if sim.id in feed.sim_ids]
    published = serving.feed(taken, ("feed", feed.id, mode), sims, feed.name, mode)
    return _serve(config, published, f"{feed.id}.ics")


@bp.get("/<path:anything>.ics")
def unknown_feed(anything: str) -> Response:
    """Any other .ics address: a 404 like a wrong token, and counted like one."""
    abort(404)


@bp.get("/healthz")
def healthz() -> tuple[Response, int]:
    loaded = service().snapshot()
    if loaded.unavailable:
        # Feeds are served from the last good state meanwhile; writes answer 503.
        return jsonify(status="unavailable", error=loaded.unavailable), 503
    if loaded.stale:
        if loaded.config.any_token:
            # The lines name SIMs and feeds, which a private calendar shows only to the admin.
            return jsonify(status="stale", error_count=len(loaded.errors)), 503
        return jsonify(status="stale", errors=[str(problem) for problem in loaded.errors]), 503
    return jsonify(status="ok"), 200
