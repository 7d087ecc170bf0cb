"""The single-page build (``--builder singlehtml``) that ``make pdf`` prints.

Sphinx looks up how to write a node under the builder's name, and falls back
to its format ("html") only when no extension registered anything under that
name. Some do register under "singlehtml", so the nodes that others register
for "html" alone (myst-nb's folded code cells, for one) would have no writer
there and the build would stop. Here every "html" writer that "singlehtml"
lacks is taken over, so the single page is written as the site is.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _share_html_writers(app: Sphinx) -> None:
    if app.builder.name != "singlehtml":
        return
    handlers = app.registry.translation_handlers
    single = handlers.setdefault("singlehtml", {})
    for node, visitors in handlers.get("html", {}).items():
        single.setdefault(node, visitors)


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("builder-inited", _share_html_writers)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
