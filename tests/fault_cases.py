"""The README's promises as cases: a hostile input, the real command, what must hold.

Each case builds its own files (crafted model archives, FIFOs, links, a
mirror on 127.0.0.1) in a fresh directory, runs ``python -m scratchnet`` (or
a few lines of Python against the package) in a real process, and checks:
the exit status, no traceback, a message of one or two lines that matches,
the JSON line when ``--json`` was given, and what must have been kept.
``test_promises.py`` runs every case; ``python tests/fault_cases.py`` prints
the table of them: case, exit, peak memory, seconds, what was kept.

Peak memory is the child's ``ru_maxrss`` (from ``os.wait4``), and every
child runs under an address-space limit (``RLIMIT_AS``), so a regression
that allocates what a file claims fails with a wrong message rather than
taking the machine. Each child also has its own timeout: a case that blocks
fails instead of hanging the run.
"""

from __future__ import annotations

import io
import json
import os
import re
import resource
import signal
import stat
import subprocess
import sys
import threading
import time
import zipfile
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from data_server import Mirror, closed_port_url

from scratchnet.data import MNIST_FILES
from scratchnet.model import META_KEY, mlp

MEMORY_LIMIT = 2 << 30
"""Address space of every child: far above a real run, far below what the
hostile files used to take."""
HOSTILE_PEAK = 400 << 20
"""What a refused hostile model file may cost at most (peak RSS): the
interpreter and NumPy take about 60 MB, the arrays a file may claim at most
16 times its size."""


@dataclass
class Run:
    """One command and what must hold after it."""

    argv: list[str]                    # after ``python``: ["-m", "scratchnet", ...]
    exit: int
    message: str                       # regex the first line of stderr must match
    kept: Callable[[], str] = lambda: "-"   # asserts, says what was kept
    json: bool = False                 # the last line of stdout is the JSON object
    stdout: str = "pipe"               # or "broken-pipe", "/dev/full"
    stderr: str = "pipe"               # or "closed", "/dev/full"
    stdout_has: str = ""               # regex stdout must match
    env: dict[str, str | None] = field(default_factory=dict)
    max_lines: int | None = 2          # lines on stderr; None: progress bars too
    signals: tuple[str, list[int]] | None = None  # after this text on stderr
    fsize: int | None = None           # RLIMIT_FSIZE: a disk that fills up
    peak: int | None = None            # most bytes of RSS allowed
    timeout: float = 120.0
    cleanup: Callable[[], None] = lambda: None


@dataclass
class Result:
    exit: int
    stdout: str
    stderr: str
    peak: int           # bytes
    seconds: float


@dataclass
class Case:
    fault: str          # the class, as the README names it
    name: str
    build: Callable[[Path], Run]


def cli(*args: str) -> list[str]:
    return ["-m", "scratchnet", *args]


def offline_env(tmp: Path) -> dict[str, str]:
    """No source can fill the cache, and the real one is never touched."""
    wheels = tmp / "no-wheels"
    wheels.mkdir(exist_ok=True)
    return {"SCRATCHNET_DATA": str(tmp / "no-data"),
            "SCRATCHNET_MNIST_MIRRORS": closed_port_url(),
            "SCRATCHNET_PIP_ARGS": f"--no-index --find-links {wheels}",
            "NO_PROXY": "127.0.0.1,localhost", "OPENBLAS_NUM_THREADS": "1"}


