"""Figure text is readable on a phone: at least 9 CSS pixels high.

A page shrinks a figure to the width of a 390 px screen, and its text with
it. Each figure a chapter draws records in its PNG the size of the smallest
text it drew, in points (``scratchnet.plots``); the PNG also records its
resolution. On the page, text of ``pt`` points in a PNG of ``dpi`` dots per
inch is ``pt * dpi / 72`` image pixels high, and the image is shown at
``shown / natural`` of its size, so that many CSS pixels on the screen.
"""

from __future__ import annotations

import math
from pathlib import Path
from urllib.parse import unquote, urlparse

import pytest
from PIL import Image
from site_helpers import PHONE, BrowserTab, toc_files

from scratchnet.plots import SMALLEST_TEXT_KEY

pytestmark = pytest.mark.site

MIN_TEXT_PX = 9.0

# Each image a code cell drew, with its address and shown width in CSS px.
CELL_IMAGES = """() => Array.from(
    document.querySelectorAll("article div.cell_output img"))
  .map((img) => ({src: img.currentSrc || img.src,
                  shown: img.getBoundingClientRect().width,
                  number: (img.closest("figure")?.querySelector(".caption-number")
                           ?.textContent || "").trim()}))"""


def smallest_text_px(png: Path, shown: float) -> float | None:
    """CSS pixels of the smallest text of ``png`` shown ``shown`` px wide, or
    None when the image does not say how large its text is."""
    with Image.open(png) as image:
        pt = image.info.get(SMALLEST_TEXT_KEY)
        dpi = image.info.get("dpi", (72.0, 72.0))[0]
        natural = image.width
    if pt is None:
        return None
    if pt == "none":                    # a picture without text: nothing to read
        return math.inf
    return float(pt) * float(dpi) / 72.0 * shown / natural


def figures_pages() -> list[str]:
    return [name for name in toc_files() if name != "book/api"]


@pytest.mark.parametrize("name", figures_pages())
def test_figure_text_is_at_least_9px_on_a_phone(
    browser, server: str, site: Path, name: str
) -> None:
    tab = BrowserTab(browser, f"{server}/{name}.html", **PHONE)
    try:
        tab.page.wait_for_function(
            "() => Array.from(document.images).every((img) => img.complete)")
        images = tab.page.evaluate(CELL_IMAGES)
    finally:
        tab.close()
    problems = []
    for image in images:
        path = site / unquote(urlparse(image["src"]).path).lstrip("/")
        what = image["number"] or path.name
        if path.suffix != ".png":
            continue
        px = smallest_text_px(path, image["shown"])
        if px is None:
            problems.append(f"{what}: its PNG does not record its text size "
                            "(draw it in a chapter that imports scratchnet.plots)")
        elif px < MIN_TEXT_PX:
            problems.append(f"{what}: smallest text {px:.1f} px "
                            f"(shown {image['shown']:.0f} px wide)")
    assert not problems, f"{name} at 390 px:\n" + "\n".join(problems)
