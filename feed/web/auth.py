"""Who may change things: the admin token, as a Bearer token or a signed-in session."""

from __future__ import annotations

import functools
from collections.abc import Callable
from typing import ParamSpec, TypeVar

from flask import abort, current_app, request
from flask_babel import gettext

from ..core import tokens
from ..core.model import Config
from . import sessions
from .current import snapshot

P = ParamSpec("P")
R = TypeVar("R")


def admin_token(config: Config) -> str | None:
    """The token that opens the API and the page's forms: env first, then [server]."""
    if current_app.config.get("SIMFEED_ADMIN_TOKEN_REFUSED"):  # too weak: `flask check` says so
        return None
    from_env: str | None = current_app.config.get("SIMFEED_ADMIN_TOKEN")
    return from_env or config.server.admin_token


def is_admin(config: Config) -> bool:
    """Signed in on the page with the current admin token."""
    return sessions.signed_in(admin_token(config))


def bearer_ok(config: Config) -> bool:
    """The request carries the admin token as `Authorization: Bearer …`."""
    auth = request.authorization
    given = auth.token if auth is not None and auth.type == "bearer" else None
    return tokens.matches(given, admin_token(config))


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
