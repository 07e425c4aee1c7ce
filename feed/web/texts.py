"""The page's wording for domain values: statuses, methods, day counts, rules, form errors.

Every string goes through gettext (feed/translations); the domain keeps its own
English values ("due soon", "ussd"), which are the keys here.
"""

from __future__ import annotations

from datetime import date

from dateutil.relativedelta import relativedelta
from flask_babel import format_date, format_decimal, gettext, lazy_gettext, ngettext

from ..calendar.wording import Wording
from ..core.deadlines import Deadline
from ..core.model import Expires, KeepAlive
from . import i18n

STATUS_LABELS = {
    "ok": lazy_gettext("ok"),
    "due soon": lazy_gettext("due soon"),
    "overdue": lazy_gettext("overdue"),
    "in grace": lazy_gettext("in grace"),
    "lapsed": lazy_gettext("lapsed"),
}

METHOD_LABELS = {
    "app": lazy_gettext("app"),
    "web": lazy_gettext("website"),
    "ussd": lazy_gettext("USSD code"),
    "shop": lazy_gettext("shop"),
    "support": lazy_gettext("customer service"),
    "other": lazy_gettext("other"),
}

# One message per form field, whatever the domain's (English) reason was.
FIELD_ERRORS = {
    "date": lazy_gettext("Enter a real date as YYYY-MM-DD, today or earlier."),
    "amount": lazy_gettext("Enter a number of zero or more, like 10 or 9.99."),
    "currency": lazy_gettext("Enter a three-letter currency code, like GBP or HKD."),
    "method": lazy_gettext("Choose one of the listed methods."),
    "reference": lazy_gettext("Keep it under 500 characters."),
    "note": lazy_gettext("Keep it under 500 characters."),
}


def status_label(status: str) -> str:
    return str(STATUS_LABELS.get(status, status))


def method_label(method: str | None) -> str:
    return str(METHOD_LABELS.get(method, method)) if method else ""


def field_error(field: str) -> str:
    return str(FIELD_ERRORS.get(field, lazy_gettext("This value is not valid.")))


def day(on: date | None) -> str:
    """A date as people of the page's language write it."""
    return str(format_date(on, "medium")) if on is not None else "—"


def days_left(days: int) -> str:
    if days == 0:
        return str(gettext("today"))
    if days > 0:
        return str(ngettext("in %(num)d day", "in %(num)d days", days))
    return str(ngettext("%(num)d day ago", "%(num)d days ago", -days))


def period(delta: relativedelta) -> str:
    """A keep-alive period in words, in the page's language: "6 months", "1 year 6 months"."""
    return Wording(i18n.html_lang()).period(delta)


def rule(deadline: Deadline) -> str:
    sim = deadline.sim
    if isinstance(sim.rule, Expires):
        return str(gettext("The plan ends on %(date)s, whatever you top up.", date=day(sim.rule.on)))
    if isinstance(sim.rule, KeepAlive):
        return str(gettext("Renew at least every %(period)s.", period=period(sim.rule.period)))
    return Wording(i18n.html_lang()).rule_summary(sim.rule)


def money(amount: float | None, currency: str | None) -> str:
    if amount is None:
        return currency or ""
    shown = str(format_decimal(amount))
    return f"{shown} {currency}" if currency else shown