def execute(run: Run, cwd: Path) -> Result:
    """Run ``run`` in a real process; measure its peak memory and time."""
    env = {**os.environ, **offline_env(cwd), **run.env}
    env = {k: v for k, v in env.items() if v is not None}  # None: unset

    def limits() -> None:
        resource.setrlimit(resource.RLIMIT_AS, (MEMORY_LIMIT, MEMORY_LIMIT))
        if run.fsize is not None:
            signal.signal(signal.SIGXFSZ, signal.SIG_IGN)   # EFBIG, not death
            resource.setrlimit(resource.RLIMIT_FSIZE, (run.fsize, run.fsize))
        if run.stderr == "closed":
            os.close(2)

    out_file = open("/dev/full", "w") if run.stdout == "/dev/full" else None
    err_file = open("/dev/full", "w") if run.stderr == "/dev/full" else None
    start = time.monotonic()
    child = subprocess.Popen(
        [sys.executable, *run.argv], cwd=cwd, env=env, preexec_fn=limits,
        stdin=subprocess.DEVNULL,
        stdout=out_file or subprocess.PIPE,
        stderr=err_file or (subprocess.DEVNULL if run.stderr == "closed"
                            else subprocess.PIPE))
    for f in (out_file, err_file):
        if f is not None:
            f.close()
    if run.stdout == "broken-pipe":
        child.stdout.close()            # type: ignore[union-attr]
    chunks: dict[str, list[bytes]] = {"out": [], "err": []}
    readers = [threading.Thread(target=_drain, args=(stream, chunks[key]), daemon=True)
               for key, stream in (("out", child.stdout), ("err", child.stderr))
               if stream is not None and not stream.closed]
    for reader in readers:
        reader.start()
    if run.signals:
        marker, signums = run.signals
        while marker.encode() not in b"".join(chunks["err"]):
            if time.monotonic() - start > run.timeout or _reap(child):
                break
            time.sleep(0.02)
        for signum in signums:
            if not _reap(child):
                os.kill(child.pid, signum)
            time.sleep(0.01)
    status, usage = _wait(child, start + run.timeout)
    seconds = time.monotonic() - start
    for reader in readers:
        reader.join(timeout=10)
    return Result(exit=os.waitstatus_to_exitcode(status),
                  stdout=b"".join(chunks["out"]).decode(errors="replace"),
                  stderr=b"".join(chunks["err"]).decode(errors="replace"),
                  peak=usage.ru_maxrss * 1024, seconds=seconds)


def _drain(stream: io.BufferedReader, into: list[bytes]) -> None:
    for block in iter(lambda: stream.read1(1 << 16), b""):
        into.append(block)


_REAPED: dict[int, tuple[int, resource.struct_rusage]] = {}


def _reap(child: subprocess.Popen) -> tuple[int, resource.struct_rusage] | None:
    """The child's wait status and own resource usage once it has ended, else None.

    ``os.wait4`` rather than ``Popen.poll``: only it returns the usage of
    this one child (``ru_maxrss``), and it can be asked only once.
    """
    if child.pid not in _REAPED:
        pid, status, usage = os.wait4(child.pid, os.WNOHANG)
        if not pid:
            return None
        _REAPED[child.pid] = status, usage
        child.returncode = os.waitstatus_to_exitcode(status)
    return _REAPED[child.pid]


def _wait(child: subprocess.Popen, deadline: float) -> tuple[int, resource.struct_rusage]:
    """Wait for the child; kill it at the deadline (a case that blocks fails)."""
    while (reaped := _reap(child)) is None:
        if time.monotonic() > deadline:
            os.kill(child.pid, signal.SIGKILL)
            while _reap(child) is None:
                time.sleep(0.01)
            raise TimeoutError(f"{child.args} still ran after its timeout")
        time.sleep(0.01)
    return reaped


def check(run: Run, result: Result) -> str:
    """Assert every promise ``run`` makes of ``result``; return what was kept."""
    err = result.stderr
    where = f"stderr: {err!r}\nstdout: {result.stdout[-400:]!r}"
    assert result.exit == run.exit, f"exit {result.exit}, not {run.exit}\n{where}"
    assert "Traceback" not in err and "Exception ignored" not in err, where
    lines = [line for line in err.splitlines() if line.strip()]
    if run.stderr == "pipe":
        if run.max_lines is not None:
            assert 1 <= len(lines) <= run.max_lines, where
        if run.exit and run.max_lines is not None:
            assert lines[0].startswith("scratchnet"), where
        assert re.search(run.message, lines[0] if run.max_lines else err), where
    if run.json:
        last = json.loads(result.stdout.strip().splitlines()[-1])
        assert last.get("exit_code", 0) == run.exit, where
        if run.stderr != "pipe":
            assert re.search(run.message, last.get("error", "")), where
    assert re.search(run.stdout_has, result.stdout), where
    if run.peak is not None:
        assert result.peak <= run.peak, (f"peak memory {result.peak >> 20} MB "
                                         f"> {run.peak >> 20} MB\n{where}")
    return run.kept()


def command(argv: list[str], exit: int, message: str, **promises: object
            ) -> Callable[[Path], Run]:
    """A case that needs no files of its own: just the command and its promises."""
    return lambda tmp: Run(argv, exit, message, **promises)  # type: ignore[arg-type]


# --- crafted files ----------------------------------------------------------------

