"""Adding, editing and retiring SIMs from the page: the file stays the source of truth.

Every refusal (invalid input, a stale digest, a read-only file, no CSRF token,
signed out) is checked to leave the file's bytes as they were.
"""

from __future__ import annotations

import logging
import os
import re
import threading
from datetime import UTC, date, datetime
from html import unescape
from pathlib import Path

import pytest
import time_machine
from flask import Flask
from icalendar import Calendar

from feed.config.load import ConfigError
from feed.editing import document
from feed.editing.configfile import Change, ConfigFile, NothingToUndo, Stale, digest
from feed.editing.fields import to_table, to_values

from .conftest import BASIC, write_config
from .helpers import Visitor

ADMIN = "admin-Token_1234-l58shgD"
NOW = datetime(2026, 11, 24, 12, 0, tzinfo=UTC)
WITH_ADMIN = BASIC.replace('timezone = "Europe/London"',
                           f'timezone = "Europe/London"\n\n[server]\nadmin_token = "{ADMIN}"')
# hahaSIM: any top-up gives 365 days, so a renewal on 1 November 2026 is due 1 November 2027.
HAHA = {"name": "HK hahaSIM", "preset": "hahasim", "number": "+852 5555 0123", "last_renewal": "2026-11-01"}


@pytest.fixture(autouse=True)
def frozen():
    with time_machine.travel(NOW, tick=False):
        yield


class Editor(Visitor):
    """A signed-in browser's steps on the editor's forms (signing in as the page's tests do)."""

    def send(self, path: str, fields: dict[str, str], action: str = "save", form: str | None = None) -> str:
        page = self.html(form or path)
        data = {"csrf_token": self.hidden(page, "csrf_token"), "digest": self.hidden(page, "digest"),
                action: "1", **fields}
        response = self.client.post(path, data=data)
        if response.status_code == 303:
            return "redirect:" + response.headers["Location"]
        assert response.status_code == 200, response.status_code
        return response.get_data(as_text=True)


@pytest.fixture
def config_file(tmp_path: Path) -> Path:
    return write_config(tmp_path / "sims.toml", WITH_ADMIN)


@pytest.fixture
def app(config_file: Path, make_app) -> Flask:
    return make_app(config_file)


@pytest.fixture
def editor(app: Flask) -> Editor:
    signed = Editor(app.test_client())
    signed.sign_in()
    return signed


def _diff_lines(before: str, after: str) -> tuple[set[int], set[int]]:
    """Line numbers (1-based) removed from `before` and added in `after`."""
    import difflib

    removed: set[int] = set()
    added: set[int] = set()
    matcher = difflib.SequenceMatcher(a=before.splitlines(), b=after.splitlines(), autojunk=False)
    for tag, a1, a2, b1, b2 in matcher.get_opcodes():
        if tag != "equal":
            removed.update(range(a1 + 1, a2 + 1))
            added.update(range(b1 + 1, b2 + 1))
    return removed, added


def _sim_lines(text: str, sim_id: str) -> set[int]:
    """The lines of a SIM's table: its header to its last key (comments after it excluded)."""
    lines = text.splitlines()
    start = next(i for i, line in enumerate(lines, 1)
                 if line.startswith("[[sim]]") and f'id = "{sim_id}"' in lines[i])
    end = next((i for i in range(start + 1, len(lines) + 1) if lines[i - 1].startswith("[")), len(lines) + 1)
    while lines[end - 2].strip() == "" or lines[end - 2].lstrip().startswith("#"):
        end -= 1
    return set(range(start, end))


ROOT = Path(__file__).parent.parent
EXAMPLES = [ROOT / "feed" / "config" / "starter.toml", ROOT / "config" / "sims.example.toml"]


