"""What the site checks share: where the build is, its pages, the browser."""

from __future__ import annotations

import contextlib
import os
import shutil
from pathlib import Path

import pytest
import yaml

ROOT = Path(__file__).resolve().parents[2]
# SCRATCHNET_SITE checks another build, e.g. a chapter writer's own output
# directory (``jupyter-book build --path-output DIR`` puts it in DIR/_build/html).
SITE = Path(os.environ.get("SCRATCHNET_SITE") or ROOT / "_build" / "html")
SCREENSHOTS = ROOT / "_build" / "screenshots"
NO_BROWSER = ("no Chromium found: install Debian's `chromium` package (as root, "
              "`make browser` does) or set SCRATCHNET_BROWSER=/path/to/chrome")
BROWSER_FLAGS = [
    "--headless", "--no-sandbox", "--disable-gpu",
    "--disable-background-networking", "--disable-component-update",
    "--disable-sync", "--no-first-run",
]


def toc_files() -> list[str]:
    """Every document named in ``_toc.yml``, in reading order."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    files = [toc["root"]]

    def walk(entries: list[dict]) -> None:
        for entry in entries:
            if "file" in entry:
                files.append(entry["file"])
            walk(entry.get("sections", []))

    for part in toc.get("parts", [{"chapters": toc.get("chapters", [])}]):
        walk(part.get("chapters", []))
    return files


def find_browser() -> str | None:
    """Debian's chromium, or another Chromium-based browser on PATH."""
    explicit = os.environ.get("SCRATCHNET_BROWSER")
    if explicit:
        return explicit
    for name in ("chromium", "chromium-browser", "google-chrome", "chrome"):
        path = shutil.which(name)
        if path:
            return path
    return None


def built_page(site: Path, name: str) -> Path:
    """The built HTML of document ``name``: a failure if ``_toc.yml`` lists it
    but the build lacks it, a skip if this build leaves it out on purpose."""
    path = site / f"{name}.html"
    if not path.exists():
        if name in toc_files():
            pytest.fail(f"{name} is in _toc.yml but {path} was not built")
        pytest.skip(f"{name} is not in this build")
    return path


class BrowserTab:
    """A page open in its own browser context, as one reader would see it.

    It collects console errors, uncaught exceptions, failed responses and
    every request, and waits only for named states, each for at most
    ``WAIT_MS``: a page that hangs fails in seconds, saying what never came.
    """

    WAIT_MS = 10_000

    def __init__(self, browser, url: str, **context: object) -> None:
        self.context = browser.new_context(**context)
        self.context.set_default_timeout(self.WAIT_MS)
        self.page = self.context.new_page()
        self.errors = watch_errors(self.page)
        self.requests: list[str] = []
        self.page.on("request", lambda r: self.requests.append(r.url))
        self.page.goto(url, wait_until="load")

    def close(self) -> None:
        self.context.close()


def tab_fixture(reader: type[BrowserTab], name: str):
    """A fixture giving each test a fresh ``reader`` tab on document ``name``.

    The module defines ``reader = tab_fixture(Reader, NAME)`` and a
    ``page_path`` fixture (which skips or fails when the page was not built).
    """

    @pytest.fixture
    def tab(browser, server: str, page_path: Path):
        opened = reader(browser, f"{server}/{name}.html")
        yield opened
        opened.close()

    return tab


def typeset_tab(browser, url: str, **context: object) -> BrowserTab:
    """A tab at ``url`` once MathJax has typeset every formula: the layout a
    reader sees (a formula is wider typeset than as its TeX source)."""
    tab = BrowserTab(browser, url, **context)
    page = tab.page
    # MathJax v3 resolves startup.promise when its first typesetting is done.
    page.wait_for_function("() => window.MathJax === undefined || "
                           "(window.MathJax.startup && window.MathJax.startup.promise)")
    page.evaluate("() => window.MathJax && window.MathJax.startup.promise")
    return tab


def watch_errors(page) -> list[str]:
    """A list that fills with the tab's console errors, uncaught exceptions
    and failed requests, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400
            and errors.append(f"HTTP {r.status} for {r.url}"))
    return errors


def chapter_files() -> list[str]:
    """The chapters: every document of ``_toc.yml`` but the preface (its
    root) and the appendix (notation, glossary, API, references)."""
    toc = yaml.safe_load((ROOT / "_toc.yml").read_text())
    appendix = {entry["file"] for part in toc.get("parts", [])
                if part.get("caption") == "Appendix"
                for entry in part.get("chapters", [])}
    return [name for name in toc_files()[1:] if name not in appendix]


PHONE = {"viewport": {"width": 390, "height": 844}, "is_mobile": True,
         "has_touch": True}
# The same phone with its pixel density, for screenshots as sharp as its screen.
SHARP_PHONE = {**PHONE, "device_scale_factor": 2}


@contextlib.contextmanager
def phone_page(browser, url: str):
    """``url`` open in a 390x844 touch screen, as on a phone."""
    tab = BrowserTab(browser, url, **PHONE)
    try:
        yield tab.page
    finally:
        tab.close()


def page_width(page) -> int:
    """How wide the page's content is: more than the screen scrolls sideways."""
    return page.evaluate("document.documentElement.scrollWidth")
