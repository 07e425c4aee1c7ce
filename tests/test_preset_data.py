"""The preset catalogue as data (issue 24): sources, checked dates, texts in every language,
costs where the SIM is kept, prerequisites, every rule shape, and each preset's dates for a
real renewal worked out by hand. tests/test_presets.py covers the presets through the feed.
"""

from __future__ import annotations

import re
import textwrap
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from feed.config import presets
from feed.config.load import parse_toml
from feed.config.sims import preset_sample
from feed.core.costs import projected
from feed.core.deadlines import deadline_for
from feed.core.model import CalendarSettings, Expires, KeepAlive, TopUp
from feed.core.terms import TEXT_LANGUAGES, Confidence
from feed.core.wording import Wording
from feed.reminders import runner

from .helpers import config_problems

CATALOGUE = presets.catalogue()
IDS = list(CATALOGUE)
TODAY = date(2026, 12, 6)


def sim_toml(body: str, calendar: str = "") -> str:
    return (f'[calendar]\ntimezone = "UTC"\n{calendar}\n[[sim]]\nid = "x"\nname = "X"\n'
            + textwrap.dedent(body))


def one(body: str, calendar: str = ""):  # type: ignore[no-untyped-def]
    return parse_toml(sim_toml(body, calendar), "test.toml").sims[0]


# ---------------------------------------------------------------- every preset, as data

def test_at_least_25_presets():
    assert len(CATALOGUE) >= 25


@pytest.mark.parametrize("preset_id", IDS)
def test_every_preset_has_sources_a_checked_date_and_a_derived_confidence(preset_id):
    preset = CATALOGUE[preset_id]
    assert preset.sources
    assert all(s.kind in ("carrier", "third-party") and s.title for s in preset.sources)
    assert all(s.url is None or s.url.startswith(("https://", "http://")) for s in preset.sources)
    assert all(s.date is None or re.fullmatch(r"\d{4}(-\d{2}(-\d{2})?)?", s.date) for s in preset.sources)
    assert date(2026, 11, 1) <= preset.checked <= TODAY
    kinds = {s.kind for s in preset.sources}
    expected = {frozenset({"carrier"}): Confidence.CARRIER, frozenset({"third-party"}): Confidence.USERS}
    assert preset.confidence == expected.get(frozenset(kinds), Confidence.MIXED)


@pytest.mark.parametrize("preset_id", IDS)
def test_every_preset_has_its_texts_in_every_language(preset_id):
    preset = CATALOGUE[preset_id]
    for language in TEXT_LANGUAGES[1:]:
        assert presets.missing_texts(preset.raw, language) == [], (preset_id, language)
    texts = preset.all_texts()
    assert [t.language for t in texts] == list(TEXT_LANGUAGES)
    english, simplified, traditional = texts
    for other in (simplified, traditional):
        assert other.title and other.how_to_renew and other.what_counts
        assert [way for way, _ in other.renew_ways] == [way for way, _ in english.renew_ways]
        assert len(other.stages) == len(english.stages)
        assert [bool(s.recovery) for s in other.stages] == [bool(s.recovery) for s in english.stages]
        assert len(other.prerequisites) == len(english.prerequisites)
        assert bool(other.not_counted) == bool(english.not_counted)
        assert bool(other.notes) == bool(english.notes)
        assert bool(other.keep_cost_action) == bool(english.keep_cost_action)
        assert [c for c, _ in other.abroad_actions] == [c for c, _ in english.abroad_actions]
        # Chinese, not the English copied over.
        assert re.search(r"[\u4e00-\u9fff]", other.how_to_renew + other.what_counts)
    assert simplified.what_counts != traditional.what_counts


HK_MO_TW = [p for p in IDS if CATALOGUE[p].home in ("HK", "MO", "TW")]


def _all_text(texts) -> str:  # type: ignore[no-untyped-def]
    return " ".join([texts.title, texts.how_to_renew, texts.what_counts, texts.not_counted or "",
                     texts.notes or "", texts.keep_cost_action or "", *texts.prerequisites,
                     *(t for _, t in texts.renew_ways),
                     *(s.status + (s.recovery or "") for s in texts.stages)])


