"""No English left in Chinese (issue 23): every page, feed and reminder, in zh-CN and in zh-Hant.

Each text a reader sees is searched for runs of Latin letters; a run may stay only when it is
something the user typed (in the config, or in quotes), a URL or domain, a currency or ISO code,
a config key or table the user must type as it is, an environment variable, or one of a short
list of names (SIM, USSD, eSIM, brands). zh-Hant text may hold no Simplified-only character and
zh-CN text no Traditional-only one (CC-CEDICT's sets, through zhon: used to detect, never to write).
"""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable, Iterator
from datetime import UTC, date, datetime, timedelta
from html.parser import HTMLParser
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from flask.testing import FlaskClient
from icalendar import Calendar
from zhon import cedict

from feed.config import load, notify, presets, sims
from feed.core.deadlines import deadline_for
from feed.core.model import Config
from feed.core.wording import AUTOPILOT_STATES, Wording
from feed.reminders import links

from .conftest import write_config
from .helpers import Visitor

pytestmark = pytest.mark.usefixtures("clean_environment")

NOW = datetime(2026, 11, 20, 12, 0, tzinfo=UTC)
ADMIN = "leak-test-admin-token-0123456789abcdef"
LANGUAGES = {"zh-CN": "zh-CN,zh;q=0.9", "zh-Hant": "zh-TW,zh;q=0.9"}

# Words that stay as they are in any language.
ALLOWED = frozenset({
    "SIM", "USSD", "eSIM", "SMS", "simfeed", "TOML", "Google", "Apple", "Outlook", "Thunderbird", "Mac",
    "iPhone", "iPad", "Android", "Web", "App", "git", "https", "http", "ics", "webcal", "WhatsApp", "HSBC",
    "apprise", "JSON", "CSV",
})
# The config's own vocabulary, which the file must hold as written: its tables and keys.
CONFIG_WORDS = frozenset(
    word
    for keys in (sims.SIM_KEYS, sims.RENEWAL_KEYS, sims.TOPUP_KEYS, sims.TIER_KEYS, sims.STAGE_TABLE_KEYS,
                 sims.CHECK_KEYS, load.CALENDAR_KEYS, load.SERVER_KEYS, load.FEED_KEYS, load.TOP_KEYS,
                 notify.NOTIFY_KEYS, frozenset({"fee", "every", "balance", "as_of", "first", "action",
                                                "source", "true", "false"}))
    for key in keys for word in [*key.split("_"), key]
)
LATIN = re.compile(r"[A-Za-zÀ-ÖØ-öø-ÿ][A-Za-zÀ-ÖØ-öø-ÿ0-9_'’-]*")
REMOVED = re.compile(
    r"(?:https?|webcal|json|mailto|ntfy|tgram)://\S+"      # URLs
    r"|\b[\w-]+(?:\.[\w-]+)*\.(?:com|org|net|me|hk|mo|tw|cn|uk|cu|jp|us|ics|toml)\b"  # domains, files
    r"|[\"“「][^\"”」]*[\"”」]"                             # quoted: as the user typed it
    r"|\b[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)+\b"                   # environment variables
    r"|\[\[?[a-z_]+\]\]?"                                   # [[sim]], [server]
    r"|[(（][A-Z]{2,6}(?:–[A-Z]{2,6})?[)）]"                    # CLDR's currency names: 法郎 (CFA–BEAC)
    r"|(?<![\w.])/[\w./?=&%-]+"                               # paths: the config file, a feed
)
SIMPLIFIED_ONLY = frozenset(cedict.simplified) - frozenset(cedict.traditional)
TRADITIONAL_ONLY = frozenset(cedict.traditional) - frozenset(cedict.simplified)

CONFIG = (Path(__file__).parent / "data" / "chinese.toml").read_text(encoding="utf-8")


def shipped_presets() -> str:
    """One SIM per shipped preset, its rule and texts all the preset's (an end date for a preset
    that states no rule, as `simfeed presets` gives it)."""
    return "".join(textwrap.dedent(f"""
        [[sim]]
        id = "preset-{preset_id}"
        name = "预设 {preset_id}"
        preset = "{preset_id}"
        last_renewal = 2026-10-01
        """) + ("" if presets.RULE_KEYS & preset.keys.keys() else "expires = 2027-03-30\n")
        for preset_id, preset in presets.catalogue().items())


