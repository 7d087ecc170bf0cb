"""Long equations are broken into lines, not scrolled, on a phone.

A display equation wider than a 390 px screen scrolls inside its own box
(``book/_static/phone.css``), so nothing is lost; but a reader who has to
scroll an equation sideways cannot see it whole. The book breaks or restates
its long equations (``aligned``, ``multline``, two equations instead of one),
and allows at most ``MAX_SCROLLING`` in the whole book to scroll.
"""

from __future__ import annotations

import pytest
from site_helpers import PHONE, toc_files, typeset_tab

pytestmark = pytest.mark.site

MAX_SCROLLING = 5

# Runs in a page once MathJax has typeset it: each display equation wider
# than its box, by its number (or its first characters) and how wide it is.
SCROLLING = """() => Array.from(
    document.querySelectorAll("article div.math mjx-container"))
  .filter((box) => box.scrollWidth > box.clientWidth + 1)
  .map((box) => {
    const eq = box.closest("div.math");
    const number = eq.querySelector(".eqno");
    const name = number
      ? `${number.textContent.replace("#", "").trim()} ${eq.id.replace("equation-", "")}`
      : `"${eq.textContent.trim().slice(0, 30)}"`;
    return `${name}: ${box.scrollWidth} px in ${box.clientWidth} px`;
  })"""


def test_at_most_five_equations_scroll_on_a_phone(browser, server: str) -> None:
    scrolling: dict[str, list[str]] = {}
    for name in toc_files():
        tab = typeset_tab(browser, f"{server}/{name}.html", **PHONE)
        try:
            found = tab.page.evaluate(SCROLLING)
        finally:
            tab.close()
        if found:
            scrolling[name] = found
    total = sum(len(v) for v in scrolling.values())
    listing = "\n".join(f"  {name}: {', '.join(eqs)}" for name, eqs in scrolling.items())
    assert total <= MAX_SCROLLING, (
        f"{total} display equations scroll sideways at 390 px (at most "
        f"{MAX_SCROLLING} may); break them into lines:\n{listing}")
