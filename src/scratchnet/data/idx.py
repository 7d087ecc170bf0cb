"""The IDX file format that MNIST is published in.

An IDX file is a 4-byte magic number, one big-endian uint32 per dimension,
then the array in C order, big-endian::

    0x00 0x00 <dtype code> <ndim>   dim_0 ... dim_{ndim-1}   data

For MNIST the dtype is uint8: images are (n, 28, 28), labels are (n,).
"""

from __future__ import annotations

import math
import os

import numpy as np

from .errors import IDXFormatError

# dtype code -> big-endian NumPy dtype, as in the format's definition.
DTYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
CODES: dict[str, int] = {dt.str[1:]: code for code, dt in DTYPES.items()}
GZIP_MAGIC = b"\x1f\x8b"
GZIP_HINT = "gzip data: decompress it first, e.g. with gunzip"


def _codes_text() -> str:
    return ", ".join(f"0x{c:02X} ({dt.name})" for c, dt in DTYPES.items())


def read_idx(
    source: str | os.PathLike[str] | bytes | bytearray | memoryview,
    *,
    ndim: int | None = None,
) -> np.ndarray:
    """Parse an IDX file (given by path or as bytes) into a native-endian array.

    `ndim`, if given, is the number of dimensions the caller expects (3 for
    MNIST images, 1 for labels); any other count raises `IDXFormatError`.
    The result is writeable; reading from a path costs no copy for uint8.
    """
    if isinstance(source, (bytes, bytearray, memoryview)):
        buf, name = source, "<bytes>"
    else:
        name = str(source)
        with open(source, "rb") as f:
            buf = bytearray(os.fstat(f.fileno()).st_size)
            f.readinto(buf)
    n = len(buf)
    if bytes(buf[:2]) == GZIP_MAGIC:  # before any size check: it explains them all
        raise IDXFormatError(f"{name}: this is {GZIP_HINT}")
    if n < 4:
        raise IDXFormatError(
            f"{name}: expected an IDX header of at least 4 bytes, found {n} byte(s)"
            + (" (empty file)" if n == 0 else "")
        )
    head = bytes(buf[:4])
    if head[:2] != b"\0\0":
        raise IDXFormatError(
            f"{name}: bad magic number: expected first two bytes 0x00 0x00, "
            f"found 0x{head[0]:02X} 0x{head[1]:02X}"
        )
    code, nd = head[2], head[3]
    if code not in DTYPES:
        raise IDXFormatError(
            f"{name}: unsupported dtype code: expected one of {_codes_text()}, "
            f"found 0x{code:02X}"
        )
    if nd == 0 or (ndim is not None and nd != ndim):
        want = f"{ndim}" if ndim is not None else "at least 1"
        raise IDXFormatError(
            f"{name}: expected {want} dimension(s), header declares {nd}"
        )
    header = 4 + 4 * nd
    if n < header:
        raise IDXFormatError(
            f"{name}: header declares {nd} dimension(s), so it needs {header} "
            f"bytes, but the file has {n}"
        )
    shape = tuple(int(d) for d in np.frombuffer(buf, ">u4", nd, offset=4))
    dtype = DTYPES[code]
    need = math.prod(shape) * dtype.itemsize
    have = n - header
    if have != need:
        what = "truncated" if have < need else f"{have - need} trailing byte(s)"
        raise IDXFormatError(
            f"{name}: header shape {shape} needs {need} payload bytes, "
            f"found {have} ({what})"
        )
    arr = np.frombuffer(buf, dtype, offset=header).reshape(shape)
    native = dtype.newbyteorder("=")
    if arr.dtype != native or not arr.flags.writeable:
        arr = arr.astype(native)  # byte swap, or copy out of immutable bytes
    return arr


def encode_idx(array: np.ndarray) -> bytes:
    """The IDX bytes of `array` (dtype one of the six IDX types, ndim 1..255)."""
    a = np.asarray(array)
    code = CODES.get(a.dtype.str[1:])
    if code is None:
        raise IDXFormatError(
            f"cannot write dtype {a.dtype} as IDX: expected one of {_codes_text()}"
        )
    if not 1 <= a.ndim <= 255 or any(d >= 2**32 for d in a.shape):
        raise IDXFormatError(
            f"cannot write shape {a.shape} as IDX: expected 1 to 255 dimensions, "
            "each below 2**32"
        )
    header = bytes([0, 0, code, a.ndim]) + np.array(a.shape, ">u4").tobytes()
    return header + a.astype(DTYPES[code], copy=False).tobytes(order="C")