@pytest.mark.parametrize("path", EXAMPLES, ids=lambda p: p.name)
def test_each_edit_changes_only_its_own_lines(path: Path, tmp_path: Path):
    text = path.read_text(encoding="utf-8")
    file = ConfigFile(path, tmp_path)
    tables = document.sim_tables(text)
    for sim_id, table in tables.items():
        own = _sim_lines(text, sim_id)
        # The form's values unchanged: not one byte moves.
        same, errors = to_table(to_values(table))
        assert errors == {}
        assert document.update_sim(text, sim_id, same) == text, sim_id
        # A new name and a tag: only that SIM's lines.
        edited = {**same, "name": "Renamed", "tags": [*same.get("tags", []), "edited"]}
        after = document.update_sim(text, sim_id, edited)
        removed, added = _diff_lines(text, after)
        assert removed <= own and removed, sim_id
        config = file.validate(after)
        assert config.sim(sim_id).name == "Renamed" and config.sim(sim_id).tags[-1] == "edited"
        # Retired: exactly its lines (and one blank line) leave; every other line stays.
        gone = document.remove_sim(text, sim_id)
        removed, added = _diff_lines(text, gone)
        assert added == set() and own <= removed <= own | {max(own) + 1, min(own) - 1}, sim_id
        try:
            assert file.validate(gone).sim(sim_id) is None
        except ConfigError as error:  # a [[feed]] still names it: the page refuses, naming the feed
            assert all(": feed " in line for line in error.lines), error.lines
    added_text = document.add_sim(text, to_table({**HAHA, "id": "new-hk"})[0])
    removed, added = _diff_lines(text, added_text)
    assert removed == set()
    new_lines = added_text.splitlines()
    assert next(new_lines[i - 1] for i in sorted(added) if new_lines[i - 1]) == "[[sim]]"
    assert file.validate(added_text).sim("new-hk").name == "HK hahaSIM"


def test_adding_with_a_preset_previews_then_saves_and_the_feed_has_it(editor: Editor, config_file: Path):
    before = config_file.read_bytes()
    page = editor.send("/sims/new", HAHA, action="preview")
    assert config_file.read_bytes() == before  # a preview writes nothing
    assert 'id="preview-deadline" datetime="2027-11-01"' in page
    alarms = re.findall(r'<time datetime="([\d-]+)"', page.split('id="preview-alarms"')[1].split("</dd>")[0])
    assert alarms == ["2027-10-18", "2027-10-29", "2027-11-01"]  # 14, 3 and 0 days before
    assert ">ok<" in page
    assert editor.hidden(page, "id") == "hk-hahasim"  # suggested from the name

    assert editor.send("/sims/new", HAHA) == "redirect:/sims/hk-hahasim"
    text = config_file.read_text(encoding="utf-8")
    assert text.startswith(before.decode())  # appended: every earlier byte as it was
    assert text.endswith('[[sim]]\nname = "HK hahaSIM"\nid = "hk-hahasim"\npreset = "hahasim"\n'
                         'number = "+852 5555 0123"\nlast_renewal = 2026-11-01\n')
    feed = Calendar.from_ical(editor.client.get("/sims/hk-hahasim.ics").data)
    assert [e["DTSTART"].dt for e in feed.walk("VEVENT")] == [date(2027, 11, 1)]


def test_an_id_clash_and_a_bad_date_are_shown_next_to_their_fields(editor: Editor, config_file: Path):
    before = config_file.read_bytes()
    page = editor.send("/sims/new", {**HAHA, "id": "giffgaff", "last_renewal": "2026-13-01"})
    assert 'id="sim-id-error"' in page and "used by another" in page
    assert 'id="sim-last_renewal-error"' in page and "YYYY-MM-DD" in page
    page = editor.send("/sims/new", {"name": "No rule", "id": "no-rule"})
    assert 'id="sim-rule-error"' in page
    assert config_file.read_bytes() == before


def test_editing_changes_only_that_sims_lines_and_undo_restores_the_bytes(editor: Editor, config_file: Path):
    before = config_file.read_text(encoding="utf-8")
    page = editor.html("/sims/cubacel/edit")
    assert editor.hidden(page, "name") == "Cubacel" and editor.hidden(page, "grace") == "30 days"
    fields = {"name": "Cubacel 2", "id": "cubacel", "number": "+53 5555 4567", "rule": "keep_alive",
              "keep_alive": "330 days", "grace": "30 days"}
    assert editor.send("/sims/cubacel/edit", fields) == "redirect:/sims/cubacel"
    after = config_file.read_text(encoding="utf-8")
    assert after == before.replace('name = "Cubacel"', 'name = "Cubacel 2"')
    renamed = editor.send("/sims/cubacel/edit", {**fields, "id": "cuba"})
    assert 'id="sim-id-error"' in renamed and config_file.read_text(encoding="utf-8") == after
    overview = editor.html("/")
    assert "Undo the last change" in overview
    csrf = editor.hidden(overview, "csrf_token")
    assert editor.client.post("/config/undo", data={"csrf_token": csrf}).status_code == 303
    assert config_file.read_text(encoding="utf-8") == before
    with pytest.raises(NothingToUndo):
        ConfigFile(config_file, Path(editor.client.application.instance_path)).undo("test")


