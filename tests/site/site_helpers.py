"""What the site checks share: where the build is, its pages, the browser."""

from __future__ import annotations

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


def watch_errors(page) -> list[str]:
    """A list that fills with the tab's console errors, uncaught exceptions
    and failed requests, as they happen."""
    errors: list[str] = []
    page.on("console", lambda m: m.type == "error" and errors.append(m.text))
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    page.on("response", lambda r: r.status >= 400
            and errors.append(f"HTTP {r.status} for {r.url}"))
    return errors
