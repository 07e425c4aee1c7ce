"""Carrier presets (feed/presets.toml) and the starter SIM file (feed/config/starter.toml), through the feed.

Each preset's deadline and stages are worked out by hand from the carrier's rule as
the catalogue states it; so are the example config's, which uses the presets and
exercises every rule shape.
"""

from __future__ import annotations

import subprocess
import sys
import textwrap
from collections.abc import Callable
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient

from feed.calendar.builder import render
from feed.config import presets
from feed.config.load import load_config, parse_toml
from feed.core.model import Charge, Expires, KeepAlive, TopUp

from .helpers import config_problems, fetch, parse, valarm_count

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "feed" / "config" / "starter.toml"
ADMIN = "admin-token-for-presets"
CHECKED = date(2026, 11, 24)


pytestmark = pytest.mark.usefixtures("clean_environment")


def one_sim(toml: str) -> str:
    return f'[calendar]\ntimezone = "Europe/London"\n\n[[sim]]\nid = "x"\nname = "X"\n{textwrap.dedent(toml)}'


# ------------------------------------------------------------------ every preset

# Each preset on a SIM last renewed on 2026-06-01 (a bare last_renewal: no amount, so a
# top-up rule gives its lowest tier). (deadline, stage dates)
PRESET_DATES = {
    # 2026-06-01 + 6 months.
    "giffgaff": (date(2026, 12, 1), []),
    # + 180 days: Jun 30 (29), Jul 31 (60), Aug 31 (91), Sep 30 (121), Oct 31 (152), Nov 28 (180).
    "three-uk": (date(2026, 11, 28), []),
    # 180 days as above; + 90: Nov 30 (2), Dec 31 (33), Jan 31 (64), Feb 26 (90).
    "vodafone-uk": (date(2026, 11, 28), [date(2027, 2, 26)]),
    # + 179 days: 2026-11-27; + 0; + 90: Nov 30 (3), Dec 31 (34), Jan 31 (65), Feb 25 (90);
    # + 91: Feb 26; + 94: Feb 27, Feb 28 (2027 is not a leap year), Mar 1.
    "ee-uk": (date(2026, 11, 27),
              [date(2026, 11, 27), date(2027, 2, 25), date(2027, 2, 26), date(2027, 3, 1)]),
    # + 3 months.
    "tello": (date(2026, 9, 1), []),
    # The lowest tier, 90 days: Jun 30 (29), Jul 31 (60), Aug 30 (90); + 0; + 119: Aug 31 (1),
    # Sep 30 (31), Oct 31 (62), Nov 30 (92), Dec 27 (119); + 120: Dec 28.
    "t-mobile-us": (date(2026, 8, 30), [date(2026, 8, 30), date(2026, 12, 27), date(2026, 12, 28)]),
    # The only tier, 180 days: 2026-11-28.
    "cmhk": (date(2026, 11, 28), []),
    # + 365 days: 2027-06-01 (February 2027 has 28 days).
    "hahasim": (date(2027, 6, 1), []),
    # + 180 days.
    "ctm-macau": (date(2026, 11, 28), []),
    # + 180 days: 2026-11-28; + 0; + 29: Nov 30 (2), Dec 27 (29); + 30: Dec 28.
    "povo": (date(2026, 11, 28), [date(2026, 11, 28), date(2026, 12, 27), date(2026, 12, 28)]),
    # + 330 days: Jun 30 (29), Jul 31 (60), Aug 31 (91), Sep 30 (121), Oct 31 (152), Nov 30 (182),
    # Dec 31 (213), Jan 31 (244), Feb 28 (272), Mar 31 (303), Apr 27 (330); grace + 30: Apr 30 (3), May 27.
    "cubacel": (date(2027, 4, 27), [date(2027, 5, 27)]),
    # + 30 days: Jun 30 (29), Jul 1 (30); + 0; + 29: Jul 30; + 30: Jul 31.
    "ultra-paygo": (date(2026, 7, 1), [date(2026, 7, 1), date(2026, 7, 30), date(2026, 7, 31)]),
    # + 30 days: Jul 1; + 0; + 44: Jul 31 (30), Aug 14 (44); + 45: Aug 15.
    "us-mobile": (date(2026, 7, 1), [date(2026, 7, 1), date(2026, 8, 14), date(2026, 8, 15)]),
    # + 1 month: Jul 1; + 0; + 60: Jul 31 (30), Aug 30 (60); + 61: Aug 31.
    "verizon-prepaid": (date(2026, 7, 1), [date(2026, 7, 1), date(2026, 8, 30), date(2026, 8, 31)]),
    # + 30 days: Jul 1; + 0; + 29: Jul 30; + 30: Jul 31.
    "red-pocket": (date(2026, 7, 1), [date(2026, 7, 1), date(2026, 7, 30), date(2026, 7, 31)]),
    # + 3 months: Sep 1; + 0; + 15: Sep 16.
    "google-voice": (date(2026, 9, 1), [date(2026, 9, 1), date(2026, 9, 16)]),
    # + 1 month: Jul 1; + 0; + 179: Jul 31 (30), Aug 31 (61), Sep 30 (91), Oct 31 (122), Nov 30 (152),
    # Dec 27 (179); + 180: Dec 28.
    "smarty": (date(2026, 7, 1), [date(2026, 7, 1), date(2026, 12, 27), date(2026, 12, 28)]),
    # + 395 days: 2027-06-01 (365, no 29 February), + 30: 2027-07-01; + 0; + 6 months: 2028-01-01.
    "vodafone-au": (date(2027, 7, 1), [date(2027, 7, 1), date(2028, 1, 1)]),
    # + 365 days: 2027-06-01.
    "lifecell": (date(2027, 6, 1), []),
    # + 365 days: 2027-06-01; + 0; + 30: Jun 30 (29), Jul 1 (30).
    "valuegb": (date(2027, 6, 1), [date(2027, 6, 1), date(2027, 7, 1)]),
    # + 180 days, as three-uk.
    "csl-prepaid": (date(2026, 11, 28), []),
    "three-hk": (date(2026, 11, 28), []),
    "chunghwa-ruyi": (date(2026, 11, 28), []),
    "singtel-hicard": (date(2026, 11, 28), []),
    # The lowest tier, 90 days: Jun 30 (29), Jul 31 (60), Aug 30 (90).
    "m1-mcard": (date(2026, 8, 30), []),
    # No rule of its own: the SIM's expires = 2026-11-30; + 0.
    "hotlink": (date(2026, 11, 30), [date(2026, 11, 30)]),
    # The lowest tier, 210 days: Jun 30 (29), Jul 31 (60), Aug 31 (91), Sep 30 (121), Oct 31 (152),
    # Nov 30 (182), Dec 28 (210); + 1: Dec 29.
    "shinetown": (date(2026, 12, 28), [date(2026, 12, 29)]),
    # The lowest tier, 30 days: Jul 1; + 1: Jul 2.
    "shinetown-gold": (date(2026, 7, 1), [date(2026, 7, 2)]),
}
CHECKED_ON = {date(2026, 11, 24), date(2026, 12, 6)}


