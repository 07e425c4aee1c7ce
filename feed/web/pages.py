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
    Flask,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext
from flask_wtf.csrf import generate_csrf, validate_csrf
from werkzeug.exceptions import HTTPException
from werkzeug.wrappers import Response as BaseResponse
from wtforms import ValidationError

from ..core import tokens
from ..core.model import LANGUAGES, METHODS, Config
from ..log import renewals
from ..log.renewals import INPUT_FIELDS, RenewalInvalid
from ..log.store import IdempotencyConflict
from ..service import View
from . import i18n, sessions, texts
from .api import IDEMPOTENCY_KEY, admin_token
from .feeds import site
from .links import FeedLinks, feed_links

bp = Blueprint("pages", __name__)

# No inline script or style anywhere: the page's JavaScript is one static file.
CSP = ("default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; "
       "form-action 'self'; base-uri 'none'; frame-ancestors 'none'")


def _view() -> View:
    """The config and its errors, read once per request so that every part of a page agrees."""
    if "simfeed_view" not in g:
        g.simfeed_view = site().view()
    view: View = g.simfeed_view
    return view


def _is_admin(config: Config) -> bool:
    return sessions.signed_in(admin_token(config))


def _may_see(config: Config) -> bool:
    """The page shows what the feed shows: a token-protected feed needs the sign-in."""
    return config.calendar.token is None or _is_admin(config)


def _absolute(endpoint: str, **values: Any) -> str:
    """An absolute URL on [server] public_url when set, else on the host the request came to."""
    path = url_for(endpoint, **values)
    public = _view().config.server.public_url
    if public:
        return public + path.removeprefix(request.script_root)
    return request.host_url.rstrip("/") + path


def _links(config: Config, endpoint: str, **values: Any) -> FeedLinks | None:
    if not _may_see(config):
        return None
    return feed_links(_absolute(endpoint, **values), config.calendar.token)


def _safe_next(target: str | None) -> str:
    """Only a path on this site: never an open redirect to another."""
    if target and target.startswith("/") and not target.startswith(("//", "/\\")):
        return target
    return url_for("pages.index")


def _check_csrf() -> None:
    try:
        validate_csrf(request.form.get("csrf_token"))
    except ValidationError:
        abort(400, gettext("This form has expired or came from another site. Reload the page "
                           "and try again."))


def _render(template: str, status: int = 200, **context: Any) -> tuple[str, int]:
    view = _view()
    config = view.config
    # The lines name SIMs and feeds: on a private calendar, only the admin sees them.
    return render_template(template, config=config, stale_errors=view.errors if _may_see(config) else (),
                           signed_in=_is_admin(config), admin_configured=admin_token(config) is not None,
                           **context), status


@bp.get("/")
def index() -> tuple[str, int]:
    config = _view().config
    today = renewals.today_in(config)
    sims = renewals.overview(config, today) if _may_see(config) else None
    return _render("index.html", sims=sims, links=_links(config, "feed.calendar"), today=today)


def _sim_page(sim_id: str, values: dict[str, str] | None = None, errors: dict[str, str] | None = None,
              form_error: str | None = None) -> tuple[str, int]:
    """A SIM's page; with `values` and `errors`, its form again as it was sent.

    Always 200, as classic forms do: browsers log any 4xx page as a console error.
    """
    config = _view().config
    today = renewals.today_in(config)
    found = next((v for v in renewals.overview(config, today) if v.sim.id == sim_id), None)
    if found is None:
        abort(404)
    history = renewals.history(site().store, config, sim_id)
    last = found.deadline.last_renewal
    defaults = {"date": today.isoformat(), "currency": (last.currency or "") if last else "",
                "key": secrets.token_urlsafe(18)}
    return _render("sim.html", view=found, history=history, today=today,
                   links=_links(config, "feed.sim_calendar", sim_id=sim_id),
                   values=values or defaults, errors=errors or {}, form_error=form_error,
                   methods=METHODS)


@bp.get("/sims/<sim_id>")
def sim(sim_id: str) -> tuple[str, int] | BaseResponse:
    if not _may_see(_view().config):
        return redirect(url_for("pages.signin", next=request.path))
    return _sim_page(sim_id)


