"""Tests marked ``mnist`` need the real files; without them they skip, with a reason.

``make test`` fetches the data first, so a reader with a network runs them.
Offline, with an empty cache, one line says how to enable them instead of a
page of fetch errors. CI sets ``SCRATCHNET_REQUIRE_MNIST=1``: there a missing
cache is fetched by the tests themselves, and any failure to get it fails.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest

from scratchnet.data import mnist_info

REQUIRE_MNIST = "SCRATCHNET_REQUIRE_MNIST"

pytest_plugins = ["data_server"]   # its fixtures: make_mirror, hermetic, cache


def pytest_collection_modifyitems(config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    marked = [item for item in items if item.get_closest_marker("mnist")]
    if not marked or os.environ.get(REQUIRE_MNIST) == "1":
        return
    info = mnist_info()
    if info["complete"]:
        return
    skip = pytest.mark.skip(
        reason=f"MNIST is not in {info['directory']}: run `make data` "
               f"(or set {REQUIRE_MNIST}=1 to fetch it during the tests)")
    for item in marked:
        item.add_marker(skip)


@pytest.fixture(scope="module")
def torch() -> Any:
    """PyTorch, the oracle of the autograd and attention tests.

    Without it those tests skip; under ``SCRATCHNET_REQUIRE_TORCH=1`` (as
    ``.ci/run`` sets) a missing torch fails them instead.
    """
    if os.environ.get("SCRATCHNET_REQUIRE_TORCH") == "1":
        import torch  # CI: a missing oracle is a failure
        return torch
    return pytest.importorskip("torch", reason="the oracle needs torch: "
                               "pip install -e '.[bench]'")


def writable(directory: Path) -> bool:
    try:
        fd = os.open(directory / ".probe", os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except OSError:
        return False
    os.close(fd)
    os.unlink(directory / ".probe")
    return True


@pytest.fixture
def read_only(tmp_path) -> Path:
    """A directory this process cannot create files in.

    Mode 0555 stops everyone but root; root (as in CI containers) is stopped
    by sysfs, which refuses new files to anyone.
    """
    ro = tmp_path / "read-only"
    ro.mkdir()
    ro.chmod(0o555)
    for candidate in (ro, Path("/sys")):
        if candidate.is_dir() and not writable(candidate):
            return candidate
    pytest.skip("no directory here refuses new files to this user")
