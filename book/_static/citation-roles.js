/* The References page: docutils writes the bibliography as a
 * <div role="list"> of <div role="doc-biblioentry"> entries. DPUB-ARIA 1.1
 * deprecates doc-biblioentry, so assistive technology (and axe-core, which
 * reports the list as critical: aria-required-children) no longer takes the
 * entries for items of the list. They are list items: say so. */
(() => {
  const fix = () => {
    for (const entry of document.querySelectorAll('[role="doc-biblioentry"]')) {
      entry.setAttribute("role", "listitem");
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", fix);
  } else {
    fix();
  }
})();
