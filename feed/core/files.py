"""Writing a file whole or not at all: readers see the old bytes or the new, never a part."""

from __future__ import annotations

import contextlib
import os
import tempfile
from pathlib import Path


def atomic_write(path: str | Path, data: bytes, *, mode: int | None = None, mtime: float | None = None,
                 exclusive: bool = False) -> bool:
    """Write `data` to `path` through a temporary file in the same folder, fsync'd, then renamed.

    `mode` sets the permissions (the temporary file is 0600 until then); `mtime` the
    modification time. With `exclusive`, the file is linked into place only if no file
    has that name yet, so concurrent writers all end up with the first one's bytes:
    returns False when another was first.

    >>> import tempfile, pathlib
    >>> target = pathlib.Path(tempfile.mkdtemp()) / "a.txt"
    >>> atomic_write(target, b"one"), atomic_write(target, b"two", exclusive=True), target.read_bytes()
    (True, False, b'one')
    """
    target = Path(path)
    folder = target.parent if str(target.parent) else Path(".")
    fd, temp = tempfile.mkstemp(dir=folder, prefix=f".{target.name}-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        if mode is not None:
            os.chmod(temp, mode)
        if mtime is not None:
            os.utime(temp, (mtime, mtime))
        if exclusive:
            try:
                os.link(temp, target)
            except FileExistsError:
                return False
        else:
            os.replace(temp, target)
        _sync_folder(folder)
        return True
    finally:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(temp)


def _sync_folder(folder: Path) -> None:
    """Make the rename itself durable: a crash right after must not bring the old name back."""
    with contextlib.suppress(OSError):  # not every filesystem lets a folder be opened or synced
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
