"""The page's language: the visitor's pick, else Accept-Language, else [calendar] language."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
import time_machine

from .conftest import BASIC, write_config
from .test_pages import WITH_ADMIN, Visitor

ZH_CONFIG = BASIC.replace('timezone = "Europe/London"', 'timezone = "Europe/London"\nlanguage = "zh-CN"')


@pytest.fixture(autouse=True)
def frozen() -> Iterator[None]:
    with time_machine.travel(datetime(2026, 11, 24, 12, tzinfo=UTC), tick=False):
        yield


@pytest.fixture
def zh_client(tmp_path, make_app):
    return make_app(write_config(tmp_path / "zh.toml", ZH_CONFIG)).test_client()


def lang(html: str) -> str:
    return html.split('<html lang="', 1)[1].split('"', 1)[0]


@pytest.mark.parametrize(("header", "expected"), [
    ("zh-CN,zh;q=0.9,en;q=0.8", "zh-CN"),
    ("zh-TW", "zh-Hant"),
    ("zh-HK,zh;q=0.9", "zh-Hant"),
    ("zh-MO", "zh-Hant"),
    ("zh-Hant", "zh-Hant"),
    ("zh-Hans-HK", "zh-CN"),
    ("zh-Hans-CN", "zh-CN"),
    ("en-GB,en;q=0.9", "en"),
    ("fr-FR, de;q=0.8", "en"),
    ("fr, zh;q=0.5, en;q=0.4", "zh-CN"),
], ids=["zh-CN", "zh-TW", "zh-HK", "zh-MO", "zh-Hant", "zh-Hans-HK", "zh-Hans", "en-GB", "neither",
        "second-choice"])
def test_accept_language(client, header, expected):
    assert lang(client.get("/", headers={"Accept-Language": header}).get_data(as_text=True)) == expected


@pytest.mark.parametrize(("header", "expected"), [
    (None, "zh-CN"), ("fr", "zh-CN"), ("en-US", "en"),
], ids=["no-header", "neither", "browser-wins"])
def test_config_language_is_the_fallback(zh_client, header, expected):
    headers = {"Accept-Language": header} if header else {}
    assert lang(zh_client.get("/", headers=headers).get_data(as_text=True)) == expected


def test_chinese_page(client):
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<h1>我的 SIM 卡</h1>" in html
    assert '<span class="status">即将到期</span>' in html
    assert '<time class="deadline" datetime="2026-12-02">2026年12月2日</time>' in html
    assert "8 天后" in html
    assert "每 12 到 24 小时才一次" in html  # Google's slow refresh, in Chinese too
    assert 'data-label="截止日期"' in html


def test_chinese_inline_error(tmp_path, make_app):
    visitor = Visitor(make_app(write_config(tmp_path / "a.toml", WITH_ADMIN)).test_client())
    visitor.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = "zh-CN"
    visitor.sign_in()
    html = visitor.record("giffgaff", amount="十").get_data(as_text=True)
    assert "请输入不小于 0 的数字，例如 10 或 9.99。" in html
    assert "续费未记录" in html


def test_the_visitor_picks_a_language(client):
    response = client.get("/language/zh-CN?next=/sims/giffgaff", headers={"Accept-Language": "en"})
    assert response.status_code == 303 and response.headers["Location"] == "/sims/giffgaff"
    assert lang(client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)) == "zh-CN"
    client.get("/language/en")
    assert lang(client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)) == "en"
    assert client.get("/language/fr").status_code == 404


def test_the_visitor_picks_traditional_chinese(client):
    response = client.get("/language/zh-Hant?next=/", headers={"Accept-Language": "zh-CN"})
    assert response.status_code == 303
    html = client.get("/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert lang(html) == "zh-Hant"
    assert "<h1>我的 SIM 卡</h1>" in html and 'data-label="到期日"' in html
    assert '<time class="deadline" datetime="2026-12-02">2026年12月2日</time>' in html
    assert 'lang="zh-Hant" hreflang="zh-Hant"\n       aria-current="true">繁體中文</a>' in html


def test_traditional_chinese_page(client):
    html = client.get("/", headers={"Accept-Language": "zh-HK,zh;q=0.9"}).get_data(as_text=True)
    assert '<span class="status">即將到期</span>' in html
    assert "8 天後" in html
    assert "每 12 至 24 小時才一次" in html
