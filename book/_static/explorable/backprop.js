/* The backpropagation chapter's worked example, live: one neuron
 *   u = w x + b,   a = sigmoid(u),   L = (a - t)^2 / 2
 * and its backward pass, recomputed whenever an input changes. The formulas
 * are the chapter's code cell, line by line (sigmoid as scratchnet.functional
 * computes it), so with the chapter's numbers the page shows that cell's output.
 */
(function () {
  "use strict";

  /** scratchnet.functional.sigmoid: exp(-|u|) never overflows. */
  function sigmoid(u) {
    const z = Math.exp(-Math.abs(u));
    return (u >= 0 ? 1 : z) / (1 + z);
  }

  // neuron-start
  /** Every forward value and gradient of the worked example. */
  function neuron({ x, w, b, t }) {
    // forward, keeping every intermediate value
    const u = w * x + b;
    const a = sigmoid(u);
    const L = 0.5 * (a - t) ** 2;
    // backward, one local derivative per step
    const dL_da = a - t;
    const dL_du = dL_da * (sigmoid(u) * (1 - sigmoid(u)));
    return { u, a, L, "dL/da": dL_da, "dL/du": dL_du,
             "dL/dw": dL_du * x, "dL/db": dL_du, "dL/dx": dL_du * w };
  }
  // neuron-end

  function attach(box) {
    const inputs = Array.from(box.querySelectorAll("input[data-var]"));
    const outputs = Array.from(box.querySelectorAll("output[data-value]"));
    let values = null;
    function update() {
      const given = {};
      let ok = true;
      for (const input of inputs) {
        const v = input.value.trim() === "" ? NaN : Number(input.value);
        const bad = !Number.isFinite(v);
        input.setAttribute("aria-invalid", String(bad));
        ok = ok && !bad;
        given[input.dataset.var] = v;
      }
      values = ok ? neuron(given) : null;
      for (const out of outputs) {
        out.textContent = values ? values[out.dataset.value].toFixed(6) : "–";
      }
      box.dataset.state = ok ? "ok" : "invalid";
    }
    inputs.forEach((input) => input.addEventListener("input", update));
    update();
    box.dataset.ready = "true";
    return { values: () => values, update };
  }

  function start() {
    const boxes = Array.from(document.querySelectorAll('[data-explorable="backprop"]'));
    // A box that cannot start says so (data-ready="error") rather than
    // leaving a reader, or a test, waiting on numbers that never come.
    const live = boxes.map((box) => {
      try {
        return attach(box);
      } catch (err) {
        box.dataset.ready = "error";
        console.error("backprop explorable:", err);
        return { values: () => null, update: () => {} };
      }
    });
    window.scratchnetBackprop = {
      neuron,
      /** The full-precision values of the first example on the page. */
      values: () => (live.length ? live[0].values() : null),
    };
  }

  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
