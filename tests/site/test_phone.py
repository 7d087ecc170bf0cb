"""Every page of the book, read on a phone (390 by 844 CSS pixels).

A page must fit the screen: nothing makes the whole page scroll sideways, and
nothing is cut off by a box that hides its overflow. A display equation wider
than the screen scrolls inside its own box, and its equation number sits
beside the formula, never on top of it; a phone shows no scrollbar until one
scrolls, so the box shows that it scrolls, by a scrollbar that is always drawn
or by a shadow at the edge where the formula goes on.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import SCREENSHOTS, SHARP_PHONE, toc_files, typeset_tab

pytestmark = pytest.mark.site


# Runs in the page once MathJax has typeset it. Returns what a reader would
# find wrong, as plain strings.
LAYOUT_PROBLEMS = """() => {
  const problems = [];
  const width = document.documentElement.clientWidth;
  const scrollWidth = document.documentElement.scrollWidth;
  if (scrollWidth > width) {
    problems.push(`the page is ${scrollWidth} px wide on a ${width} px screen`);
  }
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const label = (el) => {
    const eq = el.closest("div.math");
    const number = eq && eq.querySelector(".eqno");
    if (number) return `equation ${number.textContent.replace("#", "").trim()}`;
    const text = (el.textContent || "").trim().replace(/\\s+/g, " ");
    return `<${el.tagName.toLowerCase()} class="${el.className}"> "${text.slice(0, 40)}"`;
  };

  // Display equations: the formula fits its box, or the box scrolls; the box
  // lies inside the equation's row and the number lies outside the box.
  for (const eq of document.querySelectorAll("article div.math")) {
    const box = eq.querySelector("mjx-container");
    if (!box) { problems.push(`an equation MathJax did not typeset: ${eq.textContent.slice(0, 40)}`); continue; }
    const row = eq.getBoundingClientRect();
    const r = box.getBoundingClientRect();
    if (box.scrollWidth > box.clientWidth + 1) {
      const style = getComputedStyle(box);
      const bar = box.offsetHeight - box.clientHeight -
                  parseFloat(style.borderTopWidth) - parseFloat(style.borderBottomWidth);
      if (!scrolls(box)) {
        problems.push(`${label(box)}: ${box.scrollWidth} px of formula in a ${box.clientWidth} px box that does not scroll`);
      } else if (bar <= 0 && !style.backgroundImage.includes("gradient")) {
        problems.push(`${label(box)}: scrolls, but neither a scrollbar nor a shadow says so`);
      }
    }
    if (r.left < row.left - 1 || r.right > row.right + 1 || r.right > width + 1 || r.left < -1) {
      problems.push(`${label(box)}: its box (${Math.round(r.left)}..${Math.round(r.right)} px) is cut off by the page (${Math.round(row.left)}..${Math.round(row.right)} px)`);
    }
    const number = eq.querySelector(".eqno");
    if (number) {
      const n = number.getBoundingClientRect();
      const apart = n.right <= r.left + 1 || n.left >= r.right - 1 ||
                    n.bottom <= r.top + 1 || n.top >= r.bottom - 1;
      if (!apart) problems.push(`${label(box)}: the equation number covers the formula`);
    }
  }

  // Anything else in the page's main column (tables, code, outputs, figures,
  // the links to the previous and next chapter) that sticks out of the
  // screen must be inside a box that scrolls, not one that clips it.
  const seen = new Set();
  for (const el of document.querySelectorAll("main *")) {
    if (el.closest("mjx-assistive-mml")) continue;
    const r = el.getBoundingClientRect();
    if (r.width === 0 || r.height === 0) continue;
    if (r.right <= width + 1 && r.left >= -1) continue;
    // A closed drawer (the theme's sidebars on a phone) waits off screen.
    let fixed = el;
    while (fixed && getComputedStyle(fixed).position !== "fixed") fixed = fixed.parentElement;
    if (fixed) {
      const f = fixed.getBoundingClientRect();
      if (f.left >= width || f.right <= 0) continue;
    }
    let clip = el.parentElement;
    while (clip && getComputedStyle(clip).overflowX === "visible") clip = clip.parentElement;
    if (clip && scrolls(clip)) continue;
    const culprit = clip || el;
    if (seen.has(culprit)) continue;
    seen.add(culprit);
    problems.push(`${label(el)} reaches ${Math.round(r.left)}..${Math.round(r.right)} px, cut off by ${clip ? label(clip) : "the screen"}`);
  }
  return problems;
}"""


@pytest.mark.parametrize("name", toc_files())
def test_page_fits_a_phone_and_wide_equations_scroll(
    browser, server: str, site: Path, name: str
) -> None:
    tab = typeset_tab(browser, f"{server}/{name}.html", **SHARP_PHONE)
    try:
        problems = tab.page.evaluate(LAYOUT_PROBLEMS)
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        tab.page.screenshot(path=str(SCREENSHOTS / f"phone-{Path(name).name}.png"))
    finally:
        tab.close()
    assert not problems, f"{name} at 390 px:\n" + "\n".join(problems[:30]) + (
        f"\n... and {len(problems) - 30} more" if len(problems) > 30 else "")