def test_every_preset_has_hand_worked_dates():
    assert set(PRESET_DATES) == set(presets.catalogue())


@pytest.mark.parametrize("preset_id", list(presets.catalogue()))
def test_every_preset_parses_and_renders(serve, preset_id):
    preset = presets.catalogue()[preset_id]
    assert preset.title and preset.source
    assert preset.checked in CHECKED_ON
    own_rule = "" if presets.RULE_KEYS & preset.keys.keys() else "expires = 2026-11-30\n"
    toml = one_sim(f'preset = "{preset_id}"\nlast_renewal = 2026-06-01\n{own_rule}')
    parse_toml(toml, "test.toml")  # no ConfigError
    client = serve(toml)
    for mode, alarms in (("alarms", True), ("events", False), ("both", True)):
        raw = fetch(client, f"/calendar.ics?reminders={mode}")
        feed = parse(raw)
        due, stages = PRESET_DATES[preset_id]
        deadline = feed.event("x-deadline@simfeed")
        assert deadline.start == due
        assert [feed.event(f"x-stage-{i}@simfeed").start for i in range(len(stages))] == stages
        assert len([e for e in feed.events if "-stage-" in e.uid]) == len(stages)
        assert (valarm_count(raw) > 0) == alarms
        assert deadline.url == preset.keys["renew_url"]
        assert deadline.description is not None
        assert f"How to renew: {preset.keys['how_to_renew']}" in deadline.description
        assert f"Carrier: {preset.keys['carrier']}, {preset.keys['country']}" in deadline.description
        # Where the rule comes from, how sure it is, and to check the carrier's current terms.
        rule_line = (f"Rule from the {preset.title} preset ({preset.confidence.value}: {preset.source}; "
                     f"checked {preset.checked.isoformat()}). "
                     f"Carriers change their rules: check {preset.keys['carrier']}'s current terms.")
        assert (rule_line in deadline.description) == (not own_rule)


