"""What the two page exports share: files written into the built site.

The "Draw a digit" page (``interactive_export``) and the playground
(``playground_export``) each need files that are build products, not
sources. Both write them when the HTML build has finished, into the output:
a cell cannot be trusted to write them, since a chapter restored from the
execution cache runs no cell at all. ``connect`` is that rule, once.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from sphinx.application import Sphinx
from sphinx.util import logging

logger = logging.getLogger(__name__)


def connect(app: Sphinx, page: str, label: str,
            write: Callable[[Sphinx], list[Path]]) -> None:
    """After a successful HTML build that includes ``page``, run ``write(app)``
    and log each file it wrote, under ``label``."""

    def on_build_finished(app: Sphinx, exception: Exception | None) -> None:
        if exception is not None or app.builder.format != "html":
            return
        if page not in app.env.found_docs:       # page not in this build's toc
            return
        for path in write(app):
            logger.info(f"{label}: wrote {path} ({path.stat().st_size:,} bytes)")

    app.connect("build-finished", on_build_finished)
