"""Property-based: any valid config gives a feed that every parser reads, with each date where the rule says.

Configs are drawn with the expected dates worked out alongside, by an oracle written
from the README's rules rather than from feed/deadlines.py: the deadline of each
rule shape, each stage's day, every alarm's firing time in the calendar's zone,
and the exact set of UIDs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from dateutil.relativedelta import relativedelta
from hypothesis import given, settings
from hypothesis import strategies as st

from feed.calendar.builder import render
from feed.config.load import parse_config

from .strategies import LONG, examples, hostile_text
from .test_deadlines import exact_part_reaches_a_day
from .test_ical import fires_at, raw_events, raw_triggers, unfolded, via_ical, via_icalendar

MODIFIED = datetime(2026, 5, 28, 12, 0, tzinfo=UTC)
ZONES = ["Europe/London", "America/New_York", "Australia/Lord_Howe", "Asia/Shanghai", "Pacific/Apia", "UTC"]
FIRST, LAST = date(1990, 1, 1), date(2090, 12, 31)
UNITS = {"days": "days", "d": "days", "weeks": "weeks", "wk": "weeks", "months": "months", "mo": "months",
         "years": "years", "y": "years"}


@dataclass
class Expected:
    """What the oracle says about one SIM."""

    due: date
    stages: list[tuple[date, bool]]  # the day of each stage, and whether it has a recovery
    leads: tuple[int, ...]
    at: time
    renewals: int


@st.composite
def periods(draw: st.DrawFn, most: int = 3000) -> tuple[str, relativedelta]:
    """A period as a person writes it, and what it means (worked out here, not by feed.durations)."""
    unit = draw(st.sampled_from(sorted(UNITS)))
    meaning = UNITS[unit]
    largest = {"days": most, "weeks": most // 7, "months": most // 31, "years": most // 366}[meaning]
    n = draw(st.integers(1, largest))
    delta = relativedelta(**{meaning: n})
    iso = f"P{n}{'YMWD'[['years', 'months', 'weeks', 'days'].index(meaning)]}"
    return draw(st.sampled_from([f"{n} {unit}", iso])), delta


def counted(renewal: dict[str, Any], kinds: set[str]) -> bool:
    """A `renewals` entry is a top-up unless it says otherwise; `last_renewal` (kind None) always counts."""
    kind = renewal.get("kind", "topup")
    return kind is None or kind in kinds


@st.composite
def renewal_list(draw: st.DrawFn, amounts: bool) -> list[dict[str, Any]]:
    entries = []
    for _ in range(draw(st.integers(0, 4))):
        entry: dict[str, Any] = {"date": draw(st.dates(FIRST, LAST - timedelta(days=3000)))}
        if draw(st.booleans()):
            entry["kind"] = draw(st.sampled_from(["topup", "call", "sms", "data"]))
        if amounts or draw(st.booleans()):
            entry["amount"] = draw(st.integers(0, 200))
        if draw(st.booleans()):
            entry["note"] = draw(hostile_text(max_size=4))
            entry["reference"] = draw(hostile_text(max_size=3))
        entries.append(entry)
    return entries


def _top_up_due(tiers: list[tuple[int | None, relativedelta]], start_from: str,
                renewals: list[dict[str, Any]]) -> date | None:
    """Each top-up reaching a tier extends validity; the README's three `from` readings."""
    ordered = sorted(tiers, key=lambda t: t[0] or 0)
    expiry = None
    for renewal in sorted(renewals, key=lambda r: r["date"]):
        if renewal.get("kind", "topup") != "topup":
            continue
        amount = renewal.get("amount")
        reached = ordered[:1] if amount is None else [t for t in ordered if t[0] is None or amount >= t[0]]
        if not reached:
            continue
        day = renewal["date"]
        start = day if expiry is None or start_from == "topup" else (
            expiry if start_from == "expiry" else max(expiry, day))
        expiry = start + reached[-1][1]
    return expiry


