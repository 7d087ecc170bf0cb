"""The API reference documents every public name, with source and chapter."""

from __future__ import annotations

import inspect
import re
from pathlib import Path

import pytest
from site_helpers import SCREENSHOTS, page_width, phone_page

import scratchnet

pytestmark = pytest.mark.site


@pytest.fixture(scope="module")
def api(site: Path) -> str:
    return (site / "book" / "api.html").read_text(encoding="utf-8")


def entry_id(name: str) -> str | None:
    """Where autodoc puts a class or function: its defining module."""
    obj = getattr(scratchnet, name)
    if inspect.isclass(obj) or inspect.isroutine(obj):
        return f"{obj.__module__}.{obj.__qualname__}"
    return None


@pytest.mark.parametrize("name", scratchnet.__all__)
def test_every_public_name_has_an_entry(api: str, name: str) -> None:
    ids = set(re.findall(r'<dt[^>]* id="(scratchnet\.[\w.]+)"', api))
    expected = entry_id(name)
    if expected:
        assert expected in ids, f"no entry {expected} for scratchnet.{name}"
    else:       # data: documented in the module that defines it
        assert any(i.startswith("scratchnet.") and i.endswith(f".{name}")
                   for i in ids), f"no entry for scratchnet.{name}"


def test_entries_link_to_their_source(api: str, site: Path) -> None:
    sources = set(re.findall(r'href="(\.\./_modules/scratchnet/[^"#]+)', api))
    assert len(sources) >= 10
    for href in sources:
        assert (site / "book" / href).resolve().exists(), href


def test_each_module_section_links_to_its_chapter(api: str) -> None:
    sections = re.split(r"<section id=", api)[2:]
    assert len(sections) >= 10
    for section in sections:
        title = re.search(r"<h2>(.*?)<", section).group(1)
        assert re.search(r'href="[\w-]+\.html"[^>]*><span class="doc">', section) \
            or re.search(r'class="reference internal" href="[\w-]+\.html"', section), \
            f"section {title!r} names no chapter"


def test_names_in_the_chapters_code_link_to_their_entries(site: Path) -> None:
    page = (site / "book" / "training.html").read_text(encoding="utf-8")
    links = re.findall(r'href="(?:\.\./book/)?api\.html#(scratchnet\.[\w.]+)"', page)
    assert "scratchnet.train.fit" in links, "fit() in a code cell links nowhere"


def test_the_api_page_fits_a_phone(server: str, browser) -> None:
    url = f"{server}/book/api.html#scratchnet.layers.Linear"
    with phone_page(browser, url) as page:
        width = page_width(page)
        assert width <= 390, f"the API page scrolls sideways on a phone: {width} px"
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(SCREENSHOTS / "api-phone.png"))
