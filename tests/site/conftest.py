"""Fixtures for checks of the built book in ``_build/html``.

The site tests run after ``make book``. Without a build, or without a
browser for the tests that drive one, they are skipped with one line that
says how to enable them. ``make site-test`` sets ``SCRATCHNET_REQUIRE_SITE=1``:
there a missing build or browser is a failure; so is a missing browser
wherever ``CI`` is set.
"""

from __future__ import annotations

import functools
import http.server
import os
import threading
from collections.abc import Iterator
from pathlib import Path

import pytest
from site_helpers import BROWSER_FLAGS, NO_BROWSER, SITE, find_browser, toc_files


def site_required() -> bool:
    return os.environ.get("SCRATCHNET_REQUIRE_SITE") == "1"


def browser_required() -> bool:
    return site_required() or bool(os.environ.get("CI"))


@pytest.fixture(scope="session")
def site() -> Path:
    if not (SITE / "index.html").exists():
        if site_required():
            pytest.fail(f"no built book in {SITE}: run `make book` first")
        pytest.skip("the book is not built; `make book` then `make site-test`")
    return SITE


@pytest.fixture(scope="session")
def pages(site: Path) -> list[Path]:
    return [site / f"{name}.html" for name in toc_files()]


@pytest.fixture(scope="session")
def server(site: Path) -> Iterator[str]:
    """Serve the built site on 127.0.0.1, as GitHub Pages would serve it."""
    handler = functools.partial(_QuietHandler, directory=str(site))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}"
    httpd.shutdown()
    httpd.server_close()


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.fixture(scope="session")
def browser(site: Path):
    executable = find_browser()
    if executable is None:
        if browser_required():
            pytest.fail(NO_BROWSER)
        pytest.skip(NO_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        yield b
        b.close()
