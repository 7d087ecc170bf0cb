"""Every chapter ends with what its numbers were computed with."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from site_helpers import SCREENSHOTS, chapter_files, page_width, phone_page

pytestmark = pytest.mark.site

FIELDS = ["seed", "numpy", "blas", "cpu", "time"]


def footer(site: Path, name: str) -> str:
    page = (site / f"{name}.html").read_text(encoding="utf-8")
    match = re.search(r'<div[^>]*id="chapter-footer".*?</ul>', page, re.DOTALL)
    assert match, f"{name}: no reproducibility footer"
    return match.group(0)


def field(html: str, name: str) -> str:
    match = re.search(rf'<li class="chapter-footer-{name}">(.*?)</li>', html, re.DOTALL)
    assert match, f"no {name} in the footer"
    return re.sub(r"<[^>]+>", "", match.group(1)).strip()


@pytest.mark.parametrize("name", chapter_files())
def test_every_chapter_has_the_footer_with_its_fields(site: Path, name: str) -> None:
    html = footer(site, name)
    values = {f: field(html, f) for f in FIELDS}
    assert re.match(r"Seed: \d+", values["seed"]), values["seed"]
    assert re.match(r"NumPy: \d+\.\d+", values["numpy"]), values["numpy"]
    assert re.match(r"BLAS: \S+ \S+", values["blas"]), values["blas"]
    assert len(values["cpu"]) > len("CPU: "), values["cpu"]
    assert re.match(r"Execution: \d+(\.\d+ s| min \d\d s), on \d{4}-\d\d-\d\d",
                    values["time"]), values["time"]
    # No path of the machine that built it.
    assert not re.search(r"(/home/|/work/|/tmp/|/usr/|[A-Z]:\\\\)", html)


def test_no_footer_on_pages_without_code(site: Path) -> None:
    for name in ("book/preface", "book/notation", "book/glossary", "book/api",
                 "book/this-build"):
        assert 'id="chapter-footer"' not in (site / f"{name}.html").read_text()


def test_the_footer_fits_a_phone(browser, server: str) -> None:
    with phone_page(browser, f"{server}/{chapter_files()[0]}.html") as page:
        box = page.locator("#chapter-footer")
        box.scroll_into_view_if_needed()
        width = page_width(page)
        assert width <= 390, f"the page scrolls sideways: {width} px"
        rect = box.bounding_box()
        assert rect["x"] >= 0 and rect["x"] + rect["width"] <= 390
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        box.screenshot(path=str(SCREENSHOTS / "chapter-footer-phone.png"))
