"""simfeed's one wording of rules, methods, statuses, stages, amounts and dates, in both languages.

The feed (in the calendar's language), the page (in the visitor's), the CLI and the
reminders all say things through Wording, so a rule reads the same everywhere. The
strings are gettext messages in feed/translations, looked up through Babel directly,
so that building a feed needs no request and no Flask. What people typed in the
config (names, notes, stage statuses) is left as written.
"""

from __future__ import annotations

import difflib
import functools
from collections.abc import Iterable, Mapping
from datetime import date, datetime
from decimal import Decimal
from gettext import NullTranslations
from pathlib import Path
from typing import Any, Protocol
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time, get_datetime_format
from babel.numbers import format_currency, format_decimal, get_currency_symbol
from babel.support import Translations
from dateutil.relativedelta import relativedelta

from .costs import Money, Plan, months_since
from .deadlines import Deadline
from .model import KINDS, N_, Charge, Check, Expires, KeepAlive, Renewal, Rule, Sim, Stage, Tier, TopUp
from .reasons import SENTENCES, Reason
from .terms import Confidence, PresetTexts, StageText

TRANSLATIONS = Path(__file__).resolve().parent.parent / "translations"
# How many renewals the deadline's description lists, newest first.
LATEST_RENEWALS = 3


KIND_NAMES = {"topup": N_("top-up"), "call": N_("call"), "sms": N_("text"), "data": N_("data use")}
METHOD_NAMES = {"app": N_("app"), "web": N_("website"), "ussd": N_("USSD code"), "shop": N_("shop"),
                "support": N_("customer service"), "other": N_("other"),
                # Not a method people choose: a text the autopilot sent through a gateway.
                "autopilot": N_("automatic (autopilot)")}
STATUS_NAMES = {"ok": N_("ok"), "due soon": N_("due soon"), "overdue": N_("overdue"),
                "in grace": N_("in grace"), "lapsed": N_("lapsed")}
# What became of a push reminder that did not arrive (feed/storage/deliveries.py's states).
DELIVERY_STATES = {"retry": N_("will retry"), "failed": N_("given up"),
                   "interrupted": N_("interrupted, not resent"),
                   "unconfirmed": N_("no answer in time, not resent")}
# One message per form field, whatever the domain's (English) reason was.
FIELD_ERRORS = {
    "date": N_("Enter a real date as YYYY-MM-DD, today or earlier."),
    "amount": N_("Enter a number of zero or more, like 10 or 9.99."),
    "currency": N_("Enter a three-letter currency code, like GBP or HKD."),
    "method": N_("Choose one of the listed methods."),
    "reference": N_("Keep it under 500 characters."),
    "note": N_("Keep it under 500 characters."),
}
CONFIDENCE_NAMES = {Confidence.CARRIER: N_("carrier's own terms"),
                    Confidence.MIXED: N_("carrier's terms, partly reported by users"),
                    Confidence.USERS: N_("reported by users")}
WAY_NAMES = {"app": N_("app"), "web": N_("website"), "ussd": N_("USSD code"), "sms": N_("text message"),
             "phone": N_("phone call"), "shop": N_("shop"), "auto": N_("auto-renewal")}
AUTOPILOT_STATES = {"sending": N_("sending"), "pending": N_("sent, waiting for the gateway's confirmation"),
                    "awaiting": N_("sent, waiting for you to confirm"),
                    "confirmed": N_("confirmed, renewal recorded"),
                    "retry": N_("failed, will try once more"), "failed": N_("failed, reminding you instead"),
                    "interrupted": N_("interrupted, not resent; reminding you instead"),
                    "capped": N_("not sent: the yearly cap is reached"), "paused": N_("paused"),
                    "planned": N_("planned")}
_STARTS = {"topup": N_("the top-up date"), "expiry": N_("the current expiry"),
           "later": N_("the later of the top-up date and the current expiry"),
           "max": N_("the top-up date, unless the current expiry is later")}


class Located(Protocol):
    """A config problem (feed.config.problems.Problem): its file, its place in it, and why."""

    @property
    def file(self) -> str: ...

    @property
    def place(self) -> object: ...

    @property
    def reason(self) -> Reason: ...


