"""The JSON API under /api: read SIMs and their renewals, record and remove renewals.

Every call, reads included (they show payment references), needs the admin
token as a Bearer token; with no admin token configured the API refuses all.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, request, url_for

from ..service import (
    IDEMPOTENCY_KEY,
    IdempotencyConflict,
    Recorded,
    RenewalInvalid,
    UnknownSim,
    renewal_record,
)
from .auth import bearer_ok
from .current import service, snapshot
from .errors import json_error

bp = Blueprint("api", __name__, url_prefix="/api")


@bp.before_request
def _authorise() -> Response | None:
    if not bearer_ok(snapshot().config):
        response = json_error(401, "an admin token is needed: Authorization: Bearer <token>")
        response.headers["WWW-Authenticate"] = 'Bearer realm="simfeed"'
        return response
    return None


@bp.get("/sims")
def list_sims() -> Response:
    return jsonify(service().ledger(snapshot().config))


@bp.get("/totals")
def cost_totals() -> Response:
    """What keeping every SIM costs a year, projected and paid, per currency."""
    return jsonify(service().cost_totals(snapshot().config))


@bp.get("/sims/<sim_id>/renewals")
def list_renewals(sim_id: str) -> Response:
    try:
        return jsonify(service().renewal_records(sim_id, snapshot().config))
    except UnknownSim:
        abort(404, f"no SIM {sim_id!r}")


def _json_object() -> dict[str, Any] | None:
    """The request's body as a JSON object ({} when empty); None when it is anything else."""
    # Not request.content_length: a chunked body has none, and must not be taken for an empty one.
    try:
        body = request.get_json(silent=True, force=True) if request.get_data(cache=True) else {}
    except RecursionError:  # nested deeper than the parser goes: not a renewal either
        body = None
    return body if isinstance(body, dict) else None


def _created(recorded: Recorded, sim_id: str) -> Response:
    """201 with the renewal and its SIM's new deadline; a replayed request says so."""
    response = jsonify(renewal=renewal_record(recorded.stored, sim_id),
                       deadline=recorded.deadline.due.isoformat())
    response.status_code = 201
    response.headers["Location"] = url_for("api.get_renewal", renewal_id=recorded.stored.id)
    if not recorded.created:
        response.headers["Idempotent-Replayed"] = "true"
    return response


@bp.post("/sims/<sim_id>/renewals")
def add_renewal(sim_id: str) -> Response:
    if snapshot().config.sim(sim_id) is None:
        abort(404, f"no SIM {sim_id!r}")
    body = _json_object()
    if body is None:
        return json_error(400, "the body must be a JSON object", errors={"body": "not a JSON object"})
    key = request.headers.get("Idempotency-Key")
    if key is not None and not IDEMPOTENCY_KEY.fullmatch(key):
        return json_error(400, "bad Idempotency-Key",
                          errors={"Idempotency-Key": "1 to 255 visible characters"})
    try:
        recorded = service().record(sim_id, body, key, snapshot().config)
    except RenewalInvalid as invalid:
        return json_error(400, "the renewal was not stored", errors=invalid.errors)
    except IdempotencyConflict as conflict:
        return json_error(422, str(conflict))
    return _created(recorded, sim_id)


@bp.get("/renewals/<int:renewal_id>")
def get_renewal(renewal_id: int) -> Response:
    stored = service().renewal(renewal_id)
    if stored is None:
        abort(404, f"no renewal {renewal_id}")
    return jsonify(renewal_record(stored, stored.sim_id))


@bp.delete("/renewals/<int:renewal_id>")
def delete_renewal(renewal_id: int) -> Response:
    if service().undo(renewal_id) is None:
        abort(404, f"no renewal {renewal_id}")
    return Response(status=204)
