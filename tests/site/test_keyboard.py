"""The interactive pages work from the keyboard alone, and say in words what
they show.

A reader who cannot use a mouse or a finger reaches every control with Tab
and works it with Enter, Space or typing. Here such a reader loads a test
digit on "Draw a digit", takes a training step in the playground and changes
an input of the backprop explorable; each page then states its result as
text: the predicted digit with its probability (and all ten probabilities,
which the bars draw), the step and the loss, the gradients.
"""

from __future__ import annotations

import contextlib
import re
from collections.abc import Iterator

import pytest
from site_helpers import BrowserTab, built_page

pytestmark = pytest.mark.site

DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def tab_to(page, selector: str, limit: int = 400) -> None:
    """Press Tab until the focus is on an element matching ``selector``."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement.matches(s)", selector):
            return
    pytest.fail(f"{selector} cannot be reached with Tab ({limit} presses)")


@contextlib.contextmanager
def opened(browser, server: str, site, name: str, ready: str) -> Iterator:
    """Page ``name`` once ``ready`` holds; afterwards, no error was logged."""
    built_page(site, name)
    tab = BrowserTab(browser, f"{server}/{name}.html", **DESKTOP)
    try:
        tab.page.wait_for_function(ready)
        yield tab.page
        assert not tab.errors, tab.errors
    finally:
        tab.close()


def test_draw_a_digit_from_the_keyboard(browser, server: str, site) -> None:
    with opened(browser, server, site, "book/interactive",
                "document.getElementById('digit-app').dataset.ready === 'true'") as page:
        tab_to(page, "button.ia-sample")
        page.keyboard.press("Enter")
        page.wait_for_function(
            "/\\d/.test(document.getElementById('digit-prediction').textContent)")
        assert re.fullmatch(r"\d", page.inner_text("#digit-prediction").strip())
        confidence = page.inner_text("#digit-confidence").strip()
        assert re.fullmatch(r"\d+\.\d% sure", confidence), confidence
        bars = page.get_attribute("#digit-bars", "aria-label")
        assert [int(d) for d in re.findall(r"(\d): \d+%", bars)] == list(range(10)), bars
        captions = page.locator("#digit-hidden figcaption").all_inner_texts()
        assert captions and all(re.search(r"\d+ units, \d+ active", c) for c in captions)


def test_playground_from_the_keyboard(browser, server: str, site) -> None:
    with opened(browser, server, site, "book/playground",
                "document.getElementById('pg-app').dataset.ready === 'true'") as page:
        tab_to(page, "#pg-step")
        page.keyboard.press("Enter")
        page.wait_for_function("document.getElementById('pg-steps').textContent !== '0'")
        assert float(page.inner_text("#pg-loss")) > 0
        tab_to(page, "#pg-show-test")
        page.keyboard.press("Space")
        assert page.is_checked("#pg-show-test")


def test_backprop_explorable_from_the_keyboard(browser, server: str, site) -> None:
    box = '[data-explorable="backprop"]'
    with opened(browser, server, site, "book/backprop",
                f"document.querySelector('{box}').dataset.ready === 'true'") as page:
        before = page.inner_text(f'{box} output[data-value="dL/dw"]')
        tab_to(page, f'{box} input[data-var="x"]')
        page.keyboard.press("Control+A")
        page.keyboard.type("2")
        page.wait_for_function(
            "([sel, old]) => document.querySelector(sel).textContent !== old",
            arg=[f'{box} output[data-value="dL/dw"]', before])
        assert re.search(r"\d", page.inner_text(f'{box} output[data-value="dL/dw"]'))
