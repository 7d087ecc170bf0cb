"""Drop duplicate ``<script>`` tags from every page.

sphinx-thebe registers its inline configuration script after the HTML
builder has started, so Sphinx 7 lists it twice (once with filename ``None``,
once with ``""``). The browser then fails with "Identifier 'THEBE_JS_URL' has
already been declared". Keeping the first of each identical script fixes it
without touching either package.
"""

from __future__ import annotations

from typing import Any

from sphinx.application import Sphinx


def _dedupe_scripts(app: Sphinx, pagename: str, templatename: str,
                    context: dict[str, Any], doctree: Any) -> None:
    seen: set[tuple[str, tuple[tuple[str, str], ...]]] = set()
    unique = []
    for script in context.get("script_files", []):
        attributes = tuple(sorted((k, str(v)) for k, v in script.attributes.items()))
        key = (script.filename or "", attributes)
        if key not in seen:
            seen.add(key)
            unique.append(script)
    context["script_files"] = unique


def setup(app: Sphinx) -> dict[str, Any]:
    app.connect("html-page-context", _dedupe_scripts, priority=900)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
