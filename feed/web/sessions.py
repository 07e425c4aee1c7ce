"""Signing in to the page: the session key, the session cookie and who is signed in.

The admin signs in once with the admin token (the API's); the session cookie
then carries an HMAC of that token, never the token itself, so rotating the
admin token signs everybody out, and a random session id that the renewal log's
database knows until sign-out (feed/storage/sessions.py), so that signing out ends
the session in every worker and instance, not only in this browser.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
import time
from collections.abc import Callable
from urllib.parse import urlsplit

from flask import Flask, current_app, g, request, session
from flask.sessions import SecureCookieSession, SecureCookieSessionInterface, SessionMixin
from flask.wrappers import Request, Response
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Engine

from ..core import keys, tokens
from ..service import LogUnavailable
from ..storage import sessions as stored
from .current import service


class _SessionInterface(SecureCookieSessionInterface):
    """Flask's signed cookie, marked Secure whenever the browser reached us over https."""

    def __init__(self, public_url: Callable[[], str | None]):
        self._public_url = public_url
        self._serializer: tuple[object, URLSafeTimedSerializer | None] | None = None

    def get_signing_serializer(self, app: Flask) -> URLSafeTimedSerializer | None:
        # Made once per key rather than on every request: feeds are polled all day long.
        key = app.secret_key
        if self._serializer is None or self._serializer[0] != key:
            self._serializer = (key, super().get_signing_serializer(app))
        return self._serializer[1]

    def open_session(self, app: Flask, request: Request) -> SecureCookieSession | None:
        if "HTTP_COOKIE" not in request.environ or not request.cookies.get(self.get_cookie_name(app)):
            return self.session_class()  # nothing to verify: a feed poll, or a first visit
        return super().open_session(app, request)

    def save_session(self, app: Flask, session: SessionMixin, response: Response) -> None:
        # A feed never touches the session: nothing to set, and no "Vary: Cookie" to spoil
        # the caching of feeds (nor a config lookup on every poll).
        if not session.accessed and not session.modified:
            return
        super().save_session(app, session, response)

    def get_cookie_secure(self, app: Flask) -> bool:
        if app.config["SESSION_COOKIE_SECURE"] or request.is_secure:
            return True
        # Behind a proxy that ends TLS, the request itself looks like plain http.
        public = urlsplit(self._public_url() or "")
        return public.scheme == "https" and public.netloc == request.host


def init_app(app: Flask, public_url: Callable[[], str | None]) -> None:
    """Session key and cookie settings; the key from SIMFEED_SECRET_KEY, else the instance folder."""
    app.secret_key = keys.secret_key(app.config.get("SIMFEED_SECRET_KEY"), app.instance_path)
    app.config.update(
        SESSION_COOKIE_NAME="simfeed_session",  # cookies are per host, not per port
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SAMESITE="Lax",
    )
    app.session_interface = _SessionInterface(public_url)


def _marker(admin_token: str) -> str:
    key = str(current_app.secret_key).encode()
    return hmac.new(key, b"simfeed-admin:" + admin_token.encode(), hashlib.sha256).hexdigest()


def signed_in(admin_token: str | None) -> bool:
    """Whether this browser signed in with the admin token that is configured now, and has not signed out.

    Asked once per request (a page asks several times); a database that cannot be reached
    signs nobody in.
    """
    if admin_token is None:
        return False
    marker = _marker(admin_token)
    if not isinstance(session.get("sid"), str):
        return False
    if "simfeed_signed_in" not in g:
        try:  # asked even when the marker is old: the stored session then ends for good
            alive = stored.alive(_engine(), session["sid"], marker, time.time())
        except LogUnavailable:
            return False
        g.simfeed_signed_in = alive and tokens.matches(session.get("admin"), marker)
        if not g.simfeed_signed_in:  # signed out elsewhere, ended or of an old token: forget it
            session.pop("admin", None)
            session.pop("sid", None)
    return bool(g.simfeed_signed_in)


def sign_in(admin_token: str) -> None:
    """Start a fresh session (never one an attacker may have planted) for the admin."""
    language = session.get("lang")
    session.clear()
    session.permanent = True
    session["admin"] = _marker(admin_token)
    session["sid"] = secrets.token_urlsafe(32)
    now = time.time()
    stored.start(_engine(), session["sid"], session["admin"], now + _lifetime(), now)
    g.pop("simfeed_signed_in", None)
    if language:
        session["lang"] = language


def sign_out() -> None:
    """End the session here and on the server: a copy of its cookie opens nothing any more."""
    if isinstance(session.get("sid"), str):
        stored.end(_engine(), session["sid"])
    g.pop("simfeed_signed_in", None)
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language


def _engine() -> Engine:
    return service().store.engine


def _lifetime() -> float:
    return float(current_app.permanent_session_lifetime.total_seconds())