def test_giffgaffs_rule_is_six_months_not_180_days(serve):
    raw = fetch(serve(one_sim('preset = "giffgaff"\nlast_renewal = 2026-08-31\n')), "/calendar.ics")
    # 2026-08-31 + 6 months = 2027-02-28 (the end of February), where 180 days would give
    # Sep 30 (30), Oct 31 (61), Nov 30 (91), Dec 31 (122), Jan 31 (153), Feb 27 (180).
    deadline = parse(raw).event("x-deadline@simfeed")
    assert deadline.start == date(2027, 2, 28)
    assert deadline.description is not None
    assert "Rule: renew at least every 6 months (deadline 2027-02-28)." in deadline.description


def test_povo_and_tello_count_purchases_only(serve):
    usage = 'renewals = [{ date = 2026-10-02, amount = 10 }, { date = 2026-11-10, kind = "data" }]\n'
    for preset_id, due in (
        # 2026-10-02 + 3 months; the data use of 11-10 does not count.
        ("tello", date(2027, 1, 2)),
        # 2026-10-02 + 180 days: Oct 31 (29), Nov 30 (59), Dec 31 (90), Jan 31 (121), Feb 28 (149),
        # Mar 31 (180).
        ("povo", date(2027, 3, 31)),
    ):
        raw = fetch(serve(one_sim(f'preset = "{preset_id}"\n{usage}')), "/calendar.ics")
        deadline = parse(raw).event("x-deadline@simfeed")
        assert deadline.start == due, preset_id
        assert deadline.description is not None
        assert "Last renewed: 2026-11-10 (data use)." in deadline.description
        assert "; only a top-up counts" in deadline.description


# --------------------------------------------------------------------- overriding

def test_keys_set_on_the_sim_win(serve):
    raw = fetch(serve(one_sim("""
        preset = "giffgaff"
        carrier = "giffgaff (O2 network)"
        renew_url = "https://example.com/my-top-up"
        how_to_renew = "Text 43430 from the spare phone"
        last_renewal = 2026-06-02
    """)), "/calendar.ics")
    deadline = parse(raw).event("x-deadline@simfeed")
    # The rule is still the preset's: 2026-06-02 + 6 months.
    assert deadline.start == date(2026, 12, 2)
    assert deadline.url == "https://example.com/my-top-up"
    assert deadline.description is not None
    assert "How to renew: Text 43430 from the spare phone" in deadline.description
    assert "Renew at: https://example.com/my-top-up" in deadline.description
    assert "Carrier: giffgaff (O2 network), United Kingdom" in deadline.description
    assert "Rule from the giffgaff (UK) preset" in deadline.description
    assert "check giffgaff (O2 network)'s current terms." in deadline.description


TELLO_USAGE = """
preset = "tello"
renewals = [{ date = 2026-10-02, amount = 10 }, { date = 2026-11-10, kind = "call" }]
"""


def test_a_rule_on_the_sim_replaces_the_presets_whole_rule(serve):
    client = serve(one_sim(TELLO_USAGE))
    # The preset: only purchases count, 2026-10-02 + 3 months = 2027-01-02.
    assert parse(fetch(client, "/calendar.ics")).event("x-deadline@simfeed").start == date(2027, 1, 2)
    raw = fetch(serve(one_sim(TELLO_USAGE + 'keep_alive = "60 days"\n')), "/calendar.ics")
    deadline = parse(raw).event("x-deadline@simfeed")
    # Its own keep_alive drops the preset's counts = ["topup"]: the call counts.
    # 2026-11-10 + 60 days: Nov 30 (20), Dec 31 (51), 2027-01-09 (60).
    assert deadline.start == date(2027, 1, 9)
    assert deadline.description is not None
    assert "Rule: renew at least every 60 days (deadline 2027-01-09)." in deadline.description
    # The rule is no longer the preset's, so the feed does not say it is; the rest still is.
    assert "preset" not in deadline.description
    assert "How to renew: Buy credit: text ADD10PAYG to 800 ($10)." in deadline.description
    assert deadline.url == "https://tello.com/"


