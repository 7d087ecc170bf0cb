"""The playground page, in a real browser: the same numbers as the package.

The page trains a network in JavaScript. These tests replay the float64
reference runs that the build computed with scratchnet (for every optimizer
and activation) in the page's own script, and hold it to the package's
numbers at every step; then use the page as a reader would, with a mouse
and with a finger on a phone-sized screen.
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest
from site_helpers import (
    SCREENSHOTS,
    SHARP_PHONE,
    BrowserTab,
    built_page,
    tab_fixture,
)

from scratchnet import playground

pytestmark = pytest.mark.site

NAME = "book/playground"
TOLERANCE = 1e-9          # relative; JavaScript's numbers are float64 too
TRAIN_TIMEOUT_MS = 30_000


@pytest.fixture(scope="module")
def page_path(site: Path) -> Path:
    return built_page(site, NAME)


@pytest.fixture(scope="module")
def references(page_path: Path) -> list[dict]:
    static = page_path.parent.parent / "_static" / "playground"
    return json.loads((static / "trajectories.json").read_text())["trajectories"]


class Reader(BrowserTab):
    """A browser tab on the playground, collecting every console error."""

    def __init__(self, browser, url: str, **context: object) -> None:
        context.setdefault("viewport", {"width": 1280, "height": 900})
        super().__init__(browser, url, **context)
        # The page says "true" when it is ready and "error" when it cannot be.
        self.page.wait_for_function(
            "document.getElementById('pg-app').dataset.ready")
        assert self.page.get_attribute("#pg-app", "data-ready") == "true"

    def text(self, selector: str) -> str:
        return self.page.inner_text(selector).strip()

    def steps(self) -> int:
        return int(self.text("#pg-steps"))

    def screenshot(self, name: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"playground-{name}.png"
        self.page.evaluate("document.activeElement.blur()")
        self.page.locator("#pg-app").screenshot(path=str(path))
        return path


reader = tab_fixture(Reader, NAME)


def relative_error(got: np.ndarray, expected: np.ndarray) -> float:
    """``max |got - expected|`` relative to the largest ``|expected|``.

    Relative to the array's scale, as in ``scratchnet.gradcheck``, so that a
    parameter that happens to be near zero cannot make rounding look large.
    """
    scale = np.abs(expected).max()
    return float(np.abs(got - expected).max() / scale) if scale else float(
        np.abs(got).max())


def test_the_exported_references_are_what_scratchnet_computes(references) -> None:
    """The file the page is checked against is the package's, not a stale one."""
    assert [(r["optimizer"], r["activation"]) for r in references] == [
        (o, a) for o in playground.OPTIMIZERS for a in playground.ACTIVATIONS]
    fresh = playground.trajectory(references[0]["optimizer"],
                                  references[0]["activation"])
    assert fresh["loss"] == references[0]["loss"]
    assert fresh["params"][-1] == references[0]["params"][-1]


def test_the_javascript_replays_every_python_trajectory(
    reader: Reader, references: list[dict]
) -> None:
    worst: dict[str, float] = {}
    for ref in references:
        case = f"{ref['optimizer']}/{ref['activation']}"
        got = reader.page.evaluate("ref => scratchnetPlayground.replay(ref)", ref)
        assert len(got["loss"]) == len(ref["loss"]) == 100, case
        errors = []
        for step, (loss_js, loss_py) in enumerate(zip(got["loss"], ref["loss"])):
            err = abs(loss_js - loss_py) / abs(loss_py)
            assert err <= TOLERANCE, f"{case}: loss differs at step {step + 1}: {err:.1e}"
            errors.append(err)
        for step, (params_js, params_py) in enumerate(zip(got["params"],
                                                         ref["params"])):
            for k, (p_js, p_py) in enumerate(zip(params_js, params_py)):
                err = relative_error(np.array(p_js), np.array(p_py))
                assert err <= TOLERANCE, (
                    f"{case}: parameter {k} differs at step {step + 1}: {err:.1e}")
                errors.append(err)
        worst[case] = max(errors)
        # the runs must actually move: a page that never updated would pass
        assert ref["params"][-1] != ref["initial"], case
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    (SCREENSHOTS / "playground-agreement.json").write_text(json.dumps(worst))
    assert not reader.errors, reader.errors


def test_the_page_initialises_like_the_package(reader: Reader) -> None:
    """He: normal with variance 2 / fan_in; Glorot: uniform within the limit."""
    he = np.array(reader.page.evaluate(
        "Array.from(scratchnetPlayground.mlp([32, 32, 32], 'relu', 3).layers[1].W)"))
    assert abs(he.mean()) < 0.03 and abs(he.var() / (2 / 32) - 1) < 0.15
    glorot = np.array(reader.page.evaluate(
        "Array.from(scratchnetPlayground.mlp([32, 32], 'tanh', 3).layers[0].W)"))
    limit = np.sqrt(6 / 64)
    assert np.abs(glorot).max() <= limit and np.abs(glorot).max() > 0.95 * limit
    assert abs(glorot.var() / (limit ** 2 / 3) - 1) < 0.15
    biases = reader.page.evaluate(
        "Array.from(scratchnetPlayground.mlp([2, 5, 2], 'relu', 3).layers[0].b)")
    assert biases == [0] * 5


