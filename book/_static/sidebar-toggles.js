/* The buttons that open the sidebars (☰ for the chapters, the contents
 * button for the sections of this page) must work on every screen.
 *
 * pydata-sphinx-theme 0.17 renders a ☰ and a contents button in its own top
 * bar, and sphinx-book-theme renders another pair in the article's header,
 * the pair a reader sees. The theme's script binds its handler to the first
 * `.primary-toggle` and the first `.secondary-toggle` only (upstream
 * pydata/pydata-sphinx-theme#2451): the hidden copies. So on a phone the
 * visible buttons opened nothing. Here every other copy forwards its click
 * to the bound one, which runs the theme's own handlers: the sidebar opens
 * as a dialog on a narrow screen and collapses on a wide one.
 *
 * A link in an open sidebar dialog also closes it: otherwise a section of
 * this page, chosen from the contents, scrolled into view behind the dialog
 * that still covered it. */
(() => {
  const forward = (selector) => {
    const [bound, ...others] = document.querySelectorAll(selector);
    for (const button of others) {
      button.addEventListener("click", (event) => {
        event.preventDefault();
        event.stopPropagation();
        bound.click();
      });
    }
  };
  const closeOnLink = (id) => {
    const dialog = document.getElementById(id);
    if (!dialog) return;
    dialog.addEventListener("click", (event) => {
      if (dialog.open && event.target.closest("a[href]")) dialog.close();
    });
  };
  const bind = () => {
    forward(".primary-toggle");
    forward(".secondary-toggle");
    closeOnLink("pst-primary-sidebar-modal");
    closeOnLink("pst-secondary-sidebar-modal");
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", bind);
  } else {
    bind();
  }
})();
