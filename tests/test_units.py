"""The systemd units in deploy/systemd (issue 20): `systemd-analyze verify` accepts them, and they
run both processes as one dedicated user, sandboxed, with the data folder the only place to write.

verify also checks that each ExecStart binary exists; the tests point it at a stand-in in a copy
of the units (the only line changed), since /opt/simfeed is where an install puts simfeed.
Without systemd-analyze (Debian's systemd package) they skip; in CI (CI=true) they fail instead.
"""

from __future__ import annotations

import os
import shlex
import shutil
import subprocess
from pathlib import Path

import pytest

from .helpers import ROOT

UNITS = ROOT / "deploy" / "systemd"
BINARY = "/opt/simfeed/bin/simfeed"
ENABLE = "the unit tests need systemd-analyze: apt-get install -y systemd"
COMMANDS = {"simfeed-web.service": ["serve"], "simfeed-worker.service": ["remind", "--loop"]}


@pytest.fixture(scope="module", autouse=True)
def analyze() -> None:
    if shutil.which("systemd-analyze") is None:
        if os.environ.get("CI") == "true":
            pytest.fail(f"systemd-analyze is missing; {ENABLE} (.ci/run installs it)")
        pytest.skip(f"systemd-analyze is missing; {ENABLE}")


def _verify(folder: Path, *names: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["systemd-analyze", "verify", *(str(folder / name) for name in names)],
                          capture_output=True, text=True, timeout=120, cwd=folder)


def _copy(tmp_path: Path, change: tuple[str, str] | None = None) -> Path:
    """The units in a folder of their own, ExecStart's binary a stand-in that exists."""
    stand_in = tmp_path / "bin" / "simfeed"
    stand_in.parent.mkdir()
    stand_in.write_text("#!/bin/sh\n")
    stand_in.chmod(0o755)
    folder = tmp_path / "units"
    folder.mkdir()
    for name in COMMANDS:
        text = (UNITS / name).read_text()
        assert text.count(f"ExecStart={BINARY} ") == 1
        text = text.replace(f"ExecStart={BINARY} ", f"ExecStart={stand_in} ")
        if change:
            text = text.replace(*change)
        (folder / name).write_text(text)
    return folder


def _settings(name: str) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in (UNITS / name).read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, value = line.split("=", 1)
            found.setdefault(key, []).append(value)
    return found


def test_systemd_analyze_verify_accepts_both_units(tmp_path: Path):
    folder = _copy(tmp_path)
    done = _verify(folder, *COMMANDS)
    assert (done.returncode, done.stdout + done.stderr) == (0, "")


def test_verify_would_catch_a_mistake(tmp_path: Path):
    folder = _copy(tmp_path, ("ProtectSystem=strict", "ProtectSytem=strict"))
    done = _verify(folder, *COMMANDS)
    assert "Unknown key 'ProtectSytem'" in done.stderr
    missing = _verify(UNITS, *COMMANDS)  # as installed, before simfeed is: the binary is named
    assert missing.returncode != 0 and f"Command {BINARY} is not executable" in missing.stderr


@pytest.mark.parametrize("name", list(COMMANDS))
def test_each_unit_runs_as_the_shared_user_sandboxed_with_the_data_folder_writable(name: str):
    settings = _settings(name)
    argv = shlex.split(settings["ExecStart"][0])
    assert argv == [BINARY, *COMMANDS[name]]
    one = {key: values[-1] for key, values in settings.items()}
    assert one["DynamicUser"] == "yes" and one["User"] == one["Group"] == "simfeed"  # both units: one user
    assert one["StateDirectory"] == "simfeed" and one["ReadWritePaths"] == "/var/lib/simfeed"
    environment = dict(pair.split("=", 1) for value in settings["Environment"] for pair in shlex.split(value))
    assert environment["SIMFEED_INSTANCE"] == "/var/lib/simfeed"
    assert one["EnvironmentFile"] == "-/etc/simfeed/simfeed.env"
    assert one["Restart"] == "on-failure"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes",
                       "ProtectHome": "yes", "PrivateDevices": "yes", "CapabilityBoundingSet": "",
                       "UMask": "0077"}.items():
        assert one[key] == value, key
