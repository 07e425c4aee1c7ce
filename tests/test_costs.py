"""The keep-alive ledger's arithmetic: a year's cost for each rule shape, worked out by hand.

"Today" is 2026-12-04 throughout, so the year runs to 2027-12-04 (365 days).
"""

from __future__ import annotations

import textwrap
from datetime import date
from decimal import Decimal

import pytest

from feed.config.load import parse_toml
from feed.core.costs import Money, Step, actual, checked_long_ago, months_since, projected, totals, year_cost
from feed.core.model import Check, KeepCost, Sim
from feed.core.wording import Wording

from .helpers import config_problems

TODAY = date(2026, 12, 4)


def sim(toml: str) -> Sim:
    text = '[[sim]]\nid = "x"\nname = "X"\n' + textwrap.dedent(toml)
    return parse_toml(text, "test.toml").sims[0]


# ------------------------------------------------------------------ projected, per rule shape

def test_keep_alive_six_months_is_two_actions_a_year() -> None:
    # giffgaff: a 10p text every 6 months; 2026-12-04 + 6 months twice is exactly 2027-12-04.
    plan = projected(sim('preset = "giffgaff"\nlast_renewal = 2026-11-01'), TODAY)
    assert plan is not None
    assert plan.cost == Money(Decimal("0.2"), "GBP")
    assert plan.steps == (Step(2, Decimal("0.1"), "6 months"),)


def test_keep_alive_180_days_needs_a_third_action() -> None:
    # 2 × 180 = 360 days reaches 2027-11-29, five days short of a year: a third action.
    plan = projected(sim('keep_alive = "180 days"\nlast_renewal = 2026-11-01\n'
                         'keep_cost = { amount = 0.10, currency = "GBP" }'), TODAY)
    assert plan is not None and plan.cost == Money(Decimal("0.3"), "GBP")


def test_tiered_top_up_takes_the_cheaper_mix_of_tiers() -> None:
    # HK$50 gives 180 days, HK$10 gives 30. Two HK$50 cover 360 days, one HK$10 the last 5:
    # 110. Three HK$50 cost 150; 50 + 7 × 10 (390 days) 120; 13 × 10 (390 days) 130.
    plan = projected(sim('''
        topup = { tiers = [{ min_amount = 50, extends = "180 days" },
                           { min_amount = 10, extends = "30 days" }] }
        renewals = [{ date = 2026-10-01, amount = 50, currency = "HKD" }]
        keep_cost = { amount = 10, currency = "HKD" }
    '''), TODAY)
    assert plan is not None
    assert plan.cost == Money(Decimal("110"), "HKD")
    assert plan.steps == (Step(1, Decimal("10"), "30 days"), Step(2, Decimal("50"), "180 days"))


def test_t_mobile_five_small_refills_beat_one_large() -> None:
    # $10 for 90 days: 4 × 90 = 360 < 365, so 5 refills, $50; one $100 refill gives 365 days.
    plan = projected(sim('preset = "t-mobile-us"\nrenewals = [{ date = 2026-11-01, amount = 10 }]'), TODAY)
    assert plan is not None
    assert plan.cost == Money(Decimal("50"), "USD")
    assert plan.steps == (Step(5, Decimal("10"), "90 days"),)


def test_a_minimum_above_the_cheapest_action_is_what_a_top_up_costs() -> None:
    # CMHK: the cheapest top-up is HK$10 but only HK$50 counts, for 180 days: 3 × 50 = 150.
    plan = projected(sim('preset = "cmhk"\nrenewals = [{ date = 2026-11-01, amount = 50 }]'), TODAY)
    assert plan is not None and plan.cost == Money(Decimal("150"), "HKD")


def test_charge_costs_its_fee_each_time_it_falls_in_the_year() -> None:
    # First charge 2026-12-01 (as_of + 1 month), before today; 2027-01-01 … 2027-12-01 fall
    # in the year: 12 × 5 EUR = 60 EUR.
    plan = projected(sim('charge = { fee = 5, every = "1 month", balance = 23, as_of = 2026-11-01, '
                         'currency = "EUR" }'), TODAY)
    assert plan is not None
    assert plan.cost == Money(Decimal("60"), "EUR")
    assert plan.steps == (Step(12, Decimal("5"), "1 month"),)


def test_an_expires_sim_costs_nothing_until_its_date() -> None:
    plan = projected(sim("expires = 2027-03-31"), TODAY)
    assert plan is not None
    assert plan.cost == Money(Decimal("0"), None) and plan.until == date(2027, 3, 31)
    assert Wording().year_cost(plan) == "nothing until 2027-03-31"


def test_no_price_means_no_projection() -> None:
    plan = projected(sim('keep_alive = "6 months"\nlast_renewal = 2026-11-01'), TODAY)
    assert plan is None
    assert Wording().year_cost(plan).startswith("unknown: set keep_cost")


