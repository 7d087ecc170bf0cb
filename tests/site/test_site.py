"""The built book, checked as a reader would meet it.

Every chapter in the table of contents is a page; no page shows an error or a
traceback from its executed cells; every internal link and image resolves;
and a real browser opens every page without a JavaScript error.
"""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import unquote, urlsplit

import pytest
from site_helpers import ROOT, SCREENSHOTS, toc_files
from test_pdf import PDF_NAME, pdf_required

pytestmark = pytest.mark.site

# Resolves once MathJax has typeset the page (at once on a page without it).
MATH_TYPESET = ("window.MathJax && MathJax.startup && MathJax.startup.promise"
                " ? MathJax.startup.promise.then(() => true) : true")


class _PageParser(HTMLParser):
    """Collect links, image sources, element ids and CSS classes of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.links: list[str] = []
        self.images: list[str] = []
        self.ids: set[str] = set()
        self.classes: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if a.get("id"):
            self.ids.add(a["id"])
        if a.get("class"):
            self.classes.append(a["class"])
        if tag == "a" and a.get("href"):
            self.links.append(a["href"])
        if tag == "img" and a.get("src"):
            self.images.append(a["src"])


def parse(page: Path) -> _PageParser:
    parser = _PageParser()
    parser.feed(page.read_text(encoding="utf-8"))
    return parser


def _is_local(url: str) -> bool:
    parts = urlsplit(url)
    return not parts.scheme and not parts.netloc and not url.startswith("mailto:")


def test_every_page_of_the_toc_was_built(pages: list[Path]) -> None:
    missing = [str(p) for p in pages if not p.exists()]
    assert not missing, f"pages named in _toc.yml but not built: {missing}"


@pytest.mark.parametrize("name", toc_files())
def test_page_shows_no_error_output(site: Path, name: str) -> None:
    page = site / f"{name}.html"
    html = page.read_text(encoding="utf-8")
    assert "Traceback (most recent call last)" not in html, f"{name}: traceback"
    classes = " ".join(parse(page).classes)
    for bad in ("output traceback", "output stderr", "output error"):
        assert bad not in classes, f"{name}: a cell shows '{bad}'"
    assert not re.search(r"\b(NameError|ImportError|ModuleNotFoundError)\b", html)


@pytest.mark.parametrize("name", toc_files())
def test_page_shows_no_unrendered_markup(site: Path, name: str) -> None:
    """A role that failed to render shows up as raw text, e.g. `{glue:text}`."""
    html = (site / f"{name}.html").read_text(encoding="utf-8")
    body = html.split('<article', 1)[-1]
    leftover = re.findall(r"\{(?:glue|eq|doc|cite|numref|ref)[:}][^<]{0,40}", body)
    assert not leftover, f"{name}: unrendered markup {leftover[:3]}"


def test_no_page_shows_a_path_of_the_machine_that_built_it(site: Path) -> None:
    """A reader's machine has neither the build's checkout nor its home."""
    machine = [str(ROOT), str(Path.home()) + "/"]
    found = []
    for page in sorted(site.rglob("*")):
        if page.suffix not in {".html", ".ipynb", ".md", ".json", ".txt"}:
            continue
        text = page.read_text(encoding="utf-8", errors="replace")
        found += [f"{page.relative_to(site)}: {path}" for path in machine
                  if path in text]
    assert not found, "pages show build-machine paths:\n" + "\n".join(found)


def test_internal_links_and_images_resolve(site: Path) -> None:
    broken = []
    pages = sorted(site.rglob("*.html"))
    ids = {page: parse(page).ids for page in pages}
    for page in pages:
        if "_static" in page.parts or "_sources" in page.parts:
            continue
        parsed = parse(page)
        for url in parsed.links + parsed.images:
            if not _is_local(url):
                continue
            parts = urlsplit(url)
            target = (page.parent / unquote(parts.path)).resolve() if parts.path \
                else page
            if not target.exists():
                if target.name == PDF_NAME and not pdf_required():
                    continue        # `make pdf` makes it; test_pdf.py checks it
                broken.append(f"{page.relative_to(site)} -> {url}")
            elif parts.fragment and target.suffix == ".html":
                known = ids.get(target) or parse(target).ids
                if unquote(parts.fragment) not in known:
                    broken.append(f"{page.relative_to(site)} -> {url} (no anchor)")
    assert not broken, "broken links or images:\n" + "\n".join(broken)


def test_every_page_opens_in_a_browser_without_console_errors(
    browser, server: str, site: Path
) -> None:
    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    problems = []
    for name in toc_files():
        page = browser.new_page(viewport={"width": 1280, "height": 900})
        page.set_default_timeout(15_000)
        errors: list[str] = []
        page.on("console", lambda m, e=errors: m.type == "error" and e.append(m.text))
        page.on("pageerror", lambda exc, e=errors: e.append(str(exc)))
        page.on("response", lambda r, e=errors: r.status >= 400
                and e.append(f"HTTP {r.status} for {r.url}"))
        response = page.goto(f"{server}/{name}.html", wait_until="load")
        page.evaluate(MATH_TYPESET)          # the equations, once drawn
        if response is None or response.status != 200:
            problems.append(f"{name}: HTTP {response and response.status}")
        shot = SCREENSHOTS / f"{Path(name).name}.png"
        page.screenshot(path=str(shot), full_page=True, timeout=60_000)
        problems += [f"{name}: {e}" for e in errors]
        page.close()
    assert not problems, "\n".join(problems)


ACCURACY_CLAIMS = [  # page, the sentence that reports it, what the prose claims
    ("training", r"Test accuracy\s+(\d+\.\d+)%", 98.0),
    ("better", r"reads\s+(\d+\.\d+)%\s+of the 10,000 test digits", 98.4),
    ("convolutions", r"The CNN reads\s+(\d+\.\d+)%\s+of the test digits", 99.2),
]


@pytest.mark.parametrize(("name", "pattern", "floor"), ACCURACY_CLAIMS,
                         ids=[c[0] for c in ACCURACY_CLAIMS])
def test_the_accuracies_the_book_claims_are_the_ones_its_pages_show(
    site: Path, name: str, pattern: str, floor: float
) -> None:
    """98% for the MLP, past Simard's 98.4% in Better, 99.2% for the CNN."""
    html = (site / "book" / f"{name}.html").read_text(encoding="utf-8")
    text = re.sub(r"\s+", " ", re.sub(r"<[^>]+>", "", html))
    found = re.search(pattern, text)
    assert found, f"{name}: no sentence matching {pattern!r}"
    assert float(found.group(1)) >= floor, f"{name}: {found.group(0)}"


def test_the_footer_says_which_numbers_were_not_computed_at_build_time(
    site: Path,
) -> None:
    """The footer promises live numbers; the Performance chapter's recorded
    run is the exception, and both the footer and that page must say so."""
    root = site / f"{toc_files()[0]}.html"          # index.html redirects here
    footer = re.sub(r"\s+", " ", root.read_text(encoding="utf-8"))
    assert "computed when the site was built" in footer
    assert "recorded benchmark run in the Performance chapter" in footer
    performance = (site / "book" / "performance.html").read_text(encoding="utf-8")
    assert "benchmark-run.json" in performance