def test_defaults_learn_the_two_spirals_within_thirty_seconds(reader: Reader) -> None:
    assert reader.page.input_value("#pg-dataset") == "spirals"
    assert reader.steps() == 0
    reader.page.click("#pg-train")
    assert reader.text("#pg-train") == "Pause"
    reader.page.wait_for_function(
        "Number(document.getElementById('pg-accuracy').textContent) >= 95",
        timeout=TRAIN_TIMEOUT_MS)
    reader.page.click("#pg-train")                       # pause
    reader.page.wait_for_function(
        "document.getElementById('pg-app').dataset.state === 'paused'")
    # Paused, the page shows exactly where it stopped (which, a few steps
    # after reaching 95%, may be a little below it: SGD is noisy).
    state = reader.page.evaluate("scratchnetPlayground.state()")
    assert state["sizes"] == [2, 16, 16, 2] and not state["training"]
    assert reader.steps() == state["steps"] > 0
    assert float(reader.text("#pg-loss")) == pytest.approx(state["loss"], abs=1e-4)
    assert float(reader.text("#pg-accuracy")) == pytest.approx(
        100 * state["accuracy"], abs=0.05)
    reader.screenshot("trained")
    assert not reader.errors, reader.errors


def test_step_runs_exactly_one_step_and_reset_goes_back_to_zero(
    reader: Reader
) -> None:
    before = float(reader.text("#pg-loss"))
    for expected in (1, 2, 3):
        reader.page.click("#pg-step")
        assert reader.steps() == expected
    assert reader.page.evaluate("scratchnetPlayground.state().steps") == 3
    assert float(reader.text("#pg-loss")) != before
    reader.page.click("#pg-reset")
    assert reader.steps() == 0
    assert reader.page.evaluate("scratchnetPlayground.state().steps") == 0
    assert reader.text("#pg-train") == "Train"
    assert not reader.errors, reader.errors


def test_clicking_a_hidden_unit_shows_its_activation(reader: Reader) -> None:
    units = reader.page.locator(".pg-unit-button")
    assert units.count() == 32                           # two layers of 16
    units.nth(20).click()                                # layer 2, unit 5
    assert reader.page.get_attribute("#pg-app", "data-selected") == "1,4"
    assert "Layer 2, unit 5" in reader.text("#pg-unit-caption")
    assert units.nth(20).get_attribute("aria-pressed") == "true"
    units.nth(20).click()                                # again: deselect
    assert reader.page.get_attribute("#pg-app", "data-selected") == ""
    assert not reader.errors, reader.errors


def test_changing_the_network_rebuilds_it_from_step_zero(reader: Reader) -> None:
    reader.page.click("#pg-step")
    reader.page.select_option("#pg-layers", "3")
    reader.page.select_option("#pg-activation", "tanh")
    reader.page.select_option("#pg-optimizer", "sgd")
    state = reader.page.evaluate("scratchnetPlayground.state()")
    assert state["sizes"] == [2, 16, 16, 16, 2] and state["steps"] == 0
    assert reader.page.is_visible("#pg-momentum-field")
    reader.page.select_option("#pg-layers", "0")         # a linear model
    assert reader.page.locator(".pg-unit-button").count() == 0
    reader.page.select_option("#pg-dataset", "xor")
    reader.page.click("#pg-step")
    assert reader.steps() == 1
    assert not reader.errors, reader.errors


def test_the_page_fits_a_phone_and_works_by_tap(browser, server: str,
                                                page_path: Path) -> None:
    r = Reader(browser, f"{server}/{NAME}.html", **SHARP_PHONE)
    try:
        wide = r.page.evaluate("""() => Array.from(
            document.querySelectorAll('#pg-app, #pg-app *'))
            .filter(e => e.getBoundingClientRect().right > innerWidth + 1)
            .map(e => e.id || e.className || e.tagName)""")
        assert not wide, f"wider than the 390 px screen: {wide}"
        assert r.page.evaluate(
            "document.documentElement.scrollWidth <= innerWidth")
        r.page.tap("#pg-step")
        assert r.steps() == 1
        r.page.tap("#pg-train")
        r.page.wait_for_function(
            "Number(document.getElementById('pg-steps').textContent) > 50")
        r.page.tap("#pg-train")
        r.page.wait_for_function(
            "document.getElementById('pg-app').dataset.state === 'paused'")
        r.page.locator(".pg-unit-button").first.tap()
        assert r.page.get_attribute("#pg-app", "data-selected") == "0,0"
        r.page.tap("#pg-reset")
        assert r.steps() == 0
        r.screenshot("phone")
        assert not r.errors, r.errors
    finally:
        r.close()


def test_the_page_is_self_contained(reader: Reader, server: str) -> None:
    requests: list[str] = []
    reader.page.on("request", lambda req: requests.append(req.url))
    reader.page.reload(wait_until="networkidle")
    reader.page.wait_for_selector("#pg-app[data-ready='true']")
    outside = [u for u in requests if not u.startswith(server)
               and not u.startswith("data:")]
    assert not outside, f"the page fetched from elsewhere: {outside}"
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    reader.page.screenshot(path=str(SCREENSHOTS / "playground-page.png"),
                           full_page=True)