def write_npz(path: Path, meta: dict | str, arrays: dict[str, np.ndarray],
              compress: bool = False,
              extra: Callable[[zipfile.ZipFile], None] | None = None) -> Path:
    """A model archive written by hand: ``meta`` (or its JSON text) and arrays."""
    text = meta if isinstance(meta, str) else json.dumps(meta)
    kind = zipfile.ZIP_DEFLATED if compress else zipfile.ZIP_STORED
    with zipfile.ZipFile(path, "w", kind) as zf:
        for name, a in {META_KEY: np.array(text), **arrays}.items():
            with zf.open(name + ".npy", "w", force_zip64=True) as f:
                np.lib.format.write_array(f, np.asarray(a), allow_pickle=False)
        if extra is not None:
            extra(zf)
    return path


def meta_of(layers: list[dict], metadata: dict | None = None) -> dict:
    return {"format": "scratchnet.Sequential", "version": 1, "architecture": "x",
            "layers": layers, "metadata": metadata or {}}


def good_model(tmp: Path, name: str = "m.npz") -> Path:
    return mlp([784, 16, 10], seed=0).save(tmp / name)


def unchanged(*paths: Path) -> Callable[[], str]:
    """A ``kept`` check: each path still holds the bytes it held now."""
    before = {p: p.read_bytes() for p in paths}

    def kept() -> str:
        for p, data in before.items():
            assert p.read_bytes() == data, f"{p} changed"
        return ", ".join(f"{p.name} unchanged" for p in before)
    return kept


def still(path: Path, test: Callable[[os.stat_result], bool], what: str
          ) -> Callable[[], str]:
    def kept() -> str:
        assert test(os.lstat(path)), f"{path} is no longer {what}"
        return f"{path} still {what}"
    return kept


def is_char_device(st: os.stat_result) -> bool:
    return stat.S_ISCHR(st.st_mode)


def is_fifo(st: os.stat_result) -> bool:
    return stat.S_ISFIFO(st.st_mode)


# --- 1. data loss ----------------------------------------------------------------

def export_onto_itself(tmp: Path) -> Run:
    m = good_model(tmp)
    return Run(cli("export", str(m), "--out", str(m), "--json"), 2,
               r"--out .*m\.npz: that is the model to export", unchanged(m), json=True)


def export_default_out_is_the_model(tmp: Path) -> Run:
    m = good_model(tmp, "model.json")
    return Run(cli("export", "model.json"), 2,
               r"default --out .*model\.json: that is the model to export",
               unchanged(m))


def private_null(tmp: Path) -> Path:
    """A device node like /dev/null (character device 1, 3), but the test's own.

    Never the real /dev/null: a regression would replace it for the whole
    machine. Making a device node takes root, which is the case in point;
    anyone else gets a FIFO, also not a regular file.
    """
    node = tmp / "null"
    try:
        os.mknod(node, 0o666 | stat.S_IFCHR, os.makedev(1, 3))
    except PermissionError:
        os.mkfifo(node)
    return node


def export_onto_dev_null(tmp: Path) -> Run:
    m, null = good_model(tmp), private_null(tmp)
    kind = "character device" if is_char_device(os.lstat(null)) else "FIFO"
    return Run(cli("export", str(m), "--out", str(null)), 2,
               f"null: cannot write there: exists and is a {kind}",
               still(null, lambda st: not stat.S_ISREG(st.st_mode), f"a {kind}"))


def save_onto_a_link_to_dev_null(tmp: Path) -> Run:
    null = private_null(tmp)
    kind = "character device" if is_char_device(os.lstat(null)) else "FIFO"
    (tmp / "out.npz").symlink_to(null)
    return Run(cli("train", "--save", "out.npz", "--json"), 2,
               f"--save out.npz: cannot write there: .*null: exists and is a {kind}",
               still(null, lambda st: not stat.S_ISREG(st.st_mode), f"a {kind}"),
               json=True)


def export_onto_a_fifo(tmp: Path) -> Run:
    m = good_model(tmp)
    os.mkfifo(tmp / "pipe.json")
    return Run(cli("export", str(m), "--out", "pipe.json"), 2,
               "--out pipe.json: cannot write there: exists and is a FIFO",
               still(tmp / "pipe.json", is_fifo, "a FIFO"))


def save_onto_the_training_data(tmp: Path) -> Run:
    data = tmp / "data"
    data.mkdir()
    victim = data / "train-images-idx3-ubyte"
    victim.write_bytes(b"the only copy")
    return Run(cli("--data-dir", str(data), "train", "--save", str(victim)), 2,
               "that is an MNIST file, read by this run", unchanged(victim))