def babel_name(language: str) -> str:
    """Babel's name for a language tag: "zh-CN" -> "zh_CN" (read as zh_Hans_CN)."""
    return language.replace("-", "_")


@functools.cache
def _territory_codes() -> dict[str, str]:
    """CLDR's English country and region names -> ISO 3166 codes, with the short form of names such
    as "Hong Kong SAR China" ("Hong Kong"), as presets and people write them."""
    codes: dict[str, str] = {}
    for code, name in Locale("en").territories.items():
        if code.isalpha() and len(code) == 2:
            codes[name.casefold()] = code
            codes.setdefault(name.split(" SAR ")[0].casefold(), code)
    return codes


@functools.cache
def _territories(language: str) -> Mapping[str, str]:
    """CLDR's country names in a language, by code."""
    return Locale.parse(babel_name(language)).territories


@functools.lru_cache(maxsize=1024)  # a fuzzy match over CLDR's names: once per country as written
def territory_code(text: str) -> str | None:
    """The ISO 3166 code of a country as written: a code ("HK"), or CLDR's English name, near enough.

    >>> [territory_code(text) for text in ("GB", "United Kingdom", "Hong Kong", "Macau")]
    ['GB', 'GB', 'HK', 'MO']
    >>> territory_code("Mars") is None
    True
    """
    given = text.strip()
    if len(given) == 2 and given.isascii() and given.upper() in Locale("en").territories:
        return given.upper()
    codes = _territory_codes()
    close = difflib.get_close_matches(given.casefold(), list(codes), n=1, cutoff=0.8)
    return codes.get(given.casefold()) or (codes[close[0]] if close else None)


@functools.cache
def _catalogue(language: str) -> NullTranslations:
    if language == "en":
        return NullTranslations()  # the messages are the English
    # Locale.parse reads "zh_CN" as zh_Hans_CN, the catalogue's folder, as Flask-Babel does.
    return Translations.load(str(TRANSLATIONS), [Locale.parse(babel_name(language))])


