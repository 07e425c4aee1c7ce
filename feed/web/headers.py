"""Security headers on every response: nosniff and no referrer always, CSP on HTML.

Also `Prepared`: an answer whose headers were formatted and checked once, for the feeds,
which answer every poll of an unchanged feed with the same headers.
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import TYPE_CHECKING

from flask import Response
from werkzeug.datastructures import Headers

if TYPE_CHECKING:
    from _typeshed.wsgi import WSGIEnvironment

# No inline script or style anywhere: the page's JavaScript is one static file.
# connect-src: the SIM editor's live preview posts its own form back to this site.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; connect-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")
# On every answer, whatever its type: feed tokens stay in the URL bar.
ALWAYS = (("X-Content-Type-Options", "nosniff"), ("Referrer-Policy", "no-referrer"))


def security_headers(response: Response) -> Response:
    """Added after every request: feeds, the API and pages alike, error pages included."""
    if isinstance(response, Prepared):  # made with them (and checked) once, for every poll
        return response
    headers = response.headers
    # One pass over the headers, no parsing: this runs for every poll of every feed.
    present = {name.lower(): value for name, value in headers.items()}
    wanted = list(ALWAYS)
    if present.get("content-type", "").startswith("text/html"):
        headers["Content-Security-Policy"] = CSP
        headers["X-Frame-Options"] = "DENY"
        # Pages carry CSRF tokens, flashes and, once signed in, feed tokens.
        wanted.append(("Cache-Control", "no-store"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


class Head:
    """A non-HTML answer's complete header list, the security headers included, checked once.

    werkzeug checks every header value for newlines each time a Headers is made or copied,
    twice per request and more for a 304; a Head is checked when made and then reused.
    """

    __slots__ = ("pairs",)

    def __init__(self, pairs: Iterable[tuple[str, str]]):
        self.pairs = tuple(Headers([*pairs, *ALWAYS]).items())  # werkzeug's checks, once


class _Checked(Headers):
    """A Headers of a Head's pairs, filled without checking each value again."""

    def __init__(self, head: Head):
        super().__init__()
        self._list = list(head.pairs)  # werkzeug's own storage: the Head's pairs are already checked


class Prepared(Response):
    """An answer with a Head: its headers are what goes on the wire, with no per-request fix-up.

    A 304's Head holds no representation headers and a 200's holds its Content-Type and
    Content-Length, so werkzeug's get_wsgi_headers (a copy, a scan, a 304's clean-up) is
    skipped unless a hook changed the status.
    """

    default_mimetype = None  # the Head says it, or (a 304) there is none

    def __init__(self, body: bytes | None, status: int, head: Head):
        super().__init__(None if body is None else [body], status, _Checked(head))
        self._prepared_status = status

    def get_wsgi_headers(self, environ: WSGIEnvironment) -> Headers:
        if self.status_code != self._prepared_status:
            return super().get_wsgi_headers(environ)
        return self.headers
