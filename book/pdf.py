"""``make pdf``: the whole book as one PDF, printed by Chromium.

The route is Jupyter Book 1's ``pdfhtml``: the single-page HTML build
(``jupyter-book build --builder singlehtml``, into ``_build/print``, every
chapter of ``_toc.yml``
in order, with cross-references and figure and equation numbers resolved
within the one page) printed by a browser. Jupyter Book's own printing step
drives pyppeteer, which downloads a Chromium build of its own (impossible
where only the package registries are reachable), so this script prints the
same page with the Chromium the site tests already use (Debian's
``chromium``), through Playwright, a test dependency already.

Why not ``pdflatex``: it needs TeX Live, over a gigabyte of Debian packages
to install on every fresh CI machine, and LaTeX would have to re-typeset what
the site already shows (MathJax equations, the chapters' HTML outputs and
tables), with its own failures; the print shows the very figures, equations
and numbering of the site.

What the print changes, and nothing else:

- every folded solution and hidden cell is opened;
- an interactive element (one with ``data-ready``: the digit drawing page,
  the playground, the backprop explorable) cannot run on paper: it becomes a
  picture of itself, taken from the built site once its script has drawn it
  (in reading order, the single page holds the same elements in the same
  order), and a link to its web page;
- links into the site (the PDF, the wheel) point at the published site.

The PDF goes to ``_build/pdf/scratchnet-book.pdf`` and, for the download
links, into ``_build/html/_static``; the pages that link to it are told its
size and page count.
"""

from __future__ import annotations

import base64
import functools
import http.server
import re
import shutil
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BUILD = ROOT / "_build"
SITE = BUILD / "html"
OUT = BUILD / "pdf"
sys.path.insert(0, str(ROOT / "tests" / "site"))
sys.path.insert(0, str(ROOT / "book" / "_ext"))
from site_helpers import BROWSER_FLAGS, NO_BROWSER, find_browser, toc_files  # noqa: E402
from this_build import PDF_NAME  # noqa: E402

ROOT_DOC = toc_files()[0]
SINGLE = BUILD / "print" / "_build" / "singlehtml" / f"{ROOT_DOC}.html"
"""The single page, written where the root document's page would be, but
with every address in it relative to the build's top folder (Sphinx's
single-page builder assumes the page sits there): it is printed from a copy
there, ``PRINTED``."""
PRINTED = SINGLE.parents[len(Path(ROOT_DOC).parts) - 1] / "print.html"
SIZE_MARK = re.compile(r'(<span class="book-pdf-size">)[^<]*(</span>)')
WIDGET_TIMEOUT_MS = 60_000
PAGE_TIMEOUT_MS = 300_000
"""The whole book is one page: loading and typesetting it takes a while."""

# Run in the single page before printing (see the module's docstring).
PREPARE = """
([pictures, site]) => {
  for (const d of document.querySelectorAll("details")) d.open = true;
  for (const el of document.querySelectorAll(".toggle-hidden"))
    el.classList.remove("toggle-hidden");
  for (const el of document.querySelectorAll("button.toggle-button"))
    el.remove();
  // Paper cannot check a typed answer: a self-check prints its question,
  // its choices if it has them, and the answer this build computed.
  for (const form of document.querySelectorAll("form[data-self-check]")) {
    form.querySelectorAll(".self-check-label, input.self-check-input, " +
      ".self-check-buttons, .self-check-tolerance, .self-check-feedback")
      .forEach(el => el.remove());
    const box = form.querySelector(".self-check-reveal-text");
    box.querySelector("[data-self-check-answer]").textContent = form.dataset.answer;
    box.hidden = false;
  }
  const widgets = [...document.querySelectorAll("[data-ready]")];
  if (widgets.length !== pictures.length) return widgets.length;
  widgets.forEach((widget, i) => {
    const [png, page] = pictures[i];
    const figure = document.createElement("figure");
    figure.className = "pdf-interactive";
    const img = document.createElement("img");
    img.src = "data:image/png;base64," + png;
    img.alt = "The interactive element as the web page shows it";
    const caption = document.createElement("figcaption");
    caption.append("Interactive on the web page: ");
    const link = document.createElement("a");
    link.href = site + page + ".html";
    link.textContent = link.href;
    caption.append(link);
    figure.append(img, caption);
    widget.replaceWith(figure);
  });
  for (const a of document.querySelectorAll("a[href]")) {
    const href = a.getAttribute("href");
    if (!/^(#|[a-z]+:)/i.test(href)) a.href = new URL(href, site).href;
  }
  return widgets.length;
}
"""

PRINT_CSS = """
@page { size: A4; margin: 16mm 14mm 18mm 14mm; }
.bd-sidebar-primary, .bd-sidebar-secondary, .bd-header, .bd-header-article,
.bd-footer, .bd-footer-article, .prev-next-area, .header-article-items,
.bd-search, .search-button-field, .skip-link, #pst-back-to-top, .headerlink
{ display: none !important; }
.bd-main .bd-content .bd-article-container { max-width: 100% !important; }
.bd-page-width { max-width: 100% !important; }
figure, img, table, mjx-container, div.math { break-inside: avoid; }
pre { white-space: pre-wrap !important; overflow-wrap: anywhere;
      font-size: 10.5px !important; line-height: 1.35 !important; }
details.above-input > summary, details.below-input > summary
{ display: none !important; }
.pdf-interactive img { max-width: 100%; border: 1px solid #ccc; }
section[id^="document-"] > h1, section h1 { break-before: page; }
"""

