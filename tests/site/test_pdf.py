"""The PDF of the whole book (``make pdf``) holds what the site shows.

Read with poppler's ``pdftotext`` and ``pdfimages``: every chapter title of
``_toc.yml`` as its page shows it, every percentage the site glues into its
prose (the headline accuracies among them) as the HTML shows it, every
numbered figure's caption number and at least as many images as the site
has figures, the interactive pages' links, and no unresolved reference
(``??``). The download links on the site state its size and page count, and
point at this very file. Without a PDF these checks skip, unless
``SCRATCHNET_REQUIRE_PDF=1`` (CI) makes that a failure.
"""

from __future__ import annotations

import functools
import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
from bs4 import BeautifulSoup
from site_helpers import ROOT, toc_files

sys.path.insert(0, str(ROOT / "book" / "_ext"))
from this_build import PDF_NAME

pytestmark = pytest.mark.site


def pdf_required() -> bool:
    return os.environ.get("SCRATCHNET_REQUIRE_PDF") == "1"


@pytest.fixture(scope="module")
def pdf(site: Path) -> Path:
    path = ROOT / "_build" / "pdf" / PDF_NAME
    required = pdf_required()
    if not path.exists():
        if required:
            pytest.fail(f"no PDF at {path}: run `make pdf`")
        pytest.skip("the PDF is not built; `make pdf` builds it")
    if shutil.which("pdftotext") is None:
        if required:
            pytest.fail("pdftotext is missing: install Debian's poppler-utils")
        pytest.skip("pdftotext is missing (Debian's poppler-utils)")
    return path


@functools.cache
def _text(pdf: Path) -> str:
    done = subprocess.run(["pdftotext", "-enc", "UTF-8", str(pdf), "-"],
                          check=True, capture_output=True, text=True)
    return done.stdout


def words(text: str) -> str:
    """Text with every run of white space made one space (pages wrap lines)."""
    return " ".join(text.replace("\u00ad", "").split())


@functools.cache
def _soup(page: Path) -> BeautifulSoup:
    return BeautifulSoup(page.read_text(encoding="utf-8"), "html.parser")


def article(page: Path):
    soup = _soup(page)
    return soup.select_one("article") or soup


def test_every_chapter_title_is_in_the_pdf(pdf: Path, pages: list[Path]) -> None:
    text = words(_text(pdf))
    missing = []
    for page in pages:
        heading = article(page).find("h1")
        title = words(heading.get_text(" ", strip=True).replace("#", ""))
        if title not in text:
            missing.append(title)
    assert len(pages) == len(toc_files())
    assert not missing, f"chapter titles not in the PDF: {missing}"


def test_every_glued_percentage_is_in_the_pdf(pdf: Path, pages: list[Path]) -> None:
    """The accuracies the chapters quote, as the HTML shows them."""
    text = words(_text(pdf))
    quoted = {words(span.get_text()) for page in pages
              for span in article(page).select(".pasted-text, .pasted-inline")}
    percentages = {q for q in quoted if re.fullmatch(r"[\d.,]+\s?%", q)}
    assert len(percentages) >= 10, f"only {len(percentages)} glued percentages"
    assert any(float(p.rstrip("% ").replace(",", "")) >= 98 for p in percentages)
    missing = sorted(p for p in percentages if p not in text)
    assert not missing, f"glued percentages not in the PDF: {missing}"


def test_no_unresolved_reference(pdf: Path) -> None:
    text = _text(pdf)
    assert "??" not in text
    assert "{number}" not in text


def test_no_web_controls_in_the_pdf(pdf: Path) -> None:
    # Paper cannot fold a cell or check a typed answer: code is printed
    # open, a self-check as its question and answer, without the buttons.
    text = words(_text(pdf))
    for label in ("Hide code cell", "Show code cell", "Click to show",
                  "Show answer", "Your answer", "count as right"):
        assert label not in text, f"the PDF prints the web control {label!r}"


def test_every_self_check_prints_its_answer(pdf: Path, pages: list[Path]) -> None:
    answers = [form["data-answer"] for page in pages
               for form in _soup(page).select("form[data-self-check]")]
    text = words(_text(pdf))
    assert answers
    assert text.count("Answer: ") >= len(answers)
    for answer in answers:
        assert f"Answer: {words(answer)}" in text


def test_every_figure_is_in_the_pdf(pdf: Path, pages: list[Path]) -> None:
    text = words(_text(pdf))
    numbers = [words(span.get_text()) for page in pages
               for span in article(page).select("figure .caption-number")]
    assert len(numbers) >= 20, f"only {len(numbers)} numbered figures on the site"
    missing = [n for n in numbers if n not in text]
    assert not missing, f"figure numbers not in the PDF: {missing}"
    listed = subprocess.run(["pdfimages", "-list", str(pdf)], check=True,
                            capture_output=True, text=True).stdout.splitlines()
    images = [line for line in listed[2:] if line.split()[2] == "image"]
    assert len(images) >= len(numbers)


def test_the_interactive_pages_are_pictures_and_links(pdf: Path, site: Path) -> None:
    text = words(_text(pdf))
    for name in toc_files():
        html = (site / f"{name}.html").read_text(encoding="utf-8")
        if "data-ready=" in html:
            link = rf"Interactive on the web page: \S+/{name}\.html"
            assert re.search(link, text), name


def test_the_site_offers_the_pdf_and_states_its_size(pdf: Path, site: Path) -> None:
    shipped = site / "_static" / PDF_NAME
    assert shipped.read_bytes() == pdf.read_bytes()
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    count = int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))
    stated = f"PDF, {pdf.stat().st_size / 1e6:.1f} MB, {count} pages"
    for name in ("book/preface", "book/this-build"):
        page = site / f"{name}.html"
        links = _soup(page).select("a.book-download")
        pdf_links = [a for a in links if a["href"].endswith(PDF_NAME)]
        assert len(pdf_links) == 1, name
        assert (page.parent / pdf_links[0]["href"]).resolve() == shipped.resolve()
        size = pdf_links[0].find_next_sibling("span", class_="book-pdf-size")
        assert size is not None and size.get_text() == stated, name
