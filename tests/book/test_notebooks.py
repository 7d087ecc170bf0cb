"""Chapters run as plain notebooks, outside the book: what a Jupyter reader sees.

Each chapter is read with jupytext and executed with nbclient in ``book/``,
without Sphinx or myst-nb's glue, as ``make lab`` or a downloaded notebook
runs it. Every figure the book numbers must be an image output of its own
cell (exactly one, no stray or doubled figures, no ``<Figure size ...>``
text), and every number the prose quotes must be printed by some cell.

The cheaper chapters run by default; ``SCRATCHNET_ALL_CHAPTERS=1`` runs all
of them (about eight minutes more on two cores). The site's downloaded
notebooks of every chapter are checked in ``tests/site/test_downloads.py``.
"""

from __future__ import annotations

import os

import jupytext
import pytest
from nbclient import NotebookClient
from notebook_figures import (
    BOOK,
    ROOT,
    figure_cells,
    figure_reprs,
    glued_names,
    images_per_cell,
    page_figures,
    printed_text,
)

from scratchnet.notebook import BOOK_BUILD_ENV

pytestmark = [pytest.mark.slow, pytest.mark.mnist]

CHEAP = ["activations", "backprop", "linear-algebra", "mnist", "performance",
         "softmax"]
ALL = sorted(p.stem for p in BOOK.glob("*.md")
             if "kernelspec:" in p.read_text(encoding="utf-8")[:500])
CHAPTERS = ALL if os.environ.get("SCRATCHNET_ALL_CHAPTERS") == "1" else CHEAP


def test_the_cheap_chapters_are_chapters() -> None:
    assert set(CHEAP) <= set(ALL)


@pytest.mark.parametrize("name", CHAPTERS)
def test_chapter_run_as_plain_notebook_shows_its_figures_and_numbers(
        name: str, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(BOOK_BUILD_ENV, raising=False)     # not the book build
    nb = jupytext.read(BOOK / f"{name}.md")
    figures = figure_cells(nb)
    NotebookClient(nb, timeout=900, kernel_name="python3",
                   resources={"metadata": {"path": str(BOOK)}}).execute()

    assert images_per_cell(nb) == {i: 1 for i in figures}, (
        f"{name}: image outputs per cell differ from the figure cells "
        f"{figures} (a missing, doubled or uncaptioned figure)")
    assert not figure_reprs(nb), f"{name}: '<Figure size' text in cells"
    printed = printed_text(nb)
    unprinted = sorted(k for k in glued_names(nb) if f"{k}: " not in printed)
    assert not unprinted, f"{name}: glued but not printed: {unprinted}"

    page = ROOT / "_build" / "html" / "book" / f"{name}.html"
    if page.exists():                       # after `make book`: the same count
        assert page_figures(page.read_text(encoding="utf-8")) == len(figures)
