"""The keys kept in the data (instance) folder: one for every worker and the CLI.

The secret key signs the page's session cookie and the reminders' "I have renewed it"
links, so the `simfeed remind` runner (outside any request) must read the very key the
web workers use. The admin token is made on a first start with none configured, so a new
user can sign in without reading the manual.
"""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable
from pathlib import Path

from . import parsers, tokens
from .files import atomic_write

SECRET_FILE = "secret_key"
ADMIN_TOKEN_FILE = "admin-token"
MIN_SECRET = 32


class SecretKeyError(RuntimeError):
    """The kept secret key cannot be used."""


def _read_secret(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET:
        raise SecretKeyError(f"{path}: the secret key is shorter than {MIN_SECRET} characters; "
                             "delete the file to make a new one")
    return key


def _kept(path: Path, make: Callable[[], str], read: Callable[[Path], str]) -> tuple[str, bool]:
    """The value kept at `path`, made on first use; True when this call made it.

    The value is written whole to a private (0600) temporary file, then linked to its
    name: a link never replaces a file, so workers starting together all end up
    reading the one value that was linked first.
    """
    try:
        return read(path), False
    except FileNotFoundError:
        pass
    made = atomic_write(path, (make() + "\n").encode(), exclusive=True)
    return read(path), made


def instance_secret(folder: str | os.PathLike[str]) -> str:
    """The secret key kept in `folder`, made on first use; every worker gets the same one."""
    return _kept(Path(folder) / SECRET_FILE, lambda: secrets.token_urlsafe(48), _read_secret)[0]


def _read_admin_token(path: Path) -> str:
    text = path.read_text(encoding="utf-8").strip()
    try:
        return parsers.token(text)
    except parsers.Invalid as problem:
        raise SecretKeyError(f"{path}: the admin token {problem}; delete the file for a new one") from None


def admin_token(folder: str | os.PathLike[str]) -> tuple[str, bool]:
    """The admin token kept in `folder` (owner-only), made on first use; True when just made."""
    return _kept(Path(folder) / ADMIN_TOKEN_FILE, tokens.fresh, _read_admin_token)


def kept_admin_token(folder: str | os.PathLike[str]) -> str | None:
    """The admin token kept in `folder`, or None when none was made."""
    try:
        return _read_admin_token(Path(folder) / ADMIN_TOKEN_FILE)
    except FileNotFoundError:
        return None


def secret_key(configured: str | None, folder: str | os.PathLike[str]) -> str:
    """SIMFEED_SECRET_KEY when set, else the key kept in the instance folder `folder`."""
    return configured or instance_secret(folder)
