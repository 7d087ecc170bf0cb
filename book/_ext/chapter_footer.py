"""A footer under each executed chapter: what its numbers were computed with.

Every number on a chapter is computed when the site is built, so a reader who
reruns it should know what to expect to match exactly (the seed, the NumPy
version) and what may differ (the BLAS and the CPU change the last digits of
float32 sums, and the time). The footer says:

- the seed the chapters use (``chapter_footer_seed`` in ``_config.yml``);
- the NumPy version, and the BLAS NumPy calls (threadpoolctl: library and
  version, never its path);
- the CPU model;
- how long the chapter took to execute, and when. myst-nb records this per
  document (``env.nb_metadata[docname]["exec_data"]``); for a chapter taken
  from the execution cache it is the time of the run that filled the cache,
  which jupyter-cache stores with the notebook (``execution_seconds``);
- a link to the "This build" page, with every chapter's time and the versions.

Pages without code cells (the preface, the appendix) get no footer.
"""

from __future__ import annotations

import functools
import os
import platform
from datetime import datetime, timezone
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

BUILD_PAGE = "book/this-build"
"""The page every footer links to (book/_ext/this_build.py fills it in)."""


@functools.cache
def machine() -> dict[str, str]:
    """NumPy, BLAS and CPU of the machine building the site (no paths)."""
    import numpy
    from threadpoolctl import threadpool_info

    blas = [i for i in threadpool_info() if i.get("user_api") == "blas"]
    if blas:
        info = blas[0]
        name = {"openblas": "OpenBLAS", "mkl": "Intel MKL",
                "blis": "BLIS"}.get(info.get("internal_api", ""),
                                    info.get("internal_api", "unknown"))
        blas_text = f"{name} {info.get('version') or '(version unknown)'}"
        if info.get("architecture"):
            blas_text += f" ({info['architecture']} kernels)"
    else:
        blas_text = "none found by threadpoolctl"
    return {"numpy": numpy.__version__, "blas": blas_text, "cpu": cpu_model()}


def cpu_model() -> str:
    """The CPU's marketing name, from /proc/cpuinfo where there is one."""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.lower().startswith(("model name", "hardware")):
                name = line.split(":", 1)[1].strip()
                if name:
                    return f"{name} ({_cores()})"
    except OSError:
        pass
    return f"{platform.processor() or platform.machine() or 'unknown'} ({_cores()})"


def _cores() -> str:
    n = os.cpu_count() or 0
    return f"{n} logical core{'s' if n != 1 else ''}" if n else "cores unknown"


def _seconds(runtime: float) -> str:
    if runtime < 60:
        return f"{runtime:.1f} s"
    minutes, seconds = divmod(round(runtime), 60)
    return f"{minutes} min {seconds:02d} s"


def _has_code(doctree: nodes.document) -> bool:
    return any(node.get("nb_element") == "cell_code"
               for node in doctree.findall(nodes.container))


def execution(app: Sphinx, docname: str) -> dict[str, Any] | None:
    """myst-nb's execution record of ``docname``, or None if it did not run."""
    data = getattr(app.env, "nb_metadata", {}).get(docname, {}).get("exec_data")
    if not data or not data.get("succeeded") or data.get("runtime") is None:
        return None
    return data


def _item(label: str, value: str, cls: str) -> nodes.list_item:
    para = nodes.paragraph()
    para += nodes.strong(text=f"{label}: ")
    para += nodes.Text(value)
    return nodes.list_item("", para, classes=[cls])


def add_footer(app: Sphinx, doctree: nodes.document, docname: str) -> None:
    if app.builder.name == "singlehtml":
        return      # one tree for the whole book: the This build page says it
    record = execution(app, docname)
    if record is None or not _has_code(doctree):
        return
    when = datetime.fromtimestamp(record["mtime"], tz=timezone.utc)
    info = machine()
    items = nodes.bullet_list()
    items += _item("Seed", f"{app.config.chapter_footer_seed} (every random "
                   "generator of the chapter starts from it unless a cell "
                   "says otherwise)", "chapter-footer-seed")
    items += _item("NumPy", info["numpy"], "chapter-footer-numpy")
    items += _item("BLAS", info["blas"], "chapter-footer-blas")
    items += _item("CPU", info["cpu"], "chapter-footer-cpu")
    items += _item("Execution", f"{_seconds(record['runtime'])}, on "
                   f"{when:%Y-%m-%d %H:%M} UTC", "chapter-footer-time")
    footer = nodes.container(classes=["chapter-footer"], ids=["chapter-footer"])
    footer += nodes.rubric(text="How this page was computed")
    footer += nodes.paragraph(text=(
        "The code on this page ran when the site was built. Rerun with the "
        "same seed and NumPy for the same numbers; another BLAS or CPU may "
        "change the last digits, and the time."))
    footer += items
    more = nodes.paragraph(classes=["chapter-footer-build"])
    more += nodes.Text("Every chapter's time, the versions of the packages, and "
                       "what to do if a chapter does not run for you: ")
    more += nodes.reference("", "This build", internal=True,
                            refuri=app.builder.get_relative_uri(docname, BUILD_PAGE))
    more += nodes.Text(".")
    footer += more
    doctree += footer


def setup(app: Sphinx) -> dict[str, Any]:
    app.add_config_value("chapter_footer_seed", 0, "html", [int])
    app.connect("doctree-resolved", add_footer)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
