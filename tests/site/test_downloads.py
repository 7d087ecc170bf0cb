"""Every chapter's download button gives a notebook that works on its own.

The downloaded ``.ipynb`` holds every figure of its page (the same count of
images as the page has figures, one per figure cell), and its first cell
installs ``scratchnet`` from the wheel the site ships, checked against the
SHA-256 it carries. The slow test runs one downloaded notebook in a fresh
virtual environment that has only Jupyter, as a reader would: while the site
cannot be reached, its first cell stops at once with a message that says
what works; served, it installs the very wheel the site ships, and then the
chapter runs through and draws its figures.
"""

from __future__ import annotations

import functools
import http.server
import os
import re
import shutil
import subprocess
import sys
import threading
import zipfile
from pathlib import Path

import nbformat
import pytest
from site_helpers import ROOT, toc_files

sys.path.insert(0, str(ROOT / "book" / "_ext"))
sys.path.insert(0, str(ROOT / "tests"))
from notebook_download import edition
from notebook_figures import figure_cells, images_per_cell, page_figures

pytestmark = pytest.mark.site

NOTEBOOK_PAGES = [name for name in toc_files()
                  if "kernelspec:" in (ROOT / f"{name}.md").read_text()[:500]]
# A cheap chapter with figures, run end to end in the fresh environment.
RUN_IN_FRESH_JUPYTER = "book/activations"


def downloaded_notebook(site: Path, name: str) -> Path:
    """The file behind the page's ``.ipynb`` download button."""
    page = site / f"{name}.html"
    links = set(re.findall(r'href="([^"]+\.ipynb)"', page.read_text("utf-8")))
    assert len(links) == 1, f"{name}: notebook download links {links}"
    return (page.parent / links.pop()).resolve()


def shipped_wheel(site: Path) -> Path:
    wheels = list((site / "_static").glob("scratchnet_book-*.whl"))
    assert len(wheels) == 1, f"wheels in the site's _static: {wheels}"
    return wheels[0]


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_download_holds_every_figure_of_its_page(site: Path, name: str) -> None:
    nb = nbformat.read(downloaded_notebook(site, name), as_version=4)
    figures = page_figures((site / f"{name}.html").read_text("utf-8"))
    assert images_per_cell(nb) == {i: 1 for i in figure_cells(nb)}
    assert sum(images_per_cell(nb).values()) == figures


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_download_shows_every_number_its_page_quotes(site: Path, name: str) -> None:
    """Glue records become ``name: value`` lines a notebook reader can see,
    in the cell that made them; no record that Jupyter cannot draw is left."""
    nb = nbformat.read(downloaded_notebook(site, name), as_version=4)
    glued = set(re.findall(r'glue\(\s*f?"([\w{}]+)"', (ROOT / f"{name}.md").read_text()))
    outputs = [out for cell in nb.cells if cell.cell_type == "code"
               for out in cell.outputs]
    assert not [out for out in outputs if "scrapbook" in out.get("metadata", {})]
    lines = "".join(out.get("text", "") for out in outputs
                    if out.get("output_type") == "stream")
    shown = set(re.findall(r"^([\w]+): ", lines, flags=re.M))
    missing = {key for key in glued if "{" not in key} - shown
    assert not missing, f"{name}: glued but not shown in the download: {missing}"


@pytest.mark.parametrize("name", NOTEBOOK_PAGES)
def test_download_first_installs_the_shipped_wheel(site: Path, name: str) -> None:
    book = edition(shipped_wheel(site))
    first = nbformat.read(downloaded_notebook(site, name), as_version=4).cells[0]
    assert first.cell_type == "code"
    assert f'WHEEL = "{book.url}"' in first.source
    assert f'SHA256 = "{book.sha256}"' in first.source
    assert f'EDITION = "{book.version}"' in first.source


def test_download_carries_the_files_its_chapter_reads(site: Path, tmp_path: Path,
                                                      monkeypatch) -> None:
    """The Performance chapter reads the recorded run beside it; run outside a
    checkout, its download's second cell writes that very file first."""
    nb = nbformat.read(downloaded_notebook(site, "book/performance"), as_version=4)
    monkeypatch.chdir(tmp_path)
    exec(nb.cells[1].source, {})
    recorded = ROOT / "book" / "data" / "benchmark-run.json"
    written = tmp_path / "data" / "benchmark-run.json"
    assert written.read_bytes() == recorded.read_bytes()
    exec(nb.cells[1].source, {})             # a second run leaves it alone