def export_through_a_link(tmp: Path) -> Run:
    m = good_model(tmp)
    (tmp / "site").mkdir()
    (tmp / "site" / "model.json").write_text("old")
    (tmp / "link.json").symlink_to(tmp / "site" / "model.json")

    def kept() -> str:
        assert (tmp / "link.json").is_symlink()
        assert json.loads((tmp / "site" / "model.json").read_text())["layers"]
        return "link.json still a link; its target written"
    return Run(cli("export", str(m), "--out", "link.json"), 0, "", kept,
               stderr="closed")


SIGTERM_AFTER_RENAME = """
import os, signal, sys
import scratchnet.atomic as atomic
from scratchnet.cli import main
real = os.replace
def replace_then_sigterm(src, dst):
    real(src, dst)
    os.kill(os.getpid(), signal.SIGTERM)   # lands right after the rename
atomic.os.replace = replace_then_sigterm
sys.exit(main(sys.argv[1:]))
"""


def sigterm_right_after_the_rename(tmp: Path) -> Run:
    m = good_model(tmp)
    out = tmp / "m.json"
    out.write_text("old")

    def kept() -> str:
        assert out.read_text() != "old"
        return "m.json replaced, and the message says so"
    return Run(["-c", SIGTERM_AFTER_RENAME, "export", str(m), "--out", str(out),
                "--json"], 143, r"terminated; written before that: .*m\.json", kept,
               json=True)


def disk_full_while_saving(tmp: Path) -> Run:
    m = good_model(tmp)
    out = tmp / "m.json"
    out.write_text("the old export")
    return Run(cli("export", str(m), "--out", str(out)), 1,
               r"--out .*m\.json: cannot write: .*File too large",
               unchanged(out), fsize=20_000)


# --- 2. memory and time ----------------------------------------------------------

def conv_padding_bomb(tmp: Path) -> Run:
    """A 3 KB model whose one convolution pads each digit by 20,000 pixels."""
    layers = [{"type": "Reshape", "shape": [1, 28, 28]},
              {"type": "Conv2D", "in_channels": 1, "out_channels": 1,
               "kernel_size": [1, 1], "stride": 1, "padding": 20000, "init": "he"},
              {"type": "MaxPool2D", "size": 40028, "stride": 40028},
              {"type": "Flatten"}]
    path = write_npz(tmp / "pad.npz", meta_of(layers),
                     {"1.W": np.ones((1, 1, 1, 1), np.float32),
                      "1.b": np.zeros(1, np.float32)})
    return Run(cli("evaluate", str(path), "--json"), 1,
               r"layer 1 \(Conv2D\) would take [\d,]+ values", json=True,
               peak=HOSTILE_PEAK)


def zip_bomb_member(tmp: Path) -> Run:
    """A ~1 MB model with an extra, well-formed array that inflates to 1020 MiB."""
    def bomb(zf: zipfile.ZipFile) -> None:
        with zf.open("junk.npy", "w", force_zip64=True) as f:
            np.lib.format.write_array_header_1_0(
                f, {"descr": "<f4", "fortran_order": False, "shape": (255 << 20,)})
            block = bytes(1 << 20)
            for _ in range(1020):
                f.write(block)
    m = mlp([784, 10], seed=0)
    arrays = {name: p.value for name, p in m.named_parameters()}
    layers = [layer.config() for layer in m]
    path = write_npz(tmp / "bomb.npz", meta_of(layers), arrays, compress=True,
                     extra=bomb)
    return Run(cli("evaluate", str(path), "--json"), 1,
               r"unexpected entry 'junk\.npy'.*refused unread", json=True,
               peak=HOSTILE_PEAK)


def compressed_weights_claiming_a_gigabyte(tmp: Path) -> Run:
    """Zeros deflate 1000:1: a 300 KB file whose weights inflate to 250 MB."""
    layers = [{"type": "Linear", "in_features": 784, "out_features": 80_000}]
    path = write_npz(tmp / "zeros.npz", meta_of(layers),
                     {"0.W": np.zeros((784, 80_000), np.float32),
                      "0.b": np.zeros(80_000, np.float32)}, compress=True)
    return Run(cli("evaluate", str(path)), 1,
               r"claims [\d,]+ bytes of arrays, more than the [\d,]+ a model file "
               r"of [\d,]+ bytes may hold", peak=HOSTILE_PEAK)


