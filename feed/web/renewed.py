"""The reminders' one-tap "I have renewed it" link: a confirmation page, then one renewal.

The signed link is the credential, so no sign-in is needed. GET only shows the form:
chat apps and mail scanners open links by themselves, and must never record a renewal.
POST records it once, through the same path as the page, the API and the CLI, keyed on
the SIM and the deadline the link was sent for; once that deadline has moved, or a renewal
was recorded from the link, it says so and stores nothing. A link past its last day names
its SIM and leads to the SIM's page, where the renewal can still be recorded.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, current_app, redirect, request, url_for
from flask_babel import gettext
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse

from ..reminders import links
from ..service import IdempotencyConflict, LogUnavailable, RenewalInvalid, UnknownSim
from ..service.renewal_links import LinkTarget, TopUpNeeded
from . import recording
from .auth import check_csrf
from .current import service, snapshot
from .layout import render_page

bp = Blueprint("renewed", __name__)
bp.before_request(check_csrf)

FIELDS = ("date", "amount", "currency", "reference")


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_page(template, show_stale=False, **context), status


class _Expired(Exception):
    """A genuine link past its last day: answered with a page naming its SIM (410)."""

    def __init__(self, claim: links.Claim):
        self.claim = claim


def _target(token: str) -> LinkTarget:
    """The SIM and its deadline now, for a genuine link; a 4xx page otherwise."""
    try:
        return service().link_target(str(current_app.secret_key), token, snapshot().config)
    except links.LinkExpired as expired:
        raise _Expired(expired.claim) from None
    except links.LinkInvalid:
        abort(404, gettext("This link is not valid. Open it again from the reminder, or record the "
                           "renewal on the SIM card's page."))
    except UnknownSim:
        abort(404, gettext("This link is for a SIM card that is no longer in the config."))


def _page(token: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
          form_error: str | None = None) -> tuple[str, int]:
    found = _target(token)
    last = found.sim.last_renewal
    defaults = {"date": found.today.isoformat(), "currency": (last.currency or "") if last else ""}
    return _render("renewed.html", token=token, claim=found.claim, sim=found.sim, deadline=found.deadline,
                   today=found.today, current=found.current, values=values or defaults,
                   errors=errors or {}, form_error=form_error, charge=found.charge,
                   used=service().recorded_with(found.claim.idempotency_key))


@bp.get("/renewed/<token>")
def confirm(token: str) -> tuple[str, int]:
    """The confirmation form (or why there is nothing to do); changes nothing."""
    return _page(token)


@bp.post("/renewed/<token>")
def record(token: str) -> tuple[str, int] | BaseResponse:
    """Record the renewal once; a replay, or a deadline that moved since, stores nothing new."""
    found = _target(token)
    if not found.current:
        return _page(token)
    values = {name: request.form.get(name, "") for name in FIELDS}
    try:
        recorded = service().record_from_link(found, values)
    except TopUpNeeded:  # without a top-up a balance's deadline would not move
        return _page(token, values, {"amount": gettext("Enter the amount you topped up: the fees are "
                                                       "paid from the balance.")},
                     recording.not_recorded())
    except RenewalInvalid as invalid:
        return _page(token, values, recording.field_errors(invalid), recording.not_recorded())
    except IdempotencyConflict:
        return _page(token, values, {}, gettext("A renewal was already recorded from this link."))
    recording.flash_recorded(found.sim.name, recorded)
    return redirect(url_for("renewed.confirm", token=token), 303)


@bp.errorhandler(_Expired)
def _expired(error: _Expired) -> tuple[str, int]:
    """The SIM it was for, and where its renewal can still be recorded."""
    sim = snapshot().config.sim(error.claim.sim_id)
    if sim is None:
        return _render("message.html", 410, message=gettext(
            "This link has expired, and is for a SIM card that is no longer in the config."))
    return _render("renewed.html", 410, claim=error.claim, sim=sim, expired=True)


@bp.errorhandler(400)
@bp.errorhandler(404)
def _refused(error: HTTPException) -> tuple[str, int]:
    return _render("message.html", error.code or 400, message=error.description)


@bp.errorhandler(LogUnavailable)
def _log_unavailable(error: LogUnavailable) -> tuple[str, int, dict[str, str]]:
    current_app.logger.warning("%s", error)
    message = gettext("The renewal log cannot be reached right now, so nothing was stored. "
                      "Try again in a minute.")
    return message, 503, {"Retry-After": "30", "Content-Type": "text/plain; charset=utf-8"}
