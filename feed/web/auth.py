"""Who may change things: the admin token, as a Bearer token or a signed-in session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import abort, current_app, request
from flask_babel import gettext
from flask_wtf.csrf import validate_csrf
from wtforms import ValidationError

from ..core import tokens
from ..core.model import Config
from ..service.admin_token import AdminToken
from ..service.admin_token import admin_token as decide
from . import sessions
from .current import client, misses, snapshot
from .throttle import ADMIN

P = ParamSpec("P")
R = TypeVar("R")


def admin_token(config: Config) -> str | None:
    """The token that opens the API and the page's forms: env first, then [server], then the kept one."""
    return in_force(config.server.admin_token).value


def in_force(configured: str | None) -> AdminToken:
    """The admin token in force given [server] admin_token, with the app's environment and kept token."""
    settings = current_app.config
    return decide(configured, settings.get("SIMFEED_ADMIN_TOKEN"),
                  bool(settings.get("SIMFEED_ADMIN_TOKEN_REFUSED")), settings.get("SIMFEED_KEPT_TOKEN"))


class TooManyAttempts(Exception):
    """This client, or everyone together, tried too many wrong admin tokens: 429 for `retry_after` s."""

    def __init__(self, retry_after: int):
        super().__init__(retry_after)
        self.retry_after = retry_after


def admin_matches(given: str | None, config: Config) -> bool:
    """Whether `given` is the admin token; a wrong one counts towards the limits of throttle.ADMIN.

    Raises TooManyAttempts while this client is refused, right token or not: a guesser must not
    tell a right guess from a wrong one then. A request without any token is not an attempt, nor
    is any token while no admin token is set (there is nothing to guess).
    """
    expected = admin_token(config)
    if expected is None:
        return False
    wait = misses().retry_after(client(), ADMIN)
    if wait is not None:
        raise TooManyAttempts(wait)
    if tokens.matches(given, expected):
        return True
    if given:
        wait = misses().miss(client(), ADMIN)
        if wait is not None:
            raise TooManyAttempts(wait)
    return False


def is_admin(config: Config) -> bool:
    """Signed in on the page with the current admin token."""
    return sessions.signed_in(admin_token(config))


def bearer_ok(config: Config) -> bool:
    """The request carries the admin token as `Authorization: Bearer …`."""
    auth = request.authorization
    given = auth.token if auth is not None and auth.type == "bearer" else None
    return admin_matches(given, config)


def may_see(config: Config) -> bool:
    """The page shows what the feed shows: a token-protected feed needs the sign-in."""
    return config.calendar.token is None or is_admin(config)


def login_required(view: Callable[P, R]) -> Callable[P, R]:
    """403 unless signed in, as Flask's tutorial guards its forms."""

    @functools.wraps(view)
    def wrapped(*args: P.args, **kwargs: P.kwargs) -> R:
        if not is_admin(snapshot().config):
            abort(403, gettext("Sign in with the admin token to change anything."))
        return view(*args, **kwargs)

    return wrapped


def check_csrf() -> None:
    """A blueprint's before_request: every form POST carries the session's CSRF token."""
    if request.method != "POST":
        return
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400, gettext("This form has expired or came from another site. Reload the page "
                           "and try again."))
