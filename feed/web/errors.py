"""Every error answer of the app, decided in one place (registered once, for every blueprint).

Under /api the answer is JSON ({"error": …}), whatever went wrong and whether or not
the URL exists; a feed's refusals are werkzeug's few bytes, the same for every
wrong address (a guesser learns nothing from them), and its database outage is
plain text; everything else is the site's own page in the reader's language. The
one-tap link's blueprint keeps its own pages for its refusals.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask, Response, current_app, jsonify, request
from flask_babel import gettext, lazy_gettext, ngettext
from werkzeug.exceptions import ClientDisconnected, HTTPException

from ..editing.document import NotEditable
from ..service import LogUnavailable
from . import timeouts
from .auth import TooManyAttempts
from .layout import render_page

# The page's sentence for a status whose description is werkzeug's own (English) one.
MESSAGES: Mapping[int, Any] = {
    400: lazy_gettext("This request could not be understood. Reload the page and try again."),
    404: lazy_gettext("There is no such page."),
    405: lazy_gettext("This address does not take that kind of request."),
    413: lazy_gettext("What was sent is too large, so nothing was stored."),
    500: lazy_gettext("Something went wrong on the server. Try again in a minute."),
}


def for_api() -> bool:
    """Whether the request is the API's (a URL under /api, known or not): it is answered JSON."""
    return request.path == "/api" or request.path.startswith("/api/")


def _for_feeds() -> bool:
    return request.blueprint == "feeds" or request.path.endswith(".ics")


def json_error(status: int, message: str, headers: Mapping[str, str] | None = None, **extra: Any) -> Response:
    """The API's error body: {"error": message, …extra} with `status`."""
    response = jsonify(error=message, **extra)
    response.status_code = status
    response.headers.update(headers or {})
    return response


def _page(status: int, message: str, headers: Mapping[str, str], **context: Any) -> Response:
    response = current_app.make_response((render_page("message.html", message=message, **context), status))
    response.headers.update(headers)
    return response


def _own_headers(error: HTTPException) -> dict[str, str]:
    """What the error carries besides its body (405's Allow, 429's Retry-After)."""
    return {name: value for name, value in error.get_headers() if name.lower() != "content-type"}


def _http_error(error: HTTPException) -> Response | HTTPException:
    status = error.code or 500
    headers = _own_headers(error)
    if for_api():
        return json_error(status, (error.description or error.name).split("\n")[0], headers)
    if _for_feeds():  # the same few bytes for every wrong feed address, whatever its path
        return error
    own = error.description != type(error).description and error.description  # abort(…, "a sentence")
    try:  # the sentence too: choosing the reader's language reads the config
        message = str(error.description) if own else str(MESSAGES.get(status, error.name))
        return _page(status, message, headers)
    except Exception:  # the page itself cannot be drawn (the config is unreadable): werkzeug's
        current_app.logger.exception("the error page for %s could not be drawn", status)
        return error


def _disconnected(error: ClientDisconnected) -> Response | HTTPException:
    """A body cut short: one that stopped arriving (a read timed out) is the 408 of timeouts.py.

    werkzeug's limited stream (used whenever a body size limit is set) turns the read's
    TimeoutError into ClientDisconnected, a 400.
    """
    if isinstance(error.__context__, TimeoutError):
        return timeouts.body_timed_out(error.__context__)
    return _http_error(error)


def _too_many(error: TooManyAttempts) -> Response:
    """Too many wrong admin tokens from this address (or from everyone): when to try again."""
    headers = {"Retry-After": str(error.retry_after)}
    if for_api():
        return json_error(429, "too many wrong admin tokens: try again later", headers,
                          retry_after=error.retry_after)
    minutes = -(-error.retry_after // 60)
    return _page(429, ngettext("Too many wrong admin tokens were tried. Try again in %(num)d minute.",
                               "Too many wrong admin tokens were tried. Try again in %(num)d minutes.",
                               minutes), headers)


def _log_unavailable(error: LogUnavailable) -> Response:
    """The database is down: nothing was stored; the reason is logged, never shown."""
    current_app.logger.warning("%s", error)
    headers = {"Retry-After": "30"}
    if for_api():
        return json_error(503, "the renewal log's database is unavailable: nothing was stored; "
                          "try again later", headers)
    if request.endpoint == "feeds.healthz":
        response = jsonify(status="unavailable", error=str(error))
        response.status_code = 503
        return response
    if _for_feeds():
        return Response("The renewal log cannot be reached: try again later.\n", 503, headers,
                        mimetype="text/plain")
    message = gettext("The renewal log cannot be reached right now, so nothing was stored. "
                      "Try again in a minute.")
    try:
        return _page(503, message, headers)
    except LogUnavailable:  # no view to draw the page around yet
        return Response(message, 503, headers, content_type="text/plain; charset=utf-8")


def _not_editable(error: NotEditable) -> Response:
    """The file is not TOML right now (an edit elsewhere in progress): nothing can be placed in it."""
    return _page(409, gettext("The config file cannot be edited from the page right now: fix it first."), {},
                 details=str(error))


def init_app(app: Flask) -> None:
    """Register every error answer once, for the whole app."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(ClientDisconnected, _disconnected)
    app.register_error_handler(TooManyAttempts, _too_many)
    app.register_error_handler(LogUnavailable, _log_unavailable)
    app.register_error_handler(NotEditable, _not_editable)
    app.register_error_handler(TimeoutError, timeouts.body_timed_out)  # a body too slow to arrive
