"""The documentation holds together: no broken link between its pages, no option left undescribed.

The README sends a newcomer to docs/; a link that leads nowhere (a moved file, a renamed
heading) or a key of config/sims.example.toml missing from docs/configuration.md is how
documentation rots unnoticed. Links are checked as GitHub renders them (its heading
anchors); web addresses are skipped, so nothing here touches the network.
"""

from __future__ import annotations

import contextlib
import re
import tomllib
import unicodedata
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent
EXAMPLE = ROOT / "config" / "sims.example.toml"
CONFIGURATION = ROOT / "docs" / "configuration.md"

FENCE = re.compile(r"^ {0,3}(```|~~~).*?^ {0,3}\1[^\n]*$", re.MULTILINE | re.DOTALL)
CODE_SPAN = re.compile(r"(`+)(.+?)\1", re.DOTALL)
HEADING = re.compile(r"^ {0,3}#{1,6}[ \t]+(.+?)[ \t#]*$", re.MULTILINE)
HTML_ID = re.compile(r"""<[a-z][^>]*\s(?:id|name)=["']([^"']+)["']""", re.IGNORECASE)
MARKDOWN_LINK = re.compile(r"!?\[[^\]]*\]\(\s*<?([^)\s>]+)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_LINK = re.compile(r"""<[a-z][^>]*\s(?:href|src)=["']([^"']+)["']""", re.IGNORECASE)
# Any scheme (https:, mailto:, webcal:, tel:): not a file of this repository.
SCHEME = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*:")
# A line of the example that is a commented-out table or key, such as "# [server]" or "# token = …"
# (one space after "#"; the prose that explains keys is indented further).
COMMENTED_TABLE = re.compile(r"^# ?\[\[?([A-Za-z0-9_-]+)\]\]?\s*$")
COMMENTED_KEY = re.compile(r"^# ?([A-Za-z0-9_-]+)\s*=\s*\S")


def documents(root: Path = ROOT) -> list[Path]:
    """The pages whose links are checked: the README, SECURITY.md and every page in docs/."""
    pages = [root / "README.md", root / "SECURITY.md", *sorted((root / "docs").glob("*.md"))]
    return [page for page in pages if page.is_file()]


def without_code(text: str) -> str:
    """Markdown with its code blocks and code spans blanked: links and headings in code are text.

    >>> without_code("see `[a](b)` and\\n```\\n# not a heading\\n```\\n[c](d)")
    'see  and\\n\\n[c](d)'
    """
    return CODE_SPAN.sub("", FENCE.sub("", text))


def slug(heading: str) -> str:
    """The anchor GitHub gives a heading: lower case, punctuation dropped, spaces to dashes.

    >>> slug("`[[sim]]`"), slug('The one-tap "I have renewed it" link'), slug("Android (ICSx⁵)")
    ('sim', 'the-one-tap-i-have-renewed-it-link', 'android-icsx⁵')
    >>> slug("Soak test: `make soak`"), slug("快速上手 Quick start")
    ('soak-test-make-soak', '快速上手-quick-start')
    """
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", heading)  # a link in a heading: its text
    text = re.sub(r"<[^>]+>", "", text).replace("`", "").strip().lower()
    kept = "".join(c for c in text if c in " -_" or unicodedata.category(c)[0] in "LMN")
    return kept.replace(" ", "-")


def anchors(page: Path) -> set[str]:
    """Every anchor a link may name in `page`: its headings' (numbered when repeated) and HTML ids."""
    text = page.read_text(encoding="utf-8")
    found: set[str] = set()
    seen: dict[str, int] = {}
    for match in HEADING.finditer(FENCE.sub("", text)):
        base = slug(match.group(1))
        count = seen.get(base, 0)
        seen[base] = count + 1
        found.add(base if count == 0 else f"{base}-{count}")
    found.update(HTML_ID.findall(text))
    return found


@dataclass(frozen=True)
class Link:
    """A relative link in a page, and why it leads nowhere (None when it is fine)."""

    page: Path
    target: str
    problem: str | None


def links(page: Path) -> Iterator[str]:
    """The link targets of a page, outside code: Markdown links and images, HTML href and src."""
    text = without_code(page.read_text(encoding="utf-8"))
    yield from MARKDOWN_LINK.findall(text)
    yield from HTML_LINK.findall(text)


def check(page: Path, target: str, root: Path = ROOT) -> str | None:
    """Why `target`, linked from `page`, leads nowhere; None when it leads somewhere (or off-site)."""
    if SCHEME.match(target) or target.startswith("//"):
        return None
    path, _, fragment = target.partition("#")
    destination = (page.parent / unquote(path)).resolve() if path else page
    if not destination.exists():
        return "no such file"
    if root.resolve() not in (destination, *destination.parents):
        return "outside the repository"
    if fragment and destination.suffix == ".md" and unquote(fragment) not in anchors(destination):
        return f"no heading with the anchor #{unquote(fragment)}"
    return None


def broken_links(root: Path = ROOT) -> list[Link]:
    """Every relative link between the documentation's pages that leads nowhere."""
    found = []
    for page in documents(root):
        for target in links(page):
            problem = check(page, target, root)
            if problem:
                found.append(Link(page.relative_to(root), target, problem))
    return found


def keys(value: Any) -> Iterator[str]:
    """Every key in a parsed TOML value: tables, arrays of tables, inline tables, at any depth."""
    if isinstance(value, dict):
        for key, inner in value.items():
            yield key
            yield from keys(inner)
    elif isinstance(value, list):
        for item in value:
            yield from keys(item)


def example_keys(text: str) -> set[str]:
    """The keys of the example config, those of its commented-out tables and keys included.

    >>> text = 'a = { b = 1 }\\n[[c]]\\nd = [{ e = 2 }]\\n# [f]\\n# g = { h = 3 }\\n#   not = a key'
    >>> sorted(example_keys(text))
    ['a', 'b', 'c', 'd', 'e', 'f', 'g', 'h']
    """
    found = set(keys(tomllib.loads(text)))
    for line in text.splitlines():
        if table := COMMENTED_TABLE.match(line):
            found.add(table.group(1))
        elif key := COMMENTED_KEY.match(line):
            found.add(key.group(1))
            # A value that goes on over the next lines does not parse: its key is enough.
            with contextlib.suppress(tomllib.TOMLDecodeError):
                found.update(keys(tomllib.loads(line.lstrip("#").strip())))
    return found


def described(page_text: str) -> set[str]:
    """The keys a page describes: each written in backticks, alone or as its table (`[calendar]`).

    >>> sorted(described("`[[sim]]`, `token` and `keep_cost = {…}`; not token"))
    ['keep_cost', 'sim', 'token']
    """
    spans = (span.strip() for _, span in CODE_SPAN.findall(page_text))
    return {re.split(r"\s*=", span.strip("[]").strip(), maxsplit=1)[0] for span in spans}


def test_every_relative_link_leads_somewhere() -> None:
    broken = broken_links()
    assert not broken, "\n".join(f"{link.page}: ({link.target}) {link.problem}" for link in broken)


def test_every_key_of_the_example_is_described_in_configuration_md() -> None:
    missing = example_keys(EXAMPLE.read_text(encoding="utf-8")) - described(
        CONFIGURATION.read_text(encoding="utf-8"))
    assert not missing, (f"keys of {EXAMPLE.relative_to(ROOT)} that {CONFIGURATION.relative_to(ROOT)} "
                         f"does not describe as `key`: {', '.join(sorted(missing))}")


def test_the_readme_shows_the_two_commands_and_stays_short() -> None:
    readme = (ROOT / "README.md").read_text(encoding="utf-8")
    assert "make run" in readme and "make test" in readme
    assert len(readme.splitlines()) <= 220, "the README is for newcomers: move details to docs/"


# The checker itself: each kind of broken link is caught, and what is fine passes.
@pytest.fixture
def site(tmp_path: Path) -> Path:
    """A repository of two pages and a picture, in a folder of its own (with a page outside it)."""
    (tmp_path / "outside.md").write_text("# Outside\n", encoding="utf-8")
    repo = tmp_path / "repo"
    (repo / "docs").mkdir(parents=True)
    (repo / "SECURITY.md").write_text("# Security\n\n## Rotating a token\n", encoding="utf-8")
    (repo / "docs" / "page.md").write_text(
        "# A page\n\n## Sign in\n\n## Sign in\n\n## `[[sim]]`\n\n<a id=\"by-hand\"></a>\n\n"
        "```sh\n# not a heading\n```\n", encoding="utf-8")
    (repo / "docs" / "shot.png").write_bytes(b"\x89PNG")
    return repo


@pytest.mark.parametrize(("link", "problem"), [
    ("docs/page.md", None),
    ("docs/page.md#sign-in", None),
    ("docs/page.md#sign-in-1", None),
    ("docs/page.md#sim", None),
    ("docs/page.md#by-hand", None),
    ("SECURITY.md#rotating-a-token", None),
    ("#intro", None),
    ("https://example.org/missing.md", None),
    ("webcal://example.org/calendar.ics", None),
    ("docs/missing.md", "no such file"),
    ("docs/page.md#sign-out", "no heading with the anchor #sign-out"),
    ("docs/page.md#not-a-heading", "no heading with the anchor #not-a-heading"),
    ("SECURITY.md#Rotating-a-token", "no heading with the anchor #Rotating-a-token"),
    ("../outside.md", "outside the repository"),
], ids=["file", "anchor", "repeated-heading", "code-heading", "html-id", "other-page", "same-page", "web",
        "webcal", "missing-file", "missing-anchor", "heading-in-code-block", "anchor-case", "outside"])
def test_the_link_check_catches_each_kind_of_broken_link(site: Path, link: str, problem: str | None) -> None:
    (site / "README.md").write_text(f"# Intro\n\nSee [there]({link}).\n", encoding="utf-8")
    found = broken_links(site)
    assert [(str(b.page), b.target, b.problem) for b in found] == (
        [] if problem is None else [("README.md", link, problem)])


def test_the_link_check_reads_images_html_and_every_page_but_not_code(site: Path) -> None:
    (site / "README.md").write_text(
        "# Intro\n\n![shot](docs/shot.png) <img src=\"docs/gone.png\">\n\n`[code](docs/gone.md)`\n\n"
        "```md\n[fenced](docs/gone.md)\n```\n", encoding="utf-8")
    (site / "docs" / "other.md").write_text("# Other\n\n[back](../README.md#outro)\n", encoding="utf-8")
    found = {(str(b.page), b.target) for b in broken_links(site)}
    assert found == {("README.md", "docs/gone.png"), ("docs/other.md", "../README.md#outro")}


def test_a_key_left_undescribed_is_named() -> None:
    example = EXAMPLE.read_text(encoding="utf-8")
    page = CONFIGURATION.read_text(encoding="utf-8")
    # A nested key (topup's `from`) and a commented-out one (`[server] public_url`) count too.
    assert {"from", "min_amount", "public_url", "server", "tiers"} <= example_keys(example)
    for key in ("from", "public_url"):
        assert key in described(page)
        assert key not in described(page.replace(f"`{key}`", key))
