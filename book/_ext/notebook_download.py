"""The page's download button gives a notebook that runs in any Jupyter.

Each chapter page offers its executed notebook (``_sources/<page>.ipynb``),
with every output the book shows. A reader who opens it in a fresh Jupyter
has no ``scratchnet``, so this extension puts one cell first that makes sure
the right one is there, and stops with a short message when it cannot.

Which one: the name ``scratchnet`` on the package index belongs to an
unrelated project, so this package is distributed as ``scratchnet-book``
(import name ``scratchnet``). The cell accepts an installed ``scratchnet``
only if that distribution provides it, in a compatible version (same
major.minor as this edition, not older); another distribution's is named,
with how to remove it.

Where from: the site itself. The build makes a wheel of this repository and
ships it as ``_static/<wheel>``; the cell fetches it from the site's address,
the ``Documentation`` URL in ``pyproject.toml``'s ``[project.urls]`` (read
from the wheel's own metadata), checks it against the SHA-256 that the
notebook carries, and pip installs that file. So the reader gets exactly the
code that produced the outputs in the notebook. When the site cannot be
reached (or serves another file), the cell stops at once and names the two
ways that work: a clone of the repository, or the wheel downloaded by hand.

Sphinx-book-theme offers the ``.ipynb`` download only next to launch buttons;
the book has none (nothing could launch it), so the page context gets the
notebook here, before the theme draws its buttons. For the same reason no
page loads sphinx-thebe, which Jupyter Book 1 always adds: its Binder kernel
would be one of an unrelated example repository.

A chapter may also read a file that sits beside it in ``book/`` (the
Performance chapter reads the recorded benchmark run). ``_config.yml``
names such files under ``notebook_download_files``; each travels in the
download as a second cell that writes it where the chapter looks, unless it
is there already.
"""

from __future__ import annotations

import dataclasses
import email.parser
import hashlib
import pprint
import shutil
import string
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import Any

import jupytext
import nbformat
from docutils import nodes
from jupyter_cache import get_cache
from sphinx.application import Sphinx
from sphinx.errors import ExtensionError
from sphinx.util import logging

from scratchnet.notebook import glue_as_text

logger = logging.getLogger(__name__)

STATIC = "_static"
DISTRIBUTION = "scratchnet-book"
"""The name on the package index. ``scratchnet`` there is an unrelated
project, so the notebook checks the distribution, not only the import name."""

INSTALL_CELL = string.Template('''\
# This chapter calls scratchnet, the book's package (import name scratchnet,
# distribution $dist). This cell checks that the one importable here is the
# book's, in a compatible version; if there is none, it installs the very
# wheel this edition was built with, from the book's site, after checking
# its SHA-256. Otherwise it stops, and says what works.
import hashlib
import importlib
import importlib.metadata
import subprocess
import sys
import tempfile
import urllib.request
from pathlib import Path

EDITION = "$version"
WHEEL = "$url"
SHA256 = "$sha256"
HELP = (
    "Two ways that work: (1) from a clone of the book's repository ($repo),"
    " run `make lab` and open the chapter there; (2) download $wheel"
    " from the book's site ($site, the \\"This build\\" page offers it),"
    " then run `%pip install ./$wheel` here.")


class Stop(Exception):
    """Stops the notebook with a short message, not a traceback."""

    def _render_traceback_(self):
        return [str(self)]


def book_version():
    """The version of the book's scratchnet installed here, or None."""
    owners = importlib.metadata.packages_distributions().get("scratchnet", [])
    others = [d for d in owners if d.lower().replace("_", "-") != "$dist"]
    if others and len(others) == len(owners):
        raise Stop(f"The scratchnet installed here is another project (the "
                   f"distribution {others[0]!r}); remove it first with "
                   f"`%pip uninstall -y {others[0]}`. " + HELP)
    if not owners:
        return None
    return importlib.metadata.version("$dist")


def compatible(found):
    """Same major.minor as this edition, and not older."""
    have = tuple(int(p) for p in found.split(".")[:3] if p.isdigit())
    want = tuple(int(p) for p in EDITION.split("."))
    return have[:2] == want[:2] and have >= want


def install_edition():
    """Fetch this edition's wheel, check its SHA-256, pip install it."""
    folder = Path(tempfile.mkdtemp())
    wheel = folder / WHEEL.rsplit("/", 1)[1]
    print("installing scratchnet", EDITION, "from", WHEEL)
    try:
        with urllib.request.urlopen(WHEEL, timeout=15) as answer:
            wheel.write_bytes(answer.read())
    except OSError as error:
        raise Stop(f"Could not fetch {WHEEL} ({error}). " + HELP) from None
    if hashlib.sha256(wheel.read_bytes()).hexdigest() != SHA256:
        raise Stop(f"{WHEEL} is not the wheel this notebook was built with "
                   f"(its SHA-256 differs). " + HELP)
    done = subprocess.run([sys.executable, "-m", "pip", "install", "--quiet",
                           str(wheel)], capture_output=True, text=True)
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["no message"])[-1]
        raise Stop(f"pip could not install {wheel.name}: {last}. " + HELP)
    importlib.invalidate_caches()


found = book_version()
if found is None:
    install_edition()
    found = book_version()
if found is None or not compatible(found):
    raise Stop(f"This notebook needs scratchnet {EDITION} (the book's edition); "
               f"this Python has {found or 'none'}. " + HELP)
''')
"""The first cell of every downloaded notebook (``string.Template``: the
``$$`` fields are filled in at build time)."""


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


