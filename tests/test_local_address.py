"""Issue 21: served on 127.0.0.1 or localhost, the page says that phones (the QR code) and Google
need a public address, set as public_url."""

from __future__ import annotations

import pytest

from .conftest import BASIC

WARNING = "This address points at this computer"


@pytest.mark.parametrize("base", ["http://127.0.0.1:8000", "http://localhost:5000", "http://[::1]:8000"],
                         ids=["ipv4", "localhost", "ipv6"])
def test_a_local_address_says_phones_and_google_need_a_public_one(serve, base):
    html = serve(BASIC).get("/", base_url=base).get_data(as_text=True)
    assert WARNING in html and "public_url" in html


@pytest.mark.parametrize(("config", "base"), [
    (BASIC, "https://sims.example.org"),
    (BASIC + '\n[server]\npublic_url = "https://sims.example.org"\n', "http://127.0.0.1:8000"),
], ids=["public-host", "public-url-set"])
def test_a_public_address_says_nothing_of_the_kind(serve, config, base):
    assert WARNING not in serve(config).get("/", base_url=base).get_data(as_text=True)


def test_the_sims_page_says_it_too(serve):
    html = serve(BASIC).get("/sims/giffgaff", base_url="http://127.0.0.1:8000").get_data(as_text=True)
    assert WARNING in html
