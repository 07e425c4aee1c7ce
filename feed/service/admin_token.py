"""Which admin token opens the API and the page's forms, and where it comes from: decided once,
for the sign-in and for `simfeed token --show`.

The environment's SIMFEED_ADMIN_TOKEN wins, then [server] admin_token ("" switches signing in
off), then the token a first start made and keeps in the data folder. A token refused from the
environment (too weak: `simfeed check` says why) opens nothing, rather than let another stand in.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Source(StrEnum):
    """Where the admin token in force comes from."""

    ENVIRONMENT = "environment"
    REFUSED = "refused"
    CONFIG = "config"
    OFF = "off"
    KEPT = "kept"
    NONE = "none"


@dataclass(frozen=True)
class AdminToken:
    """The token in force (None: nothing opens the page's forms) and where it comes from."""

    value: str | None
    source: Source


def admin_token(configured: str | None, from_env: str | None = None, refused: bool = False,
                kept: str | None = None) -> AdminToken:
    """The admin token in force, given [server] admin_token, the environment's and the kept one.

    >>> admin_token("from-the-file", from_env="from-env")
    AdminToken(value='from-env', source=<Source.ENVIRONMENT: 'environment'>)
    >>> admin_token("", kept="kept-one").source, admin_token(None, kept="kept-one").value
    (<Source.OFF: 'off'>, 'kept-one')
    """
    if refused:
        return AdminToken(None, Source.REFUSED)
    if from_env:
        return AdminToken(from_env, Source.ENVIRONMENT)
    if configured == "":
        return AdminToken(None, Source.OFF)
    if configured is not None:
        return AdminToken(configured, Source.CONFIG)
    return AdminToken(kept, Source.KEPT if kept else Source.NONE)
