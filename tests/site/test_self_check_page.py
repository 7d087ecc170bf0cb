"""Self-checks in a real browser: wrong answers are wrong, the revealed one right.

On every page of the table of contents that has self-checks, each one is
answered wrong, then with the text its "Show answer" button reveals; the
page must judge both, from the keyboard (Enter) and with the Check button.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_helpers import PHONE, SCREENSHOTS, BrowserTab, chapter_files, toc_files

pytestmark = pytest.mark.site

CHECK = re.compile(r"<form [^>]*\bdata-self-check\b")


def count(page: Path) -> int:
    return len(CHECK.findall(page.read_text(encoding="utf-8")))


def pages_with_checks(site: Path) -> list[str]:
    return [name for name in toc_files() if (site / f"{name}.html").exists()
            and count(site / f"{name}.html")]


def wrong_answer(kind: str, answer: str, choices: list[str]) -> str:
    if kind == "choice":
        return next(c for c in choices if c != answer)
    if kind == "number":
        number = float(re.sub(r"[^0-9eE.+-]", "", answer.replace("\u2212", "-")))
        return f"{number * 3 + 7:g}"        # far outside any tolerance
    return answer + " not"


def luminance(css_colour: str) -> float:
    """Relative luminance (0 black .. 1 white) of an ``rgb(...)`` colour."""
    r, g, b = (int(v) / 255 for v in re.findall(r"\d+", css_colour)[:3])
    lin = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in (r, g, b)]
    return 0.2126 * lin[0] + 0.7152 * lin[1] + 0.0722 * lin[2]


def answer_with(form, kind: str, text: str, *, enter: bool) -> str | None:
    if kind == "choice":
        form.locator(f'input[type=radio][value="{text}"]').check()
        radio = form.locator("input[type=radio]:checked")
        radio.press("Enter") if enter else form.locator(".self-check-submit").click()
    else:
        box = form.locator("input")
        box.fill(text)
        box.press("Enter") if enter else form.locator(".self-check-submit").click()
    return form.get_attribute("data-result")


def test_the_demo_page_has_a_self_check(site: Path) -> None:
    assert count(site / "book" / "linear-algebra.html") >= 1


def test_every_self_check_judges_a_wrong_then_the_revealed_answer(
        site: Path, browser, server: str) -> None:
    names = pages_with_checks(site)
    assert names, "no page has a self-check"
    page = browser.new_page()
    page.set_default_timeout(BrowserTab.WAIT_MS)
    checked = 0
    try:
        for name in names:
            page.goto(f"{server}/{name}.html", wait_until="load")
            forms = page.locator("[data-self-check]")
            for i in range(forms.count()):
                form = forms.nth(i)
                form.scroll_into_view_if_needed()
                kind = form.get_attribute("data-kind")
                choices = form.locator("input[type=radio]").evaluate_all(
                    "els => els.map(e => e.value)")
                form.locator("[data-self-check-reveal]").click()
                shown = form.locator("[data-self-check-answer]")
                assert shown.is_visible(), f"{name}: revealed answer not visible"
                answer = shown.inner_text().strip()
                assert answer, f"{name}: self-check {i} reveals an empty answer"
                wrong = wrong_answer(kind, answer, choices)
                assert answer_with(form, kind, wrong, enter=True) == "wrong", \
                    f"{name}: self-check {i} took {wrong!r} for {answer!r}"
                assert "Not quite" in form.locator(".self-check-feedback").inner_text()
                assert answer_with(form, kind, answer, enter=False) == "right", \
                    f"{name}: self-check {i} refused its own answer {answer!r}"
                feedback = form.locator(".self-check-feedback").inner_text()
                assert feedback.startswith("\u2713")
                if kind == "number" and answer.endswith("%"):
                    assert answer_with(form, kind, answer[:-1], enter=True) == "right"
                checked += 1
    finally:
        page.close()
    assert checked


@pytest.mark.parametrize("mode, viewport, extra", [
    ("desktop", {"width": 1280, "height": 900}, {}),
    ("phone", PHONE["viewport"], {k: v for k, v in PHONE.items() if k != "viewport"}),
    ("dark", {"width": 1280, "height": 900}, {}),
])
def test_a_self_check_fits_the_screen_and_is_readable(
        site: Path, browser, server: str, mode: str, viewport: dict, extra: dict) -> None:
    tab = BrowserTab(browser, f"{server}/book/linear-algebra.html",
                     viewport=viewport, **extra)
    page = tab.page
    try:
        if mode == "dark":
            page.evaluate("document.documentElement.dataset.theme = 'dark'")
        form = page.locator("[data-self-check]").first
        form.scroll_into_view_if_needed()
        form.locator("input").first.fill("12")
        form.locator("input").first.press("Enter")
        box = form.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= viewport["width"], box
        assert form.get_attribute("data-result") == "wrong"
        # Feedback text: dark on the light theme, light on the dark one.
        colour = form.locator(".self-check-feedback").evaluate(
            "el => getComputedStyle(el).color")
        light = luminance(colour) > 0.3
        assert light == (mode == "dark"), f"{mode}: feedback colour {colour}"
        # The input is labelled and shows where the keyboard focus is.
        label = form.locator("label.self-check-label")
        assert label.count() == 1 and label.get_attribute("for")
        form.locator("input").first.focus()
        outline = form.locator("input").first.evaluate(
            "el => getComputedStyle(el).outlineStyle")
        assert outline != "none"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        form.screenshot(path=str(SCREENSHOTS / f"self-check-{mode}.png"))
    finally:
        tab.close()


def test_every_chapter_has_at_least_three_self_checks(site: Path) -> None:
    few = {name: count(site / f"{name}.html") for name in chapter_files()
           if count(site / f"{name}.html") < 3}
    assert not few, f"chapters with fewer than 3 self-checks: {few}"
