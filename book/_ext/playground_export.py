"""Put the playground's data and its Python reference into the built site.

The playground page (``book/playground``) trains a network in the browser on
``_static/playground/data.js`` (the toy data sets of ``scratchnet.toy``), and
the site's browser test replays ``_static/playground/trajectories.json``, the
float64 runs of ``scratchnet.playground.trajectory``. Both are build products,
written into the output when the HTML build finishes: like the "Draw a digit"
export, a cell cannot be trusted to write them, since a chapter restored from
the execution cache runs no cell at all. They take well under a second.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import site_export
from sphinx.application import Sphinx

PAGE = "book/playground"
TARGET = Path("_static") / "playground"


def write_files(app: Sphinx) -> list[Path]:
    """The page's ``data.js`` and ``trajectories.json``, in the output."""
    from scratchnet.playground import write_site_files

    return write_site_files(Path(app.outdir) / TARGET)


def setup(app: Sphinx) -> dict[str, Any]:
    site_export.connect(app, PAGE, "playground page", write_files)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