@st.composite
def rules(draw: st.DrawFn, table: dict[str, Any]) -> date:
    """Add one rule (and the renewals it counts) to `table`; return the deadline it gives."""
    shape = draw(st.sampled_from(["keep_alive", "expires", "topup", "charge"]))
    if shape == "expires":
        table["expires"] = draw(st.dates(FIRST, LAST))
        table["renewals"] = draw(renewal_list(False))
        return table["expires"]  # type: ignore[no-any-return]
    if shape == "keep_alive":
        text, delta = draw(periods())
        table["keep_alive"] = text
        kinds = set(draw(st.lists(st.sampled_from(["topup", "call", "sms", "data"]), min_size=1,
                                  unique=True)))
        if kinds != {"topup", "call", "sms", "data"} or draw(st.booleans()):
            table["counts"] = sorted(kinds)
        renewals = draw(renewal_list(False))
        if not any(counted(r, kinds) for r in renewals) or draw(st.booleans()):
            table["last_renewal"] = draw(st.dates(FIRST, LAST - timedelta(days=3000)))
            renewals.append({"date": table["last_renewal"], "kind": None})
        else:
            table["renewals"] = renewals
        if "last_renewal" in table and len(renewals) > 1:
            table["renewals"] = renewals[:-1]
        return max(r["date"] for r in renewals if counted(r, kinds)) + delta  # type: ignore[no-any-return]
    if shape == "topup":
        start_from = draw(st.sampled_from(["topup", "expiry", "later"]))
        if draw(st.booleans()):
            text, delta = draw(periods(800))
            minimum = draw(st.none() | st.integers(1, 100))
            table["topup"] = {"extends": text, "from": start_from, **(
                {"min_amount": minimum} if minimum is not None else {})}
            tiers = [(minimum, delta)]
        else:
            mins = draw(st.lists(st.integers(1, 150), min_size=1, max_size=3, unique=True))
            drawn = [(m, draw(periods(800))) for m in mins]
            table["topup"] = {"tiers": [{"min_amount": m, "extends": p[0]} for m, p in drawn],
                              "from": start_from}
            tiers = [(m, p[1]) for m, p in drawn]
        renewals = draw(renewal_list(True))
        # One top-up of unknown amount always counts (with the lowest tier): the rule has a start.
        renewals.append({"date": draw(st.dates(FIRST, LAST - timedelta(days=9000)))})
        table["renewals"] = renewals
        due = _top_up_due(tiers, start_from, renewals)
        assert due is not None
        return due
    fee = draw(st.integers(1, 50))
    every_text, every = draw(periods(400))
    as_of = draw(st.dates(FIRST, LAST - timedelta(days=9000)))
    balance = draw(st.integers(0, fee * 20))
    table["charge"] = {"fee": fee, "every": every_text, "balance": balance, "as_of": as_of}
    first = as_of + every
    if draw(st.booleans()):
        first = as_of + timedelta(days=draw(st.integers(1, 60)))
        table["charge"]["first"] = first
    renewals = draw(renewal_list(True))
    table["renewals"] = renewals
    top_ups = sorted((r["date"], r["amount"]) for r in renewals
                     if r.get("kind", "topup") == "topup" and r["date"] > as_of)
    n = 0
    while True:
        on = first + every * n
        balance += sum(amount for day, amount in top_ups if day < on)
        top_ups = [(day, amount) for day, amount in top_ups if day >= on]
        if balance < fee:
            return on
        balance -= fee
        n += 1


@st.composite
def sims(draw: st.DrawFn, sim_id: str, calendar_leads: tuple[int, ...], calendar_at: time,
         text: st.SearchStrategy[str]) -> tuple[dict[str, Any], Expected]:
    table: dict[str, Any] = {"id": sim_id, "name": draw(text)}
    due = draw(rules(table))
    for key in ("carrier", "country", "how_to_renew", "notes"):
        if draw(st.booleans()):
            table[key] = draw(text)
    if draw(st.booleans()):
        table["number"] = draw(st.sampled_from(["+44 7700 900123", "+1 (202) 555-0147", "保号 +86 138"]))
        table["show_number"] = draw(st.booleans())
    leads, at = calendar_leads, calendar_at
    if draw(st.booleans()):
        leads = tuple(draw(st.lists(st.integers(0, 366), max_size=4)))
        table["alarms"] = [draw(st.sampled_from([f"{n} days", f"P{n}D"])) for n in leads]
    if draw(st.booleans()):
        at = time(draw(st.integers(0, 23)), draw(st.integers(0, 59)))
        table["alarm_time"] = at.strftime("%H:%M")
    stages: list[tuple[date, bool]] = []
    if draw(st.booleans()):
        text_after, after = draw(periods(400))
        table["grace"] = text_after
        stages = [(due + after, True)]
    elif draw(st.booleans()):
        table["stages"] = []
        for _ in range(draw(st.integers(1, 3))):
            days = draw(st.integers(0, 400))
            stage = {"after": f"{days} days", "status": draw(text)}
            if draw(st.booleans()):
                stage["recovery"] = draw(text)
            table["stages"].append(stage)
            stages.append((due + timedelta(days=days), "recovery" in stage))
    renewals = len(table.get("renewals", [])) + ("last_renewal" in table)
    return table, Expected(due, sorted(stages), tuple(sorted(set(leads), reverse=True)), at, renewals)