@pytest.mark.parametrize("preset_id", HK_MO_TW)
def test_traditional_texts_use_the_carriers_own_terms_not_a_conversion(preset_id):
    # Hong Kong and Macau carriers say 增值, Taiwan's 儲值; mainland wording is 充值.
    traditional = _all_text(CATALOGUE[preset_id].texts("zh-Hant"))
    simplified = _all_text(CATALOGUE[preset_id].texts("zh-CN"))
    assert "充值" not in traditional and ("增值" in traditional or "儲值" in traditional)
    assert "增值" not in simplified and "充值" in simplified


@pytest.mark.parametrize("preset_id", IDS)
def test_every_preset_lists_its_stages_in_order(preset_id):
    sim, problems = preset_sample(preset_id, date(2026, 6, 1))
    assert sim is not None, problems
    written = CATALOGUE[preset_id].raw.get("stages", [])
    assert [s.after_text for s in sim.stages if not s.grace] == [s["after"] for s in written]


@pytest.mark.parametrize("preset_id", IDS)
def test_every_stage_and_cost_computes_at_home_and_where_the_preset_knows_a_price(preset_id):
    preset = CATALOGUE[preset_id]
    for used_in in (None, "home", *preset.abroad):
        sim, problems = preset_sample(preset_id, date(2026, 6, 1), used_in)
        assert sim is not None, problems
        deadline = deadline_for(sim, CalendarSettings())
        assert len(deadline.stages) == len(sim.stages)
        plan = projected(sim, TODAY)
        assert (plan is None) == (sim.keep_cost is None and not isinstance(sim.rule, Expires))
        for language in ("en", "zh-CN", "zh-Hant"):
            words = Wording(language)
            assert words.year_cost(plan)
            assert all(words.status(stage, sim) for stage in sim.stages)
            if sim.keep_cost is not None:
                assert words.keep_cost_action(sim)


# ------------------------------------------------------------------- every rule shape

def _shapes(preset_id: str) -> set[str]:
    rule = preset_sample(preset_id, date(2026, 6, 1))[0].rule  # type: ignore[union-attr]
    keys = CATALOGUE[preset_id].keys
    found = set()
    if isinstance(rule, KeepAlive):
        found.add("keep_alive: any use" if "data" in rule.counts else
                  "keep_alive: purchases only" if rule.counts == {"topup"} else "keep_alive: usage only")
    if isinstance(rule, TopUp) and "topup" in keys:
        found.add("topup: tiers" if len(rule.tiers) > 1 else
                  "topup: minimum" if rule.tiers[0].min_amount else "topup: any amount")
        found.add(f"topup: from {rule.extend_from}")
    if isinstance(rule, Expires):
        found.add("expires (set on the SIM)")
    if "grace" in keys:
        found.add("grace")
    stages = keys.get("stages", ())
    if any("recovery" in s for s in stages) and any("recovery" not in s for s in stages):
        found.add("stages: recoverable, then lost")
    return found


def test_every_rule_shape_has_a_preset_using_it():
    # The shapes of ../shared/carriers.md; a balance taken by a recurring charge has no carrier
    # with a source yet, so `charge` is left to SIMs (tests/test_rules.py).
    shapes = {"keep_alive: any use", "keep_alive: purchases only", "keep_alive: usage only",
              "topup: any amount", "topup: minimum", "topup: tiers", "topup: from topup",
              "topup: from later", "topup: from max", "expires (set on the SIM)", "grace",
              "stages: recoverable, then lost"}
    used = {shape: [p for p in IDS if shape in _shapes(p)] for shape in shapes}
    assert {shape for shape, users in used.items() if not users} == set()


# ------------------------------------------------------- each preset's dates for a real renewal

