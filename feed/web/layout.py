"""The page's frame: what every page template is drawn with (config, sign-in state, stale lines)."""

from __future__ import annotations

from typing import Any

from flask import render_template

from .auth import admin_token, is_admin, may_see
from .current import snapshot


def render_page(template: str, show_stale: bool = True, **context: Any) -> str:
    """A page template with what base.html needs; the stale config's lines only for who may see them
    (and never, without `show_stale`, on a page for someone following a reminder's link)."""
    taken = snapshot()
    config = taken.config
    # The lines name SIMs and feeds: on a private calendar, only the admin sees them.
    stale = taken.errors if show_stale and may_see(config) else ()
    return render_template(template, config=config, stale_errors=stale,
                           signed_in=is_admin(config), admin_configured=admin_token(config) is not None,
                           **context)
