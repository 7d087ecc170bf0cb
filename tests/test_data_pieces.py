"""The pieces behind ``fetch_mnist``, each named: checksums, the pickle's
conversion to IDX, and both sources called directly on a loopback server
(``test_data_fetch.py`` drives them through ``fetch_mnist``)."""

from __future__ import annotations

import hashlib

import numpy as np
import pytest

from scratchnet.data.cache import verify_bytes
from scratchnet.data.errors import ChecksumError
from scratchnet.data.idx import read_idx
from scratchnet.data.sources import pickle_to_idx


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
