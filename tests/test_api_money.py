"""Issue 21: the API gives money as exact decimal text beside its currency, never as a float."""

from __future__ import annotations

from typing import Any

import pytest

from .conftest import BASIC
from .helpers import ADMIN_TOKEN

AUTH = {"Authorization": f"Bearer {ADMIN_TOKEN}"}


@pytest.fixture
def api(serve):
    return serve(BASIC + f'\n[server]\nadmin_token = "{ADMIN_TOKEN}"\n')


def floats(value: Any, path: str = "") -> list[str]:
    """Where in a JSON document a float stands."""
    if isinstance(value, float):
        return [path]
    if isinstance(value, dict):
        return [found for key, item in value.items() for found in floats(item, f"{path}.{key}")]
    if isinstance(value, list):
        return [found for index, item in enumerate(value) for found in floats(item, f"{path}[{index}]")]
    return []


@pytest.mark.parametrize(("sent", "given"), [(0.1, "0.1"), ("25.50", "25.5"), (9.99, "9.99"), (100, "100")])
def test_an_amount_comes_back_as_the_decimal_it_was_sent_with_its_currency(api, sent, given):
    response = api.post("/api/sims/cubacel/renewals", json={"amount": sent, "currency": "CUP"}, headers=AUTH)
    renewal = response.get_json()["renewal"]
    assert (renewal["amount"], renewal["currency"]) == (given, "CUP")


def test_no_float_anywhere_in_the_api(api):
    api.post("/api/sims/cubacel/renewals", json={"amount": 0.3, "currency": "CUP"}, headers=AUTH)
    for path in ("/api/sims", "/api/totals", "/api/sims/cubacel/renewals", "/api/renewals/1"):
        assert floats(api.get(path, headers=AUTH).get_json()) == [], path
