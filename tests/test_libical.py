"""Issue 21: every feed passes libical's own checks (the parser's and the iTIP restrictions that
Evolution and GNOME apply), through tests/libical_check.c compiled against libical-dev."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from .conftest import write_config
from .helpers import DATA

CHECKER = Path(__file__).parent / "libical_check.c"
CONFIGS = ["basic.toml", "every_shape.toml"]


@pytest.fixture(scope="module")
def libical_check(tmp_path_factory: pytest.TempPathFactory) -> Path:
    flags = subprocess.run(["pkg-config", "--cflags", "--libs", "libical"], capture_output=True, text=True)
    if shutil.which("cc") is None or flags.returncode != 0:
        pytest.skip("needs a C compiler and libical-dev (apt-get install gcc libical-dev pkg-config)")
    program = tmp_path_factory.mktemp("libical") / "libical_check"
    subprocess.run(["cc", "-o", str(program), str(CHECKER), *flags.stdout.split()], check=True)
    return program


def check(program: Path, feed: bytes) -> str:
    result = subprocess.run([str(program)], input=feed, capture_output=True, timeout=60)
    assert result.returncode == 0, result.stdout.decode()
    return result.stdout.decode()


@pytest.mark.parametrize("name", CONFIGS)
@pytest.mark.parametrize("query", ["", "?reminders=events"], ids=["alarms", "reminder-events"])
def test_the_feed_passes_libicals_checks(libical_check, tmp_path, make_app, name, query):
    config = write_config(tmp_path / name, (DATA / name).read_text(encoding="utf-8"))
    response = make_app(config).test_client().get("/calendar.ics" + query)
    assert response.status_code == 200
    assert b"METHOD:" not in response.data
    check(libical_check, response.data)


def test_the_checker_sees_what_libical_refuses(libical_check):
    """The check itself: METHOD:PUBLISH with no ORGANIZER, as the feed used to say, fails."""
    bad = (b"BEGIN:VCALENDAR\r\nVERSION:2.0\r\nPRODID:-//test//EN\r\nMETHOD:PUBLISH\r\nBEGIN:VEVENT\r\n"
           b"UID:a@test\r\nDTSTAMP:20260101T000000Z\r\nDTSTART;VALUE=DATE:20260102\r\nSUMMARY:x\r\n"
           b"END:VEVENT\r\nEND:VCALENDAR\r\n")
    result = subprocess.run([str(libical_check)], input=bad, capture_output=True, timeout=60)
    assert result.returncode == 1 and b"ORGANIZER" in result.stdout