# Each preset with a real renewal, worked out by hand: (SIM keys, deadline, stage dates).
RENEWED = {
    # Month ends: 2026-08-31 + 6 months = 2027-02-28.
    "giffgaff": ('last_renewal = 2026-08-31', date(2027, 2, 28), []),
    # 2026-01-15 + 180 days: Jan 31 (16), Feb 28 (44), Mar 31 (75), Apr 30 (105), May 31 (136),
    # Jun 30 (166), Jul 14 (180).
    "three-uk": ('renewals = [{ date = 2026-01-15, kind = "sms" }]', date(2026, 7, 14), []),
    # + 90: Jul 31 (17), Aug 31 (48), Sep 30 (78), Oct 12 (90).
    "vodafone-uk": ('renewals = [{ date = 2026-01-15, kind = "call" }]', date(2026, 7, 14),
                    [date(2026, 10, 12)]),
    # 2026-02-28 + 179 days: Mar 31 (31), Apr 30 (61), May 31 (92), Jun 30 (122), Jul 31 (153), Aug 26 (179);
    # + 90: Aug 31 (5), Sep 30 (35), Oct 31 (66), Nov 24 (90); + 91: Nov 25; + 94: Nov 28.
    "ee-uk": ('renewals = [{ date = 2026-02-28, amount = 10 }]', date(2026, 8, 26),
              [date(2026, 8, 26), date(2026, 11, 24), date(2026, 11, 25), date(2026, 11, 28)]),
    # 2026-11-30 + 3 months = 2027-02-28 (no 30 February); the call of 12-05 does not count.
    "tello": ('renewals = [{ date = 2026-11-30, amount = 10 }, { date = 2026-12-05, kind = "call" }]',
              date(2027, 2, 28), []),
    # Tiers: $100 on 2026-03-01 gives 365 days: 2027-03-01; + 0; + 119: Mar 31 (30), Apr 30 (60),
    # May 31 (91), Jun 28 (119); + 120: Jun 29.
    "t-mobile-us": ('renewals = [{ date = 2026-03-01, amount = 100 }]', date(2027, 3, 1),
                    [date(2027, 3, 1), date(2027, 6, 28), date(2027, 6, 29)]),
    # Tier: HK$50 on 2026-10-10 + 180 days: Oct 31 (21), Nov 30 (51), Dec 31 (82), Jan 31 (113),
    # Feb 28 (141), Mar 31 (172), Apr 8 (180). The HK$30 of 11-01 is below every tier.
    "cmhk": ('renewals = [{ date = 2026-10-10, amount = 50 }, { date = 2026-11-01, amount = 30 }]',
             date(2027, 4, 8), []),
    # 2027-12-31 + 365 days: 2028 is a leap year, so 365 days reach 2028-12-30.
    "hahasim": ('renewals = [{ date = 2027-12-31, amount = 10 }]', date(2028, 12, 30), []),
    # 2026-09-01 + 180 days: Sep 30 (29), Oct 31 (60), Nov 30 (90), Dec 31 (121), Jan 31 (152),
    # Feb 28 (180).
    "ctm-macau": ('renewals = [{ date = 2026-09-01, amount = 50 }]', date(2027, 2, 28), []),
    # The ¥330 topping of 2026-10-02 + 180: Oct 31 (29), Nov 30 (59), Dec 31 (90), Jan 31 (121),
    # Feb 28 (149), Mar 31 (180); + 29: Apr 29; + 30: Apr 30. Data use does not count.
    "povo": ('renewals = [{ date = 2026-10-02, amount = 330 }, { date = 2026-11-10, kind = "data" }]',
             date(2027, 3, 31), [date(2027, 3, 31), date(2027, 4, 29), date(2027, 4, 30)]),
    # 100 CUP on 2026-01-24 + 330 = 2026-12-20 (7 to Jan 31, 303 to Nov 30, 20 more); grace + 30: Jan 19.
    "cubacel": ('renewals = [{ date = 2026-01-24, amount = 100 }]', date(2026, 12, 20), [date(2027, 1, 19)]),
    # $3 on 2027-01-31 + 30 days: Feb 28 (28), Mar 2 (30); + 29: Mar 31; + 30: Apr 1.
    "ultra-paygo": ('renewals = [{ date = 2027-01-31, amount = 3 }]', date(2027, 3, 2),
                    [date(2027, 3, 2), date(2027, 3, 31), date(2027, 4, 1)]),
    # 2026-12-15 + 30: Dec 31 (16), Jan 14 (30); + 44: Jan 31 (17), Feb 27 (44); + 45: Feb 28.
    "us-mobile": ('renewals = [{ date = 2026-12-15, amount = 20 }]', date(2027, 1, 14),
                  [date(2027, 1, 14), date(2027, 2, 27), date(2027, 2, 28)]),
    # Month ends: 2027-01-31 + 1 month = Feb 28; + 60: Mar 31 (31), Apr 29 (60); + 61: Apr 30.
    "verizon-prepaid": ('renewals = [{ date = 2027-01-31, amount = 35 }]', date(2027, 2, 28),
                        [date(2027, 2, 28), date(2027, 4, 29), date(2027, 4, 30)]),
    # 2026-12-20 + 30: Dec 31 (11), Jan 19 (30); + 29: Jan 31 (12), Feb 17 (29); + 30: Feb 18.
    "red-pocket": ('renewals = [{ date = 2026-12-20, amount = 10 }]', date(2027, 1, 19),
                   [date(2027, 1, 19), date(2027, 2, 17), date(2027, 2, 18)]),
    # The outgoing text of 2026-11-30 + 3 months = 2027-02-28; + 15: Mar 15. A top-up does not count.
    "google-voice": ('renewals = [{ date = 2026-11-30, kind = "sms" }, { date = 2026-12-05, amount = 5 }]',
                     date(2027, 2, 28), [date(2027, 2, 28), date(2027, 3, 15)]),
    # 2026-10-31 + 1 month = Nov 30; + 179: Dec 31 (31), Jan 31 (62), Feb 28 (90), Mar 31 (121),
    # Apr 30 (151), May 28 (179); + 180: May 29.
    "smarty": ('renewals = [{ date = 2026-10-31, amount = 10 }]', date(2026, 11, 30),
               [date(2026, 11, 30), date(2027, 5, 28), date(2027, 5, 29)]),
    # 2026-02-01 + 395: 2027-02-01 (365), + 30: Mar 3 (Feb has 28 days); + 6 months: Sep 3.
    "vodafone-au": ('renewals = [{ date = 2026-02-01, amount = 30 }]', date(2027, 3, 3),
                    [date(2027, 3, 3), date(2027, 9, 3)]),
    # 10 UAH on 2026-03-01 + 365 = 2027-03-01; the 5 UAH of 2026-08-01 is below the minimum.
    "lifecell": ('renewals = [{ date = 2026-03-01, amount = 10 }, { date = 2026-08-01, amount = 5 }]',
                 date(2027, 3, 1), []),
    # HK$50 on 2026-05-10 + 365 = 2027-05-10; + 30 = Jun 9. The HK$20 of 09-01 does not count.
    "valuegb": ('renewals = [{ date = 2026-05-10, amount = 50 }, { date = 2026-09-01, amount = 20 }]',
                date(2027, 5, 10), [date(2027, 5, 10), date(2027, 6, 9)]),
    # 2026-09-01 + 180 = 2027-02-28, as ctm-macau.
    "csl-prepaid": ('renewals = [{ date = 2026-09-01, amount = 50 }]', date(2027, 2, 28), []),
    # HK$100 on 2026-09-01 + 180 = 2027-02-28; the HK$50 of 2026-10-01 does not count.
    "three-hk": ('renewals = [{ date = 2026-09-01, amount = 100 }, { date = 2026-10-01, amount = 50 }]',
                 date(2027, 2, 28), []),
    # NT$100 on 2026-12-31 + 180: Jan 31 (31), Feb 28 (59), Mar 31 (90), Apr 30 (120), May 31 (151),
    # Jun 29 (180).
    "chunghwa-ruyi": ('renewals = [{ date = 2026-12-31, amount = 100 }]', date(2027, 6, 29), []),
    # S$20 on 2026-09-01 + 180 = 2027-02-28; S$15 on 2026-10-01 is below the minimum.
    "singtel-hicard": ('renewals = [{ date = 2026-09-01, amount = 20 }, { date = 2026-10-01, amount = 15 }]',
                       date(2027, 2, 28), []),
    # Tiers from the top-up date: S$18 on 2026-09-01 gives 180 days (2027-02-28); then S$10 on
    # 2026-12-01 gives 90 days from it: Dec 31 (30), Jan 31 (61), Mar 1 (90).
    "m1-mcard": ('renewals = [{ date = 2026-09-01, amount = 18 }, { date = 2026-12-01, amount = 10 }]',
                 date(2027, 3, 1), []),
    # The SIM's own date; the preset's grace stage on it.
    "hotlink": ('expires = 2027-01-31\nlast_renewal = 2026-12-01', date(2027, 1, 31), [date(2027, 1, 31)]),
    # "max": HK$300 on 2026-03-01 gives 360 days: Mar 31 (30), Apr 30 (60), May 31 (91), Jun 30 (121),
    # Jul 31 (152), Aug 31 (183), Sep 30 (213), Oct 31 (244), Nov 30 (274), Dec 31 (305), Jan 31 (336),
    # Feb 24 (360). HK$50 on 2026-06-01 would give Dec 28 (210 days): earlier, so Feb 24 stays. + 1: Feb 25.
    "shinetown": ('renewals = [{ date = 2026-03-01, amount = 300 }, { date = 2026-06-01, amount = 50 }]',
                  date(2027, 2, 24), [date(2027, 2, 25)]),
    # "max" with a later top-up that wins: HK$20 on 2026-05-01 gives 30 days (May 31); HK$100 on
    # 2026-05-20 gives 180: May 31 (11), Jun 30 (41), Jul 31 (72), Aug 31 (103), Sep 30 (133),
    # Oct 31 (164), Nov 16 (180); + 1: Nov 17.
    "shinetown-gold": ('renewals = [{ date = 2026-05-01, amount = 20 }, { date = 2026-05-20, amount = 100 }]',
                       date(2026, 11, 16), [date(2026, 11, 17)]),
}


