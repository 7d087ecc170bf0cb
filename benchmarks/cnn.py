"""Training images per second for the book's CNN: scratchnet vs PyTorch.

Both train the ``presets.BEST_CNN`` network without its augmentation (two
5x5 convolutions with ReLU and 2x2 max-pooling, a 128-unit hidden layer)
with Adam at batch 128 on the same images in the same order, in float32
with the same thread count, from the same initial weights (those of
``RECIPE.build_model()``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

import numpy as np

from scratchnet.presets import BEST_CNN

from .common import scratchnet_trainer, torch_trainer

RECIPE = replace(BEST_CNN, augment_shift=0)


def _batches(order: np.ndarray, steps: int) -> list[np.ndarray]:
    size = RECIPE.batch_size
    return [order[i * size:(i + 1) * size] for i in range(steps)]


def scratchnet_steps(x: np.ndarray, y: np.ndarray, order: np.ndarray,
                     steps: int) -> Callable[[], object]:
    model = RECIPE.build_model()
    optimizer = RECIPE.build_optimizer(model.parameters())
    return scratchnet_trainer(model, optimizer, x, y, _batches(order, steps))


def torch_steps(x: np.ndarray, y: np.ndarray, order: np.ndarray, steps: int,
                threads: int) -> Callable[[], object] | None:
    """The same CNN in PyTorch on the CPU, or None without torch."""
    try:
        import torch
        from torch import nn
    except ImportError:
        return None
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    (c1, c2), k, (p1, p2) = RECIPE.channels, RECIPE.kernel_size, RECIPE.padding
    side = (28 + 2 * p1 - k + 1) // 2
    side = (side + 2 * p2 - k + 1) // 2
    model = nn.Sequential(
        nn.Unflatten(1, (1, 28, 28)),
        nn.Conv2d(1, c1, k, padding=p1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(c1, c2, k, padding=p2), nn.ReLU(), nn.MaxPool2d(2),
        nn.Flatten(), nn.Linear(c2 * side * side, RECIPE.hidden[0]), nn.ReLU(),
        nn.Linear(RECIPE.hidden[0], 10))
    optimizer = torch.optim.Adam(model.parameters(), lr=RECIPE.lr)
    weights = [p.value for p in RECIPE.build_model().parameters()]
    return torch_trainer(model, optimizer, x, y, _batches(order, steps), weights)
