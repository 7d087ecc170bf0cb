"""The data cache when things go wrong: nothing lost, nothing slow, nothing left over.

Real local servers (one that never answers, one that trickles), real files
in awkward states, and a real ``scratchnet`` process stopped by SIGTERM.
"""

from __future__ import annotations

import gzip
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from data_server import NAMES, fake_mnist

from scratchnet.data import (
    ChecksumError,
    MNISTUnavailableError,
    fetch_mnist,
    load_mnist,
    mnist_info,
    sources,
)
from scratchnet.data.sources import timeout_seconds
from scratchnet.errors import UsageError

pytestmark = pytest.mark.usefixtures("hermetic")   # no real cache, mirror or index

FAKE = fake_mnist()
TRAIN_IMAGES, TRAIN_LABELS, TEST_IMAGES, TEST_LABELS = NAMES


def offline_load(cache: Path):
    """A load that can only fail to fetch: the mirror list is a closed port."""
    return load_mnist(cache, progress=False, spec=FAKE.spec)


# --- nothing lost ----------------------------------------------------------------

def test_a_gzip_file_under_the_plain_name_is_named_and_kept(cache):
    cache.mkdir()
    for name, data in FAKE.idx.items():
        (cache / name).write_bytes(data)
    gz = gzip.compress(FAKE.idx[TEST_LABELS])
    (cache / TEST_LABELS).write_bytes(gz)
    with (pytest.warns(UserWarning, match="is gzip data: decompress it first") as seen,
          pytest.raises(MNISTUnavailableError)):
        offline_load(cache)                  # offline: nothing can replace it
    aside = cache / (TEST_LABELS + ".bad")
    assert f"moved it to {aside}" in str(seen[0].message)
    assert aside.read_bytes() == gz          # the only copy, intact


def test_a_second_bad_copy_does_not_overwrite_the_first(cache):
    cache.mkdir()
    (cache / TEST_LABELS).write_bytes(b"first")
    with pytest.warns(UserWarning), pytest.raises(MNISTUnavailableError):
        offline_load(cache)
    (cache / TEST_LABELS).write_bytes(b"second")
    with pytest.warns(UserWarning, match="bad2"), pytest.raises(MNISTUnavailableError):
        offline_load(cache)
    assert (cache / (TEST_LABELS + ".bad")).read_bytes() == b"first"
    assert (cache / (TEST_LABELS + ".bad2")).read_bytes() == b"second"


# --- checked before anything is downloaded ---------------------------------------

