"""Where the data lives, and how it gets there without half-written files.

The cache directory is chosen by, in order: the `data_dir` argument, the
`SCRATCHNET_DATA` environment variable, the per-user cache directory of the
platform (XDG on Linux). Files are written to a temporary file in the same
directory and renamed into place, so an interrupted write never leaves a
file that looks complete.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import BinaryIO

from platformdirs import user_cache_path

from .errors import ChecksumError

ENV_DATA_DIR = "SCRATCHNET_DATA"
_UMASK = os.umask(0o022)  # read the umask (the only way is to set it) ...
os.umask(_UMASK)  # ... and put it back


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


@contextlib.contextmanager
def atomic_writer(path: str | os.PathLike[str]) -> Iterator[BinaryIO]:
    """Open a temporary file next to `path`; rename it onto `path` on success.

    On any exception the temporary file is removed and `path` is untouched.
    The data are fsync'ed before the rename, so after a crash `path` holds
    either the old file or the complete new one.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".part")
    try:
        with os.fdopen(fd, "wb") as f:
            os.chmod(tmp, 0o666 & ~_UMASK)  # not mkstemp's 0600: caches get shared
            yield f
            f.flush()
            os.fsync(f.fileno())
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise
    _fsync_dir(path.parent)


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
