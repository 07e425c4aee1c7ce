"""Why a value or a config is refused: a code and its parameters, worded in the reader's language.

Every refusal below the web (a value's parser, a duration, a config table, a form field)
names a code here; its English sentence is also its gettext message id, so
feed/core/wording.py words the same Reason in any language, and the editor
places a problem by its key and code, never by reading the sentence back.
Parameters are values as the config shows them (quoted text, dates, key names, numbers).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

from .model import N_

SENTENCES: Mapping[str, str] = {
    # Single values (core/parsers.py)
    "not_string": N_("%(value)s must be a string in quotes"),
    "empty": N_("must not be empty"),
    "not_boolean": N_("%(value)s must be true or false"),
    "date_with_time": N_("%(value)s must be a date without a time, like 2026-06-02"),
    "date_in_quotes": N_("%(value)s is a string; write the date without quotes, like 2026-06-02"),
    "not_date": N_("%(value)s must be a date, like 2026-06-02"),
    "not_iso_date": N_("%(value)s must be a date as YYYY-MM-DD, like 2026-06-02"),
    "not_real_date": N_("%(value)s is not a real date"),
    "too_early": N_("%(value)s is before %(first)s"),
    "after_today": N_("%(value)s is after today (%(today)s)"),
    "not_url": N_("%(value)s must be a web address starting with https://"),
    "not_positive": N_("%(value)s must be longer than zero"),
    "not_alarm_list": N_("%(value)s must be a list like [\"14 days\", \"3 days\", \"0 days\"]"),
    "alarm_too_far": N_("%(value)s is more than %(days)s days ahead"),
    "not_clock_time": N_("%(value)s must be a time of day as \"HH:MM\", like \"09:00\""),
    "not_zone": N_("%(value)s is not a known time zone (like \"Europe/London\")"),
    "weak_token": N_("must be 22 to 256 letters, digits or . _ ~ - (at least 128 bits; make one with: "
                     "%(command)s)"),
    "guessable_token": N_("is too easy to guess: use at least %(distinct)s different characters "
                          "(make one with: %(command)s)"),
    "not_number_text": N_("must be a phone number in quotes, like \"+44 7700 900123\""),
    "not_amount": N_("%(value)s must be a number, like 10 or 9.99"),
    "not_finite": N_("%(value)s must be a finite number, like 10 or 9.99"),
    "negative": N_("%(value)s must be zero or more"),
    "not_more_than_zero": N_("%(value)s must be more than zero"),
    "too_large": N_("%(value)s is too large"),
    "not_currency": N_("%(value)s must be a three-letter currency code, like \"GBP\""),
    "unknown_currency": N_("%(value)s is not the code of a currency in use (ISO 4217), like \"GBP\""),
    "not_id": N_("%(value)s must be lower-case letters, digits and dashes (like \"giffgaff-uk\"), "
                 "starting with a letter or digit, at most 64 characters"),
    "not_one_of": N_("%(value)s must be one of %(choices)s"),
    "not_list": N_("%(value)s must be a list like [\"a\", \"b\"]"),
    "not_color": N_("%(value)s must be a CSS colour name like \"teal\" or \"#RRGGBB\""),
    "not_base_url": N_("%(value)s must be a plain address like \"https://sims.example.org\", without ? or #"),
    "not_accounts": N_("must be a list of names in quotes, like [\"HSBC UK\", \"WhatsApp\"]"),
    "not_dial": N_("%(value)s must be a code to dial made of digits, * and #, like \"*#131#\""),
    "too_long_text": N_("must be at most %(limit)s characters"),
    "not_used_in": N_("%(value)s must be \"home\" or a two-letter country code like \"CN\" or \"GB\""),
    "unknown_field": N_("unknown field"),
    # Durations (core/durations.py)
    "not_duration": N_("%(value)s is not a duration (try \"6 months\", \"180 days\" or \"P6M\")"),
    "duration_too_long": N_("%(value)s is too long"),
    "calendar_units_only": N_("%(value)s: use days, weeks, months or years here, not %(unit)s"),
    "days_only": N_("%(value)s: use days or weeks here, not %(unit)s"),
    "clock_units_only": N_("%(value)s: use weeks, days, hours or minutes here, not %(unit)s"),
    # The file and its tables (config/)
    "cannot_read": N_("cannot read the file: %(reason)s"),
    "not_utf8": N_("not UTF-8 text (byte %(byte)s)"),
    "empty_file": N_("the file is empty"),
    "toml_syntax": N_("line %(line)s, column %(column)s%(table)s: this is not valid TOML: %(detail)s"),
    "toml_error": N_("%(detail)s"),
    "integer_too_long": N_("an integer has more than %(limit)s digits"),
    "unknown_key": N_("unknown key %(key)s"),
    "unknown_key_hint": N_("unknown key %(key)s (did you mean %(hint)s?)"),
    "missing_key": N_("%(key)s is missing"),
    "not_table": N_("%(value)s must be a table like %(example)s"),
    "not_table_list": N_("must be a list of tables like [%(example)s]"),
    "not_array_of_tables": N_("must be written as [[%(key)s]] tables"),
    "duplicate_id": N_("is used by another [[%(table)s]]; ids must be unique"),
    "refresh_too_short": N_("%(value)s must be at least 1 minute"),
    "token_of_calendar": N_("is the same as the token of the calendar"),
    "token_of_feed": N_("is the same as the token of feed %(feed)s"),
    "tier_without_extends": N_("extends is missing (how long a top-up keeps the number, like \"180 days\")"),
    "extends_or_tiers": N_("set either extends (with min_amount) or tiers, not both nor neither"),
    "same_min_amount": N_("two tiers have the same min_amount"),
    "first_before_as_of": N_("%(value)s must be after as_of (%(as_of)s)"),
    "no_rule": N_("needs exactly one rule: keep_alive, expires, topup or charge"),
    "rules": N_("needs exactly one rule: keep_alive, expires, topup or charge (it has %(given)s)"),
    "counts_without_keep_alive": N_("only applies to keep_alive"),
    "counts_empty": N_("must name at least one of %(choices)s"),
    "no_renewal": N_("needs last_renewal (or renewals) to count from"),
    "ussd_or_sms": N_("set either ussd = \"*#131#\", or sms = \"BAL\" with to = \"150\""),
    "grace_or_stages": N_("set either grace or stages, not both (grace is a one-stage shorthand)"),
    "not_preset": N_("%(value)s is not a preset (see: %(command)s)"),
    "not_preset_hint": N_("%(value)s is not a preset (did you mean %(hint)s? see: %(command)s)"),
    "no_counted_renewal": N_("no renewal of a kind that counts: add last_renewal or a renewal that the "
                             "rule counts"),
    "no_counted_topup": N_("no top-up large enough to count: add last_renewal or a renewal that the "
                           "rule counts"),
    "too_late": N_("the deadline or a stage falls after %(last)s, the last day the feed can show"),
    "unknown_sim": N_("no SIM has the id %(value)s"),
    "unknown_tag": N_("no SIM has the tag %(value)s"),
    "choose_sims": N_("choose its SIMs with sims = [...] and/or tags = [...]"),
    "urls_or_env": N_("set either urls = [\"ntfy://…\"] or urls_env = \"NAME_OF_A_VARIABLE\", not both"),
    "not_urls": N_("must be a list of apprise URLs in quotes, like [\"ntfy://ntfy.sh/topic\"]"),
    "not_env_name": N_("must name an environment variable, like SIMFEED_NOTIFY"),
    "env_unset": N_("the environment variable %(name)s is not set (or empty)"),
    "env_empty": N_("the environment variable %(name)s holds no URL"),
    "not_a_url": N_("is not a URL like \"ntfy://ntfy.sh/topic\""),
    "apprise_refuses": N_("%(scheme)s… is not a URL apprise can send to: an unknown scheme, or a part "
                          "missing or malformed (see apprise's wiki)"),
    # Gateways and autopilots (config/gateways.py)
    "gateway_not_http": N_("%(scheme)s… must be an http:// or https:// address with a host, like "
                           "%(example)s"),
    "gateway_needs_password": N_("needs the app's user and password in it: "
                                 "http://sms:PASSWORD@192.168.1.20:8080"),
    "gateway_needs_token": N_("needs a long-lived access token in it: http://TOKEN@homeassistant.local:8123"),
    "url_or_env": N_("set either url = \"…\" or url_env = \"NAME_OF_A_VARIABLE\", not both"),
    "gateway_url_without_to": N_("must hold {to} where the number goes, like "
                                 "httpsms://KEY@+447700900001/{to}"),
    "gateway_not_apprise": N_("%(scheme)s… is not a URL apprise can send to"),
    "command_not_words": N_("must be a list of words, like [\"gammu-smsd-inject\", \"TEXT\", \"{to}\", "
                            "\"-text\", \"{text}\"] (it is run without a shell)"),
    "command_placeholder": N_("%(name)s is not one of {to}, {text}, {slot}"),
    "command_without_to": N_("must hold {to} where the number goes"),
    "command_only": N_("a command gateway takes command = [\"…\"] only"),
    "not_for_kind": N_("does not apply to kind %(kind)s"),
    "not_service": N_("must be a domain and service, like \"notify.sms\""),
    "autopilot_no_sms": N_("the rule's counts has no sms: a text does not keep this number (add sms to "
                           "counts, or remove the autopilot)"),
    "autopilot_not_keep_alive": N_("an outgoing text does not keep this number: its rule is a top-up, a "
                                   "fixed end or a fee (only keep_alive rules counting sms can be kept by a "
                                   "text)"),
    "autopilot_free_number": N_("texts to this number do not count for %(preset)s (a free number); text "
                                "another number, such as a friend's or your own other SIM"),
    "not_slot": N_("must be the SIM's slot in the phone: 1, 2 or 3"),
    "unknown_gateway": N_("no [[gateway]] with id = %(value)s"),
    "unknown_gateway_of": N_("no [[gateway]] with id = %(value)s (gateways: %(known)s)"),
    "cannot_confirm": N_("%(kind)s cannot report %(value)s: use %(choices)s"),
    # The SIM form (editing/)
    "write_date": N_("write a date as YYYY-MM-DD, like 2026-06-02"),
    "write_number": N_("write a number, like 10 or 9.99"),
    "write_tier": N_("write one tier a line, like \"10: 90 days\""),
    "write_stage": N_("write one stage a line, like \"90 days | suspended | top up to restore\""),
    "id_taken": N_("is used by another [[sim]]; ids must be unique"),
    "id_kept": N_("stays %(value)s: the renewal log and subscribed feeds use it (retire the SIM and add a "
                  "new one instead)"),
}


@dataclass(frozen=True)
class Reason:
    """A code of SENTENCES and the values its sentence names; str() is the English sentence."""

    code: str
    params: Mapping[str, object] = field(default_factory=dict, hash=False)

    def __str__(self) -> str:
        return SENTENCES[self.code] % dict(self.params)


class Refused(ValueError):
    """A value refused for a Reason; the message is the reason's English sentence."""

    def __init__(self, code: str, **params: object):
        self.reason = Reason(code, params)
        super().__init__(str(self.reason))
