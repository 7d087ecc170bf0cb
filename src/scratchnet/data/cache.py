"""Where the data lives, and how it gets there without half-written files.

The cache directory is chosen by, in order: the `data_dir` argument, the
`SCRATCHNET_DATA` environment variable, the per-user cache directory of the
platform (XDG on Linux). Files are written with ``scratchnet.atomic``, so an
interrupted write never leaves a file that looks complete. A file that fails
its check is moved aside (`move_aside`), never deleted: it may be the only
copy there is.
"""

from __future__ import annotations

import errno
import hashlib
import os
from pathlib import Path

from platformdirs import user_cache_path

from scratchnet.atomic import atomic_write_bytes, atomic_writer, check_writable

from .errors import ChecksumError, MNISTUnavailableError

__all__ = ["atomic_write_bytes", "atomic_writer", "cache_dir", "check_writable",
           "move_aside", "sha256", "verify_bytes"]

ENV_DATA_DIR = "SCRATCHNET_DATA"


def cache_dir(data_dir: str | os.PathLike[str] | None = None) -> Path:
    """Resolve the directory that holds the data files (it may not exist yet).

    Raises ``MNISTUnavailableError`` when it would depend on a home directory
    that this user does not have ($HOME unset, no password entry): the
    platform would otherwise answer with a path relative to wherever we are.
    """
    origin = cache_origin(data_dir)
    if data_dir is None:
        data_dir = os.environ.get(ENV_DATA_DIR) or None
    if data_dir is None:
        # A subdirectory per data set: Fashion-MNIST reuses MNIST's file names.
        try:
            path = user_cache_path("scratchnet") / "mnist"
        except RuntimeError:          # platformdirs found no home either
            path = Path("~")
    else:
        try:
            path = Path(data_dir).expanduser()
        except RuntimeError:
            path = Path(data_dir)
    if str(path).startswith("~") or (data_dir is None and not path.is_absolute()):
        raise MNISTUnavailableError(
            f"no data directory: {origin} needs a home directory, and this user "
            "has none ($HOME is unset and the password database has no entry); "
            f"{MNISTUnavailableError.CHOOSE}, or set ${ENV_DATA_DIR}")
    return path


def cache_origin(data_dir: str | os.PathLike[str] | None = None) -> str:
    """Where `cache_dir` takes the directory from, in words for a message."""
    if data_dir is not None:
        return "the directory given"
    if os.environ.get(ENV_DATA_DIR):
        return f"${ENV_DATA_DIR}"
    if os.environ.get("XDG_CACHE_HOME") and os.name == "posix":
        return "$XDG_CACHE_HOME"
    return "the per-user cache directory"


def sha256(data: str | os.PathLike[str] | bytes | bytearray | memoryview) -> str:
    """Hex SHA-256 of a file (given by path) or of bytes in memory."""
    if isinstance(data, (bytes, bytearray, memoryview)):
        return hashlib.sha256(data).hexdigest()
    digest = hashlib.sha256()
    with open(data, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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


def verify_bytes(
    data: bytes | bytearray | memoryview, size: int | None, sha: str, name: str
) -> None:
    """Raise `ChecksumError` unless `data` has SHA-256 `sha` (and `size` bytes)."""
    if size is not None and len(data) != size:
        raise ChecksumError(f"{name}: expected {size} bytes, found {len(data)}")
    found = sha256(data)
    if found != sha:
        raise ChecksumError(f"{name}: expected SHA-256 {sha}, found {found}")
