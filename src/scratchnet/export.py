"""Export a trained MLP, and some test digits, as JSON for a web page.

The book's interactive page runs the network in the reader's browser, from
a static file: no server, no framework. This module writes that file.

A model becomes one JSON object: the architecture, then each layer in
order, with a ``Linear`` layer's ``W`` ``(in, out)`` and ``b`` ``(out,)`` as
base64 of their little-endian float32 bytes. Base64 is lossless (the page
computes with exactly the weights Python has) and a third smaller than the
shortest decimals that would be. ``forward`` is the same arithmetic in NumPy,
read back from the JSON, so a test can hold the JavaScript to it.

What this does *not* do: convolutional layers, or any layer it does not know.
Those raise ``UnsupportedLayerError`` instead of exporting something the page
would compute differently.
"""

from __future__ import annotations

import base64
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet.atomic import atomic_write_bytes
from scratchnet.data import preprocess
from scratchnet.errors import UsageError
from scratchnet.functional import softmax
from scratchnet.layers import ACTIVATIONS, Dropout, Layer, LeakyReLU, Linear
from scratchnet.model import Sequential

MODEL_FORMAT = "scratchnet.mlp+json"
SAMPLES_FORMAT = "scratchnet.samples+json"
VERSION = 1
NAMES: dict[type, str] = {cls: name for name, cls in ACTIVATIONS.items()}
"""The name of each activation layer's type, as the page knows them."""


class UnsupportedLayerError(UsageError):
    """The model has a layer the JSON format (and the page) cannot run."""


def encode_array(a: np.ndarray) -> str:
    """Base64 of ``a`` as little-endian float32, in C (row-major) order."""
    return base64.b64encode(np.ascontiguousarray(a, dtype="<f4").tobytes()
                            ).decode("ascii")


def decode_array(text: str, shape: tuple[int, ...]) -> np.ndarray:
    """Inverse of ``encode_array``: a float32 array of ``shape``."""
    raw = base64.b64decode(text.encode("ascii"), validate=True)
    expected = 4 * int(np.prod(shape))
    if len(raw) != expected:
        raise ValueError(f"expected {expected} bytes for float32 {shape}, "
                         f"got {len(raw)}")
    return np.frombuffer(raw, dtype="<f4").reshape(shape).astype(np.float32)


def model_to_dict(model: Sequential,
                  metadata: dict[str, Any] | None = None) -> dict[str, Any]:
    """The JSON-able description of an MLP: architecture and weights.

    ``Dropout`` is left out: at inference it is the identity. Any layer
    other than ``Linear``, the activations and ``Dropout`` raises
    ``UnsupportedLayerError``, naming it and its position.
    """
    if not isinstance(model, Sequential):
        raise TypeError(f"expected a scratchnet Sequential, got "
                        f"{type(model).__name__}")
    layers: list[dict[str, Any]] = []
    size: int | None = None
    for i, layer in enumerate(model):
        if isinstance(layer, Linear):
            if size is not None and layer.in_features != size:
                raise ValueError(
                    f"layer {i} {layer!r} takes {layer.in_features} "
                    f"inputs, but the layer before gives {size}")
            W, b = _float32_weights(i, layer)
            size = layer.out_features
            layers.append({"type": "linear", "in": layer.in_features,
                           "out": layer.out_features,
                           "W": encode_array(W), "b": encode_array(b)})
        elif type(layer) in NAMES:
            if size is None:
                raise UnsupportedLayerError(
                    f"layer {i} {layer!r}: an exported MLP must start "
                    "with Linear")
            entry: dict[str, Any] = {"type": NAMES[type(layer)]}
            if isinstance(layer, LeakyReLU):
                entry["slope"] = _finite(i, layer, layer.slope)
            layers.append(entry)
        elif isinstance(layer, Dropout):
            continue
        else:
            raise UnsupportedLayerError(
                f"layer {i} {layer!r} cannot be exported: the JSON format "
                "runs Linear, ReLU, LeakyReLU, Sigmoid, Tanh (and drops "
                "Dropout)")
    if size is None:
        raise UnsupportedLayerError("the model has no Linear layer to export")
    if layers[-1]["type"] != "linear":
        raise UnsupportedLayerError(
            "the last layer must be Linear: the page applies softmax to "
            "logits")
    return {"format": MODEL_FORMAT, "version": VERSION,
            "architecture": model.architecture,
            "inputs": layers[0]["in"], "outputs": size,
            "dtype": "float32", "byte_order": "little",
            "layers": layers, "metadata": metadata or {}}


def _float32_weights(i: int, layer: Linear) -> tuple[np.ndarray, np.ndarray]:
    """``W`` and ``b`` of layer ``i``, once they are finite in float32 too.

    The JSON holds float32: a float64 weight of 1e300 would arrive as inf.
    """
    W, b = layer.W.value, layer.b.value
    if not (np.isfinite(W).all() and np.isfinite(b).all()):
        raise ValueError(f"layer {i} {layer!r} has NaN or inf weights")
    with np.errstate(over="ignore"):
        fits = all(np.isfinite(a.astype(np.float32)).all() for a in (W, b))
    if not fits:
        raise UnsupportedLayerError(
            f"layer {i} {layer!r} has weights beyond float32's range (largest "
            f"magnitude {max(abs(W).max(), abs(b).max()):.3g}); the JSON format "
            "holds float32")
    return W, b


