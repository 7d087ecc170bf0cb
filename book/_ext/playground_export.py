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

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)

PAGE = "book/playground"
TARGET = Path("_static") / "playground"


def _on_build_finished(app: Sphinx, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    if PAGE not in app.env.found_docs:       # page not in this build's toc
        return
    from scratchnet.playground import write_site_files

    for path in write_site_files(Path(app.outdir) / TARGET):
        logger.info(f"playground page: wrote {path} "
                    f"({path.stat().st_size:,} bytes)")


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("build-finished", _on_build_finished)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
