"""One [[sim]] table -> Sim: its preset, its rule (one of four shapes), stages and renewals."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from ..core import parsers
from ..core.costs import decimal
from ..core.deadlines import NoDeadline, deadline_for
from ..core.durations import quote
from ..core.model import (
    GRACE_RECOVERY,
    GRACE_STATUS,
    KINDS,
    RULES,
    CalendarSettings,
    Charge,
    Check,
    CheckKind,
    Expires,
    ExtendFrom,
    KeepAlive,
    KeepCost,
    Kind,
    PresetInfo,
    Renewal,
    Rule,
    RuleKind,
    Sim,
    Stage,
    Tier,
    TopUp,
)
from . import presets
from .gateways import parse_autopilot
from .problems import Collector, Place, Problem
from .suggestions import suggest

SIM_KEYS = frozenset({
    "id", "name", "carrier", "country", "number", "show_number", "renew_url", "how_to_renew",
    "notes", "last_renewal", "renewals", "alarms", "alarm_time", "tags", "preset",
    *RULES, "counts", "grace", "stages", "keep_cost", "accounts", "check", "used_in", "autopilot",
})
# Table-driven parses: each key of the inline table and the parser of its value.
RENEWAL_FIELDS = {"date": parsers.toml_date, "amount": parsers.amount, "currency": parsers.currency,
                  "method": parsers.method, "reference": parsers.text, "note": parsers.text,
                  "kind": parsers.member(Kind)}
CHARGE_FIELDS = {"fee": parsers.positive, "every": parsers.period, "balance": parsers.amount,
                 "as_of": parsers.toml_date, "first": parsers.toml_date, "currency": parsers.currency}
COST_FIELDS = {"amount": parsers.amount, "currency": parsers.currency, "action": parsers.text,
               "source": parsers.text}
# The plain optional keys of a [[sim]], passed to Sim as they are.
OPTIONAL_FIELDS = {"carrier": parsers.text, "country": parsers.text, "number": parsers.number,
                   "renew_url": parsers.url, "how_to_renew": parsers.text, "notes": parsers.text,
                   "alarms": parsers.alarms, "alarm_time": parsers.clock_time}
RENEWAL_KEYS = frozenset(RENEWAL_FIELDS)
TOPUP_KEYS = frozenset({"extends", "min_amount", "tiers", "from"})
TIER_KEYS = frozenset({"min_amount", "extends"})
# The keys of one [[stages]] entry (what presets.STAGE_SETTING_KEYS set is a list of these).
STAGE_TABLE_KEYS = frozenset({"after", "status", "recovery"})
CHECK_KEYS = frozenset({"ussd", "sms", "to"})
LAST_DAY = date(9999, 12, 30)


def _renewals(where: Place, value: Any, found: Collector) -> list[Renewal]:
    renewals = []
    for at, table in found.items(where, "renewals", value, "{ date = 2026-06-02, amount = 10 }",
                                 RENEWAL_KEYS, ("date",)):
        given = found.fields(at, table, RENEWAL_FIELDS)
        # A kind left out, or one already reported as wrong, is a top-up.
        renewal = Renewal(**{**given, "kind": given["kind"] or Kind.TOPUP})
        if renewal.date is not None:
            renewals.append(renewal)
    return renewals


def _tier(at: Place, table: dict[str, Any], found: Collector) -> Tier | None:
    extends = found.field(at, table, "extends", parsers.period)
    if "extends" not in table:
        found.add(at, "tier_without_extends")
    minimum = found.field(at, table, "min_amount", parsers.amount)
    return Tier(minimum, extends[0], extends[1]) if extends else None


def _topup(where: Place, value: Any, found: Collector) -> TopUp | None:
    at = where.at("topup")
    example = '{ extends = "330 days", min_amount = 100, from = "topup" }'
    table = found.subtable(at, value, example, TOPUP_KEYS)
    if table is None:
        return None
    extend_from = found.field(at, table, "from", parsers.member(ExtendFrom), ExtendFrom.TOPUP)
    if ("tiers" in table) == ("extends" in table):
        found.add(at, "extends_or_tiers")
        return None
    if "extends" in table:
        tier = _tier(at, {k: v for k, v in table.items() if k in TIER_KEYS}, found)
        return TopUp((tier,), extend_from) if tier else None
    example = '{ min_amount = 50, extends = "180 days" }'  # for the tiers from here on
    if table["tiers"] == []:
        found.add(at.at("tiers"), "not_table_list", example=example)
        return None
    before = len(found.problems)
    found_tiers = found.items(at, "tiers", table["tiers"], example, TIER_KEYS)
    tiers = [_tier(tier_at, tier, found) for tier_at, tier in found_tiers]
    if len(found.problems) > before or None in tiers:
        return None
    ordered = sorted((t for t in tiers if t), key=lambda t: t.min_amount or 0)
    if len({t.min_amount or 0 for t in ordered}) < len(ordered):
        found.add(at.at("tiers"), "same_min_amount")
        return None
    return TopUp(tuple(ordered), extend_from)


def _charge(where: Place, value: Any, found: Collector) -> Charge | None:
    at = where.at("charge")
    given = found.record(at, value, '{ fee = 5, every = "1 month", balance = 23, as_of = 2026-11-01 }',
                         CHARGE_FIELDS, required=("fee", "every", "balance", "as_of"))
    if given is None:
        return None
    every, as_of = given["every"], given["as_of"]
    first = given["first"] or as_of + every[0]
    if first <= as_of:
        found.add(at.at("first"), "first_before_as_of", value=first.isoformat(), as_of=as_of.isoformat())
        return None
    return Charge(given["fee"], every[0], every[1], given["balance"], as_of, first, given["currency"])


def _rule(where: Place, table: dict[str, Any], found: Collector) -> Rule | None:
    given = [key for key in RULES if key in table]
    if len(given) != 1:
        if given:
            found.add(where, "rules", given=", ".join(given))
        else:
            found.add(where, "no_rule")
        return None
    if "counts" in table and given[0] != RuleKind.KEEP_ALIVE:
        found.add(where.at("counts"), "counts_without_keep_alive")
    if given[0] == RuleKind.KEEP_ALIVE:
        kept = found.field(where, table, "keep_alive", parsers.period)
        counts = found.field(where, table, "counts", parsers.words(parsers.member(Kind)), tuple(Kind))
        if not counts:
            found.add(where.at("counts"), "counts_empty", choices=", ".join(KINDS))
        return KeepAlive(kept[1], kept[0], frozenset(counts)) if kept and counts else None
    if given[0] == "expires":
        on = found.field(where, table, "expires", parsers.toml_date)
        return Expires(on) if on else None
    if given[0] == "topup":
        return _topup(where, table["topup"], found)
    return _charge(where, table["charge"], found)


def _keep_cost(where: Place, table: dict[str, Any], found: Collector) -> KeepCost | None:
    """keep_cost = { amount = 10, currency = "HKD", action = "…", source = "…" }."""
    if "keep_cost" not in table:
        return None
    given = found.record(where.at("keep_cost"), table["keep_cost"], '{ amount = 10, currency = "HKD" }',
                         COST_FIELDS, required=("amount", "currency"))
    if given is None:
        return None
    return KeepCost(**{**given, "amount": decimal(given["amount"])})


def _check(where: Place, table: dict[str, Any], found: Collector) -> Check | None:
    """check = "*#131#" (a code to dial), or check = { sms = "BAL", to = "150" }."""
    if "check" not in table:
        return None
    value = table["check"]
    if not isinstance(value, dict):
        code = found.field(where, table, "check", parsers.dial)
        return Check(CheckKind.USSD, code) if code else None
    at = where.at("check")
    found.unknown_keys(at, value, CHECK_KEYS)
    if ("ussd" in value) == ("sms" in value) or ("to" in value) != ("sms" in value):
        found.add(at, "ussd_or_sms")
        return None
    if "ussd" in value:
        code = found.field(at, value, "ussd", parsers.dial)
        return Check(CheckKind.USSD, code) if code else None
    words = found.field(at, value, "sms", parsers.text)
    to = found.field(at, value, "to", parsers.dial)
    return Check(CheckKind.SMS, words.strip(), to) if words and to else None


def _stages(where: Place, table: dict[str, Any], found: Collector) -> tuple[Stage, ...]:
    if "grace" in table and "stages" in table:
        found.add(where, "grace_or_stages")
        return ()
    if "grace" in table:
        grace = found.field(where, table, "grace", parsers.period)
        return (Stage(grace[0], grace[1], GRACE_STATUS, GRACE_RECOVERY, grace=True),) if grace else ()
    if "stages" not in table:
        return ()
    stages = []
    example = '{ after = "90 days", status = "recycled" }'
    found_stages = found.items(where, "stages", table["stages"], example, STAGE_TABLE_KEYS,
                               ("after", "status"))
    for at, stage in found_stages:
        after = found.field(at, stage, "after", parsers.offset)
        status = found.field(at, stage, "status", parsers.text)
        recovery = found.field(at, stage, "recovery", parsers.text)
        if after and status:
            stages.append(Stage(after[0], after[1], status.strip(), recovery))
    return tuple(sorted(stages, key=lambda s: date(2000, 1, 1) + s.after))


def _preset(where: Place, table: dict[str, Any], used_in: str | None,
            found: Collector) -> tuple[dict[str, Any], PresetInfo | None]:
    name = table.get("preset")
    if name is None:
        return table, None
    catalogue = presets.catalogue()
    preset = catalogue.get(name) if isinstance(name, str) else None
    if preset is None:
        hint = suggest(name, catalogue) if isinstance(name, str) else None
        if hint:
            found.add(where.at("preset"), "not_preset_hint", value=quote(name), hint=quote(hint),
                      command="simfeed presets")
        else:
            found.add(where.at("preset"), "not_preset", value=quote(name), command="simfeed presets")
        return table, None
    merged, from_preset = presets.apply(preset, table)
    filled = presets.filled(preset, table)
    if "keep_cost" not in table:  # the preset's price where the SIM is kept, when it knows one
        cost = presets.keep_cost_where(preset, used_in)
        merged.pop("keep_cost", None)
        if cost is None:
            filled -= {"keep_cost"}
        else:
            merged["keep_cost"] = cost
    return merged, PresetInfo(preset.id, preset.title, preset.source, preset.checked, from_preset,
                              sources=preset.sources, texts=preset.all_texts(), filled=filled)


def _check_deadline(where: Place, sim: Sim, found: Collector) -> None:
    """The rule must give a deadline the feed can show: a counted renewal, a date before 9999."""
    try:
        deadline = deadline_for(sim, CalendarSettings())
        late = max([deadline.due, *(on for on, _ in deadline.stages)]) > LAST_DAY
    except NoDeadline as problem:
        found.add(where, problem.code)
        return
    except (OverflowError, ValueError):
        late = True
    if late:
        found.add(where, "too_late", last=LAST_DAY.isoformat())


def parse_sim(index: int, raw: Any, found: Collector) -> Sim | None:
    """Validate one [[sim]] table; None (with problems recorded) when it is unusable."""
    before = len(found.problems)
    where, table = found.named("sim", index, raw, '[[sim]] with id = "…" and name = "…"', SIM_KEYS)
    if table is None:
        return None
    used_in = found.field(where, table, "used_in", parsers.used_in)
    table, preset = _preset(where, table, used_in, found)
    sim_id = found.field(where, table, "id", parsers.sim_id)
    name = found.field(where, table, "name", parsers.text)
    renewals = _renewals(where, table["renewals"], found) if "renewals" in table else []
    last = found.field(where, table, "last_renewal", parsers.toml_date)
    if last is not None:
        renewals.append(Renewal(date=last, kind=None))
    renewals.sort(key=lambda r: r.date)
    # A preset that is not known gives no rule: that is one problem, already said, not two.
    unknown_preset = "preset" in table and preset is None and not any(key in table for key in RULES)
    rule = None if unknown_preset else _rule(where, table, found)
    if isinstance(rule, (KeepAlive, TopUp)) and not renewals and not (
            "last_renewal" in table or table.get("renewals")):
        key = "keep_alive" if isinstance(rule, KeepAlive) else "topup"
        found.add(where.at(key), "no_renewal")
    stages = _stages(where, table, found)
    optional = found.fields(where, table, OPTIONAL_FIELDS)
    show_number = found.field(where, table, "show_number", parsers.boolean, False)
    tags = found.field(where, table, "tags", parsers.words(parsers.sim_id), ())
    accounts = found.field(where, table, "accounts", parsers.accounts, ())
    keep_cost = _keep_cost(where, table, found)
    check = _check(where, table, found)
    autopilot = parse_autopilot(where, table, rule, preset.id if preset else None, found)
    if len(found.problems) > before or rule is None or sim_id is None or name is None:
        return None
    sim = Sim(id=sim_id, name=name, rule=rule, renewals=tuple(renewals), show_number=show_number,
              stages=stages, tags=tags, preset=preset, keep_cost=keep_cost, accounts=accounts,
              check=check, used_in=used_in, autopilot=autopilot, **optional)
    _check_deadline(where, sim, found)
    return sim


def preset_sample(preset_id: str, renewed: date,
                  used_in: str | None = None) -> tuple[Sim | None, list[Problem]]:
    """A SIM made of nothing but a preset, last renewed on `renewed` (a preset without a rule,
    like Hotlink's, expires 180 days later): for listing presets and testing every one."""
    table: dict[str, Any] = {"id": "sample", "name": preset_id, "preset": preset_id, "last_renewal": renewed}
    if not presets.RULE_KEYS & presets.catalogue()[preset_id].keys.keys():
        table["expires"] = renewed + timedelta(days=180)
    if used_in is not None:
        table["used_in"] = used_in
    found = Collector(f"preset {preset_id}")
    return parse_sim(0, table, found), found.problems
