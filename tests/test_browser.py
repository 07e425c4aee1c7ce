"""The page in a real browser: Debian's Chromium, driven by Playwright, against gunicorn.

Skipped (with how to enable them) when /usr/bin/chromium or the playwright package
is missing; in CI (CI=true), where .ci/run installs both, a missing one is an error.
Set SIMFEED_SCREENSHOTS=docs to refresh the README's screenshots (`make screenshots`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import shutil
import urllib.request
from collections.abc import Iterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from icalendar import Calendar

from feed.config.load import load_config
from feed.core.deadlines import deadline_for
from feed.core.model import Renewal
from feed.storage.renewals import today_in

from .helpers import ROOT, gunicorn

CHROMIUM = Path("/usr/bin/chromium")
ENABLE = ("to run the browser tests: apt-get install -y chromium fonts-noto-cjk, "
          "and pip install -r requirements-dev.txt (playwright; no browser download needed)")
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]
ADMIN = "browser-admin-Token_1-C3R8fT"
EXAMPLE = ROOT / "feed" / "config" / "starter.toml"
SHOTS = os.environ.get("SIMFEED_SCREENSHOTS")


def _missing() -> str | None:
    if not CHROMIUM.exists():
        return f"no {CHROMIUM}"
    if importlib.util.find_spec("playwright") is None:
        return "no playwright package"
    return None


MISSING = _missing()
if MISSING and os.environ.get("CI") == "true":
    raise RuntimeError(f"CI must run the browser tests, but there is {MISSING}: {ENABLE}")
pytestmark = pytest.mark.skipif(MISSING is not None, reason=f"{MISSING}; {ENABLE}")


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """gunicorn as the Procfile runs it, serving a copy of the example SIMs."""
    folder = tmp_path_factory.mktemp("browser")
    config = folder / "sims.toml"
    shutil.copy(EXAMPLE, config)
    with gunicorn(config, folder, folder / "gunicorn.log", SIMFEED_ADMIN_TOKEN=ADMIN) as base:
        yield base


@pytest.fixture(scope="module")
def browser() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        launched = playwright.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield launched
        launched.close()


class Tab:
    """One browser tab that records every console error, page error and failed request."""

    def __init__(self, browser: Any, base: str, width: int = 1280, locale: str = "en-US", **options: Any):
        self.base = base
        self.context = browser.new_context(viewport={"width": width, "height": 900}, locale=locale,
                                           **options)
        self.context.set_default_timeout(10_000)
        self.page = self.context.new_page()
        self.problems: list[str] = []
        self.page.on("console", lambda m: m.type == "error" and self.problems.append(f"console: {m.text}"))
        self.page.on("pageerror", lambda e: self.problems.append(f"page error: {e}"))
        self.page.on("requestfailed", self._failed)

    def _failed(self, request: Any) -> None:
        # A request cut short by the next navigation (the favicon, say) is no fault of the page.
        if request.failure != "net::ERR_ABORTED":
            self.problems.append(f"failed: {request.url} {request.failure}")

    def open(self, path: str) -> Any:
        self.page.goto(self.base + path)
        return self.page

    def sign_in(self) -> None:
        self.open("/signin?next=/")
        self.page.get_by_label("Admin token").fill(ADMIN)
        self.page.get_by_role("button", name="Sign in").click()
        self.page.wait_for_url(self.base + "/")

    def no_horizontal_scroll(self) -> None:
        width = self.page.evaluate("document.documentElement.scrollWidth")
        assert width <= self.page.viewport_size["width"], f"{width}px wide"

    def screenshot(self, name: str) -> None:
        if SHOTS:
            Path(SHOTS).mkdir(parents=True, exist_ok=True)
            self.page.screenshot(path=str(Path(SHOTS) / name), full_page=True)

    def close(self) -> None:
        self.context.close()
        assert self.problems == []


@pytest.fixture
def tab(browser: Any, server: str) -> Iterator[Tab]:
    opened = Tab(browser, server)
    yield opened
    opened.close()


def example_order() -> list[str]:
    config = load_config(EXAMPLE)
    return [s.id for s in sorted(config.sims, key=lambda s: (deadline_for(s, config.calendar).due, s.id))]


def feed_deadline(base: str, sim_id: str) -> str:
    with urllib.request.urlopen(f"{base}/sims/{sim_id}.ics", timeout=5) as response:
        event = next(iter(Calendar.from_ical(response.read()).walk("VEVENT")))
    return str(event["DTSTART"].dt.isoformat())


def logged_renewals(base: str, sim_id: str) -> list[dict[str, Any]]:
    request = urllib.request.Request(f"{base}/api/sims/{sim_id}/renewals",
                                     headers={"Authorization": f"Bearer {ADMIN}"})
    with urllib.request.urlopen(request, timeout=5) as response:
        return [r for r in json.load(response) if r["source"] == "log"]


def test_lists_the_example_sims_most_urgent_first(tab: Tab):
    page = tab.open("/")
    rows = page.locator("table.sims tbody tr")
    assert rows.evaluate_all("rows => rows.map(r => r.dataset.sim)") == example_order()
    deadlines = page.locator("table.sims time.deadline").evaluate_all("ts => ts.map(t => t.dateTime)")
    assert deadlines == sorted(deadlines)
    assert page.locator("html").get_attribute("lang") == "en"
    tab.screenshot("page-desktop.png")


def test_phone_layout_has_no_horizontal_scroll(browser: Any, server: str):
    phone = Tab(browser, server, width=390, is_mobile=True, has_touch=True)
    page = phone.open("/")
    tab_first = page.locator("table.sims tbody tr").first
    assert tab_first.evaluate("r => getComputedStyle(r).display") == "block"  # a card, not a row
    phone.no_horizontal_scroll()
    phone.screenshot("page-phone.png")
    phone.sign_in()
    phone.open("/sims/cubacel-cu")
    phone.no_horizontal_scroll()
    phone.close()


def test_copy_button_copies_the_feed_address(browser: Any, server: str):
    copier = Tab(browser, server, permissions=["clipboard-read", "clipboard-write"])
    page = copier.open("/")
    button = page.get_by_role("button", name="Copy")
    assert button.is_visible()  # shown by the script; hidden without JavaScript
    button.click()
    page.get_by_text("Copied").wait_for()
    assert page.evaluate("navigator.clipboard.readText()") == f"{server}/calendar.ics"
    assert page.locator("#feed-url").input_value() == f"{server}/calendar.ics"
    copier.close()


def test_subscribe_link_is_reachable_by_keyboard(tab: Tab):
    page = tab.open("/")
    for _ in range(40):
        page.keyboard.press("Tab")
        if page.evaluate("document.activeElement.href || ''").startswith("webcal://"):
            break
    else:
        pytest.fail("Tab never reached the webcal link")
    assert page.evaluate("document.activeElement.textContent") == "Subscribe"


def test_chinese_with_accept_language_zh_cn(browser: Any, server: str):
    chinese = Tab(browser, server, locale="zh-CN")
    page = chinese.open("/")
    assert page.locator("html").get_attribute("lang") == "zh-CN"
    assert page.locator("h1").inner_text() == "我的 SIM 卡"
    assert page.get_by_role("link", name="订阅", exact=True).get_attribute("href").startswith("webcal://")
    assert page.get_by_role("columnheader", name="截止日期").is_visible()
    chinese.screenshot("page-chinese.png")
    chinese.close()


@pytest.mark.parametrize(("language", "locale", "words"), [
    ("zh-CN", "zh-CN", {"title": "我的 SIM 卡", "add": "添加 SIM 卡", "preview": "预览"}),
    ("zh-Hant", "zh-HK", {"title": "我的 SIM 卡", "add": "新增 SIM 卡", "preview": "預覽"}),
], ids=["zh-CN", "zh-Hant"])
def test_chinese_on_a_phone(browser: Any, server: str, language: str, locale: str, words: dict[str, str]):
    """The overview, a SIM's page and the editor in each Chinese, at phone width (docs' screenshots)."""
    phone = Tab(browser, server, width=390, locale=locale, is_mobile=True, has_touch=True)
    page = phone.open("/signin?next=/")
    page.locator("#token").fill(ADMIN)
    page.locator("form button[type=submit]").click()
    page.wait_for_url(server + "/")
    assert page.locator("html").get_attribute("lang") == language
    assert page.locator("h1").inner_text() == words["title"]
    phone.no_horizontal_scroll()
    phone.screenshot(f"page-{language}-overview.png")
    page = phone.open("/sims/hahasim-hk")
    phone.no_horizontal_scroll()
    phone.screenshot(f"page-{language}-sim.png")
    page = phone.open("/")
    page.get_by_role("link", name=words["add"]).click()
    page.locator("#sim-name").fill("香港儲值卡" if language == "zh-Hant" else "香港充值卡")
    page.locator("#sim-rule").select_option("keep_alive")
    page.locator("#sim-keep_alive").fill("6個月" if language == "zh-Hant" else "6个月")
    page.locator("#sim-last_renewal").fill(today_in(load_config(EXAMPLE)).isoformat())
    page.get_by_role("button", name=words["preview"]).click()
    page.wait_for_load_state()
    assert page.locator("#preview-deadline").is_visible()
    phone.no_horizontal_scroll()
    phone.screenshot(f"page-{language}-editor.png")
    phone.close()


def test_recording_a_renewal_moves_the_deadline_on_the_page_and_in_the_feed(tab: Tab):
    config = load_config(EXAMPLE)
    sim = config.sim("giffgaff-uk")
    assert sim is not None
    today = today_in(config)
    expected = deadline_for(replace(sim, renewals=(*sim.renewals, Renewal(today))), config.calendar).due
    assert feed_deadline(tab.base, "giffgaff-uk") != expected.isoformat()

    tab.sign_in()
    page = tab.open("/sims/giffgaff-uk")
    assert page.get_by_label("Date").input_value() == today.isoformat()
    page.get_by_label("Amount").fill("10")
    page.get_by_label("Currency").fill("GBP")
    page.get_by_label("Method").select_option("app")
    page.get_by_label("Reference").fill("TXN-BROWSER")
    page.get_by_role("button", name="Record renewal").click()
    page.wait_for_url(tab.base + "/sims/giffgaff-uk")
    assert "Renewal recorded." in page.locator(".flash").inner_text()
    assert page.locator("#deadline").get_attribute("datetime") == expected.isoformat()
    assert "TXN-BROWSER" in page.locator("table.history").inner_text()
    tab.screenshot("page-sim.png")
    assert feed_deadline(tab.base, "giffgaff-uk") == expected.isoformat()
    overview = tab.open("/")
    row = overview.locator('tr[data-sim="giffgaff-uk"] time.deadline')
    assert row.get_attribute("datetime") == expected.isoformat()


def test_a_bad_amount_is_shown_inline_and_nothing_is_stored(tab: Tab):
    before = logged_renewals(tab.base, "hahasim-hk")
    tab.sign_in()
    page = tab.open("/sims/hahasim-hk")
    page.get_by_label("Amount").fill("abc")
    page.get_by_role("button", name="Record renewal").click()
    error = page.locator("#renewal-amount-error")
    error.wait_for()
    assert error.inner_text() == "Enter a number of zero or more, like 10 or 9.99."
    amount = page.get_by_label("Amount")
    assert amount.get_attribute("aria-invalid") == "true"
    assert amount.input_value() == "abc"
    assert page.evaluate("document.activeElement.id") == "renewal-amount"
    assert logged_renewals(tab.base, "hahasim-hk") == before


def test_adding_a_sim_with_a_preset_on_a_phone_previews_saves_and_reaches_the_feed(browser: Any, server: str):
    phone = Tab(browser, server, width=390, is_mobile=True, has_touch=True)
    today = today_in(load_config(EXAMPLE))
    expected = (today + timedelta(days=365)).isoformat()  # hahaSIM: any top-up gives 365 days
    phone.sign_in()
    page = phone.open("/")
    page.get_by_role("link", name="Add a SIM card").click()
    page.get_by_label("Name", exact=True).fill("HK airport SIM")
    page.get_by_label("Carrier preset").select_option("hahasim")
    page.get_by_label("Last renewal").fill(today.isoformat())
    live = page.locator("#preview-deadline")  # the live preview, as the fields are filled in
    live.wait_for()
    assert live.get_attribute("datetime") == expected
    phone.no_horizontal_scroll()
    page.get_by_role("button", name="Preview").click()  # the same without JavaScript
    page.wait_for_load_state()
    assert page.locator("#preview-deadline").get_attribute("datetime") == expected
    assert page.locator("#preview-status").inner_text() == "ok"
    assert page.get_by_label("Id", exact=True).input_value() == "hk-airport-sim"  # suggested
    phone.no_horizontal_scroll()
    phone.screenshot("page-editor.png")
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(server + "/sims/hk-airport-sim")
    assert "Saved to the config file." in page.locator(".flash").inner_text()
    assert feed_deadline(server, "hk-airport-sim") == expected
    # Retired again from the page, so the other tests keep seeing the example file's SIMs.
    page.get_by_role("link", name="Edit this SIM card").click()
    page.get_by_role("button", name="Retire").click()
    page.get_by_role("button", name="Yes, retire").click()  # retiring asks first
    page.wait_for_url(server + "/")
    assert page.locator('tr[data-sim="hk-airport-sim"]').count() == 0
    phone.close()


def test_the_printed_sign_in_address_signs_in_and_leaves_no_token_behind(tab: Tab):
    """The first start prints /signin#token=…: the fragment never reaches the server, and the page
    takes it out of the address bar before signing in."""
    page = tab.open(f"/signin?next=/#token={ADMIN}")
    page.wait_for_url(tab.base + "/")
    assert page.get_by_role("button", name="Sign out").is_visible()
    assert ADMIN not in page.url
    assert page.evaluate("history.length") <= 2 and "token" not in page.evaluate("location.href")