def fifty_thousand_layers(tmp: Path) -> Run:
    path = write_npz(tmp / "deep.npz", meta_of([{"type": "ReLU"}] * 50_000), {})
    return Run(cli("evaluate", str(path)), 1,
               "50,000 layers, more than the 256", peak=HOSTILE_PEAK)


def model_is_a_fifo(tmp: Path) -> Run:
    os.mkfifo(tmp / "m.npz")
    return Run(cli("evaluate", "m.npz", "--json"), 1, "m.npz is a FIFO",
               still(tmp / "m.npz", is_fifo, "a FIFO"), json=True, timeout=60)


def cache_file_is_a_fifo(tmp: Path) -> Run:
    data = tmp / "data"
    data.mkdir()
    os.mkfifo(data / "t10k-labels-idx1-ubyte")
    return Run(cli("train", "--data-dir", str(data), "--quiet"), 1,
               "t10k-labels-idx1-ubyte: exists and is a FIFO",
               still(data / "t10k-labels-idx1-ubyte", is_fifo, "a FIFO"),
               timeout=60)


FETCH_FAKE = """
import sys, time
sys.path.insert(0, {tests!r})
from data_server import Mirror, fake_mnist
from scratchnet.data import fetch_mnist, MNISTUnavailableError
fake, mirror = fake_mnist(), Mirror()
mirror.files.update(fake.gz)
getattr(mirror, {mode!r}).{update}
try:
    fetch_mnist({cache!r}, mirrors=[mirror.url], timeout=1, progress=False,
                spec=fake.spec)
except MNISTUnavailableError as err:
    line = [ln for ln in str(err).splitlines() if "mirror" in ln][0]
    print("scratchnet: " + line.strip(), file=sys.stderr)
    print("sent", sum(mirror.sent.values()))
    sys.exit(1)
"""


def _fake_fetch(tmp: Path, mode: str, update: str) -> list[str]:
    code = FETCH_FAKE.format(tests=str(Path(__file__).parent), mode=mode,
                             update=update, cache=str(tmp / "cache"))
    return ["-c", code]


def mirror_sends_a_byte_at_a_time(tmp: Path) -> Run:
    names = [n + ".gz" for n in MNIST_FILES]
    update = "update({n: 0.2 for n in " + repr(names) + "})"
    return Run(_fake_fetch(tmp, "trickle", update), 1,
               r"TimeoutError: [\d,]+ bytes in [\d.]+ s, the most this file may "
               "take", timeout=60)


def mirror_floods_without_a_length(tmp: Path) -> Run:
    names = [n + ".gz" for n in MNIST_FILES]
    update = "update(" + repr(names) + ")"

    def kept() -> str:
        assert not (tmp / "cache").exists() or not os.listdir(tmp / "cache")
        return "nothing cached"
    return Run(_fake_fetch(tmp, "flood", update), 1,
               "ChecksumError: .* sent more than the [\\d,]+ bytes it can have",
               kept, timeout=60, peak=HOSTILE_PEAK)


# --- 3. never a traceback --------------------------------------------------------

def twenty_class_model(tmp: Path) -> Run:
    path = mlp([784, 32, 20], seed=0).save(tmp / "twenty.npz")
    return Run(cli("evaluate", str(path), "--json"), 1,
               "this model has 20 outputs, but MNIST has 10 classes", json=True)


def nan_in_metadata(tmp: Path) -> Run:
    m = mlp([784, 10], seed=0)
    arrays = {name: p.value for name, p in m.named_parameters()}
    meta = json.dumps(meta_of([layer.config() for layer in m], {"val_loss": 1.0}))
    path = write_npz(tmp / "nan.npz", meta.replace("1.0", "NaN"), arrays)

    def kept() -> str:
        doc = json.loads((tmp / "nan.json").read_text())
        assert doc["metadata"] == {"val_loss": None}
        return "nan.json written, val_loss as null"
    return Run(cli("export", str(path), "--json"), 0,
               "warning: .*metadata val_loss is NaN or inf", kept, json=True)


def nan_leaky_relu_slope(tmp: Path) -> Run:
    m = mlp([784, 10], seed=0)
    arrays = {name: p.value for name, p in m.named_parameters()}
    layers = [layer.config() for layer in m] + [{"type": "LeakyReLU", "slope": 0.5}]
    text = json.dumps(meta_of(layers)).replace("0.5", "NaN")
    path = write_npz(tmp / "slope.npz", text, arrays)
    return Run(cli("export", str(path)), 1, r"layer 1 \(LeakyReLU\): slope is nan")