def test_every_preset_has_a_renewal_worked_out_by_hand():
    assert set(RENEWED) == set(IDS)


@pytest.mark.parametrize("preset_id", IDS)
def test_each_presets_dates_for_a_renewal(preset_id):
    keys, due, stages = RENEWED[preset_id]
    sim = one(f'preset = "{preset_id}"\n{keys}\n')
    deadline = deadline_for(sim, CalendarSettings())
    assert deadline.due == due
    assert [on for on, _ in deadline.stages] == stages


# ----------------------------------------------------------------- costs where the SIM is

def test_giffgaff_kept_in_china_costs_two_texts_at_30p():
    sim = one('preset = "giffgaff"\nused_in = "CN"\nlast_renewal = 2026-11-01\n')
    plan = projected(sim, TODAY)
    assert plan is not None
    assert (plan.cost.amount, plan.cost.currency) == (Decimal("0.6"), "GBP")
    assert [(s.times, s.price) for s in plan.steps] == [(2, Decimal("0.3"))]
    assert Wording().keep_cost_action(sim) == ("a text sent while roaming in China (30p; data costs "
                                               "20p per MB)")
    assert Wording("zh-CN").keep_cost_action(sim) == "在中国漫游时发一条短信（30 便士；流量每 MB 20 便士）"
    assert Wording().year_cost(plan) == "£0.60 a year (2 × £0.30)"


