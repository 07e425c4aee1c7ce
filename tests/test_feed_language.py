"""The feed's titles, descriptions and alarm texts follow [calendar] language."""

from __future__ import annotations

from datetime import UTC, datetime

from ical.calendar_stream import IcsCalendarStream
from icalendar import Calendar

from feed.calendar.builder import render
from feed.config.load import parse_toml

CONFIG = """
[calendar]
timezone = "Asia/Shanghai"
language = "{language}"
alarms = ["14 days", "0 days"]
history = true

[[sim]]
id = "cubacel"
name = "古巴保号卡"
number = "+53 5555 4567"
renewals = [{{ date = 2026-01-10, amount = 100, currency = "CUP", method = "web", reference = "T1" }}]
keep_alive = "330 days"
grace = "30 days"
how_to_renew = "Transfermóvil"
"""
STAMP = datetime(2026, 5, 28, tzinfo=UTC)


def feed(language: str) -> bytes:
    return render(parse_toml(CONFIG.format(language=language), "t.toml", STAMP), reminders="both")


def by_uid(body: bytes) -> dict[str, object]:
    return {str(e["UID"]): e for e in Calendar.from_ical(body).walk("VEVENT")}


def test_chinese_feed():
    body = feed("zh-CN")
    events = by_uid(body)
    # 2026-01-10 + 330 days = 2026-12-06 (324 days to 2026-11-30, and 6 more).
    deadline = events["cubacel-deadline@simfeed"]
    assert str(deadline["SUMMARY"]) == "续费 古巴保号卡 ••4567"
    assert [str(a["DESCRIPTION"]) for a in deadline.walk("VALARM")] == [
        "续费 古巴保号卡 ••4567：14 天后截止（2026-12-06）",
        "续费 古巴保号卡 ••4567：今天截止（2026-12-06）",
    ]
    assert str(deadline["DESCRIPTION"]).splitlines() == [
        "上次续费：2026-01-10（100.00\u00a0古巴比索，通过网站，流水号 T1）。",
        "规则：至少每 330 天续费一次（截止日 2026-12-06）。",
        "自 2027-01-05 起：最后挽回日（挽回方法：今天就续费；过了今天号码可能永久失去）。",
        "续费方法：Transfermóvil",
        "号码：••4567",
    ]
    # The warning event 14 days before: 2026-11-22, with the date written the Chinese way.
    warning = events["cubacel-warning-14d@simfeed"]
    assert str(warning["SUMMARY"]) == "14 天内续费 古巴保号卡 ••4567 —— 12月6日前"
    assert str(events["cubacel-stage-0@simfeed"]["SUMMARY"]) == "最后挽回日：古巴保号卡 ••4567"
    assert str(events["cubacel-renewal-2026-01-10-1@simfeed"]["SUMMARY"]) == (
        "已充值 古巴保号卡 ••4567：100.00\u00a0古巴比索，通过网站，流水号 T1")
    # A strict independent parser reads it too.
    parsed = IcsCalendarStream.calendar_from_ics(body.decode())
    assert sorted(e.summary for e in parsed.events)[0].startswith("14 天内续费")


def test_english_is_the_default_and_the_same_words():
    events = by_uid(feed("en"))
    assert str(events["cubacel-deadline@simfeed"]["SUMMARY"]) == "Renew 古巴保号卡 ••4567"
    assert str(events["cubacel-warning-14d@simfeed"]["SUMMARY"]) == (
        "Renew 古巴保号卡 ••4567 within 14 days — by 6 Dec")
    assert str(events["cubacel-stage-0@simfeed"]["SUMMARY"]) == "Last day to recover: 古巴保号卡 ••4567"


def test_only_the_words_change_not_the_dates_or_uids():
    english, chinese = by_uid(feed("en")), by_uid(feed("zh-CN"))
    assert english.keys() == chinese.keys()
    for uid in english:
        assert english[uid]["DTSTART"].dt == chinese[uid]["DTSTART"].dt
        assert [a["TRIGGER"].to_ical() for a in english[uid].walk("VALARM")] == \
               [a["TRIGGER"].to_ical() for a in chinese[uid].walk("VALARM")]


def test_traditional_chinese_feed():
    """zh-Hant: Hong Kong and Taiwan wording (續期, 增值), Babel's zh_Hant names and dates."""
    events = by_uid(feed("zh-Hant"))
    deadline = events["cubacel-deadline@simfeed"]
    assert str(deadline["SUMMARY"]) == "續期 古巴保号卡 ••4567"
    assert [str(a["DESCRIPTION"]) for a in deadline.walk("VALARM")] == [
        "續期 古巴保号卡 ••4567：14 天後到期（2026-12-06）",
        "續期 古巴保号卡 ••4567：今天到期（2026-12-06）",
    ]
    assert str(deadline["DESCRIPTION"]).splitlines()[:2] == [
        "上次續期：2026-01-10（100.00\u00a0古巴披索，經網站，參考編號 T1）。",
        "規則：至少每 330 天續期一次（限期 2026-12-06）。",
    ]
    warning = events["cubacel-warning-14d@simfeed"]
    assert str(warning["SUMMARY"]) == "14 天內續期 古巴保号卡 ••4567 —— 12月6日前"
    assert str(events["cubacel-renewal-2026-01-10-1@simfeed"]["SUMMARY"]) == (
        "已為 古巴保号卡 ••4567 增值：100.00\u00a0古巴披索，經網站，參考編號 T1")


def test_chinese_durations_in_the_config_mean_what_the_english_ones_do():
    english = by_uid(feed("zh-CN"))
    chinese = by_uid(render(parse_toml(CONFIG.format(language="zh-CN").replace('"330 days"', '"330天"')
                                       .replace('"30 days"', '"30日"').replace('"14 days"', '"2週"'),
                                       "t.toml", STAMP), reminders="both"))
    assert {uid: event["DTSTART"].dt for uid, event in english.items()} == \
           {uid: event["DTSTART"].dt for uid, event in chinese.items()}