def test_a_data_directory_that_is_a_file_fails_before_downloading(make_mirror,
                                                                  tmp_path):
    mirror = make_mirror(FAKE.gz)
    not_a_dir = tmp_path / "data"
    not_a_dir.write_text("my notes")
    with pytest.raises(NotADirectoryError, match="the data directory is a file"):
        fetch_mnist(not_a_dir, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert mirror.hits == [] and not_a_dir.read_text() == "my notes"
    info = mnist_info(not_a_dir, spec=FAKE.spec)
    assert {f["problem"] for f in info["files"].values()} == {
        f"the data directory {not_a_dir} is a file"}


def test_a_data_file_name_that_is_a_directory_fails_before_downloading(
        make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    (cache / TEST_LABELS).mkdir(parents=True)
    with pytest.raises(IsADirectoryError, match="is a directory, not a data file"):
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert mirror.hits == [] and (cache / TEST_LABELS).is_dir()


# --- timeouts -----------------------------------------------------------------------

def test_a_mirror_that_stalls_mid_body_times_out_and_the_next_is_used(
        make_mirror, cache):
    stalled, good = make_mirror(FAKE.gz), make_mirror(FAKE.gz)
    stalled.trickle = {name: 30.0 for name in FAKE.gz}   # one chunk, then silence
    fetch_mnist(cache, mirrors=[stalled.url, good.url], timeout=0.5,
                progress=False, spec=FAKE.spec)
    assert stalled.sent[TRAIN_IMAGES + ".gz"] == stalled.TRICKLE_CHUNK
    # The client gave up after the first chunk: every file came from the good
    # mirror, none from the stalled one after its 30 s of silence.
    assert sorted(good.hits) == sorted(FAKE.gz)
    assert {p.name: p.read_bytes() for p in cache.iterdir()} == FAKE.idx


def test_a_trickle_faster_than_the_timeout_still_arrives(make_mirror, cache):
    slow = make_mirror(FAKE.gz)
    slow.trickle = {TEST_LABELS + ".gz": 0.05}
    fetch_mnist(cache, mirrors=[slow.url], timeout=2, progress=False,
                spec=FAKE.spec)
    assert (cache / TEST_LABELS).read_bytes() == FAKE.idx[TEST_LABELS]


def test_the_timeout_comes_from_the_argument_then_the_environment(monkeypatch):
    assert timeout_seconds() == 10.0
    monkeypatch.setenv("SCRATCHNET_TIMEOUT", "2.5")
    assert timeout_seconds() == 2.5 and timeout_seconds(7) == 7.0
    monkeypatch.setenv("SCRATCHNET_TIMEOUT", "soon")
    with pytest.raises(UsageError, match=r"\$SCRATCHNET_TIMEOUT must be a number "
                                         "of seconds, got 'soon'"):
        timeout_seconds()
    with pytest.raises(UsageError, match="timeout must be a number of seconds > 0"):
        timeout_seconds(0)


def test_the_environment_timeout_is_used_and_the_wait_is_announced(
        make_mirror, cache, monkeypatch, capfd):
    silent, good = make_mirror(FAKE.gz), make_mirror(FAKE.gz)
    silent.delay = {name: 30.0 for name in FAKE.gz}    # accepts, never answers
    monkeypatch.setenv("SCRATCHNET_TIMEOUT", "0.5")
    fetch_mnist(cache, mirrors=[silent.url, good.url], spec=FAKE.spec)
    err = capfd.readouterr().err
    assert f"trying mirror {silent.url} (waiting up to 0.5 s for each answer)" in err
    assert f"trying mirror {good.url}" in err
    assert len(silent.hits) == 1


# --- signals and permissions ---------------------------------------------------------

def test_sigterm_mid_download_exits_143_and_leaves_no_partial_file(
        make_mirror, tmp_path):
    mirror = make_mirror({TRAIN_IMAGES + ".gz": os.urandom(1 << 20)})
    mirror.trickle = {TRAIN_IMAGES + ".gz": 0.01}
    temp, cache = tmp_path / "tmp", tmp_path / "cache"
    temp.mkdir()
    env = dict(os.environ, TMPDIR=str(temp), SCRATCHNET_MNIST_MIRRORS=mirror.url)
    child = subprocess.Popen(
        [sys.executable, "-m", "scratchnet", "--data-dir", str(cache), "data",
         "fetch", "--quiet"], env=env, stdout=subprocess.PIPE,
        stderr=subprocess.PIPE, text=True)
    deadline = time.monotonic() + 60
    while mirror.sent.get(TRAIN_IMAGES + ".gz", 0) < 4096:
        assert time.monotonic() < deadline and child.poll() is None
        time.sleep(0.05)
    assert any(temp.rglob("*"))              # the partial download exists ...
    child.send_signal(signal.SIGTERM)
    _, err = child.communicate(timeout=60)
    assert child.returncode == 143
    assert err == "scratchnet: terminated\n"
    assert list(temp.rglob("*")) == []       # ... and is gone
    assert not cache.exists() or list(cache.iterdir()) == []


# --- every download bounded in total time and size ---------------------------------

def test_a_body_announced_larger_than_its_gzip_can_be_is_refused(make_mirror, cache):
    mirror = make_mirror(FAKE.gz)
    size = FAKE.spec.files[TEST_LABELS][0]
    mirror.files[TEST_LABELS + ".gz"] = bytes(sources.gz_limit(size) + 1)
    with pytest.raises(MNISTUnavailableError, match=r"announces [\d,]+ bytes, more "
                       r"than the [\d,]+ it can have"):
        fetch_mnist(cache, mirrors=[mirror.url], progress=False, spec=FAKE.spec)
    assert not (cache / TEST_LABELS).exists()


def test_a_download_stops_at_its_size_and_its_deadline(make_mirror):
    flood, slow = make_mirror(), make_mirror({"f.gz": bytes(100_000)})
    flood.flood = {"f.gz"}
    slow.trickle = {"f.gz": 0.2}          # 256 bytes every 0.2 s, forever-ish
    with pytest.raises(ChecksumError, match="sent more than the 10,000 bytes"):
        sources.download(flood.url + "f.gz", limit=10_000, seconds=30, timeout=5)
    assert flood.sent.get("f.gz", 0) < 10 << 20   # it stopped reading at the limit
    start = time.monotonic()
    with pytest.raises(TimeoutError, match=r"bytes in 0\.5 s, the most this file"):
        sources.download(slow.url + "f.gz", limit=200_000, seconds=0.5, timeout=5)
    assert time.monotonic() - start < 20    # not the 78 s the whole trickle takes
