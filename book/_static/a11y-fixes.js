/* Markup that Sphinx's HTML writers produce and that assistive technology
 * misreads; axe-core (tests/site/test_accessibility.py) reports each.
 *
 * The References page: docutils writes the bibliography as a
 * <div role="list"> of <div role="doc-biblioentry"> entries. DPUB-ARIA 1.1
 * deprecates doc-biblioentry, so the entries are no longer taken for items
 * of the list (axe-core: aria-required-children, critical). They are list
 * items: say so.
 *
 * A hidden code cell: myst-nb names its <summary> "Toggle hidden content",
 * while it shows "Show code cell source" (axe-core:
 * label-content-name-mismatch). Without the label, its name is what it
 * shows, which also says what it does. */
(() => {
  const fix = () => {
    for (const entry of document.querySelectorAll('[role="doc-biblioentry"]')) {
      entry.setAttribute("role", "listitem");
    }
    for (const summary of document.querySelectorAll("details > summary[aria-label]")) {
      if (summary.textContent.trim()) summary.removeAttribute("aria-label");
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
})();
