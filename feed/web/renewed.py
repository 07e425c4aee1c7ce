"""The reminders' one-tap "I have renewed it" link: a confirmation page, then one renewal.

The signed link is the credential, so no sign-in is needed. GET only shows the form:
chat apps and mail scanners open links by themselves, and must never record a renewal.
POST records it once, through the same path as the page, the API and the CLI, keyed on
the SIM and the deadline the link was sent for; once that deadline has moved, the link
says so and stores nothing.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from flask import Blueprint, abort, current_app, redirect, render_template, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..core.deadlines import Deadline, deadline_for
from ..core.model import Sim
from ..log import renewals
from ..log.db import LogUnavailable
from ..log.renewals import RenewalInvalid
from ..log.store import IdempotencyConflict
from ..reminders import links
from . import recording
from .auth import admin_token, check_csrf, is_admin
from .current import service, snapshot

bp = Blueprint("renewed", __name__)
bp.before_request(check_csrf)

FIELDS = ("date", "amount", "currency", "reference")


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    config = snapshot().config
    return render_template(template, config=config, stale_errors=(), signed_in=is_admin(config),
                           admin_configured=admin_token(config) is not None, **context), status


def _target(token: str, today: date) -> tuple[links.Claim, Sim, Deadline]:
    """The SIM and its deadline now, for a genuine link; a 4xx page otherwise."""
    try:
        claim = links.read_token(str(current_app.secret_key), token, today)
    except links.LinkExpired:
        abort(410, gettext("This link has expired. Record the renewal on the SIM card's page instead."))
    except links.LinkInvalid:
        abort(404, gettext("This link is not valid. Open it again from the reminder, or record the "
                           "renewal on the SIM card's page."))
    sim = snapshot().config.sim(claim.sim_id)
    if sim is None:
        abort(404, gettext("This link is for a SIM card that is no longer in the config."))
    return claim, sim, deadline_for(sim, snapshot().config.calendar)


def _page(token: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          form_error: str | None = None) -> tuple[str, int]:
    config = snapshot().config
    today = renewals.today_in(config)
    claim, sim, deadline = _target(token, today)
    last = sim.last_renewal
    defaults = {"date": today.isoformat(), "currency": (last.currency or "") if last else ""}
    return _render("renewed.html", token=token, claim=claim, sim=sim, deadline=deadline, today=today,
                   current=deadline.due == claim.deadline, values=values or defaults,
                   errors=errors or {}, form_error=form_error)


@bp.get("/renewed/<token>")
def confirm(token: str) -> tuple[str, int]:
    """The confirmation form (or why there is nothing to do); changes nothing."""
    return _page(token)


@bp.post("/renewed/<token>")
def record(token: str) -> tuple[str, int] | BaseResponse:
    """Record the renewal once; a replay, or a deadline that moved since, stores nothing new."""
    config = snapshot().config
    claim, sim, deadline = _target(token, renewals.today_in(config))
    if deadline.due != claim.deadline:
        return _page(token)
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        recorded = renewals.record(service().store, config, sim.id, values, renewals.today_in(config),
                                   claim.idempotency_key)
    except RenewalInvalid as invalid:
        return _page(token, values, recording.field_errors(invalid), recording.not_recorded())
    except IdempotencyConflict:
        return _page(token, values, {}, gettext("A renewal was already recorded from this link."))
    recording.flash_recorded(sim.name, recorded)
    return redirect(url_for("renewed.confirm", token=token), 303)


@bp.errorhandler(400)
@bp.errorhandler(404)
@bp.errorhandler(410)
def _refused(error: HTTPException) -> tuple[str, int]:
    return _render("message.html", error.code or 400, message=error.description)


@bp.errorhandler(LogUnavailable)
def _log_unavailable(error: LogUnavailable) -> tuple[str, int, dict[str, str]]:
    current_app.logger.warning("%s", error)
    message = gettext("The renewal log cannot be reached right now, so nothing was stored. "
                      "Try again in a minute.")
    return message, 503, {"Retry-After": "30", "Content-Type": "text/plain; charset=utf-8"}