@pytest.mark.parametrize("used_in", ['"home"', '"GB"', None])
def test_giffgaff_at_home_costs_two_texts_at_10p(used_in):
    where = f"used_in = {used_in}\n" if used_in else ""
    plan = projected(one(f'preset = "giffgaff"\n{where}last_renewal = 2026-11-01\n'), TODAY)
    assert plan is not None and plan.cost.amount == Decimal("0.2")


def test_a_country_the_preset_has_no_price_for_leaves_the_cost_unknown():
    sim = one('preset = "giffgaff"\nused_in = "JP"\nlast_renewal = 2026-11-01\n')
    assert sim.keep_cost is None and projected(sim, TODAY) is None
    # The SIM's own keep_cost still wins wherever it is.
    own = one('preset = "giffgaff"\nused_in = "JP"\nlast_renewal = 2026-11-01\n'
              'keep_cost = { amount = 0.5, currency = "GBP" }\n')
    assert own.keep_cost is not None and own.keep_cost.amount == Decimal("0.5")


@pytest.mark.parametrize("value", ['"China"', '"cn"', '"EU"', "86", '"001"'])
def test_a_bad_used_in_is_a_clear_error(value):
    problems = config_problems(sim_toml(f'preset = "giffgaff"\nused_in = {value}\n'
                                        'last_renewal = 2026-11-01\n'))
    assert problems == [f'test.toml: sim "x": used_in: {value} must be "home" or a two-letter country '
                        'code like "CN" or "GB"']


