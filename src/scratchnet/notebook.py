"""Name the numbers a chapter computes, so that its prose can quote them.

The book never types a measured number into its text: a cell computes the
value and *glues* it under a name, and the prose refers to that name with
myst-nb's ``{glue:text}`` role. ``glue`` here does that, and also prints the
value, so a reader who runs a chapter as a plain notebook (in Jupyter Lab, or
the notebook downloaded from the site, where myst-nb may not be installed)
sees every number the page quotes, in the output of the cell that made it.
"""

from __future__ import annotations

from typing import Any


def glue(name: str, value: Any) -> None:
    """Show ``name: value`` and keep ``value`` for the book's glue roles.

    Without myst-nb (a fresh Jupyter) the value is only shown; the book's
    build always has myst-nb, so the page can quote it.
    """
    # A Markdown object (a glued sentence or table) prints as its text,
    # not as "<IPython.core.display.Markdown object>".
    markdown = getattr(value, "_repr_markdown_", None)
    print(f"{name}: {markdown() if callable(markdown) else value}")
    try:
        from myst_nb import glue as myst_glue
    except ImportError:
        return
    myst_glue(name, value, display=False)
