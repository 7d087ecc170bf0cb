"""The page's download button gives a notebook that runs in any Jupyter.

Each chapter page offers its executed notebook (``_sources/<page>.ipynb``),
with every output the book shows. A reader who opens it in a fresh Jupyter
has no ``scratchnet``, so this extension puts one cell first that installs it
when it is missing.

Where from: the site itself. The build makes a wheel of this repository and
ships it as ``_static/<wheel>``; the cell installs it from the site's address,
the ``Documentation`` URL in ``pyproject.toml``'s ``[project.urls]`` (the one
place that names it, read from the wheel's own metadata). So the reader gets
exactly the code that produced the outputs in the notebook, from the one
address that is certainly published when someone has downloaded a page of
it, with no package index or repository involved.

Sphinx-book-theme offers the ``.ipynb`` download only next to launch buttons;
the book has none (nothing could launch it), so the page context gets the
notebook here, before the theme draws its buttons.

A chapter may also read a file that sits beside it in ``book/`` (the
Performance chapter reads the recorded benchmark run). ``_config.yml``
names such files under ``notebook_download_files``; each travels in the
download as a second cell that writes it where the chapter looks, unless it
is there already.
"""

from __future__ import annotations

import email.parser
import pprint
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from jupyter_cache import get_cache
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from scratchnet.notebook import glue_as_text

logger = logging.getLogger(__name__)

STATIC = "_static"
INSTALL_CELL = '''\
# scratchnet, the package this chapter calls, is installed here if it is
# missing: the copy published with the book, which produced the outputs below.
import importlib.util
import subprocess
import sys

if importlib.util.find_spec("scratchnet") is None:
    wheel = "{url}"
    print("installing scratchnet from", wheel)
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", wheel],
                   check=True)
    importlib.invalidate_caches()
'''


def build_wheel(project: Path, target: Path) -> Path:
    """Build the wheel of ``project`` into ``target``; return its path.

    It is built from a copy, because setuptools leaves ``build/`` behind in
    the tree it builds.
    """
    with tempfile.TemporaryDirectory() as tmp:
        source = Path(tmp) / "source"
        shutil.copytree(project, source, ignore=shutil.ignore_patterns(
            ".git", ".venv", "_build", "build", "*.egg-info", "__pycache__",
            ".pytest_cache", ".hypothesis"))
        done = subprocess.run(
            [sys.executable, "-m", "pip", "wheel", "--no-deps", "--quiet",
             "--wheel-dir", tmp, str(source)],
            check=False, capture_output=True, text=True)
        if done.returncode != 0:
            raise ExtensionError(
                f"building the scratchnet wheel for the download button "
                f"failed (pip exit status {done.returncode}):\n{done.stderr}")
        (built,) = Path(tmp).glob("*.whl")
        target.mkdir(parents=True, exist_ok=True)
        for old in target.glob(built.name.split("-", 1)[0] + "-*.whl"):
            old.unlink()
        return Path(shutil.copy2(built, target / built.name))


def documentation_url(wheel: Path) -> str:
    """The ``Documentation`` project URL recorded in ``wheel``'s metadata."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist()
                   if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    urls = dict(entry.split(", ", 1)
                for entry in metadata.get_all("Project-URL") or [])
    if "Documentation" not in urls:
        raise ExtensionError(
            "pyproject.toml has no Documentation URL in [project.urls]: the "
            "downloaded notebooks install scratchnet from the site there")
    return urls["Documentation"].rstrip("/") + "/"


FILES_CELL = """\
# The files this chapter reads beside it, as they were when the book was
# built; each is written here unless it is there already.
from pathlib import Path

for name, text in {files}.items():
    path = Path(name)
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
        print("wrote", path)
"""


def with_install_cell(notebook: nbformat.NotebookNode, url: str,
                      files: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose first cell installs scratchnet from ``url``,
    followed, if ``files`` (name relative to the chapter: text) is given, by a
    cell that writes them."""
    notebook = nbformat.from_dict(notebook)
    cells = [INSTALL_CELL.format(url=url)]
    if files:
        cells.append(FILES_CELL.format(files=pprint.pformat(files, width=88)))
    for position, source in enumerate(cells):
        cell = nbformat.v4.new_code_cell(source.rstrip())
        if (notebook.nbformat, notebook.nbformat_minor) < (4, 5):
            del cell["id"]               # cell ids arrived with nbformat 4.5
        notebook.cells.insert(position, cell)
    return notebook


def files_beside(source: Path, names: list[str]) -> dict[str, str]:
    """The text of each file ``names`` (relative to the chapter ``source``)."""
    files = {}
    for name in names:
        path = source.parent / name
        if not path.is_file():
            raise ExtensionError(f"notebook_download_files: {path} does not exist")
        files[name] = path.read_text(encoding="utf-8")
    return files


def _on_builder_inited(app: Sphinx) -> None:
    if app.builder.format != "html":
        return
    wheel = build_wheel(Path(app.srcdir), Path(app.outdir) / STATIC)
    app.scratchnet_wheel_url = (documentation_url(wheel)
                                + f"{STATIC}/{wheel.name}")
    logger.info(f"notebook downloads install {app.scratchnet_wheel_url}")


def executed_notebook(source: Path, cache_path: str) -> nbformat.NotebookNode:
    """The chapter ``source`` with its outputs from the execution cache.

    Not myst-nb's ``_build/jupyter_execute`` copy: when a chapter comes from
    the cache, myst-nb 1.4 writes that copy without any outputs. Each glue
    record, which only myst-nb can read, becomes the line ``name: value``
    that ``scratchnet.notebook.glue`` prints outside the build.
    """
    notebook = jupytext.read(source)
    try:
        _, notebook = get_cache(cache_path).merge_match_into_notebook(notebook)
    except KeyError:
        raise ExtensionError(f"{source}: no executed notebook in the execution "
                             f"cache {cache_path}") from None
    return nbformat.from_dict(glue_as_text(notebook))


def _on_page_context(app: Sphinx, pagename: str, templatename: str,
                     context: dict[str, Any], doctree: Any) -> None:
    if "kernelspec" not in app.env.metadata.get(pagename, {}):
        return                                    # not a notebook page
    source = Path(app.env.doc2path(pagename))
    files = files_beside(source, app.config.notebook_download_files.get(pagename, []))
    notebook = with_install_cell(
        executed_notebook(source, app.env.mystnb_config.execution_cache_path),
        app.scratchnet_wheel_url, files)
    nbformat.validate(notebook)
    target = Path(app.outdir) / "_sources" / f"{pagename}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)
    context["ipynb_source"] = f"{pagename}.ipynb"


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("notebook_download_files", {}, "html", [dict])
    app.connect("builder-inited", _on_builder_inited)
    # Before sphinx-book-theme's header buttons (priority 501) read the context.
    app.connect("html-page-context", _on_page_context, priority=500)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
