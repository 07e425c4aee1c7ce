"""The JSON API under /api: read SIMs and their renewals, record and remove renewals.

Every call, reads included (they show payment references), needs the admin
token as a Bearer token; with no admin token configured the API refuses all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, current_app, jsonify, request, url_for
from werkzeug.exceptions import HTTPException

from ..ledger import sheet
from ..log import renewals
from ..log.db import LogUnavailable
from ..log.records import renewal_record
from ..log.renewals import RenewalInvalid, UnknownSim
from ..log.store import IdempotencyConflict
from .auth import TooManyAttempts, bearer_ok
from .current import service, snapshot

bp = Blueprint("api", __name__, url_prefix="/api")


def _error(status: int, message: str, **extra: Any) -> Response:
    response = jsonify(error=message, **extra)
    response.status_code = status
    return response


@bp.before_request
def _authorise() -> Response | None:
    if not bearer_ok(snapshot().config):
        response = _error(401, "an admin token is needed: Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="simfeed"'
        return response
    return None


@bp.errorhandler(HTTPException)
def _http_error(error: HTTPException) -> Response:
    return _error(error.code or 500, (error.description or error.name).split("\n")[0])


@bp.errorhandler(TooManyAttempts)
def _too_many(error: TooManyAttempts) -> Response:
    response = _error(429, "too many wrong admin tokens: try again later", retry_after=error.retry_after)
    response.headers["Retry-After"] = str(error.retry_after)
    return response


@bp.errorhandler(LogUnavailable)
def _log_unavailable(error: LogUnavailable) -> Response:
    """The database is down: a 503 that says nothing was stored, and when to try again."""
    current_app.logger.warning("%s", error)
    response = _error(503, "the renewal log's database is unavailable: nothing was stored; try again later")
    response.headers["Retry-After"] = "30"
    return response


@bp.get("/sims")
def list_sims() -> Response:
    config = snapshot().config
    return jsonify(sheet.records(config, renewals.today_in(config)))


@bp.get("/totals")
def cost_totals() -> Response:
    """What keeping every SIM costs a year, projected and paid, per currency."""
    config = snapshot().config
    return jsonify(sheet.totals_json(config, renewals.today_in(config)))


@bp.get("/sims/<sim_id>/renewals")
def list_renewals(sim_id: str) -> Response:
    view = snapshot()
    try:
        entries = renewals.history(service().store, view.config, sim_id)
    except UnknownSim:
        abort(404, f"no SIM {sim_id!r}")
    return jsonify([renewal_record(e, sim_id) for e in entries])


@bp.post("/sims/<sim_id>/renewals")
def add_renewal(sim_id: str) -> Response:
    config = snapshot().config
    if config.sim(sim_id) is None:
        abort(404, f"no SIM {sim_id!r}")
    # Not request.content_length: a chunked body has none, and must not be taken for an empty one.
    body = request.get_json(silent=True, force=True) if request.get_data(cache=True) else {}
    if not isinstance(body, dict):
        return _error(400, "the body must be a JSON object", errors={"body": "not a JSON object"})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not renewals.IDEMPOTENCY_KEY.fullmatch(key):
        return _error(400, "bad Idempotency-Key", errors={"Idempotency-Key": "1 to 255 visible characters"})
    try:
        recorded = renewals.record(service().store, config, sim_id, body, renewals.today_in(config), key)
    except RenewalInvalid as invalid:
        return _error(400, "the renewal was not stored", errors=invalid.errors)
    except IdempotencyConflict as conflict:
        return _error(422, str(conflict))
    response = jsonify(renewal=renewal_record(recorded.stored, sim_id),
                       deadline=recorded.deadline.due.isoformat())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_renewal", renewal_id=recorded.stored.id)
    if not recorded.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.get("/renewals/<int:renewal_id>")
def get_renewal(renewal_id: int) -> Response:
    stored = service().store.get(renewal_id)
    if stored is None:
        abort(404, f"no renewal {renewal_id}")
    return jsonify(renewal_record(stored, stored.sim_id))


@bp.delete("/renewals/<int:renewal_id>")
def delete_renewal(renewal_id: int) -> Response:
    if not service().store.delete(renewal_id):
        abort(404, f"no renewal {renewal_id}")
    return Response(status=204)
