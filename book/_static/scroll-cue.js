/* A table wider than a phone's screen scrolls sideways inside its box (the
 * theme's .pst-scrollable-table-container, or a cell output's box), but a
 * phone draws no scrollbar until one scrolls: the table looked cut off.
 * This marks each such box (data-scroll-cue) with the sides where the table
 * goes on (data-more-left, data-more-right), kept up to date as the reader
 * scrolls and as the box or its table changes size (MathJax typesets the
 * formulas in its cells after the page has loaded); phone.css fades those
 * sides out, which says "more this way". */
(() => {
  const scrolls = (el) => ["auto", "scroll"].includes(getComputedStyle(el).overflowX);
  const boxes = () => {
    const found = new Set();
    for (const table of document.querySelectorAll("article table")) {
      let box = table.parentElement;
      while (box && box.tagName !== "ARTICLE" && !scrolls(box)) box = box.parentElement;
      if (box && box.tagName !== "ARTICLE") found.add(box);
    }
    return found;
  };
  const mark = (box) => {
    const hidden = box.scrollWidth - box.clientWidth;
    box.toggleAttribute("data-more-left", hidden > 1 && box.scrollLeft > 1);
    box.toggleAttribute("data-more-right",
      hidden > 1 && box.scrollLeft < hidden - 1);
  };
  const watch = () => {
    for (const box of boxes()) {
      box.setAttribute("data-scroll-cue", "");
      mark(box);
      box.addEventListener("scroll", () => mark(box), { passive: true });
      const resized = new ResizeObserver(() => mark(box));
      resized.observe(box);
      if (box.firstElementChild) resized.observe(box.firstElementChild);
    }
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", watch);
  } else {
    watch();
  }
})();
