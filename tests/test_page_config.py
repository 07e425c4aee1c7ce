"""The config keys the web page reads: [calendar] language and [server] public_url."""

from __future__ import annotations

from pathlib import Path

import pytest

from feed.config.load import ConfigError, load_config, parse_toml

EXAMPLE = Path(__file__).resolve().parent.parent / "config" / "sims.example.toml"
SIM = '\n[[sim]]\nid = "a"\nname = "A"\nexpires = 2027-01-01\n'


def test_defaults():
    config = parse_toml(SIM)
    assert config.calendar.language == "en"
    assert config.server.public_url is None


@pytest.mark.parametrize(("given", "expected"), [
    ("en", "en"), ("zh-CN", "zh-CN"), ("zh_cn", "zh-CN"), ("EN", "en"),
], ids=["en", "zh-CN", "underscore-lower", "upper"])
def test_language(given, expected):
    assert parse_toml(f'[calendar]\nlanguage = "{given}"\n' + SIM).calendar.language == expected


def test_unknown_language_is_an_error():
    with pytest.raises(ConfigError) as error:
        parse_toml('[calendar]\nlanguage = "fr"\n' + SIM, "sims.toml")
    assert error.value.lines == [
        'sims.toml: calendar: language: "fr" must be one of "en", "zh-CN", "zh-Hant"']


@pytest.mark.parametrize(("given", "expected"), [
    ("https://sims.example.org", "https://sims.example.org"),
    ("https://sims.example.org/", "https://sims.example.org"),
    ("http://10.0.0.2:8000/simfeed/", "http://10.0.0.2:8000/simfeed"),
], ids=["plain", "trailing-slash", "path-and-port"])
def test_public_url(given, expected):
    assert parse_toml(f'[server]\npublic_url = "{given}"\n' + SIM).server.public_url == expected


@pytest.mark.parametrize("given", ["sims.example.org", "ftp://x.org", "https://x.org/?a=1", ""],
                         ids=["no-scheme", "ftp", "query", "empty"])
def test_bad_public_url(given):
    with pytest.raises(ConfigError) as error:
        parse_toml(f'[server]\npublic_url = "{given}"\n' + SIM, "sims.toml")
    assert error.value.lines[0].startswith("sims.toml: server: public_url: ")


def test_empty_admin_token_still_reads_public_url():
    config = parse_toml('[server]\nadmin_token = ""\npublic_url = "https://x.org"\n' + SIM)
    # "" is kept as written: it switches signing in off (no token is made in the data folder either).
    assert (config.server.admin_token, config.server.public_url) == ("", "https://x.org")


def test_example_config_documents_both():
    assert load_config(EXAMPLE).calendar.language == "en"
    assert "# public_url = " in EXAMPLE.read_text(encoding="utf-8")
