"""The service's secret key, kept in the instance folder: one key for every worker and the CLI.

It signs the page's session cookie and the reminders' "I have renewed it" links, so the
`flask remind` runner (outside any request) must read the very key the web workers use.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

from .files import atomic_write

SECRET_FILE = "secret_key"
MIN_SECRET = 32


class SecretKeyError(RuntimeError):
    """The kept secret key cannot be used."""


def _read_secret(path: Path) -> str:
    key = path.read_text(encoding="utf-8").strip()
    if len(key) < MIN_SECRET:
        raise SecretKeyError(f"{path}: the secret key is shorter than {MIN_SECRET} characters; "
                             "delete the file to make a new one")
    return key


def instance_secret(folder: str | os.PathLike[str]) -> str:
    """The key kept in `folder`, made on first use; every worker gets the same one.

    The key is written whole to a private (0600) temporary file, then linked to its
    name: a link never replaces a file, so workers starting together all end up
    reading the one key that was linked first.
    """
    path = Path(folder) / SECRET_FILE
    try:
        return _read_secret(path)
    except FileNotFoundError:
        pass
    # Private (0600) and exclusive: when another worker was first, its key is the one read.
    atomic_write(path, (secrets.token_urlsafe(48) + "\n").encode(), exclusive=True)
    return _read_secret(path)


def secret_key(configured: str | None, folder: str | os.PathLike[str]) -> str:
    """SIMFEED_SECRET_KEY when set, else the key kept in the instance folder `folder`."""
    return configured or instance_secret(folder)
