"""Deadlines -> an RFC 5545 calendar that subscribed clients accept.

Everything here is derived from the config alone (no clock, no randomness), so
the same inputs always serialise to the same bytes and the same ETag.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Mapping
from datetime import date, datetime, timedelta

from icalendar import Alarm, Calendar, Event, vDuration, vText

from .deadlines import Deadline, alarm_trigger_parts, deadline_for
from .model import KINDS, Charge, Config, Expires, KeepAlive, Renewal, Rule, Sim, TopUp

PRODID = "-//simfeed//simfeed//EN"
ONE_DAY = timedelta(days=1)
# RFC 5545 TEXT allows no control characters but tab (newlines are escaped as \n);
# TOML lets "\f" or "\u0007" through, and strict clients then reject the whole feed.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _clean(text: str) -> str:
    return _CONTROL.sub("", text)


class _Trigger(vDuration):
    """A relative TRIGGER whose calendar days and exact time stay apart.

    vDuration folds every 24 hours into a day, which a client adds on the wall
    clock. Only when the exact part reaches 24 hours (an alarm in the repeated
    hour of a 25-hour day) is that wrong; then, and only then, the value is
    written here, in the form RFC 5545 3.3.6 gives ("PT24H30M").
    """

    def __init__(self, days: int, exact: timedelta):
        super().__init__(timedelta(days=days) + exact)
        self.days, self.exact = days, exact

    def to_ical(self) -> bytes:
        if abs(self.exact) < ONE_DAY:
            library: Callable[[], bytes] = super().to_ical
            return library()
        sign = "-" if self.days < 0 or self.exact < timedelta(0) else ""
        hours, minutes = divmod(int(abs(self.exact).total_seconds()) // 60, 60)
        day_part = f"{abs(self.days)}D" if self.days else ""
        return f"{sign}P{day_part}T{hours}H{f'{minutes}M' if minutes else ''}".encode()


# How many renewals the deadline's description lists, newest first.
LATEST_RENEWALS = 3


KIND_NAMES = {"topup": "top-up", "call": "call", "sms": "text", "data": "data use"}


def _renewal_details(renewal: Renewal) -> str:
    """Kind, amount, method, reference and note: what a dispute with the carrier needs."""
    details = []
    if renewal.kind not in (None, "topup"):
        details.append(KIND_NAMES[renewal.kind])
    if renewal.amount is not None:
        amount = f"{renewal.amount:g}"
        details.append(f"{amount} {renewal.currency}" if renewal.currency else amount)
    if renewal.method:
        details.append(f"by {renewal.method}")
    if renewal.reference:
        details.append(f"ref {renewal.reference}")
    if renewal.note:
        details.append(renewal.note)
    return ", ".join(details)


def _renewal_text(renewal: Renewal) -> str:
    details = _renewal_details(renewal)
    return f"{renewal.date.isoformat()} ({details})" if details else renewal.date.isoformat()


def _money(amount: float | None, currency: str | None) -> str:
    text = f"{amount:g}" if amount is not None else "any amount"
    return f"{text} {currency}" if currency and amount is not None else text


_STARTS = {"topup": "the top-up date", "expiry": "the current expiry",
           "later": "the later of the top-up date and the current expiry"}


def rule_summary(rule: Rule) -> str:
    """The rule in a few words, for the feed and `flask --app feed presets`."""
    if isinstance(rule, Expires):
        return f"the plan expires on {rule.on.isoformat()}"
    if isinstance(rule, KeepAlive):
        counted = [KIND_NAMES[kind] for kind in KINDS if kind in rule.counts]
        only = "" if len(counted) == len(KINDS) else f"; only a {' or '.join(counted)} counts"
        return f"renew at least every {rule.text}{only}"
    if isinstance(rule, TopUp):
        tiers = "; ".join(f"{t.min_amount:g} or more: {t.text}" if t.min_amount is not None
                          else f"any amount: {t.text}" for t in rule.tiers)
        return f"each top-up extends validity from {_STARTS[rule.extend_from]} ({tiers})"
    return (f"{_money(rule.fee, rule.currency)} is taken every {rule.every_text} from a balance of "
            f"{_money(rule.balance, rule.currency)} (as of {rule.as_of.isoformat()})")


def _rule_text(deadline: Deadline) -> str:
    rule = deadline.sim.rule
    due = deadline.due.isoformat()
    if isinstance(rule, Expires):
        return f"Rule: {rule_summary(rule)}."
    if not isinstance(rule, Charge):
        return f"Rule: {rule_summary(rule)} (deadline {due})."
    covered = ", ".join(on.isoformat() for on in deadline.charges)
    return (f"Rule: {rule_summary(rule)}; the first charge it cannot cover is on {due}."
            + (f" Charges covered: {covered}." if covered else ""))


def _description(deadline: Deadline) -> str:
    sim = deadline.sim
    lines = []
    latest = sim.renewals[-LATEST_RENEWALS:][::-1]
    if latest:
        lines.append(f"Last renewed: {_renewal_text(latest[0])}.")
    if len(latest) > 1:
        lines.append("Before that: " + "; ".join(_renewal_text(r) for r in latest[1:]) + ".")
    counted = deadline.last_renewal
    if counted is not None and latest and counted != latest[0]:
        lines.append(f"Counted from: {_renewal_text(counted)}, the latest renewal the rule counts.")
    lines.append(_rule_text(deadline))
    for on, stage in deadline.stages:
        recovery = f" (recovery: {stage.recovery})" if stage.recovery else " (cannot be recovered)"
        lines.append(f"From {on.isoformat()}: {stage.status}{recovery}.")
    if sim.preset is not None and sim.preset.rule_from_preset:
        lines.append(f"Rule from the {sim.preset.title} preset ({sim.preset.source}; checked "
                     f"{sim.preset.checked.isoformat()}). Carriers change their rules: check "
                     f"{sim.carrier or 'the carrier'}'s current terms.")
    if sim.how_to_renew:
        lines.append(f"How to renew: {sim.how_to_renew}")
    if sim.renew_url:
        lines.append(f"Renew at: {sim.renew_url}")
    carrier = ", ".join(part for part in (sim.carrier, sim.country) if part)
    if carrier:
        lines.append(f"Carrier: {carrier}")
    if sim.display_number:
        lines.append(f"Number: {sim.display_number}")
    if sim.notes:
        lines.append(f"Notes: {sim.notes}")
    return _clean("\n".join(lines))


def _alarm(text: str, trigger: _Trigger) -> Alarm:
    alarm = Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", _clean(text))
    alarm.add("trigger", trigger)
    return alarm


def _all_day(uid: str, day: date, summary: str, stamp: datetime, description: str | None = None,
             url: str | None = None) -> Event:
    event = Event()
    event.add("uid", uid)
    event.add("dtstamp", stamp)
    event.add("dtstart", day)
    event.add("dtend", day + ONE_DAY)
    event.add("summary", _clean(summary))
    event.add("transp", "TRANSPARENT")
    if description:
        event.add("description", description)
    if url:
        event.add("url", url)
    return event


def _days(n: int) -> str:
    return f"{n} day{'s' if n != 1 else ''}"


def sim_events(deadline: Deadline, config: Config, reminders: str = "alarms",
               stamp: datetime | None = None) -> list[Event]:
    """The deadline event, its warning events or alarms (by `reminders`), and its stages.

    `stamp` (DTSTAMP) is when the SIM's data last changed; by default the config's time.
    """
    sim = deadline.sim
    stamp = stamp or config.modified
    zone = config.calendar.timezone
    alarms = reminders in ("alarms", "both")
    description = _description(deadline)

    def trigger(day: date, lead: int) -> _Trigger:
        return _Trigger(*alarm_trigger_parts(day, lead, deadline.alarm_time, zone))

    event = _all_day(f"{sim.id}-deadline@simfeed", deadline.due, f"Renew {sim.label}", stamp,
                     description, sim.renew_url)
    for lead in deadline.alarms if alarms else ():
        when = "today" if lead == 0 else f"in {_days(lead)}"
        event.add_component(_alarm(f"Renew {sim.label}: deadline {when} ({deadline.due.isoformat()})",
                                   trigger(deadline.due, lead)))
    events = [event]
    if reminders in ("events", "both"):
        by = f"{deadline.due.day} {deadline.due:%b}"
        events += [
            _all_day(f"{sim.id}-warning-{lead}d@simfeed", deadline.due - timedelta(days=lead),
                     f"Renew {sim.label} within {_days(lead)} — by {by}", stamp, description, sim.renew_url)
            for lead in deadline.alarms if lead > 0
        ]
    for index, (on, stage) in enumerate(deadline.stages):
        title = f"{stage.status[:1].upper()}{stage.status[1:]}: {sim.label}"
        what = (f"Recovery: {stage.recovery}." if stage.recovery
                else "From today the number cannot be recovered.")
        staged = _all_day(f"{sim.id}-stage-{index}@simfeed", on, title, stamp,
                          _clean(f"The deadline was {deadline.due.isoformat()}. {what}\n{description}"),
                          sim.renew_url)
        if alarms and stage.recovery and deadline.alarms:
            staged.add_component(_alarm(f"{title} (today)", trigger(on, 0)))
        events.append(staged)
    return events


def history_events(sim: Sim, stamp: datetime) -> list[Event]:
    """One past all-day event per renewal, for `[calendar] history = true`.

    UIDs stay stable: a logged renewal is named by its log id, a config one by
    its date and its place among the config's renewals of that date.
    """
    events = []
    same_day: dict[date, int] = {}
    for renewal in sim.renewals:
        if renewal.log_id is not None:
            uid = f"{sim.id}-renewal-{renewal.log_id}@simfeed"
        else:
            n = same_day[renewal.date] = same_day.get(renewal.date, 0) + 1
            uid = f"{sim.id}-renewal-{renewal.date.isoformat()}-{n}@simfeed"
        verb = "Topped up" if renewal.kind in (None, "topup") else "Used"
        details = _renewal_details(renewal)
        summary = f"{verb} {sim.label}: {details}" if details else f"{verb} {sim.label}"
        events.append(_all_day(uid, renewal.date, summary, stamp,
                               _clean(f"Renewed on {_renewal_text(renewal)}.")))
    return events


def calendar_shell(config: Config, name: str | None = None) -> bytes:
    """The calendar's own properties, serialised, with no components yet.

    No VTIMEZONE is needed: events are all-day dates and their stamps UTC, so no
    TZID is ever used.
    """
    settings = config.calendar
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar_name = vText(_clean(name or settings.name))
    calendar.add("name", calendar_name)
    calendar.add("x-wr-calname", calendar_name)
    calendar.add("x-wr-timezone", settings.timezone.key)
    calendar.add("refresh-interval", vDuration(settings.refresh, params={"VALUE": "DURATION"}))
    calendar.add("x-published-ttl", vDuration(settings.refresh))
    if settings.color and settings.color_hex:
        calendar.add("color", settings.color)
        calendar.add("x-apple-calendar-color", settings.color_hex.upper())
    shell: bytes = calendar.to_ical()
    return shell


def sim_block(sim: Sim, config: Config, reminders: str, stamp: datetime) -> bytes:
    """All of one SIM's events, serialised: the unit the feed cache keeps and reuses."""
    events = sim_events(deadline_for(sim, config.calendar), config, reminders, stamp)
    if config.calendar.history:
        events += history_events(sim, stamp)
    return b"".join(event.to_ical() for event in events)


