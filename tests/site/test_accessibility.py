"""Every page passes axe-core with nothing critical or serious, and its
controls are large enough to tap.

axe-core (Deque's accessibility engine, the one browsers' developer tools
use) is installed by ``make site-test`` at the version
``tests/site/axe/package-lock.json`` pins (``npm ci``). It is injected into
each built page once MathJax has typeset it, on a desktop screen and on a
390 px phone, and runs all of its rules. A violation of impact "critical" or
"serious" fails the page, with the rule, what it says and where.
"""

from __future__ import annotations

import pytest
from conftest import site_required
from site_helpers import PHONE, ROOT, toc_files, typeset_tab

pytestmark = pytest.mark.site

AXE = ROOT / "tests" / "site" / "axe" / "node_modules" / "axe-core" / "axe.min.js"
BLOCKING = {"critical", "serious"}
DESKTOP = {"viewport": {"width": 1280, "height": 900}}
# WCAG 2.2's minimum target size (2.5.8), in CSS pixels.
MIN_TARGET_PX = 24


@pytest.fixture(scope="module")
def axe_source() -> str:
    if not AXE.exists():
        message = f"axe-core is not installed ({AXE}): run `make site-test`"
        if site_required():
            pytest.fail(message)
        pytest.skip(message)
    return AXE.read_text("utf-8")


def violations(page, axe_source: str) -> list[str]:
    """What axe-core finds critical or serious in ``page``, one line each."""
    page.add_script_tag(content=axe_source)
    found = page.evaluate("() => axe.run(document, {resultTypes: ['violations']})")
    lines = []
    for rule in found["violations"]:
        if rule["impact"] not in BLOCKING:
            continue
        nodes = rule["nodes"]
        where = "; ".join(" ".join(node["target"]) for node in nodes[:3])
        if len(nodes) > 3:
            where += f" and {len(nodes) - 3} more"
        lines.append(f"{rule['impact']} {rule['id']}: {rule['help']} "
                     f"({len(nodes)}x: {where})")
    return lines


@pytest.mark.parametrize("screen", ["desktop", "phone"])
@pytest.mark.parametrize("name", toc_files())
def test_axe_finds_nothing_critical_or_serious(
    browser, server: str, axe_source: str, name: str, screen: str
) -> None:
    tab = typeset_tab(browser, f"{server}/{name}.html",
                      **(PHONE if screen == "phone" else DESKTOP))
    try:
        found = violations(tab.page, axe_source)
    finally:
        tab.close()
    assert not found, f"{name} ({screen}):\n" + "\n".join(found)


# Each form control and button in the article that is smaller than ``min``
# CSS pixels either way, by what it is and its size.
SMALL_TARGETS = """(min) => Array.from(document.querySelectorAll(
    "article :is(input:not([type=hidden]), select, button, textarea)"))
  .filter((el) => el.getClientRects().length > 0)
  .filter((el) => { const r = el.getBoundingClientRect();
                    return r.width < min || r.height < min; })
  .map((el) => { const r = el.getBoundingClientRect();
    const name = (el.getAttribute("aria-label") || el.textContent || el.name || "")
      .trim().slice(0, 30);
    return `<${el.tagName.toLowerCase()} type=${el.type}> "${name}": ` +
           `${Math.round(r.width)}x${Math.round(r.height)} px`; })"""


@pytest.mark.parametrize("name", toc_files())
def test_controls_are_at_least_24px_on_a_phone(browser, server: str, name: str) -> None:
    tab = typeset_tab(browser, f"{server}/{name}.html", **PHONE)
    try:
        small = tab.page.evaluate(SMALL_TARGETS, MIN_TARGET_PX)
    finally:
        tab.close()
    assert not small, (f"{name}: controls smaller than {MIN_TARGET_PX}x{MIN_TARGET_PX}"
                       " px on a phone:\n" + "\n".join(small))

