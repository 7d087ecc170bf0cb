"""Where the data lives, and how it gets there without half-written files.

The cache directory is chosen by, in order: the `data_dir` argument, the
`SCRATCHNET_DATA` environment variable, the per-user cache directory of the
platform (XDG on Linux). Files are written to a temporary file in the same
directory and renamed into place, so an interrupted write never leaves a
file that looks complete. A file that fails its check is moved aside
(`move_aside`), never deleted: it may be the only copy there is.
"""

from __future__ import annotations

import contextlib
import errno
import hashlib
import os
import secrets
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from platformdirs import user_cache_path

from .errors import ChecksumError

ENV_DATA_DIR = "SCRATCHNET_DATA"


def cache_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the directory that holds the data files (it may not exist yet)."""
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or None
    if data_dir is None:
        # A subdirectory per data set: Fashion-MNIST reuses MNIST's file names.
        return user_cache_path("scratchnet") / "mnist"
    return Path(data_dir).expanduser()


def sha256(data: str | os.PathLike[str] | bytes | bytearray | memoryview) -> str:
    """Hex SHA-256 of a file (given by path) or of bytes in memory."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open(data, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def move_aside(path: str | os.PathLike[str]) -> Path:
    """Rename a file that failed its check to ``NAME.bad`` (or ``NAME.bad2``, ...).

    Nothing is deleted: a file that fails one check may still be worth
    something (a gzip file under the plain name, a copy made by hand), and
    when no source can replace it, it is the only copy. Returns the new path.
    """
    path = Path(path)
    for n in range(1, 1000):
        aside = path.with_name(path.name + (".bad" if n == 1 else f".bad{n}"))
        if not aside.exists():
            os.replace(path, aside)
            return aside
    raise FileExistsError(errno.EEXIST, "too many .bad copies", str(path))


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


def verify_bytes(
    data: bytes | bytearray | memoryview, size: int | None, sha: str, name: str
) -> None:
    """Raise `ChecksumError` unless `data` has SHA-256 `sha` (and `size` bytes)."""
    if size is not None and len(data) != size:
        raise ChecksumError(f"{name}: expected {size} bytes, found {len(data)}")
    found = sha256(data)
    if found != sha:
        raise ChecksumError(f"{name}: expected SHA-256 {sha}, found {found}")
