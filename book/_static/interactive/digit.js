/*
 * Draw a digit: the book's MLP, run in the reader's browser.
 *
 * The page ships two static files next to this script, written by the book
 * build with scratchnet.export: model.json (architecture and float32
 * weights in base64) and samples.json (MNIST test digits, some of them
 * misread). Nothing is sent anywhere; there is no framework and no CDN.
 *
 * Reading order: the forward pass (the same arithmetic as
 * scratchnet.export.forward), the MNIST-style preprocessing of a drawing,
 * then the page: drawing, bars, activations, test digits.
 */
(function () {
  "use strict";

  const BASE = new URL(".", document.currentScript.src);
  const SIDE = 28;            // MNIST images are 28 x 28 ...
  const BOX = 20;             // ... with the digit fitted into 20 x 20
  const STROKE = 22;          // pen width in CSS pixels (~2 MNIST pixels)
  const MIN_INK = 0.15;       // ink spanning less of the canvas is a dot

  // ---------------------------------------------------------------------
  // The network
  // ---------------------------------------------------------------------

  /** Base64 of little-endian float32 bytes -> Float32Array. */
  function decodeFloat32(text) {
    const bytes = Uint8Array.from(atob(text), (c) => c.charCodeAt(0));
    const view = new DataView(bytes.buffer);
    const out = new Float32Array(bytes.length / 4);
    for (let i = 0; i < out.length; i++) out[i] = view.getFloat32(4 * i, true);
    return out;
  }

  /** model.json -> layers with decoded weights. */
  function loadModel(doc) {
    if (doc.format !== "scratchnet.mlp+json" || doc.version !== 1) {
      throw new Error("model.json: unsupported format " + doc.format);
    }
    const layers = doc.layers.map((layer) => layer.type !== "linear" ? layer :
      { ...layer, W: decodeFloat32(layer.W), b: decodeFloat32(layer.b) });
    return { ...doc, layers };
  }

  // forward-pass-start
  const ACTIVATIONS = {
    relu: () => (v) => (v > 0 ? v : 0),
    leaky_relu: (layer) => (v) => (v > 0 ? v : layer.slope * v),
    sigmoid: () => (v) => 1 / (1 + Math.exp(-v)),
    tanh: () => Math.tanh,
  };

  /** Softmax of the logits, minus the largest first so exp cannot overflow. */
  function softmax(z) {
    const top = Math.max(...z);
    const e = z.map((v) => Math.exp(v - top));
    const total = e.reduce((a, b) => a + b, 0);
    return e.map((v) => v / total);
  }

  /**
   * x: 784 pixel values in [0, 1]. Returns the 10 probabilities and the
   * output of every activation layer (the hidden units).
   */
  function forward(model, x) {
    let h = Float64Array.from(x);
    const hidden = [];
    for (const layer of model.layers) {
      if (layer.type === "linear") {
        // z = h @ W + b, with W stored row by row as (in, out)
        const z = Float64Array.from(layer.b);
        for (let i = 0; i < layer.in; i++) {
          if (h[i] === 0) continue;          // blank pixel, dead unit: skip
          const row = i * layer.out;
          for (let j = 0; j < layer.out; j++) z[j] += h[i] * layer.W[row + j];
        }
        h = z;
      } else {
        h = h.map(ACTIVATIONS[layer.type](layer));
        hidden.push(h);
      }
    }
    return { probabilities: softmax(Array.from(h)), hidden };
  }
  // forward-pass-end

  // ---------------------------------------------------------------------
  // Preprocessing, as MNIST's digits were made (LeCun et al. 1998)
  // ---------------------------------------------------------------------

  // preprocessing-start
  /**
   * Area-average resampling of a (w x h) grey image to (tw x th): each new
   * pixel is the mean of the old pixels it covers, partly covered ones in
   * proportion. That is what makes the anti-aliased greys of MNIST.
   */
  function resample(src, w, h, tw, th) {
    const weights = (n, k) => {      // for each of k outputs: [[index, w]]
      const f = n / k;
      return Array.from({ length: k }, (_, t) => {
        const out = [];
        const last = Math.min(n, Math.ceil((t + 1) * f));
        for (let s = Math.floor(t * f); s < last; s++) {
          const overlap = Math.min(s + 1, (t + 1) * f) - Math.max(s, t * f);
          if (overlap > 0) out.push([s, overlap / f]);
        }
        return out;
      });
    };
    const wx = weights(w, tw), wy = weights(h, th);
    const rows = new Float64Array(h * tw);            // horizontal pass
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < tw; x++) {
        let v = 0;
        for (const [s, k] of wx[x]) v += k * src[y * w + s];
        rows[y * tw + x] = v;
      }
    }
    const out = new Float64Array(th * tw);            // vertical pass
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        let v = 0;
        for (const [s, k] of wy[y]) v += k * rows[s * tw + x];
        out[y * tw + x] = v;
      }
    }
    return out;
  }

  /**
   * The drawing's ink (canvas alpha) -> 784 values in [0, 1], or a reason
   * why there is nothing to read: "empty" or "small".
   */
  function preprocess(canvas) {
    const { width: w, height: h } = canvas;
    const rgba = canvas.getContext("2d").getImageData(0, 0, w, h).data;
    let x0 = w, y0 = h, x1 = -1, y1 = -1;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        if (rgba[4 * (y * w + x) + 3] > 0) {
          x0 = Math.min(x0, x); x1 = Math.max(x1, x);
          y0 = Math.min(y0, y); y1 = Math.max(y1, y);
        }
      }
    }
    if (x1 < 0) return { reason: "empty" };
    const bw = x1 - x0 + 1, bh = y1 - y0 + 1;
    if (Math.max(bw, bh) < MIN_INK * Math.max(w, h)) {
      return { reason: "small" };
    }
    // 1. crop to the ink's bounding box
    const ink = new Float64Array(bw * bh);
    for (let y = 0; y < bh; y++) {
      for (let x = 0; x < bw; x++) {
        ink[y * bw + x] = rgba[4 * ((y0 + y) * w + x0 + x) + 3] / 255;
      }
    }
    // 2. fit into 20 x 20, keeping the aspect ratio, with grey edges
    const scale = BOX / Math.max(bw, bh);
    const tw = Math.max(1, Math.round(bw * scale));
    const th = Math.max(1, Math.round(bh * scale));
    const box = resample(ink, bw, bh, tw, th);
    // 3. shift it by whole pixels so that its centre of mass lands on
    //    pixel (14, 14) of the 28 x 28 field, as in MNIST
    let mass = 0, mx = 0, my = 0;
    for (let y = 0; y < th; y++) {
      for (let x = 0; x < tw; x++) {
        const v = box[y * tw + x];
        mass += v; mx += v * x; my += v * y;
      }
    }
    const clamp = (v, hi) => Math.min(Math.max(v, 0), hi);
    const ox = clamp(Math.round(SIDE / 2 - mx / mass), SIDE - tw);
    const oy = clamp(Math.round(SIDE / 2 - my / mass), SIDE - th);
    const x = new Float64Array(SIDE * SIDE);
    for (let y = 0; y < th; y++) {
      for (let i = 0; i < tw; i++) {
        x[(oy + y) * SIDE + ox + i] = Math.min(1, box[y * tw + i]);
      }
    }
    return { input: x };
  }
  // preprocessing-end

  // ---------------------------------------------------------------------
  // The page
  // ---------------------------------------------------------------------

  const $ = (id) => document.getElementById(id);
  const state = {
    model: null, samples: [], input: null, result: null,
    sample: null,            // the test digit on show, if any
    drawing: false, last: null,
  };

  function setupCanvas(canvas) {
    // Back the canvas with device pixels so strokes stay sharp.
    const dpr = window.devicePixelRatio || 1;
    const css = canvas.getBoundingClientRect();
    canvas.width = Math.round(css.width * dpr);
    canvas.height = Math.round(css.height * dpr);
    const ctx = canvas.getContext("2d", { willReadFrequently: true });
    ctx.lineCap = "round";
    ctx.lineJoin = "round";
    ctx.lineWidth = STROKE * dpr;
    ctx.strokeStyle = "#111";
    ctx.fillStyle = "#111";
    return ctx;
  }

  function pointerPosition(canvas, event) {
    const r = canvas.getBoundingClientRect();
    return [(event.clientX - r.left) * canvas.width / r.width,
            (event.clientY - r.top) * canvas.height / r.height];
  }

  let pending = false;
  function scheduleUpdate() {       // at most one forward pass per frame
    if (pending) return;
    pending = true;
    requestAnimationFrame(() => { pending = false; updateFromCanvas(); });
  }

  function updateFromCanvas() {
    const pre = preprocess($("digit-canvas"));
    show(pre.input || null, pre.reason);
  }

  /** Run the network on x (or show why there is nothing to run it on). */
  function show(x, reason) {
    state.input = x;
    state.result = x && state.model ? forward(state.model, x) : null;
    drawPreview(x);
    drawBars(state.result && state.result.probabilities);
    drawActivations(state.result && state.result.hidden);
    const prediction = $("digit-prediction");
    const status = $("digit-status");
    const p = state.result && state.result.probabilities;
    if (!p) {
      prediction.textContent = "–";
      prediction.dataset.state = reason || "empty";
      $("digit-confidence").textContent = "";
      status.textContent = reason === "small"
        ? "That is a dot, not a digit: draw it bigger."
        : "Draw a digit in the box, or pick a test digit below.";
      return;
    }
    const best = p.indexOf(Math.max(...p));
    prediction.textContent = String(best);
    prediction.dataset.state = state.sample ? "sample" : "drawn";
    $("digit-confidence").textContent =
      `${(100 * p[best]).toFixed(1)}% sure`;
    if (state.sample) {
      const s = state.sample;
      status.textContent = `Test image #${s.index}, labelled ${s.label}: ` +
        (s.label === best ? "read correctly." : `misread as ${best}.`);
    } else {
      status.textContent = "Your drawing, preprocessed like MNIST.";
    }
  }

  function drawPreview(x) {
    const ctx = $("digit-preview").getContext("2d");
    const img = ctx.createImageData(SIDE, SIDE);
    for (let i = 0; i < SIDE * SIDE; i++) {
      const v = Math.round(255 * (1 - (x ? x[i] : 0)));   // ink is dark
      img.data.set([v, v, v, 255], 4 * i);
    }
    ctx.putImageData(img, 0, 0);
  }

  function drawBars(p) {
    const truth = state.sample ? state.sample.label : -1;
    const best = p ? p.indexOf(Math.max(...p)) : -1;
    for (const bar of $("digit-bars").children) {
      const d = Number(bar.dataset.digit);
      const value = p ? p[d] : 0;
      bar.querySelector(".ia-bar-fill").style.height = `${100 * value}%`;
      bar.querySelector(".ia-bar-value").textContent =
        p ? `${Math.round(100 * value)}%` : "";
      bar.classList.toggle("ia-best", d === best);
      bar.classList.toggle("ia-truth", d === truth);
    }
    // The bars are a picture: say in words what they show.
    $("digit-bars").setAttribute("aria-label", p
      ? "Probability of each digit: " +
        p.map((v, d) => `${d}: ${Math.round(100 * v)}%`).join(", ")
      : "Probability of each digit: nothing drawn yet");
  }

  /** White (silent) to dark red (the layer's most active unit). */
  function heat(v) {
    const t = Math.max(0, Math.min(1, v));
    const r = 255 - 75 * t, g = 255 - 235 * Math.sqrt(t), b = 255 - 225 * t;
    return `rgb(${r | 0},${g | 0},${b | 0})`;
  }

  function drawActivations(hidden) {
    document.querySelectorAll("#digit-hidden canvas").forEach((canvas, k) => {
      const ctx = canvas.getContext("2d");
      const cols = Number(canvas.dataset.cols);
      const units = hidden ? hidden[k]
        : new Float64Array(canvas.width * canvas.height);
      const top = Math.max(...units.map(Math.abs), 1e-12);
      for (let u = 0; u < units.length; u++) {
        ctx.fillStyle = heat(Math.abs(units[u]) / top);
        ctx.fillRect(u % cols, Math.floor(u / cols), 1, 1);
      }
      // In words too: how many of the layer's units respond at all.
      const caption = canvas.parentElement.querySelector("figcaption");
      const active = hidden ? units.filter((v) => v > 0).length : null;
      caption.textContent = `hidden layer ${k + 1}: ${canvas.dataset.units} units` +
        (active === null ? "" : `, ${active} active`);
    });
  }

  function clearCanvas() {
    const canvas = $("digit-canvas");
    canvas.getContext("2d").clearRect(0, 0, canvas.width, canvas.height);
    state.sample = null;
    document.querySelectorAll(".ia-sample").forEach(
      (b) => b.setAttribute("aria-pressed", "false"));
  }

  function clear() {
    clearCanvas();
    show(null, "empty");
  }

  function samplePixels(sample) {
    return Uint8Array.from(atob(sample.pixels), (c) => c.charCodeAt(0));
  }

  /** Paint 28 x 28 uint8 pixels onto a canvas of any size, as dark ink. */
  function paintDigit(canvas, pixels) {
    const small = document.createElement("canvas");
    small.width = small.height = SIDE;
    const img = small.getContext("2d").createImageData(SIDE, SIDE);
    pixels.forEach((v, i) => img.data.set([17, 17, 17, v], 4 * i));
    small.getContext("2d").putImageData(img, 0, 0);
    const ctx = canvas.getContext("2d");
    ctx.imageSmoothingEnabled = false;
    ctx.clearRect(0, 0, canvas.width, canvas.height);
    ctx.drawImage(small, 0, 0, canvas.width, canvas.height);
  }

  /** Show test digit k of samples.json: its exact pixels, no preprocessing. */
  function loadSample(k) {
    const sample = state.samples[k];
    clearCanvas();
    const pixels = samplePixels(sample);
    paintDigit($("digit-canvas"), pixels);
    state.sample = sample;
    document.querySelectorAll(".ia-sample").forEach((b) => b.setAttribute(
      "aria-pressed", String(Number(b.dataset.sample) === k)));
    show(Float64Array.from(pixels, (v) => v / 255));
  }

  function buildSamplePicker() {
    const groups = {
      wrong: $("digit-samples-wrong"), right: $("digit-samples-right"),
    };
    state.samples.forEach((s, k) => {
      const button = document.createElement("button");
      button.type = "button";
      button.className = "ia-sample";
      button.dataset.sample = String(k);
      button.setAttribute("aria-pressed", "false");
      const wrong = s.prediction !== s.label;
      button.title = `test image #${s.index}: labelled ${s.label}, ` +
        `the network says ${s.prediction}`;
      const thumb = document.createElement("canvas");
      thumb.width = thumb.height = SIDE;
      paintDigit(thumb, samplePixels(s));
      const caption = document.createElement("span");
      caption.textContent =
        wrong ? `${s.label}→${s.prediction}` : String(s.label);
      button.append(thumb, caption);
      button.addEventListener("click", () => loadSample(k));
      (wrong ? groups.wrong : groups.right).append(button);
    });
  }

  function buildActivationGrids() {
    const box = $("digit-hidden");
    state.model.layers.filter((l) => l.type === "linear").slice(0, -1)
      .forEach((layer, k) => {
        const cols = 16;
        const figure = document.createElement("figure");
        const canvas = document.createElement("canvas");
        canvas.width = cols;
        canvas.height = Math.ceil(layer.out / cols);
        canvas.dataset.cols = String(cols);
        canvas.dataset.units = String(layer.out);
        canvas.setAttribute("aria-label",
          `activations of the ${layer.out} units of hidden layer ${k + 1}`);
        const caption = document.createElement("figcaption");
        caption.textContent = `hidden layer ${k + 1}: ${layer.out} units`;
        figure.append(canvas, caption);
        box.append(figure);
      });
  }

  function bindDrawing() {
    const canvas = $("digit-canvas");
    const ctx = setupCanvas(canvas);
    // Pointer events cover mouse, pen and touch alike.
    canvas.addEventListener("pointerdown", (e) => {
      if (state.sample) clearCanvas();     // drawing replaces a test digit
      canvas.setPointerCapture(e.pointerId);
      state.drawing = true;
      state.last = pointerPosition(canvas, e);
      ctx.beginPath();                     // a dot for a tap
      ctx.arc(...state.last, ctx.lineWidth / 2, 0, 2 * Math.PI);
      ctx.fill();
      scheduleUpdate();
    });
    canvas.addEventListener("pointermove", (e) => {
      if (!state.drawing) return;
      const events = e.getCoalescedEvents ? e.getCoalescedEvents() : [e];
      for (const ev of events.length ? events : [e]) {
        const p = pointerPosition(canvas, ev);
        ctx.beginPath();
        ctx.moveTo(...state.last);
        ctx.lineTo(...p);
        ctx.stroke();
        state.last = p;
      }
      scheduleUpdate();
    });
    const stop = () => { state.drawing = false; scheduleUpdate(); };
    canvas.addEventListener("pointerup", stop);
    canvas.addEventListener("pointercancel", stop);
    $("digit-clear").addEventListener("click", clear);
  }

  async function fetchJSON(name) {
    const response = await fetch(new URL(name, BASE));
    if (!response.ok) throw new Error(`${name}: HTTP ${response.status}`);
    return response.json();
  }

  async function start() {
    bindDrawing();
    const [model, samples] = await Promise.all(
      [fetchJSON("model.json"), fetchJSON("samples.json")]);
    state.model = loadModel(model);
    state.samples = samples.samples;
    $("digit-architecture").textContent = model.architecture;
    buildActivationGrids();
    buildSamplePicker();
    $("digit-app").dataset.ready = "true";
    clear();
  }

  // Resolves when the network is loaded; rejects with the reason if it
  // cannot be, so a test (or a reader in the console) learns why at once.
  const ready = new Promise((resolve, reject) => {
    const go = () => start().then(resolve, (err) => {
      $("digit-status").textContent =
        "The network could not be loaded: " + err.message;
      console.error("scratchnet digit page:", err);
      reject(err);
    });
    if (document.readyState === "loading") {
      document.addEventListener("DOMContentLoaded", go);
    } else {
      go();
    }
  });

  /** For readers' experiments in the console, and for the site tests. */
  window.scratchnetDigit = {
    ready,
    forward: (x) => forward(state.model, x),
    probabilities: () => state.result && Array.from(state.result.probabilities),
    prediction: () => {
      const p = state.result && state.result.probabilities;
      return p ? p.indexOf(Math.max(...p)) : null;
    },
    input: () => state.input && Array.from(state.input),
    hidden: () => state.result && state.result.hidden.map((h) => Array.from(h)),
    samples: () => state.samples.map(({ pixels, ...rest }) => rest),
    loadSample,
    clear,
  };
})();
