"""Count a chapter's figures where a reader meets them.

In its source (the code cells captioned with ``mystnb: figure:``), in an
executed notebook (image outputs, per cell), and on its built page
(``<figure>`` elements holding an image). The tests of plain-notebook runs
and of the site's downloads compare these counts.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import nbformat

ROOT = Path(__file__).resolve().parents[1]
BOOK = ROOT / "book"
# {glue:text}`key`, {glue:text}`key:.2f`, {glue:md}`key`, {glue}`key`
GLUE_ROLE = re.compile(r"\{glue(?::\w+)?\}`([^`:]+)")


def figure_cells(nb: nbformat.NotebookNode) -> list[int]:
    """Indices of the code cells that the book shows as numbered figures."""
    return [i for i, cell in enumerate(nb.cells)
            if cell.cell_type == "code"
            and "figure" in cell.metadata.get("mystnb", {})]


def images_per_cell(nb: nbformat.NotebookNode) -> dict[int, int]:
    """``{cell index: number of image outputs}`` for cells that have any."""
    counts = {}
    for i, cell in enumerate(nb.cells):
        n = sum(any(k.startswith("image/") for k in out.get("data", {}))
                for out in cell.get("outputs", []))
        if n:
            counts[i] = n
    return counts


def figure_reprs(nb: nbformat.NotebookNode) -> list[int]:
    """Cells with a ``<Figure size ...>`` text output and no image in it."""
    return [i for i, cell in enumerate(nb.cells)
            for out in cell.get("outputs", [])
            if not any(k.startswith("image/") for k in out.get("data", {}))
            and "<Figure size" in (out.get("text", "")
                                   + out.get("data", {}).get("text/plain", ""))]


def glued_names(nb: nbformat.NotebookNode) -> set[str]:
    """Every name the chapter's prose and captions quote with a glue role."""
    texts = [cell.source for cell in nb.cells if cell.cell_type == "markdown"]
    texts += [str(cell.metadata.get("mystnb", {}).get("figure", {})
                  .get("caption", "")) for cell in nb.cells]
    return {key.strip() for text in texts for key in GLUE_ROLE.findall(text)}


def printed_text(nb: nbformat.NotebookNode) -> str:
    """All the text a notebook reader sees in the cells' outputs."""
    return "".join(out.get("text", "") for cell in nb.cells
                   for out in cell.get("outputs", [])
                   if out.get("output_type") == "stream")


class _FigureCounter(HTMLParser):
    """Count ``<figure>`` elements with an ``<img>`` inside."""

    def __init__(self) -> None:
        super().__init__()
        self.depth = 0
        self.has_image = False
        self.count = 0

    def handle_starttag(self, tag: str, attrs: list) -> None:
        if tag == "figure":
            self.depth += 1
        elif tag == "img" and self.depth:
            self.has_image = True

    def handle_endtag(self, tag: str) -> None:
        if tag == "figure" and self.depth:
            self.depth -= 1
            if not self.depth:
                self.count += self.has_image
                self.has_image = False


def page_figures(html: str) -> int:
    """How many figures with an image a built page shows."""
    counter = _FigureCounter()
    counter.feed(html)
    return counter.count