def test_the_sim_s_own_keep_cost_wins_over_the_preset_s() -> None:
    chosen = sim('preset = "hahasim"\nlast_renewal = 2026-11-01\n'
                 'keep_cost = { amount = 20, currency = "HKD", action = "a HK$20 voucher" }')
    assert chosen.keep_cost == KeepCost(Decimal("20"), "HKD", "a HK$20 voucher")
    plan = projected(chosen, TODAY)
    assert plan is not None and plan.cost == Money(Decimal("20"), "HKD")  # one a year, 365 days


# ------------------------------------------------------------------ actual, and totals

def test_actual_is_the_last_twelve_months_per_currency() -> None:
    chosen = sim('''
        preset = "cmhk"
        renewals = [
          { date = 2025-12-04, amount = 50 },                    # a year ago to the day: out
          { date = 2025-12-05, amount = 50 },                    # no currency: the preset's HKD
          { date = 2026-06-01, amount = 60.5, currency = "HKD" },
          { date = 2026-11-01, amount = 5, currency = "USD" },
          { date = 2026-11-02, kind = "call" },                  # no amount: nothing paid
        ]
    ''')
    assert actual(chosen, TODAY) == (Money(Decimal("110.5"), "HKD"), Money(Decimal("5"), "USD"))


def test_totals_are_per_currency_without_exchange_rates() -> None:
    giffgaff = sim('preset = "giffgaff"\nlast_renewal = 2026-11-01\n'
                   'renewals = [{ date = 2026-11-01, amount = 0.1 }, { date = 2026-05-01, amount = 0.2 }]')
    cmhk = sim('preset = "cmhk"\nrenewals = [{ date = 2026-11-01, amount = 50 }]')
    projected_total, actual_total = totals([year_cost(giffgaff, TODAY), year_cost(cmhk, TODAY),
                                            year_cost(sim("expires = 2027-03-31"), TODAY)])
    # The expires SIM costs nothing and adds no line of its own.
    assert projected_total == (Money(Decimal("0.2"), "GBP"), Money(Decimal("150"), "HKD"))
    # 0.1 + 0.2 is exactly 0.3 in Decimal, where floats give 0.30000000000000004.
    assert actual_total == (Money(Decimal("0.3"), "GBP"), Money(Decimal("50"), "HKD"))


# ------------------------------------------------------------------ config: accounts, check, errors

def test_accounts_and_check_are_parsed() -> None:
    chosen = sim('preset = "cmhk"\nlast_renewal = 2026-11-01\n'
                 'accounts = ["HSBC UK", " WhatsApp ", "HSBC UK"]')
    assert chosen.accounts == ("HSBC UK", "WhatsApp")
    assert chosen.check == Check("ussd", "*#131#")
    assert "HSBC" not in repr(chosen)  # kept out of logs that print a SIM
    own = sim('expires = 2027-03-31\ncheck = { sms = "BAL", to = "150" }')
    assert own.check == Check("sms", "BAL", "150")
    assert Wording().check_line(own.check) == "Check balance and validity: text BAL to 150."
    assert Wording().lapse_accounts(chosen) == "If this number lapses: HSBC UK, WhatsApp."


@pytest.mark.parametrize(("toml", "expected"), [
    ('keep_cost = { amount = 10 }', 'sim "x": keep_cost: currency is missing'),
    ('keep_cost = { amount = -1, currency = "HKD" }', 'sim "x": keep_cost: amount: -1 must be zero or more'),
    ('keep_cost = { amount = 1, currency = "HKD", price = 2 }', 'sim "x": keep_cost: unknown key "price"'),
    ('check = "call me"', 'sim "x": check: "call me" must be a code to dial'),
    ('check = { sms = "BAL" }', 'sim "x": check: set either ussd'),
    ('accounts = "Barclays"', 'sim "x": accounts: must be a list of names'),
], ids=["cost-currency", "cost-negative", "cost-unknown-key", "check-text", "check-sms-without-to",
        "accounts-not-a-list"])
def test_bad_ledger_keys_name_file_sim_and_field(toml: str, expected: str) -> None:
    problems = config_problems(f'[[sim]]\nid = "x"\nname = "X"\nexpires = 2027-03-31\n{toml}\n')
    assert any(p.startswith(f"test.toml: {expected}") for p in problems), problems
    assert not any("Barclays" in p for p in problems)  # an account name is never echoed


def test_show_accounts_is_off_unless_set() -> None:
    assert parse_toml('[calendar]\nshow_accounts = true\n').calendar.show_accounts
    assert not parse_toml("").calendar.show_accounts


# ------------------------------------------------------------------ the age of a preset's rule

def test_a_rule_checked_over_a_year_ago_is_flagged() -> None:
    assert months_since(date(2025, 10, 4), TODAY) == 14
    assert checked_long_ago(date(2025, 10, 4), TODAY) and not checked_long_ago(date(2025, 12, 4), TODAY)
    assert Wording().checked_ago(date(2025, 10, 4), TODAY) == \
        "rule last checked 14 months ago: confirm it with the carrier"
