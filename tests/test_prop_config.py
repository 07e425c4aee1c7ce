"""Property-based: whatever a hand-edited config holds, loading it gives a config or a readable ConfigError.

Never another exception: the watcher keeps serving the last good config only when
the error is a ConfigError, so any other exception would take the feed down.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

from hypothesis import example, given
from hypothesis import strategies as st

from feed.calendar import builder
from feed.config.load import ConfigError, load_config, parse_config, parse_toml
from feed.core.deadlines import deadline_for
from feed.core.model import Config
from feed.storage.renewals import overview

from .conftest import BASIC
from .strategies import documents, toml_document, toml_values

SOURCE = "sims.toml"
MAX_LINE = 600


def assert_readable(error: ConfigError, source: str = SOURCE) -> None:
    """One short line per problem, each naming the file; no Python internals."""
    assert error.lines, "a ConfigError must say what is wrong"
    for line in error.lines:
        assert isinstance(line, str)
        assert line.startswith(f"{source}: "), line
        assert "\n" not in line and "\r" not in line, line
        assert len(line) <= MAX_LINE, line
        assert "Traceback" not in line and "object at 0x" not in line, line
        assert not re.search(r"\b(TypeError|KeyError|AttributeError|IndexError)\b", line), line
    assert str(error) == "\n".join(error.lines)


def load(doc: dict[str, Any]) -> Config | None:
    """Parse a document; a config that loads must also render and give every SIM a deadline."""
    try:
        config = parse_config(doc, SOURCE)
    except ConfigError as error:
        assert_readable(error)
        return None
    feed = builder.render(config)
    assert feed.startswith(b"BEGIN:VCALENDAR\r\n") and feed.endswith(b"END:VCALENDAR\r\n")
    for sim in config.sims:
        deadline_for(sim, config.calendar)
    overview(config, date(2026, 11, 24))
    return config


@given(documents())
def test_any_structure_loads_or_explains(doc: dict[str, Any]) -> None:
    load(doc)


@given(st.dictionaries(st.sampled_from(["calendar", "server", "sim", "feed"]) | st.text(max_size=6),
                       toml_values(), max_size=4))
def test_any_values_under_the_top_keys_load_or_explain(doc: dict[str, Any]) -> None:
    load(doc)


@given(documents())
def test_any_document_as_toml_text_loads_or_explains(doc: dict[str, Any]) -> None:
    text = toml_document(doc)
    try:
        parse_toml(text, SOURCE)
    except ConfigError as error:
        assert_readable(error)


@given(st.text(max_size=300))
@example("[calendar\nname = 1")
@example('[[sim]]\nid = "a"\n[[sim]]\nid = "a"\n')
@example("sim = 1\n[[sim]]\n")
def test_any_text_loads_or_explains(text: str) -> None:
    try:
        parse_toml(text, SOURCE)
    except ConfigError as error:
        assert_readable(error)


@given(st.data())
def test_a_good_file_cut_or_damaged_anywhere_loads_or_explains(tmp_path_factory: Any,
                                                               data: st.DataObject) -> None:
    """A file truncated mid-write (even mid-character) or with bytes flipped, read from disk."""
    raw = (BASIC + '\n[[sim]]\nid = "zh"\nname = "保号 😀"\nexpires = 2027-01-01\n').encode()
    cut = data.draw(st.integers(0, len(raw)), label="cut")
    damaged = bytearray(raw[:cut])
    for _ in range(data.draw(st.integers(0, 3), label="flips")):
        if damaged:
            at = data.draw(st.integers(0, len(damaged) - 1))
            damaged[at] = data.draw(st.integers(0, 255))
    path = Path(tmp_path_factory.mktemp("cut")) / "sims.toml"
    path.write_bytes(bytes(damaged))
    try:
        load_config(path, SOURCE)
    except ConfigError as error:
        assert_readable(error)


def test_a_missing_file_is_a_config_error(tmp_path: Path) -> None:
    try:
        load_config(tmp_path / "gone.toml", SOURCE)
    except ConfigError as error:
        assert_readable(error)
        assert error.lines == [f"{SOURCE}: cannot read the file: No such file or directory"]
    else:
        raise AssertionError("a missing file must be a ConfigError")


@given(st.from_regex(r"\+[1-9][0-9]{2} [0-9]{4} [0-9]{4,6}", fullmatch=True), st.sampled_from(
    [5, "", ["x"], {"a": 1}, "6 moths"]))
def test_a_phone_number_is_never_echoed_in_a_problem(number: str, wrong: Any) -> None:
    """Problems reach logs, the page and /healthz: a SIM's number must never be in them."""
    doc = {"sim": [{"id": "Bad Id", "name": wrong, "number": number, "keep_alive": wrong, "grace": wrong},
                   {"id": "b", "name": "B", "number": number + "\u0000", "expires": "2026-01-01"},
                   {"id": "c", "name": "C", "number": wrong, "last_renewal": wrong}]}
    try:
        parse_config(doc, SOURCE)
    except ConfigError as error:
        assert not any(number in line for line in error.lines), error.lines
    else:
        raise AssertionError("the document has errors")


def test_valid_document_written_out_loads_back() -> None:
    """The TOML writer of the strategies is faithful: a known-good document round-trips."""
    doc = {"calendar": {"name": "Test", "timezone": "Europe/London"},
           "sim": [{"id": "a", "name": "A", "last_renewal": date(2026, 6, 2), "keep_alive": "6 months"}]}
    config = parse_toml(toml_document(doc), SOURCE, datetime(2026, 1, 1, tzinfo=UTC))
    assert [sim.id for sim in config.sims] == ["a"]
    assert deadline_for(config.sims[0], config.calendar).due == date(2026, 12, 2)
