/* The playground: train a small network on 2-D points, in the browser.
 *
 * The mathematics is a line-by-line transcription of scratchnet's: the
 * initialisation of scratchnet.layers.init_weights, the forward and backward
 * passes of Linear, ReLU, Tanh and Sigmoid, the fused softmax cross-entropy
 * of scratchnet.losses, and the SGD (momentum) and Adam steps of
 * scratchnet.optim, including their flush of tiny optimizer state. The book's
 * browser test replays the float64 trajectories the build computed with
 * scratchnet and requires this file to give the same numbers.
 *
 * Arrays are flat Float64Arrays stored row by row as in NumPy: a batch x of
 * n rows and d columns has x[r * d + i] = x_ri, and a weight matrix of a
 * layer with nIn inputs and nOut outputs has W[i * nOut + j] = W_ij.
 * Plain JavaScript, no library, so the page works offline.
 */
(function () {
  "use strict";

  // ---------------------------------------------------------------- random
  /** A seeded generator of uniform numbers in [0, 1) (mulberry32). */
  function uniformGenerator(seed) {
    let a = seed >>> 0;
    return function () {
      a = (a + 0x6d2b79f5) >>> 0;
      let t = a;
      t = Math.imul(t ^ (t >>> 15), t | 1);
      t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
      return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
  }

  /** A standard normal number from two uniform ones (Box-Muller). */
  function gaussian(rand) {
    const u = 1 - rand(); // in (0, 1], so log(u) is finite
    return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * rand());
  }

  // init-start
  /** scratchnet.layers.init_weights: a (fanIn, fanOut) matrix, flat. */
  function initWeights(fanIn, fanOut, init, rand) {
    const W = new Float64Array(fanIn * fanOut);
    if (init === "he") {            // normal, variance 2 / fanIn (ReLU)
      const std = Math.sqrt(2.0 / fanIn);
      for (let k = 0; k < W.length; k++) W[k] = gaussian(rand) * std;
    } else if (init === "glorot") { // uniform, variance 2 / (fanIn + fanOut)
      const limit = Math.sqrt(6.0 / (fanIn + fanOut));
      for (let k = 0; k < W.length; k++) W[k] = (2 * rand() - 1) * limit;
    } else {
      throw new Error("init must be 'he' or 'glorot', got " + init);
    }
    return W;
  }

  /** scratchnet.model.mlp: Linear layers of `sizes`, `activation` between. */
  function mlp(sizes, activation, seed) {
    if (!(activation in ACTIVATIONS)) {
      throw new Error("unknown activation " + activation);
    }
    const init = activation === "relu" ? "he" : "glorot";
    const rand = uniformGenerator(seed);
    const layers = [];
    for (let l = 0; l + 1 < sizes.length; l++) {
      layers.push({
        nIn: sizes[l], nOut: sizes[l + 1],
        W: initWeights(sizes[l], sizes[l + 1], init, rand),
        b: new Float64Array(sizes[l + 1]),   // biases start at zero
      });
    }
    return { sizes: sizes.slice(), activation, init, layers };
  }
  // init-end

  // forward-start
  /** Activations: each forward with its backward, as in scratchnet.layers. */
  const ACTIVATIONS = {
    relu: {   // max(x, 0); the gradient passes only where x > 0
      forward: (x) => (x > 0 ? x : 0),
      backward: (g, x, y) => (x > 0 ? g : 0),
    },
    tanh: {   // its derivative 1 - y**2 reuses the output y
      forward: (x) => Math.tanh(x),
      backward: (g, x, y) => g * (1 - y * y),
    },
    sigmoid: { // exp(-|x|) never overflows; the derivative is y (1 - y)
      forward: (x) => {
        const z = Math.exp(-Math.abs(x));
        return (x >= 0 ? 1 : z) / (1 + z);
      },
      backward: (g, x, y) => g * y * (1 - y),
    },
  };

  /** Linear.forward: out = x @ W + b for a batch x of n rows. */
  function linearForward(layer, x, n) {
    const { W, b, nIn, nOut } = layer;
    const out = new Float64Array(n * nOut);
    for (let r = 0; r < n; r++) {
      for (let j = 0; j < nOut; j++) {
        let s = 0;
        for (let i = 0; i < nIn; i++) s += x[r * nIn + i] * W[i * nOut + j];
        out[r * nOut + j] = s + b[j];
      }
    }
    return out;
  }

  /** Sequential.forward, keeping what the backward pass needs. */
  function forward(net, x, n) {
    const act = ACTIVATIONS[net.activation];
    const inputs = [], pre = [], post = [];
    let h = x;
    net.layers.forEach((layer, l) => {
      inputs.push(h);
      h = linearForward(layer, h, n);
      if (l + 1 < net.layers.length) {     // no activation after the last
        const z = h;
        h = z.map(act.forward);
        pre.push(z);
        post.push(h);
      }
    });
    return { logits: h, inputs, pre, post, n };
  }

  /** SoftmaxCrossEntropy.forward: the mean of -log softmax(z)[label]. */
  function lossForward(logits, labels, n, k) {
    const probs = new Float64Array(n * k);
    let logTotal = 0, picked = 0;
    for (let r = 0; r < n; r++) {
      let max = -Infinity;
      for (let c = 0; c < k; c++) max = Math.max(max, logits[r * k + c]);
      let total = 0;
      for (let c = 0; c < k; c++) {
        const shifted = logits[r * k + c] - max;
        if (c === labels[r]) picked += shifted;
        probs[r * k + c] = Math.exp(shifted);
        total += probs[r * k + c];
      }
      for (let c = 0; c < k; c++) probs[r * k + c] /= total;
      logTotal += Math.log(total);
    }
    return { loss: (logTotal - picked) / n, probs };
  }
  // forward-end

  // backward-start
  /** SoftmaxCrossEntropy.backward: (softmax - one_hot) / batch. */
  function lossBackward(probs, labels, n, k) {
    const grad = probs.map((p) => p / n);
    for (let r = 0; r < n; r++) grad[r * k + labels[r]] -= 1 / n;
    return grad;
  }

  /** Linear.backward: dW = x^T g, db = sum of g's rows, dx = g W^T. */
  function linearBackward(layer, x, g, n, inputGrad) {
    const { W, nIn, nOut } = layer;
    const dW = new Float64Array(nIn * nOut), db = new Float64Array(nOut);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < nIn; i++) {
        const xi = x[r * nIn + i];
        for (let j = 0; j < nOut; j++) dW[i * nOut + j] += xi * g[r * nOut + j];
      }
      for (let j = 0; j < nOut; j++) db[j] += g[r * nOut + j];
    }
    if (!inputGrad) return { dW, db, dx: null };
    const dx = new Float64Array(n * nIn);
    for (let r = 0; r < n; r++) {
      for (let i = 0; i < nIn; i++) {
        let s = 0;
        for (let j = 0; j < nOut; j++) s += g[r * nOut + j] * W[i * nOut + j];
        dx[r * nIn + i] = s;
      }
    }
    return { dW, db, dx };
  }

  /** Sequential.backward: the layers in reverse; grads in parameter order. */
  function backward(net, cache, gradLogits) {
    const act = ACTIVATIONS[net.activation];
    const grads = new Array(2 * net.layers.length);
    let g = gradLogits;
    for (let l = net.layers.length - 1; l >= 0; l--) {
      if (l + 1 < net.layers.length) {      // through the activation
        const z = cache.pre[l], y = cache.post[l];
        g = g.map((gi, k) => act.backward(gi, z[k], y[k]));
      }
      const d = linearBackward(net.layers[l], cache.inputs[l], g, cache.n, l > 0);
      grads[2 * l] = d.dW;
      grads[2 * l + 1] = d.db;
      g = d.dx;
    }
    return grads;
  }
  // backward-end

  /** The parameters in Sequential.parameters() order: W1, b1, W2, b2, ... */
  function parameters(net) {
    return net.layers.flatMap((layer) => [layer.W, layer.b]);
  }

  // optim-start
  const FLUSH_BELOW = 2 ** -100, FLUSH_EVERY = 32;

  /** optim.flush_tiny: every FLUSH_EVERY steps, zero the tiny state. */
  function flushNow(opt, state) {
    opt.steps += 1;
    if (opt.steps % FLUSH_EVERY !== 0) return;
    for (const a of state) {
      for (let i = 0; i < a.length; i++) if (Math.abs(a[i]) < FLUSH_BELOW) a[i] = 0;
    }
  }

  /** SGD.step: v = momentum v + g, then w -= lr v (w -= lr g without). */
  function sgdStep(opt, params, grads) {
    const mu = opt.momentum, lr = opt.lr;
    params.forEach((w, k) => {
      const g = grads[k], v = opt.velocity[k];
      for (let i = 0; i < w.length; i++) {
        let gi = g[i];
        if (mu) {
          v[i] = v[i] * mu + gi;
          gi = v[i];
        }
        w[i] -= gi * lr;
      }
    });
    if (mu) flushNow(opt, opt.velocity);
  }

  /** Adam.step, in the form of scratchnet.optim.Adam: the bias
   * corrections are folded into the step size and eps. */
  function adamStep(opt, params, grads) {
    const [b1, b2] = opt.betas;
    opt.t += 1;
    const c1 = 1 - b1 ** opt.t, c2 = Math.sqrt(1 - b2 ** opt.t);
    const stepSize = opt.lr * c2 / c1, eps = opt.eps * c2;
    params.forEach((w, k) => {
      const g = grads[k], m = opt.m[k], v = opt.v[k];
      for (let i = 0; i < w.length; i++) {
        m[i] = m[i] * b1 + g[i] * (1 - b1);        // m = b1 m + (1 - b1) g
        v[i] = v[i] * b2 + g[i] * g[i] * (1 - b2); // v = b2 v + (1 - b2) g^2
        w[i] -= (m[i] / (Math.sqrt(v[i]) + eps)) * stepSize;
      }
    });
    flushNow(opt, opt.m.concat(opt.v));
  }
  // optim-end

  /** A fresh optimizer for `net`: name "sgd" or "adam", settings as in Python. */
  function makeOptimizer(name, net, settings) {
    const zeros = () => parameters(net).map((p) => new Float64Array(p.length));
    if (name === "sgd") {
      return { name, lr: settings.lr, momentum: settings.momentum || 0,
               velocity: zeros(), steps: 0, step: sgdStep };
    }
    if (name === "adam") {
      return { name, lr: settings.lr, betas: settings.betas || [0.9, 0.999],
               eps: settings.eps === undefined ? 1e-8 : settings.eps,
               t: 0, m: zeros(), v: zeros(), steps: 0, step: adamStep };
    }
    throw new Error("unknown optimizer " + name);
  }

  // step-start
  /** One training step on a batch: forward, loss, backward, update. */
  function trainStep(net, opt, x, labels, n) {
    const cache = forward(net, x, n);
    const k = net.sizes[net.sizes.length - 1];
    const { loss, probs } = lossForward(cache.logits, labels, n, k);
    const grads = backward(net, cache, lossBackward(probs, labels, n, k));
    opt.step(opt, parameters(net), grads);
    return loss;
  }
  // step-end

  /** Replay a reference trajectory of scratchnet.playground.trajectory:
   * the same start, the same batches; the loss and parameters per step. */
  function replay(ref) {
    const net = mlp(ref.sizes, ref.activation, 0);
    parameters(net).forEach((p, k) => p.set(ref.initial[k]));
    const opt = makeOptimizer(ref.optimizer, net, ref.settings);
    const loss = [], params = [];
    for (const batch of ref.batches) {
      const x = Float64Array.from(batch.x.flat());
      loss.push(trainStep(net, opt, x, batch.y, batch.y.length));
      params.push(parameters(net).map((p) => Array.from(p)));
    }
    return { loss, params };
  }

  // -------------------------------------------------------- the page itself
  const COLORS = [[224, 130, 20], [35, 110, 190]];   // class 0, class 1
  const GRID = 60;          // the plane is drawn as GRID x GRID cells
  const FRAME_BUDGET_MS = 12;   // never more steps than fit in a frame
  const DRAW_EVERY_MS = 50;
  const SCRIPT_URL = document.currentScript ? document.currentScript.src : "";

  function $(id) { return document.getElementById(id); }

  /** Class predictions and accuracy of `net` on a data split. */
  function evaluate(net, split) {
    const n = split.y.length, k = net.sizes[net.sizes.length - 1];
    const x = Float64Array.from(split.x.flat());
    const { logits } = forward(net, x, n);
    const { loss } = lossForward(logits, split.y, n, k);
    let correct = 0;
    for (let r = 0; r < n; r++) {
      const guess = logits[r * k + 1] > logits[r * k] ? 1 : 0;
      correct += guess === split.y[r];
    }
    return { loss, accuracy: correct / n };
  }

  function readSettings() {
    const layers = Number($("pg-layers").value);
    const width = Number($("pg-width").value);
    return {
      dataset: $("pg-dataset").value,
      hidden: Array(layers).fill(width),
      activation: $("pg-activation").value,
      optimizer: $("pg-optimizer").value,
      lr: Number($("pg-lr").value),
      momentum: Number($("pg-momentum").value),
      batchSize: Number($("pg-batch").value),
      speed: Number($("pg-speed").value),
    };
  }

  function Playground(data) {
    this.data = data;
    this.seed = 1;
    this.selected = null;          // [layer, unit] of the hidden unit shown
    this.training = false;
    this.reset();
  }

  Playground.prototype.reset = function () {
    this.settings = readSettings();
    const s = this.settings, set = this.data[s.dataset];
    this.set = set;
    this.extent = 1.1 * Math.max(...set.train.x.flat().map(Math.abs),
                                 ...set.test.x.flat().map(Math.abs));
    this.net = mlp([2, ...s.hidden, 2], s.activation, this.seed);
    this.opt = makeOptimizer(s.optimizer, this.net,
                             { lr: s.lr, momentum: s.momentum });
    this.rand = uniformGenerator(this.seed + 1000);
    this.order = [];
    this.steps = 0;
    this.curve = [];
    this.selected = null;
    this.buildNetworkView();
    this.measure();
    this.draw();
  };

  /** The next mini-batch: walk through a fresh shuffle of the training set. */
  Playground.prototype.nextBatch = function () {
    const train = this.set.train, n = train.y.length;
    const size = Math.min(this.settings.batchSize, n);
    if (this.order.length < size) {
      const order = Array.from({ length: n }, (_, i) => i);
      for (let i = n - 1; i > 0; i--) {          // Fisher-Yates
        const j = Math.floor(this.rand() * (i + 1));
        [order[i], order[j]] = [order[j], order[i]];
      }
      this.order = order;
    }
    const idx = this.order.splice(0, size);
    const x = new Float64Array(2 * size), y = new Array(size);
    idx.forEach((row, r) => {
      x[2 * r] = train.x[row][0];
      x[2 * r + 1] = train.x[row][1];
      y[r] = train.y[row];
    });
    return { x, y, n: size };
  };

  Playground.prototype.step = function () {
    const b = this.nextBatch();
    const loss = trainStep(this.net, this.opt, b.x, b.y, b.n);
    this.steps += 1;
    return loss;
  };

  /** Loss and accuracy on the whole training set and the held-out one. */
  Playground.prototype.measure = function () {
    const train = evaluate(this.net, this.set.train);
    const test = evaluate(this.net, this.set.test);
    this.train = train;
    this.test = test;
    this.curve.push([this.steps, train.loss]);
    $("pg-steps").textContent = String(this.steps);
    $("pg-loss").textContent = Number.isFinite(train.loss)
      ? train.loss.toFixed(4) : String(train.loss);
    $("pg-accuracy").textContent = (100 * train.accuracy).toFixed(1);
    $("pg-test-accuracy").textContent = (100 * test.accuracy).toFixed(1);
    const app = $("pg-app");
    app.dataset.steps = String(this.steps);
    app.dataset.diverged = String(!Number.isFinite(train.loss));
  };

  // -------------------------------------------------------------- drawing
  /** Every layer's output on a GRID x GRID grid over the plane. */
  Playground.prototype.gridActivations = function () {
    const x = new Float64Array(2 * GRID * GRID), e = this.extent;
    for (let r = 0; r < GRID; r++) {
      for (let c = 0; c < GRID; c++) {
        const k = r * GRID + c;
        x[2 * k] = -e + (2 * e * (c + 0.5)) / GRID;
        x[2 * k + 1] = e - (2 * e * (r + 0.5)) / GRID;  // up is positive
      }
    }
    return forward(this.net, x, GRID * GRID);
  };

  /** Paint `values` (GRID * GRID numbers) into a canvas via `color(v)`. */
  function paint(canvas, values, color) {
    const ctx = canvas.getContext("2d");
    const img = ctx.createImageData(GRID, GRID);
    for (let k = 0; k < GRID * GRID; k++) {
      const [r, g, b] = color(values[k]);
      img.data[4 * k] = r;
      img.data[4 * k + 1] = g;
      img.data[4 * k + 2] = b;
      img.data[4 * k + 3] = 255;
    }
    const off = document.createElement("canvas");
    off.width = off.height = GRID;
    off.getContext("2d").putImageData(img, 0, 0);
    ctx.imageSmoothingEnabled = true;
    ctx.drawImage(off, 0, 0, canvas.width, canvas.height);
  }

  /** Probability of class 1 to a pale orange (0) ... white ... pale blue (1). */
  function probabilityColor(p) {
    const [lo, hi] = COLORS, t = Math.abs(2 * p - 1) * 0.55;
    const base = p > 0.5 ? hi : lo;
    return base.map((v) => Math.round(255 + (v - 255) * t));
  }

  /** A hidden unit's activation, scaled to [-1, 1] by `scale`: purple-white-green. */
  function unitColor(scale) {
    return (v) => {
      const t = Math.max(-1, Math.min(1, v / scale));
      const to = t > 0 ? [27, 120, 55] : [118, 42, 131];
      return to.map((c) => Math.round(255 + (c - 255) * Math.abs(t)));
    };
  }

  function drawPoints(canvas, set, extent, showTest) {
    const ctx = canvas.getContext("2d"), w = canvas.width;
    const at = (v) => ((v + extent) / (2 * extent)) * w;
    const draw = (split, hollow) => split.x.forEach((p, k) => {
      ctx.beginPath();
      ctx.arc(at(p[0]), w - at(p[1]), w / 110, 0, 2 * Math.PI);
      const [r, g, b] = COLORS[split.y[k]];
      ctx.lineWidth = w / 300;
      if (hollow) {
        ctx.strokeStyle = `rgb(${r},${g},${b})`;
        ctx.lineWidth = w / 180;
        ctx.stroke();
      } else {
        ctx.fillStyle = `rgb(${r},${g},${b})`;
        ctx.strokeStyle = "#fff";
        ctx.fill();
        ctx.stroke();
      }
    });
    draw(set.train, false);
    if (showTest) draw(set.test, true);
  }

  /** Largest |value| of one unit over the grid (at least a small number). */
  function unitScale(values, unit, width) {
    let m = 1e-6;
    for (let k = unit; k < values.length; k += width) m = Math.max(m, Math.abs(values[k]));
    return m;
  }

  function unitValues(values, unit, width) {
    const out = new Float64Array(values.length / width);
    for (let k = 0; k < out.length; k++) out[k] = values[k * width + unit];
    return out;
  }

  Playground.prototype.draw = function () {
    const grid = this.gridActivations(), showTest = $("pg-show-test").checked;
    const k = 2, p1 = new Float64Array(GRID * GRID);
    for (let i = 0; i < p1.length; i++) {           // softmax of two logits
      p1[i] = 1 / (1 + Math.exp(grid.logits[i * k] - grid.logits[i * k + 1]));
    }
    const boundary = $("pg-boundary");
    paint(boundary, p1, probabilityColor);
    drawPoints(boundary, this.set, this.extent, showTest);
    // the thumbnails of every hidden unit
    this.unitButtons.forEach((button) => {
      const l = Number(button.dataset.layer), u = Number(button.dataset.unit);
      const width = this.net.sizes[l + 1], values = grid.post[l];
      paint(button.firstChild, unitValues(values, u, width),
            unitColor(unitScale(values, u, width)));
    });
    const view = $("pg-unit"), caption = $("pg-unit-caption");
    view.hidden = !this.selected;
    if (this.selected) {
      const [l, u] = this.selected, width = this.net.sizes[l + 1];
      const values = grid.post[l], scale = unitScale(values, u, width);
      paint(view, unitValues(values, u, width), unitColor(scale));
      drawPoints(view, this.set, this.extent, false);
      caption.textContent = `Layer ${l + 1}, unit ${u + 1}: green is positive, ` +
        `purple negative, white zero (largest |value| ${scale.toPrecision(3)}).`;
    } else {
      caption.textContent = this.net.layers.length > 1
        ? "Tap or click a unit of the network to see its activation here."
        : "A linear model has no hidden units: add a hidden layer.";
    }
    this.drawCurve();
  };

  /** The loss against the step, below a band for its two labels. */
  Playground.prototype.drawCurve = function () {
    const canvas = $("pg-curve"), ctx = canvas.getContext("2d");
    const w = canvas.width, h = canvas.height, pad = 8, band = h / 7;
    const ink = getComputedStyle($("pg-app")).color;
    ctx.clearRect(0, 0, w, h);
    ctx.strokeStyle = ink;
    ctx.globalAlpha = 0.35;
    ctx.strokeRect(0.5, band + 0.5, w - 1, h - band - 1);
    ctx.globalAlpha = 1;
    const points = this.curve.filter(([, v]) => Number.isFinite(v));
    if (points.length < 2) return;
    const last = points[points.length - 1][0] || 1;
    const top = Math.max(...points.map(([, v]) => v), 1e-3);
    const height = h - band - 2 * pad;
    ctx.beginPath();
    points.forEach(([s, v], i) => {
      const x = pad + ((w - 2 * pad) * s) / last;
      const y = h - pad - (height * v) / top;
      if (i === 0) ctx.moveTo(x, y); else ctx.lineTo(x, y);
    });
    ctx.strokeStyle = "rgb(192, 57, 43)";
    ctx.lineWidth = 3;
    ctx.stroke();
    ctx.fillStyle = ink;
    ctx.font = `${Math.round(band * 0.7)}px sans-serif`;
    ctx.textBaseline = "middle";
    ctx.fillText(`loss, 0 to ${top.toFixed(2)}`, 2, band / 2);
    const steps = `steps 0 to ${last}`;
    ctx.fillText(steps, w - 2 - ctx.measureText(steps).width, band / 2);
  };

  /** One button per hidden unit, its thumbnail inside; click to select. */
  Playground.prototype.buildNetworkView = function () {
    const box = $("pg-network");
    box.textContent = "";
    this.unitButtons = [];
    const hidden = this.net.sizes.slice(1, -1);
    if (!hidden.length) {
      box.textContent = "2 inputs → 2 outputs: a linear model, no hidden layer.";
    }
    hidden.forEach((width, l) => {
      const row = document.createElement("div");
      row.className = "pg-layer";
      const label = document.createElement("span");
      label.className = "pg-layer-label";
      const name = { relu: "ReLU", tanh: "tanh", sigmoid: "sigmoid" }[this.net.activation];
      label.textContent = `Layer ${l + 1}: ${width} ${name} unit${width > 1 ? "s" : ""}`;
      row.appendChild(label);
      const units = document.createElement("div");
      units.className = "pg-units";
      for (let u = 0; u < width; u++) {
        const button = document.createElement("button");
        button.type = "button";
        button.className = "pg-unit-button";
        button.dataset.layer = String(l);
        button.dataset.unit = String(u);
        button.setAttribute("aria-label", `layer ${l + 1}, unit ${u + 1}`);
        button.setAttribute("aria-pressed", "false");
        const thumb = document.createElement("canvas");
        thumb.width = thumb.height = 30;
        button.appendChild(thumb);
        button.addEventListener("click", () => this.select(l, u));
        units.appendChild(button);
        this.unitButtons.push(button);
      }
      row.appendChild(units);
      box.appendChild(row);
    });
  };

  Playground.prototype.select = function (l, u) {
    const same = this.selected && this.selected[0] === l && this.selected[1] === u;
    this.selected = same ? null : [l, u];
    this.unitButtons.forEach((b) => b.setAttribute("aria-pressed", String(
      !same && Number(b.dataset.layer) === l && Number(b.dataset.unit) === u)));
    $("pg-app").dataset.selected = this.selected ? this.selected.join(",") : "";
    this.draw();
  };

  // ---------------------------------------------------------- the controls
  Playground.prototype.setTraining = function (on) {
    this.training = on;
    const button = $("pg-train");
    button.textContent = on ? "Pause" : "Train";
    button.setAttribute("aria-pressed", String(on));
    $("pg-app").dataset.state = on ? "training" : "paused";
    if (on) {
      this.lastDraw = 0;
      requestAnimationFrame((t) => this.frame(t));
    } else {              // show the state exactly where it stopped
      this.measure();
      this.draw();
    }
  };

  /** One animation frame: `speed` steps, or fewer if they do not fit. */
  Playground.prototype.frame = function (now) {
    if (!this.training) return;
    const start = performance.now();
    let n = 0;
    do {
      this.step();
      n += 1;
    } while (n < this.settings.speed && performance.now() - start < FRAME_BUDGET_MS);
    if (now - this.lastDraw >= DRAW_EVERY_MS) {
      this.measure();
      this.draw();
      this.lastDraw = now;
      if (!Number.isFinite(this.train.loss)) {
        this.setTraining(false);
        $("pg-status").textContent = "The loss is no longer a finite number: " +
          "the learning rate is too large. Lower it and press Reset.";
        return;
      }
    }
    requestAnimationFrame((t) => this.frame(t));
  };

  /** Replay the build's Python runs here and report the largest difference. */
  async function checkAgainstPython() {
    const out = $("pg-check-result");
    out.textContent = "Replaying the Python runs…";
    let refs;
    try {
      const response = await fetch(new URL("trajectories.json", SCRIPT_URL));
      if (!response.ok) throw new Error("HTTP " + response.status);
      refs = (await response.json()).trajectories;
    } catch (err) {
      out.textContent = "Could not load the Python runs (" + err.message +
        "); a page opened from disk cannot fetch them, one served over HTTP can.";
      return;
    }
    let worst = 0, steps = 0;
    const relative = (got, want) => {
      let diff = 0, scale = 0;
      want.forEach((v, i) => {
        diff = Math.max(diff, Math.abs(got[i] - v));
        scale = Math.max(scale, Math.abs(v));
      });
      return scale ? diff / scale : diff;
    };
    for (const ref of refs) {
      const got = replay(ref);
      ref.loss.forEach((v, s) => {
        worst = Math.max(worst, relative([got.loss[s]], [v]));
        ref.params[s].forEach((p, k) => {
          worst = Math.max(worst, relative(got.params[s][k], p));
        });
      });
      steps += ref.loss.length;
    }
    out.textContent = `${refs.length} runs, ${steps} steps in all: the largest ` +
      `relative difference from Python is ${worst.toExponential(1)}.`;
    $("pg-app").dataset.check = String(worst);
  }

  function start() {
    const app = $("pg-app");
    const data = window.scratchnetPlaygroundData;
    if (!data || !data.datasets) {
      $("pg-status").textContent = "The playground's data (playground/data.js) " +
        "did not load, so there is nothing to train on.";
      app.dataset.ready = "error";
      return;
    }
    const pg = new Playground(data.datasets);
    const paused = () => { if (pg.training) pg.setTraining(false); };
    $("pg-train").addEventListener("click", () => pg.setTraining(!pg.training));
    $("pg-step").addEventListener("click", () => {
      paused();
      pg.step();
      pg.measure();
      pg.draw();
    });
    $("pg-reset").addEventListener("click", () => {
      paused();
      pg.seed += 1;       // a new random start each time
      $("pg-status").textContent = "";
      pg.reset();
    });
    // Any change to the network or the data starts again from step 0;
    // the learning rate and batch size can change while training.
    ["pg-dataset", "pg-layers", "pg-width", "pg-activation", "pg-optimizer"]
      .forEach((id) => $(id).addEventListener("change", () => {
        paused();
        syncControls();
        pg.reset();
      }));
    ["pg-lr", "pg-momentum", "pg-batch", "pg-speed"].forEach((id) =>
      $(id).addEventListener("change", () => {
        pg.settings = readSettings();
        pg.opt.lr = pg.settings.lr;
        if (pg.opt.name === "sgd") {
          const mu = pg.settings.momentum;
          pg.opt.momentum = mu;
          if (!mu) pg.opt.velocity.forEach((v) => v.fill(0));
        }
      }));
    $("pg-show-test").addEventListener("change", () => pg.draw());
    $("pg-check").addEventListener("click", () => checkAgainstPython());
    $("pg-width").addEventListener("input", syncControls);
    syncControls();
    app.dataset.ready = "true";
    app.dataset.state = "paused";
    window.scratchnetPlayground.page = pg;
  }

  /** Show the width's value, and the momentum only for SGD. */
  function syncControls() {
    $("pg-width-value").textContent = $("pg-width").value;
    $("pg-momentum-field").hidden = $("pg-optimizer").value !== "sgd";
    $("pg-width-field").hidden = $("pg-layers").value === "0";
  }

  window.scratchnetPlayground = {
    mlp, forward, trainStep, makeOptimizer, parameters, replay,
    /** What the tests and the curious reader can ask: the page's state. */
    state() {
      const pg = window.scratchnetPlayground.page;
      return pg && { steps: pg.steps, training: pg.training,
                     loss: pg.train.loss, accuracy: pg.train.accuracy,
                     testAccuracy: pg.test.accuracy, sizes: pg.net.sizes,
                     settings: pg.settings };
    },
  };
  if (document.readyState === "loading") {
    document.addEventListener("DOMContentLoaded", start);
  } else {
    start();
  }
})();
