"""What keeping a SIM costs a year: projected from its rule, and actual from its renewals. Pure.

Money is Decimal throughout (never a float sum) and stays in its own currency:
totals are per currency, with no exchange rates made up.
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from dateutil.relativedelta import relativedelta

from .model import Charge, Expires, KeepAlive, KeepCost, Sim

YEAR = relativedelta(years=1)


@dataclass(frozen=True)
class Money:
    """An amount in one currency (None when nothing recorded which)."""

    amount: Decimal
    currency: str | None


@dataclass(frozen=True)
class Step:
    """One kind of action in a year's plan: `times` actions at `price` each, each lasting `period`."""

    times: int
    price: Decimal
    period: str


@dataclass(frozen=True)
class Plan:
    """The cheapest way found to keep a SIM alive for the year from today."""

    cost: Money
    steps: tuple[Step, ...] = ()
    # For a fixed expiry: the number costs nothing to keep, and ends on this day anyway.
    until: date | None = None


@dataclass(frozen=True)
class YearCost:
    """A SIM's cost per year: projected (None when no price is known) and actual, per currency."""

    projected: Plan | None
    actual: tuple[Money, ...]


def decimal(value: float | int | Decimal) -> Decimal:
    """A config or log amount as the Decimal it was written as: 0.1 stays 0.1.

    >>> decimal(0.1), decimal(10), decimal(9.99) + decimal(0.01)
    (Decimal('0.1'), Decimal('10'), Decimal('10.00'))
    """
    return value if isinstance(value, Decimal) else Decimal(str(value))


def plain(amount: Decimal) -> str:
    """An amount as plain text for JSON and CSV, without exponent or trailing zeros.

    >>> plain(Decimal("10.0")), plain(Decimal("0.30")), plain(Decimal("1E+2"))
    ('10', '0.3', '100')
    """
    text = format(amount.normalize(), "f")
    return text if amount else "0"


Option = tuple[Decimal, relativedelta, str]  # price, period, the period as written


def _cheapest(options: list[Option], today: date) -> tuple[Decimal, tuple[Step, ...]]:
    """The cheapest sequence of actions whose periods, back to back from today, cover a year.

    Dijkstra over the day the number is paid up to: a state is a date, an action moves
    it by its period (calendar months stay months: 6 months twice is exactly a year).
    """
    end = today + YEAR
    best: dict[date, Decimal] = {today: Decimal(0)}
    came: dict[date, tuple[date, int]] = {}
    queue: list[tuple[Decimal, int, date]] = [(Decimal(0), 0, today)]
    while queue:
        cost, actions, day = heapq.heappop(queue)
        if cost > best.get(day, cost):
            continue
        if day >= end:
            return cost, _steps(options, came, day, today)
        for index, (price, period, _text) in enumerate(options):
            nxt = min(day + period, end)
            if cost + price < best.get(nxt, cost + price + 1):
                best[nxt], came[nxt] = cost + price, (day, index)
                heapq.heappush(queue, (cost + price, actions + 1, nxt))
    raise AssertionError("unreachable: every period is longer than zero")  # pragma: no cover


def _steps(options: list[Option], came: dict[date, tuple[date, int]], day: date,
           today: date) -> tuple[Step, ...]:
    times = [0] * len(options)
    while day != today:
        day, index = came[day]
        times[index] += 1
    return tuple(Step(n, options[i][0], options[i][2]) for i, n in enumerate(times) if n)


def _charges_in_year(rule: Charge, today: date) -> int:
    """How many of the rule's charges fall in the year from today (today included)."""
    end, count, n = today + YEAR, 0, 0
    while (on := rule.first + rule.every * n) < end:
        count += on >= today
        n += 1
    return count


def projected(sim: Sim, today: date) -> Plan | None:
    """The rule's cost for the year from `today`; None when the cheapest action has no price.

    A keep-alive rule repeats the cheapest action that counts every period; a top-up
    rule picks the cheapest mix of its tiers (each tier's top-up costs its minimum, or
    the cheapest action when that is more); a charge costs its fee each time it falls;
    a fixed expiry costs nothing until its date.
    """
    rule, cost = sim.rule, sim.keep_cost
    if isinstance(rule, Expires):
        return Plan(Money(Decimal(0), rule_currency(sim)), until=rule.on)
    if isinstance(rule, Charge):
        times, fee = _charges_in_year(rule, today), decimal(rule.fee)
        charged: tuple[Step, ...] = (Step(times, fee, rule.every_text),) if times else ()
        return Plan(Money(fee * times, rule_currency(sim)), charged)
    if cost is None:
        return None
    if isinstance(rule, KeepAlive):
        options: list[Option] = [(cost.amount, rule.period, rule.text)]
    else:
        options = [(_tier_price(tier.min_amount, cost), tier.period, tier.text) for tier in rule.tiers]
    total, steps = _cheapest(options, today)
    return Plan(Money(total, cost.currency), steps)


def _tier_price(minimum: float | None, cost: KeepCost) -> Decimal:
    return max(decimal(minimum), cost.amount) if minimum is not None else cost.amount


def rule_currency(sim: Sim) -> str | None:
    """The currency a SIM's money is in when a renewal does not say: its charge's, or its cost's."""
    if isinstance(sim.rule, Charge) and sim.rule.currency:
        return sim.rule.currency
    return sim.keep_cost.currency if sim.keep_cost else None


def actual(sim: Sim, today: date) -> tuple[Money, ...]:
    """What the config and the log recorded paying in the 12 months up to `today`, per currency."""
    since = today - YEAR
    fallback = rule_currency(sim)
    paid = (Money(decimal(r.amount), r.currency or fallback) for r in sim.renewals
            if r.amount is not None and since < r.date <= today)
    return add_up(paid)


def add_up(amounts: Iterable[Money]) -> tuple[Money, ...]:
    """Amounts summed per currency, sorted by currency (an unnamed currency last).

    >>> add_up([Money(Decimal("0.1"), "GBP"), Money(Decimal("10"), "HKD"), Money(Decimal("0.2"), "GBP")])
    (Money(amount=Decimal('0.3'), currency='GBP'), Money(amount=Decimal('10'), currency='HKD'))
    """
    sums: dict[str | None, Decimal] = defaultdict(Decimal)
    for money in amounts:
        sums[money.currency] += money.amount
    return tuple(Money(sums[c], c) for c in sorted(sums, key=lambda c: (c is None, c or "")))


def year_cost(sim: Sim, today: date) -> YearCost:
    return YearCost(projected(sim, today), actual(sim, today))


def totals(costs: Iterable[YearCost]) -> tuple[tuple[Money, ...], tuple[Money, ...]]:
    """Projected and actual totals over many SIMs, each per currency; free SIMs add nothing."""
    chosen = list(costs)
    return (add_up(c.projected.cost for c in chosen if c.projected is not None and c.projected.cost.amount),
            add_up(m for c in chosen for m in c.actual))


def months_since(checked: date, today: date) -> int:
    """Whole months from `checked` to `today`.

    >>> months_since(date(2025, 10, 4), date(2026, 12, 4)), months_since(date(2025, 10, 5), date(2026, 12, 4))
    (14, 13)
    """
    delta = relativedelta(today, checked)
    return int(delta.years * 12 + delta.months)


def checked_long_ago(checked: date, today: date) -> bool:
    """Whether a rule last checked on `checked` is more than a year old on `today`.

    >>> today = date(2026, 12, 4)
    >>> checked_long_ago(date(2025, 12, 4), today), checked_long_ago(date(2025, 12, 3), today)
    (False, True)
    """
    return bool(checked + YEAR < today)