def test_any_rule_replaces_the_presets(serve):
    # expires on a tello SIM: the preset's counts (keep_alive only) go with its rule.
    raw = fetch(serve(one_sim('preset = "tello"\nexpires = 2027-05-01\n')), "/calendar.ics")
    assert parse(raw).event("x-deadline@simfeed").start == date(2027, 5, 1)
    # A top-up rule on a Cubacel SIM: its own extends, with no minimum (the preset's 100 goes).
    raw = fetch(serve(one_sim("""
        preset = "cubacel"
        topup = { extends = "60 days" }
        renewals = [{ date = 2026-10-01, amount = 20 }]
    """)), "/calendar.ics")
    feed = parse(raw)
    # 2026-10-01 + 60 days: Oct 31 (30), 2026-11-30 (60); the preset's grace stays: + 30 = Dec 30.
    assert feed.starts() == {"x-deadline@simfeed": date(2026, 11, 30),
                             "x-stage-0@simfeed": date(2026, 12, 30)}


def test_counts_alone_is_a_rule_key_and_drops_the_presets_rule():
    problems = config_problems(one_sim(
        'preset = "giffgaff"\ncounts = ["topup"]\nlast_renewal = 2026-06-02\n'))
    assert problems == ['test.toml: sim "x": needs exactly one rule: keep_alive, expires, topup or charge']


def test_stages_on_the_sim_replace_the_presets(serve):
    raw = fetch(serve(one_sim('preset = "ee-uk"\ngrace = "30 days"\nlast_renewal = 2026-07-21\n')),
                "/calendar.ics")
    # EE's 179 days from 2026-07-21: 2027-01-16; the SIM's grace instead of EE's four stages:
    # + 30 = Jan 31 (15), 2027-02-15 (30).
    feed = parse(raw)
    assert feed.starts() == {"x-deadline@simfeed": date(2027, 1, 16), "x-stage-0@simfeed": date(2027, 2, 15)}
    assert feed.event("x-stage-0@simfeed").summary == "Last day to recover: X"
    # Stages on a SIM whose preset has grace: no "both grace and stages" error.
    raw = fetch(serve(one_sim("""
        preset = "cubacel"
        renewals = [{ date = 2026-01-24, amount = 100 }]
        stages = [{ after = "10 days", status = "suspended", recovery = "recharge" }]
    """)), "/calendar.ics")
    # 2026-01-24 + 330 days = 2026-12-20 (7 to Jan 31, 303 to Nov 30, 20 more); + 10 = Dec 30.
    feed = parse(raw)
    assert feed.starts() == {"x-deadline@simfeed": date(2026, 12, 20),
                             "x-stage-0@simfeed": date(2026, 12, 30)}
    assert feed.event("x-stage-0@simfeed").summary == "Suspended: X"


@pytest.mark.parametrize(("value", "shown"), [('"nope"', '"nope"'), ('"Giffgaff"', '"Giffgaff"'),
                                              ("3", "3"), ('["giffgaff"]', "['giffgaff']")])
def test_an_unknown_preset_is_a_config_error_naming_it(value, shown):
    problems = config_problems(one_sim(f"preset = {value}\nlast_renewal = 2026-06-02\n"))
    meant = 'did you mean "giffgaff"? ' if value == '"Giffgaff"' else ""
    assert problems[0] == (
        f'test.toml: sim "x": preset: {shown} is not a preset ({meant}see: simfeed presets)')


def test_a_preset_sim_is_checked_like_any_other():
    problems = config_problems(one_sim('preset = "giffgaff"\n'))
    assert problems == ['test.toml: sim "x": keep_alive: needs last_renewal (or renewals) to count from']
    problems = config_problems(one_sim(
        'preset = "giffgaff"\nlast_renewal = 2026-06-02\nrenew_url = "nope"\n'))
    assert problems == ['test.toml: sim "x": renew_url: "nope" must be a web address starting with https://']