def float64_weights_beyond_float32(tmp: Path) -> Run:
    m = mlp([784, 10], seed=0)
    layers = [layer.config() for layer in m]
    W = m[0].W.value.astype(np.float64)
    W[0, 0] = 1e300
    path = write_npz(tmp / "big.npz", meta_of(layers), {"0.W": W,
                                                        "0.b": m[0].b.value})
    return Run(cli("evaluate", str(path)), 1,
               "array '0.W' contains NaN, inf or values beyond the range of float32")


def float64_model_beyond_float32_exported(tmp: Path) -> Run:
    m = mlp([784, 10], seed=0, dtype=np.float64)
    m[0].W.value[0, 0] = 1e300
    path = m.save(tmp / "wide.npz")
    return Run(cli("export", str(path)), 2, "weights beyond float32's range",
               lambda: "no wide.json" if not (tmp / "wide.json").exists() else "")


def huge_integer_in_metadata(tmp: Path) -> Run:
    m = mlp([784, 10], seed=0)
    arrays = {name: p.value for name, p in m.named_parameters()}
    text = json.dumps(meta_of([layer.config() for layer in m], {"n": 7}))
    path = write_npz(tmp / "int.npz", text.replace('"n": 7', '"n": ' + "9" * 5000),
                     arrays)
    return Run(cli("evaluate", str(path), "--json"), 1,
               "metadata is not valid JSON: .*4300", json=True)


def stdout_is_a_closed_pipe(tmp: Path) -> Run:
    m = good_model(tmp)

    def kept() -> str:
        assert json.loads((tmp / "m.json").read_text())["layers"]
        return "m.json written, and the message says so"
    return Run(cli("export", str(m), "--json"), 1,
               r"cannot write to standard output: Broken pipe; written before "
               r"that: .*m\.json", kept, stdout="broken-pipe")


def stdout_is_a_full_disk(tmp: Path) -> Run:
    m = good_model(tmp)
    return Run(cli("export", str(m), "--json"), 1,
               "cannot write to standard output: No space left on device; written "
               "before that", stdout="/dev/full")


def _no_passwd(tmp: Path) -> dict[str, str | None]:
    """The environment of a user with no home: no $HOME, and (by a
    ``sitecustomize``) no entry in the password database."""
    site = tmp / "nopw"
    site.mkdir()
    (site / "sitecustomize.py").write_text(
        "import pwd\n"
        "def _unknown(uid):\n"
        "    raise KeyError(f'getpwuid(): uid not found: {uid}')\n"
        "pwd.getpwuid = _unknown\n")
    return {"HOME": None, "SCRATCHNET_DATA": None, "XDG_CACHE_HOME": None,
            "PYTHONPATH": str(site)}


def no_home_directory(tmp: Path) -> Run:
    return Run(cli("data", "info", "--json"), 1, "no data directory: the per-user "
               "cache directory needs a home directory.*use --data-dir DIR",
               env=_no_passwd(tmp), json=True)


def no_home_directory_for_tilde(tmp: Path) -> Run:
    return Run(cli("--data-dir", "~/x", "data", "info"), 2,
               "argument --data-dir: cannot expand '~' in '~/x'",
               env=_no_passwd(tmp))


def burst_of_ctrl_c(tmp: Path) -> Run:
    mirror = Mirror()
    mirror.delay = {n + ".gz": 60.0 for n in MNIST_FILES}
    return Run(cli("data", "fetch", "--json"), 130, "scratchnet: interrupted",
               json=True, max_lines=None,
               env={"SCRATCHNET_MNIST_MIRRORS": mirror.url},
               signals=("trying mirror", [signal.SIGINT] * 8), timeout=60,
               cleanup=mirror.close)


# --- 4. messages that name what the user typed ------------------------------------

def save_into_a_directory_name(tmp: Path) -> Run:
    return Run(cli("train", "--save", "models/"), 2,
               "argument --save: 'models/' names a directory",
               lambda: "no file 'models'" if not (tmp / "models").exists() else "")


def data_dir_after_the_subcommand(tmp: Path) -> Run:
    (tmp / "mine").mkdir()
    return Run(cli("data", "info", "--data-dir", "mine", "--json"), 1,
               "the MNIST cache is incomplete", json=True,
               kept=lambda: "reported on mine/")


