"""Issue 21: `next` after choosing a language or signing in stays on this site, whatever it holds."""

from __future__ import annotations

import pytest

from feed.web.redirects import safe_next

from .helpers import Visitor

HOSTILE = {
    "tab": "/%09/evil.example/phish",
    "newline": "/%0a/x",
    "carriage-return": "/%0d/x",
    "space": "/%20/evil.example",
    "scheme-relative": "//evil.example/",
    "absolute": "https://evil.example/",
    "backslash": "/\\evil.example",
    "encoded-backslash": "/%5cevil.example",
    "nul": "/%00/evil.example",
    "del": "/%7f/evil.example",
    "no-break-space": "/%c2%a0/evil.example",
    "javascript": "javascript:alert(1)",
    "relative": "evil.example",
}


@pytest.mark.parametrize("target", HOSTILE.values(), ids=HOSTILE.keys())
def test_language_never_redirects_off_site(client, target):
    response = client.get(f"/language/en?next={target}")
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("target", HOSTILE.values(), ids=HOSTILE.keys())
def test_sign_in_never_redirects_off_site_whatever_next_holds(admin_client, target):
    from urllib.parse import unquote

    response = Visitor(admin_client).sign_in(next_path=unquote(target))
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize(("target", "expected"), [
    ("/sims/giffgaff", "/sims/giffgaff"),
    ("/sims/giffgaff?x=1#top", "/sims/giffgaff?x=1#top"),
    ("/sims/caf\u00e9", "/sims/caf%C3%A9"),
], ids=["path", "query-and-fragment", "non-ascii"])
def test_a_path_on_this_site_is_kept(client, target, expected):
    assert client.get("/language/en", query_string={"next": target}).headers["Location"] == expected
    with client.application.test_request_context():
        assert safe_next(target) == expected


@pytest.fixture
def admin_client(serve):
    from .conftest import BASIC
    from .helpers import ADMIN_TOKEN

    return serve(BASIC + f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n')
