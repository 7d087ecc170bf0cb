"""``Sequential``: layers applied one after another, and saved to one file.

The forward pass runs the layers in order; the backward pass runs their
``backward`` in reverse order, handing each layer the gradient wrt its output.

A saved model is a plain ``.npz`` archive: one float32 array per parameter
(``"0.W"``, ``"0.b"``, ``"2.W"``, ...) and a JSON string with the format
version and every layer's config. ``scratchnet.model_file`` reads it back,
checking every claim the file makes before anything is allocated, so a small
hostile file can neither run code nor take the memory.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterator, Sequence
from itertools import groupby
from pathlib import Path
from typing import Any

import numpy as np

from scratchnet import model_file
from scratchnet.atomic import atomic_writer
from scratchnet.conv import Conv2D, Flatten, MaxPool2D, Reshape, output_size
from scratchnet.functional import softmax
from scratchnet.layers import (
    ACTIVATIONS,
    LAYER_TYPES,
    Dropout,
    Layer,
    Linear,
    default_init,
)
from scratchnet.model_file import META_KEY, ModelFileError
from scratchnet.parameter import Parameter

__all__ = ["META_KEY", "ModelFileError", "Sequential", "cnn", "load", "mlp"]


def _layer_name(layer: Layer) -> str:
    """An activation by its short name, dropout by its rate, others by repr."""
    names = {cls: name for name, cls in ACTIVATIONS.items()}
    if isinstance(layer, Dropout):
        return f"dropout {layer.p:g}"
    return names.get(type(layer), repr(layer))


def _in_mlp(layer: Layer) -> bool:
    """Activations and dropout belong to the MLP whose Linear layers they follow."""
    return type(layer) in ACTIVATIONS.values() or isinstance(layer, Dropout)


def _mlp_description(layers: list[Layer]) -> str:
    """``"784-256-10 relu, dropout 0.2"``: the sizes, then each other layer once."""
    sizes: list[int] = []
    tags: list[str] = []
    for layer in layers:
        if isinstance(layer, Linear):
            if not sizes:
                sizes.append(layer.in_features)
            sizes.append(layer.out_features)
        elif (tag := _layer_name(layer)) not in tags:
            tags.append(tag)
    return " ".join(["-".join(map(str, sizes)), ", ".join(tags)]).strip()


class Sequential:
    """A stack of layers: ``Sequential(Linear(784, 10, rng=0))``."""

    def __init__(self, *layers: Layer) -> None:
        if not layers:
            raise ValueError("Sequential needs at least one layer")
        for layer in layers:
            if not (hasattr(layer, "forward") and hasattr(layer, "backward")):
                raise TypeError(f"Sequential takes layers, got {layer!r}")
        self.layers = list(layers)
        self.training = True
        self.metadata: dict[str, Any] = {}

    def forward(self, x: np.ndarray) -> np.ndarray:
        """``(batch, in_features)`` -> ``(batch, out_features)``, e.g. logits."""
        for layer in self.layers:
            x = layer.forward(x)
        return x

    def backward(self, grad_out: np.ndarray, *,
                 input_grad: bool = True) -> np.ndarray | None:
        """Chain rule in reverse order; fills every ``Parameter.grad``.

        Returns ``dL/dx``. Training never needs it, so ``train_step`` passes
        ``input_grad=False``: the loop then stops at the first layer with
        parameters and asks it only for its parameters' gradients
        (``Layer.backward_parameters``), which for a first ``Linear`` skips
        the largest product of the backward pass. Returns None then.
        """
        first = 0 if input_grad else self._first_with_parameters()
        for layer in reversed(self.layers[first + 1:]):
            grad_out = layer.backward(grad_out)
        if input_grad:
            return self.layers[first].backward(grad_out)
        self.layers[first].backward_parameters(grad_out)
        return None

    def _first_with_parameters(self) -> int:
        """Index of the first layer that learns; layers before it need no gradient."""
        return next((i for i, layer in enumerate(self.layers)
                     if layer.parameters()), 0)

    __call__ = forward

    def parameters(self) -> list[Parameter]:
        return [p for layer in self.layers for p in layer.parameters()]

    def named_parameters(self) -> list[tuple[str, Parameter]]:
        """``("0.W", W), ("0.b", b), ("2.W", ...)``: layer index and parameter name."""
        return [(f"{i}.{p.name}", p) for i, layer in enumerate(self.layers)
                for p in layer.parameters()]

    def zero_grad(self) -> None:
        for p in self.parameters():
            p.zero_grad()

    def train(self, mode: bool = True) -> Sequential:
        """Switch every layer to training (``True``) or evaluation mode."""
        self.training = mode
        for layer in self.layers:
            layer.training = mode
        return self

    def eval(self) -> Sequential:
        return self.train(False)

    @contextlib.contextmanager
    def _evaluating(self) -> Iterator[None]:
        """Evaluation mode for a while, then back to the previous mode."""
        previous = self.training
        self.eval()
        try:
            yield
        finally:
            self.train(previous)

    def logits(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Outputs ``(n, n_classes)`` in eval mode, ``batch_size`` rows at a time."""
        if batch_size < 1:
            raise ValueError(f"batch_size must be >= 1, got {batch_size}")
        with self._evaluating():
            chunks = [self.forward(x[i:i + batch_size])
                      for i in range(0, max(len(x), 1), batch_size)]
        return np.concatenate(chunks)

    def predict_proba(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Class probabilities ``(n, n_classes)``: softmax of the logits."""
        return softmax(self.logits(x, batch_size))

    def predict(self, x: np.ndarray, batch_size: int = 1000) -> np.ndarray:
        """Predicted classes ``(n,)``: the index of the largest logit."""
        return self.logits(x, batch_size).argmax(axis=1)

    @property
    def architecture(self) -> str:
        """Short description: ``"784-256-128-10 relu"`` for an MLP.

        Other networks list their layers in order, each run of ``Linear``
        layers as its sizes and each repeated layer once with its count:
        ``"PatchEmbedding(...), 2 x TransformerBlock(...), MeanPool(), 64-10"``.
        ``Reshape`` and ``Flatten`` only move numbers, so they are left out.
        """
        parts: list[str] = []
        run: list[Layer] = []          # the Linear layers and what follows them
        for layer in self.layers:
            if isinstance(layer, Linear) or (run and _in_mlp(layer)):
                run.append(layer)
                continue
            if run:
                parts.append(_mlp_description(run))
                run = []
            if not isinstance(layer, (Reshape, Flatten)):
                parts.append(_layer_name(layer))
        if run:
            parts.append(_mlp_description(run))
        counted = [(part, len(list(same))) for part, same in groupby(parts)]
        return ", ".join(part if n == 1 else f"{n} x {part}"
                         for part, n in counted)

    def __len__(self) -> int:
        return len(self.layers)

    def __getitem__(self, index: int) -> Layer:
        return self.layers[index]

    def __iter__(self) -> Iterator[Layer]:
        return iter(self.layers)

    def __repr__(self) -> str:
        lines = [f"  ({i}): {layer!r}" for i, layer in enumerate(self.layers)]
        return "Sequential(\n" + "\n".join(lines) + "\n)"   # never empty

    def save(self, path: str | os.PathLike[str], *,
             metadata: dict[str, Any] | None = None) -> Path:
        """Write the model to ``path`` (used as given, ``.npz`` recommended).

        Written to a temporary file first and renamed into place, so a crash
        never leaves a half-written model behind. ``metadata`` (JSON-able,
        e.g. the training recipe) comes back as ``model.metadata``. Weights
        with NaN or inf are refused: such a model could never be loaded, and
        it must not replace a good one; so is metadata that JSON cannot
        hold (NaN, inf, an integer of thousands of digits).
        """
        path = Path(path)
        for i, layer in enumerate(self.layers):
            if LAYER_TYPES.get(type(layer).__name__) is not type(layer):
                raise ValueError(
                    f"refusing to save {path}: layer {i} is a {type(layer).__qualname__}"
                    f" from {type(layer).__module__}, not a registered layer type, "
                    "so load could not rebuild it; decorate its class with "
                    "@scratchnet.layers.register (under a name not yet taken)")
        for name, p in self.named_parameters():
            if not np.isfinite(p.value).all():
                raise ValueError(f"refusing to save {path}: parameter {name!r} "
                                 "contains NaN or inf (did training diverge?)")
        meta = {"format": model_file.FORMAT, "version": model_file.FORMAT_VERSION,
                "architecture": self.architecture,
                "layers": [layer.config() for layer in self.layers],
                "metadata": self.metadata if metadata is None else metadata}
        arrays = {name: p.value for name, p in self.named_parameters()}
        arrays[model_file.META_KEY] = np.array(model_file.meta_json(path, meta))
        with atomic_writer(path) as f:
            np.savez(f, **arrays)  # type: ignore[arg-type]  # numpy's stub
        return path

    @classmethod
    def load(cls, path: str | os.PathLike[str]) -> Sequential:
        """Read a model written by ``save``; returned in evaluation mode.

        Raises ``ModelFileError`` naming what is wrong when the file is not a
        complete, consistent scratchnet model.
        """
        layers, metadata = model_file.read(path)
        model = cls(*layers)
        model.metadata = metadata
        return model.eval()


def load(path: str | os.PathLike[str]) -> Sequential:
    """Same as ``Sequential.load(path)``."""
    return Sequential.load(path)




def mlp(sizes: Sequence[int], activation: str = "relu", dropout: float = 0.0,
        seed: int | np.random.Generator = 0, init: str | None = None,
        dtype: np.dtype | type | str = np.float32) -> Sequential:
    """A multi-layer perceptron: ``mlp([784, 256, 128, 10])``.

    ``Linear`` layers of the given sizes with ``activation`` (and ``Dropout``
    when ``dropout > 0``) between them; the last layer outputs raw logits.
    ``init`` defaults to ``"he"`` for ReLU-like and ``"glorot"`` for
    sigmoid/tanh activations. One Generator seeded by ``seed`` feeds all
    layers, so the same seed builds the same network. ``dtype=np.float64``
    gives the same network in double precision (see ``Linear``).
    """
    sizes = list(sizes)
    if len(sizes) < 2:
        raise ValueError(f"sizes needs at least input and output sizes, got {sizes}")
    if activation not in ACTIVATIONS:
        raise ValueError(f"activation must be one of {sorted(ACTIVATIONS)}, "
                         f"got {activation!r}")
    init = init or default_init(activation)
    rng = np.random.default_rng(seed)
    layers: list[Layer] = []
    for i, (n_in, n_out) in enumerate(zip(sizes[:-1], sizes[1:])):
        layers.append(Linear(n_in, n_out, init=init, rng=rng, dtype=dtype))
        if i < len(sizes) - 2:
            layers.append(ACTIVATIONS[activation]())
            if dropout:
                layers.append(Dropout(dropout, rng=rng))
    return Sequential(*layers)


def cnn(channels: Sequence[int] = (16, 32), kernel_size: int = 5,
        padding: Sequence[int] = (2, 0), hidden: Sequence[int] = (128,),
        dropout: float = 0.0, input_shape: Sequence[int] = (1, 28, 28),
        n_classes: int = 10, seed: int | np.random.Generator = 0,
        activation: str = "relu", init: str | None = None) -> Sequential:
    """A CNN for flat images: ``(N, C*H*W)`` -> ``(N, n_classes)`` logits.

    ``Reshape(input_shape)``, then for each entry of ``channels`` a
    ``Conv2D`` (padding from ``padding``), ``activation`` and
    ``MaxPool2D(2)``; then ``Flatten`` and an MLP head with ``hidden``
    layers (each followed by ``Dropout`` when ``dropout > 0``) ending in raw
    logits. ``init`` as for ``mlp``; one Generator seeded by ``seed``
    initialises every layer.
    """
    channels, padding = list(channels), list(padding)
    act = ACTIVATIONS[activation]
    init = init or default_init(activation)
    if len(padding) != len(channels):
        raise ValueError(f"need one padding per conv layer: {len(channels)} "
                         f"channels but {len(padding)} paddings")
    rng = np.random.default_rng(seed)
    c, h, w = input_shape
    layers: list[Layer] = [Reshape(input_shape)]
    for out, pad in zip(channels, padding):
        layers += [Conv2D(c, out, kernel_size, padding=pad, init=init, rng=rng),
                   act(), MaxPool2D(2)]
        c = out
        h = output_size(output_size(h, kernel_size, 1, pad), 2, 2)
        w = output_size(output_size(w, kernel_size, 1, pad), 2, 2)
        if min(h, w) < 1:
            raise ValueError(f"input {input_shape} is too small for "
                             f"{len(channels)} conv+pool stages")
    layers.append(Flatten())
    sizes = [c * h * w, *hidden]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(n_in, n_out, init=init, rng=rng), act()]
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Linear(sizes[-1], n_classes, init=init, rng=rng))
    return Sequential(*layers)
