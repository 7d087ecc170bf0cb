"""The IDX format: what is written reads back, and bad bytes say what is wrong."""

from __future__ import annotations

import gzip

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from scratchnet.data import IDXFormatError, encode_idx, read_idx


def header(code: int, *dims: int) -> bytes:
    return bytes([0, 0, code, len(dims)]) + b"".join(d.to_bytes(4, "big") for d in dims)


uint8_arrays = hnp.arrays(
    np.uint8,
    st.one_of(hnp.array_shapes(min_dims=1, max_dims=1, min_side=0, max_side=300),
              hnp.array_shapes(min_dims=3, max_dims=3, min_side=0, max_side=12)),
)


@settings(max_examples=60, deadline=None)
@given(uint8_arrays)
def test_uint8_arrays_round_trip_through_bytes(a):
    b = read_idx(encode_idx(a))
    assert b.dtype == np.uint8 and b.shape == a.shape
    np.testing.assert_array_equal(b, a)


@settings(max_examples=20, deadline=None)
@given(uint8_arrays)
def test_uint8_arrays_round_trip_through_a_file(tmp_path_factory, a):
    path = tmp_path_factory.mktemp("idx") / "a-idx-ubyte"
    path.write_bytes(encode_idx(a))
    assert path.stat().st_size == 4 + 4 * a.ndim + a.size
    np.testing.assert_array_equal(read_idx(path), a)


@pytest.mark.parametrize("dtype", ["u1", "i1", "<i2", ">i4", "<f4", "<f8"])
def test_every_idx_dtype_round_trips_and_is_stored_big_endian(dtype):
    a = np.array([[-2, 0, 1], [3, 100, 7]]).astype(dtype)
    data = encode_idx(a)
    big = np.dtype(dtype).newbyteorder(">")
    assert data[8 + 4:] == a.astype(big).tobytes()
    b = read_idx(data)
    assert b.dtype.isnative and b.dtype.kind == a.dtype.kind
    np.testing.assert_array_equal(b, a)


def test_header_matches_the_published_layout():
    a = np.zeros((2, 28, 28), np.uint8)
    assert encode_idx(a)[:16] == bytes.fromhex("00000803 00000002 0000001c 0000001c")


def test_arrays_read_from_a_file_are_writeable(tmp_path):
    (tmp_path / "x").write_bytes(encode_idx(np.arange(10, dtype=np.uint8)))
    x = read_idx(tmp_path / "x")
    x[0] = 255  # learners edit images in place; a read-only array would surprise
    assert x[0] == 255
    assert read_idx(bytes(encode_idx(x))).flags.writeable


def test_empty_file_is_rejected(tmp_path):
    (tmp_path / "empty").write_bytes(b"")
    with pytest.raises(IDXFormatError, match=r"at least 4 bytes, found 0 .*empty"):
        read_idx(tmp_path / "empty")


def test_file_shorter_than_the_magic_number_is_rejected():
    with pytest.raises(IDXFormatError, match="at least 4 bytes, found 3"):
        read_idx(b"\0\0\x08")


def test_file_shorter_than_its_declared_header_is_rejected():
    data = header(0x08, 60000, 28, 28)[:10]
    with pytest.raises(IDXFormatError, match="3 dimension.* needs 16 bytes.* has 10"):
        read_idx(data)


def test_bad_magic_number_is_rejected_naming_both_bytes():
    with pytest.raises(IDXFormatError,
                       match="expected first two bytes 0x00 0x00, found 0x12 0x34"):
        read_idx(b"\x12\x34\x08\x01" + bytes(8))


@pytest.mark.parametrize("keep", [2, 10, None])
def test_gzipped_file_is_recognised_before_any_size_check(keep, tmp_path):
    data = gzip.compress(encode_idx(np.arange(5, dtype=np.uint8)))[:keep]
    path = tmp_path / "t10k-labels-idx1-ubyte"
    path.write_bytes(data)
    with pytest.raises(IDXFormatError, match="gzip data: decompress it first"):
        read_idx(path)


def test_unsupported_dtype_code_is_rejected_listing_the_valid_codes():
    with pytest.raises(IDXFormatError, match=r"expected one of 0x08 \(uint8\).*"
                                             r"found 0x07"):
        read_idx(header(0x07, 3) + bytes(3))


def test_wrong_number_of_dimensions_is_rejected():
    labels = encode_idx(np.arange(10, dtype=np.uint8))
    with pytest.raises(IDXFormatError,
                       match="expected 3 dimension.*header declares 1"):
        read_idx(labels, ndim=3)


def test_zero_dimensions_are_rejected():
    with pytest.raises(IDXFormatError, match="at least 1 dimension.*declares 0"):
        read_idx(header(0x08))


def test_truncated_payload_is_rejected():
    data = encode_idx(np.zeros((3, 28, 28), np.uint8))[:-1]
    with pytest.raises(IDXFormatError,
                       match=r"\(3, 28, 28\) needs 2352 .*found 2351 \(truncated\)"):
        read_idx(data)


def test_trailing_bytes_are_rejected():
    data = encode_idx(np.zeros(10, np.uint8)) + b"\0\0"
    with pytest.raises(IDXFormatError, match=r"needs 10 .*found 12 \(2 trailing"):
        read_idx(data)


def test_error_names_the_file(tmp_path):
    path = tmp_path / "train-labels-idx1-ubyte"
    path.write_bytes(b"junk")
    with pytest.raises(IDXFormatError, match="train-labels-idx1-ubyte"):
        read_idx(path)


@pytest.mark.parametrize("a", [np.zeros(3, np.int64), np.zeros(3, bool),
                               np.zeros((), np.uint8)], ids=["int64", "bool", "0-d"])
def test_arrays_idx_cannot_hold_are_refused_on_write(a):
    with pytest.raises(IDXFormatError, match="cannot write .* expected"):
        encode_idx(a)