@st.composite
def valid_configs(draw: st.DrawFn, text: st.SearchStrategy[str] | None = None
                  ) -> tuple[dict[str, Any], dict[str, Expected]]:
    text = hostile_text(max_size=8) if text is None else text
    zone = draw(st.sampled_from(ZONES))
    leads = tuple(draw(st.lists(st.integers(0, 366), max_size=3)))
    at = time(draw(st.integers(0, 23)), draw(st.sampled_from([0, 30, 59])))
    calendar: dict[str, Any] = {
        "name": draw(text), "timezone": zone, "alarms": [f"{n} days" for n in leads],
        "alarm_time": at.strftime("%H:%M"), "history": draw(st.booleans()),
        "reminders": draw(st.sampled_from(["alarms", "events", "both"])),
    }
    ids = draw(st.lists(st.from_regex(r"[a-z0-9][a-z0-9-]{0,12}", fullmatch=True), min_size=1, max_size=4,
                        unique=True))
    tables, expected = [], {}
    for sim_id in ids:
        table, wanted = draw(sims(sim_id, leads, at, text))
        tables.append(table)
        expected[sim_id] = wanted
    return {"calendar": calendar, "sim": tables}, expected


def expected_uids(doc: dict[str, Any], expected: dict[str, Expected], reminders: str) -> set[str]:
    uids = set()
    for sim_id, wanted in expected.items():
        uids.add(f"{sim_id}-deadline@simfeed")
        uids |= {f"{sim_id}-stage-{i}@simfeed" for i in range(len(wanted.stages))}
        if reminders in ("events", "both"):
            uids |= {f"{sim_id}-warning-{lead}d@simfeed" for lead in wanted.leads if lead > 0}
    return uids


CONTENT_LINE = re.compile(r"[A-Z][A-Z0-9-]*(;[A-Z-]+=[^:;]*)*:.*", re.DOTALL)
PROPERTIES = {"BEGIN", "END", "VERSION", "PRODID", "CALSCALE", "METHOD", "NAME", "X-WR-CALNAME",
              "X-WR-TIMEZONE", "REFRESH-INTERVAL", "X-PUBLISHED-TTL", "COLOR", "X-APPLE-CALENDAR-COLOR",
              "SUMMARY", "DTSTART", "DTEND", "DTSTAMP", "UID", "DESCRIPTION", "TRANSP", "URL", "ACTION",
              "TRIGGER"}


def assert_well_formed(raw: bytes) -> None:
    """Every content line is a known property: text never became a line (or a component) of its own."""
    lines = unfolded(raw)
    for line in lines:
        assert CONTENT_LINE.fullmatch(line), line
        assert re.split(r"[;:]", line, maxsplit=1)[0] in PROPERTIES, line
        assert "\r" not in line and "\n" not in line
    components = [line for line in lines if line.startswith(("BEGIN:", "END:"))]
    assert set(components) <= {"BEGIN:VCALENDAR", "END:VCALENDAR", "BEGIN:VEVENT", "END:VEVENT",
                               "BEGIN:VALARM", "END:VALARM"}


