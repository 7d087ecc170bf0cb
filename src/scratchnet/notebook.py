"""Name the numbers a chapter computes, so that its prose can quote them.

The book never types a measured number into its text: a cell computes the
value and *glues* it under a name, and the prose refers to that name with
myst-nb's ``{glue:text}`` role. ``glue`` here does that, and also prints the
value, so a reader who runs a chapter as a plain notebook (in Jupyter Lab, or
the notebook downloaded from the site, where myst-nb may not be installed)
sees every number the page quotes, in the output of the cell that made it.
"""

from __future__ import annotations

import os
from typing import Any

#: Set by the book's build (``book/_ext/notebook_download.py``) and by
#: ``make chapter``, and inherited by the kernels that execute the chapters.
BOOK_BUILD_ENV = "SCRATCHNET_BOOK_BUILD"


def glue(name: str, value: Any) -> None:
    """Show ``name: value`` and, in the book's build, keep it for the prose.

    Only the build hands the value to myst-nb: its record is an output no
    Jupyter can draw ("No renderer could be found"), so elsewhere the value
    is only shown.
    """
    # A Markdown object (a glued sentence or table) prints as its text,
    # not as "<IPython.core.display.Markdown object>".
    markdown = getattr(value, "_repr_markdown_", None)
    print(f"{name}: {markdown() if callable(markdown) else value}")
    if os.environ.get(BOOK_BUILD_ENV) != "1":
        return
    from myst_nb import glue as myst_glue

    myst_glue(name, value, display=False)
