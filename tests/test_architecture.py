"""The layers hold: the import contract in pyproject.toml passes, and a wrong arrow breaks it."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
LINT = Path(sys.executable).with_name("lint-imports")
# The start of each contract's name in pyproject.toml.
CONTRACTS = ("Layers", "One way in", "Blueprints never import one another",
             "Nothing below web knows about Flask")


def lint(root: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([str(LINT), "--config", str(root / "pyproject.toml"), "--no-cache"], cwd=root,
                          env={"PYTHONPATH": str(root), "PATH": "/usr/bin:/bin"},
                          capture_output=True, text=True, timeout=120)


@pytest.fixture(scope="module")
def copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The package and its contract in a folder of their own, to break on purpose."""
    folder = tmp_path_factory.mktemp("layers")
    shutil.copytree(ROOT / "feed", folder / "feed", ignore=shutil.ignore_patterns("__pycache__"))
    shutil.copy(ROOT / "pyproject.toml", folder)
    return folder


def test_the_contract_is_kept() -> None:
    result = lint(ROOT)
    assert result.returncode == 0, result.stdout
    assert "0 broken" in result.stdout


@pytest.mark.parametrize(("module", "line", "contract"), [
    ("core/model.py", "from ..storage import store", "Layers"),
    ("config/sims.py", "from ..calendar import builder", "Layers"),
    ("storage/renewals.py", "from ..service import Service", "Layers"),
    ("web/pages.py", "from . import api", "Blueprints never import one another"),
    ("calendar/builder.py", "import flask", "Nothing below web knows about Flask"),
    ("web/api.py", "from ..storage import store", "One way in"),
    ("cli.py", "from .config.load import load_config", "One way in"),
], ids=["core-on-storage", "config-on-calendar", "storage-on-service", "blueprint-on-blueprint",
        "flask-in-calendar",         "api-on-the-store", "cli-on-the-config-loader"])
def test_a_wrong_arrow_breaks_the_build(copy: Path, module: str, line: str, contract: str) -> None:
    path = copy / "feed" / module
    original = path.read_text()
    path.write_text(original + f"\n{line}  # noqa\n")
    try:
        result = lint(copy)
    finally:
        path.write_text(original)
    assert result.returncode != 0
    # The report ends with a section per broken contract, under its name: only this one.
    broken = result.stdout.split("Broken contracts", 1)[1]
    assert broken.count("is not allowed to import") + broken.count("must not import") >= 1, broken
    assert [name for name in CONTRACTS if name in broken] == [contract], broken