def test_retiring_removes_the_table_and_keeps_the_renewal_log(editor: Editor, config_file: Path, app: Flask):
    page = editor.html("/sims/giffgaff")
    csrf = editor.hidden(page, "csrf_token")
    editor.client.post("/sims/giffgaff/renewals", data={"csrf_token": csrf, "date": "2026-11-20",
                                                        "key": editor.hidden(page, "key")})
    edit = editor.html("/sims/giffgaff/edit")
    response = editor.client.post("/sims/giffgaff/retire", data={
        "csrf_token": editor.hidden(edit, "csrf_token"), "digest": editor.hidden(edit, "digest"),
        "confirmed": "yes"})
    assert response.status_code == 303
    text = config_file.read_text(encoding="utf-8")
    assert 'id = "giffgaff"' not in text and 'id = "cubacel"' in text
    assert [r.sim_id for r in app.extensions["simfeed"].store.list()] == ["giffgaff"]
    assert editor.client.get("/sims/giffgaff").status_code == 404


def test_a_stale_digest_is_refused_and_nothing_is_written(editor: Editor, config_file: Path):
    page = editor.html("/sims/new")
    changed = config_file.read_text(encoding="utf-8") + "\n# edited in another editor\n"
    config_file.write_text(changed, encoding="utf-8")
    response = editor.client.post("/sims/new", data={
        "csrf_token": editor.hidden(page, "csrf_token"), "digest": editor.hidden(page, "digest"),
        "save": "1", **HAHA})
    assert "changed since this form was opened" in response.get_data(as_text=True)
    assert config_file.read_text(encoding="utf-8") == changed


@pytest.mark.parametrize("how", ["read-only file", "editable = false"])
def test_when_the_file_may_not_be_written_the_table_to_paste_is_shown(how: str, tmp_path: Path, make_app):
    text = WITH_ADMIN
    if how == "editable = false":
        text = text.replace(f'admin_token = "{ADMIN}"', f'admin_token = "{ADMIN}"\neditable = false')
    path = write_config(tmp_path / "sims.toml", text)
    if how == "read-only file":
        os.chmod(path, 0o444)
    before = path.read_bytes()
    signed = Editor(make_app(path).test_client())
    signed.sign_in()
    page = signed.send("/sims/new", HAHA)
    assert config_file_untouched(path, before)
    pasted = unescape(re.search(r'<code id="paste">(.*?)</code>', page, re.S).group(1))
    assert ConfigFile(path, tmp_path).validate(path.read_text() + "\n" + pasted).sim("hk-hahasim")


def config_file_untouched(path: Path, before: bytes) -> bool:
    return path.read_bytes() == before


def test_csrf_and_sign_in_are_required(app: Flask, config_file: Path):
    before = config_file.read_bytes()
    visitor = Editor(app.test_client())
    assert visitor.client.get("/sims/new").status_code == 302  # to the sign-in
    assert visitor.client.post("/sims/new", data={**HAHA, "save": "1"}).status_code == 403
    assert visitor.client.post("/sims/giffgaff/retire").status_code == 403
    visitor.sign_in()
    digest_now = visitor.hidden(visitor.html("/sims/new"), "digest")
    no_csrf = visitor.client.post("/sims/new", data={**HAHA, "save": "1", "digest": digest_now})
    assert no_csrf.status_code == 400
    assert visitor.client.post("/config/undo").status_code == 400
    assert config_file.read_bytes() == before