class _Text(HTMLParser):
    """The text a reader sees or hears: text nodes and the attributes read aloud or shown.

    Left out: scripts, what the user typed into a text area, and an element in another language
    marked as such (the language switcher's "English", "繁體中文"); the page's own <html lang>
    is the language checked.
    """

    SHOWN = ("title", "aria-label", "placeholder", "alt")
    SKIPPED = ("script", "style", "textarea")

    def __init__(self) -> None:
        super().__init__()
        self.parts: list[str] = []
        self._open: list[str] = []  # the skipped elements we are inside

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        given = dict(attrs)
        if tag in self.SKIPPED or (tag != "html" and given.get("lang")):
            self._open.append(tag)
            return
        if self._open:
            return
        self.parts.extend(value for name, value in attrs if name in self.SHOWN and value)
        if tag == "input" and given.get("type") in ("submit", "button"):
            self.parts.append(given.get("value") or "")

    def handle_endtag(self, tag: str) -> None:
        if self._open and self._open[-1] == tag:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        if not self._open:
            self.parts.append(data)


def page_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    return "\n".join(parser.parts)


def typed_words(config_text: str) -> frozenset[str]:
    """Every string value in the config and each Latin word in one: what the user typed is shown as
    typed, in whatever script they typed it."""
    values = re.findall(r'"([^"]*)"', config_text)
    return frozenset(values) | frozenset(word for value in values for word in LATIN.findall(value))


def leaks(text: str, language: str, typed: frozenset[str]) -> list[str]:
    """The Latin words that should have been translated, and the characters of the other script."""
    plain = REMOVED.sub(" ", text)
    for value in sorted(typed, key=len, reverse=True):
        if len(value) > 1 and value in plain:  # the substring test first: it spares most searches
            plain = re.sub(rf"(?<![A-Za-z0-9]){re.escape(value)}(?![A-Za-z0-9])", " ", plain)
    found = [word for word in LATIN.findall(plain)
             if word not in ALLOWED and word not in CONFIG_WORDS and word not in typed
             and not re.fullmatch(r"[A-Z]{2,3}\$?", word)]
    other = SIMPLIFIED_ONLY if language == "zh-Hant" else TRADITIONAL_ONLY
    found += [f"{char} ({'Simplified' if language == 'zh-Hant' else 'Traditional'})"
              for char in dict.fromkeys(plain) if char in other]
    return found


class Reader:
    """Everything one reader of `language` sees, each text with where it came from."""

    def __init__(self, app: Flask, language: str, typed: frozenset[str]):
        self.app = app
        self.language = language
        self.typed = typed
        self.client: FlaskClient = app.test_client()
        self.client.environ_base["HTTP_ACCEPT_LANGUAGE"] = LANGUAGES[language]
        self.found: dict[str, list[str]] = {}

    def check(self, where: str, text: str) -> None:
        found = leaks(text, self.language, self.typed)
        if found:
            self.found[where] = sorted(set(found))

    def get(self, path: str, status: int | tuple[int, ...] = 200) -> str:
        response = self.client.get(path)
        assert response.status_code in (status if isinstance(status, tuple) else (status,)), \
            (path, response.status_code)
        html = response.get_data(as_text=True)
        self.check(f"GET {path}", page_text(html))
        return html

    def post(self, path: str, data: dict[str, str], status: int = 200, where: str = "") -> str:
        self.typed |= frozenset(data.values())  # what the form sent comes back as typed
        response = self.client.post(path, data=data)
        assert response.status_code == status, (path, response.status_code)
        html = response.get_data(as_text=True)
        self.check(f"POST {path} {where}".strip(), page_text(html))
        return html


def _sim_ids(config: Config) -> Iterator[str]:
    yield from (sim.id for sim in config.sims)


def _pages(reader: Reader, config: Config) -> None:
    """Overview, each SIM page signed out and in, sign-in, the editor, with and without errors."""
    for path in ("/", "/signin", *(f"/sims/{sim_id}" for sim_id in _sim_ids(config))):
        reader.get(path)
    reader.get("/sims/nope", 404)
    visitor = Visitor(reader.client)
    signin = reader.get("/signin")
    reader.post("/signin", {"csrf_token": Visitor.hidden(signin, "csrf_token"), "token": "x" * 40},
                where="wrong token")
    assert visitor.sign_in(ADMIN).status_code in (302, 303)
    for path in ("/", "/sims/new", *(f"/sims/{sim_id}" for sim_id in _sim_ids(config)),
                 *(f"/sims/{sim_id}/edit" for sim_id in _sim_ids(config))):
        reader.get(path)
    _editor_errors(reader)
    page = reader.get("/sims/keep")
    reader.post("/sims/keep/renewals", {"csrf_token": Visitor.hidden(page, "csrf_token"),
                                        "key": Visitor.hidden(page, "key"), "date": "2099-01-01",
                                        "amount": "很多", "currency": "元元"}, where="renewal errors")


