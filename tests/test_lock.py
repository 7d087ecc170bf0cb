"""The lock files pin, with hashes, every package that make installs.

``requirements.lock`` must satisfy every range in ``pyproject.toml`` (the
package's own and those of the test, book, lint and Lab extras), and
``requirements-bench.lock`` the bench extra's, at the same versions where
they overlap: a range changed without ``make lock`` fails here, not in a
reader's install. Each pin carries at least one SHA-256, which pip's
``--require-hashes`` (the Makefile's install) checks.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement
from packaging.utils import canonicalize_name
from packaging.version import Version

ROOT = Path(__file__).resolve().parents[1]
PYPROJECT = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
LOCKED_EXTRAS = ["test", "book", "lint", "lab"]
PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==(\S+?)(?: \\)?$", flags=re.M)


def pins(name: str) -> dict[str, str]:
    return {canonicalize_name(n): v for n, v in PIN.findall((ROOT / name).read_text())}


def entries(name: str) -> list[str]:
    """Each pinned requirement of a lock file with its option lines."""
    text = (ROOT / name).read_text()
    return re.split(r"\n(?=[A-Za-z0-9])", text[PIN.search(text).start():])


def required(extras: list[str], base: bool) -> list[Requirement]:
    lines = list(PYPROJECT["dependencies"]) if base else []
    for extra in extras:
        lines += PYPROJECT["optional-dependencies"][extra]
    return [Requirement(line) for line in lines]


@pytest.mark.parametrize(("lock", "extras", "base"), [
    ("requirements.lock", LOCKED_EXTRAS, True),
    ("requirements-bench.lock", ["bench"], True),
])
def test_the_lock_satisfies_every_range(lock: str, extras: list[str],
                                        base: bool) -> None:
    pinned = pins(lock)
    for req in required(extras, base):
        name = canonicalize_name(req.name)
        assert name in pinned, f"{lock} does not pin {req.name}: run make lock"
        assert req.specifier.contains(Version(pinned[name]), prereleases=True), (
            f"{lock}: {req.name}=={pinned[name]} is outside {req}: run make lock")


@pytest.mark.parametrize("lock", ["requirements.lock", "requirements-bench.lock"])
def test_every_pin_carries_a_sha256(lock: str) -> None:
    for entry in entries(lock):
        assert re.search(r"--hash=sha256:[0-9a-f]{64}", entry), entry.splitlines()[0]


def test_the_two_locks_agree() -> None:
    main, bench = pins("requirements.lock"), pins("requirements-bench.lock")
    differ = {n: (main[n], bench[n]) for n in main.keys() & bench.keys()
              if main[n] != bench[n]}
    assert not differ


def test_make_installs_from_the_lock_by_default() -> None:
    makefile = (ROOT / "Makefile").read_text()
    assert "LOCKED ?= yes" in makefile
    assert "--require-hashes -r $(LOCK)" in makefile
    assert "--require-hashes -r $(BENCH_LOCK)" in makefile
