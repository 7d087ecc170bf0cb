"""The first cell of a downloaded notebook accepts only this book's scratchnet.

Each case runs the cell, as the build writes it, in a Python that sees no
site-packages (``-S``) but a folder of made-up installed distributions: the
book's (``scratchnet-book``), an unrelated project that took the name
``scratchnet`` on the package index, or none. Where none is installed, the
cell fetches the edition's wheel from a local server, and must refuse one
whose SHA-256 is not the one it carries, or stop at once when the site
cannot be reached. The site tests run a real notebook end to end.
"""

from __future__ import annotations

import hashlib
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "book"))
from notebook_download import Edition, install_cell  # noqa: E402
from pdf import serve  # noqa: E402

EDITION = "0.1.0"
WHEEL = f"scratchnet_book-{EDITION}-py3-none-any.whl"
WHEEL_BYTES = b"not really a wheel"


def edition(site: str, sha256: str = hashlib.sha256(WHEEL_BYTES).hexdigest()) -> Edition:
    return Edition(wheel=WHEEL, version=EDITION, sha256=sha256, site=site,
                   repository="https://example.org/scratchnet")


def installed(folder: Path, dist: str, version: str) -> None:
    """A made-up installed distribution ``dist`` providing ``scratchnet``."""
    (folder / "scratchnet").mkdir(exist_ok=True)
    (folder / "scratchnet" / "__init__.py").write_text("")
    info = folder / f"{dist.replace('-', '_')}-{version}.dist-info"
    info.mkdir()
    (info / "METADATA").write_text(
        f"Metadata-Version: 2.1\nName: {dist}\nVersion: {version}\n")
    (info / "top_level.txt").write_text("scratchnet\n")


def run_cell(cell: str, path: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-S", "-c", cell], cwd=path,
                          env={"PYTHONPATH": str(path)}, capture_output=True,
                          text=True, timeout=60, check=False)


@pytest.fixture
def server(tmp_path: Path) -> Iterator[str]:
    """Serves a file named like the wheel, whose digest the cell may carry."""
    served = tmp_path / "served" / "_static"
    served.mkdir(parents=True)
    (served / WHEEL).write_bytes(WHEEL_BYTES)
    with serve(served.parent) as url:
        yield url


def stop_message(done: subprocess.CompletedProcess[str]) -> str:
    assert done.returncode != 0, done.stdout
    last = done.stderr.strip().splitlines()[-1]
    assert last.startswith("Stop: "), done.stderr
    assert "Two ways that work" in last and WHEEL in last and "clone" in last
    return last


def test_the_books_scratchnet_passes(tmp_path: Path) -> None:
    installed(tmp_path, "scratchnet-book", EDITION)
    done = run_cell(install_cell(edition("http://127.0.0.1:9/")), tmp_path)
    assert done.returncode == 0, done.stderr
    assert "installing" not in done.stdout        # nothing fetched


def test_a_newer_patch_release_passes(tmp_path: Path) -> None:
    installed(tmp_path, "scratchnet-book", "0.1.7")
    assert run_cell(install_cell(edition("http://127.0.0.1:9/")),
                    tmp_path).returncode == 0


@pytest.mark.parametrize("version", ["0.0.9", "0.2.0", "1.1.0"])
def test_an_incompatible_version_stops(tmp_path: Path, version: str) -> None:
    installed(tmp_path, "scratchnet-book", version)
    message = stop_message(run_cell(install_cell(edition("http://127.0.0.1:9/")),
                                    tmp_path))
    assert f"needs scratchnet {EDITION}" in message and version in message


def test_the_unrelated_scratchnet_of_the_package_index_stops(tmp_path: Path) -> None:
    installed(tmp_path, "scratchnet", "0.1.0")
    message = stop_message(run_cell(install_cell(edition("http://127.0.0.1:9/")),
                                    tmp_path))
    assert "another project" in message and "pip uninstall -y scratchnet" in message


def test_an_unreachable_site_stops_at_once(tmp_path: Path) -> None:
    message = stop_message(run_cell(install_cell(edition("http://127.0.0.1:9/")),
                                    tmp_path))
    assert "Could not fetch http://127.0.0.1:9/_static/" + WHEEL in message


def test_a_wheel_with_another_digest_is_not_installed(tmp_path: Path,
                                                      server: str) -> None:
    cell = install_cell(edition(server, sha256="0" * 64))
    message = stop_message(run_cell(cell, tmp_path))
    assert "SHA-256 differs" in message


def test_the_right_digest_goes_on_to_pip(tmp_path: Path, server: str) -> None:
    """With the digest it carries, the cell hands the file to pip (which
    refuses this made-up one: the message says so, and what works)."""
    message = stop_message(run_cell(install_cell(edition(server)), tmp_path))
    assert "pip could not install " + WHEEL in message


def test_the_books_scratchnet_beside_stale_metadata_passes(tmp_path: Path) -> None:
    """A checkout that was installed under the package's former name keeps
    a ``scratchnet.egg-info`` beside the book's own metadata: the code is
    the book's, so the cell goes on."""
    installed(tmp_path, "scratchnet-book", EDITION)
    installed(tmp_path, "scratchnet", "0.1.0")
    assert run_cell(install_cell(edition("http://127.0.0.1:9/")),
                    tmp_path).returncode == 0
