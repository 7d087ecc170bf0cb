/* Self-checks: judge a typed answer against the value the build computed.
 *
 * Each <form data-self-check> carries its answer in data attributes (written
 * by book/_ext/self_check.py): data-kind is "number", "choice" or "text";
 * a number has data-value, data-tolerance and data-relative. Static, offline:
 * nothing is sent anywhere.
 */
(function () {
  "use strict";

  // "98.3%", "60,000", "1.2e-7", "−0.25" -> a number; anything else -> NaN.
  function parseNumber(text) {
    var t = text.trim().replace(/\u2212/g, "-").replace(/,/g, "")
      .replace(/\s+/g, "");
    var m = /^([-+]?(?:\d+\.?\d*|\.\d+)(?:e[-+]?\d+)?)(%|[a-z]*)$/i.exec(t);
    return m ? parseFloat(m[1]) : NaN;
  }

  function normal(text) {
    return text.trim().replace(/\s+/g, " ").toLowerCase();
  }

  function given(form) {
    if (form.dataset.kind === "choice") {
      var picked = form.querySelector("input[type=radio]:checked");
      return picked ? picked.value : "";
    }
    return form.querySelector("input").value;
  }

  function judge(form, text) {
    var kind = form.dataset.kind;
    if (kind === "number") {
      var x = parseNumber(text);
      if (isNaN(x)) return null;
      var value = parseFloat(form.dataset.value);
      var tol = parseFloat(form.dataset.tolerance);
      if (form.dataset.relative === "true") tol *= Math.abs(value);
      // A little slack for the decimal rounding of the stated tolerance.
      return Math.abs(x - value) <= tol * (1 + 1e-9) + 1e-12 * Math.abs(value);
    }
    return normal(text) === normal(form.dataset.answer);
  }

  function check(form) {
    var text = given(form);
    var feedback = form.querySelector(".self-check-feedback");
    if (!text.trim()) {
      form.removeAttribute("data-result");
      feedback.textContent = form.dataset.kind === "choice"
        ? "Pick one of the choices first." : "Type an answer first.";
      return;
    }
    var right = judge(form, text);
    if (right === null) {
      form.setAttribute("data-result", "wrong");
      feedback.textContent = "\u2717 \u201c" + text.trim() +
        "\u201d is not a number; type digits, e.g. 0.25 or 98.3%.";
      return;
    }
    form.setAttribute("data-result", right ? "right" : "wrong");
    feedback.textContent = right
      ? "\u2713 Right: " + text.trim() + " matches the computed answer."
      : "\u2717 Not quite: " + text.trim() + " is not it. Try again, or show the answer.";
  }

  function reveal(form, button) {
    var box = form.querySelector(".self-check-reveal-text");
    var shown = box.hidden;
    if (shown) box.querySelector("[data-self-check-answer]").textContent =
      form.dataset.answer;
    box.hidden = !shown;
    button.setAttribute("aria-expanded", String(shown));
    button.textContent = shown ? "Hide answer" : "Show answer";
  }

  function init(form) {
    form.addEventListener("submit", function (event) {
      event.preventDefault();
      check(form);
    });
    // Enter checks from any input, radios included (they do not submit).
    form.querySelectorAll("input").forEach(function (input) {
      input.addEventListener("keydown", function (event) {
        if (event.key === "Enter") {
          event.preventDefault();
          check(form);
        }
      });
    });
    var button = form.querySelector("[data-self-check-reveal]");
    button.addEventListener("click", function () { reveal(form, button); });
  }

  function start() {
    document.querySelectorAll("[data-self-check]").forEach(init);
  }
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