_END = b"END:VCALENDAR\r\n"


def assemble(shell: bytes, blocks: Iterable[bytes]) -> bytes:
    """Serialised components placed inside a serialised calendar.

    icalendar writes a calendar as its properties, then each component's own
    serialisation, then END:VCALENDAR: the same bytes as serialising it whole.
    """
    if not shell.endswith(_END):
        raise ValueError("not a serialised calendar")
    return shell[: -len(_END)] + b"".join(blocks) + _END


BlockMaker = Callable[[Sim, Config, str, datetime], bytes]


def render(config: Config, sims: Iterable[Sim] | None = None, name: str | None = None,
           reminders: str | None = None, stamps: Mapping[str, datetime] | None = None,
           block: BlockMaker = sim_block) -> bytes:
    """The feed as the bytes served to clients: CRLF line ends, folded at 75 octets.

    `reminders` ("alarms", "events" or "both") defaults to the calendar's setting;
    `stamps` gives each SIM's DTSTAMP (default: the config's time); `block` lets a
    cache hand back a SIM's events serialised before.
    """
    mode = reminders or config.calendar.reminders
    chosen = config.sims if sims is None else sims
    stamp_of = stamps or {}
    return assemble(calendar_shell(config, name),
                    (block(sim, config, mode, stamp_of.get(sim.id, config.modified)) for sim in chosen))
