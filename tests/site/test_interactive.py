"""The "Draw a digit" page, used in a real browser as a reader would use it.

The page computes the network's answer in JavaScript from the exported
``model.json``; these tests hold it to scratchnet's Python forward pass, and
check the drawing, the MNIST-style preprocessing and the empty states.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from export_reader import model_from_dict, sample_pixels
from site_helpers import ROOT, SCREENSHOTS, BrowserTab, built_page, tab_fixture

from scratchnet import data
from scratchnet.model import Sequential

pytestmark = pytest.mark.site

NAME = "book/interactive"
TOLERANCE = 1e-5


@pytest.fixture(scope="module")
def page_path(site: Path) -> Path:
    return built_page(site, NAME)


class Reader(BrowserTab):
    """A browser tab on the page, collecting every console error and request."""

    def __init__(self, browser, url: str, **context: object) -> None:
        context.setdefault("viewport", {"width": 1280, "height": 1000})
        super().__init__(browser, url, **context)
        # ``ready`` rejects with the reason when the network cannot load.
        self.page.evaluate("scratchnetDigit.ready.then(() => true)")
        assert self.page.get_attribute("#digit-app", "data-ready") == "true"

    def js(self, expression: str) -> object:
        return self.page.evaluate(expression)

    def prediction_text(self) -> str:
        return self.page.inner_text("#digit-prediction").strip()

    def canvas_box(self) -> dict[str, float]:
        box = self.page.locator("#digit-canvas").bounding_box()
        assert box is not None
        return box

    def draw(self, points: list[tuple[float, float]]) -> None:
        """Draw one stroke with the mouse; points are fractions of the canvas."""
        box = self.canvas_box()
        at = [(box["x"] + u * box["width"], box["y"] + v * box["height"])
              for u, v in points]
        mouse = self.page.mouse
        mouse.move(*at[0])
        mouse.down()
        for x, y in at[1:]:
            mouse.move(x, y, steps=8)
        mouse.up()
        self.page.wait_for_function(
            "/\\d/.test(document.getElementById('digit-prediction').textContent)")

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"interactive-{name}.png"
        # From the top of the page, so that the theme's sticky header and
        # its skip link do not cover the widget.
        self.page.evaluate("document.activeElement.blur(); scrollTo(0, 0)")
        box = self.page.locator("#digit-app").bounding_box()
        self.page.screenshot(path=str(path), full_page=True, clip=box)
        return path


reader = tab_fixture(Reader, NAME)


@pytest.fixture(scope="module")
def site_files(page_path: Path) -> dict[str, dict]:
    static = page_path.parent.parent / "_static" / "interactive"
    return {name: json.loads((static / f"{name}.json").read_text())
            for name in ("model", "samples")}


@pytest.fixture(scope="module")
def python_model(site_files: dict[str, dict]) -> Sequential:
    """The model the site was exported from, as scratchnet loads it.

    That is ``_build/models/mlp.npz`` when it is still the file the site was
    built from (same SHA-256); otherwise the same weights, rebuilt from the
    site's own ``model.json`` (the export is lossless).
    """
    doc = site_files["model"]
    source = doc["metadata"].get("source", {})
    npz = ROOT / source.get("path", "_build/models/mlp.npz")
    if npz.exists() and data.sha256(npz) == source.get("sha256"):
        return Sequential.load(npz)
    return model_from_dict(doc)


# A "7": the top bar, then the diagonal down to the bottom.
SEVEN = [(0.25, 0.2), (0.75, 0.2), (0.45, 0.85)]


def test_drawing_a_stroke_shows_a_digit(reader: Reader) -> None:
    reader.draw(SEVEN)
    assert reader.prediction_text() in list("0123456789")
    p = np.array(reader.js("scratchnetDigit.probabilities()"))
    assert p.shape == (10,) and abs(p.sum() - 1) < 1e-9
    assert int(reader.prediction_text()) == p.argmax()
    bars = reader.page.locator("#digit-bars .ia-best").get_attribute("data-digit")
    assert bars == reader.prediction_text()
    hidden = reader.js("scratchnetDigit.hidden()")
    assert [len(h) for h in hidden] == [256, 128]
    assert min(min(h) for h in hidden) >= 0          # ReLU outputs
    reader.screenshot("drawn")
    assert not reader.errors, reader.errors


def test_a_drawing_is_preprocessed_like_an_mnist_digit(reader: Reader) -> None:
    reader.draw(SEVEN)
    x = np.array(reader.js("scratchnetDigit.input()")).reshape(28, 28)
    assert x.min() >= 0 and x.max() <= 1
    assert np.count_nonzero((x > 0) & (x < 1)) > 0, "no anti-aliased greys"
    rows, cols = np.flatnonzero(x.any(axis=1)), np.flatnonzero(x.any(axis=0))
    longest = max(rows[-1] - rows[0] + 1, cols[-1] - cols[0] + 1)
    assert longest == 20, "the ink must fit a 20x20 box exactly"
    r, c = np.mgrid[0:28, 0:28]
    centre = np.array([(x * r).sum(), (x * c).sum()]) / x.sum()
    assert np.abs(centre - 14).max() <= 0.5, f"centre of mass at {centre}"


def test_test_digits_get_the_probabilities_python_computes(
    reader: Reader, site_files: dict[str, dict], python_model: Sequential
) -> None:
    samples = site_files["samples"]["samples"]
    pixels = sample_pixels(site_files["samples"])
    expected = python_model.predict_proba(data.preprocess(pixels))
    buttons = reader.page.locator(".ia-sample")
    assert buttons.count() == len(samples)
    wrong = [k for k, s in enumerate(samples) if s["label"] != s["prediction"]]
    assert wrong, "the exported samples must include mistakes"
    worst = 0.0
    for k in range(len(samples)):
        reader.page.click(f".ia-sample[data-sample='{k}']")
        got = np.array(reader.js("scratchnetDigit.probabilities()"))
        shown = np.array(reader.js("scratchnetDigit.input()"))
        assert np.array_equal(shown, pixels[k].ravel() / 255), k
        worst = max(worst, float(np.abs(got - expected[k]).max()))
        assert reader.prediction_text() == str(expected[k].argmax())
        assert samples[k]["prediction"] == expected[k].argmax()
        if k == wrong[0]:
            reader.screenshot("mistake")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "interactive-agreement.json").write_text(json.dumps(
        {"samples": len(samples), "max_abs_probability_difference": worst}))
    assert worst <= TOLERANCE, f"JS and Python differ by up to {worst:.2e}"
    assert not reader.errors, reader.errors


def test_clear_resets_the_page(reader: Reader) -> None:
    reader.draw(SEVEN)
    reader.page.click("#digit-clear")
    assert not any(ch.isdigit() for ch in reader.prediction_text())
    assert reader.js("scratchnetDigit.probabilities()") is None
    assert reader.js("scratchnetDigit.input()") is None
    ink = reader.js("""(() => {
        const c = document.getElementById('digit-canvas');
        const a = c.getContext('2d').getImageData(0, 0, c.width, c.height).data;
        let n = 0; for (let i = 3; i < a.length; i += 4) n += a[i] > 0;
        return n; })()""")
    assert ink == 0
    fills = reader.page.eval_on_selector_all(
        "#digit-bars .ia-bar-fill", "els => els.map(e => e.style.height)")
    assert set(fills) == {"0%"}
    assert not reader.errors, reader.errors


def test_an_empty_canvas_shows_no_prediction(reader: Reader) -> None:
    """Bad input: a blank image gets no confident guess, nor does a dot."""
    assert not any(ch.isdigit() for ch in reader.prediction_text())
    state = reader.page.get_attribute("#digit-prediction", "data-state")
    assert state == "empty"
    assert reader.js("scratchnetDigit.probabilities()") is None
    assert "draw a digit" in reader.page.inner_text("#digit-status").lower()
    reader.screenshot("empty")
    box = reader.canvas_box()
    reader.page.mouse.click(box["x"] + 100, box["y"] + 100)   # a single dot
    reader.page.wait_for_function(
        "document.getElementById('digit-prediction').dataset.state === 'small'")
    assert reader.js("scratchnetDigit.probabilities()") is None
    assert not reader.errors, reader.errors


def test_a_finger_draws_too(browser, server: str, page_path: Path) -> None:
    """Real touch input (through the DevTools protocol), not mouse emulation."""
    r = Reader(browser, f"{server}/{NAME}.html", has_touch=True)
    try:
        box = r.canvas_box()
        cdp = r.context.new_cdp_session(r.page)
        points = [(box["x"] + 140, box["y"] + 40 + 10 * i) for i in range(21)]
        kinds = ["touchStart"] + ["touchMove"] * 20
        for kind, (x, y) in zip(kinds, points):
            cdp.send("Input.dispatchTouchEvent",
                     {"type": kind, "touchPoints": [{"x": x, "y": y}]})
        cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd",
                                              "touchPoints": []})
        r.page.wait_for_function(
            "/\\d/.test(document.getElementById('digit-prediction').textContent)")
        assert r.js("scratchnetDigit.prediction()") is not None
        assert not r.errors, r.errors
    finally:
        r.close()


def test_the_page_is_self_contained_and_the_canvas_large_enough(
    reader: Reader, server: str
) -> None:
    box = reader.canvas_box()
    assert box["width"] >= 280 and box["height"] >= 280
    outside = [u for u in reader.requests if not u.startswith(server)
               and not u.startswith("data:")]
    assert not outside, f"the page fetched from elsewhere: {outside}"
    reader.page.screenshot(path=str(SCREENSHOTS / "interactive-page.png"),
                           full_page=True)
