"""The web page: every SIM at a glance, one page per SIM, subscribe links, sign-in, top-ups.

What the page shows follows the feed: when the feed needs a token, the SIMs and
their subscribe links (which carry the token) are shown only after the admin
signs in. Recording a renewal always needs the sign-in.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from werkzeug.wrappers import Response as BaseResponse

from ..core.model import LANGUAGES, METHODS, Config
from ..service import IDEMPOTENCY_KEY, INPUT_FIELDS, IdempotencyConflict, RenewalInvalid
from . import recording, sessions
from .auth import admin_matches, admin_token, check_csrf, is_admin, login_required, may_see
from .current import service, snapshot
from .layout import render_page
from .links import FeedLinks, check_href, feed_links
from .redirects import safe_next

bp = Blueprint("pages", __name__)


def _absolute(endpoint: str, **values: Any) -> str:
    """An absolute URL on [server] public_url when set, else on the host the request came to."""
    path = url_for(endpoint, **values)
    public = snapshot().config.server.public_url
    if public:
        return public + path.removeprefix(request.script_root)
    return request.host_url.rstrip("/") + path


def _links(config: Config, endpoint: str, **values: Any) -> FeedLinks | None:
    if not may_see(config):
        return None
    return feed_links(_absolute(endpoint, **values), config.calendar.token)


# Every form POST carries the session's CSRF token, checked before anything else.
bp.before_request(check_csrf)


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    return render_page(template, **context), status


@bp.get("/")
def index() -> tuple[str, int]:
    config = snapshot().config
    seen = service().overview(may_see(config), config)
    return _render("index.html", sims=seen.sims, links=_links(config, "feeds.calendar"), today=seen.today,
                   costs=seen.costs, cost_totals=seen.cost_totals,
                   starter=service().starter() if may_see(config) else None)


EXPORTS = {"csv": "text/csv; charset=utf-8", "json": "application/json"}


@bp.get("/sims.<form>")
def export_sims(form: str) -> Response | BaseResponse:
    """Every SIM with rule, deadline, status, cost and accounts, as `flask export-sims` writes it."""
    config = snapshot().config
    if form not in EXPORTS:
        abort(404)
    if not is_admin(config):
        return redirect(url_for("pages.signin", next=request.path))
    body = service().export_sims(form, config)
    return Response(body, content_type=EXPORTS[form],
                    headers={"Content-Disposition": f"attachment; filename=simfeed-sims.{form}"})


def _sim_page(sim_id: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
              form_error: str | None = None) -> tuple[str, int]:
    """A SIM's page; with `values` and `errors`, its form again as it was sent.

    Always 200, as classic forms do: browsers log any 4xx page as a console error.
    """
    config = snapshot().config
    found = service().sim_detail(sim_id, config)
    if found is None:
        abort(404)
    sim, today = found.item.sim, found.today
    last = sim.last_renewal
    defaults = {"date": today.isoformat(), "currency": (last.currency or "") if last else "",
                "key": secrets.token_urlsafe(18)}
    return _render("sim.html", item=found.item, history=found.history, today=today, cost=found.cost,
                   rule_old=found.rule_old,
                   check_href=check_href(sim.check) if sim.check else None,
                   links=_links(config, "feeds.sim_calendar", sim_id=sim_id),
                   values=values or defaults, errors=errors or {}, form_error=form_error,
                   methods=METHODS,
                   reminders=found.reminders,
                   autopilot=found.autopilot)


@bp.get("/sims/<sim_id>")
def sim(sim_id: str) -> tuple[str, int] | BaseResponse:
    if not may_see(snapshot().config):
        return redirect(url_for("pages.signin", next=request.path))
    return _sim_page(sim_id)


@bp.post("/sims/<sim_id>/renewals")
@login_required
def record(sim_id: str) -> tuple[str, int] | BaseResponse:
    """Record a renewal through the same service as the CLI and the API; POST, redirect, GET."""
    chosen = snapshot().config.sim(sim_id)
    if chosen is None:
        abort(404)
    values = {name: request.form.get(name, "") for name in (*INPUT_FIELDS, "key")}
    data = {name: values[name] for name in INPUT_FIELDS}
    key = values["key"] if IDEMPOTENCY_KEY.fullmatch(values["key"]) else None
    try:
        recorded = service().record(sim_id, data, key, snapshot().config)
    except RenewalInvalid as invalid:
        return _sim_page(sim_id, values, recording.field_errors(invalid), recording.not_recorded())
    except IdempotencyConflict:
        values["key"] = secrets.token_urlsafe(18)
        return _sim_page(sim_id, values, {},
                         gettext("This form was already sent with other values. Check the history "
                                 "below, then send it again if it is missing."))
    recording.flash_recorded(chosen.name, recorded)
    return redirect(url_for("pages.sim", sim_id=sim_id), 303)


@bp.post("/sims/<sim_id>/autopilot")
@login_required
def pause_autopilot(sim_id: str) -> BaseResponse:
    """Pause or resume a SIM's autopilot: kept in the database, the config file is not rewritten."""
    if not service().pause_autopilot(sim_id, request.form.get("pause") == "1", snapshot().config):
        abort(404)
    return redirect(url_for("pages.sim", sim_id=sim_id) + "#autopilot", 303)


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> tuple[str, int] | BaseResponse:
    expected = admin_token(snapshot().config)
    target = safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        if expected is not None and admin_matches(request.form.get("token"), snapshot().config):
            sessions.sign_in(expected)
            flash(gettext("Signed in."), "success")
            return redirect(target, 303)
        error = gettext("That is not the admin token.")
    return _render("signin.html", error=error, next=target)


@bp.post("/signout")
def signout() -> BaseResponse:
    sessions.sign_out()
    flash(gettext("Signed out."), "info")
    return redirect(url_for("pages.index"), 303)


@bp.get("/language/<tag>")
def language(tag: str) -> BaseResponse:
    if tag not in LANGUAGES:
        abort(404)
    session["lang"] = tag
    return redirect(safe_next(request.args.get("next")), 303)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """For clients that ask for /favicon.ico whatever the page's <link rel="icon"> says."""
    return current_app.send_static_file("favicon.svg")
