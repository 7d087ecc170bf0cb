/* A table wider than a phone's screen scrolls sideways inside its box (the
 * theme's .pst-scrollable-table-container), but a phone draws no scrollbar
 * until one scrolls: the table looked cut off. This marks each box with the
 * sides where the table goes on (data-more-left, data-more-right), kept up
 * to date as the reader scrolls and as the box or its table changes size
 * (MathJax typesets the formulas in its cells after the page has loaded);
 * phone.css fades those sides out, which says "more this way". */
(() => {
  const BOXES = ".pst-scrollable-table-container";
  const mark = (box) => {
    const hidden = box.scrollWidth - box.clientWidth;
    box.toggleAttribute("data-more-left", hidden > 1 && box.scrollLeft > 1);
    box.toggleAttribute("data-more-right",
      hidden > 1 && box.scrollLeft < hidden - 1);
  };
  const watch = () => {
    for (const box of document.querySelectorAll(BOXES)) {
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
