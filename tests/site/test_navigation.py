"""The sidebars open on a phone, and their links lead where they say.

On a 390x844 touch screen the chapters' list (☰) and the page's contents
hide behind two buttons in the article's header. The theme once bound its
handlers to hidden copies of those buttons, so tapping them opened nothing
on every page (``book/_static/sidebar-toggles.js``). Here a reader taps both,
on pages at the start, middle and end of the book, and follows a link from
each sidebar.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from site_helpers import PHONE, SCREENSHOTS, BrowserTab, toc_files

pytestmark = pytest.mark.site


def sample_pages() -> list[str]:
    """Chapters at the start, middle and end of the book, each with sections
    (so both sidebars have something to show)."""
    return [toc_files()[1], "book/backprop", "book/convolutions"]


def open_sidebar(page, toggle: str, dialog: str, shot: str):
    """Tap the one visible ``toggle`` button and return the sidebar
    ``dialog`` it opened, screenshotted as ``shot``."""
    shown = page.locator(f"{toggle}:visible")
    assert shown.count() == 1, f"{shown.count()} visible {toggle} on {page.url}"
    shown.tap()
    sidebar = page.locator(dialog)
    sidebar.wait_for(state="visible")
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SCREENSHOTS / f"{shot}.png"))
    return sidebar


@pytest.mark.parametrize("name", [*sample_pages(), toc_files()[-1]])
def test_chapters_button_opens_the_chapter_list(browser, server: str, name: str) -> None:
    tab = BrowserTab(browser, f"{server}/{name}.html", **PHONE)
    page = tab.page
    try:
        sidebar = open_sidebar(page, ".primary-toggle", "#pst-primary-sidebar-modal",
                               f"nav-chapters-{Path(name).name}")
        # A link to another chapter, that the reader can see in the list.
        here = ("#", f"{Path(name).name}.html")
        links = sidebar.locator("nav a.reference.internal:visible").all()
        target = next(a for a in links if not a.get_attribute("href").startswith(here))
        href = target.get_attribute("href")
        target.tap()
        page.wait_for_url(f"**/{href.split('#')[0].lstrip('./')}")
        assert page.locator("article h1").first.is_visible()
        assert not tab.errors, tab.errors
    finally:
        tab.close()


@pytest.mark.parametrize("name", sample_pages())
def test_contents_button_opens_the_sections_of_the_page(
    browser, server: str, name: str
) -> None:
    tab = BrowserTab(browser, f"{server}/{name}.html", **PHONE)
    page = tab.page
    try:
        contents = open_sidebar(page, ".secondary-toggle", "#pst-secondary-sidebar-modal",
                                f"nav-contents-{Path(name).name}")
        links = contents.locator("a[href^='#']:visible")
        assert links.count() >= 2, f"{name}: the contents list {links.count()} sections"
        link = links.nth(1)
        anchor = link.get_attribute("href")
        link.tap()
        page.wait_for_function("(hash) => location.hash === hash", arg=anchor)
        # The section is on the screen, and the contents no longer cover it.
        heading = page.locator(f"[id='{anchor[1:]}']")
        page.wait_for_function(
            """(id) => { const r = document.getElementById(id).getBoundingClientRect();
                         return r.top >= -1 && r.top < window.innerHeight; }""",
            arg=anchor[1:])
        assert heading.is_visible()
        contents.wait_for(state="hidden")
        assert not tab.errors, tab.errors
    finally:
        tab.close()
