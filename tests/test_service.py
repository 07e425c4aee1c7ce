"""The service is the one way in: its clock decides "today" for the page, the API and the CLI alike."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from flask import Flask

from feed.service import RenewalInvalid, Service

ADMIN = "admin-token-for-tests-uYybk7"
AUTH = {"Authorization": f"Bearer {ADMIN}"}
# 23:30 UTC on 30 June 2026 is already 1 July in London (BST, UTC+1).
LATE_EVENING = datetime(2026, 6, 30, 23, 30, tzinfo=UTC)

pytestmark = pytest.mark.usefixtures("clean_environment")


@pytest.fixture
def app(build: Callable[..., Flask], config_path: Path) -> Flask:
    """An app whose service's clock is frozen at LATE_EVENING (the machine's clock is never read)."""
    built = build(config_path, SIMFEED_ADMIN_TOKEN=ADMIN)
    service: Service = built.extensions["simfeed"]
    service.clock = lambda: LATE_EVENING
    return built


def service_of(app: Flask) -> Service:
    found: Service = app.extensions["simfeed"]
    return found


def test_today_is_the_calendars_day_at_the_injected_now(app: Flask) -> None:
    assert service_of(app).today() == date(2026, 7, 1)


def test_a_renewal_without_a_date_is_recorded_on_the_calendars_today(app: Flask) -> None:
    answer = app.test_client().post("/api/sims/giffgaff/renewals", json={"kind": "sms"}, headers=AUTH)
    assert answer.status_code == 201
    assert answer.get_json()["renewal"]["date"] == "2026-07-01"
    # keep_alive = "6 months" from 2026-07-01
    assert answer.get_json()["deadline"] == "2027-01-01"


def test_a_date_after_the_injected_today_is_refused(app: Flask) -> None:
    with pytest.raises(RenewalInvalid) as refused:
        service_of(app).record("giffgaff", {"date": "2026-07-02"})
    assert set(refused.value.errors) == {"date"}
    assert service_of(app).history("giffgaff")[0].date == date(2026, 6, 2)  # nothing was stored


def test_the_cli_renews_on_the_same_today(app: Flask) -> None:
    result = app.test_cli_runner().invoke(args=["renew", "giffgaff", "--kind", "sms"])
    assert result.exit_code == 0, result.output
    assert "on 2026-07-01; deadline now 2027-01-01 (184 days left)" in result.output


def test_undo_removes_a_logged_renewal_once(app: Flask) -> None:
    recorded = service_of(app).record("giffgaff", {"kind": "sms"})
    assert service_of(app).undo(recorded.stored.id) == recorded.stored
    assert service_of(app).undo(recorded.stored.id) is None
    assert [r["source"] for r in service_of(app).renewal_records("giffgaff")] == ["config"]
