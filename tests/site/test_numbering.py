"""Each chapter counts its exercises, figures and equations from 1.

The book's numbers once ran through the whole book ("Exercise 5" was the
first exercise of Linear algebra). The chapters are numbered (``numbered``
in ``_toc.yml``), so a chapter's first exercise is "Exercise X.1", where X
is the number its title shows, and so are its first figure and equation.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from site_helpers import toc_files

pytestmark = pytest.mark.site

#: What each numbered kind of thing shows, and where the page shows it.
KINDS = {
    "exercise": ("div.exercise .caption-number", re.compile(r"Exercise ([\d.]+)")),
    "figure": ("figure .caption-number", re.compile(r"Fig\. ([\d.]+)")),
    "equation": ("div.math .eqno", re.compile(r"\(([\d.]+)\)")),
}


def page(site: Path, name: str) -> BeautifulSoup:
    return BeautifulSoup((site / f"{name}.html").read_text(encoding="utf-8"),
                         "html.parser")


def chapter_number(soup: BeautifulSoup) -> str | None:
    """The number the chapter's title shows ("9." -> "9"), None if it has none."""
    number = soup.select_one("article h1 .section-number")
    return number.get_text(strip=True).rstrip(".") if number else None


def numbers(soup: BeautifulSoup, kind: str) -> list[str]:
    """The numbers of every ``kind`` on the page, in page order."""
    selector, pattern = KINDS[kind]
    found = []
    for node in soup.select(selector):
        match = pattern.search(node.get_text(" ", strip=True))
        if match:
            found.append(match.group(1).rstrip("."))
    return found


def first_is_one(found: list[str], chapter: str | None) -> bool:
    return not found or found[0] == (f"{chapter}.1" if chapter else "1")


def test_first_is_one_reads_numbers_as_the_pages_show_them() -> None:
    assert first_is_one(["9.1", "9.2"], "9")
    assert first_is_one([], "9")
    assert not first_is_one(["5", "6"], None) and first_is_one(["1"], None)
    assert not first_is_one(["2.1"], "9")      # another chapter's number
    soup = BeautifulSoup('<article><h1><span class="section-number">2. </span>'
                         'Linear algebra</h1></article><div class="exercise">'
                         '<p><span class="caption-number">Exercise 2.1 </span></p>'
                         '</div>', "html.parser")
    assert chapter_number(soup) == "2"
    assert numbers(soup, "exercise") == ["2.1"]


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("name", toc_files())
def test_a_chapter_counts_from_one(site: Path, name: str, kind: str) -> None:
    soup = page(site, name)
    chapter, found = chapter_number(soup), numbers(soup, kind)
    assert first_is_one(found, chapter), (
        f"{name}: its first {kind} is numbered {found[0]}, not "
        f"{chapter + '.1' if chapter else '1'}")


def test_the_chapters_are_numbered_in_reading_order(site: Path) -> None:
    """The checks above pass on a book that numbers nothing; this one fails
    unless the chapters show numbers 1, 2, 3 ... in reading order and every
    chapter with exercises is among them."""
    shown, unnumbered = [], []
    for name in toc_files():
        soup = page(site, name)
        chapter = chapter_number(soup)
        if chapter:
            shown.append(int(chapter))
        elif numbers(soup, "exercise"):
            unnumbered.append(name)
    assert not unnumbered, f"chapters with exercises but no number: {unnumbered}"
    assert shown == list(range(1, len(shown) + 1)), shown
    assert len(shown) >= 10, f"only {len(shown)} chapters are numbered"
