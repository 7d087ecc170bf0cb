"""Files written whole or not at all: a temporary file renamed into place.

A write goes to a new file next to the target, is fsync'ed, and is renamed
onto it, so an interrupted write (a crash, Ctrl-C, a full disk) leaves the
old file or the complete new one, never half of either. The data cache,
saved models and exported JSON are all written this way.
"""

from __future__ import annotations

import contextlib
import errno
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file next to `path`, open for writing: (fd, its path).

    Created with mode 0o666, which the kernel narrows by the umask in force
    now, so a cache file gets the permissions any other new file would
    (``tempfile.mkstemp`` would give 0600, and reading the umask means
    setting it, which would race with other threads).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.part")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue
    raise FileExistsError(errno.EEXIST, "no free temporary file name", str(path))


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file next to `path`; rename it onto `path` on success.

    On any exception (Ctrl-C included) the temporary file is removed and
    `path` is untouched. The data are fsync'ed before the rename, so after
    a crash `path` holds either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise `OSError` now if `atomic_writer(path)` would fail later.

    Checked before hours of work rather than after: `path` must not be a
    directory, and its nearest existing ancestor must be a directory we can
    create files in, which is tested by creating (and removing) one.
    """
    path = Path(path)
    if path.is_dir():
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    parent = path.parent
    while not parent.exists() and parent != parent.parent:
        parent = parent.parent
    if not parent.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "is a file, not a directory",
                                 str(parent))
    try:
        fd, tmp = _create_temp(parent / path.name)
    except OSError as err:   # name the directory, not our temporary file
        raise type(err)(err.errno, err.strerror, str(parent)) from None
    os.close(fd)
    os.unlink(tmp)
    return path


def atomic_write_bytes(path: str | os.PathLike[str], data: bytes | bytearray) -> Path:
    """Write `data` to `path` atomically (see `atomic_writer`)."""
    with atomic_writer(path) as f:
        f.write(data)
    return Path(path)


def _fsync_dir(directory: Path) -> None:
    """Make the rename itself durable where the OS allows it (not on Windows)."""
    try:
        fd = os.open(directory, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)