@dataclasses.dataclass(frozen=True)
class Edition:
    """The wheel this edition of the book was built with, and where it lives."""

    wheel: str          # the file name
    version: str
    sha256: str
    site: str           # the book's address (``Documentation`` in pyproject)
    repository: str     # ``Homepage`` in pyproject

    @property
    def url(self) -> str:
        return f"{self.site}{STATIC}/{self.wheel}"


def edition(wheel: Path) -> Edition:
    """What the downloaded notebooks need to know of ``wheel``: its version,
    digest and the project URLs recorded in its metadata."""
    with zipfile.ZipFile(wheel) as archive:
        (name,) = [n for n in archive.namelist()
                   if n.endswith(".dist-info/METADATA")]
        metadata = email.parser.Parser().parsestr(archive.read(name).decode())
    urls = dict(entry.split(", ", 1)
                for entry in metadata.get_all("Project-URL") or [])
    for needed in ("Documentation", "Homepage"):
        if needed not in urls:
            raise ExtensionError(
                f"pyproject.toml has no {needed} URL in [project.urls]: the "
                "downloaded notebooks name the site and the repository")
    return Edition(wheel=wheel.name, version=metadata["Version"],
                   sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
                   site=urls["Documentation"].rstrip("/") + "/",
                   repository=urls["Homepage"])


def documentation_url(wheel: Path) -> str:
    """The ``Documentation`` project URL recorded in ``wheel``'s metadata."""
    return edition(wheel).site


def install_cell(book: Edition) -> str:
    """The first cell of a downloaded notebook, for this edition."""
    return INSTALL_CELL.substitute(
        dist=DISTRIBUTION, version=book.version, url=book.url, sha256=book.sha256,
        repo=book.repository, wheel=book.wheel, site=book.site)


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


def with_install_cell(notebook: nbformat.NotebookNode, book: Edition,
                      files: dict[str, str] | None = None) -> nbformat.NotebookNode:
    """A copy of ``notebook`` whose first cell installs scratchnet (``book``),
    followed, if ``files`` (name relative to the chapter: text) is given, by a
    cell that writes them."""
    notebook = nbformat.from_dict(notebook)
    cells = [install_cell(book)]
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
    if app.builder.name != "html":
        # The single page that `make pdf` prints has no download buttons; it
        # names the wheel the site ships, when the site is built.
        shipped = sorted((Path(app.srcdir) / "_build" / "html" / STATIC).glob(
            DISTRIBUTION.replace("-", "_") + "-*.whl"))
        app.scratchnet_edition = edition(shipped[-1]) if shipped else None
        return
    wheel = build_wheel(Path(app.srcdir), Path(app.outdir) / STATIC)
    app.scratchnet_edition = edition(wheel)
    logger.info(f"notebook downloads install {app.scratchnet_edition.url}")


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


def is_notebook(app: Sphinx, docname: str) -> bool:
    return "kernelspec" in app.env.metadata.get(docname, {})


def _on_page_context(app: Sphinx, pagename: str, templatename: str,
                     context: dict[str, Any], doctree: Any) -> None:
    if app.builder.name == "html" and is_notebook(app, pagename):
        context["ipynb_source"] = f"{pagename}.ipynb"


def write_notebook(app: Sphinx, docname: str) -> None:
    """The download of ``docname``: its executed notebook, first cells added."""
    source = Path(app.env.doc2path(docname))
    files = files_beside(source, app.config.notebook_download_files.get(docname, []))
    notebook = with_install_cell(
        executed_notebook(source, app.env.mystnb_config.execution_cache_path),
        app.scratchnet_edition, files)
    nbformat.validate(notebook)
    target = Path(app.outdir) / "_sources" / f"{docname}.ipynb"
    target.parent.mkdir(parents=True, exist_ok=True)
    nbformat.write(notebook, target)


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    """Every chapter's download, also of the pages this build did not rewrite:
    the wheel was built anew, and each notebook must carry its SHA-256."""
    if exception is not None or app.builder.name != "html":
        return
    for docname in sorted(app.env.found_docs):
        if is_notebook(app, docname):
            write_notebook(app, docname)


def is_thebe(asset: Any) -> bool:
    """Whether a page's script or style sheet is sphinx-thebe's (its loader,
    its CSS, or the inline lines that name thebe's address on a CDN)."""
    name = str(getattr(asset, "filename", "") or "")
    body = str(getattr(asset, "attributes", {}).get("body", ""))
    return "thebe" in name or "THEBE_JS_URL" in body


def _without_thebe(app: Sphinx, pagename: str, templatename: str,
                   context: dict[str, Any], doctree: Any) -> None:
    """Jupyter Book 1 always loads sphinx-thebe, which would start a Binder
    kernel of an example repository: nothing of this book could run there,
    so no page loads it."""
    for assets in ("script_files", "css_files"):
        if assets in context:
            context[assets] = [a for a in context[assets] if not is_thebe(a)]


def _drop_thebe_config(app: Sphinx, doctree: Any, docname: str) -> None:
    """sphinx-thebe appends its Binder settings (an example repository) and
    a kernel name to every page with code; they go."""
    for raw in list(doctree.findall(nodes.raw)):
        text = raw.astext()
        if "x-thebe-config" in text or text.startswith("<script>kernelName"):
            raw.parent.remove(raw)


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("notebook_download_files", {}, "html", [dict])
    app.connect("builder-inited", _on_builder_inited)
    # Before sphinx-book-theme's header buttons (priority 501) read the context.
    app.connect("html-page-context", _on_page_context, priority=500)
    app.connect("html-page-context", _without_thebe)
    app.connect("build-finished", _on_build_finished)
    # After sphinx-thebe's own handler (priority 500) added them.
    app.connect("doctree-resolved", _drop_thebe_config, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
