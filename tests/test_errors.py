"""Issue 21: every error answer from one place: JSON under /api (known URL or not), the site's own
page in the reader's language elsewhere.
"""

from __future__ import annotations

import pytest

from .conftest import BASIC
from .helpers import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def site(serve):
    return serve(BASIC + f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n', TESTING=False)


@pytest.mark.parametrize("path", ["/api/nothing", "/api", "/api/sims/giffgaff/nothing"],
                         ids=["unknown", "root", "nested"])
def test_an_unknown_api_url_answers_json_404(site, path):
    response = site.get(path, headers=AUTH)
    assert response.status_code == 404
    assert response.is_json and response.get_json()["error"]


def test_a_wrong_method_on_the_api_answers_json_405_with_allow(site):
    response = site.put("/api/sims", headers=AUTH)
    assert response.status_code == 405
    assert response.is_json and response.get_json()["error"]
    assert "GET" in response.headers["Allow"]


def test_too_many_wrong_admin_tokens_on_the_api_answer_json_429(site):
    for _ in range(30):
        response = site.get("/api/sims", headers={"Authorization": "Bearer wrong-token-1234567890"})
        if response.status_code == 429:
            break
    assert response.status_code == 429
    assert response.is_json and response.get_json()["retry_after"] > 0
    assert int(response.headers["Retry-After"]) > 0


@pytest.mark.parametrize(("depth", "status"), [(100_000, 413), (30_000, 400)],
                         ids=["larger-than-any-call", "within-the-size-limit"])
def test_a_deeply_nested_json_body_is_refused_not_a_500(site, depth, status):
    body = "[" * depth + "]" * depth
    response = site.post("/api/sims/giffgaff/renewals", data=body, headers=AUTH,
                         content_type="application/json")
    assert response.status_code == status
    assert response.is_json and "error" in response.get_json()


@pytest.mark.parametrize(("language", "sentence"),
                         [("en", "There is no such page."), ("zh-CN", "没有这个页面。")])
def test_a_page_that_does_not_exist_is_the_sites_own_page_in_the_readers_language(site, language, sentence):
    response = site.get("/nothing/here", headers={"Accept-Language": language})
    assert response.status_code == 404
    html = response.get_data(as_text=True)
    assert sentence in html and 'class="site-header"' in html
    assert f'lang="{language}"' in html


def test_a_wrong_method_on_a_page_is_the_sites_own_page(site):
    response = site.delete("/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 405
    html = response.get_data(as_text=True)
    assert 'class="site-header"' in html and "Method Not Allowed" not in html
    assert "GET" in response.headers["Allow"]
