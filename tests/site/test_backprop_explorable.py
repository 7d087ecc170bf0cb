"""The backpropagation chapter's worked example, edited in a real browser.

The page recomputes the example's forward values and gradients in
JavaScript; these tests hold it to the chapter's executed cell (the numbers
the build printed) and to the same formulas evaluated here with
``scratchnet.functional``, for three random settings.
"""

from __future__ import annotations

import re
from pathlib import Path

import numpy as np
import pytest
from site_helpers import (
    SCREENSHOTS,
    SHARP_PHONE,
    BrowserTab,
    built_page,
    page_width,
)

from scratchnet import functional as F

pytestmark = pytest.mark.site

NAME = "book/backprop"
BOX = '[data-explorable="backprop"]'
NAMES = ["u", "a", "L", "dL/da", "dL/du", "dL/dw", "dL/db", "dL/dx"]


@pytest.fixture(scope="module")
def page_path(site: Path) -> Path:
    return built_page(site, NAME)


def open_explorable(browser, url: str, **context: object) -> BrowserTab:
    """``url`` in its own tab, once the explorable says it is ready; the page
    carries the tab's error list as ``errors``."""
    tab = BrowserTab(browser, url, **context)
    tab.page.wait_for_load_state("networkidle")
    # The box says "true" when it is ready and "error" when it cannot be.
    tab.page.wait_for_selector(f"{BOX}[data-ready]")
    assert tab.page.get_attribute(BOX, "data-ready") == "true", tab.errors
    tab.page.errors = tab.errors
    return tab


@pytest.fixture
def page(browser, server: str, page_path: Path):
    tab = open_explorable(browser, f"{server}/{NAME}.html",
                          viewport={"width": 1280, "height": 900})
    yield tab.page
    tab.close()


def neuron(x: float, w: float, b: float, t: float) -> dict[str, float]:
    """The chapter's cell, formula for formula."""
    u = w * x + b
    a = float(F.sigmoid(np.float64(u)))
    loss = 0.5 * (a - t) ** 2
    dL_da = a - t
    dL_du = dL_da * float(F.sigmoid_grad(np.float64(u)))
    return {"u": u, "a": a, "L": loss, "dL/da": dL_da, "dL/du": dL_du,
            "dL/dw": dL_du * x, "dL/db": dL_du, "dL/dx": dL_du * w}


def shown(page) -> dict[str, str]:
    return {name: page.inner_text(f'{BOX} output[data-value="{name}"]')
            for name in NAMES}


def printed_by_the_cell(page) -> dict[str, float]:
    """The values the chapter's executed cell printed, from the built page."""
    text = page.locator(".cell_output pre", has_text="dL/dx =").first.inner_text()
    values = dict(re.findall(r"^\s*(\S+) = \s*(-?\d+\.\d+)\s*$", text, re.MULTILINE))
    assert set(values) == set(NAMES), text
    return {k: float(v) for k, v in values.items()}


def test_with_the_chapters_numbers_it_shows_what_the_cell_printed(page) -> None:
    inputs = {v: float(page.input_value(f'{BOX} input[data-var="{v}"]'))
              for v in "xwbt"}
    printed = printed_by_the_cell(page)
    page_values = shown(page)
    for name in NAMES:
        assert float(page_values[name]) == printed[name], name
    full = page.evaluate("scratchnetBackprop.values()")
    expected = neuron(**inputs)
    for name in NAMES:
        assert full[name] == pytest.approx(expected[name], rel=1e-12, abs=1e-15)
        assert round(full[name], 6) == pytest.approx(printed[name], abs=1e-6)
    assert not page.errors, page.errors


@pytest.mark.parametrize("seed", [1, 2, 3])
def test_a_random_setting_gives_the_values_numpy_computes(page, seed: int) -> None:
    rng = np.random.default_rng(seed)
    setting = dict(zip("xwbt", np.round(rng.uniform(-3, 3, 4), 3).tolist()))
    for var, value in setting.items():
        page.fill(f'{BOX} input[data-var="{var}"]', str(value))
    full = page.evaluate("scratchnetBackprop.values()")
    expected = neuron(**setting)
    texts = shown(page)
    for name in NAMES:
        assert full[name] == pytest.approx(expected[name], rel=1e-12, abs=1e-15), name
        assert float(texts[name]) == pytest.approx(expected[name], abs=5e-7), name
    if seed == 1:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.locator(BOX).screenshot(path=str(SCREENSHOTS / "backprop-explorable.png"))
    assert not page.errors, page.errors


def test_an_input_that_is_not_a_number_shows_no_values(page) -> None:
    page.fill(f'{BOX} input[data-var="w"]', "minus one")
    assert page.get_attribute(BOX, "data-state") == "invalid"
    assert page.get_attribute(f'{BOX} input[data-var="w"]', "aria-invalid") == "true"
    assert set(shown(page).values()) == {"–"}
    assert page.evaluate("scratchnetBackprop.values()") is None
    page.fill(f'{BOX} input[data-var="w"]', "-0.8")
    assert page.get_attribute(BOX, "data-state") == "ok"
    assert not page.errors, page.errors


def test_on_a_phone_it_fits_and_a_tapped_input_recomputes(
        browser, server: str, page_path: Path) -> None:
    tab = open_explorable(browser, f"{server}/{NAME}.html", **SHARP_PHONE)
    page = tab.page
    try:
        box = page.locator(BOX)
        box.scroll_into_view_if_needed()
        assert box.bounding_box()["width"] <= 390
        assert page_width(page) <= 390
        page.tap(f'{BOX} input[data-var="x"]')
        page.fill(f'{BOX} input[data-var="x"]', "2")
        setting = {v: float(page.input_value(f'{BOX} input[data-var="{v}"]'))
                   for v in "xwbt"}
        texts = shown(page)
        for name, value in neuron(**setting).items():
            assert float(texts[name]) == pytest.approx(value, abs=5e-7), name
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        box.screenshot(path=str(SCREENSHOTS / "backprop-explorable-phone.png"))
        assert not page.errors, page.errors
    finally:
        tab.close()
