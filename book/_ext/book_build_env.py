"""Tell the chapters that they run for the book: ``SCRATCHNET_BOOK_BUILD=1``.

``scratchnet.notebook.glue`` hands a value to myst-nb (which puts it into the
page's prose) only while the book is built; anywhere else (Jupyter Lab, a
downloaded notebook) it prints ``name: value`` instead. This extension is the
one place the build says so: it sets the variable when Sphinx loads it,
before any chapter executes, and the kernels that execute the chapters
inherit it. ``make chapter`` (``book/run_chapter.py``) sets it the same way.
"""

from __future__ import annotations

import os
from typing import Any

from sphinx.application import Sphinx

from scratchnet.notebook import BOOK_BUILD_ENV


def setup(app: Sphinx) -> dict[str, Any]:
    os.environ[BOOK_BUILD_ENV] = "1"
    return {"parallel_read_safe": True, "parallel_write_safe": True}
