"""Issue 21: saving from the page to a config file behind a symbolic link, or on a full disk."""

from __future__ import annotations

import errno
import os
from pathlib import Path

import pytest

from feed.editing import configfile

from .conftest import write_config
from .test_editor import WITH_ADMIN, Editor, frozen

__all__ = ["frozen"]  # the editor tests' frozen clock, for these tests too


@pytest.fixture
def linked(tmp_path: Path) -> tuple[Path, Path]:
    """The config as deployments keep it: a link in the app's folder to a file in a data folder."""
    for folder in ("data", "app"):
        (tmp_path / folder).mkdir()
    real = write_config(tmp_path / "data" / "sims.toml", WITH_ADMIN)
    link = tmp_path / "app" / "sims.toml"
    link.symlink_to(real)
    return link, real


def _rename(editor: Editor, name: str) -> str:
    return editor.send("/sims/giffgaff/edit", {"name": name, "id": "giffgaff", "number": "+44 7700 900123",
                                               "rule": "keep_alive", "keep_alive": "6 months",
                                               "last_renewal": "2026-06-02"})


def test_a_save_writes_through_the_link_to_its_file_with_one_history(linked, make_app, tmp_path):
    link, real = linked
    editor = Editor(make_app(link).test_client())
    editor.sign_in()
    assert _rename(editor, "giffgaff one") == "redirect:/sims/giffgaff"
    assert _rename(editor, "giffgaff two") == "redirect:/sims/giffgaff"
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert 'name = "giffgaff two"' in real.read_text(encoding="utf-8")
    assert len(list((tmp_path / "instance").glob("config-history-*"))) == 1
    # Undo twice walks back through both saves, still through the link.
    for expected in ('name = "giffgaff one"', 'name = "giffgaff"'):
        csrf = editor.hidden(editor.html("/"), "csrf_token")
        assert editor.client.post("/config/undo", data={"csrf_token": csrf}).status_code == 303
        assert expected in real.read_text(encoding="utf-8")
    assert link.is_symlink()


def test_a_restore_writes_through_the_link_too(linked, tmp_path):
    """`simfeed restore` puts the file back where a save would write it: the link stays a link."""
    link, real = linked
    file = configfile.ConfigFile(link, tmp_path / "instance")
    file.put_back(b"# restored\n", {"20261120T000000000000-abcdef12.toml": b"# before\n"})
    assert link.is_symlink() and link.resolve() == real.resolve()
    assert real.read_bytes() == b"# restored\n"


@pytest.mark.parametrize("language", ["en", "zh-CN"])
def test_a_full_disk_during_a_save_says_nothing_was_saved(config_file_editor, monkeypatch, language):
    editor, path = config_file_editor
    before = path.read_bytes()

    def full_disk(*args: object, **kwargs: object) -> bool:
        raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))

    monkeypatch.setattr(configfile, "atomic_write", full_disk)
    editor.client.get(f"/language/{language}")
    page = _rename(editor, "giffgaff renamed")
    assert path.read_bytes() == before
    sentence = {"en": "Nothing was saved: the disk that holds the config file is full",
                "zh-CN": "没有保存"}[language]
    assert sentence in page
    assert 'name="name"' in page and "giffgaff renamed" in page  # the form as sent, to save again


@pytest.fixture
def config_file_editor(tmp_path, make_app) -> tuple[Editor, Path]:
    path = write_config(tmp_path / "sims.toml", WITH_ADMIN)
    editor = Editor(make_app(path).test_client())
    editor.sign_in()
    return editor, path


def test_retire_asks_first_and_undo_puts_the_sim_back(config_file_editor):
    editor, path = config_file_editor
    before = path.read_bytes()
    edit = editor.html("/sims/giffgaff/edit")
    first = editor.client.post("/sims/giffgaff/retire", data={
        "csrf_token": editor.hidden(edit, "csrf_token"), "digest": editor.hidden(edit, "digest")})
    assert first.status_code == 200
    assert path.read_bytes() == before  # one click retires nothing
    page = first.get_data(as_text=True)
    assert "Retire giffgaff?" in page and 'href="/sims/giffgaff/edit"' in page  # or keep it
    # The question is a plain form: the answer works without JavaScript.
    answer = editor.client.post("/sims/giffgaff/retire", data={
        "csrf_token": editor.hidden(page, "csrf_token"), "digest": editor.hidden(page, "digest"),
        "confirmed": editor.hidden(page, "confirmed")})
    assert answer.status_code == 303
    assert 'id = "giffgaff"' not in path.read_text(encoding="utf-8")
    csrf = editor.hidden(editor.html("/"), "csrf_token")
    assert editor.client.post("/config/undo", data={"csrf_token": csrf}).status_code == 303
    assert path.read_bytes() == before
