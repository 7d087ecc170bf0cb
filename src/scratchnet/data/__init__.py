"""MNIST for scratchnet: fetch, verify, cache, parse IDX, load.

    >>> from scratchnet import data
    >>> (x_train, y_train), (x_test, y_test) = data.load_mnist()

See `mnist` for the loader, `idx` for the file format, `sources` for where
the bytes come from and `cache` for where they are kept.
"""

from .cache import (
    atomic_write_bytes,
    cache_dir,
    check_writable,
    move_aside,
    sha256,
)
from .errors import ChecksumError, IDXFormatError, MNISTUnavailableError
from .idx import encode_idx, read_idx
from .mnist import (
    MNIST_FILES,
    MNIST_GZ_MD5,
    MNIST_SPEC,
    MNISTSpec,
    fetch_mnist,
    load_mnist,
    mnist_info,
    preprocess,
    train_val_split,
)
from .sources import DEFAULT_MIRRORS, DEFAULT_TIMEOUT

__all__ = [
    "DEFAULT_MIRRORS",
    "DEFAULT_TIMEOUT",
    "MNIST_FILES",
    "MNIST_GZ_MD5",
    "MNIST_SPEC",
    "ChecksumError",
    "IDXFormatError",
    "MNISTSpec",
    "MNISTUnavailableError",
    "atomic_write_bytes",
    "cache_dir",
    "check_writable",
    "encode_idx",
    "fetch_mnist",
    "load_mnist",
    "mnist_info",
    "move_aside",
    "preprocess",
    "read_idx",
    "sha256",
    "train_val_split",
]
