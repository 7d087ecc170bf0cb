"""A table wider than a phone's screen scrolls, and says so.

On a 390 px phone a wide table (the notation tables, the seed notebooks'
comparison, the performance targets) scrolls sideways inside its box. A
phone draws no scrollbar until one scrolls, so the box must show that the
table goes on: it fades out on that side (``book/_static/scroll-cue.js`` and
``phone.css``). After scrolling to the end, the fade moves to the other side.
"""

from __future__ import annotations

import pytest
from site_helpers import PHONE, toc_files, typeset_tab

pytestmark = pytest.mark.site

# Each table in the article wider than what shows of it: whether its box
# scrolls, and the fade (mask) its box shows at the start and at the end.
WIDE_TABLES = """async () => {
  const frame = () => new Promise(
    (done) => requestAnimationFrame(() => requestAnimationFrame(done)));
  const found = [];
  for (const table of document.querySelectorAll("article table")) {
    let box = table.parentElement;
    while (box && getComputedStyle(box).overflowX === "visible") {
      box = box.parentElement;
    }
    if (!box || box.scrollWidth <= box.clientWidth + 1) continue;
    const style = getComputedStyle(box);
    const fade = () => getComputedStyle(box).maskImage;
    await frame();
    const start = fade();
    box.scrollLeft = box.scrollWidth;
    await frame();
    const end = fade();
    box.scrollLeft = 0;
    found.push({
      name: (table.querySelector("th, td")?.textContent || "").trim().slice(0, 30),
      scrolls: ["auto", "scroll"].includes(style.overflowX),
      start, end,
      width: table.getBoundingClientRect().width, shown: box.clientWidth});
  }
  return found;
}"""


@pytest.mark.parametrize("name", toc_files())
def test_wide_tables_scroll_with_a_visible_cue(browser, server: str, name: str) -> None:
    tab = typeset_tab(browser, f"{server}/{name}.html", **PHONE)
    try:
        tables = tab.page.evaluate(WIDE_TABLES)
    finally:
        tab.close()
    problems = []
    for t in tables:
        what = f'table "{t["name"]}" ({t["width"]:.0f} px in {t["shown"]} px)'
        if not t["scrolls"]:
            problems.append(f"{what}: its box clips it instead of scrolling")
        elif "gradient" not in (t["start"] or ""):
            problems.append(f"{what}: scrolls, but nothing shows that it goes on")
        elif t["start"] == t["end"]:
            problems.append(f"{what}: the cue does not change at the end of the table")
    assert not problems, f"{name} at 390 px:\n" + "\n".join(problems)
