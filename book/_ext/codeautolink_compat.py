"""Let sphinx-codeautolink read the book's pages.

Two things it does not expect, and how they are handled here:

- The package's source quoted with ``literalinclude`` (often one method,
  indented as in its class). With ``codeautolink_concat_default`` every block
  of a page is joined into one program, and an indented method breaks it
  ("unexpected indent"). Quoted source is not part of the chapter's program,
  so codeautolink skips it; the code cells still link.
- sphinx-exercise puts an exercise's body in a ``section`` without a title;
codeautolink (0.20) pushes a title on every ``title`` it visits and pops one
on leaving every ``section``, so a title-less section pops an empty stack
and the build stops ("IndexError: pop from empty list"). Leaving such a
section pops nothing here; every other section is handled as before.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.application import Sphinx


def _has_title(section: nodes.section) -> bool:
    # Only a plain ``title`` is pushed (the visitor dispatches by class name).
    return bool(section.children) and type(section.children[0]) is nodes.title


def _skip_quoted_source(app: Sphinx, doctree: nodes.document) -> None:
    from sphinx_codeautolink.extension.directive import SkipMarker

    for block in list(doctree.findall(nodes.literal_block)):
        if Path(block.get("source") or "").suffix == ".py":    # literalinclude
            block.parent.insert(block.parent.index(block), SkipMarker("next"))


def setup(app: Sphinx) -> dict[str, Any]:
    from sphinx_codeautolink.extension.block import CodeBlockAnalyser

    # Before codeautolink reads the blocks (its handler has priority 490).
    app.connect("doctree-read", _skip_quoted_source, priority=480)

    depart = CodeBlockAnalyser.depart_section
    if not getattr(depart, "_tolerates_untitled", False):
        def depart_section(self: CodeBlockAnalyser, node: nodes.section) -> None:
            if _has_title(node):
                depart(self, node)

        depart_section._tolerates_untitled = True
        CodeBlockAnalyser.depart_section = depart_section
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