# ------------------------------------------------------------- flask presets

def check_listing(output: str) -> None:
    catalogue = presets.catalogue()
    headers = [line for line in output.splitlines() if not line.startswith(" ")]
    assert headers == [f"{p.id}: {p.title}" for p in catalogue.values()] + [
        "Carriers change their rules: check your carrier's current terms."]
    assert len(catalogue) >= 25
    for preset in catalogue.values():
        assert f"  confidence: {preset.confidence.value} (checked {preset.checked.isoformat()}, " in output
        for source in preset.sources:
            assert f"  source [{source.kind}]: {source.title}, {source.date or 'undated'}" in output
    # One preset per carrier and country.
    carriers = [(p.keys["carrier"], p.keys["country"]) for p in catalogue.values()]
    assert len(set(carriers)) == len(carriers)
    assert "giffgaff: giffgaff (UK)\n  rule: renew at least every 6 months\n  what counts: " in output
    assert ("  cheapest action (kept in CN): £0.30, a text sent while roaming in China (30p; data costs 20p "
            "per MB) (SmsForwarder issue #561 and a README dated 2026-07-17 (third-party))\n") in output
    assert ("  confidence: reported by users (checked 2026-12-06, " in
            output.split("\npovo: ")[1].split("\ncubacel: ")[0])
    assert "  Check balance and validity: dial *#131#.\n" in output  # CMHK
    assert "tello: Tello (US)\n  rule: renew at least every 3 months; only a top-up counts\n" in output
    assert ("  after the deadline: +0 days: hibernated, credit removed; +90 days: last day EE can reinstate "
            "the number; +91 days: no longer reinstatable, to be recycled; +94 days: recycled\n") in output
    assert ("t-mobile-us: T-Mobile prepaid (US)\n  rule: each top-up extends validity from the later of the "
            "top-up date and the current expiry (10 or more: 90 days; 100 or more: 365 days)\n") in output


def test_flask_presets_lists_them(runner):
    result = runner.invoke(args=["presets"])
    assert result.exit_code == 0, result.output
    check_listing(result.output)