def a_254_character_file_name(tmp: Path) -> Run:
    m = good_model(tmp)
    name = "a" * 249 + ".json"
    return Run(cli("export", str(m), "--out", name), 0, "", stderr="closed",
               kept=lambda: f"{len(name)}-character file written"
               if (tmp / name).exists() else "")


def unreachable_xdg_cache_home(tmp: Path) -> Run:
    (tmp / "afile").write_text("x")
    return Run(cli("data", "fetch", "--quiet"), 1,
               r"cannot create the data directory .*afile/scratchnet/mnist, from "
               r"\$XDG_CACHE_HOME", env={"SCRATCHNET_DATA": None,
                                         "XDG_CACHE_HOME": str(tmp / "afile")})


def symlink_loop_in_the_cache(tmp: Path) -> Run:
    data = tmp / "data"
    data.mkdir()
    (data / "t10k-labels-idx1-ubyte").symlink_to("loop")
    (data / "loop").symlink_to("t10k-labels-idx1-ubyte")
    return Run(cli("data", "info", "--data-dir", str(data)), 1,
               "the MNIST cache is incomplete",
               stdout_has=r"t10k-labels-idx1-ubyte: Too many levels of symbolic")


def unreadable_cache_file_kept_aside(tmp: Path) -> Run:
    data = tmp / "data"
    data.mkdir()
    (data / "t10k-labels-idx1-ubyte").symlink_to("loop")
    (data / "loop").symlink_to("t10k-labels-idx1-ubyte")

    def kept() -> str:
        assert (data / "t10k-labels-idx1-ubyte.bad").is_symlink()
        return "the unreadable file kept as t10k-labels-idx1-ubyte.bad"
    return Run(cli("data", "fetch", "--quiet", "--data-dir", str(data)), 1,
               "warning: .*t10k-labels-idx1-ubyte: Too many levels of symbolic "
               "links; moved it to .*t10k-labels-idx1-ubyte.bad", kept,
               max_lines=None)


