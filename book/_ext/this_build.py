"""The "This build" page, and the chapter progress lines of ``make book``.

The page (``{this-build}`` in ``book/this-build.md``) says when and on what
this edition was built, from the build itself, never typed by hand:

- the date, the CPU, the Python, NumPy's BLAS, and the versions of the
  packages that shape what the pages show, with whether they are exactly the
  set in ``requirements.lock`` (the file is read and compared);
- each chapter's execution, from myst-nb's own statistics
  (``env.nb_metadata[docname]["exec_data"]``: run time, status, and the time
  of the run), in the order of ``_toc.yml``, so a chapter added there appears
  here with no change to this file;
- downloads: the PDF of the whole book and the wheel of the package.

The directive leaves a placeholder that is filled in when every chapter has
been read (``doctree-resolved``), as myst-nb records each one while reading.

As the build reads the chapters, it also prints one line before each
("chapter 3 of 17: book/backprop") and one after it, with how long it took and
whether it ran or came from the execution cache, so a newcomer watching
``make book`` knows where it is.
"""

from __future__ import annotations

import importlib.metadata
import platform
import posixpath
import re
import time
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from chapter_footer import _seconds, machine
from docutils import nodes
from sphinx.application import Sphinx
from sphinx.environment import BuildEnvironment
from sphinx.util import logging
from sphinx.util.docutils import SphinxDirective

logger = logging.getLogger(__name__)

PDF_NAME = "scratchnet-book.pdf"
"""The PDF's file name, in the site's ``_static`` (``book/pdf.py`` puts it)."""
LOCK = "requirements.lock"

# The packages that decide what a page shows: the numbers (NumPy and its
# BLAS), the figures (matplotlib) and the pages themselves.
KEY_PACKAGES = ["scratchnet-book", "numpy", "matplotlib", "jupyter-book", "sphinx",
                "myst-nb", "myst-parser", "sphinx-book-theme", "pydata-sphinx-theme",
                "jupytext", "ipykernel", "nbclient"]


class this_build(nodes.General, nodes.Element):
    """Placeholder, replaced once every chapter has been read."""


class ThisBuildDirective(SphinxDirective):
    """``{this-build}``: the build's facts and the chapters' executions."""

    def run(self) -> list[nodes.Node]:
        return [this_build()]


class downloads(nodes.General, nodes.Element):
    """Placeholder for the download links, which depend on the page's depth."""


class DownloadsDirective(SphinxDirective):
    """``{book-downloads}``: links to the PDF and the package's wheel."""

    def run(self) -> list[nodes.Node]:
        return [downloads()]


def toc_order(env: BuildEnvironment) -> list[str]:
    """Every document in the table of contents, in reading order."""
    order: list[str] = []

    def walk(doc: str) -> None:
        if doc in order:
            return
        order.append(doc)
        for child in env.toctree_includes.get(doc, []):
            walk(child)

    walk(env.config.root_doc)
    return order


def installed(name: str) -> str | None:
    try:
        return importlib.metadata.version(name)
    except importlib.metadata.PackageNotFoundError:
        return None


def locked_versions(lock: Path) -> dict[str, str]:
    """``name: version`` of every package pinned in ``lock``."""
    pins = re.findall(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s\\;]+)",
                      lock.read_text(encoding="utf-8"), flags=re.M)
    return {_normal(name): version for name, version in pins}


def _normal(name: str) -> str:
    return re.sub(r"[-_.]+", "-", name).lower()


def lock_agreement(lock: Path) -> str:
    """Whether the installed packages are exactly the ones ``lock`` pins."""
    if not lock.is_file():
        return f"{LOCK} was not found: the versions below are not checked against it."
    pins = locked_versions(lock)
    differ = [f"{name} {installed(name) or 'missing'} (locked {version})"
              for name, version in sorted(pins.items())
              if installed(name) != version]
    if not differ:
        return (f"All {len(pins)} packages pinned in {LOCK} were installed at "
                "exactly those versions.")
    shown = ", ".join(differ[:8]) + (", …" if len(differ) > 8 else "")
    return (f"{len(differ)} of the {len(pins)} packages pinned in {LOCK} were "
            f"not installed at those versions: {shown}.")


def _table(header: list[str], rows: list[list[nodes.Node | str]],
           classes: list[str]) -> nodes.table:
    table = nodes.table(classes=classes)
    group = nodes.tgroup(cols=len(header))
    table += group
    for _ in header:
        group += nodes.colspec(colwidth=1)
    head = nodes.thead()
    group += head
    head += _row(header)
    body = nodes.tbody()
    group += body
    for row in rows:
        body += _row(row)
    return table


def _row(cells: list[nodes.Node | str]) -> nodes.row:
    row = nodes.row()
    for cell in cells:
        entry = nodes.entry()
        para = nodes.paragraph()
        para += nodes.Text(cell) if isinstance(cell, str) else cell
        entry += para
        row += entry
    return row


def _link(app: Sphinx, fromdoc: str, todoc: str, text: str) -> nodes.reference:
    uri = app.builder.get_relative_uri(fromdoc, todoc)
    return nodes.reference("", text, internal=True, refuri=uri)


def _title(env: BuildEnvironment, docname: str) -> str:
    title = env.titles.get(docname)
    return title.astext() if title is not None else docname


