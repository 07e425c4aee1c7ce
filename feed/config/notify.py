"""`[[notify]]` tables -> push channels: apprise URLs checked at load time, never echoed.

An apprise URL carries its credentials (a bot token, a mail password, a webhook key), so
every problem names the file, the notify id and the entry (`urls[1]`, or the environment
variable) and at most the URL's scheme. `urls_env` keeps the URLs out of the file (and out
of git): the variable is read when the config is loaded, and a missing one is a problem
like any other.
"""

from __future__ import annotations

import hashlib
import os
import re
from collections.abc import Mapping
from typing import Any

import apprise
from apprise.utils.parse import parse_urls

from ..core import parsers
from ..core.model import Notify, Sim
from ..core.scrubbing import SCRUBBER
from .problems import Collector, Place
from .selection import chosen_sims

NOTIFY_KEYS = frozenset({"id", "urls", "urls_env", "sims", "tags", "language", "alarms", "show_accounts"})
ENV_NAME = r"[A-Za-z_][A-Za-z0-9_]{0,127}"


def scheme(url: str) -> str:
    """The part of a URL that may be shown: its scheme, as "tgram://".

    >>> scheme("tgram://123456:secret/789"), scheme("no scheme at all")
    ('tgram://', '?://')
    """
    head, found, _rest = url.partition("://")
    return f"{head.lower()}://" if found and head.isascii() and head.isalnum() else "?://"


def masked(url: str, service: str | None = None) -> str:
    """A URL as the page, the CLI and the logs may show it: its service and scheme, and a short digest
    that tells two URLs apart without revealing either. The service is apprise's name for it
    unless given (a [[gateway]] names its kind).

    >>> masked("json://127.0.0.1:8080/hook"), masked("http://sms:pw@10.0.0.2:8080", "SMS Gate")
    ('JSON (json://… #43e0)', 'SMS Gate (http://… #4655)')
    """
    if service is None:
        plugin = apprise.Apprise.instantiate(url)
        service = str(plugin.service_name) if plugin is not None else "unknown"
    return f"{service} ({scheme(url)}… #{target(url)[:4]})"


def target(url: str) -> str:
    """A stable name for one URL in the database (which delivery went where), not the URL itself."""
    return hashlib.sha256(url.encode()).hexdigest()[:16]


def env_value(where: Place, table: Mapping[str, Any], key: str, environ: Mapping[str, str],
              found: Collector) -> tuple[str, str] | None:
    """The variable `table[key]` names and its value, read when the config is loaded; None with a problem."""
    name = found.field(where, table, key, parsers.text)
    if name is None:
        return None
    if not re.fullmatch(ENV_NAME, name):
        found.add(where.at(key), "not_env_name")
        return None
    if not environ.get(name, "").strip():
        found.add(where.at(key), "env_unset", name=name)
        return None
    return name, environ[name].strip()


def _urls(where: Place, table: Mapping[str, Any], environ: Mapping[str, str],
          found: Collector) -> tuple[tuple[str, ...], str] | None:
    """The URLs of one channel and where they came from; None with the problems recorded."""
    if ("urls" in table) == ("urls_env" in table):
        found.add(where, "urls_or_env")
        return None
    if "urls" in table:
        given = table["urls"]
        entries = [given] if isinstance(given, str) else given
        if not isinstance(entries, list) or not entries or not all(isinstance(u, str) for u in entries):
            found.add(where.at("urls"), "not_urls")
            return None
        labels: list[Place] = [where.at("urls", index) for index in range(len(entries))]
        origin = "urls"
    else:
        named = env_value(where, table, "urls_env", environ, found)
        if named is None:
            return None
        name, value = named
        entries = [str(url) for url in parse_urls(value)]  # type: ignore[no-untyped-call]
        if not entries:
            found.add(where.at("urls_env"), "env_empty", name=name)
            return None
        labels = [where.at(f"urls_env {name}, URL {index + 1}") for index in range(len(entries))]
        origin = name
    SCRUBBER.watch(entries)  # from now on, no part of them in apprise's or urllib3's log records
    before = len(found.problems)
    for label, url in zip(labels, entries, strict=True):
        if "://" not in url:
            found.add(label, "not_a_url")
        elif apprise.Apprise.instantiate(url) is None:
            found.add(label, "apprise_refuses", scheme=scheme(url))
    if len(found.problems) > before:
        return None
    return tuple(dict.fromkeys(url.strip() for url in entries)), origin


def parse_notify(index: int, raw: Any, sims: list[Sim], found: Collector,
                 environ: Mapping[str, str] | None = None) -> Notify | None:
    """Validate one [[notify]] table; None (with problems recorded) when it is unusable."""
    before = len(found.problems)
    where, table = found.named("notify", index, raw, '[[notify]] with id = "…" and urls = ["…"]',
                               NOTIFY_KEYS, required=("id",))
    if table is None:
        return None
    notify_id = found.field(where, table, "id", parsers.sim_id)
    urls = _urls(where, table, os.environ if environ is None else environ, found)
    language = found.field(where, table, "language", parsers.language)
    alarms = found.field(where, table, "alarms", parsers.alarms)
    show_accounts = found.field(where, table, "show_accounts", parsers.boolean, False)
    sim_ids = chosen_sims(where, table, sims, found, everyone=True)
    if len(found.problems) > before or notify_id is None or urls is None or sim_ids is None:
        return None
    return Notify(notify_id, urls[0], sim_ids, urls[1], language, alarms, show_accounts)
