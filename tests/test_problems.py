"""Config problems as data (issue 22): where and why, worded in the reader's language, placed by key."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path

import pytest
import time_machine

from feed.config.load import ConfigError, parse_toml
from feed.config.problems import Problem
from feed.core import parsers, reasons
from feed.core.wording import Wording
from feed.editing import drafts
from feed.editing.configfile import ConfigFile

from .conftest import BASIC, write_config
from .helpers import Visitor, private_config

BAD = """
[[sim]]
id = "hk"
name = "HK"
topup = { tiers = [{ min_amount = 50, extends = "6 moths" }] }
last_renewal = 2026-06-01

[[sim]]
name = "No id"
keep_alive = "6个月"
"""


def problems(text: str) -> list[Problem]:
    with pytest.raises(ConfigError) as raised:
        parse_toml(text, "sims.toml")
    return raised.value.problems


def test_a_problem_is_its_place_and_its_code():
    found = problems(BAD)
    assert [(p.file, p.table, p.index, p.id, p.key, p.code) for p in found] == [
        ("sims.toml", "sim", 0, "hk", ("topup", "tiers", 0, "extends"), "not_duration"),
        ("sims.toml", "sim", 1, None, (), "missing_key"),
        ("sims.toml", "sim", 1, None, ("keep_alive",), "no_renewal"),
    ]
    assert dict(found[0].params) == {"value": '"6 moths"'}
    assert [str(p) for p in found] == [
        'sims.toml: sim "hk": topup: tiers[0]: extends: "6 moths" is not a duration '
        '(try "6 months", "180 days" or "P6M")',
        "sims.toml: sim #2: id is missing",
        "sims.toml: sim #2: keep_alive: needs last_renewal (or renewals) to count from",
    ]


@pytest.mark.parametrize(("language", "expected"), [
    ("zh-CN", 'sims.toml: sim "hk": topup: tiers[0]: extends: "6 moths" 不是时长'),
    ("zh-Hant", 'sims.toml: sim "hk": topup: tiers[0]: extends: "6 moths" 不是一段時間'),
], ids=["zh-CN", "zh-Hant"])
def test_a_problem_is_worded_in_the_readers_language(language: str, expected: str):
    line = Wording(language).problem(problems(BAD)[0])
    assert line.startswith(expected)
    assert Wording(language).problem(problems(BAD)[1]) == "sims.toml: sim #2: 缺少 id"


def test_a_file_problem_has_no_table():
    (problem,) = problems("[[sim]\n")
    assert (problem.table, problem.key, problem.code) == (None, (), "toml_syntax")
    assert str(problem) == ("sims.toml: line 1, column 6, in [[sim]] #1: this is not valid TOML: [[sim] "
                            "(tomllib: Expected ']]' at the end of an array declaration)")
    assert Wording("zh-CN").problem(problem) == "sims.toml: 第 1 行第 6 列不符合 TOML 写法"


def test_every_code_has_a_sentence_and_every_sentence_a_translation():
    for language in ("zh-CN", "zh-Hant"):
        words = Wording(language)
        untranslated = [code for code, sentence in reasons.SENTENCES.items()
                        if words._(sentence) == sentence]
        assert untranslated == [], language


def test_the_editor_places_problems_by_key_not_by_their_words(tmp_path: Path,
                                                               monkeypatch: pytest.MonkeyPatch):
    """Rewording a sentence must not move its error away from its field (drafts.py used to read the text)."""
    path = write_config(tmp_path / "sims.toml", BASIC)
    file = ConfigFile(path, str(tmp_path / "instance"))
    monkeypatch.setattr(reasons, "SENTENCES", {code: f"reworded {code}" for code in reasons.SENTENCES})
    draft = drafts.add(file, path.read_text(encoding="utf-8"),
                       {"name": "New", "rule": "topup", "topup_tiers": "50: 6 moths", "alarm_time": "25:00"})
    assert {name: reason.code for name, reason in draft.errors.items()} == {
        "topup_tiers": "not_duration", "alarm_time": "not_clock_time"}
    assert draft.problems == ()
    draft = drafts.add(file, path.read_text(encoding="utf-8"), {"name": "New", "rule": "keep_alive",
                                                                "keep_alive": "6个月"})
    assert {name: reason.code for name, reason in draft.errors.items()} == {"last_renewal": "no_renewal"}
    draft = drafts.add(file, path.read_text(encoding="utf-8"), {"name": "New", "rule": ""})
    assert {name: reason.code for name, reason in draft.errors.items()} == {"rule": "no_rule"}


# Chinese input beyond durations (issue 23): amounts as typed on a Chinese keyboard.
@pytest.mark.parametrize(("typed", "amount"), [
    ("50元", 50.0), ("５０", 50.0), ("９.９９ 元", 9.99), ("100蚊", 100.0), ("30塊", 30.0),
], ids=lambda value: str(value))
def test_typed_amounts_in_chinese(typed: str, amount: float):
    assert parsers.amount_text(typed) == amount


@pytest.mark.parametrize("typed", ["五十元", "50 美元", "元", "1,000元"], ids=lambda value: value)
def test_typed_amounts_that_are_refused_say_so(typed: str):
    with pytest.raises(parsers.Invalid) as raised:
        parsers.amount_text(typed)
    assert raised.value.reason.code == "not_amount"
    assert Wording("zh-CN").reason(raised.value.reason).endswith("必须是数字，例如 10 或 9.99")


def test_a_renewal_typed_in_chinese_is_recorded(tmp_path: Path, make_app):
    app = make_app(write_config(tmp_path / "sims.toml", private_config()))
    visitor = Visitor(app.test_client())
    with time_machine.travel(datetime(2026, 11, 20, 12, tzinfo=UTC), tick=False):
        visitor.sign_in()
        assert visitor.record("giffgaff", amount="１０元", currency="gbp").status_code == 303
    (stored,) = app.extensions["simfeed"].store.read_all()[1]["giffgaff"]
    assert (stored.renewal.amount, stored.renewal.currency) == (10.0, "GBP")


def test_the_editor_takes_chinese_durations_and_no_alarms(tmp_path: Path):
    path = write_config(tmp_path / "sims.toml", BASIC)
    file = ConfigFile(path, str(tmp_path / "instance"))
    draft = drafts.add(file, path.read_text(encoding="utf-8"),
                       {"name": "香港卡", "id": "hk", "rule": "topup", "topup_extends": "半年",
                        "topup_min_amount": "５０元", "last_renewal": "2026-11-01", "alarms": "無",
                        "grace": "2週"})
    assert draft.ok, (draft.errors, draft.problems)
    assert draft.sim is not None and draft.sim.alarms == ()
    assert draft.table["topup"] == {"extends": "半年", "min_amount": 50}