def _finite(i: int, layer: Layer, value: float) -> float:
    """``value`` as a JSON number, which cannot be NaN or inf."""
    if not np.isfinite(value):
        raise UnsupportedLayerError(f"layer {i} {layer!r}: {value} cannot be "
                                    "written as JSON")
    return float(value)


def forward(doc: dict[str, Any], x: np.ndarray) -> np.ndarray:
    """Probabilities ``(n, outputs)`` for ``x`` ``(n, inputs)``, from the JSON.

    The reference for the page's JavaScript: the same steps, in NumPy, using
    only what the exported document holds.
    """
    _check_format(doc, MODEL_FORMAT)
    h: np.ndarray = np.asarray(x, dtype=np.float32)
    if h.ndim != 2 or h.shape[1] != doc["inputs"]:
        raise ValueError(f"expected x of shape (n, {doc['inputs']}), "
                         f"got {h.shape}")
    for layer in doc["layers"]:
        kind = layer["type"]
        if kind == "linear":
            W = decode_array(layer["W"], (layer["in"], layer["out"]))
            h = h @ W + decode_array(layer["b"], (layer["out"],))
        elif kind == "relu":
            h = np.maximum(h, 0)
        elif kind == "leaky_relu":
            h = np.where(h > 0, h, np.float32(layer["slope"]) * h)
        elif kind == "sigmoid":
            h = 1 / (1 + np.exp(-h))
        elif kind == "tanh":
            h = np.tanh(h)
        else:
            raise ValueError(f"unknown layer type {kind!r} in the document")
    return softmax(h)


def sample_test_images(model: Sequential, images: np.ndarray,
                       labels: np.ndarray, n: int = 40,
                       mistakes: float = 0.25,
                       seed: int = 0, batch_size: int = 1000) -> dict[str, Any]:
    """A seeded sample of ``n`` test digits for the page, some of them misread.

    ``images`` are uint8 ``(N, 28, 28)``, ``labels`` ``(N,)``. About
    ``mistakes * n`` of the sample are digits the model gets wrong (as many
    as exist); the rest are read correctly, spread evenly over the classes.
    The model's own probabilities are stored too, so the page can show what
    Python computed beside what the browser computed. ``batch_size`` rows
    are run through the model at a time.
    """
    images, labels = np.asarray(images), np.asarray(labels)
    if images.dtype != np.uint8 or images.ndim != 3:
        raise TypeError(f"expected uint8 images (N, 28, 28), got "
                        f"{images.dtype} {images.shape}")
    if labels.shape != (len(images),):
        raise ValueError(f"expected {len(images)} labels, got {labels.shape}")
    if not 1 <= n <= len(images):
        raise ValueError(f"n must be between 1 and {len(images)}, got {n}")
    if not 0 <= mistakes <= 1:
        raise ValueError(
            f"mistakes must be a fraction in [0, 1], got {mistakes}")
    probs = model.predict_proba(preprocess(images), batch_size=batch_size)
    pred = probs.argmax(axis=1)
    rng = np.random.default_rng(seed)
    wrong = rng.permutation(np.flatnonzero(pred != labels))
    chosen = list(wrong[:round(mistakes * n)])
    right = rng.permutation(np.flatnonzero(pred == labels))
    by_class = [right[labels[right] == c] for c in np.unique(labels)]
    for k in range(len(images)):                 # round-robin over classes
        for idx in by_class:
            if len(chosen) < n and k < len(idx):
                chosen.append(idx[k])
    samples = [{"index": int(i), "label": int(labels[i]),
                "prediction": int(pred[i]),
                "probabilities": [round(float(p), 6) for p in probs[i]],
                "pixels": base64.b64encode(images[i].tobytes()).decode()}
               for i in sorted(chosen)]
    return {"format": SAMPLES_FORMAT, "version": VERSION,
            "shape": list(images.shape[1:]), "seed": seed,
            "n_mistakes": sum(s["label"] != s["prediction"] for s in samples),
            "samples": samples}


def json_safe(value: Any, where: str = "") -> tuple[Any, list[str]]:
    """``value`` with every NaN and inf replaced by None, and where they were.

    ``Sequential.save`` refuses such metadata, but older files and other
    writers may hold it; strict JSON (and so the page) cannot.
    """
    if isinstance(value, float) and not np.isfinite(value):
        return None, [where or "(the whole value)"]
    if isinstance(value, dict):
        pairs = [(k, json_safe(v, f"{where}.{k}" if where else str(k)))
                 for k, v in value.items()]
        return ({k: v for k, (v, _) in pairs},
                [w for _, (_, found) in pairs for w in found])
    if isinstance(value, list):
        items = [json_safe(v, f"{where}[{i}]") for i, v in enumerate(value)]
        return [v for v, _ in items], [w for _, found in items for w in found]
    return value, []


def write_json(doc: dict[str, Any], path: str | os.PathLike[str]) -> Path:
    """Write ``doc`` compactly (no spaces), atomically; return the path."""
    text = json.dumps(doc, separators=(",", ":"), allow_nan=False)
    return atomic_write_bytes(path, text.encode("utf-8"))


def _check_format(doc: Any, expected: str) -> None:
    if not isinstance(doc, dict) or doc.get("format") != expected:
        found = (doc.get("format") if isinstance(doc, dict)
                 else type(doc).__name__)
        raise ValueError(f"expected a {expected!r} document, got {found!r}")
    if doc.get("version") != VERSION:
        raise ValueError(f"{expected} version {doc.get('version')!r} is not "
                         f"supported; this scratchnet reads version {VERSION}")