# ---------------------------------------------------------------- the three corrections

def test_povo_reads_as_corrected():
    povo = CATALOGUE["povo"]
    assert povo.keys["keep_cost"]["amount"] == 330 and "24-hour data" in povo.keys["keep_cost"]["action"]
    english = povo.texts("en")
    assert "¥660" in english.what_counts
    assert all("app" not in (s.recovery or "") or "cannot" in (s.recovery or "") for s in english.stages)
    assert "contact povo support" in english.stages[0].recovery  # type: ignore[operator]
    assert povo.confidence is Confidence.USERS


def test_cmhk_reads_as_corrected():
    cmhk = CATALOGUE["cmhk"]
    assert cmhk.keys["keep_cost"]["amount"] == 50  # the tier's own minimum, not HK$10
    assert cmhk.keys["topup"]["tiers"][0]["min_amount"] == 50
    assert cmhk.confidence is Confidence.USERS
    assert [s.date for s in cmhk.sources] == ["2011-01-13", "2016"]


def test_giffgaff_cites_its_own_help_article():
    giffgaff = CATALOGUE["giffgaff"]
    assert giffgaff.sources[0].url == "https://help.giffgaff.com/en/articles/242797"
    assert giffgaff.confidence is Confidence.CARRIER
    assert "cannot be reactivated" in (giffgaff.texts("en").notes or "")


# ------------------------------------------------------------ the API for other languages

def test_the_api_maps_app_languages_to_text_languages():
    assert presets.texts("giffgaff", "zh-CN") == CATALOGUE["giffgaff"].texts("zh-Hans")
    assert presets.texts("giffgaff", "zh-TW").language == "zh-Hant"
    assert presets.texts("giffgaff", "en").title == "giffgaff (UK)"


USER_PRESET = """
[mine]
title = "My carrier"
keep_alive = "90 days"
how_to_renew = "Top up."
what_counts = "A top-up."
checked = 2026-12-01
sources = [{ title = "the shop's leaflet", kind = "third-party" }]

[mine.zh-Hans]
title = "我的运营商"
"""


def test_a_user_written_preset_falls_back_to_english_key_by_key():
    mine = presets.parse(USER_PRESET, "mine.toml")["mine"]
    simplified = mine.texts("zh-CN")
    assert (simplified.language, simplified.title, simplified.how_to_renew) == (
        "zh-Hans", "我的运营商", "Top up.")
    assert mine.texts("zh-Hant").title == "My carrier"


def test_a_shipped_preset_may_not_fall_back():
    shipped = presets.parse(USER_PRESET, "presets.toml", shipped=True)["mine"]
    with pytest.raises(presets.MissingTexts, match=r"\[mine.zh-Hans\] lacks how_to_renew, what_counts"):
        shipped.texts("zh-CN")
    with pytest.raises(presets.MissingTexts, match=r"the whole table \[zh-Hant\]"):
        shipped.texts("zh-Hant")


@pytest.mark.parametrize(("text", "message"), [
    ('[a]\ntitle = "A"\nchecked = 2026-12-01\nhow_to_renew = "x"\nwhat_counts = "y"\n',
     "presets.toml: preset a: sources is missing"),
    ('[a]\ntitle = "A"\nchecked = 2026-12-01\nhow_to_renew = "x"\nwhat_counts = "y"\n'
     'sources = [{ title = "t", kind = "blog" }]\n', "kind must be one of carrier, third-party"),
    ('[a]\ntitle = "A"\nchecked = "recently"\nhow_to_renew = "x"\nwhat_counts = "y"\n',
     "checked must be a date"),
])
def test_a_malformed_preset_names_file_preset_and_key(text, message):
    with pytest.raises(presets.PresetError, match=re.escape(message)):
        presets.parse(text, "presets.toml", shipped=True)


