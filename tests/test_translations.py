"""The gettext catalogues: complete, consistent with the sources, and compiled."""

from __future__ import annotations

import gettext
from pathlib import Path

import pytest
from babel.messages.extract import DEFAULT_KEYWORDS, extract_from_dir
from babel.messages.frontend import parse_mapping_cfg
from babel.messages.pofile import read_po

ROOT = Path(__file__).resolve().parent.parent
LOCALES = ROOT / "feed" / "translations"
CATALOGUES = sorted(LOCALES.glob("*/LC_MESSAGES/messages.po"))


def source_messages() -> set[str | tuple[str, ...]]:
    """Every msgid in the code and templates, extracted as `make translations` does."""
    with (ROOT / "babel.cfg").open(encoding="utf-8") as cfg:
        method_map, options_map = parse_mapping_cfg(cfg)
    keywords = {**DEFAULT_KEYWORDS, "lazy_gettext": None}  # pybabel's, and `-k lazy_gettext`
    found: set[str | tuple[str, ...]] = set()
    for _file, _line, message, _comments, _context in extract_from_dir(
            str(ROOT), method_map, options_map, keywords=keywords):
        found.add(message if isinstance(message, str) else tuple(message))
    return found


def load(path: Path):
    with path.open("rb") as handle:
        return read_po(handle)


def test_there_are_both_chinese_catalogues():
    assert [p.relative_to(LOCALES).parts[0] for p in CATALOGUES] == ["zh_Hans_CN", "zh_Hant"]


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_string_is_translated(po: Path):
    catalogue = load(po)
    translated = {(m.id if isinstance(m.id, str) else tuple(m.id)): m for m in catalogue if m.id}
    missing = sorted(str(m) for m in source_messages() - translated.keys())
    assert missing == [], "run `make translations` and translate these"
    for message in translated.values():
        strings = [message.string] if isinstance(message.string, str) else list(message.string)
        assert all(strings) and not message.fuzzy, f"untranslated or fuzzy: {message.id!r}"


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_every_translation_is_of_a_string_the_code_still_says(po: Path):
    """A translated string the extraction no longer finds (made from a variable, say) would lose its
    translation at the next `make translations`, and the reader would get English."""
    catalogue = {(m.id if isinstance(m.id, str) else tuple(m.id)) for m in load(po) if m.id}
    assert sorted(map(str, catalogue - source_messages())) == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_placeholders_match(po: Path):
    problems = [(message.id, errors) for message, errors in load(po).check()]
    assert problems == []


@pytest.mark.parametrize("po", CATALOGUES, ids=lambda p: p.parts[-3])
def test_compiled_catalogue_is_up_to_date(po: Path):
    with po.with_suffix(".mo").open("rb") as handle:
        compiled = gettext.GNUTranslations(handle)
    for message in load(po):
        if not message.id:
            continue
        if isinstance(message.id, str):
            assert compiled.gettext(message.id) == message.string, "run `make translations`"
        else:
            assert compiled.ngettext(message.id[0], message.id[1], 2) == message.string[0]
