"""Issue 21: signing out ends the session on the server, in every worker and instance; so does a
changed admin token. A cookie copied before sign-out opens nothing afterwards.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient

from .conftest import BASIC, write_config
from .helpers import ADMIN_TOKEN, Visitor

WITH_ADMIN = BASIC + f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n'
FORM = 'action="/sims/giffgaff/renewals"'  # shown only to the signed-in admin


@pytest.fixture
def workers(tmp_path: Path, build: Callable[..., Flask], log_url: str) -> list[Flask]:
    """Two apps on one config, one instance folder (the session key) and one database, as two workers."""
    path = write_config(tmp_path / "sims.toml", WITH_ADMIN)
    return [build(path, SIMFEED_DATABASE=log_url) for _ in range(2)]


def signed_in(client: FlaskClient) -> bool:
    return FORM in client.get("/sims/giffgaff").get_data(as_text=True)


def with_cookie(app: Flask, cookie: str) -> FlaskClient:
    client = app.test_client()
    client.set_cookie("simfeed_session", cookie)
    return client


def test_a_cookie_copied_before_sign_out_opens_nothing_in_any_worker(workers: list[Flask]) -> None:
    browser = Visitor(workers[0].test_client())
    browser.sign_in()
    copied = browser.client.get_cookie("simfeed_session")
    assert copied is not None
    assert signed_in(with_cookie(workers[1], copied.value))  # one session, every worker
    csrf = browser.hidden(browser.html("/"), "csrf_token")
    assert browser.client.post("/signout", data={"csrf_token": csrf}).status_code == 303
    for app in workers:
        stolen = with_cookie(app, copied.value)
        assert not signed_in(stolen)
        assert stolen.get("/sims/giffgaff/edit").status_code == 302  # to the sign-in
        # Nor is the copy refreshed into a new cookie that would outlive the sign-out.
        refreshed = stolen.get_cookie("simfeed_session")
        assert refreshed is not None and not signed_in(with_cookie(app, refreshed.value))


def test_signing_out_one_browser_leaves_another_signed_in(workers: list[Flask]) -> None:
    first, second = Visitor(workers[0].test_client()), Visitor(workers[1].test_client())
    first.sign_in()
    second.sign_in()
    first.client.post("/signout", data={"csrf_token": first.hidden(first.html("/"), "csrf_token")})
    assert not signed_in(first.client)
    assert signed_in(second.client)


def test_a_changed_admin_token_ends_the_session_even_when_changed_back(tmp_path: Path,
                                                                      workers: list[Flask]) -> None:
    browser = Visitor(workers[0].test_client())
    browser.sign_in()
    copied = browser.client.get_cookie("simfeed_session")
    assert copied is not None
    path = Path(workers[0].config["SIMFEED_CONFIG"])
    write_config(path, WITH_ADMIN.replace(ADMIN_TOKEN, ADMIN_TOKEN + "-new"), mtime=1_780_000_100)
    assert not signed_in(with_cookie(workers[1], copied.value))
    write_config(path, WITH_ADMIN, mtime=1_780_000_200)  # the old token again: the session stays ended
    assert not signed_in(with_cookie(workers[0], copied.value))
    assert not signed_in(browser.client)
