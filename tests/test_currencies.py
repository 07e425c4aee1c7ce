"""Issue 21: a currency is an ISO 4217 code in use, never a word cut to three letters; the forms
offer the list.
"""

from __future__ import annotations

import pytest

from .conftest import BASIC
from .helpers import ADMIN_TOKEN, Visitor, config_problems

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def site(serve):
    return serve(BASIC + f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n')


@pytest.mark.parametrize("given", ["pes", "PES", "XXX", "ABC"])
def test_three_letters_that_are_no_currency_in_use_are_refused_by_the_api(site, given):
    response = site.post("/api/sims/giffgaff/renewals", json={"amount": "10", "currency": given},
                         headers=AUTH)
    assert response.status_code == 400
    assert "ISO 4217" in response.get_json()["errors"]["currency"]


def test_the_page_sends_the_whole_word_and_refuses_it(site):
    visitor = Visitor(site)
    visitor.sign_in()
    page = visitor.html("/sims/giffgaff")
    assert 'maxlength="3"' not in page  # nothing cut in the browser: the server says what is wrong
    assert 'list="currencies"' in page and '<option value="CUP">' in page
    before = site.get("/api/sims/giffgaff/renewals", headers=AUTH).get_json()
    html = visitor.record("giffgaff", amount="100", currency="pesos").get_data(as_text=True)
    assert "three-letter currency code" in html
    assert site.get("/api/sims/giffgaff/renewals", headers=AUTH).get_json() == before


def test_the_list_names_currencies_in_the_readers_language(site):
    visitor = Visitor(site)
    visitor.sign_in()
    page = visitor.html("/sims/giffgaff", headers={"Accept-Language": "zh-CN"})
    assert '<option value="HKD">港元</option>' in page


def test_a_config_currency_that_is_no_currency_in_use_is_a_problem():
    toml = BASIC.replace('currency = "CUP"', 'currency = "PES"')
    assert any("is not the code of a currency in use (ISO 4217)" in p for p in config_problems(toml))


def test_the_editor_offers_the_list_for_a_charge_currency(site):
    visitor = Visitor(site)
    visitor.sign_in()
    page = visitor.html("/sims/giffgaff/edit")
    assert 'list="currencies"' in page and '<datalist id="currencies">' in page