# ------------------------------------------------ where preset texts are shown, in zh-CN

CMHK_SIM = """
preset = "cmhk"
renewals = [{ date = 2026-10-10, amount = 50 }]
"""


def test_the_feed_in_chinese_shows_the_presets_simplified_texts(serve):
    from .helpers import fetch, parse
    client = serve(sim_toml(CMHK_SIM, 'language = "zh-CN"\n'))
    description = parse(fetch(client, "/calendar.ics")).event("x-deadline@simfeed").description
    assert description is not None
    simplified = CATALOGUE["cmhk"].texts("zh-Hans")
    assert simplified.how_to_renew in description
    assert "来自用户反映" in description  # the confidence, in the feed's language
    assert CATALOGUE["cmhk"].texts("en").how_to_renew not in description


def test_the_sims_own_text_is_shown_as_written(serve):
    from .helpers import fetch, parse
    client = serve(sim_toml(CMHK_SIM + 'how_to_renew = "Octopus at the MTR shop"\n', 'language = "zh-CN"\n'))
    description = parse(fetch(client, "/calendar.ics")).event("x-deadline@simfeed").description
    assert description is not None and "Octopus at the MTR shop" in description


def test_povo_stages_in_chinese_in_the_feed(serve):
    from .helpers import fetch, parse
    client = serve(sim_toml('preset = "povo"\nrenewals = [{ date = 2026-10-02, amount = 330 }]\n',
                            'language = "zh-CN"\n'))
    feed = parse(fetch(client, "/calendar.ics"))
    assert "停机" in feed.event("x-stage-0@simfeed").summary
    assert "联系 povo 客服" in (feed.event("x-stage-0@simfeed").description or "")


NOTIFY = '[[notify]]\nid = "me"\nurls = ["json://127.0.0.1:9/hook"]\nsims = ["x"]\n'


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_the_first_reminder_names_the_prerequisites_and_later_ones_do_not(language):
    sim = CMHK_SIM + 'alarms = ["14 days", "3 days"]\n'
    config = parse_toml(sim_toml(sim, f'language = "{language}"\n') + NOTIFY, "test.toml")
    prerequisite = CATALOGUE["cmhk"].texts(language).prerequisites[0]
    # 2026-10-10 + 180 = 2027-04-08 (as above): the reminders are on Mar 25 and Apr 5 at 09:00 UTC.
    bodies = {}
    for day in (date(2027, 3, 25), date(2027, 4, 5)):
        now = datetime(day.year, day.month, day.day, 9, 30, tzinfo=UTC)
        planned = list(runner.due_now(config, now))
        assert len(planned) == 1
        bodies[day] = runner.message(config, planned[0], day, None)[1]
    assert prerequisite in bodies[date(2027, 3, 25)]
    assert prerequisite not in bodies[date(2027, 4, 5)]
    assert CATALOGUE["cmhk"].texts(language).how_to_renew in bodies[date(2027, 4, 5)]


def test_the_sims_page_shows_prerequisites_ways_confidence_and_sources(serve):
    client = serve(sim_toml(CMHK_SIM))
    page = client.get("/sims/x").get_data(as_text=True)
    assert "Before you renew" in page and "real name" in page
    assert 'id="confidence">reported by users<' in page
    assert "https://ans.fyi/c/question/20110113000051KK00387" in page
    assert "PPS by phone or at ppshk.com." in page
    chinese = client.get("/sims/x", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert CATALOGUE["cmhk"].texts("zh-Hans").prerequisites[0] in chinese
    assert CATALOGUE["cmhk"].texts("zh-Hans").how_to_renew in chinese


def test_the_docs_table_lists_every_preset_with_its_checked_date():
    from pathlib import Path
    docs = (Path(__file__).resolve().parent.parent / "docs" / "presets.md").read_text("utf-8")
    for preset in CATALOGUE.values():
        row = next((line for line in docs.splitlines() if line.startswith(f"| `{preset.id}` |")), None)
        assert row is not None, preset.id
        assert row.endswith(f"| {preset.confidence.value} | {preset.checked.isoformat()} |")