def _editor_errors(reader: Reader) -> None:
    """The SIM form refused in as many ways as it has: each field error, and the rule's."""
    form = reader.get("/sims/new")
    csrf, digest = Visitor.hidden(form, "csrf_token"), Visitor.hidden(form, "digest")
    cases = {
        "keep_alive": {"rule": "keep_alive", "keep_alive": "6 moths", "alarms": "2年", "alarm_time": "25:00",
                       "renew_url": "giffgaff", "tags": "家人"},
        "no renewal": {"rule": "keep_alive", "keep_alive": "6个月", "counts": "call"},
        "topup": {"rule": "topup", "topup_extends": "0天", "topup_min_amount": "很多", "last_renewal": "昨天",
                  "grace": "30天", "stages": "10天 | 停机"},
        "tiers": {"rule": "topup", "topup_tiers": "很多: 1年", "last_renewal": "2026-10-01"},
        "charge": {"rule": "charge", "charge_fee": "0", "charge_every": "1小时", "charge_balance": "10",
                   "charge_as_of": "2026-10-01", "charge_first": "2026-09-01", "charge_currency": "港币"},
        "expires": {"rule": "expires", "expires": "明年"},
        "no rule": {"rule": ""},
        "taken id": {"rule": "expires", "expires": "2027-01-01", "id": "keep"},
    }
    for name, values in cases.items():
        reader.post("/sims/new", {"csrf_token": csrf, "digest": digest, "name": "新卡", **values},
                    where=f"editor: {name}")
    edit = reader.get("/sims/plan/edit")
    reader.post("/sims/plan/edit", {"csrf_token": Visitor.hidden(edit, "csrf_token"),
                                    "digest": Visitor.hidden(edit, "digest"), "name": "年卡", "id": "other",
                                    "rule": "expires", "expires": "2026-12-31"}, where="editor: id kept")


def _one_tap(reader: Reader, config: Config) -> None:
    """The one-tap link's page for each SIM, an expired link and a forged one."""
    secret = str(reader.app.secret_key)
    for sim in config.sims:
        deadline = deadline_for(sim, config.calendar)
        url = links.renewed_url("https://sims.example.org", secret, sim.id, deadline.due,
                                links.expires_for(deadline))
        reader.get(url.removeprefix("https://sims.example.org"), (200, 410))  # 410 once it expired
    old = links.renewed_url("https://sims.example.org", secret, "keep", date(2025, 1, 1), date(2025, 1, 2))
    reader.get(old.removeprefix("https://sims.example.org"), 410)
    reader.get("/renewed/forged-token", 404)


def _feeds(reader: Reader, config: Config) -> None:
    """Every feed mode, each SIM's feed and the named feed: titles, descriptions, alarms."""
    paths = [f"/calendar.ics?reminders={mode}" for mode in ("alarms", "events", "both")]
    paths += [f"/sims/{sim_id}.ics?reminders=both" for sim_id in _sim_ids(config)]
    paths.append("/feeds/family.ics")
    for path in paths:
        response = reader.client.get(path)
        assert response.status_code == 200, path
        calendar = Calendar.from_ical(response.data)
        texts = [str(calendar.get(key, "")) for key in ("X-WR-CALNAME", "X-WR-CALDESC", "NAME")]
        texts += [str(part.get(key, "")) for part in calendar.walk() for key in ("SUMMARY", "DESCRIPTION")]
        reader.check(f"feed {path}", "\n".join(texts))


def _reminders(reader: Reader, config: Config) -> None:
    """Every reminder a SIM can get: before, on and after the deadline, and on each stage's day."""
    words = Wording(reader.language)
    for sim in config.sims:
        deadline = deadline_for(sim, config.calendar)
        days = {deadline.due - timedelta(days=14), deadline.due, deadline.due + timedelta(days=2)}
        stages = dict(deadline.stages)
        for today in sorted(days | set(stages)):
            title = words.reminder_title(deadline, today, stages.get(today))
            body = words.reminder_body(deadline, today, "https://sims.example.org/renewed/x", True)
            reader.check(f"reminder {sim.id} on {today}", f"{title}\n{body}")
        # The autopilot's messages; the reason in them is the gateway's own words, left out here.
        link = "https://sims.example.org/renewed/x"
        for message in (words.autopilot_kept(sim, deadline.due), words.autopilot_sent(deadline, link),
                        words.autopilot_failed(deadline, deadline.due, "", link),
                        words.autopilot_unsure(deadline, deadline.due, "", link)):
            reader.check(f"autopilot message {sim.id}", "\n".join(message))
    reader.check("autopilot states", "\n".join(words.autopilot_state(state) for state in AUTOPILOT_STATES))
    reader.check("test message", "\n".join(words.test_message()))