def test_flask_presets_through_the_real_command(tmp_path):
    env = {"SIMFEED_CONFIG": str(EXAMPLE), "SIMFEED_INSTANCE": str(tmp_path / "i"), "PATH": "/usr/bin:/bin"}
    result = subprocess.run([sys.executable, "-m", "flask", "--app", "feed", "presets"], cwd=ROOT, env=env,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stderr
    check_listing(result.stdout)


# --------------------------------------------------------------- the example config

# the starter file as written for its WRITTEN_FOR day (a first start moves every date alike), by hand:
EXAMPLE_DEADLINES = {
    # giffgaff preset: last text 2026-06-02 + 6 months.
    "giffgaff-uk": date(2026, 12, 2),
    # tello preset: the purchase of 2026-10-02 + 3 months; the call of 11-10 does not count.
    "tello-us": date(2027, 1, 2),
    # ee-uk preset: 2026-07-21 + 179 days: Jul 31 (10), Aug 31 (41), Sep 30 (71), Oct 31 (102),
    # Nov 30 (132), Dec 31 (163), 2027-01-16 (179).
    "ee-uk": date(2027, 1, 16),
    # t-mobile-us preset (from the later of the top-up and the expiry): $100 on 2026-03-01 gives
    # 365 days, to 2027-03-01; $10 on 2026-10-20 gives 90 days from the later date, 2027-03-01:
    # Mar 31 (30), Apr 30 (60), May 30 (90).
    "tmobile-us": date(2027, 5, 30),
    # cubacel preset: 500 CUP on 2026-08-05 + 330 days: Aug 31 (26), Sep 30 (56), Oct 31 (87),
    # Nov 30 (117), Dec 31 (148), Jan 31 (179), Feb 28 (207), Mar 31 (238), Apr 30 (268), May 31 (299),
    # Jun 30 (329), Jul 1 (330). The 50 CUP of 2026-10-01 is below the 100 minimum.
    "cubacel-cu": date(2027, 7, 1),
    # hahasim preset: 2026-05-18 + 365 days (no 29 February in between).
    "hahasim-hk": date(2027, 5, 18),
    # 100 HKD pays 18 on Dec 1, Jan 1, Feb 1, Mar 1 and Apr 1 (10 left): 2027-05-01.
    "monthly-hk": date(2027, 5, 1),
    "annual-plan": date(2027, 3, 31),
}
EXAMPLE_STAGES = {
    # EE: + 0 (day 179, hibernated); + 90: Jan 31 (15), Feb 28 (43), Mar 31 (74), Apr 16 (90),
    # day 269, the last day to reinstate; + 91: Apr 17; + 94: Apr 20, day 273, recycled.
    "ee-uk": [date(2027, 1, 16), date(2027, 4, 16), date(2027, 4, 17), date(2027, 4, 20)],
    # T-Mobile: + 0 suspended; + 119: May 31 (1), Jun 30 (31), Jul 31 (62), Aug 31 (93), Sep 26 (119);
    # + 120: Sep 27, cancelled.
    "tmobile-us": [date(2027, 5, 30), date(2027, 9, 26), date(2027, 9, 27)],
    # Cubacel: grace 30 days, Jul 31.
    "cubacel-cu": [date(2027, 7, 31)],
}
EXAMPLE_GRACE = {"ee-uk": "2027-04-16", "tmobile-us": "2027-09-26", "cubacel-cu": "2027-07-31"}


@pytest.fixture
def example(build: Callable[..., Flask]) -> FlaskClient:
    return build(EXAMPLE, SIMFEED_ADMIN_TOKEN=ADMIN).test_client()


def test_the_example_exercises_every_shape():
    config = load_config(EXAMPLE)
    rules = {sim.id: sim.rule for sim in config.sims}
    assert isinstance(rules["tello-us"], KeepAlive) and rules["tello-us"].counts == {"topup"}
    assert isinstance(rules["cubacel-cu"], TopUp) and len(rules["cubacel-cu"].tiers) == 1
    assert rules["cubacel-cu"].tiers[0].min_amount == 100
    assert isinstance(rules["tmobile-us"], TopUp) and len(rules["tmobile-us"].tiers) == 2
    assert rules["tmobile-us"].extend_from == "later"
    assert isinstance(rules["monthly-hk"], Charge)
    assert isinstance(rules["annual-plan"], Expires)
    assert len(config.sim("ee-uk").stages) == 4
    assert {sim.id for sim in config.sims if sim.preset is not None} == {
        "giffgaff-uk", "tello-us", "ee-uk", "tmobile-us", "cubacel-cu", "hahasim-hk"}


def test_the_example_feed(example):
    raw = fetch(example, "/calendar.ics")
    feed = parse(raw)
    assert feed.calname == "保号提醒 SIM renewals"
    # "#1E90FF" is exactly CSS3 dodgerblue.
    assert (feed.color, feed.apple_color) == ("dodgerblue", "#1E90FF")
    due = {e.uid.removesuffix("-deadline@simfeed"): e.start for e in feed.events if "-deadline@" in e.uid}
    assert due == EXAMPLE_DEADLINES
    for sim_id, stages in EXAMPLE_STAGES.items():
        assert [feed.event(f"{sim_id}-stage-{i}@simfeed").start for i in range(len(stages))] == stages
    assert len([e for e in feed.events if "-stage-" in e.uid]) == sum(map(len, EXAMPLE_STAGES.values()))

    def text(sim_id: str) -> str:
        found = feed.event(f"{sim_id}-deadline@simfeed").description
        assert found is not None
        return found

    assert ("Counted from: 2026-10-02 ($10.00, by USSD code, ref ADD10PAYG), the latest renewal"
            in text("tello-us"))
    assert "Last renewed: 2026-11-10 (call, a call; Tello does not count usage)." in text("tello-us")
    assert ("Counted from: 2026-08-05 (CUP\u00a0500.00, by website, ref EX-20260805-01, 在线充值网关)"
            in text("cubacel-cu"))
    assert ("Charges covered: 2026-12-01, 2027-01-01, 2027-02-01, 2027-03-01, 2027-04-01."
            in text("monthly-hk"))
    assert "Rule from the giffgaff (UK) preset" in text("giffgaff-uk")
    assert "preset" not in text("monthly-hk") and "preset" not in text("annual-plan")


def test_the_example_warning_events(example):
    feed = parse(fetch(example, "/calendar.ics?reminders=events"))
    warnings = {e.uid: (e.start, e.summary) for e in feed.events if "-warning-" in e.uid}
    # Cubacel has its own alarms, 30, 7 and 0 days: Jul 1 - 30 = Jun 1; Jul 1 - 7 = Jun 24.
    assert warnings["cubacel-cu-warning-30d@simfeed"] == (
        date(2027, 6, 1), "Renew 古巴保号卡 Cubacel ••0291 within 30 days — by 1 Jul")
    assert warnings["cubacel-cu-warning-7d@simfeed"][0] == date(2027, 6, 24)
    # The others the calendar's 14 and 3 days: giffgaff Dec 2 - 14 = Nov 18, Dec 2 - 3 = Nov 29.
    assert warnings["giffgaff-uk-warning-14d@simfeed"] == (
        date(2026, 11, 18), "Renew 英国 giffgaff 主号 ••0123 within 14 days — by 2 Dec")
    assert warnings["giffgaff-uk-warning-3d@simfeed"][0] == date(2026, 11, 29)
    assert len(warnings) == 2 * len(EXAMPLE_DEADLINES)


def test_the_example_family_feed(example):
    raw = fetch(example, "/feeds/family.ics")
    feed = parse(raw)
    assert feed.calname == "家人的号码 Family numbers"
    # tags = ["family"] (giffgaff-uk, ee-uk) and sims = ["annual-plan"], in the config's order.
    deadlines = [e for e in feed.events if "-deadline@" in e.uid]
    assert [(e.uid, e.start) for e in deadlines] == [
        ("giffgaff-uk-deadline@simfeed", date(2026, 12, 2)), ("ee-uk-deadline@simfeed", date(2027, 1, 16)),
        ("annual-plan-deadline@simfeed", date(2027, 3, 31))]
    # reminders = "both": warning events and the alarms. Annual plan: Mar 31 - 14 = Mar 17, - 3 = Mar 28;
    # EE: Jan 16 - 14 = Jan 2, - 3 = Jan 13.
    assert feed.event("annual-plan-warning-14d@simfeed").start == date(2027, 3, 17)
    assert feed.event("annual-plan-warning-3d@simfeed").start == date(2027, 3, 28)
    assert feed.event("ee-uk-warning-14d@simfeed").start == date(2027, 1, 2)
    assert feed.event("ee-uk-warning-3d@simfeed").start == date(2027, 1, 13)
    # 3 alarms on each deadline and one on each of EE's two recoverable stages.
    assert valarm_count(raw) == 3 * 3 + 2
    assert valarm_count(fetch(example, "/feeds/family.ics?reminders=alarms")) == 3 * 3 + 2
    assert valarm_count(fetch(example, "/feeds/family.ics?reminders=events")) == 0


# 2026-11-24 at noon UTC: 20:00 in Shanghai, the same date.
@time_machine.travel(datetime(2026, 11, 24, 12, 0, tzinfo=UTC), tick=False)
def test_the_example_in_the_api(example):
    listed = example.get("/api/sims", headers={"Authorization": f"Bearer {ADMIN}"}).get_json()
    # Soonest first.
    assert [s["id"] for s in listed] == sorted(EXAMPLE_DEADLINES, key=lambda i: (EXAMPLE_DEADLINES[i], i))
    sims = {s["id"]: s for s in listed}
    for sim_id, due in EXAMPLE_DEADLINES.items():
        assert sims[sim_id]["deadline"] == due.isoformat()
        assert sims[sim_id]["days_left"] == (due - date(2026, 11, 24)).days
        assert sims[sim_id]["grace_until"] == EXAMPLE_GRACE.get(sim_id)
    # giffgaff: 8 days left, within the 14-day alarm.
    assert sims["giffgaff-uk"]["days_left"] == 8
    assert {s["id"]: s["status"] for s in listed if s["status"] != "ok"} == {"giffgaff-uk": "due soon"}


def test_the_example_renders_the_same_as_served(example):
    config = load_config(EXAMPLE)
    assert render(config) == fetch(example, "/calendar.ics")