def chapter_rows(app: Sphinx, fromdoc: str) -> list[list[nodes.Node | str]]:
    """One row per executed chapter, in reading order, from myst-nb's record."""
    env = app.env
    records = getattr(env, "nb_metadata", {})
    rows: list[list[nodes.Node | str]] = []
    for doc in toc_order(env):
        data = records.get(doc, {}).get("exec_data")
        if not data:
            continue
        status = "ran" if data.get("succeeded") else "FAILED"
        when = datetime.fromtimestamp(data["mtime"], tz=timezone.utc)
        runtime = data.get("runtime")
        rows.append([_link(app, fromdoc, doc, _title(env, doc)), status,
                     _seconds(runtime) if runtime is not None else "–",
                     f"{when:%Y-%m-%d %H:%M} UTC"])
    return rows


def facts(app: Sphinx) -> nodes.bullet_list:
    info = machine()
    items = nodes.bullet_list(classes=["this-build-facts"])
    built = datetime.now(timezone.utc)
    for label, value in [
        ("Built", f"{built:%Y-%m-%d %H:%M} UTC"),
        ("CPU", info["cpu"]),
        ("System", f"{platform.system()} {platform.machine()}"),
        ("Python", f"{platform.python_implementation()} {platform.python_version()}"),
        ("BLAS", info["blas"]),
    ]:
        para = nodes.paragraph()
        para += nodes.strong(text=f"{label}: ")
        para += nodes.Text(value)
        items += nodes.list_item("", para)
    return items


def fill(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    for node in list(doctree.findall(this_build)):
        section: list[nodes.Node] = [facts(app)]
        lock = Path(app.srcdir) / LOCK
        section.append(nodes.paragraph(text=lock_agreement(lock)))
        section.append(_table(
            ["package", "version"],
            [[name, installed(name) or "not installed"] for name in KEY_PACKAGES],
            ["this-build-packages"]))
        section.append(nodes.paragraph(text=(
            "Each chapter's execution, as myst-nb recorded it: how long its "
            "code ran and when. A chapter whose code did not change since an "
            "earlier build is taken from the execution cache, and shows the "
            "run that filled it.")))
        section.append(_table(["chapter", "status", "run time", "ran on"],
                              chapter_rows(app, docname), ["this-build-chapters"]))
        node.replace_self(section)
    for node in list(doctree.findall(downloads)):
        node.replace_self(download_links(app, docname))


def download_links(app: Sphinx, docname: str) -> nodes.bullet_list:
    """Links to the PDF and to the wheel, relative to ``docname``'s page."""
    static = posixpath.relpath("_static", posixpath.dirname(docname) or ".")
    edition = getattr(app, "scratchnet_edition", None)
    items = nodes.bullet_list(classes=["book-downloads"])
    entries = [(f"{static}/{PDF_NAME}", "The whole book in one file",
                " (every chapter, figure and solution; the interactive pages as "
                "a picture and a link)")]
    if edition is not None:
        entries.append((f"{static}/{edition.wheel}",
                        f"The package, {edition.wheel}",
                        f" (SHA-256 {edition.sha256[:16]}…): "
                        f"pip install it to run the downloaded notebooks"))
    for uri, text, rest in entries:
        para = nodes.paragraph()
        para += nodes.reference("", text, refuri=uri, classes=["book-download"])
        if uri.endswith(PDF_NAME):
            # book/pdf.py writes the size and page count here once it exists.
            para += nodes.Text(" ")
            para += nodes.inline("", "", classes=["book-pdf-size"])
        para += nodes.Text(rest)
        items += nodes.list_item("", para)
    return items


# --- progress lines while the chapters are read ---------------------------

def _before_read(app: Sphinx, env: BuildEnvironment, docnames: list[str]) -> None:
    app.this_build_progress = {"order": list(docnames), "start": {}, "wall": {}}


def _source_read(app: Sphinx, docname: str, source: list[str]) -> None:
    progress = getattr(app, "this_build_progress", None)
    if progress is None or docname not in progress["order"]:
        return
    progress["start"][docname] = time.monotonic()
    progress["wall"][docname] = time.time()
    position = progress["order"].index(docname) + 1
    logger.info(f"chapter {position} of {len(progress['order'])}: {docname}")


def _doctree_read(app: Sphinx, doctree: nodes.document) -> None:
    progress = getattr(app, "this_build_progress", None)
    docname = app.env.docname
    if progress is None or docname not in progress["start"]:
        return
    took = time.monotonic() - progress["start"][docname]
    data = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("exec_data")
    if not data:
        how = "no code to run"
    elif not data.get("succeeded"):
        how = "FAILED"
    elif data["mtime"] < progress["wall"][docname] - 1:
        how = ("taken from the execution cache (its run took "
               f"{_seconds(data.get('runtime') or 0)})")
    else:
        how = f"executed in {_seconds(data.get('runtime') or took)}"
    logger.info(f"  {docname}: {how}; read in {_seconds(took)}")


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_node(this_build)
    app.add_node(downloads)
    app.add_directive("this-build", ThisBuildDirective)
    app.add_directive("book-downloads", DownloadsDirective)
    app.connect("env-before-read-docs", _before_read)
    app.connect("source-read", _source_read)
    app.connect("doctree-read", _doctree_read)
    app.connect("doctree-resolved", fill)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