FOOTER = ('<div style="font-size:8px;width:100%;text-align:center;color:#555">'
          '<span class="pageNumber"></span> / <span class="totalPages"></span></div>')


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    def log_message(self, format: str, *args: object) -> None:
        pass


@contextmanager
def serve(folder: Path) -> Iterator[str]:
    """``folder`` over HTTP on 127.0.0.1, as the site would be served."""
    handler = functools.partial(_QuietHandler, directory=str(folder))
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}/"
    finally:
        httpd.shutdown()
        httpd.server_close()


def site_url() -> str:
    """The published site's address (``Documentation`` in pyproject.toml)."""
    text = (ROOT / "pyproject.toml").read_text(encoding="utf-8")
    match = re.search(r'^Documentation\s*=\s*"([^"]+)"', text, flags=re.M)
    if not match:
        raise SystemExit("make pdf: pyproject.toml has no Documentation URL")
    return match.group(1).rstrip("/") + "/"


def pictures_of_widgets(browser, base: str) -> list[tuple[str, str]]:
    """``(PNG as base64, page)`` of every interactive element (``data-ready``)
    of the built site in reading order, once its script has drawn it."""
    shots = []
    for page_name in toc_files():
        html = (SITE / f"{page_name}.html").read_text(encoding="utf-8")
        if "data-ready=" not in html:
            continue
        context = browser.new_context(viewport={"width": 1000, "height": 900})
        page = context.new_page()
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        page.goto(f"{base}html/{page_name}.html", wait_until="load")
        widgets = page.locator("[data-ready]")
        for i in range(widgets.count()):
            widget = widgets.nth(i)
            widget.scroll_into_view_if_needed()
            page.wait_for_function("el => el.dataset.ready !== 'false'",
                                   arg=widget.element_handle(),
                                   timeout=WIDGET_TIMEOUT_MS)
            png = widget.screenshot(animations="disabled")
            shots.append((base64.b64encode(png).decode(), page_name))
        context.close()
    return shots


def print_book(target: Path) -> None:
    executable = find_browser()
    if executable is None:
        raise SystemExit(f"make pdf: {NO_BROWSER}")
    from playwright.sync_api import sync_playwright

    with serve(BUILD) as base, sync_playwright() as p:
        browser = p.chromium.launch(executable_path=executable, args=BROWSER_FLAGS)
        pictures = pictures_of_widgets(browser, base)
        page = browser.new_page(viewport={"width": 1000, "height": 1400})
        page.set_default_timeout(PAGE_TIMEOUT_MS)
        shutil.copy2(SINGLE, PRINTED)
        page.goto(f"{base}{PRINTED.relative_to(BUILD).as_posix()}", wait_until="load")
        page.evaluate("async () => { if (window.MathJax && MathJax.startup) "
                      "await MathJax.startup.promise; }")
        found = page.evaluate(PREPARE, [pictures, site_url()])
        if found != len(pictures):
            raise SystemExit(f"make pdf: the single page has {found} interactive "
                             f"elements, the site {len(pictures)}")
        page.add_style_tag(content=PRINT_CSS)
        page.emulate_media(media="print")
        page.wait_for_load_state("load")
        page.pdf(path=str(target), format="A4", print_background=True,
                 prefer_css_page_size=True, display_header_footer=True,
                 header_template="<span></span>", footer_template=FOOTER,
                 outline=True, tagged=True)
        browser.close()


def page_count(pdf: Path) -> int:
    """Pages of ``pdf``, as ``pdfinfo`` (poppler-utils) reads them."""
    info = subprocess.run(["pdfinfo", str(pdf)], check=True, capture_output=True,
                          text=True).stdout
    return int(re.search(r"^Pages:\s+(\d+)", info, flags=re.M).group(1))


def describe(pdf: Path) -> str:
    """``"12.3 MB, 250 pages"``: what the download links state."""
    return f"{pdf.stat().st_size / 1e6:.1f} MB, {page_count(pdf)} pages"


def state_size(pdf: Path) -> None:
    """Write the PDF's size and page count into the pages that link to it."""
    text = describe(pdf)
    for page in SITE.rglob("*.html"):
        html = page.read_text(encoding="utf-8")
        if 'class="book-pdf-size"' in html:
            page.write_text(SIZE_MARK.sub(rf"\g<1>PDF, {text}\g<2>", html),
                            encoding="utf-8")


def main() -> int:
    for needed, how in ((SINGLE, "make pdf"),
                        (SITE / "index.html", "make book")):
        if not needed.exists():
            print(f"make pdf: {needed.relative_to(ROOT)} is missing: run `{how}` "
                  "first", file=sys.stderr)
            return 1
    if shutil.which("pdfinfo") is None:
        print("make pdf: pdfinfo is missing: install Debian's poppler-utils",
              file=sys.stderr)
        return 1
    OUT.mkdir(parents=True, exist_ok=True)
    target = OUT / PDF_NAME
    started = time.monotonic()
    from playwright.sync_api import Error as BrowserError

    try:
        print_book(target)
    except BrowserError as error:
        print(f"make pdf: Chromium could not print the book: "
              f"{str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    shutil.copy2(target, SITE / "_static" / PDF_NAME)
    state_size(target)
    print(f"{target.relative_to(ROOT)}: {describe(target)}, printed in "
          f"{time.monotonic() - started:.0f} s (also in _build/html/_static)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