class Wording:
    """The feed's sentences in one language."""

    def __init__(self, language: str = "en"):
        self.language = language
        self._catalogue = _catalogue(language)

    def _(self, message: str, **values: Any) -> str:
        text = self._catalogue.gettext(message)
        return text % values if values else text

    def ngettext(self, singular: str, plural: str, count: int, **values: Any) -> str:
        return self._catalogue.ngettext(singular, plural, count) % {"num": count, **values}

    def days(self, count: int) -> str:
        return self.ngettext("%(num)d day", "%(num)d days", count)

    def period(self, delta: relativedelta) -> str:
        """A period in words: "6 months", "1 year 6 months", "180 days"."""
        parts = []
        if delta.years:
            parts.append(self.ngettext("%(num)d year", "%(num)d years", delta.years))
        if delta.months:
            parts.append(self.ngettext("%(num)d month", "%(num)d months", delta.months))
        if delta.days:
            parts.append(self.days(delta.days))
        return " ".join(parts)

    def short_date(self, day: date) -> str:
        """A day and month as people write them ("20 Dec", "12月20日")."""
        return str(format_date(day, self._("d MMM"), locale=babel_name(self.language)))

    def day(self, on: date | None) -> str:
        """A whole date as people of this language write it ("4 Dec 2026", "2026年12月4日")."""
        return str(format_date(on, "medium", locale=babel_name(self.language))) if on is not None else "—"

    def days_left(self, days: int) -> str:
        """Days until a deadline, or since it: "today", "in 3 days", "2 days ago"."""
        if days == 0:
            return self._("today")
        if days > 0:
            return self.ngettext("in %(num)d day", "in %(num)d days", days)
        return self.ngettext("%(num)d day ago", "%(num)d days ago", -days)

    def country(self, text: str | None) -> str | None:
        """A SIM's country in this language, CLDR's name through Babel; as typed when it is no country.

        >>> Wording("zh-CN").country("United Kingdom"), Wording("zh-Hant").country("JP")
        ('英国', '日本')
        """
        code = territory_code(text) if text else None
        if code is None or (self.language == "en" and text != code):
            return text  # English as typed ("Hong Kong", not CLDR's "Hong Kong SAR China")
        return str(_territories(self.language)[code])

    def method(self, method: str | None) -> str:
        return self._(METHOD_NAMES[method]) if method in METHOD_NAMES else (method or "")

    def kind(self, kind: str) -> str:
        """What a renewal was: "top-up", "call", "text", "data use"."""
        return self._(KIND_NAMES[kind])

    def extends_from(self, start: str) -> str:
        """Where a top-up's extension starts (TopUp.extend_from) in words."""
        return self._(_STARTS[start])

    def status_label(self, status: str) -> str:
        """A status of deadlines.status() ("due soon") in words."""
        return self._(STATUS_NAMES[status]) if status in STATUS_NAMES else status

    def field_error(self, field: str) -> str:
        """What to do about a renewal form field the domain refused."""
        return self._(FIELD_ERRORS.get(field, N_("This value is not valid.")))

    def reason(self, reason: Reason) -> str:
        """Why a value or config was refused, in this language (feed.core.reasons)."""
        return self._(SENTENCES[reason.code], **reason.params)

    def problem(self, problem: Located) -> str:
        """A config problem's line: the file and place as the file writes them, then why."""
        where = str(problem.place)
        parts = [problem.file, where] if where else [problem.file]
        return ": ".join([*parts, self.reason(problem.reason)])

    def status(self, stage: Stage, sim: Sim | None = None) -> str:
        """A stage's status in this language: simfeed's own words, the preset's, or as the SIM wrote it."""
        if stage.grace:
            return self._(stage.status)
        text = self._stage_text(stage, sim)
        return text.status if text is not None else stage.status

    def recovery(self, stage: Stage, sim: Sim | None = None) -> str | None:
        if stage.grace and stage.recovery:
            return self._(stage.recovery)
        text = self._stage_text(stage, sim)
        return text.recovery if text is not None and stage.recovery else stage.recovery

    # --- A preset's texts in this language (feed.config.presets holds them) -----------------------

    def preset_texts(self, sim: Sim, key: str | None = None) -> PresetTexts | None:
        """The SIM's preset's texts in this language; with `key`, only if the preset filled that key in.

        Keys the SIM sets itself are shown as written, in whatever language they were written.
        """
        if sim.preset is None or (key is not None and key not in sim.preset.filled):
            return None
        return sim.preset.texts_in(self.language)

    def _stage_text(self, stage: Stage, sim: Sim | None) -> StageText | None:
        texts = self.preset_texts(sim, "stages") if sim is not None else None
        if texts is None or sim is None or stage not in sim.stages:
            return None
        index = sim.stages.index(stage)
        return texts.stages[index] if index < len(texts.stages) else None

    def how_to_renew(self, sim: Sim) -> str | None:
        texts = self.preset_texts(sim, "how_to_renew")
        return texts.how_to_renew if texts is not None else sim.how_to_renew

    def notes(self, sim: Sim) -> str | None:
        texts = self.preset_texts(sim, "notes")
        return texts.notes if texts is not None else sim.notes

    def keep_cost_action(self, sim: Sim) -> str | None:
        """The cheapest action that keeps the number, where the SIM is kept (used_in)."""
        texts = self.preset_texts(sim, "keep_cost")
        if texts is None:
            return sim.keep_cost.action if sim.keep_cost else None
        abroad = texts.abroad_action(sim.used_in) if sim.used_in not in (None, "home") else None
        return abroad or texts.keep_cost_action

    def prerequisites(self, sim: Sim) -> tuple[str, ...]:
        """What the rule cannot express but the number needs (real-name registration, …)."""
        texts = self.preset_texts(sim)
        return texts.prerequisites if texts is not None else ()

    def preset_title(self, sim: Sim) -> str | None:
        texts = self.preset_texts(sim)
        return texts.title if texts is not None else (sim.preset.title if sim.preset else None)

    def confidence(self, confidence: Confidence) -> str:
        """How sure a preset's rule is, in words: "carrier's own terms" or "reported by users"."""
        return self._(CONFIDENCE_NAMES[confidence])

    def way(self, way: str) -> str:
        """A way to renew (terms.RENEW_WAYS) in words."""
        return self._(WAY_NAMES[way]) if way in WAY_NAMES else way

    # --- Renewals and rules ---------------------------------------------------------------

    def renewal_details(self, renewal: Renewal) -> str:
        """Kind, amount, method, reference and note: what a dispute with the carrier needs."""
        details = []
        if renewal.kind not in (None, "topup"):
            details.append(self.kind(renewal.kind))
        if renewal.amount is not None:
            details.append(self.money(renewal.amount, renewal.currency))
        if renewal.method:
            details.append(self._("by %(method)s", method=self.method(renewal.method)))
        if renewal.reference:
            details.append(self._("ref %(reference)s", reference=renewal.reference))
        if renewal.note:
            details.append(renewal.note)
        return self._(", ").join(details)

    def renewal(self, renewal: Renewal) -> str:
        details = self.renewal_details(renewal)
        day = renewal.date.isoformat()
        return self._("%(date)s (%(details)s)", date=day, details=details) if details else day

    def money(self, amount: float | Decimal | None, currency: str | None) -> str:
        """An amount as this language writes it, through Babel.

        >>> Wording().money(10, "GBP"), Wording("zh-CN").money(50, "HKD"), Wording().money(25.5, "CUP")
        ('£10.00', 'HK$50.00', 'CUP\xa025.50')
        >>> Wording().money(1500, "JPY"), Wording().money(9.5, None)
        ('¥1,500', '9.5')
        >>> Wording("zh-CN").money(25.5, "CUP"), Wording("zh-Hant").money(20, "MOP")
        ('25.50\xa0古巴比索', '20.00\xa0澳門元')
        """
        if amount is None:
            return currency or ""
        locale = babel_name(self.language)
        if currency is None:
            return str(format_decimal(amount, locale=locale))
        if get_currency_symbol(currency, locale) == currency:
            # No symbol in this language (CUP, or any code): in Chinese the currency's CLDR name
            # after the digits ("25.50 古巴比索"), in English the code, spaced ("CUP 25.50"),
            # where Babel's own pattern would glue it to the digits.
            pattern = "¤¤\u00a0#,##0.00" if self.language == "en" else "#,##0.00\u00a0¤¤¤"
            return str(format_currency(amount, currency, format=pattern, locale=locale))
        return str(format_currency(amount, currency, locale=locale))

    def rule_summary(self, rule: Rule) -> str:
        """The rule in a few words, for the feed, the page and `simfeed presets`."""
        if isinstance(rule, Expires):
            return self._("the plan expires on %(date)s", date=rule.on.isoformat())
        if isinstance(rule, KeepAlive):
            summary = self._("renew at least every %(period)s", period=self.period(rule.period))
            counted = [self._(KIND_NAMES[kind]) for kind in KINDS if kind in rule.counts]
            if len(counted) == len(KINDS):
                return summary
            return summary + self._("; only a %(kinds)s counts", kinds=self._(" or ").join(counted))
        if isinstance(rule, TopUp):
            tiers = self._("; ").join(self._tier(t) for t in rule.tiers)
            return self._("each top-up extends validity from %(start)s (%(tiers)s)",
                          start=self._(_STARTS[rule.extend_from]), tiers=tiers)
        return self._("%(fee)s is taken every %(every)s from a balance of %(balance)s (as of %(date)s)",
                      fee=self.money(rule.fee, rule.currency), every=self.period(rule.every),
                      balance=self.money(rule.balance, rule.currency), date=rule.as_of.isoformat())

    def _tier(self, tier: Tier) -> str:
        if tier.min_amount is None:
            return self._("any amount: %(period)s", period=self.period(tier.period))
        return self._("%(amount)s or more: %(period)s", amount=self.money(tier.min_amount, None),
                      period=self.period(tier.period))

    def _rule_line(self, deadline: Deadline) -> str:
        rule = deadline.sim.rule
        due = deadline.due.isoformat()
        if isinstance(rule, Expires):
            return self._("Rule: %(rule)s.", rule=self.rule_summary(rule))
        if not isinstance(rule, Charge):
            return self._("Rule: %(rule)s (deadline %(date)s).", rule=self.rule_summary(rule), date=due)
        line = self._("Rule: %(rule)s; the first charge it cannot cover is on %(date)s.",
                      rule=self.rule_summary(rule), date=due)
        if deadline.charges:
            covered = self._(", ").join(on.isoformat() for on in deadline.charges)
            line += self._(" Charges covered: %(dates)s.", dates=covered)
        return line

    # --- The keep-alive ledger: cost, what depends on the number, checking the rule -----------

    def year_cost(self, plan: Plan | None) -> str:
        """A SIM's projected cost a year: "0.2 GBP a year (2 × 0.1 GBP)", or why there is none."""
        if plan is None:
            return self._("unknown: set keep_cost to the price of the cheapest action that counts")
        if plan.until is not None:
            return self._("nothing until %(date)s", date=plan.until.isoformat())
        total = self._("%(amount)s a year", amount=self.money(plan.cost.amount, plan.cost.currency))
        if not plan.steps:
            return total
        steps = self._(" + ").join(self._("%(times)d × %(price)s", times=step.times,
                                          price=self.money(step.price, plan.cost.currency))
                                   for step in plan.steps)
        return self._("%(total)s (%(steps)s)", total=total, steps=steps)

    def amounts(self, moneys: Iterable[Money]) -> str:
        """Amounts in several currencies, side by side and never added up: "0.2 GBP + 150 HKD"."""
        return self._(" + ").join(self.money(m.amount, m.currency) for m in moneys)

    def lapse_accounts(self, sim: Sim) -> str | None:
        """What is lost with the number, for reminders: None when the SIM names no accounts."""
        if not sim.accounts:
            return None
        return self._("If this number lapses: %(accounts)s.", accounts=self._(", ").join(sim.accounts))

    def check_line(self, check: Check | None) -> str | None:
        """How to check balance and validity with the carrier, for the page and reminders."""
        if check is None:
            return None
        if check.kind == "sms":
            return self._("Check balance and validity: text %(code)s to %(to)s.", code=check.code,
                          to=check.to)
        return self._("Check balance and validity: dial %(code)s.", code=check.code)

    def checked_ago(self, checked: date, today: date) -> str:
        """A preset rule's age, to flag it once it is more than a year old."""
        return self.ngettext("rule last checked %(num)d month ago: confirm it with the carrier",
                             "rule last checked %(num)d months ago: confirm it with the carrier",
                             months_since(checked, today))

    def description(self, deadline: Deadline, show_accounts: bool = False) -> str:
        """The deadline event's text: what was last done, the rule, what follows, how to renew.

        The accounts tied to the number only with `show_accounts` ([calendar] show_accounts):
        feeds end up on calendar providers' servers.
        """
        sim = deadline.sim
        lines = []
        latest = sim.renewals[-LATEST_RENEWALS:][::-1]
        if latest:
            lines.append(self._("Last renewed: %(renewal)s.", renewal=self.renewal(latest[0])))
        if len(latest) > 1:
            lines.append(self._("Before that: %(renewals)s.",
                                renewals=self._("; ").join(self.renewal(r) for r in latest[1:])))
        counted = deadline.counted_from
        if counted is not None and latest and counted != latest[0]:
            lines.append(self._("Counted from: %(renewal)s, the latest renewal the rule counts.",
                                renewal=self.renewal(counted)))
        lines.append(self._rule_line(deadline))
        for on, stage in deadline.stages:
            recovery = self.recovery(stage, sim)
            lines.append(self._("From %(date)s: %(status)s (recovery: %(recovery)s).", date=on.isoformat(),
                                status=self.status(stage, sim), recovery=recovery) if recovery else
                         self._("From %(date)s: %(status)s (cannot be recovered).", date=on.isoformat(),
                                status=self.status(stage, sim)))
        if sim.preset is not None and sim.preset.rule_from_preset:
            lines.append(self._("Rule from the %(preset)s preset (%(confidence)s: %(source)s; checked "
                                "%(date)s). Carriers change their rules: check %(carrier)s's current terms.",
                                preset=self.preset_title(sim),
                                confidence=self.confidence(sim.preset.confidence), source=sim.preset.source,
                                date=sim.preset.checked.isoformat(),
                                carrier=sim.carrier or self._("the carrier")))
        carrier = self._(", ").join(part for part in (sim.carrier, self.country(sim.country)) if part)
        for label, value in ((N_("How to renew: %(value)s"), self.how_to_renew(sim)),
                             (N_("Renew at: %(value)s"), sim.renew_url),
                             (N_("Carrier: %(value)s"), carrier),
                             (N_("Number: %(value)s"), sim.display_number),
                             (N_("Notes: %(value)s"), self.notes(sim))):
            if value:
                lines.append(self._(label, value=value))
        lapse = self.lapse_accounts(sim) if show_accounts else None
        if lapse:
            lines.append(lapse)
        return "\n".join(lines)

    # --- Titles and alarm texts -------------------------------------------------------------

    def renew_title(self, sim: Sim) -> str:
        return self._("Renew %(sim)s", sim=sim.label)

    def alarm(self, sim: Sim, lead: int, due: date) -> str:
        if lead == 0:
            return self._("Renew %(sim)s: deadline today (%(date)s)", sim=sim.label, date=due.isoformat())
        return self._("Renew %(sim)s: deadline in %(days)s (%(date)s)", sim=sim.label, days=self.days(lead),
                      date=due.isoformat())

    def warning_title(self, sim: Sim, lead: int, due: date) -> str:
        return self._("Renew %(sim)s within %(days)s — by %(date)s", sim=sim.label, days=self.days(lead),
                      date=self.short_date(due))

    def stage_title(self, sim: Sim, stage: Stage) -> str:
        status = self.status(stage, sim)
        return self._("%(status)s: %(sim)s", status=status[:1].upper() + status[1:], sim=sim.label)

    def stage_alarm(self, sim: Sim, stage: Stage) -> str:
        return self._("%(title)s (today)", title=self.stage_title(sim, stage))

    def stage_description(self, deadline: Deadline, stage: Stage, description: str) -> str:
        recovery = self.recovery(stage, deadline.sim)
        what = (self._("Recovery: %(recovery)s.", recovery=recovery) if recovery
                else self._("From today the number cannot be recovered."))
        return self._("The deadline was %(date)s. %(what)s", date=deadline.due.isoformat(), what=what) + \
            "\n" + description

    def history_title(self, sim: Sim, renewal: Renewal) -> str:
        details = self.renewal_details(renewal)
        topped_up = renewal.kind in (None, "topup")
        if details:
            return (self._("Topped up %(sim)s: %(details)s", sim=sim.label, details=details) if topped_up
                    else self._("Used %(sim)s: %(details)s", sim=sim.label, details=details))
        if topped_up:
            return self._("Topped up %(sim)s", sim=sim.label)
        return self._("Used %(sim)s", sim=sim.label)

    def history_description(self, renewal: Renewal) -> str:
        return self._("Renewed on %(renewal)s.", renewal=self.renewal(renewal))

    # --- Push reminders -------------------------------------------------------------------------

    def reminder_title(self, deadline: Deadline, today: date, stage: Stage | None = None) -> str:
        """A push reminder's title: days left, or how late it is and what the SIM's stage is."""
        sim, left = deadline.sim, deadline.days_left(today)
        if stage is not None:
            return self.stage_title(sim, stage)
        if left >= 0:
            return self.alarm(sim, left, deadline.due)
        return self._("Overdue: renew %(sim)s (deadline %(date)s, %(ago)s)", sim=sim.label,
                      date=deadline.due.isoformat(), ago=self.days_left(left))

    def reminder_body(self, deadline: Deadline, today: date, link: str | None,
                      show_accounts: bool = False, first: bool = False) -> str:
        """A push reminder's text: the deadline's description, how to check, and the one-tap link.

        The `first` reminder of a deadline also names what the rule cannot express (real-name
        registration, a minimum balance), in time to see to it.
        """
        lines = [self._deadline_line(deadline, today), self.description(deadline, show_accounts)]
        needs = self.prerequisites(deadline.sim) if first else ()
        if needs:
            lines.append(self._("Before you renew: %(needs)s", needs=" ".join(needs)))
        check = self.check_line(deadline.sim.check)
        if check:
            lines.append(check)
        return "\n".join([*lines, *self._link_lines(link)])

    def _deadline_line(self, deadline: Deadline, today: date) -> str:
        return self._("Deadline: %(date)s (%(left)s).", date=self.day(deadline.due),
                      left=self.days_left(deadline.days_left(today)))

    def _link_lines(self, link: str | None) -> list[str]:
        """The one-tap link's line, where there is a link (a public URL is set)."""
        return [self._("Renewed it? Tap to record it: %(link)s", link=link)] if link else []

    def occasion(self, days_after: int) -> str:
        """Which reminder: "14 days before the deadline", "on the deadline", "2 days after it"."""
        if days_after == 0:
            return self._("on the deadline")
        if days_after < 0:
            return self.ngettext("%(num)d day before the deadline", "%(num)d days before the deadline",
                                 -days_after)
        return self.ngettext("%(num)d day after the deadline", "%(num)d days after the deadline", days_after)

    def moment(self, when: datetime, zone: ZoneInfo) -> str:
        """A moment on the calendar's clock, as `day` writes dates ("Mar 17, 2027, 9:00 AM")."""
        local = when.astimezone(zone)
        locale = babel_name(self.language)
        time_of_day = format_time(local, "short", locale=locale)
        return str(get_datetime_format("medium", locale=locale)).format(time_of_day, self.day(local.date()))

    def delivery_state(self, state: str) -> str:
        """Why a reminder did not arrive: retrying, given up, or its runner stopped mid-send."""
        return self._(DELIVERY_STATES.get(state, state))

    def test_message(self) -> tuple[str, str]:
        """The title and text of `simfeed notify-test`."""
        return (self._("simfeed: test message"),
                self._("This channel works: simfeed's reminders will arrive here."))

    # --- The autopilot ---------------------------------------------------------------------------

    def autopilot_kept(self, sim: Sim, due: date) -> tuple[str, str]:
        """The one short message after a confirmed automatic keep-alive."""
        return (self._("Kept alive: %(sim)s", sim=sim.label),
                self._("simfeed sent the keep-alive text and recorded it. Next deadline: %(date)s.",
                       date=self.day(due)))

    def autopilot_failed(self, deadline: Deadline, today: date, why: str,
                         link: str | None) -> tuple[str, str]:
        """The message after the automatic keep-alive failed for good: do it by hand."""
        said = self._("The automatic keep-alive failed (%(why)s). Keep the number alive by hand.", why=why)
        title = self._("Automatic keep-alive failed: renew %(sim)s by hand", sim=deadline.sim.label)
        return title, self._by_hand([said], deadline, today, link)

    def autopilot_unsure(self, deadline: Deadline, today: date, why: str,
                         link: str | None) -> tuple[str, str]:
        """The message after a text that may have left (the gateway or the runner stopped mid-send):
        it is never sent again, so the person looks at the phone before doing it by hand."""
        said = [self._("simfeed does not know whether the keep-alive text was sent (%(why)s), and will not "
                       "send it again.", why=why),
                self._("Look in the phone's sent messages: if the text is there, record the renewal; "
                       "if not, keep the number alive by hand.")]
        title = self._("Keep-alive text may have been sent: check %(sim)s", sim=deadline.sim.label)
        return title, self._by_hand(said, deadline, today, link)

    def autopilot_sent(self, deadline: Deadline, link: str | None) -> tuple[str, str]:
        """The message after a text whose renewal waits for the person (confirm = "manual")."""
        lines = [self._("simfeed sent the keep-alive text. Check that your carrier counted it."),
                 *self._link_lines(link)]
        return self._("Keep-alive text sent: %(sim)s", sim=deadline.sim.label), "\n".join(lines)

    def _by_hand(self, said: list[str], deadline: Deadline, today: date, link: str | None) -> str:
        """What the autopilot said, then the deadline and (with a public URL) the one-tap link."""
        return "\n".join([*said, self._deadline_line(deadline, today), *self._link_lines(link)])

    def autopilot_state(self, state: str) -> str:
        """An attempt's state as the page shows it."""
        return self._(AUTOPILOT_STATES.get(state, state))