def test_concurrent_saves_never_interleave(config_file: Path, tmp_path: Path):
    file = ConfigFile(config_file, tmp_path / "instance")
    text = file.read()
    start = digest(text)
    results: list[str] = []
    barrier = threading.Barrier(4)

    def save(n: int) -> None:
        new = document.add_sim(text, {"id": f"sim-{n}", "name": f"S{n}", "expires": date(2027, 1, n + 1)})
        barrier.wait()
        try:
            file.save(new, start, Change("t", "added", f"sim-{n}", ("name",)), NOW)
            results.append(f"sim-{n}")
        except Stale:
            results.append("stale")

    threads = [threading.Thread(target=save, args=(n,)) for n in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert sorted(results).count("stale") == 3
    winner = next(r for r in results if r != "stale")
    assert [s.id for s in file.validate(file.read()).sims] == ["giffgaff", "cubacel", winner]


def test_history_keeps_the_last_20_versions_and_logs_no_numbers(config_file: Path, tmp_path: Path, caplog):
    file = ConfigFile(config_file, tmp_path / "instance")
    texts = [file.read()]
    caplog.set_level(logging.INFO, logger="feed.editing")
    for n in range(22):
        new = document.update_sim(texts[-1], "giffgaff", {**document.sim_tables(texts[-1])["giffgaff"],
                                                          "name": f"giffgaff {n}"})
        file.save(new, digest(texts[-1]), Change("s1", "edited", "giffgaff", ("name", "number")), NOW)
        texts.append(new)
    assert len(list(file.history.glob("*.toml"))) == 20
    assert "7700" not in caplog.text and "edited SIM giffgaff (name, number) by session s1" in caplog.text
    for expected in reversed(texts[-21:-1]):
        file.undo("s1")
        assert file.read() == expected
    with pytest.raises(NothingToUndo):
        file.undo("s1")


def test_the_form_speaks_chinese(editor: Editor):
    page = editor.client.get("/sims/new", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    assert "<h1>添加 SIM 卡</h1>" in page and "运营商预设" in page and "预览" in page


def test_a_file_that_is_not_toml_right_now_is_not_touched(editor: Editor, config_file: Path):
    page = editor.html("/sims/new")
    config_file.write_text("[[sim]\nid = ", encoding="utf-8")
    response = editor.client.post("/sims/new", data={
        "csrf_token": editor.hidden(page, "csrf_token"), "digest": editor.hidden(page, "digest"),
        "save": "1", **HAHA})
    assert response.status_code == 409 and "fix it first" in response.get_data(as_text=True)
    assert config_file.read_text(encoding="utf-8") == "[[sim]\nid = "


def test_a_save_parses_the_file_with_tomlkit_once(editor: Editor, config_file: Path,
                                                  monkeypatch: pytest.MonkeyPatch):
    """tomlkit's parse is most of a save's time on a large file (bench/save.py): the whole file
    once per save (the edited table's own span is parsed on its own, which is small)."""
    import tomlkit

    parses: list[int] = []
    real = tomlkit.parse
    monkeypatch.setattr(tomlkit, "parse", lambda text: parses.append(len(text)) or real(text))

    def whole_file_parses() -> int:
        size = len(config_file.read_text(encoding="utf-8"))
        return sum(1 for n in parses if n >= size / 2)

    fields = {"name": "Cubacel 2", "id": "cubacel", "number": "+53 5555 4567", "rule": "keep_alive",
              "keep_alive": "330 days", "grace": "30 days"}
    edit = editor.html("/sims/cubacel/edit")  # the form: one parse, for its values
    parses.clear()
    data = {"csrf_token": editor.hidden(edit, "csrf_token"), "digest": editor.hidden(edit, "digest"),
            "save": "1", **fields}
    assert editor.client.post("/sims/cubacel/edit", data=data).status_code == 303
    assert whole_file_parses() == 1
    parses.clear()
    assert editor.send("/sims/new", HAHA, form="/sims/new").startswith("redirect:")
    assert whole_file_parses() == 1
    edit = editor.html("/sims/giffgaff/edit")
    parses.clear()
    retired = editor.client.post("/sims/giffgaff/retire", data={
        "csrf_token": editor.hidden(edit, "csrf_token"), "digest": editor.hidden(edit, "digest"),
        "confirmed": "yes"})
    assert retired.status_code == 303 and whole_file_parses() == 1
    assert 'name = "Cubacel 2"' in config_file.read_text(encoding="utf-8")