def test_shipped_wheel_holds_the_package(site: Path) -> None:
    names = zipfile.ZipFile(shipped_wheel(site)).namelist()
    assert "scratchnet/__init__.py" in names
    assert "scratchnet/notebook.py" in names


def test_no_launch_or_repository_buttons(pages: list[Path]) -> None:
    # Colab and Binder cannot open the chapters; the preface names the
    # repository in its text, but no page carries the theme's repository or
    # issues buttons; no page loads thebe (a Binder kernel of an unrelated
    # example repository).
    for page in pages:
        html = page.read_text("utf-8")
        for gone in ("colab.research.google.com", "mybinder.org",
                     "launch-buttons", "repository-button", "issues-button",
                     "executablebooks/jupyter-book",
                     "thebe", "binder-examples", "unpkg.com"):
            assert gone not in html, f"{page.name}: {gone}"


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@pytest.mark.slow
@pytest.mark.mnist
def test_downloaded_notebook_runs_in_a_fresh_jupyter(site: Path,
                                                     tmp_path: Path) -> None:
    # The wheel the site ships, served where the site would serve it.
    served = tmp_path / "served"
    (served / "_static").mkdir(parents=True)
    wheel = shipped_wheel(site)
    shutil.copy2(wheel, served / "_static" / wheel.name)
    handler = functools.partial(_QuietHandler, directory=str(served))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    local = f"http://127.0.0.1:{httpd.server_address[1]}/"

    # The downloaded notebook, its install cell pointed at that server, and
    # a copy pointed at a site that cannot be reached.
    nb = nbformat.read(downloaded_notebook(site, RUN_IN_FRESH_JUPYTER), 4)
    published = edition(wheel).site
    assert published in nb.cells[0].source
    for cell in nb.cells:                 # a reader's run starts with none
        if cell.cell_type == "code":
            cell.outputs, cell.execution_count = [], None
    reader = tmp_path / "reader"          # a download folder, no book around
    reader.mkdir()
    notebook, offline = reader / "chapter.ipynb", reader / "offline.ipynb"
    source = nb.cells[0].source
    nb.cells[0].source = source.replace(published, "http://127.0.0.1:9/")
    nbformat.write(nb, offline)
    nb.cells[0].source = source.replace(published, local)
    nbformat.write(nb, notebook)

    # A virtual environment with Jupyter and nothing of this repository.
    venv = tmp_path / "venv"
    env = {k: v for k, v in os.environ.items()
           if k not in ("PYTHONPATH", "VIRTUAL_ENV", "SCRATCHNET_BOOK_BUILD")}
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    python = str(venv / "bin" / "python")
    subprocess.run([python, "-m", "pip", "install", "--quiet",
                    "jupyter", "nbclient", "ipykernel"], check=True, env=env)
    missing = subprocess.run([python, "-c", "import scratchnet"], check=False,
                             env=env, cwd=reader, capture_output=True)
    assert missing.returncode != 0, "the fresh environment has scratchnet"

    def execute(path: Path) -> subprocess.CompletedProcess[str]:
        return subprocess.run(
            [python, "-m", "jupyter", "execute", "--inplace", "--timeout=900",
             str(path)], check=False, cwd=reader, env=env, capture_output=True,
            text=True)

    try:
        stopped = execute(offline)
        run = execute(notebook)
    finally:
        httpd.shutdown()
        httpd.server_close()
    # Unreachable: the first cell stops the run with the two ways that work.
    assert stopped.returncode != 0
    assert "Could not fetch http://127.0.0.1:9/" in stopped.stderr
    assert "Two ways that work" in stopped.stderr
    # The cell's error is its message alone, no frames (nbclient quotes the
    # cell's source before it, and jupyter execute adds its own traceback).
    shown = stopped.stderr.strip().splitlines()[-1]
    assert shown.startswith("Could not fetch http://127.0.0.1:9/"), shown
    assert run.returncode == 0, run.stderr[-3000:]

    ran = nbformat.read(notebook, as_version=4)
    assert f"installing scratchnet {edition(wheel).version} from {local}" in "".join(
        out.get("text", "") for out in ran.cells[0].outputs)
    errors = [out for cell in ran.cells for out in cell.get("outputs", [])
              if out.output_type == "error"]
    assert not errors
    page = site / f"{RUN_IN_FRESH_JUPYTER}.html"
    assert images_per_cell(ran) == {i: 1 for i in figure_cells(ran)}
    assert len(figure_cells(ran)) == page_figures(page.read_text("utf-8")) > 0
