"""Named recipes: the book's best networks, one name each.

``cnn()`` builds a LeNet-style convolutional network that reads the same
flat ``(batch, 784)`` rows as an MLP; ``CNNConfig`` is a complete recipe for
it (network, optimizer, schedule), the convolutional sibling of
``train.TrainConfig``. ``PRESETS`` maps the names the command line accepts
(``scratchnet train --preset best-cnn``) to recipes.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np

from scratchnet.augment import Augment
from scratchnet.conv import Conv2D, Flatten, MaxPool2D, Reshape, output_size
from scratchnet.layers import Dropout, Layer, Linear, ReLU
from scratchnet.model import Sequential
from scratchnet.optim import SGD, Adam, Optimizer
from scratchnet.parameter import Parameter
from scratchnet.train import DEFAULTS, TrainConfig


def cnn(channels: Sequence[int] = (16, 32), kernel_size: int = 5,
        padding: Sequence[int] = (2, 0), hidden: Sequence[int] = (128,),
        dropout: float = 0.0, input_shape: Sequence[int] = (1, 28, 28),
        n_classes: int = 10,
        seed: int | np.random.Generator = 0) -> Sequential:
    """A CNN for flat images: ``(N, C*H*W)`` -> ``(N, n_classes)`` logits.

    ``Reshape(input_shape)``, then for each entry of ``channels`` a
    ``Conv2D`` (padding from ``padding``), ``ReLU`` and ``MaxPool2D(2)``;
    then ``Flatten`` and an MLP head with ``hidden`` ReLU layers (each
    followed by ``Dropout`` when ``dropout > 0``) ending in raw logits.
    One Generator seeded by ``seed`` initialises every layer.
    """
    channels, padding = list(channels), list(padding)
    if len(padding) != len(channels):
        raise ValueError(f"need one padding per conv layer: {len(channels)} "
                         f"channels but {len(padding)} paddings")
    rng = np.random.default_rng(seed)
    c, h, w = input_shape
    layers: list[Layer] = [Reshape(input_shape)]
    for out, pad in zip(channels, padding):
        layers += [Conv2D(c, out, kernel_size, padding=pad, rng=rng),
                   ReLU(), MaxPool2D(2)]
        c = out
        h = output_size(output_size(h, kernel_size, 1, pad), 2, 2)
        w = output_size(output_size(w, kernel_size, 1, pad), 2, 2)
        if min(h, w) < 1:
            raise ValueError(f"input {input_shape} is too small for "
                             f"{len(channels)} conv+pool stages")
    layers.append(Flatten())
    sizes = [c * h * w, *hidden]
    for n_in, n_out in zip(sizes[:-1], sizes[1:]):
        layers += [Linear(n_in, n_out, rng=rng), ReLU()]
        if dropout:
            layers.append(Dropout(dropout, rng=rng))
    layers.append(Linear(sizes[-1], n_classes, rng=rng))
    return Sequential(*layers)


@dataclass(frozen=True)
class CNNConfig:
    """A complete MNIST recipe for ``cnn()``: network, optimizer and schedule."""

    channels: tuple[int, ...] = (16, 32)
    kernel_size: int = 5
    padding: tuple[int, ...] = (2, 0)
    hidden: tuple[int, ...] = (128,)
    dropout: float = 0.0
    optimizer: str = "adam"
    lr: float = 2e-3
    momentum: float = 0.9
    weight_decay: float = 0.0
    lr_schedule: str = "cosine"
    epochs: int = 8
    batch_size: int = 128
    n_val: int = 5000
    seed: int = 0
    augment_shift: int = 0

    def build_model(self, n_in: int = 784, n_out: int = 10) -> Sequential:
        side = math.isqrt(n_in)
        if side * side != n_in:
            raise ValueError(f"cnn() needs square images, got {n_in} pixels")
        return cnn(self.channels, self.kernel_size, self.padding, self.hidden,
                   self.dropout, (1, side, side), n_out, seed=self.seed)

    def build_optimizer(self, params: list[Parameter]) -> Optimizer:
        if self.optimizer == "adam":
            return Adam(params, lr=self.lr, weight_decay=self.weight_decay)
        return SGD(params, lr=self.lr, momentum=self.momentum,
                   weight_decay=self.weight_decay)

    def build_augment(self) -> Augment | None:
        """Random shifts of up to ``augment_shift`` pixels, or None; seeded."""
        if not self.augment_shift:
            return None
        return Augment(self.augment_shift, seed=self.seed + 1)

    def fit_kwargs(self) -> dict[str, Any]:
        """The keyword arguments of ``fit`` that this recipe sets, e.g.
        ``fit(model, x, y, optimizer=..., **config.fit_kwargs())``."""
        return {"epochs": self.epochs, "batch_size": self.batch_size,
                "lr_schedule": self.lr_schedule, "seed": self.seed,
                "augment": self.build_augment()}


BEST_CNN = CNNConfig(augment_shift=2)
"""The book's CNN: ``cnn()`` with its defaults, Adam 2e-3 with cosine decay,
8 epochs of batches of 128 digits shifted at random by up to 2 pixels.
Chosen on the validation split; see the convolutions chapter."""

PRESETS: dict[str, TrainConfig | CNNConfig] = {
    "best-mlp": DEFAULTS,
    "best-cnn": BEST_CNN,
}
"""Recipes by name, for ``scratchnet train --preset NAME``."""
