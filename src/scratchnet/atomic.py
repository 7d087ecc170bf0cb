"""Files written whole or not at all: a temporary file renamed into place.

A write goes to a new file next to the target, is fsync'ed, and is renamed
onto it, so an interrupted write (a crash, Ctrl-C, a full disk) leaves the
old file or the complete new one, never half of either. The data cache,
saved models and exported JSON are all written this way.

Only regular files are ever replaced: a target that exists as something
else (``/dev/null``, a FIFO, a link to either) is refused, since renaming
onto it would swap a device node for a file. A symbolic link to a regular
file is written through: its target is replaced, the link stays. The rename
and its record in ``journal()`` happen with SIGINT and SIGTERM deferred, so
a caller that reports an interruption knows whether the file was replaced.
"""

from __future__ import annotations

import contextlib
import errno
import io
import os
import secrets
import signal
import stat
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import Any, BinaryIO

_JOURNALS: list[list[Path]] = []


@contextlib.contextmanager
def journal() -> Iterator[list[Path]]:
    """Collect, while open, every path an atomic write has replaced or created.

    The command line reports them when a run fails after writing one.
    """
    written: list[Path] = []
    _JOURNALS.append(written)
    try:
        yield written
    finally:
        _JOURNALS.remove(written)


@contextlib.contextmanager
def _signals_deferred() -> Iterator[None]:
    """SIGINT and SIGTERM wait until the block is done, then act as usual.

    Only the main thread can set handlers; elsewhere this does nothing.
    """
    if threading.current_thread() is not threading.main_thread():
        yield
        return
    pending: list[int] = []

    def defer(signum: int, frame: Any) -> None:
        pending.append(signum)

    previous = {s: signal.signal(s, defer) for s in (signal.SIGINT, signal.SIGTERM)}
    try:
        yield
    finally:
        for s, handler in previous.items():
            signal.signal(s, signal.SIG_DFL if handler is None else handler)
        if pending:
            signal.raise_signal(pending[0])


def resolve_target(path: str | os.PathLike[str]) -> Path:
    """Where a write to ``path`` goes: ``path``, or what its symbolic links name.

    Raises ``OSError`` if that exists and is not a regular file.
    """
    path = Path(path)
    if path.is_symlink():
        path = Path(os.path.realpath(path))
    try:
        mode = os.stat(path).st_mode
    except (FileNotFoundError, NotADirectoryError):
        return path
    if stat.S_ISDIR(mode):
        raise IsADirectoryError(errno.EISDIR, "is a directory, not a file", str(path))
    if not stat.S_ISREG(mode):
        raise NotRegularFileError(errno.EEXIST, f"exists and is {describe_mode(mode)}"
                                  ", not a regular file; scratchnet replaces "
                                  "only regular files", str(path))
    return path


def describe_mode(mode: int) -> str:
    """``"a FIFO"``, ``"a character device"``, ... for an ``st_mode``."""
    for test, name in ((stat.S_ISDIR, "a directory"), (stat.S_ISFIFO, "a FIFO"),
                       (stat.S_ISCHR, "a character device"),
                       (stat.S_ISBLK, "a block device"), (stat.S_ISSOCK, "a socket"),
                       (stat.S_ISREG, "a regular file")):
        if test(mode):
            return name
    return "not a regular file"


class NotRegularFileError(OSError):
    """A path to read or replace that is a FIFO, a device, a socket, a directory."""


def open_regular(path: str | os.PathLike[str]) -> io.BufferedReader:
    """Open ``path`` for reading if it is a regular file, without ever blocking.

    ``O_NONBLOCK`` makes opening a FIFO return at once (a plain ``open``
    waits for a writer forever), and the check runs on the opened file, so
    a path swapped meanwhile is caught too. Raises ``NotRegularFileError``.
    """
    fd = os.open(path, os.O_RDONLY | getattr(os, "O_NONBLOCK", 0)
                 | getattr(os, "O_BINARY", 0))
    try:
        mode = os.fstat(fd).st_mode
        if not stat.S_ISREG(mode):
            raise NotRegularFileError(errno.EINVAL, f"is {describe_mode(mode)}, "
                                      "not a regular file", str(path))
        if hasattr(os, "set_blocking"):
            os.set_blocking(fd, True)
        return os.fdopen(fd, "rb")
    except BaseException:
        os.close(fd)
        raise


def _temp_name(name: str) -> str:
    """A hidden temporary name next to ``name`` that fits in 255 bytes
    however long ``name`` is (a long name is cut, it needs only be unique)."""
    stem = name if len(name.encode()) <= 200 else name[:48]
    return f".{stem}.{secrets.token_hex(4)}.part"


def _create_temp(path: Path) -> tuple[int, Path]:
    """A new, empty file next to `path`, open for writing: (fd, its path).

    Created with mode 0o666, which the kernel narrows by the umask in force
    now, so a cache file gets the permissions any other new file would
    (``tempfile.mkstemp`` would give 0600, and reading the umask means
    setting it, which would race with other threads).
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    for _ in range(100):
        tmp = path.with_name(_temp_name(path.name))
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
    a crash `path` holds either the old file or the complete new one. An
    error while writing (a full disk) names `path`.
    """
    path = resolve_target(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = _create_temp(path)
    try:
        with os.fdopen(fd, "wb") as f:
            try:
                yield f
                f.flush()
                os.fsync(f.fileno())
            except OSError as err:
                if err.filename is not None:
                    raise
                raise type(err)(err.errno, err.strerror or str(err), str(path)
                                ) from None
        with _signals_deferred():
            os.replace(tmp, path)
            for written in _JOURNALS:
                written.append(path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


def check_writable(path: str | os.PathLike[str]) -> Path:
    """Raise `OSError` now if `atomic_writer(path)` would fail later.

    Checked before hours of work rather than after: `path` must be a regular
    file or not exist (`resolve_target`), and its nearest existing ancestor
    must be a directory we can create files in, which is tested by creating
    (and removing) one.
    """
    path = resolve_target(path)
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
