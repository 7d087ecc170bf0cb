"""What the executed cells show a reader: something, and something readable.

No output box is empty, no number is printed with all the digits a float
happens to carry (``0.310642724609375``), no object prints its repr instead
of itself (``<Figure size 640x480 with 1 Axes>``), and no page title names
the book twice.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from site_helpers import toc_files

pytestmark = pytest.mark.site

# A decimal number, not part of a word or a longer number (so a SHA-256 such
# as "ba891046e6505d..." is not read as 891046e6505).
NUMBER = re.compile(r"(?<![\w.])[-+]?(?:\d+\.\d*|\.\d+|\d+(?=[eE]))"
                    r"(?:[eE][-+]?\d+)?(?![\w.])")
REPR = re.compile(r"<(?:Figure|matplotlib\.|Axes)[^>]*>|object at 0x[0-9a-f]+")
MEDIA = ["img", "svg", "canvas", "iframe", "video", "table"]


def significant_digits(number: str) -> int:
    """``0.310642724609375`` -> 15, ``2.5e-10`` -> 2, ``0.2500`` -> 4."""
    mantissa = re.split(r"[eE]", number)[0].lstrip("+-").replace(".", "")
    return len(mantissa.lstrip("0")) or 1


def outputs(site: Path, name: str) -> list:
    html = (site / f"{name}.html").read_text(encoding="utf-8")
    return BeautifulSoup(html, "html.parser").select("article div.cell_output")


def test_significant_digits_counts_the_digits_a_reader_sees() -> None:
    assert significant_digits("0.310642724609375") == 15
    assert significant_digits("2.1549284578981087e-10") == 17
    assert significant_digits("53.764276") == 8
    assert significant_digits("1.5e-08") == 2
    assert [m.group() for m in NUMBER.finditer("ba891046e6505d 3.5e-3, 12, 0.25")] \
        == ["3.5e-3", "0.25"]


@pytest.mark.parametrize("name", toc_files())
def test_no_output_box_is_empty(site: Path, name: str) -> None:
    empty = [str(box)[:120] for box in outputs(site, name)
             if not box.get_text(strip=True) and not box.find(MEDIA)]
    assert not empty, f"{name}: {len(empty)} empty output box(es): {empty}"


@pytest.mark.parametrize("name", toc_files())
def test_outputs_print_numbers_rounded(site: Path, name: str) -> None:
    long = []
    for box in outputs(site, name):
        text = box.get_text(" ")
        long += [n.group() for n in NUMBER.finditer(text)
                 if significant_digits(n.group()) >= 10]
    assert not long, f"{name}: numbers printed with 10 or more digits: {long}"


@pytest.mark.parametrize("name", toc_files())
def test_outputs_show_no_object_reprs(site: Path, name: str) -> None:
    reprs = [m.group() for box in outputs(site, name)
             for m in REPR.finditer(box.get_text(" "))]
    assert not reprs, f"{name}: an output shows a repr, not the object: {reprs}"


@pytest.mark.parametrize("name", toc_files())
def test_page_title_names_the_book_once(site: Path, name: str) -> None:
    html = (site / f"{name}.html").read_text(encoding="utf-8")
    title = BeautifulSoup(html, "html.parser").title.get_text()
    parts = [part.strip() for part in title.split("\u2014")]
    assert len(parts) == len(set(parts)), f"{name}: <title> says {title!r}"