@bp.post("/sims/<sim_id>/renewals")
def record(sim_id: str) -> tuple[str, int] | BaseResponse:
    """Record a renewal through the same service as the CLI and the API; POST, redirect, GET."""
    _check_csrf()
    config = _view().config
    if not _is_admin(config):
        abort(403, gettext("Sign in with the admin token to record a renewal."))
    chosen = config.sim(sim_id)
    if chosen is None:
        abort(404)
    values = {name: request.form.get(name, "") for name in (*INPUT_FIELDS, "key")}
    data = {name: values[name] for name in INPUT_FIELDS}
    key = values["key"] if IDEMPOTENCY_KEY.fullmatch(values["key"]) else None
    try:
        recorded = renewals.record(site().store, config, sim_id, data, renewals.today_in(config), key)
    except RenewalInvalid as invalid:
        errors = {name: texts.field_error(name) for name in invalid.errors}
        return _sim_page(sim_id, values, errors,
                         gettext("The renewal was not recorded: correct the fields marked below."))
    except IdempotencyConflict:
        values["key"] = secrets.token_urlsafe(18)
        return _sim_page(sim_id, values, {},
                         gettext("This form was already sent with other values. Check the history "
                                 "below, then send it again if it is missing."))
    if recorded.created:
        flash(gettext("Renewal recorded. The deadline of %(name)s is now %(date)s.",
                      name=chosen.name, date=texts.day(recorded.deadline.due)), "success")
    else:
        flash(gettext("This renewal was already recorded."), "info")
    return redirect(url_for("pages.sim", sim_id=sim_id), 303)


@bp.route("/signin", methods=["GET", "POST"])
def signin() -> tuple[str, int] | BaseResponse:
    expected = admin_token(_view().config)
    target = _safe_next(request.values.get("next"))
    error = None
    if request.method == "POST":
        _check_csrf()
        if expected is not None and tokens.matches(request.form.get("token"), expected):
            sessions.sign_in(expected)
            flash(gettext("Signed in."), "success")
            return redirect(target, 303)
        error = gettext("That is not the admin token.")
    return _render("signin.html", error=error, next=target)


@bp.post("/signout")
def signout() -> BaseResponse:
    _check_csrf()
    sessions.sign_out()
    flash(gettext("Signed out."), "info")
    return redirect(url_for("pages.index"), 303)


@bp.get("/language/<tag>")
def language(tag: str) -> BaseResponse:
    if tag not in LANGUAGES:
        abort(404)
    session["lang"] = tag
    return redirect(_safe_next(request.args.get("next")), 303)


@bp.get("/favicon.ico")
def favicon() -> Response:
    """For clients that ask for /favicon.ico whatever the page's <link rel="icon"> says."""
    return current_app.send_static_file("favicon.svg")


@bp.errorhandler(400)
@bp.errorhandler(403)
@bp.errorhandler(404)
def _error_page(error: HTTPException) -> tuple[str, int]:
    """Errors of the page's own views; the feeds and the API keep answering their own way."""
    message = gettext("There is no such page.") if error.code == 404 else error.description
    return _render("message.html", error.code or 500, message=message)


def _security_headers(response: Response) -> Response:
    headers = response.headers
    # One pass over the headers, no parsing: this runs for every poll of every feed.
    present = {name.lower(): value for name, value in headers.items()}
    wanted = [("X-Content-Type-Options", "nosniff"),
              ("Referrer-Policy", "no-referrer")]  # feed tokens stay in the URL bar
    if present.get("content-type", "").startswith("text/html"):
        headers["Content-Security-Policy"] = CSP
        headers["X-Frame-Options"] = "DENY"
        # Pages carry CSRF tokens, flashes and, once signed in, feed tokens.
        wanted.append(("Cache-Control", "no-store"))
    for name, value in wanted:
        if name.lower() not in present:
            headers.add(name, value)
    return response


def init_app(app: Flask) -> None:
    """The page's blueprint with its sessions, languages and security headers."""

    sessions.init_app(app, lambda: _view().config.server.public_url)
    i18n.init_app(app, lambda: _view().config.calendar.language)
    app.config.setdefault("WTF_CSRF_TIME_LIMIT", None)  # the token lives as long as the session
    app.jinja_env.globals.update(csrf_token=generate_csrf, texts=texts, languages=LANGUAGES)
    app.after_request(_security_headers)
    app.register_blueprint(bp)