def _errors(reader: Reader, monkeypatch: pytest.MonkeyPatch) -> None:
    """The site's refusals: too many wrong admin tokens (429), the renewal log down (503)."""
    from feed.storage import renewals
    from feed.storage.db import LogUnavailable

    def down(*_args: object, **_kwargs: object) -> None:
        raise LogUnavailable("PostgreSQL is down")

    page = reader.get("/sims/keep")
    with monkeypatch.context() as patch:
        patch.setattr(renewals, "record", down)
        reader.post("/sims/keep/renewals", {"csrf_token": Visitor.hidden(page, "csrf_token"),
                                            "key": Visitor.hidden(page, "key"), "date": "2026-11-19"},
                    503, where="log down")
    guesser = Reader(reader.app, reader.language, reader.typed)
    for _ in range(12):
        signin = guesser.client.get("/signin").get_data(as_text=True)
        if "csrf_token" not in signin:
            break
        answer = guesser.client.post("/signin", data={"csrf_token": Visitor.hidden(signin, "csrf_token"),
                                                      "token": "y" * 40})
        if answer.status_code == 429:
            reader.check("POST /signin 429", page_text(answer.get_data(as_text=True)))
            break
    else:
        pytest.fail("the sign-in never answered 429")


@pytest.fixture
def serve(tmp_path: Path, make_app: Callable[..., Flask]) -> Callable[[str, str], tuple[Flask, Config]]:
    def make(language: str, extra: str = "") -> tuple[Flask, Config]:
        text = CONFIG.replace("[calendar]\n", f'[calendar]\nlanguage = "{language}"\n', 1) + extra
        path = write_config(tmp_path / f"{language}.toml", text)
        return make_app(path), load.load_config(path)

    return make


def _report(found: dict[str, list[str]]) -> str:
    return "\n".join(f"{where}: {', '.join(words)}" for where, words in found.items())


@pytest.fixture
def no_presets(monkeypatch: pytest.MonkeyPatch) -> None:
    """Presets' texts are their own test (test_no_english_in_shipped_presets); here, none is offered."""
    monkeypatch.setattr(presets, "catalogue", dict)


@pytest.mark.parametrize("language", list(LANGUAGES))
@time_machine.travel(NOW, tick=False)
def test_no_english_in_chinese(serve, language: str, monkeypatch: pytest.MonkeyPatch, no_presets: None):
    app, config = serve(language)
    reader = Reader(app, language, typed_words(CONFIG))
    _pages(reader, config)
    _one_tap(reader, config)
    _feeds(reader, config)
    _reminders(reader, config)
    _errors(reader, monkeypatch)
    assert reader.found == {}, f"English or the other script left in {language}:\n{_report(reader.found)}"


@pytest.mark.parametrize("language", list(LANGUAGES))
@time_machine.travel(NOW, tick=False)
def test_no_english_in_chinese_stale_config_banner(serve, tmp_path: Path, language: str, no_presets: None):
    """A config broken while served: the banner's problems in the reader's language."""
    app, _config = serve(language)
    reader = Reader(app, language, typed_words(CONFIG))
    assert Visitor(reader.client).sign_in(ADMIN).status_code in (302, 303)
    path = tmp_path / f"{language}.toml"
    broken = path.read_text(encoding="utf-8").replace('keep_alive = "6个月"', 'keep_alive = "6个半月"')
    broken = broken.replace('grace = "3天"', 'grace = "3天"\ncolour = "红"')
    write_config(path, broken, mtime=1_790_000_000)
    reader.get("/")
    assert reader.found == {}, _report(reader.found)


# The names carriers give their apps, plans, shops and SMS keywords, which have no Chinese name:
# presets' Chinese texts name them as the user sees them ("在 My3 增值", "发短信 ADD10PAYG 到 800").
PRODUCTS = frozenset({"goodybag", "INFO", "My3", "ADD10PAYG", "My", "Eleven", "topping", "smash",
                      "Transfermóvil", "PayGo", "Walmart", "You", "Account", "settings", "PayMe", "O1O"})


def preset_names() -> frozenset[str]:
    """What a preset may show as its source wrote it: the carrier's name (a brand), the titles of
    the pages its rule comes from (citations, in the language the page is in), its products."""
    names = [text for preset in presets.catalogue().values()
             for text in (str(preset.keys.get("carrier", "")), *(source.title for source in preset.sources))]
    return frozenset(names) | frozenset(word for name in names for word in LATIN.findall(name)) | PRODUCTS