CASES = [
    Case("data loss", "export --out onto the model itself", export_onto_itself),
    Case("data loss", "export model.json: default --out is the model",
         export_default_out_is_the_model),
    Case("data loss", "export --out a device node (like /dev/null) as root",
         export_onto_dev_null),
    Case("data loss", "train --save onto a link to a device node",
         save_onto_a_link_to_dev_null),
    Case("data loss", "export --out onto a FIFO", export_onto_a_fifo),
    Case("data loss", "train --save onto an MNIST file", save_onto_the_training_data),
    Case("data loss", "export --out a link: written through", export_through_a_link),
    Case("data loss", "SIGTERM right after the rename",
         sigterm_right_after_the_rename),
    Case("data loss", "disk full while writing", disk_full_while_saving),
    Case("memory and time", "3 KB model, convolution padded by 20,000",
         conv_padding_bomb),
    Case("memory and time", "1 MB model with a 1020 MiB member", zip_bomb_member),
    Case("memory and time", "300 KB model, weights inflating to 250 MB",
         compressed_weights_claiming_a_gigabyte),
    Case("memory and time", "50,000 layers", fifty_thousand_layers),
    Case("memory and time", "model is a FIFO", model_is_a_fifo),
    Case("memory and time", "model is /dev/zero", command(
         cli("evaluate", "/dev/zero"), 1,
         "/dev/zero is a character device", timeout=60)),
    Case("memory and time", "cache file is a FIFO", cache_file_is_a_fifo),
    Case("memory and time", "mirror sends 256 bytes each 0.2 s",
         mirror_sends_a_byte_at_a_time),
    Case("memory and time", "mirror floods without a length",
         mirror_floods_without_a_length),
    Case("no traceback", "evaluate a 20-class model", twenty_class_model),
    Case("no traceback", "export NaN metadata", nan_in_metadata),
    Case("no traceback", "a NaN LeakyReLU slope", nan_leaky_relu_slope),
    Case("no traceback", "float64 weights beyond float32 in a float32 layer",
         float64_weights_beyond_float32),
    Case("no traceback", "export a float64 model beyond float32",
         float64_model_beyond_float32_exported),
    Case("no traceback", "a 5,000-digit integer in the metadata",
         huge_integer_in_metadata),
    Case("no traceback", "stdout a closed pipe (| true)", stdout_is_a_closed_pipe),
    Case("no traceback", "stdout /dev/full", stdout_is_a_full_disk),
    Case("no traceback", "stderr closed (2>&-)", command(
         cli("evaluate", "missing.npz", "--json"), 1,
         "missing.npz: No such file or directory", json=True,
         stderr="closed")),
    Case("no traceback", "stderr /dev/full", command(
         cli("evaluate", "missing.npz", "--json"), 1,
         "missing.npz: No such file or directory", json=True,
         stderr="/dev/full")),
    Case("no traceback", "no home directory: data info", no_home_directory),
    Case("no traceback", "no home directory: --data-dir ~/x",
         no_home_directory_for_tilde),
    Case("no traceback", "a burst of 8 Ctrl-C", burst_of_ctrl_c),
    Case("messages", "--version", command(
         cli("--version"), 0, "", stderr="closed",
         stdout_has=r"^scratchnet \d+\.\d+")),
    Case("messages", "a usage error", command(
         cli("train", "--epochs", "0", "--json"), 2,
         "argument --epochs: epochs must be a whole number >= 1", json=True)),
    Case("messages", "--weight-decay inf", command(
         cli("train", "--weight-decay", "inf"), 2,
         "argument --weight-decay: expected a finite number, got 'inf'")),
    Case("messages", "--augment-shift 5000", command(
         cli("train", "--augment-shift", "5000", "--json"), 2,
         "argument --augment-shift: augment_shift must be below 28", json=True)),
    Case("messages", "--augment-degrees 1e308", command(
         cli("train", "--augment-degrees", "1e308"), 2,
         "argument --augment-degrees: .*max_degrees >= 0 and at most 180")),
    Case("messages", "--save models/", save_into_a_directory_name),
    Case("messages", "--data-dir ''", command(
         cli("--data-dir", "", "data", "info"), 2,
         "argument --data-dir: expected a directory, got ''")),
    Case("messages", "data info --data-dir DIR", data_dir_after_the_subcommand),
    Case("messages", "a 254-character file name", a_254_character_file_name),
    Case("messages", "--js with a parse error", command(
         cli("evaluate", "m.npz", "--js", "--bogus"), 2,
         "unrecognized arguments: --bogus", json=True)),
    Case("messages", "--json=1", command(
         cli("data", "info", "--json=1"), 2,
         "argument --json: ignored explicit argument '1'", json=True)),
    Case("messages", "unreachable $XDG_CACHE_HOME", unreachable_xdg_cache_home),
    Case("messages", "a symlink loop in the cache", symlink_loop_in_the_cache),
    Case("data loss", "data fetch over an unreadable cache file",
         unreadable_cache_file_kept_aside),
    Case("messages", "--timeout 1e308", command(
         cli("data", "fetch", "--timeout", "1e308"), 2,
         r"--timeout 1e\+308: timeout must be a number of seconds > 0 and at "
         r"most 86400")),
]


def hold(name: str, tmp: Path) -> None:
    """Build, run and check the case called ``name`` in ``tmp``; raise if it fails."""
    case = next(c for c in CASES if c.name == name)
    run = case.build(tmp)
    try:
        check(run, execute(run, tmp))
    finally:
        run.cleanup()


def main() -> None:
    """Run every case against the real command line and print the table;
    with ``--case NAME DIR``, hold that one case (what ``test_promises`` does,
    from this small fresh process: a child's ``ru_maxrss`` starts at the
    size of the process that forked it)."""
    import tempfile

    if sys.argv[1:2] == ["--case"]:
        try:
            hold(sys.argv[2], Path(sys.argv[3]))
        except AssertionError as err:
            sys.exit(f"{sys.argv[2]}: {err}")
        return

    print("| class | case | exit | peak memory | seconds | kept |")
    print("| --- | --- | --- | --- | --- | --- |")
    for case in CASES:
        with tempfile.TemporaryDirectory(prefix="scratchnet-fault-") as tmp:
            run = case.build(Path(tmp))
            try:
                result = execute(run, Path(tmp))
                try:
                    kept = check(run, result)
                except AssertionError as err:
                    kept = f"FAILED: {str(err).splitlines()[0]}"
            finally:
                run.cleanup()
        print(f"| {case.fault} | {case.name} | {result.exit} | "
              f"{result.peak / 2**20:.0f} MB | {result.seconds:.1f} | {kept} |",
              flush=True)


if __name__ == "__main__":
    main()
