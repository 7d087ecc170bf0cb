"""A chapter opened, run and read in a real Jupyter Lab, driven in Chromium.

``make lab`` promises that a double-click opens a chapter as a notebook
whose prose renders and whose cells run and draw their figures. Each piece
can break on its own: jupytext's JupyterLab extension once failed to load
in the pinned JupyterLab (the chapter then opened as plain text), and the
default viewer that makes a double-click open a notebook lives in
``book/_lab``. This test does what a reader does, with the project's own
settings, in a user-settings and workspace folder of its own.

It needs the ``lab`` extra and a Chromium; without them it skips, except
under ``make lab-test`` (``SCRATCHNET_REQUIRE_LAB=1``), where it fails.
"""

from __future__ import annotations

import importlib.util
import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import jupytext
import pytest

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT / "tests"))
sys.path.insert(0, str(ROOT / "tests" / "site"))
from notebook_figures import figure_cells  # noqa: E402
from site_helpers import BROWSER_FLAGS, NO_BROWSER, SCREENSHOTS, find_browser  # noqa: E402

CHAPTER = "softmax"          # a chapter that runs in seconds and draws a figure
RUN_SECONDS = 180


def need(what: str) -> None:
    if os.environ.get("SCRATCHNET_REQUIRE_LAB") == "1":
        pytest.fail(what)
    pytest.skip(what)


@pytest.fixture(scope="module")
def lab(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A Jupyter Lab serving ``book/`` with the settings ``make lab`` uses."""
    for module in ("jupyterlab", "jupytext", "jupyterlab_myst"):
        if importlib.util.find_spec(module) is None:
            need(f"{module} is not installed: `make lab-test` installs the lab extra")
    home = tmp_path_factory.mktemp("lab")
    # Every cell in the page, not only those in view, so that all are checked.
    tracker = home / "settings" / "@jupyterlab" / "notebook-extension"
    tracker.mkdir(parents=True)
    (tracker / "tracker.jupyterlab-settings").write_text('{"windowingMode": "none"}')
    # Running the cells makes the notebook "changed": it must not be saved
    # over the chapter's source.
    docmanager = home / "settings" / "@jupyterlab" / "docmanager-extension"
    docmanager.mkdir(parents=True)
    (docmanager / "plugin.jupyterlab-settings").write_text('{"autosave": false}')
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {k: v for k, v in os.environ.items() if k != "SCRATCHNET_BOOK_BUILD"}
    env["JUPYTER_CONFIG_PATH"] = str(ROOT / "book" / "_lab")
    command = [sys.executable, "-m", "jupyterlab", "--no-browser",
               f"--port={port}", "--ServerApp.ip=127.0.0.1",
               "--ServerApp.token=", "--ServerApp.password=",
               f"--ServerApp.root_dir={ROOT / 'book'}",
               f"--LabApp.user_settings_dir={home / 'settings'}",
               f"--LabApp.workspaces_dir={home / 'workspaces'}"]
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        command.append("--allow-root")
    log = (home / "server.log").open("w")
    server = subprocess.Popen(command, env=env, stdout=log, stderr=subprocess.STDOUT)
    url = f"http://127.0.0.1:{port}"
    try:
        for _ in range(120):
            try:
                urllib.request.urlopen(f"{url}/api/status", timeout=2)
                break
            except OSError:
                if server.poll() is not None:
                    log.flush()
                    pytest.fail("jupyter lab exited: "
                                + (home / "server.log").read_text())
                time.sleep(0.5)
        else:
            pytest.fail("jupyter lab did not answer within 60 s")
        yield url
    finally:
        server.terminate()
        try:
            server.wait(timeout=15)
        except subprocess.TimeoutExpired:    # a kernel still shutting down
            server.kill()
            server.wait()
        log.close()


@pytest.fixture(scope="module")
def tab(lab: str) -> Iterator:
    executable = find_browser()
    if executable is None:
        need(NO_BROWSER)
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        page = browser.new_page(viewport={"width": 1400, "height": 1000})
        page.set_default_timeout(60_000)
        page.errors = []  # type: ignore[attr-defined]
        page.on("console", lambda m: m.type == "error" and page.errors.append(m.text))
        page.goto(f"{lab}/lab", wait_until="domcontentloaded")
        item = page.locator(".jp-DirListing-itemText", has_text=f"{CHAPTER}.md")
        item.dblclick()
        yield page
        browser.close()


def run_all(page) -> None:
    page.get_by_text("| Idle").first.wait_for()         # the kernel is up
    page.locator(".lm-MenuBar-itemLabel", has_text="Run").first.click()
    page.locator(".lm-Menu-itemLabel", has_text="Run All Cells").first.click()
    deadline = time.monotonic() + RUN_SECONDS
    while time.monotonic() < deadline:
        prompts = page.locator(".jp-CodeCell .jp-InputPrompt").all_inner_texts()
        if prompts and all(p.strip()[1:-2].isdigit() for p in prompts):
            return
        time.sleep(1)
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"lab-{CHAPTER}-not-run.png"))
    pytest.fail(f"{CHAPTER}: cells still not run after {RUN_SECONDS} s: {prompts}")


def test_a_double_click_opens_the_chapter_as_a_notebook(tab) -> None:
    tab.locator(".jp-Notebook, .jp-FileEditor").first.wait_for()
    assert not tab.locator(".jp-FileEditor").count(), (
        f"{CHAPTER}.md opened as plain text, not as a notebook")
    broken = [e for e in tab.errors if "jupytext" in e or "shared module" in e]
    assert not broken, f"an extension failed to load: {broken}"


def test_every_cell_runs_and_draws_its_figures(tab) -> None:
    source = (ROOT / "book" / f"{CHAPTER}.md").read_bytes()
    run_all(tab)
    outputs = tab.locator(".jp-OutputArea-output").all_inner_texts()
    failed = [o[:200] for o in outputs
              if "Traceback" in o or "No renderer could be found" in o]
    assert not failed, f"{CHAPTER}: {failed}"
    nb = jupytext.read(ROOT / "book" / f"{CHAPTER}.md")
    images = tab.locator(".jp-OutputArea-output img").count()
    assert images == len(figure_cells(nb)), (
        f"{CHAPTER}: {images} images for {len(figure_cells(nb))} figures")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    tab.screenshot(path=str(SCREENSHOTS / f"lab-{CHAPTER}.png"))
    assert (ROOT / "book" / f"{CHAPTER}.md").read_bytes() == source, (
        "the chapter's source was rewritten")


def test_the_prose_renders_as_myst(tab) -> None:
    """After the run (the test above), every Markdown cell is shown rendered:
    math, roles and directives, not their source, and no directive that
    jupyterlab-myst does not know (it draws an "Unknown Directive" box)."""
    raw = []
    for cell in tab.locator(".jp-MarkdownCell").all():
        cell.scroll_into_view_if_needed()
        text = cell.inner_text()
        if ("```" in text or "{glue:text}`" in text or "{eq}`" in text
                or "Unknown Directive" in text):
            raw.append(text[:80])
    assert not raw, f"MyST shown as source: {raw}"