@pytest.mark.parametrize("language", list(LANGUAGES))
@time_machine.travel(NOW, tick=False)
def test_no_english_in_shipped_presets(serve, language: str):
    """Every shipped preset's texts on the page, in the feed and in reminders."""
    app, config = serve(language, shipped_presets())
    reader = Reader(app, language, typed_words(CONFIG + shipped_presets()) | preset_names())
    ids = [sim.id for sim in config.sims if sim.id.startswith("preset-")]
    assert len(ids) == len(presets.catalogue())
    assert Visitor(reader.client).sign_in(ADMIN).status_code in (302, 303)
    for sim_id in ids:
        reader.get(f"/sims/{sim_id}")
    reader.get("/sims/new")
    _feeds(reader, config)
    _reminders(reader, config)
    assert reader.found == {}, _report(reader.found)


@pytest.mark.parametrize("language", list(LANGUAGES))
def test_no_english_on_the_sites_error_pages(serve, language: str, no_presets: None):
    """An unknown address (404) and a method no page takes (405): the site's page, not Werkzeug's."""
    app, _config = serve(language)
    reader = Reader(app, language, typed_words(CONFIG))
    reader.get("/no-such-page", 404)
    reader.check("DELETE /", page_text(reader.client.delete("/").get_data(as_text=True)))
    assert reader.found == {}, _report(reader.found)


# The shell's locale for each language, as `flask check` reads it.
LOCALES = {"zh-CN": {"LANG": "zh_CN.UTF-8"}, "zh-Hant": {"LC_ALL": "zh_HK.UTF-8"}}


@pytest.mark.parametrize("language", list(LANGUAGES))
@time_machine.travel(NOW, tick=False)
def test_no_english_in_flask_check(serve, tmp_path: Path, language: str, no_presets: None):
    """`flask check` in the shell's language: the table and totals, then a broken file's problems."""
    app, _config = serve(language)
    runner = app.test_cli_runner()
    typed = typed_words(CONFIG)
    good = runner.invoke(args=["check"], env=LOCALES[language])
    assert good.exit_code == 0, good.output
    path = tmp_path / f"{language}.toml"
    broken = path.read_text(encoding="utf-8").replace('keep_alive = "6个月"', 'keep_alive = "6个半月"')
    write_config(path, broken.replace('grace = "3天"', 'grace = "3天"\ncolour = "红"'))
    bad = runner.invoke(args=["check"], env=LOCALES[language])
    assert bad.exit_code == 1
    found = {what: leaks(result.output, language, typed) for what, result in (("ok", good), ("bad", bad))}
    assert found == {"ok": [], "bad": []}, (good.output, bad.output)
    assert "天" in good.output and "colour" in bad.output


def test_the_check_finds_leaks():
    """The checker itself: English and the other script are found, what may stay is not."""
    typed = typed_words('name = "giffgaff 主卡"')
    assert leaks("续费 giffgaff 主卡，GBP 10，见 https://three.com.hk/x 与 [[sim]] 的 keep_alive", "zh-CN",
                 typed) == []
    assert leaks("Renew 主卡 by tomorrow", "zh-CN", typed) == ["Renew", "by", "tomorrow"]
    assert leaks("請續費，这张卡", "zh-Hant", typed) == ["这 (Simplified)", "张 (Simplified)"]
    assert leaks("请續費", "zh-CN", typed) == ["續 (Traditional)", "費 (Traditional)"]


@pytest.mark.parametrize(("language", "page"), [("zh-CN", "quickstart.zh-CN.md"),
                                                ("zh-Hant", "quickstart.zh-Hant.md")])
def test_quick_starts_are_each_in_their_own_script(language: str, page: str):
    """The docs' Chinese quick starts: the other script only in the other language's own name."""
    text = (Path(__file__).parent.parent / "docs" / page).read_text(encoding="utf-8")
    text = text.replace("简体中文", "").replace("繁體中文", "")
    other = SIMPLIFIED_ONLY if language == "zh-Hant" else TRADITIONAL_ONLY
    assert sorted({char for char in text if char in other}) == []


def test_renew_refusals_in_the_shells_language(tmp_path: Path, make_app: Callable[..., Flask]):
    app = make_app(write_config(tmp_path / "sims.toml", CONFIG))
    result = app.test_cli_runner().invoke(args=["renew", "keep", "--amount", "很多", "--currency", "元"],
                                          env=LOCALES["zh-Hant"])
    assert result.exit_code == 1
    assert result.output.splitlines() == ['amount: "很多" 必須是數字，例如 10 或 9.99',
                                          'currency: "元" 必須是三個字母的貨幣代碼，例如 "HKD" 或 "TWD"']