@given(valid_configs())
def test_any_valid_config_gives_a_feed_every_parser_reads(case: tuple[dict[str, Any], dict[str, Expected]]
                                                          ) -> None:
    doc, expected = case
    config = parse_config(doc, "test.toml", MODIFIED)
    reminders = doc["calendar"]["reminders"]
    raw = render(config)
    assert_well_formed(raw)
    wanted_uids = expected_uids(doc, expected, reminders)
    history = sum(w.renewals for w in expected.values()) if doc["calendar"]["history"] else 0
    for parse in (via_icalendar, via_ical):
        feed = parse(raw)
        uids = [event.uid for event in feed.events]
        assert len(uids) == len(set(uids)), "UIDs must be unique"
        assert {u for u in uids if "-renewal-" not in u} == wanted_uids
        assert len(uids) == len(wanted_uids) + history
        for sim_id, wanted in expected.items():
            deadline = feed.event(f"{sim_id}-deadline@simfeed")
            assert deadline.start == wanted.due, sim_id
            assert deadline.end == wanted.due + timedelta(days=1)
            stages = sorted((feed.event(f"{sim_id}-stage-{i}@simfeed").start, has)
                            for i, (_, has) in enumerate(wanted.stages))
            assert [day for day, _ in stages] == [day for day, _ in wanted.stages]
            if reminders in ("events", "both"):
                for lead in wanted.leads:
                    if lead:
                        warning = feed.event(f"{sim_id}-warning-{lead}d@simfeed")
                        assert warning.start == wanted.due - timedelta(days=lead)
    zone = ZoneInfo(doc["calendar"]["timezone"])
    for sim_id, wanted in expected.items():
        lines = next(e for e in raw_events(raw) if f"UID:{sim_id}-deadline@simfeed" in e)
        triggers = raw_triggers(lines)
        if reminders == "events":
            assert triggers == []
            continue
        assert len(triggers) == len(wanted.leads)
        for lead, trigger in zip(wanted.leads, triggers, strict=True):
            if exact_part_reaches_a_day(wanted.due, lead, wanted.at, zone):
                continue  # the documented DST edge; tests/test_deadlines.py pins its value
            fired = fires_at(wanted.due, trigger, zone)
            assert fired == datetime.combine(wanted.due - timedelta(days=lead), wanted.at,
                                             tzinfo=zone).astimezone(UTC), (sim_id, lead, trigger)


@settings(max_examples=examples(15))
@given(valid_configs(text=st.sampled_from([LONG, LONG[::-1], "\n" * 200 + "x", "<" * 5000 + ">"])))
def test_ten_thousand_characters_anywhere_stay_in_their_property(
        case: tuple[dict[str, Any], dict[str, Expected]]) -> None:
    doc, expected = case
    raw = render(parse_config(doc, "test.toml", MODIFIED))
    assert_well_formed(raw)
    assert all(len(line) <= 75 for line in raw.split(b"\r\n"))
    feed = via_ical(raw)
    assert feed.calname == doc["calendar"]["name"]
    for sim_id in expected:
        name = next(t["name"] for t in doc["sim"] if t["id"] == sim_id)
        assert feed.event(f"{sim_id}-deadline@simfeed").summary.startswith(f"Renew {name}")


@settings(max_examples=examples(25))
@given(valid_configs(), st.sampled_from(["\n", "a\nNAME:x", "x;y,z\\", LONG, "\r\nX-WR-CALNAME:evil"]))
def test_a_one_sim_or_named_feed_name_cannot_inject(case: tuple[dict[str, Any], dict[str, Expected]],
                                                    name: str) -> None:
    """The name of a SIM's own feed ("calendar: SIM") and of a [[feed]] is a vText (icalendar 7.3 raises
    on a newline in a plain NAME)."""
    doc, _ = case
    config = parse_config(doc, "test.toml", MODIFIED)
    sim = config.sims[0]
    for title in (f"{config.calendar.name}: {sim.name}", name):
        raw = render(config, [sim], title)
        assert_well_formed(raw)
        shown = re.sub(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]", "", title)  # RFC 5545 TEXT has no controls
        # Both parsers drop a U+FEFF that starts a value, taking it for a byte-order mark.
        wanted = shown.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")
        # icalendar's escape_char reads a typed backslash-N as the newline escape on purpose.
        wanted = wanted.replace("\\N", "\n")
        assert via_icalendar(raw).calname.lstrip("\ufeff") == wanted
        assert via_ical(raw).calname.lstrip("\ufeff") == wanted
