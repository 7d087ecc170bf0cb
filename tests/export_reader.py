"""The reading side of ``scratchnet.export``'s documents, for the tests.

The package only writes these documents; the browser page reads them. The
tests read them back here, in Python, to check that nothing is lost and
that the page answers as the package does.
"""

from __future__ import annotations

import base64
from typing import Any

import numpy as np

from scratchnet import export
from scratchnet.layers import ACTIVATIONS, Layer, LeakyReLU, Linear
from scratchnet.model import Sequential


def _check(doc: dict[str, Any], expected: str) -> None:
    assert doc.get("format") == expected, doc.get("format")
    assert doc.get("version") == export.VERSION, doc.get("version")


def sample_pixels(doc: dict[str, Any]) -> np.ndarray:
    """The uint8 images ``(n, 28, 28)`` of a samples document."""
    _check(doc, export.SAMPLES_FORMAT)
    shape = tuple(doc["shape"])
    return np.stack([np.frombuffer(base64.b64decode(s["pixels"]), np.uint8)
                     .reshape(shape) for s in doc["samples"]])


def model_from_dict(doc: dict[str, Any]) -> Sequential:
    """Rebuild a ``Sequential`` (in eval mode) from ``model_to_dict``'s dict."""
    _check(doc, export.MODEL_FORMAT)
    layers = []
    for entry in doc["layers"]:
        if entry["type"] == "linear":
            linear = Linear(entry["in"], entry["out"], rng=0)
            linear.W.value[...] = export.decode_array(entry["W"], linear.W.shape)
            linear.b.value[...] = export.decode_array(entry["b"], linear.b.shape)
            layer: Layer = linear
        elif entry["type"] == "leaky_relu":
            layer = LeakyReLU(entry["slope"])
        else:
            layer = ACTIVATIONS[entry["type"]]()
        layers.append(layer)
    return Sequential(*layers).eval()
